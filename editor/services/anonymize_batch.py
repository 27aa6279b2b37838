"""Anonymize photos and folders into an output folder: the CLI's `veil anonymize` and the GUI's Anonymize Folder.

Promises to privacy staff:
- Every output goes through the privacy metadata profile, face or no face, and the report lists the photos in
  which no face was found (a person must look at them: a missed face is not anonymized).
- No input is ever written or read back as an output: the output folder may not be, contain or lie inside an input.
- The report (OUTDIR/veil-anonymize-report.json) records each finished photo with its output's sha256. A later run
  with the same key and seed skips those whose output is still exactly what was recorded; any other output (one a
  killed run left behind, or one changed since) is done again. The summary describes the whole output folder.
- Worker processes die with the process that runs the batch, so a killed run leaves no writer behind.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence

from editor.anonymize.engine import AnonymizeOptions
from editor.core.atomic import atomic_write_bytes, leftover_temps
from editor.core.errors import VeilError
from editor.core.files import file_sha256, inside, real_path
from editor.core.metadata_profiles import privacy_metadata
from editor.core.progress import JobContext
from editor.services.anonymize_service import anonymize_faces, export_anonymized
from editor.services.vault_service import VaultService
from editor.vault.embed import sidecar_path
from editor.vision.pipeline import default_pipeline

REPORT_NAME = "veil-anonymize-report.json"
REPORT_VERSION = 1
SEALABLE = {"JPEG", "PNG", "WEBP", "TIFF"}
FINISHED = ("anonymized", "flagged", "no-face")
NO_FACE_MESSAGE = ("no face found: nothing was sealed; written with the privacy profile (no GPS, maker notes, "
                   "thumbnail or personal fields); check it by eye")


@dataclass
class FileReport:
    source: str
    output: Optional[str]
    status: str                       # anonymized | flagged | no-face | error
    faces: int = 0
    anonymized: int = 0
    flagged: int = 0
    failed: int = 0
    message: str = ""
    details: Optional[list] = None    # per-face outcome JSON
    output_sha256: Optional[str] = None

    def to_json(self) -> dict:
        return dict(self.__dict__)


def _count(entries: Sequence[dict]) -> dict:
    def total(name: str) -> int:
        return sum(int(e.get(name) or 0) for e in entries)

    return {"files": len(entries), "errors": sum(e.get("status") == "error" for e in entries),
            "no_face": sum(e.get("status") == "no-face" for e in entries),
            "faces_found": total("faces"), "anonymized": total("anonymized"), "flagged": total("flagged"),
            "failed_verification": total("failed")}


@dataclass
class BatchReport:
    files: list[FileReport]           # the photos done in this run
    skipped: int                      # photos of this run's inputs finished in an earlier run
    entries: dict = field(default_factory=dict)   # every photo the output folder's report holds, by source

    def summary(self) -> dict:
        """Counts over the whole output folder (earlier runs included), plus what this run did."""
        whole = _count(list(self.entries.values()))
        whole["skipped_finished"] = self.skipped
        whole["done_this_run"] = len(self.files)
        whole["this_run"] = _count([f.to_json() for f in self.files])
        return whole

    def needs_review(self) -> list[dict]:
        """Report entries a person must look at: flagged faces, photos without a face, photos that failed."""
        return [e for e in self.entries.values() if e.get("status") in ("flagged", "no-face", "error")]


# -- planning --------------------------------------------------------------------------------------------------------
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


def plan_batch(inputs: Sequence[str | Path], outdir: str | Path) -> list[tuple[Path, Path]]:
    """(source, output) for every photo: files go to OUTDIR/name, folders to OUTDIR/folder/... (tree kept).

    A BMP cannot carry recovery data, so its output is a PNG. Files that resolve into the output folder (a link to
    an output) are never inputs.
    """
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
    pairs = [(s, d.with_suffix(".png") if image_io.format_for_path(d) not in SEALABLE else d) for s, d in pairs]
    seen: dict[Path, Path] = {}
    sources = {real_path(s) for s, _ in pairs}
    for src, dst in pairs:
        if dst in seen:
            raise VeilError(f"{src} and {seen[dst]} would both be written to {dst}; put them in separate folders.")
        if real_path(dst) in sources:          # a link in the output folder that points at an original
            raise VeilError(f"{dst} leads to the input {src}; remove that link from the output folder.")
        seen[dst] = src
    return pairs


def photo_seed(seed: int, output: Path, outdir: Path) -> int:
    """Each photo's own seed, from the batch seed and where it goes: the same run is reproducible and resumable,
    while two photos with faces in the same place do not get the same new faces."""
    rel = output.relative_to(outdir).as_posix()
    return int.from_bytes(hashlib.sha256(f"{int(seed)}:{rel}".encode()).digest()[:4], "little")


# -- one photo -------------------------------------------------------------------------------------------------------
def anonymize_file(source: Path, output: Path, key: str, seed: int, *, sidecar: bool = False,
                   options: Optional[AnonymizeOptions] = None, vault: Optional[VaultService] = None) -> FileReport:
    """Detect, anonymize, verify and export one photo; a VeilError becomes an "error" report."""
    from editor.core import image_io

    try:
        loaded = image_io.load_image(source)
        faces = default_pipeline().find_faces(loaded.pixels)
        output.parent.mkdir(parents=True, exist_ok=True)
        if not faces:
            # Never a byte copy: GPS, maker notes and an EXIF thumbnail (which may show a face the detector
            # missed) would go out with it.
            data = image_io.encode_image(loaded.pixels, loaded.alpha, privacy_metadata(loaded.metadata),
                                         format=image_io.format_for_path(output))
            atomic_write_bytes(output, data)
            return FileReport(str(source), str(output), "no-face", message=NO_FACE_MESSAGE,
                              output_sha256=hashlib.sha256(data).hexdigest())
        result = anonymize_faces(loaded.pixels, faces, seed, options=options)
        sealed = export_anonymized(result.image, result, output, key, alpha=loaded.alpha, metadata=loaded.metadata,
                                   sidecar=sidecar, accept_flagged=True, vault=vault)
    except OSError as exc:     # e.g. the output folder cannot be made
        return FileReport(str(source), None, "error", message=f"could not write {output}: {exc.strerror or exc}")
    except VeilError as exc:
        return FileReport(str(source), None, "error", message=str(exc))
    flagged = len(result.flagged)
    return FileReport(str(source), str(output), "flagged" if flagged else "anonymized", faces=len(faces),
                      anonymized=len(faces) - flagged, flagged=flagged, failed=len(result.failed),
                      message="; ".join(f"face {o.index + 1}: {o.reasons[-1]}" for o in result.flagged),
                      details=[o.to_json() for o in result.outcomes], output_sha256=sealed.file_sha256)


# -- the report ------------------------------------------------------------------------------------------------------
def _load_report(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) and data.get("version") == REPORT_VERSION else {}


def _write_report(path: Path, key: str, key_id: str, seed: int, strength: str, entries: dict,
                  summary: dict) -> None:
    doc = {"version": REPORT_VERSION, "key": key, "key_id": key_id, "seed": seed, "strength": strength,
           "summary": summary, "files": entries}
    atomic_write_bytes(path, (json.dumps(doc, indent=1) + "\n").encode("utf-8"))


def _earlier_entries(old: dict, outdir: Path, key: str, key_id: str, seed: int, strength: str) -> dict:
    """The entries of an earlier run into `outdir`; refuses one made with another key, seed or strength, whose
    outputs would be mixed with this run's under one report."""
    if not old:
        return {}
    same_key = old.get("key_id") == key_id if old.get("key_id") else old.get("key") == key
    if not same_key or old.get("seed") != seed or old.get("strength", "standard") != strength:
        raise VeilError(f"{outdir} holds photos anonymized with another key, seed or strength (see {REPORT_NAME}); "
                        "choose a new output folder, or the same settings to resume that run.")
    files = old.get("files")
    return dict(files) if isinstance(files, dict) else {}


