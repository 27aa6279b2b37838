"""Rows of models/manifest.json, written by the export and evaluation steps (no torch needed to write one)."""

from __future__ import annotations

import json
from pathlib import Path

from editor.core.atomic import atomic_write_bytes


def update_manifest(path: Path, key: str, fields: dict) -> None:
    """Set (or add) fields of one model's row in manifest.json, written atomically."""
    manifest = json.loads(path.read_text())
    manifest["models"].setdefault(key, {}).update(fields)
    atomic_write_bytes(path, (json.dumps(manifest, indent=2) + "\n").encode())
    print(f"manifest row '{key}' written", flush=True)
