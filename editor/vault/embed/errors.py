"""Internal error of the container parsers; the dispatcher turns it into a user-facing sentence."""


class ContainerError(ValueError):
    """The file's container structure (chunks, segments, IFDs) is inconsistent."""
