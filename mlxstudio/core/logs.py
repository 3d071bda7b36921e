"""The app's log file. Tracebacks go here, never to the user."""

from __future__ import annotations

import contextlib
import datetime as _dt
import faulthandler
import logging
import os
import traceback
from pathlib import Path
from typing import TextIO

from mlxstudio.core import paths

_handler: logging.FileHandler | None = None
_crash_file: TextIO | None = None
CRASH_LOG_MAX_BYTES = 1_000_000
"""A bigger crash log is moved to ``crash.log.1`` at start (one old generation is kept)."""


def log_file() -> Path:
    return paths.logs_dir() / "mlxstudio.log"


def get_logger(name: str = "mlxstudio") -> logging.Logger:
    """A logger that writes to :func:`log_file`.

    The handler follows ``MLXSTUDIO_HOME``: when the home folder changes (tests, Preferences), the next call
    re-targets the log file instead of writing into the old folder.
    """
    global _handler
    logger = logging.getLogger("mlxstudio")
    target = log_file()
    if _handler is None or Path(_handler.baseFilename) != target.resolve():
        if _handler is not None:
            logger.removeHandler(_handler)
            _handler.close()
        _handler = logging.FileHandler(target, encoding="utf-8")
        _handler.setFormatter(logging.Formatter("%(asctime)s %(process)d %(name)s %(levelname)s %(message)s"))
        logger.addHandler(_handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return logging.getLogger(name)


def log_exception(exc: BaseException) -> Path:
    """Write ``exc``'s traceback to the log file and return its path."""
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    get_logger().error("%s\n%s", _dt.datetime.now().isoformat(timespec="seconds"), text)
    return log_file()


def crash_log_file() -> Path:
    """Where a native crash (segfault, abort) leaves the Python traceback of every thread."""
    return paths.logs_dir() / "crash.log"


def enable_crash_log() -> Path:
    """Send :mod:`faulthandler`'s output to :func:`crash_log_file` (kept open for the life of the process).

    A native crash (a segfault, Qt's fatal errors, an abort in a C++ library) kills the process without a Python
    exception, so nothing reaches the normal log; with this, the crash log gets the tracebacks of all threads. Each
    start appends one line (time, pid) so a traceback can be matched to its run. Returns the file's path.
    """
    global _crash_file
    target = crash_log_file()
    with contextlib.suppress(OSError):
        if target.stat().st_size > CRASH_LOG_MAX_BYTES:
            target.replace(target.with_name(target.name + ".1"))
    fh = open(target, "a", encoding="utf-8")  # noqa: SIM115 (faulthandler writes to it until the process ends)
    fh.write(f"--- {_dt.datetime.now().isoformat(timespec='seconds')} pid {os.getpid()}: started; a native "
             "crash writes its traceback below ---\n")
    fh.flush()
    faulthandler.enable(fh, all_threads=True)
    old, _crash_file = _crash_file, fh
    if old is not None:
        old.close()
    return target


def crash_note(text: str) -> None:
    """Append ``text`` to the crash log now (e.g. Qt's reason just before it aborts); nothing when it is not on."""
    fh = _crash_file
    if fh is not None:
        with contextlib.suppress(OSError, ValueError):
            fh.write(f"{_dt.datetime.now().isoformat(timespec='seconds')} {text}\n")
            fh.flush()
