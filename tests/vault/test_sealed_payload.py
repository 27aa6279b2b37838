"""Payload format 2: sealed for public keys, signed by the sealer; exact round trips for every recipient, and
refusal (one clear error, never a crash, never pixels) of tampered, swapped, re-signed and foreign payloads."""

from __future__ import annotations

import base64
import multiprocessing
import struct
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from editor.core.geometry import Rect
from editor.vault import keypairs
from editor.vault.errors import KeyNotFoundError, PayloadError, VaultError, WrongImageError, WrongKeyError
from editor.vault.keypairs import CLASSIC, HYBRID, RecipientKey
from editor.vault.payload import DAMAGED, MOVED, TAMPERED, SealedRegion, image_digest
from editor.vault.sealed_payload import (BAD_SIGNATURE, SealedPayload, build_sealed_payload, open_sealed_payload,
                                         parse_sealed_payload, read_payload, seal_payload)
from editor.vault.signing import LocalSigner, new_signing_key

from sealed_parts import assemble, resign, split

RNG = np.random.default_rng(11)
ORIGINAL = RNG.integers(0, 256, (60, 80, 3), dtype=np.uint8)
ALPHA = RNG.integers(0, 256, (60, 80), dtype=np.uint8)
PUBLISHED_SHA = image_digest(ORIGINAL // 2, None)
REGIONS = [(SealedRegion(1, "face", Rect(5, 10, 35, 30)), np.ones((20, 30), bool)),
           (SealedRegion(2, "region", Rect(50, 30, 65, 55)), RNG.random((25, 15)) > 0.4)]


class Holder:
    """A keyholder's key pair, as the keyring would hold it."""

    def __init__(self, label: str, suite: str) -> None:
        self.suite, self.private = suite, keypairs.generate_private(suite)
        self.public = RecipientKey(suite, keypairs.public_of(suite, self.private), label)

    @property
    def key_id(self) -> str:
        return self.public.key_id

    def open(self, data: bytes, published: str = PUBLISHED_SHA, faces=None):
        return open_sealed_payload(parse_sealed_payload(data), self.key_id, self.suite, self.private, published,
                                   faces)


HR, LEGAL, OUTSIDER = Holder("HR team", HYBRID), Holder("Legal", CLASSIC), Holder("Outsider", HYBRID)
SIGNING_KEY = new_signing_key()
STAFF = LocalSigner(SIGNING_KEY, "Privacy desk")
MALLORY = LocalSigner(new_signing_key(), "Privacy desk")      # same name, another key


def make(recipients=(HR, LEGAL), signer=STAFF, channels: int = 3) -> bytes:
    return build_sealed_payload(recipients=[h.public for h in recipients], signer=signer, original=ORIGINAL,
                                original_alpha=ALPHA if channels == 4 else None, regions=REGIONS,
                                published_sha256=PUBLISHED_SHA, channels=channels)


VALID = make()


# -- round trips -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("holder", [HR, LEGAL], ids=["hybrid", "x25519"])
def test_every_recipient_restores_exact_pixels_and_masks(holder):
    opened = holder.open(VALID)
    for item, (region, mask) in zip(opened, REGIONS):
        assert item.region == region
        np.testing.assert_array_equal(item.pixels, ORIGINAL[region.rect.slices])
        np.testing.assert_array_equal(item.mask, mask)


def test_alpha_and_chosen_regions():
    opened = HR.open(make(channels=4), faces=[2])
    assert opened[0].pixels is None
    np.testing.assert_array_equal(opened[1].pixels, np.dstack([ORIGINAL, ALPHA])[REGIONS[1][0].rect.slices])


def test_header_names_recipients_suites_and_sealer_without_any_key():
    payload = read_payload(VALID)
    assert isinstance(payload, SealedPayload) and payload.signature_valid()
    header = payload.header
    assert [(r.key_id, r.label, r.suite) for r in header.recipients] == [
        (HR.key_id, "HR team", HYBRID), (LEGAL.key_id, "Legal", CLASSIC)]
    assert header.sealer == STAFF.identity and header.sealer.key_id == keypairs.fingerprint("Ed25519", STAFF.identity.public)
    # The data key is wrapped once per recipient: an ML-KEM-768 + X25519 entry is 1168 bytes, X25519 80.
    assert [len(r.wrapped_dek) for r in header.recipients] == [1168, 80]


def test_fresh_data_key_seal_id_and_wraps_every_time():
    a, b = split(make())[0], split(make())[0]
    assert a["seal_id"] != b["seal_id"] and a["cipher"]["nonce"] != b["cipher"]["nonce"]
    assert a["recipients"][0]["dek"] != b["recipients"][0]["dek"]


def _sign_elsewhere(private: bytes, message: bytes) -> bytes:
    return LocalSigner(private, "Privacy desk").sign(message)


def test_sealing_needs_no_secret_and_is_signed_by_another_process():
    """The cluster shape: a worker seals with public keys only; the driver (another process) signs."""
    unsigned = seal_payload(recipients=[HR.public, LEGAL.public], sealer=STAFF.identity, original=ORIGINAL,
                            original_alpha=None, regions=REGIONS, published_sha256=PUBLISHED_SHA, channels=3)
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        signature = pool.submit(_sign_elsewhere, SIGNING_KEY, unsigned.to_be_signed).result(timeout=120)
    data = unsigned.signed(signature)
    assert LEGAL.open(data)[0].pixels is not None
    with pytest.raises(PayloadError, match="does not verify"):
        unsigned.signed(MALLORY.sign(unsigned.to_be_signed))


# -- refusals ----------------------------------------------------------------------------------------------------
def test_a_key_not_sealed_for_is_refused():
    with pytest.raises(KeyNotFoundError, match="not sealed for"):
        OUTSIDER.open(VALID)


def test_other_pixels_are_refused():
    with pytest.raises(WrongImageError) as err:
        HR.open(VALID, image_digest(ORIGINAL, None))
    assert str(err.value) == MOVED


def test_tampered_signature_is_refused():
    header, signature, ciphertext = split(VALID)
    for pos in (0, 31, 63):
        bad = bytearray(signature)
        bad[pos] ^= 0x01
        with pytest.raises(PayloadError) as err:
            HR.open(assemble(header, bytes(bad), ciphertext))
        assert str(err.value) == BAD_SIGNATURE


@pytest.mark.parametrize("edit", [
    lambda h: h["recipients"].reverse(),                                         # swapped order
    lambda h: h["recipients"].pop(),                                             # a keyholder removed
    lambda h: h["recipients"][0].update(label="Everyone"),
    lambda h: h["regions"][0].update(x=6),
    lambda h: h["image"].update(sha256="0" * 64),
    lambda h: h.update(created="2000-01-01T00:00:00+00:00"),
])
def test_edited_header_breaks_the_signature(edit):
    header, signature, ciphertext = split(VALID)
    edit(header)
    with pytest.raises(PayloadError) as err:
        HR.open(assemble(header, signature, ciphertext))
    assert str(err.value) == BAD_SIGNATURE


def test_recipient_entry_from_another_seal_is_refused():
    """An insider re-signs a header whose HR entry comes from another payload: the wrap is bound to its seal."""
    header, _, ciphertext = split(VALID)
    other, _, _ = split(make())
    header["recipients"][0] = other["recipients"][0]
    with pytest.raises(WrongKeyError, match="does not open"):
        HR.open(resign(header, ciphertext, STAFF))


def test_recipient_entry_moved_to_another_keyholder_is_refused():
    header, _, ciphertext = split(make(recipients=(HR, OUTSIDER)))
    header["recipients"][1]["dek"], header["recipients"][0]["dek"] = (header["recipients"][0]["dek"],
                                                                      header["recipients"][1]["dek"])
    with pytest.raises(WrongKeyError):
        HR.open(resign(header, ciphertext, STAFF))


def test_resigned_header_with_the_same_ciphertext_fails_authentication():
    """An insider who re-signs an edited header cannot make the data key's GCM accept it."""
    header, _, ciphertext = split(VALID)
    header["regions"][0]["kind"] = "region"
    with pytest.raises(PayloadError) as err:
        HR.open(resign(header, ciphertext, STAFF))
    assert str(err.value) == TAMPERED


def test_replaced_sealer_key_is_refused():
    header, signature, ciphertext = split(VALID)
    header["sealer"]["key"] = base64.b64encode(MALLORY.identity.public).decode()   # id left: not its fingerprint
    with pytest.raises(PayloadError) as err:
        parse_sealed_payload(assemble(header, signature, ciphertext))
    assert str(err.value) == DAMAGED
    header["sealer"]["id"] = MALLORY.identity.key_id                                # consistent, but not signed
    with pytest.raises(PayloadError) as err:
        HR.open(assemble(header, signature, ciphertext))
    assert str(err.value) == BAD_SIGNATURE


def test_wrong_suite_for_the_key_is_refused():
    payload = parse_sealed_payload(VALID)
    with pytest.raises(WrongKeyError):
        open_sealed_payload(payload, LEGAL.key_id, HYBRID, HR.private, PUBLISHED_SHA)


def test_every_truncation_is_refused():
    for n in range(0, len(VALID), 7):
        with pytest.raises(VaultError):
            read_payload(VALID[:n])


def test_version_one_and_unknown_versions_are_dispatched():
    with pytest.raises(PayloadError, match="format version 3.*update Veil"):
        read_payload(VALID[:4] + bytes([3]) + VALID[5:])


# -- fuzz (as format 1 is fuzzed) ---------------------------------------------------------------------------------
def _must_fail_cleanly(data: bytes) -> None:
    try:
        HR.open(data)
    except VaultError as e:
        assert str(e).endswith(".") and "\n" not in str(e)
    else:
        raise AssertionError("an altered payload opened")


FUZZ = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                    max_leaves=12)
HEADER_PATHS = [("version",), ("seal_id",), ("recipients",), ("recipients", 0), ("recipients", 0, "id"),
                ("recipients", 0, "label"), ("recipients", 0, "kem"), ("recipients", 0, "kdf"),
                ("recipients", 0, "aead"), ("recipients", 0, "dek"), ("recipients", 1, "dek"),
                ("recipients", 1, "kem"), ("sealer",), ("sealer", "alg"), ("sealer", "id"), ("sealer", "label"),
                ("sealer", "key"), ("cipher", "nonce"), ("image", "width"), ("regions", 0, "size"),
                ("ciphertext_length",), ("created",)]


