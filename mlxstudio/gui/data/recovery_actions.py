"""Autosave and recovery of the Data page: unsaved edits go to the recovery file every few seconds, and a recovery
file found at start is offered back ("Restore").

A mixin for :class:`~mlxstudio.gui.pages.data_page.DataPage`: it uses the page's ``model``, ``undo``, ``message``
and ``summary``, and its ``_refresh_all``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QLabel, QWidget

from mlxstudio.core.data import Recovered, read_recovery, write_recovery
from mlxstudio.gui.data.table_model import DatasetTableModel
from mlxstudio.gui.i18n import translate
from mlxstudio.gui.model.banners import MessageBar


class RecoveryActions(QWidget):
    """Autosave and restore of unsaved edits (mixed into the page; see the module docstring)."""

    model: DatasetTableModel
    undo: QUndoStack
    message: MessageBar
    summary: QLabel
    active: bool
    source: Path | None
    recovered: Recovered | None
    _autosaved_index: int

    if TYPE_CHECKING:  # provided by the page
        def _refresh_all(self) -> None: ...

    # -- autosave / recovery -------------------------------------------------------------------------------------
    def autosave(self) -> None:
        """Write unsaved edits to the recovery file (only when something changed since the last autosave)."""
        if not self.active or self.undo.isClean() or self.undo.index() == self._autosaved_index:
            return
        try:
            ds = self.model.ds.copy()
            ds.path = self.source if self.source and self.source.is_file() else None
            write_recovery(ds)
            self._autosaved_index = self.undo.index()
        except OSError as exc:
            self.summary.setText(translate("RecoveryActions", "Autosave failed: {exc}").format(exc=exc))

    def _check_recovery(self) -> None:
        rec = read_recovery()
        if rec is None:
            return
        self.recovered = rec
        self.message.show_message(translate("RecoveryActions",
                                            "Unsaved edits were recovered: {describe}. Restore them?").format(
            describe=rec.describe()), "warning",
                                  translate("RecoveryActions", "Restore"), self.restore_recovered)

    def restore_recovered(self) -> None:
        """Put the autosaved rows back into the grid (unsaved, so the original file stays untouched)."""
        rec = self.recovered
        if rec is None:
            return
        self.recovered = None
        ds = rec.dataset
        self.source = None
        self.undo.clear()
        self.active = True
        self.model.set_dataset(ds)
        self.source = ds.path
        self.undo.resetClean()
        self._autosaved_index = -1
        self.message.show_message(translate("RecoveryActions",
                                            "Restored {n} rows. They are not saved yet — use File → Save.").format(
            n=len(ds)), "info")
        self._refresh_all()
