"""Undo commands for the dataset grid: each edit is a small object that knows its inverse (QUndoStack runs them).

The Edit menu shows ``Undo <text>`` from each command's text, e.g. "Undo Edit Completion (row 3)".
"""

from __future__ import annotations

import copy
from typing import Any

from PySide6.QtGui import QUndoCommand

from mlxstudio.core.data import Dataset
from mlxstudio.gui.data.table_model import DatasetTableModel, header_title
from mlxstudio.gui.i18n import translate


def _rows(n: int) -> str:
    return translate("commands", "1 row") if n == 1 else translate("commands", "{n} rows").format(n=n)


class SetCellCommand(QUndoCommand):
    """Set one cell (stores whole-row snapshots, so chat rows undo exactly)."""

    def __init__(self, model: DatasetTableModel, row: int, column: str, value: str) -> None:
        super().__init__(translate("commands", "Edit {column} (row {row})").format(
            column=header_title(column), row=row + 1))
        self.model, self.row = model, row
        self.before = model.ds.get_row(row)
        after = Dataset(model.ds.format, [model.ds.get_row(row)])
        after.set_cell(0, column, value)
        self.after = after.rows[0]

    def redo(self) -> None:
        self.model.apply_row(self.row, copy.deepcopy(self.after))

    def undo(self) -> None:
        self.model.apply_row(self.row, copy.deepcopy(self.before))


class ReplaceRowCommand(QUndoCommand):
    """Replace a whole row (the side editor for multi-turn chats)."""

    def __init__(self, model: DatasetTableModel, row: int, new: dict[str, Any], text: str = "") -> None:
        super().__init__(text or translate("commands", "Edit row {row}").format(row=row + 1))
        self.model, self.row = model, row
        self.before = model.ds.get_row(row)
        self.after = copy.deepcopy(new)

    def redo(self) -> None:
        self.model.apply_row(self.row, copy.deepcopy(self.after))

    def undo(self) -> None:
        self.model.apply_row(self.row, copy.deepcopy(self.before))


class InsertRowsCommand(QUndoCommand):
    """Insert rows at a position (add, insert, duplicate, paste)."""

    def __init__(self, model: DatasetTableModel, at: int, rows: list[dict[str, Any]], text: str = "") -> None:
        super().__init__(text or translate("commands", "Insert {rows}").format(rows=_rows(len(rows))))
        self.model, self.at = model, at
        self.rows = [copy.deepcopy(r) for r in rows]

    def redo(self) -> None:
        self.model.apply_insert(self.at, [copy.deepcopy(r) for r in self.rows])

    def undo(self) -> None:
        self.model.apply_remove(range(self.at, self.at + len(self.rows)))


class RemoveRowsCommand(QUndoCommand):
    """Delete the selected rows."""

    def __init__(self, model: DatasetTableModel, indices: list[int]) -> None:
        super().__init__(translate("commands", "Delete {rows}").format(rows=_rows(len(set(indices)))))
        self.model = model
        self.indices = sorted(set(indices))
        self.removed: list[tuple[int, dict[str, Any], int | None]] = []

    def redo(self) -> None:
        self.removed = self.model.apply_remove(self.indices)

    def undo(self) -> None:
        self.model.apply_restore(self.removed)


class MoveRowsCommand(QUndoCommand):
    """Move a block of rows up or down."""

    def __init__(self, model: DatasetTableModel, start: int, count: int, dest: int) -> None:
        text = translate("commands", "Move {rows} up") if dest < start else translate("commands", "Move {rows} down")
        super().__init__(text.format(rows=_rows(count)))
        self.model, self.start, self.count, self.dest = model, start, count, dest

    def redo(self) -> None:
        self.model.apply_move(self.start, self.count, self.dest)

    def undo(self) -> None:
        self.model.apply_move(self.dest, self.count, self.start)


class ReplaceAllCommand(QUndoCommand):
    """Replace the whole dataset (load the sample pairs, new from template, convert format)."""

    def __init__(self, model: DatasetTableModel, new: Dataset, text: str) -> None:
        super().__init__(text)
        self.model = model
        self.before = model.ds.copy()
        self.after = new.copy()

    def redo(self) -> None:
        self.model.apply_replace_all(self.after.copy())

    def undo(self) -> None:
        self.model.apply_replace_all(self.before.copy())
