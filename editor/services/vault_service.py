"""Use cases of the recovery vault, shared by the CLI and the GUI: keys, sealing regions, inspecting, recovering.

Sealing order matters for lossy formats: the image is encoded first, decoded again, and the payload records the
hash of *those* decoded pixels; embedding the payload only adds metadata, so the file decodes to exactly them.
Recovery checks every condition (payload present and well-formed, key present, key right, data authentic,
pixels unchanged) before anything is written.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterable, Optional, Sequence

import cv2
import numpy as np

from editor.core import image_io
from editor.core.atomic import atomic_write_bytes
from editor.core.errors import ImageError
from editor.core.files import same_file
from editor.core.geometry import Rect
from editor.core.image_types import ImageMetadata, LoadedImage
from editor.core.metadata_profiles import privacy_metadata, retouch_metadata
from editor.core.progress import JobContext
from editor.vault.audit import AuditLog
from editor.vault.embed import FORMATS as EMBED_FORMATS
from editor.vault.embed import embed_payload, extract_payload, sidecar_path, without_stale_payload
from editor.vault.errors import ConfirmationRequired, NoPayloadError, VaultError
from editor.vault.fills import apply_classical_fill
from editor.vault.keyfile import MAX_FILE_BYTES, check_passphrase, open_key_file, seal_key_file
from editor.vault.keystore import KeyInfo, KeyStore
from editor.vault.payload import (MAX_PAYLOAD_BYTES, MAX_REGIONS, REGION_KINDS, RecoveredRegion, SealedRegion,
                                  build_payload, image_digest, open_payload, parse_payload)

FILLS = ("inpaint", "blur", "pixelate", "solid")
KEEP = "keep"       # the caller already hid the regions: `published` is exported as given (the GUI's edited photo)
PROFILES = ("privacy", "retouch")
LOSSLESS_OUTPUTS = ("PNG", "TIFF", "WEBP")
_FORMAT_ALIASES = {"JPG": "JPEG", "TIF": "TIFF"}
_ALPHA_FORMATS = ("PNG", "WEBP", "TIFF")
MAX_IMAGE_FILE_BYTES = 2 << 30     # a sealed file is read whole; image_io bounds the pixels, this the bytes
NO_PAYLOAD = ("This file has no recovery data (it was never sealed, or its metadata was stripped on the way); "
              "ask the sender for the original file or its .veil sidecar.")


@dataclass(frozen=True)
class SealRegion:
    """A region to hide and seal: its rectangle, the pixels inside it to fill (None = all), and its kind."""

    rect: Rect
    mask: Optional[np.ndarray] = None       # rect-sized bool
    kind: str = "region"

    def fill_mask(self) -> np.ndarray:
        if self.mask is None:
            return np.ones((self.rect.height, self.rect.width), bool)
        return np.asarray(self.mask, dtype=bool)


@dataclass(frozen=True)
class SealResult:
    path: Path
    sidecar: Optional[Path]
    key: KeyInfo
    regions: tuple[SealedRegion, ...]
    file_sha256: str


@dataclass(frozen=True)
class SealInfo:
    """What a sealed file says about itself. Unauthenticated until `recover` opens it with the key."""

    key_id: str
    key_label: str
    key_available: bool
    width: int
    height: int
    regions: tuple[SealedRegion, ...]
    created: str
    source: Path            # the image itself (embedded) or the sidecar the payload came from


@dataclass(frozen=True)
class RecoverResult:
    path: Path
    restored: tuple[int, ...]
    key_id: str


def regions_from_mask(mask: np.ndarray, kind: str = "region") -> list[SealRegion]:
    """One region per 8-connected area of a boolean (or 0/255) mask: its bounding rect and its own pixels."""
    selected = np.asarray(mask) > 0
    count, labels, stats, _ = cv2.connectedComponentsWithStats(selected.astype(np.uint8), connectivity=8)
    if count - 1 > MAX_REGIONS:
        raise VaultError(f"The mask has {count - 1} separate areas; Veil seals at most {MAX_REGIONS}, "
                         "so join or simplify them.")
    regions = []
    for label in range(1, count):
        x, y, w, h = (int(v) for v in stats[label, :4])
        rect = Rect(x, y, x + w, y + h)
        regions.append(SealRegion(rect, labels[rect.slices] == label, kind))
    return regions


def load_mask(path: str | Path, width: int, height: int) -> np.ndarray:
    """A mask image (white = selected; transparent counts as not selected) as a bool array of the photo's size."""
    loaded = image_io.load_image(path)
    if (loaded.width, loaded.height) != (width, height):
        raise ImageError(f"The mask {Path(path).name} is {loaded.width} x {loaded.height} pixels but the photo is "
                         f"{width} x {height}; draw the mask at the photo's size.")
    selected = loaded.pixels.max(axis=2) > 127
    if loaded.alpha is not None:
        selected &= loaded.alpha > 127
    return selected


