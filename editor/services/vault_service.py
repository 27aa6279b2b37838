"""Use cases of the recovery vault, shared by the CLI and the GUI: sealing regions, inspecting, recovering (the
key use cases are in key_service.py).

A photo is sealed either for one symmetric key (payload format 1, as the first design did) or for keyholders'
public keys (format 2), signed by this profile's signing key or by a `signer` the caller passes (a cluster's
driver, say: workers then hold no secret at all). Recovery of a format-2 payload refuses a bad signature and an
impostor of a trusted sealer before any key is used, and says who sealed the photo.

Sealing order matters for lossy formats: the image is encoded first, decoded again, and the payload records the
hash of *those* decoded pixels; embedding the payload only adds metadata, so the file decodes to exactly them.
Recovery checks every condition (payload present and well-formed, key present, key right, data authentic,
pixels unchanged) before anything is written.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import partial
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
from editor.vault.embed import PAYLOAD_FORMATS
from editor.vault.embed import embed_payload, extract_payload, sidecar_path, without_stale_payload
from editor.vault.errors import NoPayloadError, VaultError
from editor.vault.fills import apply_classical_fill
from editor.vault.keypairs import RecipientKey
from editor.vault.keystore import KeyInfo
from editor.vault.payload import (MAX_PAYLOAD_BYTES, MAX_REGIONS, REGION_KINDS, Payload, RecoveredRegion,
                                  SealedRegion, build_payload, image_digest, open_payload)
from editor.vault.sealed_payload import SealedPayload, build_sealed_payload, open_sealed_payload, read_payload
from editor.vault.signing import SealerIdentity, Signer

from .file_reading import read_bytes
from .key_service import KeyService, SealerCheck

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
    key: KeyInfo                            # the first keyholder sealed for
    regions: tuple[SealedRegion, ...]
    file_sha256: str
    keys: tuple[KeyInfo, ...] = ()          # every keyholder sealed for
    sealer: Optional[SealerIdentity] = None     # who signed (format 2)


@dataclass(frozen=True)
class Keyholder:
    """A keyholder a photo is sealed for, and whether this keyring can restore for them."""

    key_id: str
    label: str
    available: bool


@dataclass(frozen=True)
class SealInfo:
    """What a sealed file says about itself. The header is unauthenticated until `recover` opens it with the key;
    a format-2 signature is checked here already (`sealer`)."""

    key_id: str             # the keyholder this keyring restores as (else the first one)
    key_label: str
    key_available: bool
    width: int
    height: int
    regions: tuple[SealedRegion, ...]
    created: str
    source: Path            # the image itself (embedded) or the sidecar the payload came from
    version: int = 1
    keyholders: tuple[Keyholder, ...] = ()
    sealer: Optional[SealerCheck] = None


@dataclass(frozen=True)
class RecoverResult:
    path: Path
    restored: tuple[int, ...]
    key_id: str
    sealer: Optional[SealerCheck] = None


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


class VaultService(KeyService):
    """Sealing, inspecting and recovering photos, on top of the key use cases."""

    # -- sealing --------------------------------------------------------------------------------------------
    def seal_image(self, pixels: np.ndarray, alpha: Optional[np.ndarray], metadata: Optional[ImageMetadata],
                   regions: Sequence[SealRegion], *, key: Optional[str] = None,
                   recipients: Sequence[str | RecipientKey] = (), signer: Optional[Signer] = None,
                   out_path: str | Path, fill: str = "inpaint", published: Optional[np.ndarray] = None,
                   fmt: Optional[str] = None, sidecar: bool = False, profile: str = "privacy",
                   quality: Optional[int] = None, ctx: Optional[JobContext] = None) -> SealResult:
        """Hide `regions` with `fill`, seal their original pixels, write `out_path`.

        Sealed for `key` and `recipients` (labels or ids; recipients may also be RecipientKey objects): one
        symmetric key alone, or any number of public keys (yours or recipients'), then signed by `signer` (default:
        this profile's signing key, made on first use). The payload is embedded in the file (PNG, JPEG, WebP, TIFF)
        and, with `sidecar`, also written to `<out_path>.veil`. Nothing is written if any step fails. With
        fill="keep", `published` (the size of `pixels`) is what recipients see, as the caller already edited it;
        `pixels` stay the sealed originals.
        """
        ctx = ctx or JobContext()
        out_path = Path(out_path)
        fmt = _FORMAT_ALIASES.get(fmt.upper(), fmt.upper()) if fmt else image_io.format_for_path(out_path)
        self._check_seal_request(pixels, alpha, regions, fill, profile, fmt, sidecar, published)
        targets = self.seal_targets(key, recipients)
        if targets.symmetric_key is None and signer is None:
            signer = self.signer()

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
        channels = 4 if alpha is not None and fmt in _ALPHA_FORMATS else 3
        info = targets.keys[0]
        if targets.symmetric_key is not None:
            payload = build_payload(key_id=info.key_id, key_label=info.label, kek=targets.symmetric_key,
                                    original=pixels, original_alpha=alpha, regions=sealed,
                                    published_sha256=digest, channels=channels)
        else:
            payload = build_sealed_payload(recipients=targets.recipients, signer=signer, original=pixels,
                                           original_alpha=alpha, regions=sealed, published_sha256=digest,
                                           channels=channels)
        data = encoded
        if fmt in PAYLOAD_FORMATS:
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
        for target in targets.keys:         # one entry per keyholder: the log says who can restore the file
            self.audit.append("seal", file_sha256=file_hash, key_id=target.key_id,
                              faces=[r.index for r, _ in sealed])
        ctx.progress(1.0, "Sealed")
        return SealResult(out_path, side, info, tuple(r for r, _ in sealed), file_hash, targets.keys,
                          None if signer is None else signer.identity)

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
        if fmt not in PAYLOAD_FORMATS and not sidecar:
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
            return read_bytes(payload_path, "recovery data file", MAX_PAYLOAD_BYTES), payload_path
        embedded = extract_payload(data)
        if embedded is not None:
            return embedded, path
        side = sidecar_path(path)
        if side.is_file():
            return read_bytes(side, "sidecar", MAX_PAYLOAD_BYTES), side
        raise NoPayloadError(NO_PAYLOAD)

    def inspect(self, path: str | Path, payload_path: Optional[str | Path] = None) -> SealInfo:
        path = Path(path)
        data = read_bytes(path, "image", MAX_IMAGE_FILE_BYTES)
        raw, source = self._payload_of(path, data, Path(payload_path) if payload_path else None)
        payload = read_payload(raw)
        header = payload.header
        if isinstance(payload, Payload):
            try:
                available = self.keys.lookup(header.key_id) is not None
            except VaultError:
                available = False
            return SealInfo(header.key_id, header.key_label, available, header.width, header.height,
                            header.regions, header.created, source)
        try:
            holders = tuple(Keyholder(e.key_id, e.label, self.keys.private_pair(e.key_id) is not None)
                            for e in header.recipients)
            sealer = self.check_sealer(payload)
        except VaultError:          # the keyring cannot be read: say what the file says, restoring will explain
            holders = tuple(Keyholder(e.key_id, e.label, False) for e in header.recipients)
            sealer = SealerCheck(header.sealer, payload.signature_valid())
        mine = next((h for h in holders if h.available), holders[0])
        return SealInfo(mine.key_id, mine.label, mine.available, header.width, header.height, header.regions,
                        header.created, source, 2, holders, sealer)

    def recover(self, path: str | Path, out_path: str | Path, faces: Optional[Iterable[int]] = None,
                payload_path: Optional[str | Path] = None, ctx: Optional[JobContext] = None,
                require_trusted_sealer: bool = False) -> RecoverResult:
        """Restore all sealed regions (or the 1-based `faces`) bit-exactly and write them to `out_path`.

        Pixels that a region not chosen had hidden stay hidden, even where the rectangles overlap. A format-2
        payload with a bad signature, or signed by an impostor of a trusted sealer (or, with
        `require_trusted_sealer`, by anyone not trusted), is refused before any key is used.
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
        data = read_bytes(path, "image", MAX_IMAGE_FILE_BYTES)
        raw, _ = self._payload_of(path, data, Path(payload_path) if payload_path else None)
        payload = read_payload(raw)
        header = payload.header
        chosen = None if faces is None else sorted(set(int(f) for f in faces))
        sealer = None
        if isinstance(payload, SealedPayload):
            sealer = self.check_sealer(payload)
            self.refuse_sealer(sealer, require_trusted_sealer)
            pair, private = self.restoring_pair(payload)
            key_id = pair.key_id
            open_regions = partial(open_sealed_payload, payload, pair.key_id, pair.suite, private)
        else:
            key_id = header.key_id
            open_regions = partial(open_payload, payload, self.keys.key_bytes(header.key_id, header.key_label))
        ctx.progress(0.2, "Decoding the photo")
        published = image_io.load_image_bytes(data, path.name)
        ctx.progress(0.5, "Opening the recovery data")
        opened = open_regions(image_digest(published.pixels, published.alpha), chosen)
        restored = _compose(published, opened, header.channels)

        ctx.progress(0.8, f"Writing {out_path.name}")
        encoded = image_io.encode_image(restored.pixels, restored.alpha, restored.metadata, format=out_fmt)
        check = image_io.load_image_bytes(encoded, out_path.name)
        if image_digest(check.pixels, check.alpha) != image_digest(restored.pixels, restored.alpha):
            raise VaultError(f"The {out_fmt} encoder did not keep the restored pixels exact; nothing was written.")
        atomic_write_bytes(out_path, encoded)
        indices = tuple(r.region.index for r in opened if r.pixels is not None)
        self.audit.append("recover", file_sha256=hashlib.sha256(data).hexdigest(), key_id=key_id,
                          faces=list(indices))
        ctx.progress(1.0, "Recovered")
        return RecoverResult(out_path, indices, key_id, sealer)
