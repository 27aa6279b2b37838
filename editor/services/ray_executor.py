"""Run a photo batch's per-photo function on Ray: another executor for `photo_batch.run_batch`, beside the
local process pool, with the same report, resume, progress, summary and exit codes (run_batch keeps those).

    executor = RayExecutor("auto", driver=DriverServices(signer, audit))
    run_batch(inputs, outdir, kind, work, options_for, executor=executor)

- Ray is optional (`pip install veil[cluster]`) and imported only here, when a batch asks for it.
- One actor per CPU of the cluster (or `workers`), each loading the models once (ray_worker.PhotoWorker).
- Faults: a worker that dies mid-photo (killed, out of memory, its node lost) is replaced and the photo is given
  to the next free worker; outputs are written atomically, so the half-done photo left nothing but a temp file,
  which run_batch removes. A photo is recorded once, when a worker finishes it. After `attempts` failed attempts
  it is recorded as an error and the run goes on. A killed driver takes its actors with it (Ray ends the actors
  of a dead owner); a rerun resumes from the report like a local run.
- Keys: workers hold none. With `driver`, each worker seals for public keys and sends back the 88 bytes to be
  signed; the driver signs at most one message per attempt, and only a seal signature message, and writes the
  workers' audit entries to its own log.
"""

from __future__ import annotations

import logging
import os
import re
import socket
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Optional, Sequence
from urllib.parse import urlparse

from editor.core.errors import VeilError
from editor.services.photo_batch import PhotoReport, PhotoWork
from editor.services.ray_worker import DONE, FAILED, SIGN, PhotoWorker
from editor.vault.sealed_payload import signed_message
from editor.vault.signing import Signer

LOCAL = "local"                      # `--ray` without an address: a Ray started on this machine for the run
ATTEMPTS = 3                         # a photo whose worker died or failed this many times is reported as an error
STARTUP_SECONDS = 300                # no worker ready by then: the cluster has no free CPU, or no Veil on its nodes
CONNECT_SECONDS = 5                  # a cluster address that does not answer within this is refused
LOCAL_OBJECT_STORE = 128 << 20       # only paths, options and reports travel through the store: keep it small
# A seal signature message: a domain tag then two SHA-256 digests. The driver signs nothing else for a worker.
_SEAL_MESSAGE = signed_message(b"", b"")
_SEAL_TAG = _SEAL_MESSAGE[:-64]


class RayMissingError(VeilError):
    exit_code = 2

    def __init__(self) -> None:
        super().__init__("--ray needs Ray, which is not installed here; install it with `pip install "
                         "veil[cluster]` (on every node of the cluster too).")


class ClusterError(VeilError):
    """The cluster cannot be reached, or its workers cannot start."""

    exit_code = 2


def import_ray():
    try:
        import ray
    except ImportError:
        raise RayMissingError() from None
    return ray


def looks_like_address(value: str) -> bool:
    """`local`, `auto`, `ray://HOST:PORT` or `HOST:PORT`: what `--ray` accepts (a photo's path is not one)."""
    if value in (LOCAL, "auto"):
        return True
    if value.startswith("ray://"):
        return True
    host, sep, port = value.rpartition(":")
    return bool(sep and host and port.isdigit()) and "/" not in value


@dataclass
class DriverServices:
    """What only the driver holds: the signing key (behind `signer`) and the audit log."""

    signer: Signer
    audit: Any          # an AuditLog: append(action, file_sha256=, key_id=, faces=)

    def sign_for_worker(self, message: bytes) -> Optional[bytes]:
        if len(message) != len(_SEAL_MESSAGE) or not message.startswith(_SEAL_TAG):
            return None
        return self.signer.sign(message)

    def write_audit(self, entries: Sequence[dict]) -> None:
        for e in entries:
            self.audit.append(e["action"], file_sha256=e.get("file_sha256"), key_id=e.get("key_id"),
                              faces=e.get("faces"))