def _read_bytes(path: Path, what: str, limit: int) -> bytes:
    """The whole file, refusing one larger than `limit` before reading it."""
    size = f"{limit >> 20} MB" if limit >= 1 << 20 else f"{limit >> 10} KB"
    too_large = VaultError(f"The {what} {path} is larger than Veil accepts ({size}).")
    try:
        with open(path, "rb") as f:
            if os.fstat(f.fileno()).st_size > limit:
                raise too_large
            data = f.read(limit + 1)
    except FileNotFoundError:
        raise VaultError(f"The {what} {path} does not exist.") from None
    except OSError as e:
        raise VaultError(f"The {what} {path} could not be read ({(e.strerror or str(e)).lower()}).") from None
    if len(data) > limit:
        raise too_large
    return data


def _union_mask(regions: Sequence[SealRegion], shape: tuple[int, ...]) -> np.ndarray:
    hidden = np.zeros(shape[:2], bool)
    for region in regions:
        hidden[region.rect.slices] |= region.fill_mask()
    return hidden


def _apply_fills(pixels: np.ndarray, regions: Sequence[SealRegion], fill: str, ctx: JobContext) -> np.ndarray:
    """A copy of `pixels` with each region's mask hidden by `fill` (the registry's default engine for inpaint)."""
    edited = np.array(pixels, dtype=np.uint8, copy=True)
    if fill != "inpaint":
        for i, region in enumerate(regions):
            ctx.progress(i / len(regions), f"Hiding region {i + 1} of {len(regions)}")
            apply_classical_fill(edited, region.rect, region.fill_mask(), fill)
        return edited
    from editor.inpaint.registry import DEFAULT_ENGINE, get_engine

    engine = get_engine(DEFAULT_ENGINE)
    hidden = _union_mask(regions, edited.shape[:2])
    # No original pixel under any mask ever reaches the engine, whatever the engine does with masked input.
    edited[hidden] = edited[~hidden].mean(axis=0).astype(np.uint8) if (~hidden).any() else 128
    for i, region in enumerate(regions):
        step = ctx.sub(i / len(regions), (i + 1) / len(regions))
        step.progress(0.0, f"Inpainting region {i + 1} of {len(regions)}")
        full = np.zeros(edited.shape[:2], np.uint8)
        full[region.rect.slices][region.fill_mask()] = 255
        rect, patch = engine.run_region(edited, full, step)
        inside = full[rect.slices] > 0
        edited[rect.slices][inside] = patch[inside]
    return edited


