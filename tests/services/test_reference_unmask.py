"""Remove a face mask using a reference photo, through the service: better than the model alone on the
public-domain pair, a different person refused, a photo without a face refused."""

from __future__ import annotations

import numpy as np
import pytest

from editor.services.reference_unmask import (NoReferenceFaceError, WrongPersonError, unmask_with_reference)
from editor.services.unmask_service import find_and_fill_masks
from reference_pair import cameraman, masked_pair, psnr            # tests/reference_pair.py


@pytest.fixture(scope="module")
def pair():
    try:
        return masked_pair()
    except FileNotFoundError as exc:
        pytest.skip(str(exc))


def composite(image: np.ndarray, result) -> np.ndarray:
    out = image.copy()
    out[result.rect.slices] = result.pixels
    return out


def test_the_reference_path_beats_the_model_alone(pair):
    plain = composite(pair.masked, find_and_fill_masks(pair.masked))
    result = unmask_with_reference(pair.masked, pair.reference)
    out = composite(pair.masked, result.unmask)
    covered = pair.coverage > 0
    assert psnr(out, pair.truth, covered) > psnr(plain, pair.truth, covered) + 1.0    # measured 21.0 -> 23.1
    assert result.check.same_person and result.covered > 0.6
    hole = result.unmask.hole_mask(out.shape)
    assert not np.any(out != pair.masked, axis=2)[hole == 0].any()     # only the hole changes
    assert "using the reference photo" in result.summary()


def test_a_different_person_is_refused_with_one_sentence(pair):
    with pytest.raises(WrongPersonError) as caught:
        unmask_with_reference(pair.masked, cameraman())
    message = str(caught.value)
    assert message.startswith("The reference photo shows a different person") and message.count(". ") == 0
    assert caught.value.exit_code == 7


def test_a_reference_without_a_face_is_refused(pair):
    yy, xx = np.mgrid[0:240, 0:320]
    empty = np.dstack([xx % 256, yy % 256, (xx + yy) % 256]).astype(np.uint8)
    with pytest.raises(NoReferenceFaceError):
        unmask_with_reference(pair.masked, empty)
