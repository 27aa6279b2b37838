"""The layer rules of DESIGN.md, checked by import-linter on every test run."""

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    if exe is None:
        pytest.fail("import-linter is not installed (pip install -e '.[dev]')")
    return subprocess.run([exe, "--no-cache"], cwd=cwd, capture_output=True, text=True)


def contracts(pyproject: Path) -> list[dict]:
    return tomllib.loads(pyproject.read_text())["tool"]["importlinter"]["contracts"]


def test_every_contract_in_pyproject_is_kept():
    names = [c["name"] for c in contracts(ROOT / "pyproject.toml")]
    assert names, "pyproject.toml defines no import-linter contract"
    proc = lint_imports(ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for name in names:
        assert f"{name} KEPT" in proc.stdout, f"contract {name!r} is not reported kept:\n{proc.stdout}"
    assert f"Contracts: {len(names)} kept, 0 broken." in proc.stdout


@pytest.mark.parametrize("layer, engine", [("ui", "editor.vault.errors"), ("cli", "editor.vision.pipeline"),
                                           ("ui", "editor.runtime.device")])
def test_ui_or_cli_importing_an_engine_breaks_the_contract(tmp_path, layer, engine):
    """A copy of the package with one module of `layer` importing an engine directly must fail the check."""
    shutil.copytree(ROOT / "editor", tmp_path / "editor", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "editor" / layer / "straight_to_the_engine.py").write_text(f"import {engine}\n")
    proc = lint_imports(tmp_path)
    assert proc.returncode != 0, proc.stdout
    broken = next(c["name"] for c in contracts(tmp_path / "pyproject.toml")
                  if c["type"] == "forbidden" and f"editor.{layer}" in c["source_modules"])
    assert f"{broken} BROKEN" in proc.stdout
    assert f"editor.{layer}.straight_to_the_engine -> {engine}" in proc.stdout
