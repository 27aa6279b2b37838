"""The bank builder's selection helpers: the N x N `apart` the engine plans retries with, and the thinning of a
large pool before the tour is searched."""

from __future__ import annotations

import numpy as np

from models.training.identity_bank.select import group_blocks
from models.training.shipped_bank.tours import apart_for_all, far_tour, host_apart_share, thinned


def test_apart_share_counts_hosts_where_two_renders_are_a_different_person():
    embs = np.zeros((3, 4, 128), np.float32)
    embs[1, :2, 0] = 0.7          # identity 1 is 0.7 away from identity 0 on the first two hosts only
    embs[2, :, 1] = 0.5           # identity 2 is never 0.6 away from identity 0
    share = host_apart_share(embs)
    assert share[0, 1] == share[1, 0] == 0.5
    assert share[0, 2] == 0.0 and share[1, 2] == 0.5      # sqrt(0.7^2 + 0.5^2) > 0.6 on two hosts
    assert np.all(np.diag(share) == 0)


def test_two_identities_count_as_apart_on_a_host_only_when_every_recognizer_says_so():
    dlib = np.zeros((2, 4, 128), np.float32)
    dlib[1, :2, 0] = 0.7              # dlib: another person on hosts 0 and 1 (threshold 0.65)
    facenet = np.zeros((2, 4, 512), np.float32)
    facenet[1, 1:3, 0] = 1.2          # FaceNet: another person on hosts 1 and 2 (threshold 1.1)
    share = apart_for_all([(dlib, 0.65), (facenet, 1.1)])
    assert share[0, 1] == share[1, 0] == 0.25          # only host 1 has both
    assert host_apart_share(dlib, 0.65)[0, 1] == 0.5 and host_apart_share(facenet, 1.1)[0, 1] == 0.5
    assert host_apart_share(dlib, 0.75)[0, 1] == 0.0   # the threshold is the recognizer's, not a fixed 0.6


def test_group_blocks_put_each_group_on_its_diagonal_and_other_groups_apart():
    a = np.array([[0, 0.2], [0.2, 0]], np.float32)
    b = np.array([[0, 0.9, 0.1], [0.9, 0, 0.5], [0.1, 0.5, 0]], np.float32)
    out = group_blocks([a, b])
    assert out.shape == (5, 5)
    assert np.array_equal(out[:2, :2], a) and np.array_equal(out[2:, 2:], b)
    assert np.all(out[:2, 2:] == 1) and np.all(out[2:, :2] == 1)


def test_thinning_drops_identities_without_two_far_partners_first():
    rng = np.random.default_rng(3)
    n = 10
    apart = rng.uniform(0.7, 1.0, (n, n))
    apart = (apart + apart.T) / 2
    apart[7, :] = apart[:, 7] = 0.05        # close to everyone: no tour can place it well
    apart[4, :] = apart[:, 4] = 0.1
    apart[4, 2] = apart[2, 4] = 0.95        # one far partner is not enough for a place on a tour
    np.fill_diagonal(apart, 0)
    kept = thinned(apart, 8)
    assert len(kept) == 8 and 7 not in kept and 4 not in kept
    order = far_tour(apart[np.ix_(kept, kept)])
    assert sorted(order) == list(range(8))
