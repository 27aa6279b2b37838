"""The recovery payload: exact round trips, and refusal (one clear error, no crash) of every kind of bad input."""

from __future__ import annotations

import base64
import json
import os
import struct
import zlib

import numpy as np
import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import aes_key_wrap
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from editor.core.geometry import Rect
from editor.vault.errors import PayloadError, VaultError, WrongImageError, WrongKeyError
from editor.vault.payload import (DAMAGED, MAX_HEADER_BYTES, MAX_REGIONS, MOVED, PREFIX, TAMPERED, SealedRegion,
                                  build_payload, image_digest, open_payload, parse_payload)

KEK = bytes(range(32))
KEY_ID = "0123456789abcdef0123456789abcdef"
RNG = np.random.default_rng(7)
ORIGINAL = RNG.integers(0, 256, (60, 80, 3), dtype=np.uint8)
ALPHA = RNG.integers(0, 256, (60, 80), dtype=np.uint8)
PUBLISHED_SHA = image_digest(ORIGINAL // 2, None)
MASK_1 = np.ones((20, 30), bool)
MASK_2 = RNG.random((25, 15)) > 0.4
REGIONS = [(SealedRegion(1, "face", Rect(5, 10, 35, 30)), MASK_1),
           (SealedRegion(2, "region", Rect(50, 30, 65, 55)), MASK_2)]


def make_payload(channels: int = 3, regions=REGIONS) -> bytes:
    return build_payload(key_id=KEY_ID, key_label="HR team", kek=KEK, original=ORIGINAL,
                         original_alpha=ALPHA if channels == 4 else None, regions=regions,
                         published_sha256=PUBLISHED_SHA, channels=channels)


VALID = make_payload()


def split(data: bytes) -> tuple[dict, bytes]:
    _, _, n = PREFIX.unpack_from(data)
    return json.loads(data[PREFIX.size:PREFIX.size + n]), data[PREFIX.size + n:]


def forge(header: dict, plaintext: bytes, kek: bytes = KEK) -> bytes:
    """A payload authenticated with `kek`: what an insider holding the key could write."""
    dek, nonce = os.urandom(32), os.urandom(12)
    header = dict(header, wrap={"alg": "A256KW", "dek": base64.b64encode(aes_key_wrap(kek, dek)).decode()},
                  cipher={"alg": "A256GCM", "nonce": base64.b64encode(nonce).decode()},
                  ciphertext_length=len(plaintext) + 16)
    head = json.dumps(header).encode()
    prefix = PREFIX.pack(b"VEIL", 1, len(head)) + head
    return prefix + AESGCM(dek).encrypt(nonce, plaintext, prefix)


def reheader(data: bytes, header: dict) -> bytes:
    """Same ciphertext under an edited header (the header is authenticated, so this must fail to open)."""
    _, ciphertext = split(data)
    head = json.dumps(header).encode()
    return PREFIX.pack(b"VEIL", 1, len(head)) + head + ciphertext


def test_round_trip_returns_exact_pixels_and_masks():
    opened = open_payload(parse_payload(VALID), KEK, PUBLISHED_SHA)
    assert [r.region.index for r in opened] == [1, 2]
    for item, (region, mask) in zip(opened, REGIONS):
        assert item.region == region
        np.testing.assert_array_equal(item.pixels, ORIGINAL[region.rect.slices])
        np.testing.assert_array_equal(item.mask, mask)


def test_round_trip_with_alpha_and_chosen_region():
    payload = parse_payload(make_payload(channels=4))
    assert payload.header.channels == 4
    opened = open_payload(payload, KEK, PUBLISHED_SHA, faces=[2])
    assert opened[0].pixels is None and opened[1].pixels is not None
    rect = REGIONS[1][0].rect
    np.testing.assert_array_equal(opened[1].pixels, np.dstack([ORIGINAL, ALPHA])[rect.slices])
    np.testing.assert_array_equal(opened[0].mask, MASK_1)  # masks of sealed-away regions are still known


def test_header_describes_the_seal_without_the_key():
    header = parse_payload(VALID).header
    assert (header.key_id, header.key_label, header.width, header.height) == (KEY_ID, "HR team", 80, 60)
    assert header.image_sha256 == PUBLISHED_SHA and len(header.regions) == 2


def test_a_fresh_data_key_and_nonce_every_time():
    a, b = split(make_payload())[0], split(make_payload())[0]
    assert a["wrap"]["dek"] != b["wrap"]["dek"] and a["cipher"]["nonce"] != b["cipher"]["nonce"]


def test_compressed_smaller_than_raw_for_photo_like_pixels():
    yy, xx = np.mgrid[0:100, 0:100]
    smooth = np.dstack([xx * 2, yy * 2, xx + yy]).astype(np.uint8)
    data = build_payload(key_id=KEY_ID, key_label="x", kek=KEK, original=smooth, original_alpha=None,
                         regions=[(SealedRegion(1, "face", Rect(0, 0, 100, 100)), np.ones((100, 100), bool))],
                         published_sha256=PUBLISHED_SHA, channels=3)
    assert len(data) < 100 * 100 * 3 / 10


def test_wrong_key_is_refused():
    with pytest.raises(WrongKeyError, match="HR team.*0123456789abcdef"):
        open_payload(parse_payload(VALID), os.urandom(32), PUBLISHED_SHA)


def test_other_pixels_are_refused():
    with pytest.raises(WrongImageError) as err:
        open_payload(parse_payload(VALID), KEK, image_digest(ORIGINAL, None))
    assert str(err.value) == MOVED


@pytest.mark.parametrize("edit", [
    lambda h: h["key"].update(label="Everyone"),
    lambda h: h["regions"][0].update(x=6),
    lambda h: h["regions"][0].update(kind="region"),
    lambda h: h["image"].update(sha256="0" * 64),
    lambda h: h.update(created="2000-01-01T00:00:00+00:00"),
])
def test_tampered_header_is_refused(edit):
    header, _ = split(VALID)
    edit(header)
    with pytest.raises(PayloadError) as err:
        open_payload(parse_payload(reheader(VALID, header)), KEK, header["image"]["sha256"])
    assert str(err.value) == TAMPERED


def test_tampered_ciphertext_is_refused():
    _, ciphertext = split(VALID)
    start = len(VALID) - len(ciphertext)
    for pos in (start, start + len(ciphertext) // 2, len(VALID) - 1):
        bad = bytearray(VALID)
        bad[pos] ^= 0x01
        with pytest.raises(PayloadError, match="altered"):
            open_payload(parse_payload(bytes(bad)), KEK, PUBLISHED_SHA)


def test_every_truncation_is_refused():
    for n in range(len(VALID)):
        with pytest.raises(PayloadError):
            parse_payload(VALID[:n])


def test_unknown_version_says_so():
    bad = VALID[:4] + bytes([2]) + VALID[5:]
    with pytest.raises(PayloadError, match="format version 2.*update Veil"):
        parse_payload(bad)


def test_huge_header_length_is_refused_before_reading():
    bad = PREFIX.pack(b"VEIL", 1, 0xFFFFFFFF) + b"{}"
    with pytest.raises(PayloadError) as err:
        parse_payload(bad)
    assert str(err.value) == DAMAGED
    bad = PREFIX.pack(b"VEIL", 1, MAX_HEADER_BYTES + 1) + b" " * (MAX_HEADER_BYTES + 1)
    with pytest.raises(PayloadError):
        parse_payload(bad)


@pytest.mark.parametrize("edit", [
    lambda h: h.update(regions=[dict(h["regions"][0], index=i + 1) for i in range(MAX_REGIONS + 1)]),
    lambda h: h["regions"][0].update(w=10**6),
    lambda h: h["regions"][0].update(x=-1),
    lambda h: h["regions"][0].update(size=10**9),
    lambda h: h["regions"][1].update(index=5),
    lambda h: h["image"].update(width=70000),
    lambda h: h["image"].update(channels=5),
    lambda h: h["regions"][0].update(w=True),
    lambda h: h["key"].update(id="../../etc/passwd"),
    lambda h: h["key"].update(label="HR\x1b[2J team"),       # terminal escapes in an unauthenticated label
    lambda h: h.update(extra="field"),
    lambda h: h.update(regions=[]),
    lambda h: h.update(ciphertext_length=h["ciphertext_length"] + 1),
])
def test_out_of_bounds_header_fields_are_refused(edit):
    header, _ = split(VALID)
    edit(header)
    with pytest.raises(PayloadError) as err:
        parse_payload(reheader(VALID, header))
    assert str(err.value) == DAMAGED


def test_deeply_nested_header_is_refused():
    head = b"[" * 100_000 + b"]" * 100_000
    with pytest.raises(PayloadError):
        parse_payload(PREFIX.pack(b"VEIL", 1, len(head)) + head)


def test_authentic_decompression_bomb_stops_at_the_expected_size():
    header, _ = split(VALID)
    bomb = zlib.compress(b"\0" * (64 * 1024 * 1024), 9)     # 64 MB from ~65 KB, for a 20 x 30 region
    header["regions"] = [dict(header["regions"][0], size=len(bomb), mask_size=len(zlib.compress(b"\xff" * 75)))]
    data = forge(header, bomb + zlib.compress(b"\xff" * 75))
    # The bomb's size fails the header's own bound for a 600-pixel region ...
    with pytest.raises(PayloadError):
        parse_payload(data)
    # ... and one that fits the bound still inflates to no more than the region's size.
    small_bomb = zlib.compress(b"\0" * 5000, 9)
    header["regions"][0]["size"] = len(small_bomb)
    payload = parse_payload(forge(header, small_bomb + zlib.compress(b"\xff" * 75)))
    with pytest.raises(PayloadError) as err:
        open_payload(payload, KEK, PUBLISHED_SHA)
    assert str(err.value) == DAMAGED


def _mutate(data: bytes, edits) -> bytes:
    out = bytearray(data)
    for kind, pos, value in edits:
        pos %= len(out) + 1
        if kind == 0 and pos < len(out):
            out[pos] = value
        elif kind == 1:
            out[pos:pos] = bytes([value])
        elif pos < len(out):
            del out[pos]
    return bytes(out)


def _must_fail_cleanly(data: bytes) -> None:
    try:
        payload = parse_payload(data)
        open_payload(payload, KEK, PUBLISHED_SHA)
    except VaultError as e:
        assert str(e).endswith(".") and "\n" not in str(e)


EDITS = st.lists(st.tuples(st.integers(0, 2), st.integers(0, 1 << 20), st.integers(0, 255)), min_size=1,
                 max_size=8)
FUZZ = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)


@settings(max_examples=200, **FUZZ)
@given(st.binary(max_size=2048))
def test_fuzz_arbitrary_bytes(data):
    _must_fail_cleanly(data)
    _must_fail_cleanly(b"VEIL\x01" + data)


@settings(max_examples=200, **FUZZ)
@given(EDITS)
def test_fuzz_mutated_valid_payload(edits):
    _must_fail_cleanly(_mutate(VALID, edits))


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                    max_leaves=12)
HEADER_PATHS = [("version",), ("key", "id"), ("key", "label"), ("wrap", "dek"), ("cipher", "nonce"),
                ("image", "width"), ("image", "height"), ("image", "channels"), ("image", "sha256"),
                ("compression",), ("regions",), ("ciphertext_length",), ("regions", 0, "x"), ("regions", 0, "w"),
                ("regions", 0, "size"), ("regions", 1, "mask_size"), ("regions", 1, "index"), ("created",)]


def _replace_field(path, value) -> bytes:
    header, _ = split(VALID)
    node = header
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return reheader(VALID, header)


@settings(max_examples=200, **FUZZ)
@given(st.sampled_from(HEADER_PATHS), JSON)
def test_fuzz_header_fields(path, value):
    _must_fail_cleanly(_replace_field(path, value))


@pytest.mark.slow
@settings(max_examples=10_000, **FUZZ)
@given(st.sampled_from(HEADER_PATHS), JSON)
def test_fuzz_header_fields_long(path, value):
    _must_fail_cleanly(_replace_field(path, value))


@pytest.mark.slow
@settings(max_examples=10_000, **FUZZ)
@given(st.binary(max_size=4096))
def test_fuzz_arbitrary_bytes_long(data):
    _must_fail_cleanly(data)
    _must_fail_cleanly(b"VEIL\x01" + struct.pack(">I", len(data)) + data)


@pytest.mark.slow
@settings(max_examples=10_000, **FUZZ)
@given(EDITS)
def test_fuzz_mutated_valid_payload_long(edits):
    _must_fail_cleanly(_mutate(VALID, edits))
