"""The grid's model: a ``QAbstractTableModel`` over the engine's Qt-free :class:`~mlxstudio.core.data.dataset.Dataset`.

Edits go through an undo stack (``setData`` pushes a command; the commands call the ``apply_*`` methods here, which
change the dataset and emit the right model signals). Problems come from the engine's validation, re-run (debounced)
after edits; each row shows a marker in the vertical header with the problems as tooltip.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QUndoStack

from mlxstudio.core.data import Dataset, Problem, TokenCount, row_key, validate_dataset
from mlxstudio.gui import icons
from mlxstudio.gui.i18n import QT_TRANSLATE_NOOP, translate

ROW_KEY_ROLE = Qt.ItemDataRole.UserRole + 1
"""The row's content identity (for the token-count cache)."""
HEADER_TITLES = {"prompt": QT_TRANSLATE_NOOP("table_model", "Prompt"),
                 "completion": QT_TRANSLATE_NOOP("table_model", "Completion"),
                 "system": QT_TRANSLATE_NOOP("table_model", "System"), "user": QT_TRANSLATE_NOOP("table_model", "User"),
                 "assistant": QT_TRANSLATE_NOOP("table_model", "Assistant"),
                 "text": QT_TRANSLATE_NOOP("table_model", "Text")}


def header_title(column: str) -> str:
    """A dataset column's title in the window's language."""
    return translate("table_model", HEADER_TITLES[column]) if column in HEADER_TITLES else column
_Index = QModelIndex | QPersistentModelIndex


def one_line(text: str, limit: int = 300) -> str:
    """A cell's display text: line breaks shown as ⏎ so rows keep one line height."""
    text = text.replace("\r\n", "\n").replace("\n", " ⏎ ")
    return text if len(text) <= limit else text[:limit] + "…"


