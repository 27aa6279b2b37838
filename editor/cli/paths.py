"""Checks on the files a command writes: an output is never one of the command's own inputs."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from editor.core.errors import VeilError
from editor.core.files import same_file


def refuse_output_among_inputs(output: Optional[str | Path], inputs: dict[str, Optional[str | Path]],
                               what: str = "output") -> None:
    """Raise when `output` is the same file as one of `inputs` ({role: path}, e.g. {"photo": IMG, "mask": MASK})."""
    if not output:
        return
    for role, path in inputs.items():
        if path and same_file(path, output):
            raise VeilError(f"Refusing to overwrite {Path(output).name}: it is the {role} this command reads; "
                            f"choose another {what} file.")
