"""The app's log file. Tracebacks go here, never to the user."""

from __future__ import annotations

import datetime as _dt
import logging
import traceback
from pathlib import Path

from mlxstudio.core import paths

_handler: logging.FileHandler | None = None


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
