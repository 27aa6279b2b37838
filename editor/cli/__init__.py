"""`veil` command line: `veil [IMG]` opens the editor; subcommands run the same services headless.

Every expected failure is a VeilError: its one-sentence message goes to stderr and its exit code is returned.
Nothing else reaches stderr unless `--verbose` asks for it: Python warnings become log messages at INFO, and a
reader that stops reading stdout early (`veil detect IMG --json | head`) ends the run quietly.
"""

from __future__ import annotations

import argparse
import difflib
import logging
import mimetypes
import os
import sys
import warnings
from pathlib import Path
from typing import Callable, Dict, List, Optional

from editor import __version__
from editor.core.errors import VeilError

Handler = Callable[[argparse.Namespace], int]

USAGE_ERROR = 2                 # argparse's own exit status for a command line it cannot parse
# What a shell reports for a tool killed by SIGPIPE (128 + 13): `set -o pipefail` scripts see the same status as
# for `yes | head`. Python ignores SIGPIPE, so the signal itself never ends the process.
BROKEN_PIPE = 141


class _Parser(argparse.ArgumentParser):
    """argparse's errors as one sentence (argparse prints the whole usage first); `--help` still shows it."""

    def error(self, message: str):
        self.exit(USAGE_ERROR, f"{self.prog}: {message} (see {self.prog} --help).\n")


def _build_parser() -> tuple[argparse.ArgumentParser, Dict[str, argparse.ArgumentParser]]:
    from . import anonymize_commands, edit_commands, unmask_commands, vault_commands

    parser = _Parser(
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
    p = _Parser(prog="veil", description="Open the Veil editor (optionally on a photo).")
    p.add_argument("image", nargs="?", help="photo to open")
    p.add_argument("-v", "--verbose", action="store_true", help="log progress details to stderr")
    return p


def main(argv: Optional[List[str]] = None) -> int:
    import multiprocessing

    multiprocessing.freeze_support()   # a frozen bundle re-enters here to start the model host child
    _route_warnings_to_logging()
    try:
        try:
            return _dispatch(list(sys.argv[1:] if argv is None else argv))
        finally:
            if sys.stdout is not None:  # None in a windowed (no console) bundle
                sys.stdout.flush()      # so a closed pipe is noticed here, not as a traceback at interpreter exit
    except BrokenPipeError:
        return _stop_writing_to_stdout()


def _dispatch(argv: List[str]) -> int:
    parser, commands = _build_parser()
    # The first word that is not an option names a command or a photo; the global options take no values.
    word = next((a for a in argv if not a.startswith("-")), None)
    unknown = word is not None and word not in commands
    if not argv or (unknown and _looks_like_photo(word)):
        return _open_editor(argv)                   # `veil`, `veil photo.jpg`
    if unknown:
        return _unknown_command(word, commands)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    if args.command is None:
        parser.print_help()
        return 0
    return _run_command(args)


def _open_editor(argv: List[str]) -> int:
    gui_args = _gui_parser().parse_args(argv)
    from editor.ui.app import run_app

    return run_app(gui_args.image)


def _run_command(args: argparse.Namespace) -> int:
    try:
        return int(args.handler(args) or 0)
    except VeilError as exc:
        print(f"veil {args.command}: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"veil {args.command}: cancelled.", file=sys.stderr)
        return 130


def _looks_like_photo(word: str) -> bool:
    """An existing file, a path, or a name with an image extension: the editor opens it (or says why it cannot)."""
    from editor.core.image_io import is_supported_path

    if "/" in word or os.sep in word or (os.altsep and os.altsep in word):
        return True
    if is_supported_path(word) or (mimetypes.guess_type(word)[0] or "").startswith("image/"):
        return True
    return Path(word).exists()


def _unknown_command(word: str, commands: Dict[str, argparse.ArgumentParser]) -> int:
    """A mistyped command is an error, never a reason to open a window (which hangs on a headless terminal)."""
    close = difflib.get_close_matches(word, list(commands), n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    print(f"veil: '{word}' is not a command or a photo{hint} (veil --help lists the commands)", file=sys.stderr)
    return USAGE_ERROR


def _route_warnings_to_logging() -> None:
    """Python warnings (Pillow's "Possibly corrupt EXIF data", DecompressionBombWarning...) are details for
    `--verbose`, not output. Replacing warnings.showwarning once covers every thread; warnings.catch_warnings
    around each call would not be thread-safe."""
    warnings.showwarning = _log_warning


def _log_warning(message, category, filename, lineno, file=None, line=None) -> None:  # noqa: ARG001
    logging.getLogger("py.warnings").info("%s: %s (%s:%s)", category.__name__, message, filename, lineno)


def _stop_writing_to_stdout() -> int:
    """The reader of stdout went away (`veil detect IMG --json | head -c 20`): end quietly, as a tool killed by
    SIGPIPE would. Output still buffered would raise again when the interpreter flushes stdout at exit, so stdout's
    descriptor is pointed at the null device first (the recipe in the Python docs' note on SIGPIPE)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # stdout is not a file descriptor (replaced in-process): nothing left to flush
        pass
    return BROKEN_PIPE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
