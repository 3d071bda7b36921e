"""File actions of the Data page: open a dataset file or split folder, start a new dataset or the seed pairs, save,
save as, and ask about unsaved edits.

A file in another shape (Alpaca, ShareGPT…) opens converted, and the conversion line above the grid says so; Save
never overwrites such an original: it asks where, suggesting a new .jsonl next to it. A file whose fields have names
the reader does not know opens through "Which field is what?" (:mod:`.field_map_dialog`).

A mixin for :class:`~mlxstudio.gui.pages.data_page.DataPage`: it uses the page's ``model``, ``undo``, ``table``,
``message``, ``conversion_bar`` and ``state``, and its ``_refresh_all``, ``_update_title`` and ``_update_status``.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox, QTableView, QWidget

from mlxstudio.core import paths
from mlxstudio.core.data import (
    DATA_SUFFIXES,
    Dataset,
    FieldMap,
    clear_recovery,
    converted_path,
    find_split_files,
    load_dataset,
    needs_field_map,
    new_row,
    peek_fields,
    save_dataset,
)
from mlxstudio.core.errors import DataError, UserError
from mlxstudio.gui import settings
from mlxstudio.gui.data.commands import ReplaceAllCommand
from mlxstudio.gui.data.field_map_dialog import FieldMapDialog, remember_map, remembered_map
from mlxstudio.gui.data.table_model import DatasetTableModel
from mlxstudio.gui.i18n import QT_TRANSLATE_NOOP, translate, translate_filter
from mlxstudio.gui.model.banners import MessageBar
from mlxstudio.gui.state import AppState

DATASET_FILTER = "JSON Lines (*.jsonl);;CSV (*.csv)"
OPEN_FILTER = f"Datasets ({' '.join('*' + s for s in DATA_SUFFIXES)});;All files (*)"
ASK_FIELDS = QT_TRANSLATE_NOOP("file_actions", "Which Field Is What…")


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
    conversion_bar: MessageBar
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
    def open_path(self, path: Path, mapping: FieldMap | None = None, ask: bool = True) -> bool:
        """Open a dataset file, or a dataset folder (train/valid/test.jsonl); ``mapping`` says which field is what.
        A file of unknown fields opens through "Which field is what?" (``ask=False``, e.g. the last file at start:
        with the choice remembered for its fields, else not at all). Returns False when it could not."""
        path = Path(path)
        if not self.maybe_save(translate("FileActions", "opening another dataset")):
            return False
        try:
            ds = self._load_folder(path) if path.is_dir() else load_dataset(path, mapping)
        except UserError as exc:
            if mapping is None and not path.is_dir() and needs_field_map(exc):
                return self._open_unknown_fields(path, exc, ask)
            self.message.show_message(translate("FileActions", "{exc}\nNothing was changed.").format(exc=exc), "error")
            return False
        self._set_dataset(ds, path)
        if path.is_dir():
            self.split_folder = path
            self._split_index = self.undo.index()
            self.state.set_dataset(path)
        self.message.hide()
        return True

    def _open_unknown_fields(self, path: Path, exc: UserError, ask: bool) -> bool:
        """Ask which field is what (pre-filled with the choice remembered for these fields) and open with it."""
        try:
            fields, rows = peek_fields(path)
        except UserError:
            fields, rows = [], []
        if not fields:
            self.message.show_message(translate("FileActions", "{exc}\nNothing was changed.").format(exc=exc), "error")
            return False
        remembered = remembered_map(fields)
        mapping: FieldMap | None = remembered if not ask else None
        if ask:
            dialog = FieldMapDialog(path, fields, rows, remembered, self)
            try:
                if dialog.exec() == QDialog.DialogCode.Accepted:
                    mapping = dialog.field_map()
            finally:
                dialog.deleteLater()
        if not mapping:
            found = ", ".join(fields[:8]) + (translate("FileActions", " and {value} more").format(
                value=len(fields) - 8) if len(fields) > 8 else "")
            self.message.show_message(
                translate("FileActions", "{name} was not opened: MLX Studio doesn't know its fields ({found}). "
                    "Say which field is what, or rename them to “prompt” + “completion”, "
                    "“messages” or “text”. Nothing was changed.").format(name=path.name, found=found), "warning",
                translate("file_actions", ASK_FIELDS), lambda: self.open_path(path))
            return False
        remember_map(fields, mapping)
        return self.open_path(path, mapping)

    def _show_conversion(self) -> None:
        """The conversion line above the grid, while the rows on screen were converted from another shape."""
        conv = self.model.ds.conversion if self.active else None
        if conv is None:
            self.conversion_bar.hide()
            return
        how = "with" if conv.shape == "mapped" else "as"
        text = translate("FileActions", "Opened {how} {summary}. The original file stays as it is; Save writes "
                   "a new .jsonl file.").format(how=how, summary=conv.summary())
        original = self.model.ds.path
        if conv.shape == "mapped" and original is not None:
            self.conversion_bar.show_message(text, "info", translate("FileActions", "Change Fields…"),
                                             lambda: self.open_path(original))
        else:
            self.conversion_bar.show_message(text, "info")

    @staticmethod
    def _load_folder(folder: Path) -> Dataset:
        named = {n: load_dataset(f) for n, f in find_split_files(folder).items()}
        if "train" in named and "valid" in named and named["valid"].rows == named["train"].rows:
            del named["valid"]  # saved with "train on every row": valid is a copy of train, not more rows
        parts = list(named.values())
        if not parts:
            raise DataError("has no train, valid or test file (.jsonl, .json, .csv, .parquet) — open a dataset file "
                            "instead", str(folder))
        fmts = {p.format for p in parts}
        if len(fmts) > 1:  # true of mlx-lm folders (the tutorial's): they train as they are, one grid cannot hold them
            raise DataError(f"the splits use different formats ({', '.join(sorted(fmts))}): the folder trains as it "
                            f"is (choose it on the Train page), but one table cannot show them — open one split file "
                            f"to edit it", str(folder))
        return Dataset(parts[0].format, [r for p in parts for r in p.rows])

    def download_dataset_dialog(self) -> None:
        """File → Download Dataset…: a dataset from ModelScope or Hugging Face; the rows of the chosen split open
        like a converted file (they are in no file of their own yet: Save asks where)."""
        from mlxstudio.gui.data.dataset_download_dialog import DatasetDownloadDialog

        if not self.maybe_save(translate("FileActions", "opening another dataset")):
            return
        dialog = DatasetDownloadDialog(self)
        try:
            if not dialog.exec() or dialog.result_dataset is None:
                return
            ds, summary = dialog.result_dataset, dialog.opened_summary()
        finally:
            dialog.deleteLater()
        show_page = getattr(self.window(), "show_page", None)
        if callable(show_page):
            show_page("data", force=True)
        self._set_dataset(ds, None)
        self.undo.resetClean()  # rows in no file yet: closing asks to save them
        self.message.show_message(translate("FileActions",
                                            "Opened {summary}. Save As… keeps it as a .jsonl file.").format(
            summary=summary), "info")

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
        name, _ = QFileDialog.getOpenFileName(self, translate("FileActions", "Open Dataset"), start,
                                              translate_filter(OPEN_FILTER))
        if name:
            self.open_path(Path(name))

    def new_dataset(self, fmt: str = "completion") -> None:
        """Start from a template row of ``fmt`` (undoable when a dataset is open)."""
        self._replace(Dataset(fmt, [new_row(fmt)]), translate("FileActions", "New {fmt} dataset").format(fmt=fmt))
        self.table.setCurrentIndex(self.model.index(0, 0))

    def load_seed_pairs(self) -> None:
        """Load the five seed pairs (undoable)."""
        self._replace(seed_pairs(), translate("FileActions", "Load the seed pairs"))

    def _replace(self, ds: Dataset, text: str) -> None:
        if not self.active:
            self._set_dataset(ds, None)
            self.undo.resetClean()  # new content that is not in any file yet
            return
        self.undo.push(ReplaceAllCommand(self.model, ds, text))
        self.source = ds.path

    # -- saving ------------------------------------------------------------------------------------------------------
    def save(self) -> bool:
        """Save to the file the dataset came from (or ask where: for a new dataset, a split folder, or rows converted
        from another shape, whose original file is never overwritten)."""
        if self.source is None or self.source.is_dir() or self.model.ds.conversion is not None:
            return self.save_as_dialog()
        return self.save_as(self.source)

    def _suggested_path(self) -> Path:
        """Where Save As starts: next to the original as a new .jsonl for converted rows, else the file itself."""
        original = self.model.ds.path or self.source
        if self.model.ds.conversion is not None and original is not None and not original.is_dir():
            return converted_path(original)
        return self.source if self.source and self.source.is_file() else paths.datasets_dir() / "dataset.jsonl"

    def save_as_dialog(self) -> bool:
        start = str(self._suggested_path())
        name, chosen = QFileDialog.getSaveFileName(self, translate("FileActions", "Save Dataset"), start,
                                                   DATASET_FILTER)
        if not name:
            return False
        path = Path(name)
        if not path.suffix:
            path = path.with_suffix(".csv" if "csv" in chosen.lower() else ".jsonl")
        return self.save_as(path)

    def save_as(self, path: Path) -> bool:
        """Write the dataset to ``path`` (.jsonl or .csv) atomically; on failure the edits stay and nothing is lost."""
        original = self.model.ds.path if self.model.ds.conversion is not None else None
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
        kept = translate("FileActions", " {name} is unchanged.").format(
            name=original.name) if original is not None and original != Path(path) else ""
        self.message.show_message(translate("FileActions", "Saved {n} rows to {path}.{kept}").format(
            n=len(self.model.ds), path=path, kept=kept), "info")
        self._show_conversion()
        self._update_title()
        self._update_status()
        return True

    def maybe_save(self, why: str) -> bool:
        """True when it is fine to drop the current edits (saved, discarded, or none)."""
        if not self.active or self.undo.isClean():
            return True
        name = self.source.name if self.source else translate("FileActions", "the dataset")
        answer = QMessageBox.question(
            self, translate("FileActions", "Unsaved changes"),
            translate("FileActions", "Save the changes to {name} before {why}?").format(name=name, why=why),
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save)
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        if answer == QMessageBox.StandardButton.Discard:
            clear_recovery()
            self.undo.setClean()
            return True
        return False