def _still_finished(entry: Optional[dict], output: Path) -> bool:
    """True when the report says the photo is done and its output is still the exact file the run wrote."""
    if not entry or entry.get("status") not in FINISHED or entry.get("output") != str(output):
        return False
    recorded = entry.get("output_sha256")
    try:
        return bool(recorded) and file_sha256(output) == recorded
    except OSError:                 # gone or unreadable: done again
        return False


def _remove_stale_temps(pairs: Sequence[tuple[Path, Path]]) -> None:
    """Hidden temp files that a killed run's atomic writes left next to its outputs."""
    for folder in {d.parent for _, d in pairs}:
        if not folder.is_dir():
            continue
        outputs = [d for _, d in pairs if d.parent == folder]
        for tmp in leftover_temps(folder, [p.name for d in outputs for p in (d, sidecar_path(d))]):
            try:
                tmp.unlink()
            except OSError:
                pass


# -- the batch -------------------------------------------------------------------------------------------------------
def _work(args: tuple) -> FileReport:
    source, output, key, seed, sidecar, options = args
    return anonymize_file(source, output, key, seed, sidecar=sidecar, options=options)


def anonymize_paths(inputs: Sequence[str | Path], outdir: str | Path, key: str, *, seed: int = 0,
                    sidecar: bool = False, jobs: int = 1, options: Optional[AnonymizeOptions] = None,
                    vault: Optional[VaultService] = None, on_file=None,
                    ctx: Optional[JobContext] = None) -> BatchReport:
    """Anonymize every photo under `inputs` into `outdir` (tree kept), sealing the originals for `key`.

    Resumable (see the module docstring). `on_file(report, done, total)` follows the progress; `ctx` reports it too
    and stops the batch between photos when cancelled (the finished ones stay recorded).
    """
    outdir = Path(outdir)
    vault = vault or VaultService()
    key_info = vault.keys.find(key)               # a missing key stops the batch before any work
    strength = (options or AnonymizeOptions()).strength
    pairs = plan_batch(inputs, outdir)
    report_path = outdir / REPORT_NAME
    entries = _earlier_entries(_load_report(report_path), outdir, key, key_info.key_id, seed, strength)
    outdir.mkdir(parents=True, exist_ok=True)
    _remove_stale_temps(pairs)
    todo = [(s, d) for s, d in pairs if not _still_finished(entries.get(str(s)), d)]
    batch = BatchReport([], len(pairs) - len(todo), entries)
    work = [(s, d, key, photo_seed(seed, d, outdir), sidecar, options) for s, d in todo]

    def record(rep: FileReport) -> None:
        batch.files.append(rep)
        entries[rep.source] = rep.to_json()
        _write_report(report_path, key, key_info.key_id, seed, strength, entries, batch.summary())
        if on_file is not None:
            on_file(rep, len(batch.files), len(todo))
        if ctx is not None:
            ctx.progress(len(batch.files) / max(len(todo), 1),
                         f"{len(batch.files)} of {len(todo)} photos done ({Path(rep.source).name})")

    if ctx is not None:
        skipped = batch.skipped
        ctx.progress(0.0, f"{len(todo)} photos to anonymize" + (f", {skipped} already done" if skipped else ""))
    if jobs <= 1 or len(work) <= 1:
        for s, d, k, sd, side, opt in work:
            record(anonymize_file(s, d, k, sd, sidecar=side, options=opt, vault=vault))
    else:
        _run_in_workers(work, jobs, record)
    _write_report(report_path, key, key_info.key_id, seed, strength, entries, batch.summary())
    return batch


def _run_in_workers(work: list, jobs: int, record) -> None:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    from editor.core.parent_watch import die_with_parent

    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"),
                             initializer=die_with_parent, initargs=(os.getpid(),)) as pool:
        futures = [pool.submit(_work, w) for w in work]
        try:
            for future in as_completed(futures):
                record(future.result())
        except BaseException:
            for future in futures:       # a cancel stops the photos not started; running ones finish
                future.cancel()
            raise
