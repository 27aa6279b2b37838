"""Stages and the runner that runs the out-of-date ones, in order, each into its own folder of the work folder.

A stage names its parameters, its inputs (data, code, earlier stages' outputs) and its outputs. Its stamp is the
sha256 of the parameters and of every input's digest (stamps.py). After a stage finishes, its record
(`stamps/<stage>.json`: stamp, parameters, input and output digests, seconds) is written; the next run skips the
stage while the stamp is the same and its outputs are still the recorded ones. A stage that stops half-way
keeps its folder: started again with the same stamp it resumes (a training run from its last.pt, an embedding
cache where it stopped); started with another stamp, its folder is emptied first.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from editor.core.atomic import atomic_write_bytes

from .stamps import FileDigests, RecipeError, digest

REPO = Path(__file__).resolve().parents[3]


@dataclass
class Context:
    """Where the recipe reads and writes, and its settings (settings.py)."""

    data: Path                 # the data folder as given (celeba/, mask-templates/, models/yunet/)
    work: Path                 # every stage's folder, the stamps, the built models
    settings: dict[str, dict]
    repo: Path = REPO

    @property
    def source(self) -> Path:
        """The data the stages read: the subset stage's linked sample, or `data` itself."""
        return self.work / "subset" if self.settings["subset"]["sample"] else self.data

    def folder(self, stage: str) -> Path:
        return self.work / stage


@dataclass(frozen=True)
class Stage:
    name: str
    does: str                                          # one line, for the log and --dry-run
    make: Callable[[Context, Path], None]              # builds the outputs into the given folder
    outputs: Callable[[Context], list[Path]]
    inputs: Callable[[Context], list[Path]]            # files and folders it reads, its code included
    params: Callable[[Context], dict] = field(default=lambda ctx: {})
    folder: str = ""                                   # default: the stage's name
    unused: Callable[[Context], str] = field(default=lambda ctx: "")   # why the settings leave it out, or ""


@dataclass
class Outcome:
    stage: str
    action: str                # "ran", "skipped", "would run", "not selected"
    reason: str
    seconds: float = 0.0


