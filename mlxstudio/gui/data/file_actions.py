"""File actions of the Data page: open a dataset file or split folder, start a new dataset or the seed pairs, save,
save as, and ask about unsaved edits.

A mixin for :class:`~mlxstudio.gui.pages.data_page.DataPage`: it uses the page's ``model``, ``undo``, ``table``,
``message`` and ``state``, and its ``_refresh_all``, ``_update_title`` and ``_update_status``.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QFileDialog, QMessageBox, QTableView, QWidget

from mlxstudio.core import paths
from mlxstudio.core.data import clear_recovery
from mlxstudio.core.data.dataset import SPLITS, DataError, Dataset, load_dataset, new_row, save_dataset
from mlxstudio.core.errors import UserError
from mlxstudio.gui import settings
from mlxstudio.gui.data.commands import ReplaceAllCommand
from mlxstudio.gui.data.table_model import DatasetTableModel
from mlxstudio.gui.model.banners import MessageBar
from mlxstudio.gui.state import AppState

DATASET_FILTER = "JSON Lines (*.jsonl);;CSV (*.csv)"
OPEN_FILTER = "Datasets (*.jsonl *.csv *.tsv *.json);;All files (*)"


def seed_pairs() -> Dataset:
    """The five seed pairs shipped with the app (no file path: saving asks where)."""
    text = resources.files("mlxstudio.resources").joinpath("sample/seed_train.jsonl").read_text(encoding="utf-8")
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    return Dataset("completion", rows)


class FileActions(QWidget):
    """Opening, starting and saving the page's dataset (mixed into the page; see the module docstring)."""

    state: AppState
    model: DatasetTableModel
    undo: QUndoStack
    table: QTableView
    message: MessageBar
    active: bool
    source: Path | None
    split_folder: Path | None
    _split_index: int
    _autosaved_index: int

    if TYPE_CHECKING:  # provided by the page and its other mixins
        def _refresh_all(self) -> None: ...
        def _update_title(self, *_: Any) -> None: ...
        def _update_status(self) -> None: ...

    # -- opening / new / sample ----------------------------------------------------------------------------------
    def open_path(self, path: Path) -> bool:
        """Open a dataset file, or a dataset folder (train/valid/test.jsonl). Returns False when it could not."""
        path = Path(path)
        if not self.maybe_save("opening another dataset"):
            return False
        try:
            ds = self._load_folder(path) if path.is_dir() else load_dataset(path)
        except UserError as exc:
            self.message.show_message(f"{exc}\nNothing was changed.", "error")
            return False
        self._set_dataset(ds, path)
        if path.is_dir():
            self.split_folder = path
            self._split_index = self.undo.index()
            self.state.set_dataset(path)
        self.message.hide()
        return True

    @staticmethod
    def _load_folder(folder: Path) -> Dataset:
        named = {n: load_dataset(folder / f"{n}.jsonl") for n in SPLITS if (folder / f"{n}.jsonl").exists()}
        if "train" in named and "valid" in named and named["valid"].rows == named["train"].rows:
            del named["valid"]  # saved with "train on every row": valid is a copy of train, not more rows
        parts = list(named.values())
        if not parts:
            raise DataError("has no train.jsonl, valid.jsonl or test.jsonl — open a dataset file instead", str(folder))
        fmts = {p.format for p in parts}
        if len(fmts) > 1:
            raise DataError(f"the splits use different formats ({', '.join(sorted(fmts))})", str(folder))
        return Dataset(parts[0].format, [r for p in parts for r in p.rows])

    def _set_dataset(self, ds: Dataset, source: Path | None) -> None:
        self.source = source
        self.split_folder = None
        self.undo.clear()
        self.active = True
        self.model.set_dataset(ds)
        self.undo.setClean()
        self._autosaved_index = self.undo.index()
        clear_recovery()
        if source is not None and source.is_file():
            settings.add_recent_file(source)
        self._refresh_all()

    def open_dialog(self) -> None:
        start = str(self.source.parent) if self.source else str(Path.home())
        name, _ = QFileDialog.getOpenFileName(self, "Open Dataset", start, OPEN_FILTER)
        if name:
            self.open_path(Path(name))

    def new_dataset(self, fmt: str = "completion") -> None:
        """Start from a template row of ``fmt`` (undoable when a dataset is open)."""
        self._replace(Dataset(fmt, [new_row(fmt)]), f"New {fmt} dataset")
        self.table.setCurrentIndex(self.model.index(0, 0))

    def load_seed_pairs(self) -> None:
        """Load the five seed pairs (undoable)."""
        self._replace(seed_pairs(), "Load the seed pairs")

    def _replace(self, ds: Dataset, text: str) -> None:
        if not self.active:
            self._set_dataset(ds, None)
            self.undo.resetClean()  # new content that is not in any file yet
            return
        self.undo.push(ReplaceAllCommand(self.model, ds, text))
        self.source = ds.path

    # -- saving ------------------------------------------------------------------------------------------------------
    def save(self) -> bool:
        """Save to the file the dataset came from (or ask where, for a new dataset or a split folder)."""
        if self.source is None or self.source.is_dir():
            return self.save_as_dialog()
        return self.save_as(self.source)

    def save_as_dialog(self) -> bool:
        start = str(self.source if self.source and self.source.is_file() else paths.datasets_dir() / "dataset.jsonl")
        name, chosen = QFileDialog.getSaveFileName(self, "Save Dataset", start, DATASET_FILTER)
        if not name:
            return False
        path = Path(name)
        if not path.suffix:
            path = path.with_suffix(".csv" if "csv" in chosen.lower() else ".jsonl")
        return self.save_as(path)

    def save_as(self, path: Path) -> bool:
        """Write the dataset to ``path`` (.jsonl or .csv) atomically; on failure the edits stay and nothing is lost."""
        try:
            save_dataset(self.model.ds, path)
        except UserError as exc:
            self.message.show_message(f"{exc}", "error")
            return False
        self.source = Path(path)
        self.undo.setClean()
        clear_recovery()
        settings.add_recent_file(self.source)
        self.model.headerDataChanged.emit(Qt.Orientation.Vertical, 0, max(0, len(self.model.ds) - 1))
        self.message.show_message(f"Saved {len(self.model.ds)} rows to {path}.", "info")
        self._update_title()
        self._update_status()
        return True

    def maybe_save(self, why: str) -> bool:
        """True when it is fine to drop the current edits (saved, discarded, or none)."""
        if not self.active or self.undo.isClean():
            return True
        name = self.source.name if self.source else "the dataset"
        answer = QMessageBox.question(
            self, "Unsaved changes", f"Save the changes to {name} before {why}?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save)
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        if answer == QMessageBox.StandardButton.Discard:
            clear_recovery()
            self.undo.setClean()
            return True
        return False
