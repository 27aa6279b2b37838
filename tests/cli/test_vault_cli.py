"""`veil keys|seal|recover|audit` as a user runs them: exit codes, one-sentence errors, files written or not."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from editor.cli import main
from editor.core import image_io
from editor.vault.keypairs import show_fingerprint

from synthetic_photo import make_photo      # tests/synthetic_photo.py

ROOT = Path(__file__).resolve().parents[2]
PASSPHRASE = "a long enough passphrase"


@pytest.fixture
def veil(keystore, capsys):
    """Run `veil ARGS` in-process (same code path as the console script); returns (code, stdout, stderr)."""
    def run(*args: str):
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err
    return run


@pytest.fixture
def photo_and_mask(tmp_path):
    pixels, _ = make_photo()
    photo = tmp_path / "photo.png"
    image_io.save_image(photo, pixels)
    mask = np.zeros(pixels.shape[:2], np.uint8)
    mask[20:60, 40:90] = 255
    mask[70:85, 5:30] = 255
    mask_path = tmp_path / "mask.png"
    Image.fromarray(mask).save(mask_path)
    return photo, mask_path, pixels


def one_sentence(err: str) -> bool:
    line = err.strip()
    return line.count("\n") == 0 and line.endswith(".") and "Traceback" not in line


def test_keys_commands(veil, tmp_path):
    code, out, _ = veil("keys", "create", "HR team")
    assert code == 0 and "HR team" in out
    code, out, _ = veil("keys", "list")
    key_id = out.split()[0]
    assert code == 0 and len(key_id) == 32 and out.strip().endswith("HR team")

    secret = tmp_path / "pass.txt"
    secret.write_text(PASSPHRASE + "\n")
    keyfile = tmp_path / "hr.veilkey"
    code, out, err = veil("keys", "export", "HR team", "-o", keyfile, "--passphrase-file", secret)
    assert code == 0 and keyfile.exists(), err

    code, _, err = veil("keys", "delete", "HR team")     # no terminal to confirm on, no --yes
    assert code != 0 and "--yes" in err and one_sentence(err)
    code, _, _ = veil("keys", "delete", key_id, "--yes")
    assert code == 0
    code, out, _ = veil("keys", "list")
    assert "No recovery keys" in out

    wrong = tmp_path / "wrong.txt"
    wrong.write_text("not the passphrase at all\n")
    code, _, err = veil("keys", "import", keyfile, "--passphrase-file", wrong)
    assert code != 0 and "passphrase is wrong" in err and one_sentence(err)
    code, out, _ = veil("keys", "import", keyfile, "--passphrase-file", secret)
    assert code == 0 and show_fingerprint(key_id) in out
    code, out, _ = veil("keys", "list")
    assert out.split()[0] == key_id and " pair " in out


def test_seal_recover_and_audit(veil, tmp_path, photo_and_mask):
    photo, mask, pixels = photo_and_mask
    veil("keys", "create", "HR team")
    sealed = tmp_path / "sealed.jpg"
    code, out, err = veil("seal", photo, "--mask", mask, "--key", "HR team", "-o", sealed, "--fill", "pixelate",
                          "--sidecar")
    assert code == 0, err
    assert "Sealed 2 region(s)" in out and sealed.exists() and Path(f"{sealed}.veil").exists()

    code, out, _ = veil("recover", sealed, "--list")
    assert code == 0 and "2 sealed region(s)" in out and "HR team" in out and "in your keyring" in out

    code, out, err = veil("recover", sealed, "-o", tmp_path / "face2.png", "--face", "2")
    assert code == 0 and "Restored region(s) 2" in out, err
    restored = image_io.load_image(tmp_path / "face2.png").pixels
    np.testing.assert_array_equal(restored[70:85, 5:30], pixels[70:85, 5:30])
    assert not np.array_equal(restored[20:60, 40:90], pixels[20:60, 40:90])

    code, out, _ = veil("audit", "show")
    assert code == 0 and "seal" in out and "recover" in out and "faces=2" in out
    code, out, _ = veil("audit", "verify")
    assert code == 0 and "intact" in out

    log = Path(os.environ["VEIL_DATA_DIR"]) / "audit.jsonl"
    lines = log.read_text().splitlines()
    entry = json.loads(lines[1])
    entry["faces"] = [1]
    lines[1] = json.dumps(entry)
    log.write_text("\n".join(lines) + "\n")
    code, _, err = veil("audit", "verify")
    assert code != 0 and "line 2" in err and one_sentence(err)


def test_cli_refusals_are_one_sentence(veil, tmp_path, photo_and_mask):
    photo, mask, _ = photo_and_mask
    code, _, err = veil("seal", photo, "--mask", mask, "--key", "Nobody", "-o", tmp_path / "s.png")
    assert code != 0 and one_sentence(err) and not (tmp_path / "s.png").exists()
    code, _, err = veil("seal", photo, "--mask", mask, "--key", "Nobody", "-o", photo)
    assert code != 0 and "Refusing to overwrite" in err and one_sentence(err)
    code, _, err = veil("recover", photo, "-o", tmp_path / "r.png")
    assert code != 0 and "no recovery data" in err and one_sentence(err)


def test_console_entry_point_runs(keystore, tmp_path):
    """One real subprocess: `python -m editor` wires the vault commands and reports errors on stderr."""
    env = dict(os.environ)
    proc = subprocess.run([sys.executable, "-m", "editor", "keys", "create", "From a subprocess"],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert proc.returncode == 0 and "From a subprocess" in proc.stdout, proc.stderr
    proc = subprocess.run([sys.executable, "-m", "editor", "recover", str(tmp_path / "missing.png"), "-o",
                           str(tmp_path / "x.png")], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert proc.returncode != 0 and proc.stdout == "" and one_sentence(proc.stderr.split(": ", 1)[1])
