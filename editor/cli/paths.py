"""Checks on the files a command writes: an output is never one of the command's own inputs."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

from editor.core.errors import VeilError


def _real(path: str | Path) -> str:
    # realpath follows links: atomic writes go through a link to the file it names, so a link to an input is that
    # input.
    return os.path.realpath(os.path.expanduser(str(path)))


def refuse_output_among_inputs(output: Optional[str | Path], inputs: dict[str, Optional[str | Path]],
                               what: str = "output") -> None:
    """Raise when `output` is the same file as one of `inputs` ({role: path}, e.g. {"photo": IMG, "mask": MASK})."""
    if not output:
        return
    target = _real(output)
    for role, path in inputs.items():
        if path and _real(path) == target:
            raise VeilError(f"Refusing to overwrite {Path(output).name}: it is the {role} this command reads; "
                            f"choose another {what} file.")
