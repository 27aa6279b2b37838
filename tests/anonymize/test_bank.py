"""The shipped identity bank: every identity checked against every photo of its source people, none of them a
validation person, and the seed-to-identity order deterministic and collision-free."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from editor.anonymize.bank import default_bank
from editor.anonymize.identity import SAME_PERSON
from editor.runtime.models import model_path


@pytest.fixture(scope="module")
def record(repo_root) -> dict:
    return json.loads((repo_root / "models" / "identities" / "build_record.json").read_text())


def test_record_matches_the_shipped_bank(record):
    bank = default_bank()
    assert record["bank_sha256"] == hashlib.sha256(model_path("identities").read_bytes()).hexdigest()
    assert [r["id"] for r in record["identities"]] == list(bank.ids)


def test_every_identity_is_far_from_every_source_photo(record):
    assert record["identities"]
    for ident in record["identities"]:
        assert ident["passed"] and ident["min_distance"] >= SAME_PERSON
        assert len(ident["parts"]) == 4 and len(set(p.split("/")[0] for p in ident["parts"].values())) == 4
        assert all(d >= SAME_PERSON for d in ident["distance_to_built_from_photos"].values())
        for person in ident["min_distance_to_source_people"].values():
            assert person["photos"] >= 1 and person["min_distance"] >= SAME_PERSON


def test_no_validation_person_is_a_source(record, repo_root):
    validation = set(json.loads((repo_root / "models" / "training" / "split.json").read_text())
                     ["validation_identities"])
    used = {p.split("/")[0] for r in record["identities"] for p in r["parts"].values()}
    assert used and not used & validation


def test_bank_contents():
    bank = default_bank()
    tex = bank.texture(0)
    assert tex.shape[2] == 3 and tex.shape[0] == tex.shape[1] and 60 < tex.mean() < 220
    assert set(bank.groups.tolist()) == {0, 1}
    assert sorted(bank.tour.tolist()) == list(range(len(bank)))
    assert model_path("identities").stat().st_size < 4_000_000


def test_seeds_give_distinct_identities_in_a_fixed_order():
    bank = default_bank()
    group_size = int(np.sum(bank.groups == 0))
    firsts = [bank.candidates("0:1:2:3:4", seed, 0)[0] for seed in range(group_size)]
    assert len(set(firsts)) == group_size and all(bank.groups[i] == 0 for i in firsts)
    assert bank.candidates("0:1:2:3:4", 5, 0) == bank.candidates("0:1:2:3:4", 5, 0)
    assert bank.candidates("0:1:2:3:4", 5, 0) != bank.candidates("1:9:9:3:4", 5, 0)
    order = bank.candidates("0:1:2:3:4", 5, 0)
    assert sorted(order) == list(range(len(bank)))


def test_retries_stay_apart_between_neighbouring_seeds_and_go_far_from_the_face():
    bank = default_bank()
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


def test_planned_retries_are_apart_from_the_neighbouring_seeds_more_than_the_farthest_ones():
    """Whatever a seed keeps (its first identity or a retry), its neighbour's identity should be a different person:
    on the training faces, the plan's pairs are apart more often than retries picked only for being far from
    the face would be, for faces like each of the bank's identities."""
    bank = default_bank()
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


def test_apart_scores_are_the_recorded_tour_scores_and_extensions_are_recorded(record):
    """The `apart` the engine plans with is the one the record reports for each group's tour, and every identity
    an extension added is in the record with its donor check (checked above for all identities)."""
    bank = default_bank()
    for entry in record["tour_on_training_hosts"]["neighbours_apart_share"]:
        members = [int(i) for i in bank.tour if bank.groups[i] == entry["group"]]
        shares = [bank.apart[a, b] for a, b in zip(members, members[1:] + members[:1])]
        assert len(members) == entry["identities"]
        assert abs(np.mean(shares) - entry["mean"]) < 1e-3 and abs(min(shares) - entry["min"]) < 1e-3
    ids = {r["id"] for r in record["identities"]}
    for ext in record.get("extensions", []):
        assert set(ext["added"]) <= ids and not set(ext["new_not_kept"]) & ids


def test_shipped_textures_pass_the_flaw_checks_and_dropped_ones_are_recorded(record):
    from models.training.build_identities import flaw_reasons, texture_flaws

    bank = default_bank()
    for k in range(len(bank)):
        flaws = texture_flaws(bank.texture(k), bank.points)
        assert not flaw_reasons(flaws), (bank.ids[k], flaws)
    dropped = record.get("dropped", [])
    assert all(d["reasons"] for d in dropped)
    assert not {d["id"] for d in dropped} & set(bank.ids)


def test_flaw_checks_flag_a_glare_streak_and_speckled_brows():
    from models.training.build_identities import flaw_reasons, texture_flaws

    bank = default_bank()
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
