"""Use cases on keys, shared by the CLI and the GUI: every key kind (symmetric keys, key pairs, recipients'
public keys, trusted sealers, this profile's signing key), who a photo is sealed for, and who sealed it.

Roles (docs/security.md): privacy staff hold recipients' public keys and their own signing key, and can seal but
never restore; a keyholder holds a key pair and pins the sealers they trust. Every change is in the audit log.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Optional, Sequence

from editor.core.atomic import atomic_write_bytes
from editor.vault.audit import AuditLog
from editor.vault.errors import ConfirmationRequired, KeyFileError, KeyNotFoundError, SealerError, VaultError
from editor.vault.keyfile import MAX_FILE_BYTES, check_passphrase, open_key_file, seal_key_file
from editor.vault.keypairs import RecipientKey, show_fingerprint
from editor.vault.keystore import (PAIR, RECIPIENT, RESTORES, SEALER, SEALS, SIGNING, SYMMETRIC, KeyInfo,
                                   KeyStore)
from editor.vault.public_blocks import (KEYHOLDER, MAX_BLOCK_BYTES, PublicBlock, looks_like_block, read_block,
                                        write_block)
from editor.vault.public_blocks import SEALER as SEALER_BLOCK
from editor.vault.sealed_payload import MAX_RECIPIENTS, BAD_SIGNATURE, SealedPayload
from editor.vault.signing import SealerIdentity, Signer

from .file_reading import read_bytes


@dataclass(frozen=True)
class SealTargets:
    """Who a seal is for: one symmetric key (format 1), or public keys (format 2)."""

    keys: tuple[KeyInfo, ...]
    symmetric_key: Optional[bytes] = None
    recipients: tuple[RecipientKey, ...] = ()


@dataclass(frozen=True)
class SealerCheck:
    """Who signed a format-2 payload, as this keyring sees it."""

    identity: SealerIdentity
    signature_valid: bool
    trusted: Optional[KeyInfo] = None       # the pinned sealer (or your own signing key) with this fingerprint
    impostor_of: Optional[KeyInfo] = None   # a trusted sealer whose name this unknown key uses

    @property
    def refused(self) -> bool:
        return not self.signature_valid or self.impostor_of is not None

    def sentence(self) -> str:
        shown = show_fingerprint(self.identity.key_id)
        if not self.signature_valid:
            return BAD_SIGNATURE
        if self.trusted is not None and self.trusted.kind == SIGNING:
            return f'sealed by you ("{self.trusted.label}", fingerprint {shown}), signature valid'
        if self.trusted is not None:
            return f'sealed by "{self.trusted.label}" (fingerprint {shown}), signature valid'
        if self.impostor_of is not None:
            return (f'sealed by a key that calls itself "{self.identity.label}" (fingerprint {shown}) but is not the '
                    f'"{self.impostor_of.label}" you trust ({show_fingerprint(self.impostor_of.key_id)}), so Veil '
                    "refuses it; nothing was restored")
        return (f'sealed by an unknown sealer that calls itself "{self.identity.label}" (fingerprint {shown}): the '
                "signature is valid, but you have not pinned this sealer (`veil keys trust`)")


class KeyService:
    def __init__(self, keystore: Optional[KeyStore] = None, audit: Optional[AuditLog] = None) -> None:
        self.keys = keystore or KeyStore()
        self.audit = audit or AuditLog()

    # -- creating and listing ---------------------------------------------------------------------------------------
    def create_key(self, label: str) -> KeyInfo:
        """A symmetric recovery key (the first design: whoever seals with it can also restore)."""
        info = self.keys.create(label)
        self.audit.append("key.create", key_id=info.key_id)
        return info

    def create_key_pair(self, label: str, suite: Optional[str] = None) -> KeyInfo:
        """A keyholder's recovery key pair (hybrid ML-KEM-768 + X25519 unless `suite` says otherwise)."""
        info = self.keys.create_pair(label, suite)
        self.audit.append("key.create", key_id=info.key_id)
        return info

    def list_keys(self) -> list[KeyInfo]:
        return self.keys.list_keys()

    def signer(self, label: Optional[str] = None) -> Signer:
        """This profile's signing key, created (and logged) on first use."""
        own = self.keys.signer(create=False)
        if own is None:
            own = self.keys.signer(label=label, create=True)
            self.audit.append("key.create", key_id=own.identity.key_id)
        return own

    # -- deleting, exporting, importing -------------------------------------------------------------------------
    def delete_key(self, ref: str, *, confirm: bool = False) -> KeyInfo:
        info = self.keys.find(ref)
        if not confirm:
            consequence = {
                SYMMETRIC: "makes every photo sealed with it unrecoverable unless another keyholder has it",
                PAIR: "makes every photo sealed for it unrecoverable here unless you exported the key pair",
                RECIPIENT: "stops you sealing for this keyholder until you import their public key again",
                SEALER: "makes photos this sealer signs show as from an unknown sealer",
                SIGNING: "gives you a new signing key at the next seal, which keyholders must pin again",
            }[info.kind]
            raise ConfirmationRequired(f"Deleting the key {info.describe()} {consequence}, so Veil needs your "
                                       "confirmation to delete it.")
        self.keys.delete(info.key_id)
        self.audit.append("key.delete", key_id=info.key_id)
        return info

    def export_key(self, ref: str, passphrase: str, out_path: str | Path) -> KeyInfo:
        """Write a symmetric key or a key pair to a passphrase-protected file for another keyholder."""
        check_passphrase(passphrase)
        info = self.keys.find(ref, RESTORES, "be exported to a key file (share a public key with `veil keys "
                                             "public` instead)")
        data = seal_key_file(info, self.keys.secret_of(info), passphrase)
        atomic_write_bytes(out_path, data)
        self.audit.append("key.export", key_id=info.key_id, file_sha256=hashlib.sha256(data).hexdigest())
        return info

    def import_key(self, path: str | Path, passphrase: str, label: Optional[str] = None) -> KeyInfo:
        data = read_bytes(Path(path), "key file", MAX_FILE_BYTES)
        info, secret = open_key_file(data, passphrase)
        if label:
            info = replace(info, label=label)
        info = self.keys.add_pair(info, secret) if info.kind == PAIR else self.keys.add(info, secret)
        self.audit.append("key.import", key_id=info.key_id, file_sha256=hashlib.sha256(data).hexdigest())
        return info

    def public_block(self, ref: Optional[str] = None) -> tuple[KeyInfo, str]:
        """The public key block of a key pair or recipient, or (no `ref`) of your signing key."""
        if ref is None:
            own = self.signer()
            info = self.keys.lookup(own.identity.key_id)
        else:
            info = self.keys.find(ref, (PAIR, RECIPIENT, SIGNING, SEALER), "be shared as a public key (it is a "
                                                                           "secret key: use `veil keys export`)")
        kind = KEYHOLDER if info.kind in (PAIR, RECIPIENT) else SEALER_BLOCK
        return info, write_block(PublicBlock(kind, info.label, info.suite, self.keys.public_of(info)))

    def export_public(self, ref: Optional[str], out_path: str | Path) -> KeyInfo:
        info, text = self.public_block(ref)
        data = text.encode("ascii")
        atomic_write_bytes(out_path, data)
        self.audit.append("key.export", key_id=info.key_id, file_sha256=hashlib.sha256(data).hexdigest())
        return info

    def read_public_file(self, path: str | Path) -> PublicBlock:
        return read_block(read_bytes(Path(path), "public key file", MAX_BLOCK_BYTES))

    def import_public(self, path: str | Path, label: Optional[str] = None) -> KeyInfo:
        """Add a keyholder's public key as a recipient (no secret involved); a sealer's key is pinned instead."""
        block = self.read_public_file(path)
        if block.kind == SEALER_BLOCK:
            return self._pin_sealer(block, label)
        info = self.keys.add_recipient(label or block.label, block.suite, block.public)
        self.audit.append("key.import", key_id=info.key_id)
        return info

    def trust_sealer(self, path: str | Path, label: Optional[str] = None) -> KeyInfo:
        """Pin a sealer's signing key, so photos it signs say "sealed by LABEL"."""
        block = self.read_public_file(path)
        if block.kind != SEALER_BLOCK:
            raise KeyFileError(f'{Path(path).name} holds the public key of the keyholder "{block.label}", not a '
                               "sealer's key; import it as a recipient with `veil keys import`.")
        return self._pin_sealer(block, label)

    def _pin_sealer(self, block: PublicBlock, label: Optional[str]) -> KeyInfo:
        info = self.keys.add_sealer(label or block.label, block.public)
        self.audit.append("key.trust", key_id=info.key_id)
        return info

    @staticmethod
    def is_public_block(path: str | Path) -> bool:
        try:
            with open(path, "rb") as f:
                return looks_like_block(f.read(256))
        except OSError:
            return False

    # -- sealing: for whom ----------------------------------------------------------------------------------------
    def seal_targets(self, key: Optional[str] = None,
                     recipients: Sequence[str | RecipientKey] = ()) -> SealTargets:
        """Resolve `key` and `recipients` (labels, ids, or RecipientKey objects a caller already holds)."""
        refs = ([key] if key else []) + list(recipients)
        if not refs:
            raise VaultError("Name at least one keyholder to seal for (a recipient or a recovery key).")
        infos: list[KeyInfo] = []
        publics: list[RecipientKey] = []
        for ref in refs:
            if isinstance(ref, RecipientKey):
                info, public = KeyInfo(ref.key_id, ref.label, "", RECIPIENT, ref.suite), ref
            else:
                info = self.keys.find(ref, SEALS, "seal photos")
                public = None if info.kind == SYMMETRIC else self.keys.recipient_key(info)
            if all(i.key_id != info.key_id for i in infos):
                infos.append(info)
                if public is not None:
                    publics.append(public)
        symmetric = [i for i in infos if i.kind == SYMMETRIC]
        if symmetric and len(infos) > 1:
            raise VaultError(f"The symmetric key {symmetric[0].describe()} can only seal alone; to seal for several "
                             "keyholders, use their key pairs (recipients).")
        if len(infos) > MAX_RECIPIENTS:
            raise VaultError(f"Veil seals for at most {MAX_RECIPIENTS} keyholders at once; this names {len(infos)}.")
        if symmetric:
            return SealTargets(tuple(infos), symmetric_key=self.keys.key_bytes(infos[0].key_id, infos[0].label))
        return SealTargets(tuple(infos), recipients=tuple(publics))

    # -- restoring: who sealed, which key opens -------------------------------------------------------------------
    def check_sealer(self, payload: SealedPayload) -> SealerCheck:
        identity = payload.header.sealer
        trusted = self.keys.trusted_sealers()
        match = trusted.get(identity.key_id)
        impostor = None
        if match is None:
            name = identity.label.casefold()
            impostor = next((k for k in trusted.values() if k.label.casefold() == name), None)
        return SealerCheck(identity, payload.signature_valid(), match, impostor)

    def refuse_sealer(self, check: SealerCheck, require_trusted: bool = False) -> None:
        if not check.signature_valid:
            raise SealerError(BAD_SIGNATURE)
        if check.impostor_of is not None:
            raise SealerError(f"This photo was {check.sentence()}.")
        if require_trusted and check.trusted is None:
            raise SealerError(f"This photo was {check.sentence()}; only trusted sealers were accepted, so nothing "
                              "was restored.")

    def restoring_pair(self, payload: SealedPayload) -> tuple[KeyInfo, bytes]:
        """Your key pair among the payload's recipients; one sentence naming them when you hold none."""
        for entry in payload.header.recipients:
            found = self.keys.private_pair(entry.key_id)
            if found is not None:
                return found
        entries = payload.header.recipients
        public_only = next((e for e in entries if self.keys.lookup(e.key_id) is not None), None)
        if public_only is not None:
            raise KeyNotFoundError(
                f'This photo was sealed for "{public_only.label}" ({show_fingerprint(public_only.key_id)}), whose '
                "public key you hold: it seals but cannot restore, so only that keyholder can restore the photo.")
        first = entries[0]
        others = f" and {len(entries) - 1} other keyholder{'s' if len(entries) > 2 else ''}" if len(entries) > 1 else ""
        raise KeyNotFoundError(
            f'This photo was sealed for "{first.label}" ({show_fingerprint(first.key_id)}){others}; none of their '
            "private keys is in your keyring, so it cannot be restored here.")
