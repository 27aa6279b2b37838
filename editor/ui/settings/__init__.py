"""Preferences, Edit › Settings, Help › About and the start-up checks of models and device."""
