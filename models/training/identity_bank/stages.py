"""Resumable build stages: a stage's output is reused while its settings and its inputs' stamps are unchanged."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any, Callable


def digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:16]


class Stages:
    """Runs named stages in a work folder; `run(name, settings, inputs, make)` calls `make(path)` only when the
    stamp (settings + the stamps of the stages it reads) differs from the one recorded beside the output."""

    def __init__(self, work: Path) -> None:
        self.work = work
        work.mkdir(parents=True, exist_ok=True)
        self.stamps: dict[str, str] = {}

    def run(self, name: str, settings: dict, inputs: list[str], make: Callable[[Path], None],
            suffix: str = ".npz") -> Path:
        out = self.work / f"{name}{suffix}"
        stamp_file = self.work / f"{name}.stamp.json"
        stamp = digest({"settings": settings, "inputs": [self.stamps[i] for i in inputs]})
        recorded = json.loads(stamp_file.read_text()) if stamp_file.is_file() else {}
        if out.is_file() and recorded.get("stamp") == stamp:
            print(f"[{name}] up to date ({out})", flush=True)
        else:
            start = time.time()
            print(f"[{name}] building", flush=True)
            tmp = out.with_name(out.stem + ".partial" + suffix)
            make(tmp)
            tmp.replace(out)
            stamp_file.write_text(json.dumps({"stamp": stamp, "settings": settings, "seconds": round(time.time() - start)},
                                             indent=1))
            print(f"[{name}] done in {time.time() - start:.0f} s", flush=True)
        self.stamps[name] = stamp
        return out
