"""Anonymize photos and folders into an output folder: the CLI's `veil anonymize` and the GUI's Anonymize Folder.

Promises to privacy staff:
- Every output goes through the privacy metadata profile, face or no face, and the report lists the photos in
  which no face was found (a person must look at them: a missed face is not anonymized).
- A BMP cannot carry recovery data, so a BMP's output is a PNG.
- The walk, the report (OUTDIR/veil-anonymize-report.json), the resume and the worker processes are the shared
  batch machinery of `photo_batch`: no input is ever written or read back as an output; a later run with the same
  key, seed and strength skips the photos whose source and output are still exactly what was recorded; the summary
  describes the whole output folder; a killed run leaves no writer behind.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from editor.anonymize.engine import UNCHANGED_NOTE, AnonymizeOptions
from editor.core.atomic import atomic_write_bytes
from editor.core.document import Document
from editor.core.errors import VeilError
from editor.core.metadata_profiles import privacy_metadata
from editor.core.progress import JobContext
from editor.services.anonymize_session import AnonymizeSession
from editor.services.errors import NoFaceError
from editor.services.faces import detect_faces
from editor.services.photo_batch import BatchKind, BatchReport, PhotoReport, metadata_output, run_batch
from editor.services.ray_worker import DriverLink, NoKeys
from editor.services.vault_service import VaultService
from editor.vault.embed import sidecar_path

REPORT_NAME = "veil-anonymize-report.json"
FINISHED = ("anonymized", "flagged", "no-face")
REVIEW = ("flagged", "no-face", "error")
SYMMETRIC_ON_RAY = ("--ray seals only for keyholders' public keys: with a symmetric key every Ray worker would hold "
                    "the secret that restores the faces; seal for --recipient (or your key pair) instead.")
NO_FACE_MESSAGE = ("no face found: nothing was sealed; written with the privacy profile (no GPS, maker notes, "
                   "thumbnail or personal fields); check it by eye")


@dataclass
class FileReport(PhotoReport):
    """status: anonymized | flagged | no-face | error."""

    faces: int = 0
    anonymized: int = 0
    flagged: int = 0
    failed: int = 0
    details: Optional[list] = None    # per-face outcome JSON


def _count(entries: Sequence[dict]) -> dict:
    def total(name: str) -> int:
        return sum(int(e.get(name) or 0) for e in entries)

    return {"files": len(entries), "errors": sum(e.get("status") == "error" for e in entries),
            "no_face": sum(e.get("status") == "no-face" for e in entries),
            "faces_found": total("faces"), "anonymized": total("anonymized"), "flagged": total("flagged"),
            "failed_verification": total("failed")}


# -- planning --------------------------------------------------------------------------------------------------------
def photo_seed(seed: int, output: Path, outdir: Path) -> int:
    """Each photo's own seed, from the batch seed and where it goes: the same run is reproducible and resumable,
    while two photos with faces in the same place do not get the same new faces."""
    rel = output.relative_to(outdir).as_posix()
    return int.from_bytes(hashlib.sha256(f"{int(seed)}:{rel}".encode()).digest()[:4], "little")


# -- one photo -------------------------------------------------------------------------------------------------------
def anonymize_file(source: Path, output: Path, key: Optional[str], seed: int, *, sidecar: bool = False,
                   options: Optional[AnonymizeOptions] = None, vault: Optional[VaultService] = None,
                   recipients: Sequence = (), signer=None) -> FileReport:
    """Detect, anonymize, verify and export one photo, sealed for `key` and/or `recipients` (labels, ids or
    RecipientKey objects) and signed by `signer` (default: the vault's signing key); a VeilError becomes an "error"
    report.

    The photo goes through the AnonymizeSession the window uses (every face, then apply, then export with the
    flagged faces accepted: the report lists them), so a photo gives the same pixels from either.
    """
    from editor.core import image_io

    try:
        loaded = image_io.load_image(source)
        doc = Document.from_loaded(loaded)
        session = AnonymizeSession(doc)
        try:
            run = session.anonymize_job(seed, options=options)(JobContext())
        except NoFaceError:
            run = None
        output.parent.mkdir(parents=True, exist_ok=True)
        if run is None:
            # Never a byte copy: GPS, maker notes and an EXIF thumbnail (which may show a face the detector
            # missed) would go out with it.
            data = image_io.encode_image(loaded.pixels, loaded.alpha, privacy_metadata(loaded.metadata),
                                         format=image_io.format_for_path(output))
            atomic_write_bytes(output, data)
            return FileReport(str(source), str(output), "no-face", message=NO_FACE_MESSAGE,
                              output_sha256=hashlib.sha256(data).hexdigest())
        result = session.review(run)
        session.apply()
        sealed = session.export(output, key, sidecar=sidecar, accept_flagged=True, vault=vault,
                                recipients=recipients, signer=signer)
    except OSError as exc:     # e.g. the output folder cannot be made
        return FileReport(str(source), None, "error", message=f"could not write {output}: {exc.strerror or exc}")
    except VeilError as exc:
        return FileReport(str(source), None, "error", message=str(exc))
    faces = doc.faces
    flagged = len(result.flagged)
    return FileReport(str(source), str(output), "flagged" if flagged else "anonymized", faces=len(faces),
                      anonymized=len(faces) - flagged, flagged=flagged, failed=len(result.failed),
                      message="; ".join(f"face {o.index + 1}: {o.reasons[-1]}" for o in result.flagged),
                      details=[o.to_json() for o in result.outcomes], output_sha256=sealed.file_sha256)


@dataclass(frozen=True)
class AnonymizeJob:
    """What one photo of a batch needs besides its paths; plain data, so it travels to a worker process."""

    key: Optional[str]                  # a symmetric key's id, or None when sealing for `recipients`
    seed: int
    sidecar: bool = False
    options: Optional[AnonymizeOptions] = None
    recipients: tuple = ()              # ids of public keys (key pairs or recipients), or on a cluster the keys


def anonymize_one(source: Path, output: Path, job: AnonymizeJob, vault: Optional[VaultService] = None) -> FileReport:
    """The batch's per-photo work: a plain function of (source, output, job)."""
    return anonymize_file(source, output, job.key, job.seed, sidecar=job.sidecar, options=job.options, vault=vault,
                          recipients=job.recipients)


def anonymize_for_driver(source: Path, output: Path, job: AnonymizeJob, driver: DriverLink) -> FileReport:
    """The per-photo work on a cluster worker, which holds no key: it seals for the public keys in `job`, the
    driver signs (`driver.signer`) and keeps the audit entries (`driver.audit`)."""
    vault = VaultService(keystore=NoKeys(), audit=driver.audit)
    return anonymize_file(source, output, None, job.seed, sidecar=job.sidecar, options=job.options, vault=vault,
                          recipients=job.recipients, signer=driver.signer)


def load_models() -> None:
    """Load the face detector and the anonymize engine when a cluster worker starts; what loads lazily loads with
    the worker's first photo, once per worker either way."""
    from editor.services.anonymize_service import engine

    engine()
    detect_faces(np.zeros((64, 64, 3), np.uint8))


# -- the batch -------------------------------------------------------------------------------------------------------
def anonymize_paths(inputs: Sequence[str | Path], outdir: str | Path, key: Optional[str], *, seed: int = 0,
                    sidecar: bool = False, jobs: int = 1, options: Optional[AnonymizeOptions] = None,
                    vault: Optional[VaultService] = None, on_file=None,
                    ctx: Optional[JobContext] = None, recipients: Sequence[str] = (), ray: Optional[str] = None,
                    on_note=None) -> BatchReport:
    """Anonymize every photo under `inputs` into `outdir` (tree kept), sealing the originals for `key` (one
    symmetric key, or your key pair) and/or `recipients` (keyholders' public keys: no secret is needed).

    Resumable (see the module docstring). `on_file(report, done, total)` follows the progress; `ctx` reports it too
    and stops the batch between photos when cancelled (the finished ones stay recorded). With `ray` (a cluster
    address, or "local") the photos run on Ray workers that hold no key (ray_executor.py); `jobs` then caps the
    number of workers (default: one per CPU of the cluster) and `on_note(text)` hears about lost workers.
    """
    outdir = Path(outdir)
    vault = vault or VaultService()
    if ray is not None:
        from editor.services.ray_executor import import_ray

        import_ray()                                   # missing: say how to install it before anything else
    targets = vault.seal_targets(key, recipients)     # a missing key stops the batch before any work
    if ray is not None and targets.symmetric_key is not None:
        raise VeilError(SYMMETRIC_ON_RAY)
    key_id = ",".join(sorted(k.key_id for k in targets.keys))
    key = key or ", ".join(recipients)
    public = () if targets.symmetric_key is not None else tuple(k.key_id for k in targets.keys)
    if public:
        vault.signer()      # made here, once, before worker processes would each race to make one
    strength = (options or AnonymizeOptions()).strength

    def same_settings(old: dict) -> bool:
        same_key = old.get("key_id") == key_id if old.get("key_id") else old.get("key") == key
        return same_key and old.get("seed") == seed and old.get("strength", "standard") == strength

    kind = BatchKind(REPORT_NAME, FINISHED, REVIEW,
                     settings={"key": key, "key_id": key_id, "seed": seed, "strength": strength,
                               "verified_covers": UNCHANGED_NOTE},
                     count=_count, other_settings="another key, seed or strength", made="anonymized",
                     same_settings=same_settings, output_for=metadata_output,
                     companions=lambda output: (sidecar_path(output),))
    if ray is not None:
        from editor.services.ray_executor import DriverServices, RayExecutor

        executor = RayExecutor(ray, workers=jobs if jobs > 1 else None, on_note=on_note, warm=load_models,
                               driver=DriverServices(vault.signer(), vault.audit))
        return run_batch(inputs, outdir, kind, anonymize_for_driver,
                         lambda source, output: AnonymizeJob(None, photo_seed(seed, output, outdir), sidecar,
                                                             options, targets.recipients),
                         on_file=on_file, ctx=ctx, verb="anonymize", executor=executor)
    return run_batch(inputs, outdir, kind, anonymize_one,
                     lambda source, output: AnonymizeJob(None if public else targets.keys[0].key_id,
                                                         photo_seed(seed, output, outdir), sidecar, options, public),
                     jobs=jobs, local_work=partial(anonymize_one, vault=vault), on_file=on_file, ctx=ctx,
                     verb="anonymize")
