"""libtiff's messages: a decode error is a failed read, and nothing libtiff says reaches the terminal.

libtiff writes to the C stderr, below Python's sys.stderr, so these tests read file descriptor 2 (capfd).
"""

from __future__ import annotations

import ctypes
import io
import logging
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from PIL import Image

from damaged_files import damaged_fax_tiff     # tests/damaged_files.py
from editor.core import image_io, libtiff_messages
from editor.core.errors import ImageError

DAMAGED_SENTENCE = "scan.tif is damaged or uses a TIFF layout Veil cannot read."


def intact_fax_tiff() -> bytes:
    rng = np.random.default_rng(2)
    buf = io.BytesIO()
    Image.fromarray(rng.random((64, 96)) > 0.5).convert("1").save(buf, format="TIFF", compression="group4")
    return buf.getvalue()


@pytest.mark.parametrize("compression", ["group4", "group3"])
def test_a_fax_decode_error_is_a_damaged_tiff_and_prints_nothing(capfd, caplog, compression):
    with caplog.at_level(logging.INFO, logger=image_io.__name__):
        with pytest.raises(ImageError) as raised:
            image_io.load_image_bytes(damaged_fax_tiff(compression), "scan.tif")
    assert str(raised.value) == DAMAGED_SENTENCE
    assert "Bad code word" in str(raised.value.__cause__)             # the cause keeps libtiff's words
    assert any("Bad code word" in r.getMessage() for r in caplog.records)   # and `--verbose` shows them
    assert capfd.readouterr().err == ""


def test_an_intact_fax_tiff_still_opens(capfd):
    loaded = image_io.load_image_bytes(intact_fax_tiff(), "fax.tif")
    assert loaded.pixels.shape == (64, 96, 3)
    assert capfd.readouterr().err == ""


def test_decodes_on_many_threads_keep_their_own_errors():
    """libtiff's handlers are process-wide; each decode must still see only its own errors."""
    damaged, intact = damaged_fax_tiff("group4"), intact_fax_tiff()

    def decode(i: int) -> bool:
        try:
            image_io.load_image_bytes(damaged if i % 2 else intact, "scan.tif")
            return True
        except ImageError:
            return False

    with ThreadPoolExecutor(max_workers=4) as pool:
        opened = list(pool.map(decode, range(80)))
    assert opened == [i % 2 == 0 for i in range(80)]


@pytest.mark.skipif(sys.platform != "linux", reason="calls libtiff's variadic TIFFError through ctypes")
def test_an_error_outside_a_decode_is_logged_formatted_and_kept_from_other_threads(capfd, caplog):
    assert libtiff_messages.install()
    tiff_error = ctypes.CDLL(Image.core.__file__).TIFFError     # the libtiff Pillow links
    tiff_error.restype = None
    seen: list[str] = []

    def capture_while_another_thread_errs() -> None:
        with libtiff_messages.captured_errors() as errors:
            other = threading.Thread(target=tiff_error, args=(b"Elsewhere", b"strip %d of %s", 7, b"other.tif"))
            other.start()
            other.join()
            tiff_error(b"Here", b"strip %d of %s", 3, b"mine.tif")
        seen.extend(errors)

    with caplog.at_level(logging.INFO, logger=libtiff_messages.__name__):
        capture_while_another_thread_errs()
    assert seen == ["Here: strip 3 of mine.tif"]
    assert [r.getMessage() for r in caplog.records] == ["libtiff error: Elsewhere: strip 7 of other.tif"]
    assert capfd.readouterr().err == ""
