"""What `veil` writes to stdout and stderr, run as a user runs it: a real process on real files.

stderr carries one sentence per failure and nothing else unless `--verbose` asks: no traceback when a pipe's
reader stops early, no raw Python warning, no libtiff message, no word about CUDA on a machine without it. A
mistyped command is an error, never a window that hangs on a headless terminal.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from damaged_files import corrupt_exif_jpeg, damaged_fax_tiff     # tests/damaged_files.py

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "resources" / "sample.jpg"
TIMEOUT = 120           # a run that opened a window instead would wait here for ever: the timeout fails it


def veil_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "editor.cli", *args]


def veil(*args: str, cwd: Path = ROOT, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(veil_command(*args), capture_output=True, text=True, cwd=cwd, timeout=TIMEOUT, env=env)


def env_with(**changes: str | None) -> dict:
    env = dict(os.environ)
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


# -- a reader that closes the pipe early ----------------------------------------------------------------------------
@pytest.mark.parametrize("unbuffered", ["1", None], ids=["unbuffered", "buffered"])
def test_a_reader_gone_before_the_output_ends_quietly(tmp_path, unbuffered):
    """Unbuffered, the write inside the command fails; buffered, the flush at exit would (an "Exception ignored"
    traceback at interpreter shutdown). The reader is gone before veil starts, so the write always fails."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    with open(tmp_path / "stderr.txt", "w+") as err:
        try:
            proc = subprocess.Popen(veil_command("detect", str(SAMPLE), "--json"), stdout=write_end, stderr=err,
                                    cwd=ROOT, env=env_with(PYTHONUNBUFFERED=unbuffered))
        finally:
            os.close(write_end)
        code = proc.wait(timeout=TIMEOUT)
        err.seek(0)
        stderr = err.read()
    assert stderr == ""
    assert code == 141                                  # 128 + SIGPIPE, as a shell reports `yes | head`


def test_reading_the_first_bytes_then_closing_ends_quietly(tmp_path):
    """`veil detect IMG --json | head -c 20` as the issue ran it. Whether veil is still writing when the pipe
    closes is a race (the test above is the one that cannot miss); this one pins the user's own command."""
    with open(tmp_path / "stderr.txt", "w+") as err:
        proc = subprocess.Popen(veil_command("detect", str(SAMPLE), "--json"), stdout=subprocess.PIPE, stderr=err,
                                cwd=ROOT)
        first = proc.stdout.read(20)
        proc.stdout.close()
        code = proc.wait(timeout=TIMEOUT)
        err.seek(0)
        stderr = err.read()
    assert first.startswith(b"{")
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr and stderr == ""
    assert code in (0, 141)                             # 0 when every byte was in the pipe before it closed


# -- unknown commands -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("args", [["detct", str(SAMPLE)], ["detct"], ["-v", "detct"]],
                         ids=["with-photo", "alone", "after-verbose"])
def test_a_mistyped_command_names_itself_and_suggests_the_right_one(args):
    proc = veil(*args)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.splitlines() == [
        "veil: 'detct' is not a command or a photo; did you mean 'detect'? (veil --help lists the commands)"]


def test_an_unknown_word_without_a_close_command_is_an_error_too():
    proc = veil("frobnicate")
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        "veil: 'frobnicate' is not a command or a photo (veil --help lists the commands)"]


def test_a_photo_without_an_extension_still_opens_the_editor(tmp_path):
    photo = tmp_path / "portrait"                       # an existing file: a photo, whatever its name
    photo.write_bytes(SAMPLE.read_bytes())
    # VEIL_SMOKE_TEST: the editor opens the photo, detects its faces and closes by itself.
    proc = veil(photo.name, cwd=tmp_path, env=env_with(VEIL_SMOKE_TEST="1", PYTHONPATH=str(ROOT)))
    assert proc.returncode == 0, proc.stderr
    assert "smoke test: opened portrait (512x512)" in proc.stdout + proc.stderr


# -- damaged files --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("compression", ["group4", "group3"])
def test_a_tiff_libtiff_cannot_decode_is_a_failed_read(tmp_path, compression):
    damaged = tmp_path / "scan.tif"
    damaged.write_bytes(damaged_fax_tiff(compression))
    proc = veil("detect", str(damaged))
    assert proc.returncode == 3 and proc.stdout == ""
    assert proc.stderr.splitlines() == ["veil detect: scan.tif is damaged or uses a TIFF layout Veil cannot read."]


def test_stock_pillow_only_prints_the_tiff_damage(tmp_path):
    """The premise of the test above: Pillow alone decodes these files, and libtiff's complaint goes to stderr."""
    damaged = tmp_path / "scan.tif"
    damaged.write_bytes(damaged_fax_tiff("group4"))
    proc = subprocess.run([sys.executable, "-c", "import sys; from PIL import Image; Image.open(sys.argv[1]).load()",
                           str(damaged)], capture_output=True, text=True, timeout=TIMEOUT)
    assert proc.returncode == 0 and "Fax4Decode: Bad code word" in proc.stderr


def test_pillow_warnings_about_exif_are_verbose_details(tmp_path):
    photo = tmp_path / "odd-exif.jpg"
    photo.write_bytes(corrupt_exif_jpeg(SAMPLE))
    quiet = veil("detect", str(photo))
    assert quiet.returncode == 0 and "1 face(s)" in quiet.stdout
    assert quiet.stderr == ""
    verbose = veil("-v", "detect", str(photo))
    assert "Tag data larger than file" in verbose.stderr and "warnings.warn" not in verbose.stderr


# -- CUDA on a machine without it -----------------------------------------------------------------------------------
def test_models_on_the_cpu_say_nothing_about_cuda_unless_verbose(tmp_path):
    """`veil inpaint` runs the face model through ONNX Runtime with the default device preference ("auto")."""
    from editor.runtime.device import cuda_works

    mask = np.zeros((512, 512), np.uint8)
    mask[180:230, 190:260] = 255
    Image.fromarray(mask).save(tmp_path / "mask.png")
    args = ["inpaint", str(SAMPLE), "--mask", str(tmp_path / "mask.png")]
    quiet = veil(*args, "-o", str(tmp_path / "a.png"))
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stderr == "" and "CUDA" not in quiet.stderr
    verbose = veil("-v", *args, "-o", str(tmp_path / "b.png"))
    assert verbose.returncode == 0, verbose.stderr
    said = [line for line in verbose.stderr.splitlines() if "CUDA is not usable" in line]
    assert len(said) == (0 if cuda_works() else 1)


def test_detect_says_nothing_on_stderr():
    proc = veil("detect", str(SAMPLE))
    assert proc.returncode == 0 and proc.stderr == ""
