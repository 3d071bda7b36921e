"""Grid actions of the Data page: row operations, TSV copy/paste, find/filter and keyboard handling.

A mixin for :class:`~mlxstudio.gui.pages.data_page.DataPage`: it uses the page's ``model`` (a
:class:`~mlxstudio.gui.data.table_model.DatasetTableModel`), ``table``, ``undo``, ``message`` and ``_ensure_active``.
Every change goes through an undo command.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QItemSelection, QItemSelectionModel, QObject, Qt
from PySide6.QtGui import QGuiApplication, QKeyEvent, QUndoStack
from PySide6.QtWidgets import QAbstractItemView, QInputDialog, QTableView, QWidget

from mlxstudio.core.data import Dataset, new_row
from mlxstudio.gui.data.clipboard import from_tsv, strip_header, to_tsv
from mlxstudio.gui.data.commands import InsertRowsCommand, MoveRowsCommand, RemoveRowsCommand, ReplaceRowCommand
from mlxstudio.gui.data.table_model import DatasetTableModel


class GridActions(QWidget):
    """Row operations on the page's grid (mixed into the page; see the module docstring)."""

    model: DatasetTableModel
    table: QTableView
    undo: QUndoStack
    message: Any
    _filter_shown: int | None = None

    def _ensure_active(self) -> None:  # provided by the page
        raise NotImplementedError

    def _update_status(self) -> None:  # provided by the page
        raise NotImplementedError

    # -- row operations --------------------------------------------------------------------------------------------
    def selected_rows(self) -> list[int]:
        rows = {i.row() for i in self.table.selectionModel().selectedIndexes()}
        cur = self.table.currentIndex()
        if not rows and cur.isValid():
            rows = {cur.row()}
        return sorted(rows)

    def _select_rows(self, first: int, count: int = 1, column: int = 0) -> None:
        if count <= 0 or first >= self.model.rowCount():
            return
        sel = self.table.selectionModel()
        sel.clearSelection()
        top = self.model.index(first, 0)
        bottom = self.model.index(first + count - 1, self.model.columnCount() - 1)
        sel.select(QItemSelection(top, bottom), QItemSelectionModel.SelectionFlag.Select)
        sel.setCurrentIndex(self.model.index(first, column), QItemSelectionModel.SelectionFlag.NoUpdate)
        self.table.scrollTo(self.model.index(first, column))

    def add_row(self) -> None:
        """Add an empty row at the end and start editing it."""
        self._ensure_active()
        at = len(self.model.ds)
        self.undo.push(InsertRowsCommand(self.model, at, [new_row(self.model.ds.format)], self.tr("Add row")))
        self._select_rows(at)
        self.table.edit(self.model.index(at, 0))

    def insert_row(self) -> None:
        self._ensure_active()
        rows = self.selected_rows()
        at = rows[0] if rows else len(self.model.ds)
        self.undo.push(InsertRowsCommand(self.model, at, [new_row(self.model.ds.format)], self.tr("Insert row")))
        self._select_rows(at)

    def duplicate_rows(self) -> None:
        rows = self.selected_rows()
        if not rows:
            return
        copies = [self.model.ds.get_row(i) for i in rows]
        at = rows[-1] + 1
        self.undo.push(InsertRowsCommand(self.model, at, copies, self.tr("Duplicate {n} row{value}").format(
            n=len(rows), value='s' * (len(rows) > 1))))
        self._select_rows(at, len(copies))

    def delete_rows(self) -> None:
        rows = self.selected_rows()
        if not rows:
            return
        self.undo.push(RemoveRowsCommand(self.model, rows))
        n = len(self.model.ds)
        if n:
            self._select_rows(min(rows[0], n - 1))

    def move_rows(self, delta: int) -> None:
        """Move the selected block of rows up (-1) or down (+1)."""
        rows = self.selected_rows()
        if not rows or rows != list(range(rows[0], rows[-1] + 1)):
            return
        dest = rows[0] + delta
        if dest < 0 or dest + len(rows) > len(self.model.ds):
            return
        col = max(0, self.table.currentIndex().column())
        self.undo.push(MoveRowsCommand(self.model, rows[0], len(rows), dest))
        self._select_rows(dest, len(rows), col)

    def go_to_row(self, row: int, key: Any = None) -> None:
        col = 0
        if isinstance(key, str) and key in self.model.ds.columns:
            col = self.model.ds.columns.index(key)
        self.table.setRowHidden(row, False)
        self._select_rows(row, 1, col)
        self.table.setFocus()

    def edit_row_json(self) -> None:
        rows = self.selected_rows()
        if not rows:
            return
        row = rows[0]
        text = json.dumps(self.model.ds.rows[row], ensure_ascii=False, indent=2)
        new, ok = QInputDialog.getMultiLineText(self, self.tr("Row {value}").format(
            value=row + 1), self.tr("The row as JSON:"), text)
        if ok and new != text:
            self.replace_row_json(row, new)

    def replace_row_json(self, row: int, text: str) -> bool:
        try:
            value = json.loads(text)
        except (ValueError, RecursionError) as exc:
            self.message.show_message(self.tr("Row {value} was not changed: the JSON is invalid ({exc}).").format(
                value=row + 1, exc=exc), "error")
            return False
        if not isinstance(value, dict):
            self.message.show_message(self.tr("Row {value} was not changed: a row must be a JSON object.").format(
                value=row + 1), "error")
            return False
        self.undo.push(ReplaceRowCommand(self.model, row, value))
        return True

    # -- clipboard ---------------------------------------------------------------------------------------------------
    def copy(self) -> str:
        """Copy the selected cells (or whole rows) as TSV for spreadsheets."""
        indexes = [i for i in self.table.selectionModel().selectedIndexes()
                   if i.column() < self.model.tokens_column]
        if not indexes:
            return ""
        rows = sorted({i.row() for i in indexes})
        cols = sorted({i.column() for i in indexes})
        names = self.model.ds.columns
        records = [[self.model.ds.cell(r, names[c]) for c in cols] for r in rows]
        text = to_tsv(records)
        QGuiApplication.clipboard().setText(text)
        return text

    def cut(self) -> None:
        if self.copy():
            self.delete_rows()

    def paste(self, text: str | None = None) -> int:
        """Paste TSV: one value into the current cell, or rows inserted below the current row. Returns rows added."""
        self._ensure_active()
        text = QGuiApplication.clipboard().text() if text is None else text
        records = strip_header(from_tsv(text), self.model.ds.columns)
        if not records:
            return 0
        cur = self.table.currentIndex()
        if len(records) == 1 and len(records[0]) == 1 and cur.isValid() and cur.column() < self.model.tokens_column:
            self.model.setData(cur, records[0][0])
            return 0
        names = self.model.ds.columns
        start_col = cur.column() if cur.isValid() and cur.column() < len(names) else 0
        new: list[dict[str, Any]] = []
        for rec in records:
            tmp = Dataset(self.model.ds.format, [new_row(self.model.ds.format)])
            for offset, value in enumerate(rec):
                c = start_col + offset
                if c < len(names):
                    tmp.set_cell(0, names[c], value)
            new.append(tmp.rows[0])
        at = cur.row() + 1 if cur.isValid() else len(self.model.ds)
        self.undo.push(InsertRowsCommand(self.model, at, new, self.tr("Paste {n} row{value}").format(
            n=len(new), value='s' * (len(new) > 1))))
        self._select_rows(at, len(new))
        return len(new)

    # -- find / filter -----------------------------------------------------------------------------------------------
    def apply_filter(self, text: str) -> None:
        """Show only rows containing ``text`` (any column, case-insensitive)."""
        needle = text.strip().lower()
        ds = self.model.ds
        shown = 0
        for r in range(len(ds)):
            hit = not needle or any(needle in ds.cell(r, c).lower() for c in ds.columns)
            self.table.setRowHidden(r, not hit)
            shown += hit
        self._filter_shown = shown if needle else None
        self._update_status()

    # -- keyboard ----------------------------------------------------------------------------------------------------
    def eventFilter(self, obj: QObject, event: Any) -> bool:
        if obj is self.table and isinstance(event, QKeyEvent) and event.type() == QKeyEvent.Type.KeyPress \
                and self.table.state() != QAbstractItemView.State.EditingState \
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            cur = self.table.currentIndex()
            if not cur.isValid() or cur.row() == len(self.model.ds) - 1:
                self.add_row()  # Enter at the end adds a row
            else:
                self.table.edit(cur)
            return True
        return super().eventFilter(obj, event)
