"""Open, save and export photos. The source file is only ever written by an explicit Save."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from editor.core import image_io
from editor.core.document import Document
from editor.core.errors import ImageError
from editor.core.files import same_file
from editor.core.image_types import ImageMetadata
from editor.core.metadata_profiles import privacy_metadata, retouch_metadata, with_digital_source_type
from editor.core.progress import JobContext

PROFILES = ("retouch", "privacy")


def open_document(path: str | Path, ctx: Optional[JobContext] = None) -> Document:
    if ctx:
        ctx.progress(0.0, f"Opening {Path(path).name}")
    loaded = image_io.load_image(path)
    if ctx:
        ctx.progress(1.0, "Opened")
    return Document.from_loaded(loaded)


def save_document(doc: Document, path: Optional[str | Path] = None, *, quality: Optional[int] = None) -> Path:
    """Save (path None: over the document's own file) or Save As; keeps EXIF/ICC (retouch profile)."""
    target = Path(path) if path else doc.path
    if target is None:
        raise ImageError("This photo has no file yet; use Save As to choose where to save it.")
    image_io.save_image(target, doc.image, doc.alpha, metadata_for_export(doc), quality=quality)
    doc.mark_saved(target)
    return target


def export_document(doc: Document, path: str | Path, *, profile: str = "retouch",
                    quality: Optional[int] = None) -> Path:
    """Write a copy for sharing. Never replaces the open document's own file and never marks it saved."""
    target = Path(path)
    if profile not in PROFILES:
        raise ImageError(f"Unknown export profile '{profile}'; use one of: {', '.join(PROFILES)}.")
    if doc.path is not None and same_file(target, doc.path):
        raise ImageError(f"Export would overwrite the original {target.name}; choose another file name.")
    meta = metadata_for_export(doc)
    meta = privacy_metadata(meta) if profile == "privacy" else retouch_metadata(meta)
    return image_io.save_image(target, doc.image, doc.alpha, meta, quality=quality)


def metadata_for_export(doc: Document) -> ImageMetadata:
    """The document's metadata, its XMP stating the digital source type when an edit now in the photo invented
    pixels (a face mask filled, a face replaced), so no file written from it passes an estimate off as captured."""
    return with_digital_source_type(doc.metadata, doc.estimated_source_type()) or doc.metadata
