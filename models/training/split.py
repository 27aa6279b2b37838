"""The training / validation split by identity (split.json): validation people are never trained or tuned on."""

from __future__ import annotations

import json
from pathlib import Path

SPLIT = Path(__file__).with_name("split.json")


def identities(data: Path, split: Path = SPLIT) -> tuple[list[str], list[str]]:
    """(training, validation) identity folder names under `data`, in numeric order (celeb_9 before celeb_10)."""
    held_out = set(json.loads(Path(split).read_text())["validation_identities"])
    folders = sorted((p.name for p in Path(data).iterdir() if p.is_dir()), key=lambda n: (len(n), n))
    return [n for n in folders if n not in held_out], [n for n in folders if n in held_out]
