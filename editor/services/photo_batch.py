"""Run one per-photo function over files and folders into an output folder: the machinery `veil anonymize` and
`veil unmask` share (and a cluster runner can reuse: the per-photo work is a plain function).

    kind = BatchKind("veil-unmask-report.json", finished=("unmasked", ...), settings={"engine": "face-model"}, ...)
    batch = run_batch(inputs, outdir, kind, work, options, jobs=2)

Promises every batch keeps:
- The folder tree is kept: a file goes to OUTDIR/name, a folder to OUTDIR/folder/... .
- No input is ever written or read back as an output: the output folder may not be, contain or lie inside an input,
  and a link in it to an original is refused.
- The report (OUTDIR/<report name>) records each finished photo with the sha256 of its source and of its output. A
  later run with the same settings skips a photo only when both are still exactly what was recorded; a photo never
  finished, whose output was changed or removed, or whose source was changed since, is done again. A run with other
  settings into the same folder is refused, so one report never mixes two kinds of output.
- The summary describes the whole output folder (earlier runs included) and what this run did.
- The report is rewritten whole after each photo while that is quick; once it holds so many photos that a rewrite
  takes long (about 0.5 s at 10,000), it is rewritten only as often as keeps that under a tenth of the run's time,
  and once more when the run ends or stops. A killed run then redoes the photos finished since the last rewrite.
- Temp files a killed run left next to its outputs are removed; worker processes die with the process that runs the
  batch, so a killed run leaves no writer behind.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Optional, Sequence

from editor.core.atomic import atomic_write_bytes, leftover_temps
from editor.core.errors import VeilError
from editor.core.files import file_sha256, inside, real_path
from editor.core.progress import JobContext

REPORT_VERSION = 1
# After a report rewrite that took t seconds, the next waits REWRITE_GAP * t: rewriting stays under a tenth of the
# run's time however many photos the report holds (a whole rewrite grows with them: ~55 ms per 1,000 photos).
REWRITE_GAP = 9.0


@dataclass
class PhotoReport:
    """One photo's line in a batch report; each batch adds its own counts."""

    source: str
    output: Optional[str]
    status: str
    message: str = ""
    output_sha256: Optional[str] = None
    source_sha256: Optional[str] = None

    def to_json(self) -> dict:
        return dict(self.__dict__)


# The per-photo work: a plain, picklable function of (source, output, options) that never raises for a bad photo
# (it returns an "error" report) and writes `output` atomically.
PhotoWork = Callable[[Path, Path, Any], PhotoReport]
# Runs (source, output, options) work items elsewhere (ray_executor.RayExecutor) and hands each photo's report to
# the callback, once per photo, as the photo finishes.
Executor = Callable[[PhotoWork, list, Callable[[PhotoReport], None]], None]


@dataclass(frozen=True)
class BatchKind:
    report_name: str
    finished: tuple[str, ...]                      # statuses a resumed run skips while the files are unchanged
    review: tuple[str, ...]                        # statuses a person must look at
    settings: Mapping[str, Any]                    # recorded in the report; a resume must use the same
    count: Callable[[Sequence[dict]], dict]        # the summary's numbers over report entries
    other_settings: str = "other settings"         # "another key, seed or strength", for the refusal sentence
    made: str = "made"                             # "anonymized": what the outputs are, for the same sentence
    same_settings: Optional[Callable[[dict], bool]] = None    # compares an earlier report's settings (default: ==)
    output_for: Callable[[Path], Path] = lambda path: path    # e.g. a BMP written as PNG
    companions: Callable[[Path], Sequence[Path]] = lambda path: ()   # files written beside an output (sidecars)


@dataclass
class BatchReport:
    files: list                       # the PhotoReports of the photos done in this run
    skipped: int                      # photos of this run's inputs finished in an earlier run
    entries: dict = field(default_factory=dict)   # every photo the output folder's report holds, by source
    kind: Optional[BatchKind] = None

    def summary(self) -> dict:
        """Counts over the whole output folder (earlier runs included), plus what this run did."""
        count = self.kind.count
        whole = count(list(self.entries.values()))
        whole["skipped_finished"] = self.skipped
        whole["done_this_run"] = len(self.files)
        whole["this_run"] = count([f.to_json() for f in self.files])
        return whole

    def needs_review(self) -> list[dict]:
        """Report entries a person must look at (flagged, no face, failed...)."""
        return [e for e in self.entries.values() if e.get("status") in self.kind.review]