# -- connecting ------------------------------------------------------------------------------------------------------
def _check_reachable(address: str) -> None:
    """Ray waits minutes on an address nobody answers at, printing warnings; say it in one sentence instead."""
    if address in (LOCAL, "auto"):
        return
    parsed = urlparse(address if "://" in address else f"tcp://{address}")
    try:
        with socket.create_connection((parsed.hostname, parsed.port or 10001), timeout=CONNECT_SECONDS):
            pass
    except (OSError, ValueError) as exc:
        raise ClusterError(f"No Ray cluster answers at {address} ({exc.strerror or exc}); start one with `ray start "
                           "--head` or give its address (HOST:PORT, ray://HOST:10001 or auto).") from None


@contextmanager
def ray_session(address: str = LOCAL) -> Iterator[Any]:
    """Ray connected to the cluster at `address`, or started on this machine for the run (LOCAL); disconnected
    (and a local Ray stopped) afterwards."""
    ray = import_ray()
    _check_reachable(address)
    quiet = {"logging_level": logging.ERROR, "log_to_driver": False}
    try:
        if address == LOCAL:
            ray.init(num_cpus=os.cpu_count() or 1, include_dashboard=False,
                     object_store_memory=LOCAL_OBJECT_STORE, **quiet)
        else:
            ray.init(address=address, **quiet)
    except (ConnectionError, RuntimeError, ValueError, TimeoutError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0].rstrip(".")
        raise ClusterError(f"Could not connect to the Ray cluster at {address}: {first}.") from None
    try:
        yield ray
    finally:
        ray.shutdown()


# -- running ---------------------------------------------------------------------------------------------------------
@dataclass
class _Attempt:
    index: int                  # into the work items
    token: tuple                # (index, attempt number): what start/resume/sign are keyed by
    signed: bool = False


class RayExecutor:
    """Runs work items on Ray actors; see the module docstring. `on_note(text)` hears about lost workers and
    retries (the CLI prints them beside the progress)."""

    def __init__(self, address: str = LOCAL, *, workers: Optional[int] = None, attempts: int = ATTEMPTS,
                 driver: Optional[DriverServices] = None, warm: Optional[Callable[[], None]] = None,
                 on_note: Optional[Callable[[str], None]] = None) -> None:
        self.address = address
        self.workers = workers
        self.attempts = attempts
        self.driver = driver
        self.warm = warm
        self.on_note = on_note or (lambda text: None)

    def __call__(self, work: PhotoWork, items: Sequence[tuple[Path, Path, Any]],
                 record: Callable[[PhotoReport], None]) -> None:
        if not items:
            return
        with ray_session(self.address) as ray:
            _Run(ray, self, work, list(items), record).run()