class DatasetTableModel(QAbstractTableModel):
    """Rows × format columns of a :class:`Dataset`, with undoable edits and live validation."""

    problems_changed = Signal()
    """Validation finished; :attr:`problems` is current."""
    dataset_replaced = Signal()
    """A different dataset (or format) is shown now."""

    def __init__(self, undo: QUndoStack, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.undo = undo
        self.ds = Dataset("completion", [])
        self.problems: list[Problem] = []
        self.row_problems: dict[int, list[Problem]] = {}
        self.token_counts: dict[Any, TokenCount | None] = {}
        self.max_seq_length: int | None = None
        self.counting = False
        self._validate_timer = QTimer(self)
        self._validate_timer.setSingleShot(True)
        self._validate_timer.setInterval(250)
        self._validate_timer.timeout.connect(self.validate_now)

    # -- whole dataset -------------------------------------------------------------------------------------------
    def set_dataset(self, ds: Dataset) -> None:
        """Show ``ds`` (no undo: opening a file clears the undo stack)."""
        self.beginResetModel()
        self.ds = ds
        self.endResetModel()
        self.dataset_replaced.emit()
        self.validate_now()

    def columns(self) -> tuple[str, ...]:
        return self.ds.columns

    # -- Qt model API -------------------------------------------------------------------------------------------
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.ds)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.ds.columns) + 1  # + the read-only "Tokens" column

    @property
    def tokens_column(self) -> int:
        return len(self.ds.columns)

    def token_text(self, row: int) -> str:
        """The Tokens cell: "total (trained)", "…" while counting, "" without a tokenizer."""
        key = row_key(self.ds.rows[row])
        if key not in self.token_counts:
            return "…" if self.counting else ""
        count = self.token_counts[key]
        if count is None:
            return "–"
        return f"{count.total} ({count.trained(self.max_seq_length)})"

    def set_token_counts(self, counts: dict[Any, TokenCount | None]) -> None:
        """New token counts arrived (merged into the cache keyed by row content)."""
        self.token_counts.update(counts)
        if len(self.ds):
            col = self.tokens_column
            self.dataChanged.emit(self.index(0, col), self.index(len(self.ds) - 1, col))
        self.schedule_validation()

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.ds):
            return None
        row = index.row()
        if index.column() == self.tokens_column:
            if role == Qt.ItemDataRole.DisplayRole:
                return self.token_text(row)
            if role == Qt.ItemDataRole.TextAlignmentRole:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if role == Qt.ItemDataRole.ToolTipRole:
                return self.tr("Tokens of the row with the model's chat template (in brackets: how many are trained)")
            return None
        column = self.ds.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            text = one_line(self.ds.cell(row, column))
            if column in ("user", "assistant") and self.ds.is_multi_turn(row):
                text = self.tr("{text}   [multi-turn]").format(text=text)
            return text
        if role == Qt.ItemDataRole.EditRole:
            return self.ds.cell(row, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            own = [p for p in self.row_problems.get(row, []) if p.key in (column, None)]
            text = self.ds.cell(row, column)
            tip = text if len(text) < 2000 else text[:2000] + "…"
            if own:
                tip = "\n".join(("⚠ " if p.severity == "warning" else "✖ ") + p.message for p in own) + \
                      ("\n\n" + tip if tip else "")
            return tip or None
        if role == Qt.ItemDataRole.DecorationRole:
            own = [p for p in self.row_problems.get(row, []) if p.key == column]
            if own:
                worst = "error" if any(p.severity == "error" for p in own) else "warning"
                return icons.status_icon(worst)
        if role == ROW_KEY_ROLE:
            return row_key(self.ds.rows[row])
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal:
            if role == Qt.ItemDataRole.DisplayRole:
                if section == self.tokens_column:
                    return self.tr("Tokens")
                if section < len(self.ds.columns):
                    return header_title(self.ds.columns[section])
            return None
        if section >= len(self.ds):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return str(section + 1)
        probs = self.row_problems.get(section)
        if role == Qt.ItemDataRole.DecorationRole and probs:
            return icons.status_icon("error" if any(p.severity == "error" for p in probs) else "warning")
        if role == Qt.ItemDataRole.ToolTipRole:
            line = self.tr(" (line {lines})").format(lines=self.ds.lines[section]) if self.ds.lines[section] else ""
            parts = [self.tr("Row {value}").format(value=section + 1) + line]
            count = self.token_counts.get(row_key(self.ds.rows[section]))
            if count is not None:
                parts.append(self.tr("{total} tokens, {trained} trained").format(
                    total=count.total, trained=count.trained(self.max_seq_length)))
            parts += [("⚠ " if p.severity == "warning" else "✖ ") + p.message for p in probs or []]
            return "\n".join(parts)
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        if index.column() == self.tokens_column:
            return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEditable

    def setData(self, index: _Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid() or index.column() >= self.tokens_column:
            return False
        from mlxstudio.gui.data.commands import SetCellCommand

        column = self.ds.columns[index.column()]
        text = "" if value is None else str(value)
        if text == self.ds.cell(index.row(), column):
            return False
        self.undo.push(SetCellCommand(self, index.row(), column, text))
        return True

    # -- low-level changes (called by the undo commands) -------------------------------------------------------
    def apply_row(self, row: int, data: dict[str, Any]) -> None:
        """Replace one row (used for cell edits and their undo)."""
        self.ds.replace_row(row, data)
        self.dataChanged.emit(self.index(row, 0), self.index(row, max(0, self.columnCount() - 1)))
        self.headerDataChanged.emit(Qt.Orientation.Vertical, row, row)
        self.schedule_validation()

    def apply_insert(self, at: int, rows: Sequence[dict[str, Any]], lines: Sequence[int | None] | None = None) -> None:
        if not rows:
            return
        self.beginInsertRows(QModelIndex(), at, at + len(rows) - 1)
        self.ds.insert_rows(at, rows, lines)
        self.endInsertRows()
        self.schedule_validation()

    def apply_remove(self, indices: Sequence[int]) -> list[tuple[int, dict[str, Any], int | None]]:
        """Remove rows (contiguous runs are removed together, from the bottom up); returns what was removed."""
        wanted = sorted(set(indices))
        removed = [(i, self.ds.rows[i], self.ds.lines[i]) for i in wanted]
        for start, end in reversed(_runs(wanted)):
            self.beginRemoveRows(QModelIndex(), start, end)
            self.ds.remove_rows(range(start, end + 1))
            self.endRemoveRows()
        self.schedule_validation()
        return removed

    def apply_restore(self, removed: Sequence[tuple[int, dict[str, Any], int | None]]) -> None:
        for i, row, line in sorted(removed, key=lambda t: t[0]):
            self.beginInsertRows(QModelIndex(), i, i)
            self.ds.insert_rows(i, [row], [line])
            self.endInsertRows()
        self.schedule_validation()

    def apply_move(self, start: int, count: int, dest: int) -> None:
        """Move ``count`` rows at ``start`` so the first lands at ``dest``."""
        if dest == start:
            return
        qt_dest = dest if dest < start else dest + count
        self.beginMoveRows(QModelIndex(), start, start + count - 1, QModelIndex(), qt_dest)
        self.ds.move_rows(start, count, dest)
        self.endMoveRows()
        self.schedule_validation()

    def apply_replace_all(self, ds: Dataset) -> None:
        self.beginResetModel()
        self.ds = ds
        self.endResetModel()
        self.dataset_replaced.emit()
        self.schedule_validation()

    # -- validation ---------------------------------------------------------------------------------------------
    def schedule_validation(self) -> None:
        self._validate_timer.start()

    def validate_now(self) -> None:
        """Run the engine's validation on every row (with token counts when known)."""
        self._validate_timer.stop()
        counts = [self.token_counts.get(row_key(r)) for r in self.ds.rows] if self.token_counts else None
        self.problems = validate_dataset(
            self.ds, self.max_seq_length,
            token_counts=[c.total if c else None for c in counts] if counts else None,
            prompt_token_counts=[c.offset if c else None for c in counts] if counts else None)
        by_row: dict[int, list[Problem]] = {}
        for p in self.problems:
            by_row.setdefault(p.row, []).append(p)
        self.row_problems = by_row
        if len(self.ds):
            self.headerDataChanged.emit(Qt.Orientation.Vertical, 0, len(self.ds) - 1)
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.ds) - 1, self.columnCount() - 1),
                                  [Qt.ItemDataRole.DecorationRole, Qt.ItemDataRole.ToolTipRole])
        self.problems_changed.emit()

    def error_count(self) -> int:
        return sum(p.severity == "error" for p in self.problems)

    def warning_count(self) -> int:
        return sum(p.severity == "warning" for p in self.problems)


def _runs(sorted_indices: Sequence[int]) -> list[tuple[int, int]]:
    """Contiguous runs [(start, end)] of sorted indices."""
    runs: list[tuple[int, int]] = []
    for i in sorted_indices:
        if runs and runs[-1][1] == i - 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs
