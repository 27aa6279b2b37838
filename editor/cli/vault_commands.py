"""`veil keys`, `veil seal`, `veil recover` and `veil audit`: the recovery vault from the command line.

Roles: a keyholder creates a key pair (`veil keys create`) and hands its public key (`veil keys public`) to privacy
staff, who import it as a recipient (`veil keys import`) and seal for it (`--recipient`); keyholders pin the
sealers they trust (`veil keys trust`, with the block from `veil keys sealer`).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from editor.core import image_io
from editor.core.progress import JobContext
from editor.services.vault_types import AuditError, ConfirmationRequired, PassphraseError, VaultError

from .paths import refuse_output_among_inputs
from .progress import percent_printer

FILL_CHOICES = ("inpaint", "blur", "pixelate", "solid")


def register(sub: argparse._SubParsersAction) -> None:
    _register_keys(sub)

    p = sub.add_parser(
        "seal", help="hide regions of a photo and seal their originals for a keyholder",
        description="Reversible redaction: hide every white area of MASK (a face, a plate, a document) with "
                    "the chosen fill, and seal its original pixels inside OUT, encrypted for the recovery key. "
                    "IMG is never modified.")
    p.add_argument("image", help="photo to redact (never modified)")
    p.add_argument("--mask", required=True, help="mask image, same size as the photo: white = hide and seal")
    add_seal_target_arguments(p)
    p.add_argument("-o", "--output", required=True, help="file to write (.png, .jpg, .webp or .tif)")
    p.add_argument("--fill", choices=FILL_CHOICES, default="inpaint", help="how regions are hidden (default inpaint)")
    p.add_argument("--kind", choices=("region", "face"), default="region", help="what the regions are")
    p.add_argument("--profile", choices=("privacy", "retouch"), default="privacy",
                   help="privacy (default) strips GPS, maker notes, thumbnails and personal fields")
    p.add_argument("--sidecar", action="store_true", help="also write OUT.veil, for channels that strip metadata")
    p.add_argument("--quality", type=int, default=None, help="JPEG/WebP quality 1-100")
    p.set_defaults(handler=cmd_seal)

    p = sub.add_parser(
        "recover", help="restore sealed regions of a photo with your recovery key",
        description="Restore all sealed regions of IMG (or those named with --face) bit-exactly and write the "
                    "result to OUT (.png, .tif or .webp, lossless). Use --list to see what IMG holds.")
    p.add_argument("image", help="sealed photo")
    p.add_argument("-o", "--output", help="file to write the recovered photo to")
    p.add_argument("--face", type=int, action="append", metavar="N",
                   help="restore only region N (1-based; repeat for several)")
    p.add_argument("--payload", help="recovery data file (default: embedded, else IMG.veil)")
    p.add_argument("--list", action="store_true", help="list the sealed regions and the key needed, then stop")
    p.add_argument("--trusted-only", action="store_true",
                   help="refuse a photo whose sealer you have not pinned with `veil keys trust`")
    p.set_defaults(handler=cmd_recover)

    p = sub.add_parser("audit", help="show or verify the audit log",
                       description="The audit log records key, seal and recover operations, hash-chained.")
    audit_sub = p.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    q = audit_sub.add_parser("show", help="print the log")
    q.add_argument("--last", type=int, default=None, metavar="N", help="only the last N entries")
    q.set_defaults(handler=cmd_audit_show)
    q = audit_sub.add_parser("verify", help="check that no entry was edited or removed")
    q.set_defaults(handler=cmd_audit_verify)


def add_seal_target_arguments(p: argparse.ArgumentParser) -> None:
    """--recipient (repeatable) and --key: who a photo is sealed for (`veil seal`, `veil anonymize`)."""
    p.add_argument("--recipient", action="append", default=[], metavar="NAME",
                   help="label or fingerprint of a keyholder's public key (repeat for several; any one restores)")
    p.add_argument("--key", help="label or id of a key in your keyring: a symmetric recovery key (seals alone, "
                                 "unsigned, as before) or your own key pair")


def _register_keys(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("keys", help="manage recovery keys, recipients and sealers in your OS keyring",
                       description="Keys live in the OS keyring; only ids, kinds and labels are kept on disk.")
    keys = p.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    q = keys.add_parser("create", help="create a recovery key pair (or, with --symmetric, a symmetric key)")
    q.add_argument("label", help='a name for the key, e.g. "HR team"')
    q.add_argument("--suite", choices=("hybrid", "x25519"), default=None,
                   help="hybrid: ML-KEM-768 + X25519 (default where available); x25519: X25519 alone")
    q.add_argument("--symmetric", action="store_true",
                   help="a symmetric key of the first design: whoever seals with it can also restore")
    q.set_defaults(handler=cmd_keys_create)
    q = keys.add_parser("list", help="list keys: id, created, kind, label")
    q.set_defaults(handler=cmd_keys_list)
    q = keys.add_parser("export", help="write a key pair or symmetric key to a passphrase-protected file")
    q.add_argument("key", help="label or id")
    q.add_argument("-o", "--output", required=True, help="key file to write")
    q.add_argument("--passphrase-file", help="read the passphrase from this file ('-' = stdin) instead of asking")
    q.set_defaults(handler=cmd_keys_export)
    q = keys.add_parser("public", help="print (or write) the public key of a key pair, for privacy staff")
    q.add_argument("key", help="label or id of your key pair (or of a recipient)")
    q.add_argument("-o", "--output", help="file to write instead of printing")
    q.set_defaults(handler=cmd_keys_public)
    q = keys.add_parser("sealer", help="show your signing key (made on first use), for keyholders to trust")
    q.add_argument("--label", help="name for a signing key made now (default user@host)")
    q.add_argument("-o", "--output", help="file to write the public block to instead of printing")
    q.set_defaults(handler=cmd_keys_sealer)
    q = keys.add_parser("import", help="add a key file (with its passphrase) or a public key block (a recipient)")
    q.add_argument("file", help="key file, or public key block from `veil keys public`")
    q.add_argument("--label", help="store it under another label")
    q.add_argument("--passphrase-file", help="read the passphrase from this file ('-' = stdin) instead of asking")
    q.set_defaults(handler=cmd_keys_import)
    q = keys.add_parser("trust", help="pin a sealer's signing key (from `veil keys sealer`)")
    q.add_argument("file", help="the sealer's public key block")
    q.add_argument("--label", help="your name for this sealer")
    q.set_defaults(handler=cmd_keys_trust)
    q = keys.add_parser("delete", help="delete a key (photos sealed with it can no longer be recovered here)")
    q.add_argument("key", help="label or id")
    q.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    q.set_defaults(handler=cmd_keys_delete)


def _service():
    from editor.services.vault_service import VaultService

    return VaultService()


def _read_passphrase(args: argparse.Namespace, confirm: bool) -> str:
    if args.passphrase_file:
        try:
            if args.passphrase_file == "-":
                text = sys.stdin.readline()
            else:
                text = Path(args.passphrase_file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise VaultError(f"The passphrase file {args.passphrase_file} could not be read ({e}).") from e
        return text.splitlines()[0] if text.strip() else ""
    if not sys.stdin.isatty():
        raise PassphraseError("There is no terminal to ask for the passphrase; give it with --passphrase-file.")
    first = getpass.getpass("Passphrase: ")
    if confirm and getpass.getpass("Passphrase again: ") != first:
        raise PassphraseError("The two passphrases differ; nothing was written.")
    return first


# -- keys ------------------------------------------------------------------------------------------------------
def cmd_keys_create(args: argparse.Namespace) -> int:
    from editor.services.vault_types import CLASSIC, HYBRID, SUITE_TEXT

    if args.symmetric:
        if args.suite:
            raise VaultError("A symmetric key has no suite; leave out --suite or --symmetric.")
        info = _service().create_key(args.label)
        print(f"Created symmetric recovery key {info.describe()}.")
        print("Export it (`veil keys export`) for every other keyholder: photos sealed with it can only be "
              "recovered where it is.")
        return 0
    suite = {"hybrid": HYBRID, "x25519": CLASSIC}.get(args.suite)
    info = _service().create_key_pair(args.label, suite)
    print(f"Created recovery key pair {info.describe()} ({SUITE_TEXT[info.suite]}).")
    print(f'Give its public key to privacy staff (`veil keys public "{info.label}"`) and compare the fingerprint '
          "with them by phone; back up the key pair with `veil keys export`.")
    return 0


def cmd_keys_list(args: argparse.Namespace) -> int:
    keys = _service().list_keys()
    if not keys:
        print("No recovery keys yet; create one with `veil keys create LABEL`.")
        return 0
    for k in keys:
        print(f"{k.key_id}  {k.created}  {k.kind:<9}  {k.suite or '-':<15}  {k.label}")
    return 0


def cmd_keys_public(args: argparse.Namespace) -> int:
    from editor.services.vault_types import show_fingerprint

    service = _service()
    if args.output:
        info = service.export_public(args.key, args.output)
        print(f"Wrote the public key of {info.describe()} to {args.output}; its fingerprint is "
              f"{show_fingerprint(info.key_id)}.")
    else:
        _, text = service.public_block(args.key)
        sys.stdout.write(text)
    return 0


def cmd_keys_sealer(args: argparse.Namespace) -> int:
    from editor.services.vault_types import show_fingerprint

    service = _service()
    signer = service.signer(label=args.label)
    if args.output:
        service.export_public(None, args.output)
        print(f'Your signing key "{signer.identity.label}" ({show_fingerprint(signer.identity.key_id)}) was written '
              f"to {args.output}; keyholders pin it with `veil keys trust`.")
    else:
        _, text = service.public_block(None)
        sys.stdout.write(text)
    return 0


def cmd_keys_trust(args: argparse.Namespace) -> int:
    from editor.services.vault_types import show_fingerprint

    info = _service().trust_sealer(args.file, label=args.label)
    print(f'Trusted the sealer "{info.label}" with fingerprint {show_fingerprint(info.key_id)}; make sure it is the '
          "one its owner reads to you.")
    return 0


def cmd_keys_export(args: argparse.Namespace) -> int:
    passphrase = _read_passphrase(args, confirm=True)
    info = _service().export_key(args.key, passphrase, args.output)
    print(f"Exported {info.describe()} to {args.output}; give the passphrase to the keyholder by another channel.")
    return 0


def cmd_keys_import(args: argparse.Namespace) -> int:
    from editor.services.vault_types import RECIPIENT, show_fingerprint

    service = _service()
    if service.is_public_block(args.file):
        info = service.import_public(args.file, label=args.label)
        what = "recipient" if info.kind == RECIPIENT else "trusted sealer"
        print(f'Imported the {what} "{info.label}" with fingerprint {show_fingerprint(info.key_id)}; compare it with '
              "the keyholder by phone before you seal for it.")
        return 0
    passphrase = _read_passphrase(args, confirm=False)
    info = service.import_key(args.file, passphrase, label=args.label)
    print(f"Imported recovery key {info.describe()}.")
    return 0


def cmd_keys_delete(args: argparse.Namespace) -> int:
    service = _service()
    confirmed = args.yes
    if not confirmed:
        info = service.keys.find(args.key)
        if not sys.stdin.isatty():
            raise ConfirmationRequired(f"Deleting {info.describe()} cannot be undone; pass --yes to confirm.")
        answer = input(f"Delete recovery key {info.describe()}? Photos sealed with it can no longer be recovered "
                       "here. Type 'yes' to delete: ")
        confirmed = answer.strip().lower() == "yes"
        if not confirmed:
            print("Nothing was deleted.")
            return 1
    info = service.delete_key(args.key, confirm=confirmed)
    print(f"Deleted recovery key {info.describe()}.")
    return 0


# -- seal / recover ----------------------------------------------------------------------------------------------
def cmd_seal(args: argparse.Namespace) -> int:
    from editor.services.vault_service import load_mask, regions_from_mask
    from editor.services.vault_types import sidecar_path

    src, out = Path(args.image), Path(args.output)
    inputs = {"photo": args.image, "mask": args.mask}
    refuse_output_among_inputs(out, inputs)
    if args.sidecar:
        refuse_output_among_inputs(sidecar_path(out), inputs, what="sidecar")
    loaded = image_io.load_image(src)
    regions = regions_from_mask(load_mask(args.mask, loaded.width, loaded.height), kind=args.kind)
    result = _service().seal_image(
        loaded.pixels, loaded.alpha, loaded.metadata, regions, key=args.key, recipients=args.recipient,
        out_path=out, fill=args.fill, sidecar=args.sidecar, profile=args.profile, quality=args.quality,
        ctx=JobContext(on_progress=percent_printer()),
    )
    where = f"{result.path}" + (f" and {result.sidecar}" if result.sidecar else "")
    whom = " and ".join(k.describe() for k in result.keys)
    signed = f", signed by {result.sealer.describe()}" if result.sealer else ""
    print(f"Sealed {len(result.regions)} region(s) for {whom} into {where}{signed}.")
    return 0


def cmd_recover(args: argparse.Namespace) -> int:
    service = _service()
    if args.list:
        _print_seal_info(service.inspect(args.image, args.payload), Path(args.image).name)
        return 0
    if not args.output:
        raise VaultError("Name the file to write the recovered photo to with -o OUT.")
    result = service.recover(args.image, args.output, faces=args.face, payload_path=args.payload,
                             ctx=JobContext(on_progress=percent_printer()), require_trusted_sealer=args.trusted_only)
    sealer = f"; {result.sealer.sentence()}" if result.sealer else ""
    print(f"Restored region(s) {', '.join(map(str, result.restored))} into {result.path}{sealer}.")
    return 0


def _print_seal_info(info, name: str) -> None:
    from editor.services.vault_types import show_fingerprint

    if info.version == 1:
        state = "in your keyring" if info.key_available else "NOT in your keyring"
        print(f'{name}: {len(info.regions)} sealed region(s), sealed {info.created} for key '
              f'"{info.key_label}" (id {info.key_id}), {state}.')
    else:
        print(f"{name}: {len(info.regions)} sealed region(s), sealed {info.created} for "
              f"{len(info.keyholders)} keyholder(s); {info.sealer.sentence()}.")
        for h in info.keyholders:
            state = "your key pair is in your keyring" if h.available else "not restorable here"
            print(f'  keyholder "{h.label}" ({show_fingerprint(h.key_id)}): {state}')
    for r in info.regions:
        print(f"  {r.index}. {r.kind} x={r.rect.x0} y={r.rect.y0} w={r.rect.width} h={r.rect.height}")


# -- audit -------------------------------------------------------------------------------------------------------
def cmd_audit_show(args: argparse.Namespace) -> int:
    entries = _service().audit.entries()
    if args.last is not None:
        entries = entries[-args.last:] if args.last > 0 else []
    if not entries:
        print("The audit log is empty.")
    for e in entries:
        parts = [f"{e.seq:5d}", e.time, f"{e.action:<10}"]
        if e.key_id:
            parts.append(f"key={e.key_id}")
        if e.faces is not None:
            parts.append("faces=" + ",".join(map(str, e.faces)))
        if e.file_sha256:
            parts.append(f"file={e.file_sha256[:16]}")
        print("  ".join(parts))
    return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    report = _service().audit.verify()
    if not report.ok:
        raise AuditError(report.message)
    print(report.message)
    return 0
