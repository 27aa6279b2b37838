"""Separation of roles with real, separate keyrings (GDPR Art. 4(5) pseudonymisation): privacy staff who hold only
keyholders' public keys anonymize a folder and cannot restore it; each keyholder restores it bit-exactly and sees
who sealed it; tampered, swapped, replaced and foreign payloads are refused with one sentence and write nothing."""

from __future__ import annotations

import numpy as np
import pytest

from editor.core import image_io
from editor.vault.keypairs import show_fingerprint
from editor.vault.signing import LocalSigner, new_signing_key

from keyring_profiles import Profile, require_keyring_tools
from sealed_parts import assemble, resign, split


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Keyholders HR (hybrid suite) and Legal (X25519), an outsider with a key pair of their own, and privacy staff
    who imported HR's and Legal's public keys and anonymized a folder for both (sidecars on)."""
    require_keyring_tools()
    base = tmp_path_factory.mktemp("separation")
    hr, legal, outsider, staff = (Profile(base / name) for name in ("hr", "legal", "outsider", "staff"))
    hr.ok("keys", "create", "HR team")
    legal.ok("keys", "create", "Legal", "--suite", "x25519")
    outsider.ok("keys", "create", "Outsider")
    for holder, name in ((hr, "HR team"), (legal, "Legal"), (outsider, "Outsider")):
        holder.ok("keys", "public", name, "-o", base / f"{name}.pub")
    staff.ok("keys", "import", base / "HR team.pub")
    staff.ok("keys", "import", base / "Legal.pub")
    staff.ok("keys", "sealer", "--label", "Privacy desk", "-o", base / "staff.pub")
    hr.ok("keys", "trust", base / "staff.pub")

    from skimage.data import astronaut

    photos = base / "photos"
    (photos / "day2").mkdir(parents=True)
    pixels = np.ascontiguousarray(astronaut())
    image_io.save_image(photos / "portrait.png", pixels)
    image_io.save_image(photos / "day2" / "mirror.jpg", np.ascontiguousarray(pixels[:, ::-1]))
    out = base / "out"
    staff.ok("anonymize", photos, "-o", out, "--recipient", "HR team", "--recipient", "Legal", "--sidecar")
    return {"base": base, "hr": hr, "legal": legal, "outsider": outsider, "staff": staff, "photos": photos,
            "out": out, "sealed": [out / "photos" / "portrait.png", out / "photos" / "day2" / "mirror.jpg"]}


def _original(world, sealed):
    return image_io.load_image(world["photos"] / sealed.relative_to(world["out"] / "photos")).pixels


def test_staff_hold_only_public_keys_and_cannot_restore(world):
    listing = world["staff"].ok("keys", "list").splitlines()
    assert sorted(line.split()[2] for line in listing) == ["recipient", "recipient", "signing"]
    target = world["base"] / "staff-try.png"
    result = world["staff"].veil("recover", world["sealed"][0], "-o", target)
    assert result.code != 0 and result.one_sentence and not target.exists()
    assert "whose public key you hold" in result.err and "cannot restore" in result.err


@pytest.mark.parametrize("who", ["hr", "legal"])
def test_each_keyholder_restores_every_photo_bit_exact(world, who):
    for i, sealed in enumerate(world["sealed"]):
        original = _original(world, sealed)
        assert not np.array_equal(image_io.load_image(sealed).pixels, original)     # the face really changed
        target = world["base"] / f"{who}-{i}.png"
        out = world[who].ok("recover", sealed, "-o", target)
        restored, published = image_io.load_image(target).pixels, image_io.load_image(sealed).pixels
        if sealed.suffix == ".png":
            np.testing.assert_array_equal(restored, original)
        else:   # a JPEG output is re-encoded outside the faces: every pixel recovery wrote back must be exact
            written = np.any(restored != published, axis=2)
            assert written.sum() > 1000
            np.testing.assert_array_equal(restored[written], original[written])
        if who == "hr":     # HR pinned the staff's signing key
            assert 'sealed by "Privacy desk"' in out and "signature valid" in out
        else:
            assert "unknown sealer" in out and '"Privacy desk"' in out


def test_list_names_both_keyholders_and_the_sealer(world):
    out = world["legal"].ok("recover", world["sealed"][0], "--list")
    assert "2 keyholder(s)" in out and '"HR team"' in out and '"Legal"' in out and "not restorable here" in out


def test_only_trusted_sealers_when_asked(world):
    target = world["base"] / "legal-trusted.png"
    result = world["legal"].veil("recover", world["sealed"][0], "-o", target, "--trusted-only")
    assert result.code != 0 and result.one_sentence and "only trusted sealers" in result.err and not target.exists()


def test_someone_it_was_not_sealed_for_is_refused(world):
    target = world["base"] / "outsider.png"
    result = world["outsider"].veil("recover", world["sealed"][0], "-o", target)
    assert result.code != 0 and result.one_sentence and "none of their private keys" in result.err
    assert not target.exists()


# -- altered recovery data, given as a sidecar ----------------------------------------------------------------------
def _parts(world):
    return split((world["sealed"][0].parent / (world["sealed"][0].name + ".veil")).read_bytes())


def _refused_by_hr(world, payload: bytes, name: str) -> str:
    side = world["base"] / f"{name}.veil"
    side.write_bytes(payload)
    target = world["base"] / f"{name}.png"
    result = world["hr"].veil("recover", world["sealed"][0], "--payload", side, "-o", target)
    assert result.code != 0 and result.one_sentence, result.err
    assert not target.exists()      # never wrong pixels: nothing is written
    return result.err


def test_tampered_signature_is_refused(world):
    header, signature, ciphertext = _parts(world)
    bad = bytes([signature[0] ^ 1]) + signature[1:]
    assert "signature does not match" in _refused_by_hr(world, assemble(header, bad, ciphertext), "bad-signature")


def test_swapped_recipient_list_is_refused(world):
    header, signature, ciphertext = _parts(world)
    header["recipients"].reverse()
    assert "signature does not match" in _refused_by_hr(world, assemble(header, signature, ciphertext), "swapped")


def test_replaced_sealer_key_under_a_trusted_name_is_refused(world):
    """Someone re-signs the header with their own key, calling themselves "Privacy desk" as HR's pinned sealer."""
    header, _, ciphertext = _parts(world)
    mallory = LocalSigner(new_signing_key(), "Privacy desk")
    err = _refused_by_hr(world, resign(header, ciphertext, mallory), "impostor")
    assert "is not the" in err and "you trust" in err