def _compose(published: LoadedImage, opened: Sequence[RecoveredRegion], channels: int) -> LoadedImage:
    """The published image with the chosen regions' originals written back.

    Pixels hidden by a region that stays sealed stay hidden, even where another region's rectangle covers them.
    """
    pixels = published.pixels.copy()
    alpha = None if published.alpha is None else published.alpha.copy()
    if channels == 4 and alpha is None:
        alpha = np.full(pixels.shape[:2], 255, np.uint8)
    keep_hidden = np.zeros(pixels.shape[:2], bool)
    for item in opened:
        if item.pixels is None:
            keep_hidden[item.region.rect.slices] |= item.mask
    for item in opened:
        if item.pixels is None:
            continue
        rows_cols = item.region.rect.slices
        write = ~keep_hidden[rows_cols]
        pixels[rows_cols][write] = item.pixels[..., :3][write]
        if alpha is not None and channels == 4:
            alpha[rows_cols][write] = item.pixels[..., 3][write]
    if alpha is not None and int(alpha.min()) == 255:
        alpha = None        # image_io reads a fully opaque alpha as none, so write it as none
    metadata = published.metadata.copy()
    metadata.exif = without_stale_payload(metadata.exif)
    return LoadedImage(pixels, alpha, metadata)


class VaultService:
    def __init__(self, keystore: Optional[KeyStore] = None, audit: Optional[AuditLog] = None) -> None:
        self.keys = keystore or KeyStore()
        self.audit = audit or AuditLog()

    # -- keys -----------------------------------------------------------------------------------------------
    def create_key(self, label: str) -> KeyInfo:
        info = self.keys.create(label)
        self.audit.append("key.create", key_id=info.key_id)
        return info

    def list_keys(self) -> list[KeyInfo]:
        return self.keys.list_keys()

    def delete_key(self, ref: str, *, confirm: bool = False) -> KeyInfo:
        info = self.keys.find(ref)
        if not confirm:
            raise ConfirmationRequired(
                f"Deleting the recovery key {info.describe()} makes every photo sealed with it unrecoverable "
                "unless another keyholder has it, so Veil needs your confirmation to delete it."
            )
        self.keys.delete(info.key_id)
        self.audit.append("key.delete", key_id=info.key_id)
        return info

    def export_key(self, ref: str, passphrase: str, out_path: str | Path) -> KeyInfo:
        """Write the key to a passphrase-protected file for another keyholder."""
        check_passphrase(passphrase)
        info = self.keys.find(ref)
        data = seal_key_file(info, self.keys.key_bytes(info.key_id, info.label), passphrase)
        atomic_write_bytes(out_path, data)
        self.audit.append("key.export", key_id=info.key_id, file_sha256=hashlib.sha256(data).hexdigest())
        return info

    def import_key(self, path: str | Path, passphrase: str, label: Optional[str] = None) -> KeyInfo:
        data = _read_bytes(Path(path), "key file", MAX_FILE_BYTES)
        info, key = open_key_file(data, passphrase)
        if label:
            info = replace(info, label=label)
        info = self.keys.add(info, key)
        self.audit.append("key.import", key_id=info.key_id, file_sha256=hashlib.sha256(data).hexdigest())
        return info

    # -- sealing --------------------------------------------------------------------------------------------
    def seal_image(self, pixels: np.ndarray, alpha: Optional[np.ndarray], metadata: Optional[ImageMetadata],
                   regions: Sequence[SealRegion], *, key: str, out_path: str | Path, fill: str = "inpaint",
                   published: Optional[np.ndarray] = None, fmt: Optional[str] = None, sidecar: bool = False,
                   profile: str = "privacy", quality: Optional[int] = None,
                   ctx: Optional[JobContext] = None) -> SealResult:
        """Hide `regions` with `fill`, seal their original pixels for `key` (id or label), write `out_path`.

        The payload is embedded in the file (PNG, JPEG, WebP, TIFF) and, with `sidecar`, also written to
        `<out_path>.veil`. Nothing is written if any step fails. With fill="keep", `published` (the size of
        `pixels`) is what recipients see, as the caller already edited it; `pixels` stay the sealed originals.
        """
        ctx = ctx or JobContext()
        out_path = Path(out_path)
        fmt = _FORMAT_ALIASES.get(fmt.upper(), fmt.upper()) if fmt else image_io.format_for_path(out_path)
        self._check_seal_request(pixels, alpha, regions, fill, profile, fmt, sidecar, published)
        info = self.keys.find(key)
        kek = self.keys.key_bytes(info.key_id, info.label)

        ctx.progress(0.0, f"Hiding {len(regions)} region(s) ({fill})")
        if fill == KEEP:
            edited = np.array(published, dtype=np.uint8, copy=True)
        else:
            edited = _apply_fills(pixels, regions, fill, ctx.sub(0.0, 0.6))
        published_alpha = None
        if alpha is not None:
            # Transparency inside a hidden region could outline what was there; it is sealed with the pixels.
            published_alpha = alpha.copy()
            published_alpha[_union_mask(regions, alpha.shape)] = 255
        meta = None
        if metadata is not None:
            meta = privacy_metadata(metadata) if profile == "privacy" else retouch_metadata(metadata)
            meta.exif = without_stale_payload(meta.exif)

        ctx.progress(0.6, f"Encoding {fmt}")
        encoded = image_io.encode_image(edited, published_alpha, meta, format=fmt, quality=quality)
        published = image_io.load_image_bytes(encoded, out_path.name)
        digest = image_digest(published.pixels, published.alpha)

        ctx.progress(0.75, "Sealing the original pixels")
        sealed = [(SealedRegion(i + 1, r.kind, r.rect), r.fill_mask()) for i, r in enumerate(regions)]
        payload = build_payload(
            key_id=info.key_id, key_label=info.label, kek=kek, original=pixels, original_alpha=alpha,
            regions=sealed, published_sha256=digest,
            channels=4 if alpha is not None and fmt in _ALPHA_FORMATS else 3,
        )
        data = encoded
        if fmt in EMBED_FORMATS:
            data = embed_payload(encoded, payload)
            check = image_io.load_image_bytes(data, out_path.name)
            if image_digest(check.pixels, check.alpha) != digest or extract_payload(data) != payload:
                raise VaultError(f"Embedding the recovery data changed the {fmt} file; nothing was written.")

        ctx.progress(0.9, f"Writing {out_path.name}")
        atomic_write_bytes(out_path, data)
        side = None
        if sidecar:
            side = atomic_write_bytes(sidecar_path(out_path), payload)
        file_hash = hashlib.sha256(data).hexdigest()
        self.audit.append("seal", file_sha256=file_hash, key_id=info.key_id,
                          faces=[r.index for r, _ in sealed])
        ctx.progress(1.0, "Sealed")
        return SealResult(out_path, side, info, tuple(r for r, _ in sealed), file_hash)

    @staticmethod
    def _check_seal_request(pixels: np.ndarray, alpha: Optional[np.ndarray], regions: Sequence[SealRegion],
                            fill: str, profile: str, fmt: str, sidecar: bool,
                            published: Optional[np.ndarray] = None) -> None:
        if fill not in FILLS + (KEEP,):
            raise VaultError(f"Unknown fill '{fill}'; use one of: {', '.join(FILLS + (KEEP,))}.")
        if (fill == KEEP) != (published is not None):
            raise ValueError("published pixels are given with fill='keep', and only then")
        if published is not None and published.shape != pixels.shape:
            raise ValueError("published pixels must match the originals' shape")
        if profile not in PROFILES:
            raise VaultError(f"Unknown export profile '{profile}'; use one of: {', '.join(PROFILES)}.")
        if fmt not in EMBED_FORMATS and not sidecar:
            raise VaultError(f"A {fmt} file cannot carry recovery data; export as PNG, JPEG, WebP or TIFF, "
                             "or ask for a .veil sidecar.")
        if not regions:
            raise VaultError("Nothing to seal: select at least one face or region.")
        if len(regions) > MAX_REGIONS:
            raise VaultError(f"Veil seals at most {MAX_REGIONS} regions per photo; this photo has {len(regions)}.")
        h, w = pixels.shape[:2]
        for r in regions:
            if r.kind not in REGION_KINDS:
                raise ValueError(f"region kind must be one of {REGION_KINDS}")
            if r.rect.empty or r.rect.clip(w, h) != r.rect:
                raise VaultError("A region to seal lies outside the photo; redraw it inside the picture.")
            if r.mask is not None and r.mask.shape != (r.rect.height, r.rect.width):
                raise ValueError("region mask must have the rect's size")
        if alpha is not None and alpha.shape != (h, w):
            raise ValueError("alpha must match the pixels")

    # -- inspecting and recovering --------------------------------------------------------------------------
    def _payload_of(self, path: Path, data: bytes, payload_path: Optional[Path]) -> tuple[bytes, Path]:
        if payload_path is not None:
            return _read_bytes(payload_path, "recovery data file", MAX_PAYLOAD_BYTES), payload_path
        embedded = extract_payload(data)
        if embedded is not None:
            return embedded, path
        side = sidecar_path(path)
        if side.is_file():
            return _read_bytes(side, "sidecar", MAX_PAYLOAD_BYTES), side
        raise NoPayloadError(NO_PAYLOAD)

    def inspect(self, path: str | Path, payload_path: Optional[str | Path] = None) -> SealInfo:
        path = Path(path)
        data = _read_bytes(path, "image", MAX_IMAGE_FILE_BYTES)
        raw, source = self._payload_of(path, data, Path(payload_path) if payload_path else None)
        header = parse_payload(raw).header
        try:
            available = self.keys.lookup(header.key_id) is not None
        except VaultError:
            available = False
        return SealInfo(header.key_id, header.key_label, available, header.width, header.height,
                        header.regions, header.created, source)

    def recover(self, path: str | Path, out_path: str | Path, faces: Optional[Iterable[int]] = None,
                payload_path: Optional[str | Path] = None, ctx: Optional[JobContext] = None) -> RecoverResult:
        """Restore all sealed regions (or the 1-based `faces`) bit-exactly and write them to `out_path`.

        Pixels that a region not chosen had hidden stay hidden, even where the rectangles overlap.
        """
        ctx = ctx or JobContext()
        path, out_path = Path(path), Path(out_path)
        out_fmt = image_io.format_for_path(out_path)
        if out_fmt not in LOSSLESS_OUTPUTS:
            raise VaultError(f"Recovered photos are saved losslessly so the restored regions stay exact; "
                             f"name the output .png, .tif or .webp instead of {out_path.suffix}.")
        if same_file(path, out_path):
            raise VaultError(f"Recovering into {path.name} would overwrite the sealed file; choose another name.")
        if payload_path and same_file(payload_path, out_path):
            raise VaultError(f"Recovering into {out_path.name} would overwrite the recovery data file; "
                             "choose another name.")
        ctx.progress(0.0, f"Reading {path.name}")
        data = _read_bytes(path, "image", MAX_IMAGE_FILE_BYTES)
        raw, _ = self._payload_of(path, data, Path(payload_path) if payload_path else None)
        payload = parse_payload(raw)
        header = payload.header
        kek = self.keys.key_bytes(header.key_id, header.key_label)
        ctx.progress(0.2, "Decoding the photo")
        published = image_io.load_image_bytes(data, path.name)
        ctx.progress(0.5, "Opening the recovery data")
        chosen = None if faces is None else sorted(set(int(f) for f in faces))
        opened = open_payload(payload, kek, image_digest(published.pixels, published.alpha), chosen)
        restored = _compose(published, opened, header.channels)

        ctx.progress(0.8, f"Writing {out_path.name}")
        encoded = image_io.encode_image(restored.pixels, restored.alpha, restored.metadata, format=out_fmt)
        check = image_io.load_image_bytes(encoded, out_path.name)
        if image_digest(check.pixels, check.alpha) != image_digest(restored.pixels, restored.alpha):
            raise VaultError(f"The {out_fmt} encoder did not keep the restored pixels exact; nothing was written.")
        atomic_write_bytes(out_path, encoded)
        indices = tuple(r.region.index for r in opened if r.pixels is not None)
        self.audit.append("recover", file_sha256=hashlib.sha256(data).hexdigest(), key_id=header.key_id,
                          faces=list(indices))
        ctx.progress(1.0, "Recovered")
        return RecoverResult(out_path, indices, header.key_id)