# -- planning --------------------------------------------------------------------------------------------------------
def metadata_output(path: Path) -> Path:
    """`path`, or its PNG twin when its format cannot carry metadata (a BMP): an output that must say what it is
    (sealed originals, an invented area) is never written where that would be dropped."""
    from editor.core import image_io
    from editor.vault.embed import PAYLOAD_FORMATS

    return path.with_suffix(".png") if image_io.format_for_path(path) not in PAYLOAD_FORMATS else path


def check_output_folder(inputs: Sequence[str | Path], outdir: str | Path) -> None:
    """Refuse an output folder that is, contains or lies inside an input: outputs would replace the originals, or be
    read back as inputs by the next run."""
    out = real_path(outdir)
    for item in map(Path, inputs):
        src = real_path(item)
        if out == src:
            relation = "is"
        elif inside(out, src):
            relation = "is inside"
        elif inside(src, out):
            relation = "contains"
        else:
            continue
        raise VeilError(f"The output folder {outdir} {relation} the input {item}; choose an output folder outside "
                        "every input, so that no original is overwritten or read back as input.")


def plan_batch(inputs: Sequence[str | Path], outdir: str | Path,
               output_for: Callable[[Path], Path] = lambda path: path) -> list[tuple[Path, Path]]:
    """(source, output) for every photo: files go to OUTDIR/name, folders to OUTDIR/folder/... (tree kept), each
    output renamed by `output_for`. Files that resolve into the output folder (a link to an output) are never
    inputs."""
    from editor.core import image_io

    check_output_folder(inputs, outdir)
    outdir = Path(outdir)
    real_out = real_path(outdir)
    pairs: list[tuple[Path, Path]] = []
    for item in map(Path, inputs):
        if item.is_dir():
            for src in sorted(p for p in item.rglob("*") if p.is_file() and image_io.is_supported_path(p)):
                if not inside(real_path(src), real_out):
                    pairs.append((src, outdir / item.resolve().name / src.relative_to(item)))
        elif item.is_file():
            pairs.append((item, outdir / item.name))
        else:
            raise VeilError(f"{item} does not exist; give photos or folders of photos.")
    pairs = [(s, output_for(d)) for s, d in pairs]
    seen: dict[Path, Path] = {}
    sources = {real_path(s) for s, _ in pairs}
    for src, dst in pairs:
        if dst in seen:
            raise VeilError(f"{src} and {seen[dst]} would both be written to {dst}; put them in separate folders.")
        if real_path(dst) in sources:          # a link in the output folder that points at an original
            raise VeilError(f"{dst} leads to the input {src}; remove that link from the output folder.")
        seen[dst] = src
    return pairs


# -- the report ------------------------------------------------------------------------------------------------------
def load_report(path: Path) -> dict:
    """An earlier run's report, {} when there is none (or it is unreadable: everything is then done again)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) and data.get("version") == REPORT_VERSION else {}


def write_report(path: Path, settings: Mapping[str, Any], entries: dict, summary: dict) -> None:
    doc = {"version": REPORT_VERSION, **settings, "summary": summary, "files": entries}
    atomic_write_bytes(path, (json.dumps(doc, indent=1) + "\n").encode("utf-8"))


def earlier_entries(old: dict, outdir: Path, kind: BatchKind) -> dict:
    """The entries of an earlier run into `outdir`; refuses one made with other settings, whose outputs would be
    mixed with this run's under one report."""
    if not old:
        return {}
    same = kind.same_settings(old) if kind.same_settings else all(old.get(k) == v for k, v in kind.settings.items())
    if not same:
        raise VeilError(f"{outdir} holds photos {kind.made} with {kind.other_settings} (see {kind.report_name}); "
                        "choose a new output folder, or the same settings to resume that run.")
    files = old.get("files")
    return dict(files) if isinstance(files, dict) else {}


def still_finished(entry: Optional[dict], source: Path, output: Path, finished: Sequence[str]) -> bool:
    """True when the report says the photo is done, its output is still the exact file the run wrote, and its source
    is still the photo it was made from (when the report recorded it)."""
    if not entry or entry.get("status") not in finished or entry.get("output") != str(output):
        return False
    recorded = entry.get("output_sha256")
    try:
        if not recorded or file_sha256(output) != recorded:
            return False
        source_hash = entry.get("source_sha256")
        return not source_hash or file_sha256(source) == source_hash
    except OSError:                 # gone or unreadable: done again
        return False


