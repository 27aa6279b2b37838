"""`veil anonymize --ray` on a real two-node Ray cluster: the same pixels, report and summary as a local run, sealed
for a keyholder's public key and signed by the driver (whose audit log lists every seal), and nothing a keyholder
could not restore; a symmetric key is refused before any work."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from editor.core import image_io
from editor.core.errors import VeilError
from editor.services.anonymize_batch import REPORT_NAME, SYMMETRIC_ON_RAY, anonymize_paths

from cluster_helpers import ROOT, make_photos

SEED = 5


def _outputs(out: Path) -> dict[str, Path]:
    return {p.relative_to(out).as_posix(): p for p in sorted(out.rglob("*"))
            if p.is_file() and p.name != REPORT_NAME}


def _entries(out: Path) -> dict:
    """Report entries without what differs between two runs of the same work: where the output went, and its bytes
    (each seal has a fresh data key and nonce)."""
    report = json.loads((out / REPORT_NAME).read_text())
    return {src: {k: v for k, v in e.items() if k not in ("output", "output_sha256")}
            for src, e in report["files"].items()}


def test_a_folder_on_ray_equals_the_local_run_pixel_for_pixel(ray_cluster, vault, tmp_path, astronaut):
    photos = make_photos(tmp_path / "shoot", astronaut)
    local, on_ray = tmp_path / "local", tmp_path / "ray"
    first = anonymize_paths([photos], local, None, recipients=["HR"], seed=SEED, vault=vault)
    notes = []
    batch = anonymize_paths([photos], on_ray, None, recipients=["HR"], seed=SEED, vault=vault,
                            ray=ray_cluster.address, on_note=notes.append)

    assert batch.summary() == first.summary()
    assert batch.summary()["anonymized"] == 3 and batch.summary()["no_face"] == 1 and notes == []
    assert _entries(on_ray) == _entries(local)
    assert set(_outputs(on_ray)) == set(_outputs(local)) == {"shoot/p0.png", "shoot/day2/p1.png",
                                                              "shoot/p2.jpg", "shoot/flag.png"}
    for name, path in _outputs(on_ray).items():
        ours, theirs = image_io.load_image(path).pixels, image_io.load_image(_outputs(local)[name]).pixels
        assert np.array_equal(ours, theirs), name
        if name != "shoot/flag.png":
            assert not np.array_equal(ours, image_io.load_image(photos / name.split("/", 1)[1]).pixels)

    # Sealed on a worker that held no key, signed by the driver: the keyholder restores the exact original and
    # sees that this profile (the driver) sealed it.
    restored = vault.recover(on_ray / "shoot" / "p0.png", tmp_path / "restored.png")
    assert np.array_equal(image_io.load_image(restored.path).pixels, image_io.load_image(photos / "p0.png").pixels)
    assert restored.sealer.signature_valid and restored.sealer.trusted is not None

    # The driver's audit log lists a seal for every sealed output the workers wrote.
    sealed = {e.file_sha256 for e in vault.audit.entries() if e.action == "seal"}
    report = json.loads((on_ray / REPORT_NAME).read_text())["files"]
    assert {e["output_sha256"] for e in report.values() if e["status"] == "anonymized"} <= sealed


def test_a_symmetric_key_is_refused_on_ray_before_any_work(vault, tmp_path, astronaut):
    photos = make_photos(tmp_path / "shoot", astronaut, faces=1)
    with pytest.raises(VeilError) as refused:
        anonymize_paths([photos], tmp_path / "out", "symmetric", vault=vault, ray="127.0.0.1:1")
    assert str(refused.value) == SYMMETRIC_ON_RAY and "secret that restores" in SYMMETRIC_ON_RAY
    assert not (tmp_path / "out").exists()


def _veil(*args: str, block_ray: bool = False) -> subprocess.CompletedProcess:
    code = ("import sys; sys.modules['ray'] = None\n" if block_ray else "") + \
        "from editor.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", "import sys\n" + code, *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)


def test_without_ray_installed_the_option_says_how_to_get_it(tmp_path, astronaut):
    photos = make_photos(tmp_path / "shoot", astronaut, faces=1)
    for command in (["anonymize", str(photos), "-o", str(tmp_path / "a"), "--recipient", "HR", "--ray"],
                    ["unmask", str(photos), "-o", str(tmp_path / "u"), "--ray", "auto"]):
        proc = _veil(*command, block_ray=True)
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.strip().splitlines()[-1] == (
            f"veil {command[0]}: --ray needs Ray, which is not installed here; install it with `pip install "
            "veil[cluster]` (on every node of the cluster too).")
        assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_a_path_after_ray_is_not_taken_for_an_address(tmp_path, astronaut):
    photos = make_photos(tmp_path / "shoot", astronaut, faces=1)
    proc = _veil("anonymize", "--ray", str(photos), "-o", str(tmp_path / "out"), "--recipient", "HR")
    assert proc.returncode == 2 and "is not a Ray cluster address" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and not (tmp_path / "out").exists()


def test_an_address_where_no_cluster_answers_is_one_sentence(vault, tmp_path, astronaut):
    photos = make_photos(tmp_path / "shoot", astronaut, faces=1)
    from socket import socket

    with socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]           # bound, never listening: nothing answers there
        with pytest.raises(VeilError, match=f"No Ray cluster answers at 127.0.0.1:{port}"):
            anonymize_paths([photos], tmp_path / "out", None, recipients=["HR"], vault=vault,
                            ray=f"127.0.0.1:{port}")
