"""Faces › Remove Face Masks (with or without a reference photo) and File › Remove Face Masks in Folder."""