class Runner:
    """Runs `stages` (in order) for `ctx`; `only` and `start` restrict which may run, `force` reruns them."""

    def __init__(self, ctx: Context, stages: list[Stage]) -> None:
        self.ctx, self.stages = ctx, stages
        self.stamps = ctx.work / "stamps"
        self.digests = FileDigests(self.stamps / "file_digests.json")

    def folder_of(self, stage: Stage) -> Path:
        return self.ctx.folder(stage.folder or stage.name)

    def label(self, path: Path) -> str:
        """An input's name in a stamp: relative to the work folder, the data or the repository, so that moving
        the repository or the work folder keeps the stamps."""
        for prefix, root in (("work", self.ctx.work), ("data", self.ctx.data), ("repo", self.ctx.repo)):
            try:
                return f"{prefix}:{path.resolve().relative_to(root.resolve())}"
            except ValueError:
                continue
        return str(path.resolve())

    def run(self, only: str | None = None, start: str | None = None, dry_run: bool = False,
            force: bool = False) -> list[Outcome]:
        names = [s.name for s in self.stages]
        for wanted in (only, start):
            if wanted is not None and wanted not in names:
                raise RecipeError(f"there is no stage {wanted!r}; the stages are " + ", ".join(names) + ".")
        selected = {only} if only else set(names[names.index(start):]) if start else set(names)
        produced_by = {}
        changing: set[str] = set()
        outcomes = []
        try:
            for stage in self.stages:
                outcome = self._one(stage, stage.name in selected, dry_run, force, produced_by, changing)
                outcomes.append(outcome)
                for path in stage.outputs(self.ctx):
                    produced_by[self.label(path)] = stage.name
                if outcome.action in ("ran", "would run"):
                    changing.add(stage.name)
                print(f"[{stage.name}] {outcome.action}: {outcome.reason}"
                      + (f" ({outcome.seconds:.0f} s)" if outcome.action == "ran" else ""), flush=True)
        finally:
            self.digests.save()
        return outcomes

    def _one(self, stage: Stage, selected: bool, dry_run: bool, force: bool, produced_by: dict[str, str],
             changing: set[str]) -> Outcome:
        unused = stage.unused(self.ctx)
        if unused:
            return Outcome(stage.name, "skipped", unused)
        params = stage.params(self.ctx)
        labels = {self.label(p): p for p in stage.inputs(self.ctx)}
        upstream = sorted({produced_by[k] for k in labels if k in produced_by} & changing)
        record_file = self.stamps / f"{stage.name}.json"
        record = json.loads(record_file.read_text()) if record_file.is_file() else None
        if dry_run and upstream:
            reason = f"{', '.join(upstream)} would run first"
        else:
            inputs = {k: self.digests.of(p) for k, p in labels.items()}
            reason = self._staleness(stage, record, params, inputs) or ("forced" if force and selected else "")
            if not reason:
                return Outcome(stage.name, "skipped", "up to date")
        if not selected:
            if all(p.exists() for p in stage.outputs(self.ctx)) or dry_run:
                return Outcome(stage.name, "not selected", f"out of date ({reason}); its outputs are used as they are")
            raise RecipeError(f"stage {stage.name} has never run here: run it first (without --only / --from).")
        if dry_run:
            return Outcome(stage.name, "would run", reason)
        inputs = {k: self.digests.of(p) for k, p in labels.items()}
        return self._make(stage, params, inputs, reason)

    def _staleness(self, stage: Stage, record: dict | None, params: dict, inputs: dict[str, str]) -> str:
        """Why the stage must run, or "" when its record matches."""
        if record is None:
            return "never run here"
        if record["stamp"] != digest({"params": params, "inputs": inputs}):
            changed = sorted(k for k in params if record["params"].get(k) != params[k])
            if changed:
                return "settings changed: " + ", ".join(f"{k} {record['params'].get(k)!r} -> {params[k]!r}"
                                                        for k in changed)
            moved = sorted(k for k in set(inputs) | set(record["inputs"]) if record["inputs"].get(k) != inputs.get(k))
            return "inputs changed: " + ", ".join(moved[:4]) + (" ..." if len(moved) > 4 else "")
        for path in stage.outputs(self.ctx):
            if not path.exists():
                return f"output {path.name} is missing"
            if record["outputs"].get(self.label(path)) != self.digests.of(path):
                return f"output {path.name} changed since it was made"
        return ""

    def _make(self, stage: Stage, params: dict, inputs: dict[str, str], reason: str) -> Outcome:
        stamp = digest({"params": params, "inputs": inputs})
        folder = self.folder_of(stage)
        started = self.stamps / f"{stage.name}.started"
        # A folder left by another stamp (other settings or inputs) is not resumed: its stage starts afresh.
        if folder.exists() and (not started.is_file() or started.read_text() != stamp):
            shutil.rmtree(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.stamps.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(started, stamp.encode())
        (self.stamps / f"{stage.name}.json").unlink(missing_ok=True)
        print(f"[{stage.name}] {stage.does} ({reason})", flush=True)
        begin = time.time()
        stage.make(self.ctx, folder)
        seconds = time.time() - begin
        missing = [p.name for p in stage.outputs(self.ctx) if not p.exists()]
        if missing:
            raise RecipeError(f"stage {stage.name} finished without writing {', '.join(missing)}.")
        record = {"stamp": stamp, "params": params, "inputs": inputs,
                  "outputs": {self.label(p): self.digests.of(p) for p in stage.outputs(self.ctx)},
                  "seconds": round(seconds, 1), "finished": time.strftime("%Y-%m-%d %H:%M:%S")}
        atomic_write_bytes(self.stamps / f"{stage.name}.json", (json.dumps(record, indent=1) + "\n").encode())
        started.unlink()
        self.digests.save()
        return Outcome(stage.name, "ran", reason, seconds)
