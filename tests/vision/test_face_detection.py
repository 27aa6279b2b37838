"""Face detection (YuNet over an image pyramid) and 68 landmarks on real and composed photos."""

from __future__ import annotations

import threading

import cv2
import numpy as np
import pytest

from editor.core.errors import Cancelled, ModelError
from editor.core.progress import JobContext
from editor.vision.detector import FaceDetector
from editor.vision.pipeline import NO_LANDMARKS
from editor.vision.synthetic_mask import load_templates, wear_mask
from vision_helpers import ASTRONAUT_FACE, background, centre_inside, iou, paste


def test_astronaut_has_one_face_where_it_is(astronaut_face):
    x, y, w, h = astronaut_face.box
    assert np.allclose((x, y, w, h), ASTRONAUT_FACE, atol=8)
    assert astronaut_face.score > 0.8
    right_eye, left_eye, nose, mouth_r, mouth_l = astronaut_face.landmarks5
    assert right_eye[0] < left_eye[0] and nose[1] > right_eye[1] and mouth_r[1] > nose[1]


def test_astronaut_landmarks_are_in_anatomical_order(astronaut_face):
    lm = astronaut_face.landmarks68
    assert lm is not None and lm.shape == (68, 2) and lm.dtype == np.float32
    assert astronaut_face.flags == []
    eyes_y = lm[36:48, 1].mean()
    nose_y = lm[30:36, 1].mean()
    mouth_y = lm[48:68, 1].mean()
    assert eyes_y < nose_y < mouth_y
    assert lm[36:42, 0].mean() < lm[42:48, 0].mean()          # iBUG: the image-left eye comes first
    x, y, w, h = astronaut_face.box
    inner = lm[17:68]                                         # brows, nose, eyes, mouth: inside the box
    assert (inner[:, 0] > x).all() and (inner[:, 0] < x + w).all()
    assert (inner[:, 1] > y).all() and (inner[:, 1] < y + h).all()
    jaw = lm[0:17]                                            # the jaw line hugs the box
    assert (jaw[:, 0] > x - 0.1 * w).all() and (jaw[:, 0] < x + 1.1 * w).all()
    assert (jaw[:, 1] < y + 1.15 * h).all()


def test_four_faces_of_different_sizes_are_found_in_place(pipeline, face_crop):
    canvas = background(700, 1000)
    placed = [paste(canvas, face_crop, 300, 20, 150), paste(canvas, face_crop, 180, 380, 60),
              paste(canvas, face_crop, 110, 620, 400), paste(canvas, face_crop, 60, 850, 200)]
    faces = pipeline.find_faces(canvas)
    assert len(faces) == 4
    for face, rect in zip(faces, placed):                     # sorted left to right, like `placed`
        assert centre_inside(face.box, rect)
        assert 0.4 * rect[2] < face.box[2] < 0.8 * rect[2]
    assert [f.box[0] for f in faces] == sorted(f.box[0] for f in faces)
    assert all(f.landmarks68 is not None for f in faces)


def test_a_close_up_filling_the_frame_is_found(pipeline, face_crop):
    scale = 1500 / face_crop.shape[1]                         # face box ~900 px: YuNet alone misses it
    close_up = cv2.resize(face_crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    faces = pipeline.detector.detect(close_up)
    assert len(faces) == 1
    x, y, w, h = ASTRONAUT_FACE
    expected = (30 + x - int(x)) * scale, (30 + y - int(y)) * scale, w * scale, h * scale
    assert iou(faces[0].box, expected) > 0.7


def test_no_face_gives_an_empty_list(pipeline):
    assert pipeline.find_faces(background(480, 640, seed=3)) == []
    assert pipeline.find_faces(np.zeros((1, 1, 3), np.uint8)) == []


def test_a_small_face_in_a_big_photo_is_found(pipeline, face_crop):
    canvas = background(4000, 6000)
    rect = paste(canvas, face_crop, 110, 4500, 3100)          # face box ~65 px: 1.1% of the width
    faces = pipeline.find_faces(canvas)
    assert len(faces) == 1
    assert centre_inside(faces[0].box, rect)
    assert faces[0].landmarks68 is not None
    x, y, w, h = rect
    assert ((faces[0].landmarks68 >= (x, y)) & (faces[0].landmarks68 <= (x + w, y + h))).all()


def test_a_face_too_small_for_landmarks_is_flagged(pipeline, face_crop):
    canvas = background(400, 400)
    paste(canvas, face_crop, 48, 200, 200)                    # face box ~28 px
    faces = pipeline.find_faces(canvas)
    assert len(faces) == 1
    assert faces[0].landmarks68 is None and NO_LANDMARKS in faces[0].flags


def test_a_face_wearing_a_mask_is_found(pipeline, astronaut, astronaut_face, mask_templates_dir):
    for template in load_templates(mask_templates_dir, ("surgical_blue", "N95", "cloth")):
        masked, coverage = wear_mask(astronaut, astronaut_face.landmarks68, template)
        lm = astronaut_face.landmarks68.astype(int)
        assert coverage[lm[57, 1], lm[57, 0]] == 255 and coverage[lm[39, 1], lm[39, 0]] == 0  # mouth hidden, eyes not
        faces = pipeline.detector.detect(masked)
        assert len(faces) == 1, template.name
        assert iou(faces[0].box, astronaut_face.box) > 0.6


def test_landmarks_follow_a_tilted_head(pipeline, astronaut, astronaut_face):
    centre = (256.0, 256.0)
    turn = cv2.getRotationMatrix2D(centre, 30, 1.0)           # 30 degrees anticlockwise
    tilted = cv2.warpAffine(astronaut, turn, (512, 512), borderMode=cv2.BORDER_REPLICATE)
    faces = pipeline.find_faces(tilted)
    assert len(faces) == 1 and faces[0].landmarks68 is not None
    expected = astronaut_face.landmarks68 @ turn[:, :2].T + turn[:, 2]
    eye_distance = np.linalg.norm(expected[36] - expected[45])
    nme = np.linalg.norm(faces[0].landmarks68 - expected, axis=1).mean() / eye_distance
    assert nme < 0.05


def test_detection_is_safe_from_several_threads(pipeline, astronaut):
    expected = [f.box for f in pipeline.detector.detect(astronaut)]
    results: list = []

    def work() -> None:
        results.append([f.box for f in pipeline.detector.detect(astronaut)])

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [expected] * 4


def test_progress_and_cancel(pipeline, astronaut):
    seen: list[float] = []
    pipeline.find_faces(astronaut, ctx=JobContext(on_progress=lambda f, _t: seen.append(f)))
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen)
    ctx = JobContext()
    ctx.cancel()
    with pytest.raises(Cancelled):
        pipeline.find_faces(astronaut, ctx=ctx)


def test_an_unloadable_detector_file_is_a_model_error(tmp_path):
    junk = tmp_path / "yunet.onnx"
    junk.write_bytes(b"\x08\x01garbage")
    with pytest.raises(ModelError, match=r"could not be loaded; reinstall Veil\.$"):
        FaceDetector(junk)
