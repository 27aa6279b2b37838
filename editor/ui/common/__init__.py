"""Pieces every part of the window uses: the job runner, the job dialog base, modal dialogs, the error notifier, the
status bar, icons, the theme and the frame of a folder batch dialog."""
