"""dlib holds the GIL for ~2 s while its landmark model loads: the GUI loads it in a child process."""

from __future__ import annotations

import numpy as np
from ui_helpers import JOB_TIMEOUT_MS, TickCounter

from editor.services.faces import detect_faces, isolate_face_models
from editor.vision import landmarks, model_host


def test_first_detection_with_a_cold_model_process_finds_landmarks_in_the_child(qtbot, opened):
    """The first Detect Faces after the child starts: the landmarks come from the child while its models load, and
    the UI thread's timer keeps ticking during the job."""
    model_host.disable_isolation()
    landmarks._default.reset()                    # forget a predictor an earlier test loaded in this process
    isolate_face_models()                         # a fresh child: its models load during this detection
    host = model_host.isolated_host()
    assert host is not None and host.pid is not None
    try:
        with TickCounter(lambda: opened.runner.busy) as ticks:
            with qtbot.waitSignal(opened.runner.finished, timeout=JOB_TIMEOUT_MS):
                opened.commands["detect_faces"].trigger()
        assert len(opened.doc.faces) == 1 and opened.doc.faces[0].landmarks68 is not None
        # The process-wide predictor (a Lazy) was never made here: the landmarks came from the child, still running.
        assert not landmarks._default._made
        assert host.pid is not None and model_host.isolated_host() is host
        assert ticks.seen.count(True) > 20, f"the UI thread ticked {ticks.seen.count(True)} times during the job"
    finally:
        model_host.disable_isolation()


def test_isolated_landmarks_equal_in_process_landmarks(sample_photo):
    from editor.core.image_io import load_image

    image = load_image(sample_photo).pixels
    local = detect_faces(image)
    isolate_face_models()
    try:
        remote = detect_faces(image)
    finally:
        model_host.disable_isolation()
    assert len(local) == len(remote) == 1
    np.testing.assert_allclose(remote[0].landmarks68, local[0].landmarks68, atol=1e-3)
