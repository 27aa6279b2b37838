"""Remove face masks in photos and folders into an output folder: `veil unmask` on folders and the window's
File › Remove Face Masks in Folder.

What a retoucher gets:
- The output folder mirrors the inputs (tree kept): every photo is there. A photo with a face mask is written with
  the masks filled, its EXIF and colour profile kept, and its XMP stating that the filled area was invented (IPTC
  digital source type). A photo with no face, or with faces but no mask Veil can find, is copied unchanged, and the
  report lists it for a look (a mask the segmenter missed stays on).
- BMP cannot carry XMP, so a BMP's output is a PNG.
- The walk, the report (OUTDIR/veil-unmask-report.json), the resume, the temp cleanup and the worker processes are
  the shared batch machinery of `photo_batch`: a later run with the same engine and quality skips the photos whose
  source and output are still exactly what was recorded and does the rest.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from editor.core.atomic import atomic_write_bytes
from editor.core.errors import VeilError
from editor.core.metadata_profiles import with_digital_source_type
from editor.core.progress import JobContext
from editor.services.photo_batch import BatchKind, BatchReport, PhotoReport, metadata_output, run_batch
from editor.services.errors import NoFaceError
from editor.services.unmask_service import DEFAULT_UNMASK_ENGINE, NoFaceMaskError, find_and_fill_masks

REPORT_NAME = "veil-unmask-report.json"
UNMASKED, NO_MASK, NO_FACE, ERROR = "unmasked", "no-mask", "no-face", "error"
FINISHED = (UNMASKED, NO_MASK, NO_FACE)
REVIEW = (NO_MASK, NO_FACE, ERROR)


@dataclass
class UnmaskFileReport(PhotoReport):
    """status: unmasked | no-mask | no-face | error."""

    faces: int = 0
    masks_removed: int = 0
    engine: str = ""
    device: str = ""
    source_type: Optional[str] = None     # the digital source type the output's XMP states (None: unchanged copy)


@dataclass(frozen=True)
class UnmaskJob:
    """What one photo of a batch needs besides its paths; plain data, so it travels to a worker process."""

    engine: str = DEFAULT_UNMASK_ENGINE
    quality: Optional[int] = None          # JPEG/WebP quality (None: the writer's default)


def _count(entries: Sequence[dict]) -> dict:
    def status(name: str) -> int:
        return sum(e.get("status") == name for e in entries)

    return {"files": len(entries), "unmasked": status(UNMASKED), "no_mask": status(NO_MASK),
            "no_face": status(NO_FACE), "errors": status(ERROR),
            "masks_removed": sum(int(e.get("masks_removed") or 0) for e in entries)}


# -- one photo -------------------------------------------------------------------------------------------------------
def unmask_file(source: Path, output: Path, job: UnmaskJob) -> UnmaskFileReport:
    """The batch's per-photo work: find and fill the face masks of `source`, write `output` atomically; a VeilError
    becomes an "error" report."""
    from editor.core import image_io

    try:
        loaded = image_io.load_image(source)
        fmt = image_io.format_for_path(output)
        output.parent.mkdir(parents=True, exist_ok=True)
        try:
            result = find_and_fill_masks(loaded.pixels, engine=job.engine)
        except (NoFaceError, NoFaceMaskError) as exc:
            status = NO_FACE if isinstance(exc, NoFaceError) else NO_MASK
            # Nothing changed, so the photo goes out as it came: the same bytes when the format is kept.
            data = (source.read_bytes() if fmt == loaded.metadata.format else
                    image_io.encode_image(loaded.pixels, loaded.alpha, loaded.metadata, format=fmt,
                                          quality=job.quality))
            atomic_write_bytes(output, data)
            return UnmaskFileReport(str(source), str(output), status,
                                    message=f"{str(exc).rstrip('.')}: copied unchanged; check it by eye",
                                    output_sha256=hashlib.sha256(data).hexdigest())
        meta = with_digital_source_type(loaded.metadata, result.source_type)
        data = image_io.encode_image(result.filled(loaded.pixels), loaded.alpha, meta, format=fmt,
                                     quality=job.quality)
        atomic_write_bytes(output, data)
    except OSError as exc:     # e.g. the output folder cannot be made
        return UnmaskFileReport(str(source), None, ERROR, message=f"could not write {output}: {exc.strerror or exc}")
    except VeilError as exc:
        return UnmaskFileReport(str(source), None, ERROR, message=str(exc))
    return UnmaskFileReport(str(source), str(output), UNMASKED, output_sha256=hashlib.sha256(data).hexdigest(),
                            faces=len(result.outcomes), masks_removed=result.masks_removed, engine=result.engine,
                            device=result.device, source_type=result.source_type)


def load_models(engine: str) -> None:
    """Load the face detector and the fill engine when a cluster worker starts; what loads lazily loads with the
    worker's first photo, once per worker either way."""
    from editor.inpaint.registry import get_engine
    from editor.vision.pipeline import default_pipeline

    default_pipeline().find_faces(np.zeros((64, 64, 3), np.uint8))
    get_engine(engine)


# -- the batch -------------------------------------------------------------------------------------------------------
def unmask_paths(inputs: Sequence[str | Path], outdir: str | Path, *, engine: str = DEFAULT_UNMASK_ENGINE,
                 quality: Optional[int] = None, jobs: int = 1, on_file=None,
                 ctx: Optional[JobContext] = None, ray: Optional[str] = None, on_note=None) -> BatchReport:
    """Remove the face masks of every photo under `inputs` into `outdir` (tree kept). Resumable (see the module
    docstring). `on_file(report, done, total)` follows the progress; `ctx` reports it too and stops the batch
    between photos when cancelled (the finished ones stay recorded). With `ray` (a cluster address, or "local") the
    photos run on Ray workers (ray_executor.py); `jobs` then caps the number of workers (default: one per CPU of the
    cluster) and `on_note(text)` hears about lost workers."""
    from editor.inpaint.registry import ENGINES

    executor = None
    if ray is not None:
        from editor.services.ray_executor import RayExecutor, import_ray

        import_ray()                                   # missing: say how to install it before anything else
        executor = RayExecutor(ray, workers=jobs if jobs > 1 else None, on_note=on_note,
                               warm=partial(load_models, engine))
    if engine not in ENGINES:
        raise VeilError(f"Unknown inpainting engine '{engine}'; choose one of: {', '.join(ENGINES)}.")
    if quality is not None and not 1 <= int(quality) <= 100:
        raise VeilError(f"Quality must be between 1 and 100, not {quality}.")
    kind = BatchKind(REPORT_NAME, FINISHED, REVIEW, settings={"engine": engine, "quality": quality}, count=_count,
                     other_settings="another engine or quality", made="unmasked", output_for=metadata_output)
    job = UnmaskJob(engine, quality)
    return run_batch(inputs, outdir, kind, unmask_file, lambda source, output: job, jobs=jobs, on_file=on_file,
                     ctx=ctx, verb="unmask", executor=executor)
