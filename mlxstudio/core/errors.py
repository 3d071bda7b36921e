"""Errors the engine raises for problems a user can fix. Their message is shown as-is: no traceback."""

from __future__ import annotations

import errno

from mlxstudio.core.i18n import N_, _


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


class UnknownFieldsError(DataError):
    """A dataset file whose rows (or CSV header) have no field of a known format: saying which field is what (a
    :class:`~mlxstudio.core.data.FieldMap`) would open it."""


class ModelError(UserError):
    """A model folder or file is unusable (missing files, unknown architecture, unsupported quantization…)."""


class Cancelled(Exception):
    """A long job was cancelled by the user. Not an error."""


class DiskError(UserError):
    """Writing a file failed for a reason the user can fix: the disk is full or read-only, no permission."""


_SPACE = N_("free some disk space or choose a folder on another disk, then try again")
_ACCESS = N_("choose another folder (or fix this one's permissions), then try again")
_DISK_REASONS = {
    errno.ENOSPC: (N_("the disk is full"), _SPACE),
    getattr(errno, "EDQUOT", -1): (N_("the disk quota is used up"), _SPACE),
    errno.EFBIG: (N_("the file is too large for this disk"), _SPACE),
    errno.EROFS: (N_("the disk is read-only"), _ACCESS),
    errno.EACCES: (N_("permission denied"), _ACCESS), errno.EPERM: (N_("permission denied"), _ACCESS),
    errno.ENOTDIR: (N_("a file is in the way of a folder"), _ACCESS),
}


def disk_error(exc: BaseException) -> DiskError | None:
    """A :class:`DiskError` saying what to do when ``exc`` is a file-system failure the user can fix; else None.

    Recognizes ``OSError`` (disk full, quota, read-only, permission, a file where a folder should be) and MLX's
    ``RuntimeError("[write] Unable to write N bytes to file.")`` from ``mx.save_safetensors`` on a full disk.
    Files written completely before the failure are intact (every write in the app is atomic).
    """
    if isinstance(exc, OSError) and exc.errno in _DISK_REASONS:
        reason, todo = _DISK_REASONS[exc.errno]
        where = f"{exc.filename}: " if exc.filename else ""
        return DiskError(_("{where}{reason} ({error}) — {todo}; files saved before are intact").format(
            where=where, reason=_(reason), error=exc.strerror or exc, todo=_(todo)))
    if isinstance(exc, RuntimeError) and str(exc).startswith("[write]"):
        return DiskError(_("could not write a file, the disk is probably full ({error}) — {todo}; files saved "
                           "before are intact").format(error=exc, todo=_(_SPACE)))
    return None
