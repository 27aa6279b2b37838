"""Seal and recover end to end with a real keyring: bit-exact round trips per format, and every refusal."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import ExifTags, Image

from editor.core import image_io
from editor.core.errors import Cancelled
from editor.core.geometry import Rect
from editor.core.image_types import ImageMetadata
from editor.core.progress import JobContext
from editor.services.vault_service import SealRegion, regions_from_mask
from editor.vault.embed import embed_payload, extract_payload, jpeg, sidecar_path
from editor.vault.errors import (KeyNotFoundError, NoPayloadError, PayloadError, VaultError, WrongImageError,
                                 WrongKeyError)
from editor.vault.keystore import KeyInfo
from editor.vault.payload import MOVED, parse_payload

EXTENSIONS = {"PNG": ".png", "JPEG": ".jpg", "WEBP": ".webp", "TIFF": ".tif"}


def two_regions(shape) -> list[SealRegion]:
    h, w = shape[:2]
    mask = np.zeros((h, w), bool)
    mask[20:60, 40:90] = True                       # a face
    yy, xx = np.mgrid[0:h, 0:w]
    mask |= (yy - 75) ** 2 + (xx - 20) ** 2 < 12 ** 2   # a round second region
    return regions_from_mask(mask, kind="face")


def union_mask(regions, shape) -> np.ndarray:
    full = np.zeros(shape[:2], bool)
    for r in regions:
        full[r.rect.slices] |= r.fill_mask()
    return full


@pytest.fixture
def hr_key(service) -> KeyInfo:
    return service.create_key("HR team")


def seal(service, tmp_path, pixels, alpha=None, fmt="PNG", fill="solid", name="sealed", **kw):
    regions = kw.pop("regions", None) or two_regions(pixels.shape)
    out = tmp_path / f"{name}{EXTENSIONS[fmt]}"
    result = service.seal_image(pixels, alpha, kw.pop("metadata", None), regions, key="HR team", out_path=out,
                                fill=fill, **kw)
    return result, regions


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "TIFF"])
def test_lossless_round_trip_is_bit_exact(service, hr_key, tmp_path, make_photo, fmt):
    pixels, alpha = make_photo(alpha=fmt != "TIFF")
    result, regions = seal(service, tmp_path, pixels, alpha, fmt=fmt)
    published = image_io.load_image(result.path)
    hidden = union_mask(regions, pixels.shape)
    # The fill changed exactly the masked pixels (and made them opaque); everything else is untouched.
    assert (published.pixels[hidden] == 0).all()
    np.testing.assert_array_equal(published.pixels[~hidden], pixels[~hidden])
    if alpha is not None:
        assert (published.alpha[hidden] == 255).all()
        np.testing.assert_array_equal(published.alpha[~hidden], alpha[~hidden])
    restored = service.recover(result.path, tmp_path / "restored.png")
    assert restored.restored == (1, 2)
    back = image_io.load_image(restored.path)
    np.testing.assert_array_equal(back.pixels, pixels)
    if alpha is not None:
        np.testing.assert_array_equal(back.alpha, alpha)


def test_transparency_only_inside_a_hidden_region_comes_back(service, hr_key, tmp_path, make_photo):
    pixels, _ = make_photo()
    alpha = np.full(pixels.shape[:2], 255, np.uint8)
    alpha[30:40, 50:60] = 7                           # inside the first region's mask
    result, _ = seal(service, tmp_path, pixels, alpha)
    assert image_io.load_image(result.path).alpha is None     # the published image is fully opaque
    back = image_io.load_image(service.recover(result.path, tmp_path / "r.png").path)
    np.testing.assert_array_equal(back.alpha, alpha)
    np.testing.assert_array_equal(back.pixels, pixels)


def test_jpeg_round_trip_restores_regions_exactly(service, hr_key, tmp_path, make_photo):
    pixels, _ = make_photo(height=160, width=200)
    noisy = np.random.default_rng(5).integers(0, 256, (150, 150, 3), dtype=np.uint8)
    pixels[5:155, 40:190] = noisy                     # incompressible: the payload needs several APP15 segments
    region = SealRegion(Rect(40, 5, 190, 155), None, "face")
    result, _ = seal(service, tmp_path, pixels, fmt="JPEG", regions=[region], quality=90)
    data = result.path.read_bytes()
    assert len([s for s in jpeg._segments(data)[0] if s.ours(data)]) >= 2
    restored = image_io.load_image(service.recover(result.path, tmp_path / "restored.png").path)
    np.testing.assert_array_equal(restored.pixels[region.rect.slices], pixels[region.rect.slices])
    published = image_io.load_image(result.path)
    outside = np.ones(pixels.shape[:2], bool)
    outside[region.rect.slices] = False
    np.testing.assert_array_equal(restored.pixels[outside], published.pixels[outside])


def test_sidecar_recovers_after_metadata_was_stripped(service, hr_key, tmp_path, make_photo):
    pixels, _ = make_photo()
    result, _ = seal(service, tmp_path, pixels, sidecar=True)
    assert result.sidecar == sidecar_path(result.path) and result.sidecar.exists()
    assert parse_payload(result.sidecar.read_bytes()).header.key_id == hr_key.key_id
    # A messaging app re-encodes the PNG losslessly and drops unknown chunks.
    shared = tmp_path / "shared.png"
    with Image.open(result.path) as im:
        im.save(shared)
    assert extract_payload(shared.read_bytes()) is None
    with pytest.raises(NoPayloadError, match="no recovery data.*sidecar"):
        service.recover(shared, tmp_path / "nope.png")
    assert not (tmp_path / "nope.png").exists()
    sidecar_path(shared).write_bytes(result.sidecar.read_bytes())
    back = image_io.load_image(service.recover(shared, tmp_path / "restored.png").path)
    np.testing.assert_array_equal(back.pixels, pixels)
    explicit = service.recover(shared, tmp_path / "restored2.png", payload_path=result.sidecar)
    assert explicit.restored == (1, 2)


def test_recover_chosen_faces_keeps_the_others_hidden(service, hr_key, tmp_path, make_photo):
    pixels, _ = make_photo()
    # Two regions whose rectangles overlap while their masks do not.
    mask = np.zeros(pixels.shape[:2], bool)
    mask[10:70, 10:20] = True
    mask[60:70, 10:80] = True                        # an L shape: region 1
    mask[20:50, 40:70] = True                        # inside region 1's rectangle: region 2
    regions = regions_from_mask(mask, kind="face")
    assert len(regions) == 2 and regions[0].rect.intersect(regions[1].rect) == regions[1].rect
    result, _ = seal(service, tmp_path, pixels, regions=regions)
    published = image_io.load_image(result.path).pixels
    out = image_io.load_image(service.recover(result.path, tmp_path / "one.png", faces=[1]).path).pixels
    region1 = regions[0].rect.slices
    hidden2 = np.zeros(pixels.shape[:2], bool)
    hidden2[regions[1].rect.slices] = regions[1].fill_mask()
    np.testing.assert_array_equal(out[hidden2], published[hidden2])          # face 2 still hidden
    restored1 = np.zeros(pixels.shape[:2], bool)
    restored1[region1] = True
    restored1 &= ~hidden2
    np.testing.assert_array_equal(out[restored1], pixels[restored1])         # face 1 exact
    with pytest.raises(PayloadError, match="no sealed region 3"):
        service.recover(result.path, tmp_path / "three.png", faces=[3])
    entries = service.audit.entries()
    assert (entries[-1].action, entries[-1].faces) == ("recover", [1])


def test_missing_key_names_the_key(service, hr_key, tmp_path, make_photo):
    result, _ = seal(service, tmp_path, make_photo()[0])
    service.delete_key("HR team", confirm=True)
    with pytest.raises(KeyNotFoundError) as err:
        service.recover(result.path, tmp_path / "out.png")
    assert '"HR team"' in str(err.value) and hr_key.key_id in str(err.value)
    assert not (tmp_path / "out.png").exists()
    info = service.inspect(result.path)
    assert (info.key_label, info.key_id, info.key_available, len(info.regions)) == ("HR team", hr_key.key_id,
                                                                                     False, 2)


def test_wrong_key_under_the_same_id(service, keystore, hr_key, tmp_path, make_photo):
    result, _ = seal(service, tmp_path, make_photo()[0])
    keystore.delete(hr_key.key_id)
    keystore.add(hr_key, bytes(32))                 # someone else's key stored under this id
    with pytest.raises(WrongKeyError, match="does not open"):
        service.recover(result.path, tmp_path / "out.png")
    assert not (tmp_path / "out.png").exists()


def plain_png(data: bytes) -> bytes:
    from editor.vault.embed import png

    return data[:8] + b"".join(data[s:e] for t, s, e in png._chunks(data) if t != png.CHUNK_TYPE)


@pytest.mark.parametrize("where", ["header", "ciphertext", "truncated"])
def test_tampered_or_truncated_payload_is_refused(service, hr_key, tmp_path, make_photo, where):
    result, _ = seal(service, tmp_path, make_photo()[0])
    data = result.path.read_bytes()
    payload = bytearray(extract_payload(data))
    if where == "header":
        at = payload.index(b'"HR team"')
        payload[at + 1:at + 3] = b"XX"
    elif where == "ciphertext":
        payload[-40] ^= 0x10
    else:
        payload = payload[:-100]
    result.path.write_bytes(embed_payload(plain_png(data), bytes(payload)))
    with pytest.raises(PayloadError) as err:
        service.recover(result.path, tmp_path / "out.png")
    assert str(err.value).endswith("nothing was restored.")
    assert not (tmp_path / "out.png").exists()


def test_edited_pixels_are_refused(service, hr_key, tmp_path, make_photo):
    result, _ = seal(service, tmp_path, make_photo()[0])
    data = result.path.read_bytes()
    published = image_io.load_image(result.path)
    pixels = published.pixels.copy()
    pixels[90, 120, 0] ^= 1                          # one bit of one pixel, far from the sealed regions
    edited = image_io.encode_image(pixels, None, published.metadata, format="PNG")
    result.path.write_bytes(embed_payload(edited, extract_payload(data)))
    with pytest.raises(WrongImageError) as err:
        service.recover(result.path, tmp_path / "out.png")
    assert str(err.value) == MOVED and not (tmp_path / "out.png").exists()


def test_payload_copied_onto_another_image(service, hr_key, tmp_path, make_photo):
    result, _ = seal(service, tmp_path, make_photo(seed=1)[0])
    other, _ = seal(service, tmp_path, make_photo(seed=2)[0], name="other")
    moved = tmp_path / "moved.png"
    moved.write_bytes(embed_payload(plain_png(other.path.read_bytes()), extract_payload(result.path.read_bytes())))
    with pytest.raises(WrongImageError, match="different image"):
        service.recover(moved, tmp_path / "out.png")
    sidecar_copy = tmp_path / "plain.png"
    sidecar_copy.write_bytes(plain_png(other.path.read_bytes()))
    sidecar_path(sidecar_copy).write_bytes(extract_payload(result.path.read_bytes()))
    with pytest.raises(WrongImageError):
        service.recover(sidecar_copy, tmp_path / "out.png")
    assert not (tmp_path / "out.png").exists()


def test_oversized_sidecar_is_refused_unread(service, hr_key, tmp_path, make_photo):
    plain = tmp_path / "plain.png"
    image_io.save_image(plain, make_photo()[0])
    with open(sidecar_path(plain), "wb") as f:
        f.truncate(300 << 20)                         # sparse: costs no disk
    with pytest.raises(VaultError, match="larger than Veil accepts"):
        service.recover(plain, tmp_path / "out.png")


def test_unsealed_file_says_so(service, hr_key, tmp_path, make_photo):
    plain = tmp_path / "plain.jpg"
    image_io.save_image(plain, make_photo()[0])
    with pytest.raises(NoPayloadError, match="never sealed"):
        service.recover(plain, tmp_path / "out.png")


@pytest.mark.parametrize("fill", ["blur", "pixelate", "solid"])
def test_fills_change_only_the_masked_pixels(service, hr_key, tmp_path, make_photo, fill):
    pixels, _ = make_photo()
    result, regions = seal(service, tmp_path, pixels, fill=fill)
    published = image_io.load_image(result.path).pixels
    hidden = union_mask(regions, pixels.shape)
    np.testing.assert_array_equal(published[~hidden], pixels[~hidden])
    changed = np.abs(published.astype(int) - pixels.astype(int)).sum(axis=2) > 0
    assert changed[hidden].mean() > 0.5
    # The hidden face's fine detail is gone: the residual noise inside is much weaker than in the original.
    face = regions[0].rect.slices
    assert np.abs(np.diff(published[face].astype(int), axis=1)).mean() < \
        0.5 * np.abs(np.diff(pixels[face].astype(int), axis=1)).mean()


def test_inpaint_fill(service, hr_key, tmp_path, make_photo):
    pytest.importorskip("editor.inpaint.registry")
    pixels, _ = make_photo()
    pixels[30:50, 55:75] = (255, 0, 255)            # a magenta mark well inside the face mask
    result, regions = seal(service, tmp_path, pixels, fill="inpaint")
    published = image_io.load_image(result.path).pixels
    hidden = union_mask(regions, pixels.shape)
    np.testing.assert_array_equal(published[~hidden], pixels[~hidden])
    magenta = (published[..., 0] > 200) & (published[..., 1] < 60) & (published[..., 2] > 200)
    assert not magenta.any()                         # nothing of what was under the mask shows through
    back = image_io.load_image(service.recover(result.path, tmp_path / "r.png").path)
    np.testing.assert_array_equal(back.pixels, pixels)


def test_privacy_profile_on_sealed_export(service, hr_key, tmp_path, make_photo):
    exif = Image.Exif()
    exif[0x013B] = "Jane Doe"
    exif[ExifTags.IFD.GPSInfo] = {1: "N", 2: (48.0, 51.0, 29.0)}
    meta = ImageMetadata(format="JPEG", exif=exif.tobytes())
    pixels, _ = make_photo()
    private, _ = seal(service, tmp_path, pixels, fmt="JPEG", metadata=meta, name="private")
    kept, _ = seal(service, tmp_path, pixels, fmt="JPEG", metadata=meta, profile="retouch", name="kept")
    with Image.open(private.path) as im:
        assert not im.getexif().get_ifd(ExifTags.IFD.GPSInfo) and 0x013B not in im.getexif()
    with Image.open(kept.path) as im:
        assert im.getexif().get_ifd(ExifTags.IFD.GPSInfo) and im.getexif()[0x013B] == "Jane Doe"


def test_audit_trail_of_seal_and_recover(service, hr_key, tmp_path, make_photo, keystore):
    result, _ = seal(service, tmp_path, make_photo()[0])
    service.recover(result.path, tmp_path / "out.png")
    entries = service.audit.entries()
    assert [e.action for e in entries] == ["key.create", "seal", "recover"]
    assert entries[1].faces == [1, 2] and entries[1].file_sha256 == result.file_sha256
    assert all(e.key_id == hr_key.key_id for e in entries)
    assert service.audit.verify().ok
    key = keystore.key_bytes(hr_key.key_id)
    assert key.hex().encode() not in service.audit.path.read_bytes()


def test_refusals_before_anything_is_written(service, hr_key, tmp_path, make_photo):
    pixels, _ = make_photo()
    regions = two_regions(pixels.shape)
    for kwargs, match in [
        (dict(fill="smudge"), "Unknown fill"),
        (dict(profile="none"), "Unknown export profile"),
        (dict(out_path=tmp_path / "x.bmp"), "cannot carry recovery data"),
        (dict(key="Nobody"), "No recovery key"),
        (dict(regions=[]), "Nothing to seal"),
        (dict(regions=[SealRegion(Rect(100, 80, 200, 120))]), "outside the photo"),
    ]:
        args = dict(key="HR team", out_path=tmp_path / "x.png", fill="solid", regions=regions) | kwargs
        regs = args.pop("regions")
        with pytest.raises(VaultError, match=match):
            service.seal_image(pixels, None, None, regs, **args)
    assert list(tmp_path.glob("x.*")) == []
    result, _ = seal(service, tmp_path, pixels)
    with pytest.raises(VaultError, match="losslessly"):
        service.recover(result.path, tmp_path / "out.jpg")
    with pytest.raises(VaultError, match="overwrite"):
        service.recover(result.path, result.path.with_suffix(".png"))


def test_cancel_writes_nothing(service, hr_key, tmp_path, make_photo):
    ctx = JobContext()
    ctx.cancel()
    pixels, _ = make_photo()
    with pytest.raises(Cancelled):
        service.seal_image(pixels, None, None, two_regions(pixels.shape), key="HR team",
                           out_path=tmp_path / "c.png", fill="solid", ctx=ctx)
    assert not (tmp_path / "c.png").exists()


def test_sealed_files_decode_in_pillow_to_the_published_pixels(service, hr_key, tmp_path, make_photo):
    pixels, alpha = make_photo(alpha=True)
    hidden = union_mask(two_regions(pixels.shape), pixels.shape)
    for fmt in ("PNG", "WEBP", "TIFF", "JPEG"):
        result, _ = seal(service, tmp_path, pixels, alpha, fmt=fmt, name=f"p{fmt}")
        with Image.open(io.BytesIO(result.path.read_bytes())) as im:
            seen = np.asarray(im.convert("RGB"))
        np.testing.assert_array_equal(seen, image_io.load_image(result.path).pixels)
        if fmt != "JPEG":
            assert (seen[hidden] == 0).all()
