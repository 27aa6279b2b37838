"""dlib holds the GIL for ~2 s while its landmark model loads: the GUI must load it in a child process."""

from __future__ import annotations

import numpy as np
from ui_helpers import JOB_TIMEOUT_MS, MAX_UI_GAP_S, GapMeter

from editor.services.faces import detect_faces, isolate_face_models
from editor.vision import model_host


def test_first_detection_with_a_cold_model_process_keeps_the_ui_responsive(qtbot, opened):
    model_host.disable_isolation()
    isolate_face_models()                         # a fresh child: its models load during this detection
    host = model_host.isolated_host()
    assert host is not None and host.pid is not None
    try:
        with GapMeter() as meter:
            with qtbot.waitSignal(opened.runner.finished, timeout=JOB_TIMEOUT_MS):
                opened.commands["detect_faces"].trigger()
        assert len(opened.doc.faces) == 1 and opened.doc.faces[0].landmarks68 is not None
        assert meter.ticks > 20
        assert meter.max_gap < MAX_UI_GAP_S, meter.report()
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
