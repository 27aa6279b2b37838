"""The source check's judges: every recognizer the engine verifies with, each at a cut chosen from data for faces
rendered on grey, and the check of one identity against every photo of each of its source people.

An identity is judged as the recognizers see it in the bank: its texture inside the face outline on mid grey at
the mean shape. On grey every face sits nearer to everyone's photos than photo pairs do, so the recognizers'
photo thresholds do not apply there; the cut for each recognizer is chosen in that same setting by
identity_bank.calibrate (source photos rendered on grey against their own person's other photos and every other
person's nearest photo, maximising balanced accuracy), once per build, and recorded with its numbers. dlib's
textbook line (0.6) is kept as a floor: dlib's required distance is the larger of the two.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from editor.anonymize.identity import SAME_PERSON
from editor.anonymize.recognizers import default_recognizers
from models.training.identity_bank.calibrate import calibration

from .faces import photo_vectors

DLIB_FLOOR = SAME_PERSON


@dataclass(frozen=True)
class SourceJudges:
    recognizers: tuple                    # editor.anonymize.recognizers.Recognizer, dlib first
    vectors: dict[str, np.ndarray]        # recognizer name -> its vector of every analysed photo (faces' rows)
    required: dict[str, float]            # recognizer name -> the distance every source photo must be from
    record: dict                          # the cuts, how they were chosen and their numbers (build_record.json)

    @classmethod
    def calibrated(cls, src, faces: dict, margin: float = 0.0) -> "SourceJudges":
        """Cuts chosen on `src`'s photos (Sources: the build's source photos in its frame) rendered on grey,
        against every analysed photo of `faces`; each required distance is the cut times (1 + margin)."""
        recognizers = default_recognizers()
        vectors = photo_vectors(faces)
        names = [str(p) for p in faces["paths"]]
        people = np.array([n.split("/")[0] for n in names])
        photos = sorted(src.textures)
        print(f"calibrating the source check's cuts on {len(photos)} source photos rendered on grey", flush=True)
        arrays = calibration({"points": src.points, "names": [names[i] for i in photos],
                              "textures": [src.textures[i] for i in photos]},
                             recognizers, {n: (people, v) for n, v in vectors.items()}, names)
        rows = {}
        for rec in recognizers:
            cut = float(arrays[f"cut_{rec.name}"])
            need = cut * (1 + margin)
            rows[rec.name] = {
                "cut_on_grey": round(cut, 4), "balanced_accuracy": round(float(arrays[f"balanced_{rec.name}"]), 4),
                "same_person_rate_at_cut": round(float(arrays[f"tpr_{rec.name}"]), 4),
                "different_person_rate_under_cut": round(float(arrays[f"fpr_{rec.name}"]), 4),
                "same_person_median": round(float(np.median(arrays[f"same_{rec.name}"])), 4),
                "different_person_median": round(float(np.median(arrays[f"different_{rec.name}"])), 4),
                "photo_threshold": rec.threshold,
                "required": round(max(need, DLIB_FLOOR) if rec.name == "dlib" else need, 4)}
        record = {
            "rule": "an identity ships only if, for every recognizer the engine verifies with, its render on grey "
                    "at the mean shape is at least that recognizer's required distance from EVERY photo of each "
                    "of its source people; required = the recognizer's cut for grey renders x (1 + margin), and "
                    f"for dlib at least {DLIB_FLOOR}",
            "cut_chosen_by": "models/training/identity_bank/calibrate.py: each source photo rendered on grey in the "
                             "bank's frame; same person = its own person's nearest other photo, different person = "
                             "every other training person's nearest photo; the cut maximises balanced accuracy",
            "calibrated_on": {"source_photos": len(photos),
                              "people": len({names[i].split("/")[0] for i in photos}),
                              "photos_compared": len(names)},
            "margin": margin, "recognizers": rows}
        return cls(recognizers, vectors, {n: r["required"] for n, r in rows.items()}, record)

    @classmethod
    def recorded(cls, record: dict, faces: dict) -> "SourceJudges":
        """The judges of a build whose record holds them (an extension reuses its build's cuts)."""
        recognizers = default_recognizers()
        rows = record["recognizers"]
        missing = [r.name for r in recognizers if r.name not in rows]
        if missing:
            raise ValueError(f"the build record has no source-check cut for {', '.join(missing)}")
        return cls(recognizers, photo_vectors(faces), {r.name: float(rows[r.name]["required"]) for r in recognizers},
                   record)

    def judge(self, grey: np.ndarray, points68: np.ndarray, photos_of: dict[str, list[int]],
              built_from: dict[str, int]) -> dict:
        """`grey`: the identity rendered on grey at the mean shape `points68`; `photos_of`: each source person's
        analysed photos (rows of faces); `built_from`: the photos it was made from (path -> row). Per
        recognizer: the smallest distance to each person's photos, to each built-from photo, and overall; it
        passes a recognizer when that smallest distance is at least the required one."""
        out = {"per_person": {}, "built_from": {}, "min_distance": {}, "passed_by": {}, "embedding": None}
        for rec in self.recognizers:
            emb = rec.embedder.embed(grey, points68)
            if out["embedding"] is None:
                out["embedding"] = emb                  # dlib's: the bank's own space
            vectors = self.vectors[rec.name]
            out["per_person"][rec.name] = {
                p: {"photos": len(rows),
                    "min_distance": round(float(np.linalg.norm(vectors[rows] - emb, axis=1).min()), 4)}
                for p, rows in photos_of.items()}
            out["built_from"][rec.name] = {path: round(float(np.linalg.norm(vectors[i] - emb)), 4)
                                           for path, i in built_from.items()}
            worst = min(v["min_distance"] for v in out["per_person"][rec.name].values())
            out["min_distance"][rec.name] = worst
            out["passed_by"][rec.name] = worst >= self.required[rec.name]
        out["passed"] = all(out["passed_by"].values())
        return out
