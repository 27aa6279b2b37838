"""The Qt editor window (PySide6): start it with `editor.ui.app.run_app(path)`."""