class _Run:
    """One batch on Ray: the actors, the queue of photos and the attempts in flight."""

    def __init__(self, ray, executor: RayExecutor, work: PhotoWork, items: list, record) -> None:
        from editor import __version__

        self.ray, self.ex, self.items, self.record = ray, executor, items, record
        self.failures: dict[int, list[str]] = {}
        self.queue: deque[int] = deque(range(len(items)))
        self.running: dict = {}             # object ref -> (actor, _Attempt or None while the actor starts)
        self.idle: list = []
        self.ready_once = False
        self.startup_failures = 0
        self.size = 1
        sealer = executor.driver.signer.identity if executor.driver else None
        self.actor_class = ray.remote(num_cpus=1, max_restarts=0)(PhotoWorker)
        self.args = (work, sealer, executor.warm, __version__)
        self.probes = [str(items[0][0]), str(_existing_folder(Path(items[0][1])))]

    def run(self) -> None:
        cpus = int(self.ray.cluster_resources().get("CPU", 1))
        self.size = max(1, min(self.ex.workers or cpus, len(self.items)))
        for _ in range(self.size):
            self._start_actor()
        while self.queue or any(a is not None for _, a in self.running.values()):
            self._dispatch()
            ready, _ = self.ray.wait(list(self.running), num_returns=1,
                                     timeout=None if self.ready_once else STARTUP_SECONDS)
            if not ready:
                raise ClusterError(f"No Ray worker started within {STARTUP_SECONDS // 60} minutes: the cluster has "
                                   "no free CPU, or Veil is not installed on its nodes.")
            ref = ready[0]
            actor, attempt = self.running.pop(ref)
            try:
                answer = self.ray.get(ref)
            except self.ray.exceptions.RayActorError as exc:
                self._lost(actor, attempt, _reason(exc))
                continue
            except self.ray.exceptions.RayError as exc:     # the actor method itself raised: the actor lives on
                self._failed(attempt, _reason(exc))
                self.idle.append(actor)
                continue
            if attempt is None:
                self._started(actor, answer)
            else:
                self._answer(actor, attempt, answer)

    # -- actors ----------------------------------------------------------------------------------------------------
    def _start_actor(self) -> None:
        actor = self.actor_class.remote(*self.args)
        self.running[actor.ready.remote(self.probes)] = (actor, None)

    def _started(self, actor, info: dict) -> None:
        if info["unseen"]:
            raise ClusterError(f"The Ray worker on {info['host']} cannot see {info['unseen'][0]}; inputs and the "
                               "output folder must be on storage every node mounts at the same path.")
        self.ready_once = True
        self.idle.append(actor)

    def _lost(self, actor, attempt: Optional[_Attempt], reason: str) -> None:
        """A worker died: its photo (if any) goes to the next free worker, and a new worker takes its place unless
        workers keep dying before they start."""
        self.ray.kill(actor, no_restart=True)
        if attempt is None:
            self.startup_failures += 1
        else:
            self._failed(attempt, f"its Ray worker was lost: {reason}")
        if self.startup_failures < ATTEMPTS * self.size:
            self._start_actor()
        if self.queue and not self.running and not self.idle:
            raise ClusterError(f"The Ray workers could not start: {reason}")

    def _dispatch(self) -> None:
        while self.idle and self.queue:
            actor, index = self.idle.pop(), self.queue.popleft()
            source, output, options = self.items[index]
            attempt = _Attempt(index, (index, len(self.failures.get(index, ())) + 1))
            self.running[actor.start.remote(attempt.token, str(source), str(output), options)] = (actor, attempt)
        if not self.queue and self.idle:       # nothing left to give them: free their CPUs for other jobs
            for actor in self.idle:
                self.ray.kill(actor, no_restart=True)
            self.idle.clear()

    # -- answers ---------------------------------------------------------------------------------------------------
    def _answer(self, actor, attempt: _Attempt, answer: tuple) -> None:
        kind, token = answer[0], answer[1]
        if token != attempt.token:
            self._failed(attempt, "the worker answered for another photo")
            self.idle.append(actor)
        elif kind == SIGN:
            signature = None
            if self.ex.driver is not None and not attempt.signed:      # one signature per attempt, no more
                signature = self.ex.driver.sign_for_worker(answer[2])
            attempt.signed = True
            self.running[actor.resume.remote(token, signature)] = (actor, attempt)
        elif kind == DONE:
            report, audit = answer[2], answer[3]
            if self.ex.driver is not None:
                self.ex.driver.write_audit(audit)
            self.idle.append(actor)
            self.record(report)
        else:
            self._failed(attempt, answer[2] if kind == FAILED else f"unknown answer {kind!r}")
            self.idle.append(actor)

    def _failed(self, attempt: _Attempt, reason: str) -> None:
        failures = self.failures.setdefault(attempt.index, [])
        failures.append(reason)
        source = self.items[attempt.index][0]
        if len(failures) < self.ex.attempts:
            self.ex.on_note(f"{source}: {reason}; retrying (attempt {len(failures) + 1} of {self.ex.attempts})")
            self.queue.appendleft(attempt.index)
            return
        self.record(PhotoReport(str(source), None, "error",
                                message=f"failed {len(failures)} times on the Ray cluster (last: {reason})"))


def _existing_folder(path: Path) -> Path:
    """The nearest folder above `path` that exists here (the output folder, before its subfolders are made)."""
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder


_ERROR_LINE = re.compile(r"^(?:[\w.]+\.)?(\w*(?:Error|Exception)): (.+)$")


def _reason(exc: BaseException) -> str:
    """What went wrong, in a few words: the last "SomeError: text" line of Ray's message (the cause raised in the
    worker), else its first line."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    causes = [m.group(2) for m in map(_ERROR_LINE.match, lines) if m]
    text = causes[-1] if causes else (lines[0] if lines else type(exc).__name__)
    return text.rstrip(".")[:300]
