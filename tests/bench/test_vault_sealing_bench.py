"""`bench/vault_sealing.py --quick` runs and its numbers are consistent with the payload format: each keyholder adds
its HPKE output (base64) plus a bounded amount of JSON, and the hybrid suite costs more bytes than X25519."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
JSON_FIELDS_MAX = 260       # id, label, suite names and quotes of one recipient entry


def _bytes(text: str) -> int:
    return int(re.match(r"([\d,]+) B", text).group(1).replace(",", ""))


def test_quick_bench_rows_and_bytes_per_keyholder():
    proc = subprocess.run([sys.executable, str(REPO / "bench" / "vault_sealing.py"), "--quick"], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    rows = {cells[1].strip(): cells[2].strip() for line in proc.stdout.splitlines()
            if (cells := line.split("|")) and len(cells) > 3 and "B" in cells[2] + cells[3]}
    for suite, wrapped in (("X25519", 80), ("ML-KEM-768 + X25519", 1168)):
        per_keyholder = _bytes(rows[f"payload bytes per keyholder, {suite}"])
        base64_size = 4 * ((wrapped + 2) // 3)
        assert base64_size <= per_keyholder <= base64_size + JSON_FIELDS_MAX
    assert _bytes(rows["payload bytes per keyholder, ML-KEM-768 + X25519"]) > _bytes(
        rows["payload bytes per keyholder, X25519"])
    assert re.search(r"seal one photo, ML-KEM-768 \+ X25519, 4 keyholder\(s\) \| [\d.]+ ms", proc.stdout)
