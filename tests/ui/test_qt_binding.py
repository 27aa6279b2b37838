"""Guards against Qt binding bugs that would crash the editor in the field."""

import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    changed = Signal(int)
    plain = Signal()


def test_signal_emit_does_not_leak_or_free_references():
    # PySide6 6.12.0 under Python 3.11 lost one reference to True per emit(); after a few thousand brush dabs the
    # interpreter aborted in bool_dealloc. Any binding with that bug must fail here, not in a user's session.
    emitter = _Emitter()
    received = []
    emitter.changed.connect(received.append)
    before = sys.getrefcount(True)
    for i in range(2000):
        emitter.changed.emit(i)
        emitter.plain.emit()
    assert received == list(range(2000))
    assert abs(sys.getrefcount(True) - before) < 50
