"""`veil` command line: `veil [IMG]` opens the editor; subcommands run the same services headless.

Every expected failure is a VeilError: its one-sentence message goes to stderr and its exit code is returned.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Callable, Dict, List, Optional

from editor import __version__
from editor.core.errors import VeilError

Handler = Callable[[argparse.Namespace], int]


def _build_parser() -> tuple[argparse.ArgumentParser, Dict[str, argparse.ArgumentParser]]:
    from . import anonymize_commands, edit_commands, unmask_commands, vault_commands

    parser = argparse.ArgumentParser(
        prog="veil",
        description="Veil: remove face masks, retouch and reversibly anonymize faces, locally. "
                    "Run `veil [IMG]` to open the editor, or a command below for batch work.",
    )
    parser.add_argument("--version", action="version", version=f"veil {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    edit_commands.register(sub)
    vault_commands.register(sub)
    anonymize_commands.register(sub)
    unmask_commands.register(sub)
    return parser, sub.choices


def _gui_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="veil", description="Open the Veil editor (optionally on a photo).")
    p.add_argument("image", nargs="?", help="photo to open")
    return p


def main(argv: Optional[List[str]] = None) -> int:
    import multiprocessing

    multiprocessing.freeze_support()   # a frozen bundle re-enters here to start the model host child
    argv = list(sys.argv[1:] if argv is None else argv)
    parser, commands = _build_parser()
    # `veil`, `veil photo.jpg`: the GUI. Anything that names a command or asks for help goes to argparse.
    if not argv or (argv[0] not in commands and not argv[0].startswith("-")):
        gui_args = _gui_parser().parse_args(argv)
        from editor.ui.app import run_app

        return run_app(gui_args.image)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return int(args.handler(args) or 0)
    except VeilError as exc:
        print(f"veil {args.command}: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"veil {args.command}: cancelled.", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
