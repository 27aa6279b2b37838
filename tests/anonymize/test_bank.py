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
    tries = {seed: bank.candidates("0:1:2:3:4", seed, group, near=face)[:3] for seed in range(4)}
    for seed, order in tries.items():
        # The first choice is the seed's own, with or without the face's descriptor.
        assert order[0] == bank.candidates("0:1:2:3:4", seed, group)[0]
        assert all(bank.groups[i] == group for i in order)
    for seed in range(3):
        assert not set(tries[seed]) & set(tries[seed + 1]), "neighbouring seeds retried onto one identity"
    # Retries go to the identities farthest from the face first.
    for order in tries.values():
        gaps = [float(np.linalg.norm(bank.descriptors[i] - face)) for i in order[1:]]
        assert gaps == sorted(gaps, reverse=True)
    same_group = [i for i in range(len(bank)) if bank.groups[i] == group]
    retried = [float(np.linalg.norm(bank.descriptors[i] - face)) for o in tries.values() for i in o[1:]]
    assert np.mean(retried) > np.mean([np.linalg.norm(bank.descriptors[i] - face) for i in same_group])


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
