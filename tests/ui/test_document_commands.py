"""A job of a document command applies its result only to the photo it started on: a result that comes back after
another photo was opened is dropped, for every controller built on DocumentCommands."""

from __future__ import annotations

import threading

import numpy as np

from editor.core.document import Document
from editor.ui.common.jobs import JobRunner
from editor.ui.document.bridge import DocumentBridge
from editor.ui.document.commands import DocumentCommands

TIMEOUT_MS = 60_000


def photo(value: int) -> Document:
    return Document(np.full((32, 48, 3), value, np.uint8))


def test_a_result_arriving_after_the_photo_was_replaced_is_dropped(qtbot):
    bridge, runner = DocumentBridge(), JobRunner(None)
    commands = DocumentCommands(bridge, runner)
    first, second = photo(10), photo(200)
    bridge.attach(first)
    applied, release = [], threading.Event()
    try:
        commands.run_on(first, "Slow job", lambda ctx: release.wait(10) and "first's result", applied.append)
        bridge.attach(second)           # the user opened another photo while the job ran
        release.set()
        qtbot.waitUntil(lambda: not runner.busy, timeout=TIMEOUT_MS)
        assert applied == []
        commands.run_on(second, "Quick job", lambda ctx: "second's result", applied.append)
        qtbot.waitUntil(lambda: not runner.busy, timeout=TIMEOUT_MS)
        assert applied == ["second's result"]
    finally:
        runner.shutdown()


def test_faces_found_in_a_photo_that_was_closed_meanwhile_go_nowhere(qtbot, opened):
    """Detect Faces on the sample photo, then another photo replaces it before the result is back: neither photo gets
    the faces and nothing is reported; detecting again on the sample photo finds its face."""
    sample, other = opened.doc, photo(128)
    messages = []
    opened.faces.status_message.connect(messages.append)
    opened.faces.detect()
    opened.bridge.attach(other)         # before the UI thread can deliver the result
    qtbot.waitUntil(lambda: not opened.runner.busy, timeout=TIMEOUT_MS)
    assert sample.faces == [] and other.faces == [] and messages == []
    opened.bridge.attach(sample)
    opened.faces.detect()
    qtbot.waitUntil(lambda: not opened.runner.busy, timeout=TIMEOUT_MS)
    assert len(sample.faces) == 1 and messages == ["Found 1 face."]
