"""Choose a keyring backend that really protects secrets, or refuse.

keyring falls back to backends that store nothing (`fail`, `null`) or store secrets in clear (keyrings.alt's
plaintext file, registry). Veil refuses those rather than write a recovery key where any process can read it.
"""

from __future__ import annotations

import keyring
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail, null

from .errors import InsecureKeyringError

# keyring itself calls backends below priority 1 "not recommended" (keyrings.alt's plaintext is 0.5).
_MIN_PRIORITY = 1.0


def backend_name(backend: KeyringBackend) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__name__}"


def is_secure(backend: KeyringBackend) -> bool:
    if isinstance(backend, (fail.Keyring, null.Keyring, chainer.ChainerBackend)):
        return False
    cls = type(backend)
    if "plaintext" in cls.__name__.lower() or cls.__module__.startswith("keyrings.alt"):
        return False
    try:
        return float(backend.priority) >= _MIN_PRIORITY
    except Exception:  # a backend's priority raises when it cannot run here (e.g. no D-Bus)
        return False


def secure_backend(backend: KeyringBackend | None = None) -> KeyringBackend:
    """The backend to store recovery keys in: `backend` (or the system's) if secure, else InsecureKeyringError.

    A chainer writes to the first of its backends that accepts a secret, which may be a plaintext one, so we
    unwrap it and use its best secure member directly.
    """
    chosen = backend if backend is not None else keyring.get_keyring()
    if isinstance(chosen, chainer.ChainerBackend):
        members = list(chosen.backends)
        for member in members:
            if is_secure(member):
                return member
        found = ", ".join(backend_name(m) for m in members) or "an empty chain"
        raise InsecureKeyringError(found)
    if not is_secure(chosen):
        raise InsecureKeyringError(backend_name(chosen))
    return chosen
