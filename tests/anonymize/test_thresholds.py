"""Choosing a recognizer's same-person threshold from labelled distances, and reading the shipped ones."""

from __future__ import annotations

import json

import pytest

from editor.anonymize.thresholds import best_threshold, rates, recognizer_threshold, shipped_thresholds


def test_a_clean_gap_is_cut_in_its_middle():
    threshold, balanced = best_threshold([0.1, 0.2], [0.5, 0.9])
    assert threshold == pytest.approx(0.35) and balanced == 1.0


def test_balanced_accuracy_not_plain_accuracy_is_maximised():
    # 2 same pairs at 0.3; 10 different pairs at 0.2, 10 at 0.9. Plain accuracy peaks at a tiny threshold
    # (everything "different": 20/22 right); balanced accuracy at 0.6 (both same pairs, half the others).
    threshold, balanced = best_threshold([0.3, 0.3], [0.2] * 10 + [0.9] * 10)
    assert threshold == pytest.approx(0.6) and balanced == pytest.approx(0.75)


def test_ties_take_the_smallest_threshold_and_the_cut_is_strict():
    same, different = [0.1, 0.2, 0.3, 0.5], [0.4, 0.6, 0.7, 0.8]
    threshold, balanced = best_threshold(same, different)     # 0.35 and 0.55 both give 0.875
    assert threshold == pytest.approx(0.35) and balanced == pytest.approx(0.875)
    at = rates(same, different, 0.5)                           # a distance equal to the threshold is "different"
    assert at == {"tpr": 0.75, "fpr": 0.25, "balanced_accuracy": 0.75}


def test_everything_below_every_different_pair():
    threshold, balanced = best_threshold([1.0, 1.0], [1.0, 2.0])
    assert 1.0 < threshold < 2.0 and balanced == 0.75
    with pytest.raises(ValueError):
        best_threshold([], [1.0])


def test_the_shipped_thresholds_are_read_through_the_manifest():
    table = shipped_thresholds()["recognizers"]
    assert set(table) >= {"dlib", "facenet"}
    for name, row in table.items():
        assert recognizer_threshold(name) == row["threshold"] > 0
        assert row["train"]["balanced_accuracy"] > 0.9                  # chosen on training identities
        assert json.dumps(row["validation"])                            # and reported on held-out ones


def test_equally_good_cuts_give_the_smallest_even_when_rounding_differs():
    # Cutting at 0.225 (2/3 same below, every different above) and at 0.45 (all same below, 1/3 different
    # below) are equally good: 5/6 balanced accuracy either way, computed along different float paths.
    threshold, balanced = best_threshold([0.1, 0.2, 0.3], [0.25, 0.6, 0.7])
    assert threshold == pytest.approx(0.225) and balanced == pytest.approx(5 / 6)
