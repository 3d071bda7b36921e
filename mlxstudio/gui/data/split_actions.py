"""Split actions of the Data page: save the train/valid/test split into a dataset folder and hand it to the Train
page, tell when the rows changed since, and the window's Next button (which saves the split first when needed).

A mixin for :class:`~mlxstudio.gui.pages.data_page.DataPage`: it uses the page's ``model``, ``undo``, ``message``,
``split_panel`` and ``state``, and its ``_update_status``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices, QUndoStack
from PySide6.QtWidgets import QWidget

from mlxstudio.core import paths
from mlxstudio.core.data import SPLITS, Dataset, clear_recovery, find_leakage, split_dataset, write_splits
from mlxstudio.core.errors import UserError
from mlxstudio.gui.data.split_panel import SplitPanel
from mlxstudio.gui.data.table_model import DatasetTableModel
from mlxstudio.gui.i18n import translate
from mlxstudio.gui.model.banners import MessageBar
from mlxstudio.gui.state import AppState


class SplitActions(QWidget):
    """Saving the split for training (mixed into the page; see the module docstring)."""

    state: AppState
    model: DatasetTableModel
    undo: QUndoStack
    message: MessageBar
    split_panel: SplitPanel
    active: bool
    source: Path | None
    split_folder: Path | None
    _split_index: int
    _errors_message: bool

    if TYPE_CHECKING:  # provided by the page's status mixin
        def _update_status(self) -> None: ...

    # -- saving the split ------------------------------------------------------------------------------------------
    def default_split_folder(self) -> Path:
        if self.source is not None and self.source.is_dir():
            return self.source
        stem = self.source.stem if self.source else time.strftime("dataset-%Y%m%d-%H%M%S")
        return paths.datasets_dir() / stem

    def save_split(self, folder: Path | None = None) -> Path | None:
        """Split with the panel's fractions and seed and write train/valid/test.jsonl; hand the folder to Train."""
        if self.model.error_count():
            n = self.model.error_count()
            self.message.show_message(translate("SplitActions",
                                                "Fix the {n} error{value} listed under Problems before saving a split "
                                          "for training.").format(n=n, value='s' * (n != 1)), "error")
            self._errors_message = True
            return None
        folder = Path(folder) if folder is not None else self.default_split_folder()
        valid, test = self.split_panel.fractions()
        train_all = self.split_panel.train_all.isChecked()
        try:
            splits = split_dataset(self.model.ds, valid, test, self.split_panel.seed.value())
            if train_all:  # validate on (a copy of) the training rows: every row is learned
                train = splits["train"]
                splits["valid"] = Dataset(train.format, list(train.rows), None, list(train.lines))
            write_splits(splits, folder)
        except (UserError, OSError) as exc:
            self.message.show_message(translate("SplitActions", "The split could not be saved: {exc}").format(exc=exc),
                                      "error")
            return None
        leaks = find_leakage({k: v for k, v in splits.items() if not (train_all and k == "valid")})
        self.split_panel.leakage.setText("\n".join("⚠ " + p.message for p in leaks[:5]))
        counts = " · ".join(f"{n} {len(splits[n])}" for n in SPLITS)
        if train_all:
            shown = f"valid {len(splits['valid'])}"  # the split names are those of the files (valid.jsonl)
            counts = counts.replace(shown, translate("SplitActions", "{valid} = train").format(valid=shown))
        self.split_panel.saved.setText(translate("SplitActions", "Saved to {folder}\n({counts})").format(folder=folder,
                counts=counts))
        self.split_folder = folder
        self._split_index = self.undo.index()
        if self.source is None or self.source == folder:  # the dataset lives in the split folder: it is saved
            self.source = folder
            self.undo.setClean()
            clear_recovery()
        self.state.set_dataset(folder)
        self.message.show_message(translate("SplitActions",
                                            "Saved the split to {folder} — the Train page will use it.").format(
            folder=folder), "info",
                                  translate("SplitActions", "Reveal"),
                                  lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))))
        self._update_status()
        return folder

    def split_stale(self) -> bool:
        """The rows were edited after the split was saved (the Train page would still read the old split)."""
        return self.split_folder is not None and self.undo.index() != getattr(self, "_split_index", -1)

    # -- the window's Next button ------------------------------------------------------------------------------
    def can_prepare_next(self) -> bool:
        """Whether Next can hand a dataset to Train now (saving the split first when needed)."""
        return self.active and len(self.model.ds) > 0 and self.model.error_count() == 0

    def prepare_next(self) -> bool:
        """Before leaving for a later step: save the split when there is none yet or the rows changed since, so the
        Train page trains on what is on screen. False (with a message) when the rows have errors."""
        if not self.active or len(self.model.ds) == 0:
            return True
        if self.split_folder is not None and not self.split_stale():
            return True
        self.model.validate_now()
        if self.model.error_count():
            n = self.model.error_count()
            self.message.show_message(translate("SplitActions",
                                                "Fix the {n} error{value} listed under Problems first: the Train page "
                                          "needs a dataset without errors.").format(n=n, value='s' * (n != 1)), "error")
            self._errors_message = True
            return False
        return self.save_split(self.split_folder) is not None