def test_replaced_public_key_is_not_imported(world):
    """A keyholder's public key block whose key was swapped for another (its fingerprint line kept)."""
    hr_block = (world["base"] / "HR team.pub").read_text().splitlines()
    other = (world["base"] / "Outsider.pub").read_text().splitlines()
    forged = world["base"] / "forged.pub"
    forged.write_text("\n".join(hr_block[:6] + other[6:]) + "\n")
    fresh = Profile(world["base"] / "staff2")
    result = fresh.veil("keys", "import", forged)
    assert result.code != 0 and result.one_sentence and "does not match the fingerprint" in result.err
    assert "No recovery keys" in fresh.ok("keys", "list")


def test_photo_sealed_for_someone_else_is_refused(world):
    staff, base = world["staff"], world["base"]
    staff.ok("keys", "import", base / "Outsider.pub")
    out = base / "for-outsider"
    staff.ok("anonymize", world["photos"] / "portrait.png", "-o", out, "--recipient", "Outsider")
    sealed = out / "portrait.png"
    target = base / "hr-not-for-me.png"
    result = world["hr"].veil("recover", sealed, "-o", target)
    assert result.code != 0 and result.one_sentence and not target.exists()
    assert f'sealed for "Outsider" ({show_fingerprint(world["outsider"].ok("keys", "list").split()[0])})' in result.err
    world["outsider"].ok("recover", sealed, "-o", base / "outsider-own.png")
    np.testing.assert_array_equal(image_io.load_image(base / "outsider-own.png").pixels,
                                  image_io.load_image(world["photos"] / "portrait.png").pixels)
