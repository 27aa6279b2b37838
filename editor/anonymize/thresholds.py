"""Same-person distance thresholds of the identity recognizers, chosen from labelled pairs, and the shipped ones.

The rule (used by models/training/recognizer_thresholds.py, and usable by the app on its own pairs): two faces
are called the same person when their distance is strictly below the threshold. The threshold maximises
balanced accuracy, (TPR + TNR) / 2, over same-person and different-person pairs, so the result does not depend
on how many pairs of each kind were drawn. Candidates are the midpoints between consecutive distinct distances
(and one step outside both ends); among equally good ones the first, i.e. the smallest, wins.

The chosen thresholds ship in models/recognizers.json, a manifest row ("recognizer_thresholds"), so they are
sha256-checked and bundled like the models.
"""

from __future__ import annotations

import json
from typing import Sequence

import numpy as np

from editor.core.errors import ModelError
from editor.core.lazy import Lazy
from editor.runtime.models import model_path

MANIFEST_ROW = "recognizer_thresholds"


def best_threshold(same_distances: Sequence[float], different_distances: Sequence[float]) -> tuple[float, float]:
    """(threshold, balanced accuracy): "same person" means distance < threshold."""
    same = np.sort(np.asarray(same_distances, np.float64))
    different = np.sort(np.asarray(different_distances, np.float64))
    if len(same) == 0 or len(different) == 0:
        raise ValueError("need at least one same-person and one different-person distance")
    values = np.unique(np.concatenate([same, different]))
    candidates = np.concatenate([[values[0] - 1e-6], (values[:-1] + values[1:]) / 2, [values[-1] + 1e-6]])
    tpr = np.searchsorted(same, candidates, side="left") / len(same)                 # same below the cut
    tnr = 1 - np.searchsorted(different, candidates, side="left") / len(different)   # different at or above it
    balanced = (tpr + tnr) / 2
    # Equal rates computed along different paths can differ in the last bit: ties are ties within 1e-12.
    best = int(np.flatnonzero(balanced >= balanced.max() - 1e-12)[0])
    return float(candidates[best]), float(balanced[best])


def rates(same_distances: Sequence[float], different_distances: Sequence[float], threshold: float) -> dict:
    """TPR (same pairs called same), FPR (different pairs called same) and balanced accuracy at `threshold`."""
    same = np.asarray(same_distances, np.float64)
    different = np.asarray(different_distances, np.float64)
    tpr = float(np.mean(same < threshold))
    fpr = float(np.mean(different < threshold))
    return {"tpr": tpr, "fpr": fpr, "balanced_accuracy": (tpr + 1 - fpr) / 2}


def _read_shipped() -> dict:
    path = model_path(MANIFEST_ROW)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        raise ModelError(f"The recognizer thresholds ({path.name}) are unreadable; reinstall Veil.") from None


_shipped: Lazy[dict] = Lazy(_read_shipped)


def shipped_thresholds() -> dict:
    """models/recognizers.json, checked against the manifest ({"recognizers": {name: {"threshold": ...}}})."""
    return _shipped.get()


def recognizer_threshold(name: str) -> float:
    """The same-person threshold chosen on training identities for recognizer `name` ("dlib", "facenet")."""
    try:
        return float(shipped_thresholds()["recognizers"][name]["threshold"])
    except (KeyError, TypeError, ValueError):
        raise ModelError(f"No threshold for the recognizer '{name}' in recognizers.json; reinstall Veil.") from None
