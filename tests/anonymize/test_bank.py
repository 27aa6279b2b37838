"""The shipped identity bank, measured: whole faces in range, descriptors that are dlib's own, no identity the
same person as a photo it was built from, neighbouring seeds that both recognizers tell apart on a face of each
appearance group, the count the model card states, and a seed-to-identity order that is deterministic and
collision-free.

The measurements against CelebA photos (the sources, a validation face as host) skip when ../shared/data/celeba is
not present; the rest needs only the shipped files. The check against every photo of every source person by both
recognizers (the bank's privacy rule) is slow: it runs with -m slow.
"""

from __future__ import annotations

import json
import re

import cv2
import numpy as np
import pytest

from editor.anonymize.bank import default_bank
from editor.anonymize.engine import AnonymizeOptions
from editor.anonymize.identity import SAME_PERSON, distance, local_embedder
from editor.anonymize.mesh import face_outline, fill_polygon
from editor.anonymize.recognizers import default_recognizers
from editor.anonymize.reshape import reshaped_landmarks
from editor.anonymize.synthesis import synthesize_face
from editor.core.image_io import load_image
from editor.runtime.models import model_path
from editor.vision.pipeline import default_pipeline

# A validation person (never a source, never a tour host) whose face falls in the second appearance group; the
# astronaut (public domain) falls in the first.
SECOND_GROUP_HOST = "celeb_112/022151.jpg"
# The builder checked each candidate before JPEG encoding, on landmarks from its own cache; the shipped texture
# and the app's landmarks move a distance by less than this.
BUILT_FROM_SLACK = 0.01


@pytest.fixture(scope="module")
def bank():
    return default_bank()


@pytest.fixture(scope="module")
def celeba(repo_root):
    folder = repo_root.parent / "shared" / "data" / "celeba"
    if not folder.is_dir():
        pytest.skip("CelebA photos (../shared/data/celeba) not present")
    return folder


@pytest.fixture(scope="module")
def face_cover(bank) -> np.ndarray:
    """The mean-shape face outline in the texture frame (1 inside), where an identity's texture is its face."""
    side = bank.texture(0).shape[0]
    return fill_polygon((side, side), face_outline(np.asarray(bank.points, np.float64)))


