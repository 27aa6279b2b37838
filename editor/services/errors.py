"""Errors that more than one use case raises, so the window, the CLI and the batches catch one class."""

from editor.core.errors import VeilError


class NoFaceError(VeilError):
    """The photo has no face to work on (none was found, or every face is excluded): nothing was anonymized or
    unmasked, and the photo is left as it was."""

    exit_code = 5
