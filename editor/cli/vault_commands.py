"""`veil keys`, `veil seal`, `veil recover` and `veil audit`: the recovery vault from the command line."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from editor.core import image_io
from editor.core.progress import JobContext
from editor.vault.errors import AuditError, ConfirmationRequired, PassphraseError, VaultError

from .paths import refuse_output_among_inputs

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
    p.add_argument("--key", required=True, help="label or id of the recovery key (see `veil keys list`)")
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
    p.set_defaults(handler=cmd_recover)

    p = sub.add_parser("audit", help="show or verify the audit log",
                       description="The audit log records key, seal and recover operations, hash-chained.")
    audit_sub = p.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    q = audit_sub.add_parser("show", help="print the log")
    q.add_argument("--last", type=int, default=None, metavar="N", help="only the last N entries")
    q.set_defaults(handler=cmd_audit_show)
    q = audit_sub.add_parser("verify", help="check that no entry was edited or removed")
    q.set_defaults(handler=cmd_audit_verify)


def _register_keys(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("keys", help="manage recovery keys in your OS keyring",
                       description="Recovery keys live in the OS keyring; only ids and labels are kept on disk.")
    keys = p.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    q = keys.add_parser("create", help="create a new recovery key")
    q.add_argument("label", help='a name for the key, e.g. "HR team"')
    q.set_defaults(handler=cmd_keys_create)
    q = keys.add_parser("list", help="list recovery keys")
    q.set_defaults(handler=cmd_keys_list)
    q = keys.add_parser("export", help="write a key to a passphrase-protected file for another keyholder")
    q.add_argument("key", help="label or id")
    q.add_argument("-o", "--output", required=True, help="key file to write")
    q.add_argument("--passphrase-file", help="read the passphrase from this file ('-' = stdin) instead of asking")
    q.set_defaults(handler=cmd_keys_export)
    q = keys.add_parser("import", help="add a key from a key file to your keyring")
    q.add_argument("file", help="key file")
    q.add_argument("--label", help="store it under another label")
    q.add_argument("--passphrase-file", help="read the passphrase from this file ('-' = stdin) instead of asking")
    q.set_defaults(handler=cmd_keys_import)
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
    info = _service().create_key(args.label)
    print(f"Created recovery key {info.describe()}.")
    print("Export it (`veil keys export`) for every other keyholder: photos sealed with it can only be "
          "recovered where it is.")
    return 0


def cmd_keys_list(args: argparse.Namespace) -> int:
    keys = _service().list_keys()
    if not keys:
        print("No recovery keys yet; create one with `veil keys create LABEL`.")
        return 0
    for k in keys:
        print(f"{k.key_id}  {k.created}  {k.label}")
    return 0


def cmd_keys_export(args: argparse.Namespace) -> int:
    passphrase = _read_passphrase(args, confirm=True)
    info = _service().export_key(args.key, passphrase, args.output)
    print(f"Exported {info.describe()} to {args.output}; give the passphrase to the keyholder by another channel.")
    return 0


def cmd_keys_import(args: argparse.Namespace) -> int:
    passphrase = _read_passphrase(args, confirm=False)
    info = _service().import_key(args.file, passphrase, label=args.label)
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
def _progress(fraction: float, text: str) -> None:
    if sys.stderr.isatty():
        sys.stderr.write(f"\r{int(fraction * 100):3d}% {text:<40.40}" + ("\n" if fraction >= 1.0 else ""))
        sys.stderr.flush()


def cmd_seal(args: argparse.Namespace) -> int:
    from editor.services.vault_service import load_mask, regions_from_mask
    from editor.vault.embed import sidecar_path

    src, out = Path(args.image), Path(args.output)
    inputs = {"photo": args.image, "mask": args.mask}
    refuse_output_among_inputs(out, inputs)
    if args.sidecar:
        refuse_output_among_inputs(sidecar_path(out), inputs, what="sidecar")
    loaded = image_io.load_image(src)
    regions = regions_from_mask(load_mask(args.mask, loaded.width, loaded.height), kind=args.kind)
    result = _service().seal_image(
        loaded.pixels, loaded.alpha, loaded.metadata, regions, key=args.key, out_path=out, fill=args.fill,
        sidecar=args.sidecar, profile=args.profile, quality=args.quality, ctx=JobContext(on_progress=_progress),
    )
    where = f"{result.path}" + (f" and {result.sidecar}" if result.sidecar else "")
    print(f"Sealed {len(result.regions)} region(s) for key {result.key.describe()} into {where}.")
    return 0


def cmd_recover(args: argparse.Namespace) -> int:
    service = _service()
    if args.list:
        info = service.inspect(args.image, args.payload)
        state = "in your keyring" if info.key_available else "NOT in your keyring"
        print(f'{Path(args.image).name}: {len(info.regions)} sealed region(s), sealed {info.created} for key '
              f'"{info.key_label}" (id {info.key_id}), {state}.')
        for r in info.regions:
            print(f"  {r.index}. {r.kind} x={r.rect.x0} y={r.rect.y0} w={r.rect.width} h={r.rect.height}")
        return 0
    if not args.output:
        raise VaultError("Name the file to write the recovered photo to with -o OUT.")
    result = service.recover(args.image, args.output, faces=args.face, payload_path=args.payload,
                             ctx=JobContext(on_progress=_progress))
    print(f"Restored region(s) {', '.join(map(str, result.restored))} into {result.path}.")
    return 0


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