def on_grey(texture: np.ndarray, cover: np.ndarray) -> np.ndarray:
    """The identity alone: its face inside the outline, mid grey around it (how the builder embeds it)."""
    c = cover[..., None]
    return np.clip(c * texture + (1 - c) * 128.0, 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def measured_descriptors(bank, face_cover) -> np.ndarray:
    """dlib's descriptor of each identity rendered alone on grey at the mean shape (N x 128)."""
    embedder = local_embedder()
    mesh68 = np.asarray(bank.points, np.float64)[:68]
    return embedder.embed_chips([embedder.chip(on_grey(bank.texture(k), face_cover), mesh68)
                                 for k in range(len(bank))])


def photo_face(path):
    image = load_image(path).pixels
    faces = default_pipeline().find_faces(image)
    assert faces and faces[0].landmarks68 is not None, path
    return image, max(faces, key=lambda f: f.box[2] * f.box[3])


# -- the bank's own content -----------------------------------------------------------------------------------------
def test_every_texture_is_a_whole_face_in_range(bank, face_cover):
    side = bank.texture(0).shape[0]
    inside = face_cover > 0.5
    assert len(set(bank.ids)) == len(bank) > 0
    for k in range(len(bank)):
        texture = bank.texture(k)
        assert texture.shape == (side, side, 3) and np.all(np.isfinite(texture)), bank.ids[k]
        assert texture.min() >= 0 and texture.max() <= 255, bank.ids[k]
        face = texture[inside]
        assert 100 < face.mean() < 180 and 20 < face.std() < 70, (bank.ids[k], face.mean(), face.std())
        assert np.mean(face.max(axis=1) < 20) < 0.01, f"{bank.ids[k]} has black holes in its face"
    assert set(bank.groups.tolist()) == {0, 1}
    assert sorted(bank.tour.tolist()) == list(range(len(bank)))
    assert model_path("identities").stat().st_size < 4_000_000


def test_descriptors_are_dlibs_own_of_each_identity(bank, measured_descriptors):
    """The engine tries the identities farthest from a face first by these descriptors: they must be what dlib
    says of each texture, not stale numbers from an earlier bank."""
    gaps = np.linalg.norm(measured_descriptors - bank.descriptors, axis=1)
    assert gaps.max() < 0.01, bank.ids[int(np.argmax(gaps))]


def test_the_model_card_and_the_bank_readme_state_the_banks_identity_count(bank, repo_root):
    sizes = [int(np.sum(bank.groups == g)) for g in (0, 1)]
    card = (repo_root / "models" / "MODEL_CARD.md").read_text(encoding="utf-8")
    stated = re.search(r"bank of (\d+) synthetic\s+identities \((\d+) \+ (\d+)", card)
    assert stated and [int(n) for n in stated.groups()] == [len(bank)] + sizes
    readme = (repo_root / "models" / "identities" / "README.md").read_text(encoding="utf-8")
    stated = re.search(r"(\d+) identities in two appearance groups \((\d+) and (\d+)", readme)
    assert stated and [int(n) for n in stated.groups()] == [len(bank)] + sizes


# -- measured against photos ----------------------------------------------------------------------------------------
def test_no_identity_is_the_same_person_as_a_photo_it_was_built_from(bank, measured_descriptors, celeba, repo_root):
    """Each identity is a collage of four training people's photos (the build record lists them): dlib, rendered
    alone, must not call it the same person as any of those photos, and no validation person may be a source."""
    record = json.loads((repo_root / "models" / "identities" / "build_record.json").read_text(encoding="utf-8"))
    parts = {r["id"]: sorted(r["parts"].values()) for r in record["identities"]}
    validation = set(json.loads((repo_root / "models" / "training" / "split.json").read_text())
                     ["validation_identities"])
    assert set(parts) >= set(bank.ids)
    photos = sorted({p for i in bank.ids for p in parts[i]})
    assert not {p.split("/")[0] for p in photos} & validation
    embedder = local_embedder()
    chips = [embedder.chip(image, face.landmarks68) for image, face in (photo_face(celeba / p) for p in photos)]
    of_photo = dict(zip(photos, embedder.embed_chips(chips)))
    for ident, mine in zip(bank.ids, measured_descriptors):
        closest = min(parts[ident], key=lambda p: distance(mine, of_photo[p]))
        assert distance(mine, of_photo[closest]) >= SAME_PERSON - BUILT_FROM_SLACK, (ident, closest)


@pytest.fixture(scope="module")
def source_distances(bank, face_cover, celeba, repo_root) -> tuple[dict, list[tuple[str, dict]]]:
    """Each identity on grey against every photo of each person it came from, by every recognizer the engine
    verifies with (shipped_bank.source_judges, the build's own check). The cuts are the build record's when it
    holds them (chosen from data by the build); otherwise they are chosen the same way here, on the source
    people's photos in the bank's frame (identity_bank.calibrate). Returns (required distance per recognizer,
    [(identity, the check)])."""
    from models.training.shipped_bank.faces import analyse
    from models.training.shipped_bank.source_judges import SourceJudges
    from models.training.shipped_bank.sources import Sources

    record = json.loads((repo_root / "models" / "identities" / "build_record.json").read_text(encoding="utf-8"))
    parts = {r["id"]: sorted(r["parts"].values()) for r in record["identities"]}
    people = sorted({p.split("/")[0] for i in bank.ids for p in parts[i]})
    faces = analyse(celeba, people, None)
    if "source_check" in record:
        judges = SourceJudges.recorded(record["source_check"], faces)
    else:
        judges = SourceJudges.calibrated(Sources(celeba, faces, people, 3, points=bank.points), faces)
    row = {str(p): i for i, p in enumerate(faces["paths"])}
    mesh68 = np.asarray(bank.points, np.float64)[:68]
    checks = []
    for k, ident in enumerate(bank.ids):
        mine = sorted({p.split("/")[0] for p in parts[ident]})
        photos_of = {q: [i for p, i in row.items() if p.startswith(q + "/")] for q in mine}
        checks.append((ident, judges.judge(on_grey(bank.texture(k), face_cover), mesh68, photos_of,
                                           {p: row[p] for p in parts[ident] if p in row})))
    return judges.required, checks


# Every photo of the bank's source people (69) goes through the app's finder and both recognizers: minutes, so the
# test runs with -m slow.
@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_every_identity_is_far_from_every_photo_of_its_source_people_by_every_recognizer(source_distances):
    """The bank's privacy rule, measured on the shipped textures: rendered alone on grey, each identity is at least
    each recognizer's required distance (its data-chosen cut for grey renders; dlib's at least 0.6) from EVERY
    photo of each person it was made from."""
    required, checks = source_distances
    close = {name: [(ident, check["min_distance"][name]) for ident, check in checks
                    if check["min_distance"][name] < need - BUILT_FROM_SLACK]
             for name, need in required.items()}
    assert not any(close.values()), "; ".join(
        f"{name} (required {required[name]:.3f}): {len(rows)} of {len(checks)} too close {rows}"
        for name, rows in close.items() if rows)


@pytest.fixture(params=[0, 1], ids=["first group (astronaut)", "second group (validation face)"])
def host(request, astronaut, astronaut_face):
    if request.param == 0:
        return 0, astronaut, astronaut_face
    return (1,) + photo_face(request.getfixturevalue("celeba") / SECOND_GROUP_HOST)


def test_neighbouring_seeds_give_people_every_recognizer_tells_apart(bank, host):
    """Seed n and n + 1 start on neighbours of the group's tour. Rendered on one face (never a tour host) by the
    engine's synthesis, at least three in four neighbour pairs are another person for dlib and FaceNet at once, at
    their shipped thresholds (the build ordered each tour for that on 48 training faces per group and recorded the
    share it reached), and neighbours are that more often than the group's pairs in general: the tour does that
    work. The engine's retries and the benchmark's two-seed row cover the pairs a tour cannot separate."""
    group, image, face = host
    recognizers = default_recognizers()
    dlib = recognizers[0]
    original = dlib.embed_faces(image, [face.landmarks68])[0]
    assert int(np.argmin([distance(original, c) for c in bank.group_centres])) == group
    members = [int(i) for i in bank.tour if bank.groups[i] == group]
    options = AnonymizeOptions()
    renders, landmarks = [], []
    for k in members:
        target = reshaped_landmarks(face.landmarks68, bank.shape_offsets[k], bank.points, options.reshape_budget)
        patch = synthesize_face(image, face.landmarks68, bank.texture(k), bank.points, bank.triangles,
                                bank.ring_triangles, target, options.style)
        render = image.copy()
        render[patch.rect.slices] = patch.pixels
        renders.append(render)
        landmarks.append(target)
    n = len(members)
    apart = np.ones((n, n), bool)
    for rec in recognizers:
        embedder = rec.embedder
        emb = embedder.embed_chips([embedder.chip(r, lm) for r, lm in zip(renders, landmarks)])
        apart &= np.linalg.norm(emb[:, None] - emb[None], axis=2) >= rec.threshold
    neighbours = np.array([apart[p, (p + 1) % n] for p in range(n)])
    close = [(bank.ids[members[p]], bank.ids[members[(p + 1) % n]]) for p in np.flatnonzero(~neighbours)]
    assert neighbours.mean() >= 0.75, f"the same person for some recognizer in tour neighbours {close}"
    assert neighbours.mean() >= apart[np.triu_indices(n, 1)].mean()


# -- the seed-to-identity order -------------------------------------------------------------------------------------
def test_seeds_give_distinct_identities_in_a_fixed_order(bank):
    group_size = int(np.sum(bank.groups == 0))
    firsts = [bank.candidates("0:1:2:3:4", seed, 0)[0] for seed in range(group_size)]
    assert len(set(firsts)) == group_size and all(bank.groups[i] == 0 for i in firsts)
    assert bank.candidates("0:1:2:3:4", 5, 0) == bank.candidates("0:1:2:3:4", 5, 0)
    assert bank.candidates("0:1:2:3:4", 5, 0) != bank.candidates("1:9:9:3:4", 5, 0)
    order = bank.candidates("0:1:2:3:4", 5, 0)
    assert sorted(order) == list(range(len(bank)))


def test_retries_stay_apart_between_neighbouring_seeds_and_go_far_from_the_face(bank):
    face = bank.descriptors[0] + 0.01              # a face that looks like identity 0
    group = int(bank.groups[0])
    n = int(np.sum(bank.groups == group))
    tries = {seed: bank.candidates("0:1:2:3:4", seed, group, near=face)[:3] for seed in range(n + 1)}
    for seed, order in tries.items():
        # The first choice is the seed's own, with or without the face's descriptor.
        assert order[0] == bank.candidates("0:1:2:3:4", seed, group)[0]
        assert all(bank.groups[i] == group for i in order) and len(set(order)) == 3
    for seed in range(n):
        assert not set(tries[seed]) & set(tries[seed + 1]), "neighbouring seeds tried one identity"
    same_group = [i for i in range(len(bank)) if bank.groups[i] == group]
    retried = [float(np.linalg.norm(bank.descriptors[i] - face)) for o in tries.values() for i in o[1:]]
    assert np.mean(retried) > np.mean([np.linalg.norm(bank.descriptors[i] - face) for i in same_group])


def test_planned_retries_are_apart_from_the_neighbouring_seeds_more_than_the_farthest_ones(bank):
    """Whatever a seed keeps (its first identity or a retry), its neighbour's identity should be a different person:
    on the training faces, the plan's pairs are apart more often than retries picked only for being far from
    the face would be, for faces like each of the bank's identities."""
    planned, farthest = [], []
    for k in range(len(bank)):
        group = int(bank.groups[k])
        members = [int(i) for i in bank.tour if bank.groups[i] == group]
        face = bank.descriptors[k] + 0.01
        plan = bank.retry_plan(members, face)
        gaps = np.linalg.norm(bank.descriptors[members] - face, axis=1)
        n = len(members)
        for p in range(n):
            mine = [members[p]] + plan[p]
            theirs = [members[(p + 1) % n]] + plan[(p + 1) % n]
            planned += [bank.apart[a, b] for a in mine for b in theirs]
            near_first = [members[q] for q in np.argsort(-gaps) if q not in (p, (p + 1) % n)]
            farthest += [bank.apart[a, b] for a in [members[p]] + near_first[:2]
                         for b in [members[(p + 1) % n]] + near_first[2:4]]
    assert np.mean(planned) > np.mean(farthest) + 0.05
    assert np.all(bank.apart == bank.apart.T) and np.all(np.diag(bank.apart) == 0)


# -- texture flaws --------------------------------------------------------------------------------------------------
def test_shipped_textures_pass_the_flaw_checks(bank):
    from models.training.build_identities import flaw_reasons, texture_flaws

    for k in range(len(bank)):
        flaws = texture_flaws(bank.texture(k), bank.points)
        assert not flaw_reasons(flaws), (bank.ids[k], flaws)


def test_flaw_checks_flag_a_glare_streak_and_speckled_brows(bank):
    from models.training.build_identities import flaw_reasons, texture_flaws

    clean = bank.texture(0)
    assert not flaw_reasons(texture_flaws(clean, bank.points))
    pts = bank.points
    glare = clean.copy()
    for a, b in ((48, 54), (54, 48)):                           # a bright streak beside each mouth corner
        x, y = (pts[a] + (pts[a] - pts[b]) * 0.15).astype(int)
        glare[y - 12: y + 6, x - 4: x + 5] = 250.0
    assert any("glare" in r for r in flaw_reasons(texture_flaws(glare, pts)))
    speckled = clean.copy()
    rng = np.random.default_rng(0)
    for brow in (slice(17, 22), slice(22, 27)):
        lo, hi = pts[brow].min(axis=0).astype(int), pts[brow].max(axis=0).astype(int)
        area = speckled[lo[1] - 2: hi[1] + 6, lo[0]: hi[0]]
        area += rng.choice([-60.0, 60.0], size=area.shape[:2])[..., None]
    assert any("brows" in r for r in flaw_reasons(texture_flaws(np.clip(speckled, 0, 255), pts)))
    smeared = clean.copy()                                      # each eye opening smudged into the skin around it
    for eye in (slice(36, 42), slice(42, 48)):
        lo, hi = pts[eye].min(axis=0).astype(int) - 6, pts[eye].max(axis=0).astype(int) + 6
        smeared[lo[1]: hi[1], lo[0]: hi[0]] = cv2.GaussianBlur(smeared[lo[1]: hi[1], lo[0]: hi[0]], (0, 0), 4)
    assert any("eyes" in r for r in flaw_reasons(texture_flaws(smeared, pts)))
    assert not any("eyes" in r for r in flaw_reasons(texture_flaws(clean, pts)))


def test_the_engine_draws_no_backdrop_or_dotted_line_past_the_outline(bank, face_cover):
    """The blend reaches past the face outline: what the engine draws there is the identity's skin carried out,
    not the stored texture's brown backdrop and the dotted dark line along its outline."""
    cover = (face_cover > 0.5).astype(np.uint8)
    band = (cv2.dilate(cover, np.ones((7, 7), np.uint8)) > 0) & ~(cv2.erode(cover, np.ones((7, 7), np.uint8)) > 0)
    inner = cv2.erode(cover, np.ones((15, 15), np.uint8)) > 0

    def darkest_under_skin(texture: np.ndarray) -> float:
        light = cv2.cvtColor(np.clip(texture, 0, 255).astype(np.uint8), cv2.COLOR_RGB2LAB)[..., 0].astype(float)
        return float(np.median(light[inner]) - np.percentile(light[band], 1))

    for k in range(len(bank)):
        assert darkest_under_skin(bank.texture(k)) > 80, "the stored texture no longer has its dotted line"
        assert darkest_under_skin(bank.render_texture(k)) < 70, bank.ids[k]
        inside = cv2.erode(cover, np.ones((11, 11), np.uint8)) > 0        # the face itself is drawn as stored
        assert np.array_equal(bank.render_texture(k)[inside], bank.texture(k)[inside])
