"""End-to-end scenarios, each run in its own process by run_all.py (so its peak memory is its own).

    python bench/scenarios.py e2e  --photo P.jpg --flow inpaint --repeats 3 --out result.json
    python bench/scenarios.py open --photo P.png --repeats 3 --out result.json

`e2e` first runs the flow once on the sample portrait (models load; timed apart), then `repeats` times: open the
photo, detect faces (68 landmarks included), apply the flow (inpaint: mask the faces and fill them; anonymize:
new verified identities written into the document; unmask), export a JPEG with the privacy profile (a sealed
export needs a recovery key in the OS keyring, which a benchmark must not touch). `open` times Veil's open
against a plain cv2.imread decode. Both write the median seconds of each step and the peak RSS as JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Optional

import cv2

sys.path.insert(0, str(Path(__file__).resolve().parent))

from photos import PORTRAIT, write_photo  # noqa: E402
from report import median, peak_rss_kib, timed  # noqa: E402

from editor.core.document import Document  # noqa: E402
from editor.services import anonymize_service, unmask_service  # noqa: E402
from editor.services.documents import export_document, open_document  # noqa: E402
from editor.services.faces import detect_faces, mask_selected_faces  # noqa: E402
from editor.services.inpainting import FACE_AWARE_ENGINE, apply_result, inpaint  # noqa: E402


def _anonymize(doc: Document) -> None:
    anonymize_service.apply_to_document(doc, anonymize_service.anonymize_faces(doc.image, doc.faces, seed=0))


MASK_TEMPLATES = Path(__file__).resolve().parents[2] / "shared" / "data" / "mask-templates"   # MIT


def _masked_copy(photo: Path, out: Path) -> Path:
    """The photo with a face mask drawn on every face (the unmask flow needs masked faces), templates in turn."""
    from editor.vision.synthetic_mask import load_templates, wear_mask

    templates = load_templates(MASK_TEMPLATES)
    pixels = cv2.cvtColor(cv2.imread(str(photo)), cv2.COLOR_BGR2RGB)
    for n, face in enumerate(detect_faces(pixels)):
        if face.landmarks68 is not None:
            pixels, _ = wear_mask(pixels, face.landmarks68, templates[n % len(templates)])
    return write_photo(out.with_suffix(photo.suffix), pixels)


# Each flow's step beside the fill: a document with its faces detected -> the edited document.
FLOW_SERVICES: dict[str, Callable[[Document], object]] = {
    "anonymize": _anonymize, "unmask": unmask_service.remove_face_masks}


def _since(start: float) -> float:
    return time.perf_counter() - start


def run_e2e(photo: Path, flow: str, repeats: int, engine: str = FACE_AWARE_ENGINE) -> dict:
    def fill_faces(doc: Document) -> None:
        mask_selected_faces(doc)
        apply_result(doc, inpaint(doc.image, doc.mask, engine, faces=doc.faces))   # as the window fills

    step = fill_faces if flow == "inpaint" else FLOW_SERVICES[flow]
    with tempfile.TemporaryDirectory() as tmp:
        portrait = PORTRAIT
        if flow == "unmask":
            if not MASK_TEMPLATES.is_dir():
                return {"unavailable": f"the mask templates that put masks on the faces are missing ({MASK_TEMPLATES})"}
            portrait = _masked_copy(PORTRAIT, Path(tmp) / "portrait")
            photo = _masked_copy(photo, Path(tmp) / "photo")
        return _timed_e2e(photo, portrait, flow, step, repeats, Path(tmp))


def _timed_e2e(photo: Path, portrait: Path, flow: str, step: Callable[[Document], object], repeats: int,
               tmp: Path) -> dict:
    def warm_up() -> None:
        doc = Document(cv2.cvtColor(cv2.imread(str(portrait)), cv2.COLOR_BGR2RGB))
        doc.set_faces(detect_faces(doc.image))
        step(doc)

    warm = timed(warm_up, 1, warmup=0)[0]
    steps: dict[str, list[float]] = {"open": [], "detect": [], flow: [], "export": []}
    found = 0
    for _ in range(repeats):
        start = time.perf_counter()
        doc = open_document(photo)
        steps["open"].append(_since(start))
        start = time.perf_counter()
        doc.set_faces(detect_faces(doc.image))
        steps["detect"].append(_since(start))
        found = len(doc.faces)
        start = time.perf_counter()
        step(doc)
        steps[flow].append(_since(start))
        start = time.perf_counter()
        export_document(doc, Path(tmp) / "export.jpg", profile="privacy")
        steps["export"].append(_since(start))
        del doc                                  # the next open must not find this one still in memory
    totals = [sum(v[i] for v in steps.values()) for i in range(repeats)]
    return {"steps": {k: median(v) for k, v in steps.items()}, "total": median(totals), "faces_found": found,
            "model_load": warm, "peak_rss_kib": peak_rss_kib(), "repeats": repeats}


def run_open(photo: Path, repeats: int) -> dict:
    def veil() -> None:
        open_document(photo)

    veil_s = median(timed(veil, repeats, warmup=1))
    peak = peak_rss_kib()                            # before the baseline's own buffers
    baseline = median(timed(lambda: cv2.imread(str(photo), cv2.IMREAD_COLOR), repeats, warmup=1))
    return {"veil": veil_s, "cv2_imread": baseline, "peak_rss_kib": peak, "repeats": repeats}


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenario", choices=("e2e", "open"))
    parser.add_argument("--photo", type=Path, required=True)
    parser.add_argument("--flow", choices=("inpaint", *FLOW_SERVICES), default="inpaint")
    parser.add_argument("--engine", default=FACE_AWARE_ENGINE, help="inpainting engine of the inpaint flow")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, required=True, help="where to write the JSON result")
    args = parser.parse_args(argv)
    result = run_e2e(args.photo, args.flow, args.repeats, args.engine) if args.scenario == "e2e" else \
        run_open(args.photo, args.repeats)
    args.out.write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
