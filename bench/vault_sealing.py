"""Cost of public-key sealing: time to seal one photo and payload bytes added per keyholder, for X25519 and the
hybrid ML-KEM-768 + X25519 suite, next to the symmetric format 1 they replace.

    .venv/bin/python bench/vault_sealing.py            # about 20 s on 2 cores
    .venv/bin/python bench/vault_sealing.py --quick    # a few repeats: checks the bench itself

The photo is the public-domain astronaut portrait (512 x 512, scikit-image) with its face region (129 x 157 px, as
the detector finds it) sealed; sealing here is the payload alone (compress, encrypt, wrap, sign), not the image
encoding that every export does anyway.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

from report import load_average, median, ms, timed  # noqa: E402

from editor.core.geometry import Rect  # noqa: E402
from editor.vault import keypairs  # noqa: E402
from editor.vault.keypairs import CLASSIC, HYBRID, RecipientKey  # noqa: E402
from editor.vault.payload import SealedRegion, build_payload, image_digest, open_payload, parse_payload  # noqa: E402
from editor.vault.sealed_payload import build_sealed_payload, open_sealed_payload, parse_sealed_payload  # noqa: E402
from editor.vault.signing import LocalSigner, new_signing_key  # noqa: E402

FACE = Rect(161, 41, 290, 198)
RECIPIENT_COUNTS = (1, 2, 4)
SUITE_NAMES = {CLASSIC: "X25519", HYBRID: "ML-KEM-768 + X25519"}


def photo() -> np.ndarray:
    from skimage.data import astronaut

    return np.ascontiguousarray(astronaut())


def holders(suite: str, n: int) -> list[tuple[RecipientKey, bytes]]:
    out = []
    for i in range(n):
        private = keypairs.generate_private(suite)
        out.append((RecipientKey(suite, keypairs.public_of(suite, private), f"Keyholder {i + 1}"), private))
    return out


def measure(repeats: int) -> list[tuple[str, str, str]]:
    pixels = photo()
    regions = [(SealedRegion(1, "face", FACE), np.ones((FACE.height, FACE.width), bool))]
    digest = image_digest(pixels, None)
    signer = LocalSigner(new_signing_key(), "Privacy desk")
    common = dict(original=pixels, original_alpha=None, regions=regions, published_sha256=digest, channels=3)
    rows: list[tuple[str, str, str]] = []

    kek = os.urandom(32)
    v1 = build_payload(key_id="ab" * 16, key_label="HR team", kek=kek, **common)
    t = median(timed(lambda: build_payload(key_id="ab" * 16, key_label="HR team", kek=kek, **common), repeats))
    rows.append(("seal one photo, symmetric key (format 1, baseline)", ms(t), f"{len(v1):,} B payload"))
    # Every restore timed here parses its payload, as recovery does: a parsed format-2 payload keeps its verified
    # signature, so reusing one would leave the verification out of the time.
    t = median(timed(lambda: open_payload(parse_payload(v1), kek, digest), repeats))
    rows.append(("restore one photo, symmetric key (format 1)", ms(t), ""))

    for suite in (CLASSIC, HYBRID):
        name = SUITE_NAMES[suite]
        keys = holders(suite, max(RECIPIENT_COUNTS))
        sizes = {}
        for n in RECIPIENT_COUNTS:
            recipients = [k for k, _ in keys[:n]]
            data = build_sealed_payload(recipients=recipients, signer=signer, **common)
            sizes[n] = len(data)
            t = median(timed(lambda: build_sealed_payload(recipients=recipients, signer=signer, **common), repeats))
            rows.append((f"seal one photo, {name}, {n} keyholder(s)", ms(t), f"{len(data):,} B payload"))
        per_recipient = (sizes[RECIPIENT_COUNTS[-1]] - sizes[1]) / (RECIPIENT_COUNTS[-1] - 1)
        rows.append((f"payload bytes per keyholder, {name}", f"{per_recipient:,.0f} B",
                     f"HPKE output {keypairs.WRAPPED_BYTES[suite]:,} B, base64 + JSON fields"))
        rows.append((f"payload overhead over format 1 with 1 keyholder, {name}", f"{sizes[1] - len(v1):,} B",
                     "wrapped key, sealer key and signature, ids and labels"))
        wrap_t = median(timed(lambda: keys[0][0].wrap(os.urandom(32), b"bench"), repeats * 10))
        rows.append((f"wrap the data key for one keyholder, {name}", ms(wrap_t), "HPKE encapsulation + AEAD"))
        data = build_sealed_payload(recipients=[k for k, _ in keys[:2]], signer=signer, **common)
        key, private = keys[1]
        t = median(timed(lambda: open_sealed_payload(parse_sealed_payload(data), key.key_id, suite, private, digest),
                         repeats))
        rows.append((f"restore one photo, {name} (verify signature, unwrap, decrypt)", ms(t), ""))
    return rows


def main(argv: list[str] | None = None) -> list[tuple[str, str, str]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 repeats instead of 30")
    args = parser.parse_args(argv)
    print(f"load average before: {load_average()}")
    rows = measure(3 if args.quick else 30)
    print("| measure | median | notes |")
    print("| --- | --- | --- |")
    for measure_name, value, note in rows:
        print(f"| {measure_name} | {value} | {note} |")
    print(f"load average after: {load_average()}")
    return rows


if __name__ == "__main__":
    main()
