"""Build the identity bank (models/identities/identities.npz) from the training people, by stages.

Every identity is a whole-face morph of two training people of one appearance group: two frontal, neutral, clean
photos warped onto one mean-shape frame and mixed with a seeded weight, so the new face has one skin, one light
and no region seams. A morph can still look like one of its sources (that is what morphing attacks exploit), so
each candidate is rendered on grey and embedded by every recognizer the engine uses, and compared with *every*
photo of both its source people: it is kept only if all those distances clear the recognizer's data-chosen
threshold by the margin. The kept ones are picked to be far apart from each other, rendered by the engine on
host faces to measure which pairs stay apart on real faces (`apart`), and ordered in a tour.

Stages (each writes into the work folder, records a stamp of its settings and inputs, and is skipped when those
did not change): faces -> sources -> candidates -> select -> write.

    python -m models.training.identity_bank                 # rebuild the shipped bank (same seed, same result)
    python -m models.training.identity_bank --data DIR --work runs/identity_bank --out models/identities

Not yet the shipped bank's recipe (models/training/build_identities.py built the shipped collage bank): morphs
sit too near their sources. Measured on 40 candidates: with three people per morph the nearest source photo is a
median 0.57 (dlib) away on grey, against a data-chosen cut of 0.60 there, and 2 of 40 cleared it; texture PCA
samples sit 0.55 from the nearest training person. The calibration and checks here are what a shipped bank must
pass.

Validation identities (models/training/split.json) are never used. The textures derive from CelebA
(non-commercial research only): the bank inherits that condition.
"""