def _replace_field(path, value, resigned: bool) -> bytes:
    header, signature, ciphertext = split(VALID)
    node = header
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    # Re-signed, the edit also meets the checks behind the signature (what an insider with a signing key can try).
    return resign(header, ciphertext, MALLORY) if resigned else assemble(header, signature, ciphertext)


@settings(max_examples=300, **FUZZ)
@given(st.sampled_from(HEADER_PATHS), JSON, st.booleans())
def test_fuzz_header_fields(path, value, resigned):
    _must_fail_cleanly(_replace_field(path, value, resigned))


@settings(max_examples=200, **FUZZ)
@given(st.lists(st.tuples(st.integers(0, 1 << 20), st.integers(0, 255)), min_size=1, max_size=8))
def test_fuzz_mutated_valid_payload(edits):
    out = bytearray(VALID)
    for pos, value in edits:
        out[pos % len(out)] ^= value or 1
    if bytes(out) != VALID:              # two edits of one byte may cancel out
        _must_fail_cleanly(bytes(out))


@settings(max_examples=200, **FUZZ)
@given(st.binary(max_size=4096))
def test_fuzz_arbitrary_bytes(data):
    _must_fail_cleanly(b"VEIL\x02" + struct.pack(">I", len(data)) + data)


@pytest.mark.slow
@settings(max_examples=10_000, **FUZZ)
@given(st.sampled_from(HEADER_PATHS), JSON, st.booleans())
def test_fuzz_header_fields_long(path, value, resigned):
    _must_fail_cleanly(_replace_field(path, value, resigned))
