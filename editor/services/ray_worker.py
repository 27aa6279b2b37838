"""The worker side of a photo batch on Ray: an actor that loads the models once and runs the batch's per-photo
function on the photos the driver hands it, one at a time.

Nothing here imports Ray: the driver (ray_executor.py) turns `PhotoWorker` into an actor class, so this module
stays importable (and testable) without the `cluster` extra.

What a worker holds, and what it asks the driver for:
- No key at all. It seals for the keyholders' public keys it was given; its key store is `NoKeys`, so any code
  path that would read a keyring fails with one sentence instead of finding a secret there.
- A seal's signature comes from the driver: `DriverSigner.sign` hands the 88 bytes to be signed back to the
  driver (the running `start` call returns them) and waits for the signature the driver sends with `resume`.
- Audit entries (seal, anonymize) are collected by `AuditRelay` and travel back with the photo's report; the
  driver writes them to its own audit log, so one log lists the whole run.
"""

from __future__ import annotations

import os
import queue
import socket
import threading
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

from editor.core.errors import VeilError
from editor.services.photo_batch import PhotoWork, do_photo
from editor.vault.signing import SealerIdentity

# What `start` and `resume` return to the driver: ("sign", token, message), ("done", token, report, audit
# entries) or ("failed", token, reason) for an exception the per-photo work did not turn into a report.
SIGN, DONE, FAILED = "sign", "done", "failed"


class WorkerKeyError(VeilError):
    """Something on a worker tried to read a key; workers hold none."""


class NoKeys:
    """The key store of a worker: it holds nothing, so a code path that would read a key fails loudly."""

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        raise WorkerKeyError("A Ray worker holds no keys (it seals for public keys sent by the driver); "
                             "this step needs a key and must run on the driver.")


@dataclass
class AuditRelay:
    """Stands in for the audit log on a worker: the entries go back to the driver, which appends them."""

    entries: list = field(default_factory=list)

    def append(self, action: str, *, file_sha256: Optional[str] = None, key_id: Optional[str] = None,
               faces: Optional[Sequence[int]] = None) -> None:
        self.entries.append({"action": action, "file_sha256": file_sha256, "key_id": key_id,
                             "faces": None if faces is None else [int(f) for f in faces]})


class DriverSigner:
    """A signer whose private key stays with the driver: `sign` asks the driver and waits for its answer."""

    def __init__(self, identity: SealerIdentity, ask: Callable[[bytes], bytes]) -> None:
        self.identity = identity
        self._ask = ask

    def sign(self, message: bytes) -> bytes:
        return self._ask(message)


@dataclass
class DriverLink:
    """What the per-photo work of a sealing batch gets on a worker instead of the driver's vault."""

    signer: Optional[DriverSigner]
    audit: AuditRelay


class PhotoWorker:
    """One Ray actor: loads the models once (`warm`), then does one photo per `start` call.

    `work(source, output, options)` is the batch's per-photo function; with `sealer` (the driver's public sealer
    identity) it is called as `work(source, output, options, driver=DriverLink)`, so it can seal and have the
    driver sign. The photo runs in a thread so that `start` can return a signing request half way through and
    `resume` can hand the signature back to the same photo.
    """

    def __init__(self, work: PhotoWork, sealer: Optional[SealerIdentity], warm: Optional[Callable[[], None]],
                 version: str) -> None:
        from editor import __version__

        if version != __version__:
            raise VeilError(f"This Ray worker runs Veil {__version__} but the driver runs {version}; install the "
                            "same Veil on every node.")
        if warm is not None:
            warm()
        self._work = work
        self._sealer = sealer
        self._outbox: queue.Queue = queue.Queue()
        self._inbox: queue.Queue = queue.Queue()
        self._token: Any = None

    def ready(self, probes: Sequence[str]) -> dict:
        """Where this worker runs, and which of `probes` (an input, the output folder) it cannot see: inputs and
        outputs must be on storage every node mounts at the same path."""
        return {"host": socket.gethostname(), "pid": os.getpid(),
                "unseen": [p for p in probes if not os.path.exists(p)]}

    def start(self, token: Any, source: str, output: str, options: Any) -> tuple:
        self._token = token
        link = DriverLink(DriverSigner(self._sealer, self._ask) if self._sealer else None, AuditRelay())
        threading.Thread(target=self._run, args=(token, Path(source), Path(output), options, link),
                         name=f"veil-photo-{token}", daemon=True).start()
        return self._outbox.get()

    def resume(self, token: Any, signature: Optional[bytes]) -> tuple:
        if token != self._token:
            return (FAILED, token, "the driver answered for another photo")
        self._inbox.put(signature)
        return self._outbox.get()

    def _ask(self, message: bytes) -> bytes:
        self._outbox.put((SIGN, self._token, bytes(message)))
        signature = self._inbox.get()
        if signature is None:
            raise WorkerKeyError("The driver refused to sign this seal; nothing was written.")
        return signature

    def _run(self, token: Any, source: Path, output: Path, options: Any, link: DriverLink) -> None:
        try:
            work = partial(self._work, driver=link) if self._sealer else self._work
            report = do_photo(work, source, output, options)
            self._outbox.put((DONE, token, report, link.audit.entries))
        except BaseException as exc:  # noqa: BLE001 - a bug, not a bad photo (the work reports those): retried
            self._outbox.put((FAILED, token, f"{type(exc).__name__}: {exc}"))
