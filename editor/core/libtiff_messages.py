"""libtiff's error and warning messages, caught instead of printed to the terminal.

Pillow decodes compressed TIFFs with libtiff, and libtiff reports a damaged strip ("Fax4Decode: Bad code word at
line 16 of strip 0") only by calling its error handler, which by default writes to the C stderr; the decoder then
hands back the pixels it guessed, so Pillow returns a picture and raises nothing. Pillow exposes no hook for these
messages, so this module installs libtiff's process-wide error and warning handlers (through ctypes) on the very
libtiff that Pillow's `_imaging` module links, and gives each error to the thread that is decoding: libtiff calls
its handler synchronously, on the decoding thread, so a thread-local list is enough to tell decodes apart.

Pillow clears libtiff's warning handler each time it decodes (it finds them noisy), so warnings that reach ours
come from elsewhere, e.g. encoding; they are logged at INFO. Where that libtiff cannot be found (a build with
libtiff linked statically and not exported, as on Windows), nothing is installed and libtiff behaves as before.
"""

from __future__ import annotations

import ctypes
import logging
import platform
import sys
import threading
from contextlib import contextmanager
from typing import Iterator, List, Optional

log = logging.getLogger(__name__)

# void (*TIFFErrorHandler)(const char *module, const char *fmt, va_list ap)
_HANDLER = ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_void_p)
# Where va_list reaches a function as a pointer (an array or a by-reference struct), the handler's `ap` can be
# handed on to vsnprintf as it is; elsewhere the message keeps its unformatted template.
_VA_LIST_IS_A_POINTER = sys.platform in ("linux", "darwin") and platform.machine().lower() in (
    "x86_64", "amd64", "aarch64", "arm64")
_MESSAGE_BYTES = 1024

_local = threading.local()
_install_lock = threading.Lock()
_installed: Optional[bool] = None
_keep_alive: list = []          # ctypes callbacks must outlive every call libtiff makes to them
_vsnprintf = None


@contextmanager
def captured_errors() -> Iterator[List[str]]:
    """Collect the libtiff errors raised on this thread inside the block, instead of letting them print.

    The yielded list fills as errors happen; it stays empty where the handlers could not be installed.
    """
    install()
    outer = getattr(_local, "errors", None)
    errors: List[str] = []
    _local.errors = errors
    try:
        yield errors
    finally:
        _local.errors = outer


def install() -> bool:
    """Route libtiff's messages here (once per process); False where Pillow's libtiff was not found."""
    global _installed
    with _install_lock:
        if _installed is None:
            _installed = _install_handlers()
        return _installed


def _install_handlers() -> bool:
    global _vsnprintf
    libtiff = _pillows_libtiff()
    if libtiff is None:
        return False
    _vsnprintf = _libc_vsnprintf()
    on_error, on_warning = _HANDLER(_on_error), _HANDLER(_on_warning)
    _keep_alive.extend((on_error, on_warning))
    for name, handler in (("TIFFSetErrorHandler", on_error), ("TIFFSetWarningHandler", on_warning)):
        setter = getattr(libtiff, name)
        setter.restype, setter.argtypes = ctypes.c_void_p, [_HANDLER]
        setter(handler)
    return True


def _pillows_libtiff() -> Optional[ctypes.CDLL]:
    """Pillow's `_imaging` module opened again: looking a name up in it also searches the libraries it links
    (dlsym on Linux and macOS), so this finds the libtiff Pillow really uses, bundled or the system's."""
    try:
        from PIL import _imaging

        lib = ctypes.CDLL(_imaging.__file__)
        lib.TIFFSetErrorHandler, lib.TIFFSetWarningHandler  # noqa: B018 - both must exist
        return lib
    except (ImportError, OSError, AttributeError):
        return None


def _libc_vsnprintf():
    if not _VA_LIST_IS_A_POINTER:
        return None
    try:
        fn = ctypes.CDLL(None).vsnprintf
    except (OSError, AttributeError):
        return None
    fn.restype = ctypes.c_int
    fn.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_void_p]
    return fn


def _message(module: Optional[bytes], fmt: Optional[bytes], ap: Optional[int]) -> str:
    text = fmt or b""
    if _vsnprintf is not None and fmt:
        buf = ctypes.create_string_buffer(_MESSAGE_BYTES)
        if _vsnprintf(buf, _MESSAGE_BYTES, fmt, ap) >= 0:
            text = buf.value
    decoded = text.decode("utf-8", "replace").strip()
    return f"{module.decode('utf-8', 'replace')}: {decoded}" if module else decoded


# An exception cannot travel back through libtiff's C frames (ctypes would print it to stderr instead), so the
# handlers below swallow their own failures: a lost message is better than a traceback on the terminal.
def _on_error(module: Optional[bytes], fmt: Optional[bytes], ap: Optional[int]) -> None:
    try:
        message = _message(module, fmt, ap)
        errors = getattr(_local, "errors", None)
        if errors is not None:
            errors.append(message)
        else:
            log.info("libtiff error: %s", message)
    except Exception:  # noqa: BLE001 - see above
        pass


def _on_warning(module: Optional[bytes], fmt: Optional[bytes], ap: Optional[int]) -> None:
    try:
        log.info("libtiff warning: %s", _message(module, fmt, ap))
    except Exception:  # noqa: BLE001 - see above
        pass
