"""Build the identity bank (models/identities/identities.npz) and its build record from CelebA training identities.

Every shipped identity is a *collage*: the eye-and-brow region of one person, the nose of a second, the mouth and
chin of a third and the skin of a fourth, each from a frontal photo warped onto one mean-shape frame and matched in
colour, plus a shape (brow, nose and eye placement) taken from the first two. No photo contributes a whole face.
Each candidate is rendered on grey in the frame, embedded by every recognizer the engine verifies with (dlib and
FaceNet) and compared with EVERY photo of each of its four source people; it is shipped only if, for every
recognizer, all those distances clear that recognizer's cut for grey renders, chosen from data once per build
(source_judges, with identity_bank.calibrate; dlib's at least 0.6). The record lists the cuts with their numbers,
every source photo and every distance per recognizer. Candidates are rendered onto a few
host faces with the real engine, and the bank is chosen greedily so that identities stay far apart from each other
on those hosts (two seeds should give two different people).

`--refine` then re-checks a built bank (in --out): identities whose texture fails an objective check (glare or a
seam beside the mouth, speckled brows: `texture_flaws`) are dropped, every other identity is rendered on
TOUR_HOSTS training faces per group, and each group's tour is re-ordered so that neighbours are >= 0.6 apart on
the most faces, dropping identities that look like many others while that helps (`pruned_tour`). The record
keeps every score and the reason for every drop.

Validation identities (models/training/split.json) are never used, so the benchmark measures unseen people.
The textures derive from CelebA (non-commercial research only): the bank inherits that condition.

The shipped bank came from three runs, each on the previous one's --out (the recipe, models/training/recipe,
runs them as its bank stages with these settings; their commands are also in the bank's build_record.json):

    python -m models.training.build_identities --cache FACES.npz --out OUT
    python -m models.training.build_identities --cache FACES.npz --out OUT --refine
    python -m models.training.build_identities --cache FACES.npz --out OUT --extend-group 1 --candidates 260 \
        --tour-apart 0.95

Modules, by stage: faces (landmarks and every recognizer's vectors of every photo, cached), sources and frame (the
photos in the mean-shape frame), collage (candidates and the donor check), source_judges (the donor check's
recognizers and cuts), tours (renders on host faces, `apart`, the
tour), texture_checks, bank_file (identities.npz), and the three runs: build, refine, extend; cli parses the
command line (`python -m models.training.build_identities` or `python -m models.training.shipped_bank`).
"""
