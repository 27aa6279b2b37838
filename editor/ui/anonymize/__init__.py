"""Anonymize Faces in the window: the controller over the document's AnonymizeSession, the review dock, the export
dialog and File › Anonymize Folder."""
