"""Errors of the recovery vault; each message is one sentence a keyholder can act on."""

from __future__ import annotations

from editor.core.errors import VeilError


class VaultError(VeilError):
    """Base of every expected vault failure."""

    exit_code = 5


class InsecureKeyringError(VaultError):
    """The keyring backend would store keys in clear (or nowhere)."""

    exit_code = 6

    def __init__(self, backend_name: str) -> None:
        super().__init__(
            f"No secure keyring is available (found {backend_name}), so Veil will not store recovery keys there; "
            "install or unlock GNOME Keyring or KWallet."
        )


class KeyringUnavailableError(VaultError):
    """The keyring exists but refused the operation (locked, dismissed prompt, D-Bus error)."""

    exit_code = 6


class KeyNotFoundError(VaultError):
    """The recovery key a photo (or a command) asks for is not in this keyring."""

    exit_code = 7


class KeyExistsError(VaultError):
    """A key with this label or id is already in the keyring."""


class ConfirmationRequired(VaultError):
    """A destructive operation was asked for without the user's confirmation."""


class KeyFileError(VaultError):
    """An exported key file is damaged, altered, or the passphrase is wrong."""


class PassphraseError(VaultError):
    """The passphrase chosen for a key file is too weak or empty."""


class NoPayloadError(VaultError):
    """The file carries no recovery data (never sealed, or its metadata was stripped)."""

    exit_code = 8


class PayloadError(VaultError):
    """The recovery data is damaged, altered, or of an unknown format."""

    exit_code = 8


class WrongKeyError(VaultError):
    """The recovery key found under the payload's key id does not unwrap its data key."""

    exit_code = 7


class WrongImageError(VaultError):
    """The payload authenticates but belongs to other pixels (moved, or the image was edited)."""

    exit_code = 8


class SealerError(VaultError):
    """The payload's signature is valid but its sealer is refused (an impostor of a trusted name, or unknown
    where only trusted sealers are accepted)."""

    exit_code = 8


class AuditError(VaultError):
    """The audit log cannot be written, or its hash chain is broken."""

    exit_code = 9