def remove_stale_temps(pairs: Sequence[tuple[Path, Path]],
                       companions: Callable[[Path], Sequence[Path]] = lambda path: ()) -> None:
    """Hidden temp files that a killed run's atomic writes left next to its outputs."""
    for folder in {d.parent for _, d in pairs}:
        if not folder.is_dir():
            continue
        outputs = [d for _, d in pairs if d.parent == folder]
        names = [p.name for d in outputs for p in (d, *companions(d))]
        for tmp in leftover_temps(folder, names):
            try:
                tmp.unlink()
            except OSError:
                pass


# -- running ---------------------------------------------------------------------------------------------------------
def do_photo(work: PhotoWork, source: Path, output: Path, options: Any) -> PhotoReport:
    """`work` on one photo, its report stamped with the source's sha256 taken before it was read (a source changed
    meanwhile is then done again by the next run)."""
    try:
        source_hash: Optional[str] = file_sha256(source)
    except OSError:
        source_hash = None          # unreadable: the work says why
    report = work(source, output, options)
    report.source_sha256 = source_hash
    return report


def _do_photo_args(args: tuple) -> PhotoReport:
    return do_photo(*args)


def run_batch(inputs: Sequence[str | Path], outdir: str | Path, kind: BatchKind, work: PhotoWork,
              options_for: Callable[[Path, Path], Any], *, jobs: int = 1, local_work: Optional[PhotoWork] = None,
              on_file: Optional[Callable[[PhotoReport, int, int], None]] = None, ctx: Optional[JobContext] = None,
              verb: str = "process", executor: Optional[Executor] = None) -> BatchReport:
    """Do every photo under `inputs` into `outdir` that an earlier run did not finish (see the module docstring).

    `work(source, output, options_for(source, output))` does one photo: in worker processes when jobs > 1 (so `work`
    and the options must pickle), else in this process with `local_work` when given (the same work bound to
    resources that do not travel to a process, such as a keyring). An `executor` (a Ray cluster) runs the photos
    instead and hands each report to `record`. `on_file(report, done, total)` follows the progress; `ctx` reports
    it too and stops the batch between photos when cancelled (finished ones stay recorded).
    """
    outdir = Path(outdir)
    pairs = plan_batch(inputs, outdir, kind.output_for)
    report_path = outdir / kind.report_name
    entries = earlier_entries(load_report(report_path), outdir, kind)
    outdir.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(pairs, kind.companions)
    todo = [(s, d) for s, d in pairs if not still_finished(entries.get(str(s)), s, d, kind.finished)]
    batch = BatchReport([], len(pairs) - len(todo), entries, kind)
    work_items = [(s, d, options_for(s, d)) for s, d in todo]

    next_rewrite = 0.0

    def record(rep: PhotoReport) -> None:
        nonlocal next_rewrite
        batch.files.append(rep)
        entries[rep.source] = rep.to_json()
        started = time.monotonic()
        if started >= next_rewrite:
            write_report(report_path, kind.settings, entries, batch.summary())
            next_rewrite = time.monotonic() + (time.monotonic() - started) * REWRITE_GAP
        if on_file is not None:
            on_file(rep, len(batch.files), len(todo))
        if ctx is not None:
            ctx.progress(len(batch.files) / max(len(todo), 1),
                         f"{len(batch.files)} of {len(todo)} photos done ({Path(rep.source).name})")

    if ctx is not None:
        skipped = batch.skipped
        ctx.progress(0.0, f"{len(todo)} photos to {verb}" + (f", {skipped} already done" if skipped else ""))
    try:
        if executor is not None:
            executor(work, work_items, record)
            remove_stale_temps(todo, kind.companions)      # left by workers lost mid-photo (their photo was redone)
        elif jobs <= 1 or len(work_items) <= 1:
            for s, d, opts in work_items:
                record(do_photo(local_work or work, s, d, opts))
        else:
            _run_in_workers(work, work_items, jobs, record)
    finally:            # stopped or failed too: what was finished stays recorded
        write_report(report_path, kind.settings, entries, batch.summary())
    return batch


def _run_in_workers(work: PhotoWork, items: list, jobs: int, record: Callable[[PhotoReport], None]) -> None:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    from editor.core.parent_watch import die_with_parent

    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"),
                             initializer=die_with_parent, initargs=(os.getpid(),)) as pool:
        futures = [pool.submit(_do_photo_args, (work, s, d, opts)) for s, d, opts in items]
        try:
            for future in as_completed(futures):
                record(future.result())
        except BaseException:
            for future in futures:       # a cancel stops the photos not started; running ones finish
                future.cancel()
            raise
