"""The open document: the bridge from its events to Qt, open/save/export, edits (undo, mask operations, Fill), Open
Recent, and the base of the controllers whose jobs act on it."""
