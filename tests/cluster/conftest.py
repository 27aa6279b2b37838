"""A real two-node Ray cluster on 127.0.0.1 for the cluster tests, a keyholder to seal for, and small photos made
from the public-domain astronaut portrait.

The cluster is started the way an operator starts one (`ray start --head`, then `ray start --address` for a second
node), one CPU per node and a small object store, under a temp dir of its own. `ray stop` would end every Ray on
the machine (other people's too), so teardown kills only the processes of this cluster: those whose command line
names its temp dir or its address, and their children (the workers).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from cluster_helpers import ROOT
from process_helpers import children_by_parent      # tests/process_helpers.py
from editor.core import image_io

RAY = Path(sys.executable).with_name("ray")
OBJECT_STORE = str(80 * 1024 * 1024)     # Ray's minimum is about 75 MiB; only paths and reports travel


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


@dataclass
class Cluster:
    temp: Path
    port: int

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def processes(self) -> set[int]:
        """This cluster's processes and all their descendants (never another session's Ray)."""
        marks = (str(self.temp), f":{self.port} ", f"={self.port} ")
        roots = {int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()
                 and any(m in cmdline(int(p.name)) + " " for m in marks)}
        roots.discard(os.getpid())
        children, found, todo = children_by_parent(), set(), list(roots)
        while todo:
            pid = todo.pop()
            if pid not in found:
                found.add(pid)
                todo.extend(children.get(pid, ()))
        return found

    def workers(self) -> list[int]:
        """The PhotoWorker actors' processes (Ray names them after the actor class)."""
        return sorted(p for p in self.processes() if cmdline(p).startswith("ray::PhotoWorker"))

    def stop(self) -> None:
        for pid in self.processes():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def _ray_start(*args: str) -> None:
    proc = subprocess.run([str(RAY), "start", *args, "--disable-usage-stats"], capture_output=True, text=True,
                          timeout=180, env={**os.environ, "RAY_USAGE_STATS_ENABLED": "0"})
    if proc.returncode != 0:
        raise RuntimeError(f"ray start failed: {proc.stderr[-2000:]}")


@pytest.fixture(scope="session")
def ray_cluster():
    try:
        import ray  # noqa: F401
    except ImportError:
        message = "Ray is not installed: `pip install -e '.[dev,cluster]'` (make test does)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    # Short: Ray's socket paths live under it and a Unix socket path has at most 107 bytes.
    cluster = Cluster(Path(tempfile.mkdtemp(prefix="vray", dir="/tmp")), free_port())
    node = ["--num-cpus=1", f"--temp-dir={cluster.temp}", f"--object-store-memory={OBJECT_STORE}",
            f"--dashboard-agent-listen-port={free_port()}"]
    try:
        _ray_start("--head", "--node-ip-address=127.0.0.1", f"--port={cluster.port}", "--include-dashboard=false",
                   f"--dashboard-port={free_port()}", f"--ray-client-server-port={free_port()}", *node)
        _ray_start(f"--address={cluster.address}", *node)
        yield cluster
    finally:
        cluster.stop()
        time.sleep(0.5)
        shutil.rmtree(cluster.temp, ignore_errors=True)


# -- keys and photos -------------------------------------------------------------------------------------------------
@pytest.fixture
def vault(secret_service, data_dir):
    """A VaultService on the test keyring with a keyholder's key pair "HR" to seal for (and, made on first seal, this
    profile's signing key: the driver's)."""
    from editor.services.vault_service import VaultService
    from editor.vault.audit import AuditLog
    from editor.vault.keystore import KeyStore

    service = VaultService(keystore=KeyStore(backend=secret_service, data_dir=data_dir), audit=AuditLog(data_dir))
    made = [service.create_key_pair("HR"), service.create_key("symmetric")]
    yield service
    for info in made + [k for k in service.list_keys() if k.kind == "signing"]:
        try:
            secret_service.delete_password("veil", info.key_id)
        except Exception:  # noqa: BLE001 - already gone
            pass


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    return image_io.load_image(ROOT / "tests" / "fixtures" / "astronaut.png").pixels
