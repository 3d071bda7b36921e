"""Errors the engine raises for problems a user can fix. Their message is shown as-is: no traceback."""

from __future__ import annotations


class UserError(Exception):
    """A problem with the user's input (a file, a model, a setting) that they can fix.

    The message must say what is wrong and what to do, e.g.
    ``train.jsonl:3: no "completion" key — add one or delete the row``.
    """


class DataError(UserError):
    """A dataset file is malformed. ``path`` and ``line`` (1-based, when known) point at the problem."""

    def __init__(self, message: str, path: str | None = None, line: int | None = None) -> None:
        self.path = path
        self.line = line
        self.detail = message
        where = path or ""
        if path and line is not None:
            where = f"{path}:{line}"
        super().__init__(f"{where}: {message}" if where else message)


class ModelError(UserError):
    """A model folder or file is unusable (missing files, unknown architecture, unsupported quantization…)."""


class Cancelled(Exception):
    """A long job was cancelled by the user. Not an error."""
