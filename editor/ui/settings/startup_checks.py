"""What the window checks once at start, in a worker: are the shipped models there and intact, which device runs.

Each problem is the loader's own sentence (ModelError), so the start-up report and the message shown when a
command needs the model say the same thing. The checks verify checksums once; the loader caches that, so the
first Detect after start does not hash the file again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional

from editor.core.errors import ModelError
from editor.core.progress import JobContext
from editor.services.runtime_setup import (device_in_use, load_manifest, model_path, predictor_path,
                                           preference_problem, recognizer_path)


@dataclass
class StartupReport:
    model_problems: List[str] = field(default_factory=list)
    device: str = "CPU"                     # where ONNX models run now: "CUDA" or "CPU"
    device_problem: Optional[str] = None    # runtime.device.NO_CUDA when the GPU was chosen but is missing
    models_present: List[str] = field(default_factory=list)   # manifest names (and dlib's two) found intact


def check_models() -> tuple[List[str], List[str]]:
    """(the models found intact, one sentence per missing or corrupt one): the manifest's models by name, then
    dlib's two package models."""
    try:
        names = list(load_manifest()["models"])
    except ModelError as e:
        return [], [str(e)]
    locators = [(name, lambda n=name: model_path(n)) for name in names]
    locators += [("dlib landmarks", predictor_path), ("dlib recognizer", recognizer_path)]
    present, problems = [], []
    for name, locate in locators:
        try:
            locate()
        except ModelError as e:
            problems.append(str(e))
        else:
            present.append(name)
    return present, problems


def model_problems() -> List[str]:
    """One sentence per missing or corrupt model (see check_models)."""
    return check_models()[1]


def device_report() -> tuple[str, Optional[str]]:
    """(device in use, the sentence to show when the chosen GPU is missing)."""
    return device_in_use(), preference_problem()


def run_startup_checks(ctx: JobContext) -> StartupReport:
    ctx.progress(0.0, "Checking the models")
    present, problems = check_models()
    ctx.progress(0.7, "Checking the device")
    device, device_problem = device_report()
    return StartupReport(problems, device, device_problem, present)
