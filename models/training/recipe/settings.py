"""The recipe's knobs, per stage: FULL are the settings the shipped models were made with, QUICK a tiny run.

FULL's numbers come from the shipped models' own records: the segmenter's and the inpainter's manifest rows
(`training.args`), the inpainter's run command (the texture fine-tune of the L1-only baseline: its manifest row
says step 7,677 of a 20,000-step schedule), and the identity bank's build_record.json (the build, --refine and
--extend-group commands). Any knob can be changed from the command line: `--set segmenter.steps=3000`.
"""

from __future__ import annotations

import copy
import json

from .stamps import RecipeError

FULL: dict[str, dict] = {
    # Photos of DATA used by every later stage: "" = all of DATA/celeba; else a sample file (JSON: person ->
    # photo names) whose photos are linked into the work folder, with DATA's mask templates and detector.
    "subset": {"sample": ""},
    # prepare_faces: photos per identity (0 = all); `given`: an existing aligned-face cache to use instead.
    "faces": {"limit": 0, "given": ""},
    "segmenter": {"steps": 2000, "stop_step": 0, "batch": 8, "lr": 1e-3, "warmup": 200, "size": 256,
                  "low_res_steps": 0, "val_every": 200, "val_count": 96, "seed": 0, "device": "auto", "threads": 2,
                  "save_minutes": 5.0, "log_every": 20},
    # The texture fine-tune (models/training/train_inpaint.py) from the L1-only model. The run's colour weight was 0
    # for its first 1,203 steps, 3 up to step 3,608 (3 let an orange nose tip through), 10 up to step 7,207 (10 let
    # a grey-yellow lip band and a greenish chin through) and 20 after; the recipe keeps the final weights
    # throughout. The run's cosine schedule spanned 20,000 steps up to step 15,553 and 30,000 after, and each of
    # its sessions restarted Adam (100-step warm-up) from the committed checkpoint; the recipe runs once, with the
    # last schedule, so it repeats the method, not the exact weights.
    "inpainter": {"init": "models/training/baselines/mcsam_l1_step6201.onnx", "steps": 30000, "stop_step": 21757,
                  "batch": 4, "lr": 1e-4, "warmup": 100, "size": 256, "low_res_steps": 0, "val_every": 100,
                  "val_count": 32, "seed": 0, "device": "auto", "threads": 2, "save_minutes": 10.0,
                  "log_every": 10, "lpips_weight": 0.5, "vgg_weight": 0.5, "style_weight": 100.0,
                  "adv_weight": 0.1, "adv_start": 100, "d_lr": 2e-4, "colour_weight": 20.0, "hole_weight": 6.0},
    # source_margin: each recognizer's cut for grey renders is chosen from data by the build; every photo of a
    # source person must be at least (1 + source_margin) x the cut away (dlib: and at least 0.6).
    "bank_build": {"count": 48, "candidates": 900, "hosts": 6, "per_person": 3, "seed": 0, "source_margin": 0.0},
    "bank_refine": {"tour_hosts": 48, "tour_apart": 0.85},
    "bank_extend": {"group": 1, "candidates": 260, "tour_apart": 0.95},
    # The third-party FaceNet graph converted again (needs the network for pip: tensorflow-cpu, tf2onnx); with
    # convert false the shipped file is only checked against the manifest.
    "facenet": {"convert": True, "celeba_photos": 12},
    # dlib's recognizer read from its .dat and exported again (no network); checked against dlib on the fixtures and
    # this many CelebA training photos, and timed against dlib over timing_repeats passes.
    "dlib_recognizer": {"celeba_photos": 40, "timing_repeats": 5},
    # Identities embedded to choose the thresholds (0 = every training / validation identity).
    "recognizers": {"train_people": 0, "validation_people": 0},
    # ONNX Runtime timings of the export check (the manifest's ort_ms_* numbers) over this many runs.
    "export": {"timing_runs": 15},
    "evaluate": {"segmenter_count": 0, "inpainter_count": 100, "fsr_count": 0, "recognition": True},
}

QUICK_SAMPLE = "models/training/recipe/quick_sample.json"

QUICK_CHANGES: dict[str, dict] = {
    "subset": {"sample": QUICK_SAMPLE},
    "segmenter": {"steps": 2, "batch": 2, "warmup": 1, "val_every": 1, "val_count": 2, "device": "cpu",
                  "threads": 1, "log_every": 1},
    "inpainter": {"steps": 3, "stop_step": 2, "batch": 1, "warmup": 1, "size": 128, "val_every": 1, "val_count": 2,
                  "device": "cpu", "threads": 1, "log_every": 1, "adv_start": 0},
    # The sample's few photos choose strict, noisy cuts; below them, its 16 collages still make a bank to check.
    "bank_build": {"count": 8, "candidates": 16, "hosts": 2, "per_person": 3, "source_margin": -0.25},
    "bank_refine": {"tour_hosts": 2},
    "bank_extend": {"candidates": 8},
    "facenet": {"convert": False, "celeba_photos": 0},
    "dlib_recognizer": {"celeba_photos": 0, "timing_repeats": 1},
    "recognizers": {"train_people": 3, "validation_people": 2},
    "export": {"timing_runs": 2},
    "evaluate": {"segmenter_count": 2, "inpainter_count": 2},
}


def settings(quick: bool = False, changes: list[str] = ()) -> dict[str, dict]:
    """FULL (or FULL with QUICK_CHANGES), then each "stage.knob=value" of `changes` (value as JSON, else text)."""
    out = copy.deepcopy(FULL)
    if quick:
        for stage, knobs in QUICK_CHANGES.items():
            out[stage].update(knobs)
    for change in changes:
        key, sep, text = change.partition("=")
        stage, _, knob = key.partition(".")
        if not sep or stage not in out or knob not in out[stage]:
            raise RecipeError(f"--set {change!r} names no knob; knobs are " + ", ".join(
                f"{s}.{k}" for s, knobs in out.items() for k in knobs) + ".")
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            value = text
        out[stage][knob] = value
    return out
