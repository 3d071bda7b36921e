"""The app's log file. Tracebacks go here, never to the user."""

from __future__ import annotations

import datetime as _dt
import logging
import traceback
from pathlib import Path

from mlxstudio.core import paths

_configured = False


def log_file() -> Path:
    return paths.logs_dir() / "mlxstudio.log"


def get_logger(name: str = "mlxstudio") -> logging.Logger:
    """A logger that writes to :func:`log_file` (configured once per process)."""
    global _configured
    logger = logging.getLogger("mlxstudio")
    if not _configured:
        handler = logging.FileHandler(log_file(), encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(process)d %(name)s %(levelname)s %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
        _configured = True
    return logging.getLogger(name)


def log_exception(exc: BaseException) -> Path:
    """Write ``exc``'s traceback to the log file and return its path."""
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    get_logger().error("%s\n%s", _dt.datetime.now().isoformat(timespec="seconds"), text)
    return log_file()
