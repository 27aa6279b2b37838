"""Typed errors whose message is one sentence a user can act on.

Every layer raises a subclass of VeilError for expected failures (bad input, missing key, ...). The GUI shows
str(error) in a dialog and the CLI prints it on stderr with a non-zero exit, so the message must stand alone.
"""


class VeilError(Exception):
    """An expected failure with a user-facing, one-sentence message."""

    exit_code = 1


class ImageError(VeilError):
    """The file is not an image we can open or write (corrupt, truncated, unsupported, too large)."""

    exit_code = 3


class ModelError(VeilError):
    """A model file is missing, corrupt or cannot be loaded."""

    exit_code = 4


class Cancelled(VeilError):
    """The user cancelled a running job."""

    exit_code = 130

    def __init__(self, message: str = "Cancelled.") -> None:
        super().__init__(message)


class WriteError(VeilError):
    """A file could not be written (missing or read-only folder, full disk, permission denied)."""

    exit_code = 10
