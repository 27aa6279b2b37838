"""Faces › Detect Faces and Mask Faces, and the Faces dock."""
