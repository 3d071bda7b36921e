"""The library table: a ``QAbstractTableModel`` over ``core.models.list_models()``.

Columns: name, architecture, parameters, quantization, size on disk, source, chat template. A broken folder is a row
too (its problem in the tooltip and the Architecture column). The active model is shown bold with a check. Each cell
has a sort key under :data:`SORT_ROLE`, so a ``QSortFilterProxyModel`` sorts sizes as numbers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont

from mlxstudio.gui import icons
from mlxstudio.gui.i18n import QT_TRANSLATE_NOOP, translate
from mlxstudio.gui.model.add_folder import source_text
from mlxstudio.gui.model.format import human_params, human_size

COLUMNS = (QT_TRANSLATE_NOOP("library_model", "Name"), QT_TRANSLATE_NOOP("library_model", "Type"),
           QT_TRANSLATE_NOOP("library_model", "Params"), QT_TRANSLATE_NOOP("library_model", "Quantization"),
           QT_TRANSLATE_NOOP("library_model", "Size"), QT_TRANSLATE_NOOP("library_model", "Source"),
           QT_TRANSLATE_NOOP("library_model", "Chat"))
HEADER_TIPS = (QT_TRANSLATE_NOOP("library_model", "Library name"),
               QT_TRANSLATE_NOOP("library_model", "Architecture (the mlx-lm model type)"),
               QT_TRANSLATE_NOOP("library_model", "Number of parameters"),
               QT_TRANSLATE_NOOP("library_model", "How the weights are stored"),
               QT_TRANSLATE_NOOP("library_model", "Size on disk"),
               QT_TRANSLATE_NOOP("library_model", "Where the model came from"),
               QT_TRANSLATE_NOOP("library_model", "Has a chat template (chat-format data is formatted with it)"))
SOURCE_COLUMN = 5
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
PATH_ROLE = Qt.ItemDataRole.UserRole + 2
_Index = QModelIndex | QPersistentModelIndex


class LibraryModel(QAbstractTableModel):
    """Rows are ``ModelInfo`` objects (see :mod:`mlxstudio.core.models`)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[Any] = []
        self._resolved: list[Path] = []
        self._active: Path | None = None

    # -- data in -----------------------------------------------------------------------------------------------
    def set_models(self, infos: list[Any]) -> None:
        """Replace the rows (a refresh of the library)."""
        self.beginResetModel()
        self._rows = list(infos)
        self._resolved = [_resolve(Path(i.path)) for i in self._rows]
        self.endResetModel()

    def set_active(self, path: Path | None) -> None:
        """Mark the active model (bold, with a check)."""
        old = self.row_of(self._active) if self._active else None
        self._active = _resolve(Path(path)) if path else None
        new = self.row_of(self._active) if self._active else None
        for row in {r for r in (old, new) if r is not None}:
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))

    # -- data out ----------------------------------------------------------------------------------------------
    def info(self, row: int) -> Any:
        return self._rows[row]

    def infos(self) -> list[Any]:
        return list(self._rows)

    def row_of(self, path: Path | str | None) -> int | None:
        """Row of the model at ``path`` (or with that name), or None."""
        if path is None:
            return None
        p = _resolve(Path(path))
        for i, info in enumerate(self._rows):
            if self._resolved[i] == p or info.name == str(path):
                return i
        return None

    # -- Qt model API ------------------------------------------------------------------------------------------
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 (Qt API default)
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 (Qt API default)
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return translate("library_model", COLUMNS[section])
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole:
            return translate("library_model", HEADER_TIPS[section])
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        info = self._rows[index.row()]
        col = index.column()
        problem = getattr(info, "problem", None)
        active = self._active is not None and self._resolved[index.row()] == self._active
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(info, col, problem)
        if role == SORT_ROLE:
            return self._sort_key(info, col)
        if role == PATH_ROLE:
            return str(info.path)
        if role == Qt.ItemDataRole.ToolTipRole:
            if problem:
                return f"{info.name}: {problem}"
            if col == 0:
                return f"{info.path}" + (self.tr("\nThe active model") if active else "")
            return self._display(info, col, problem)
        if role == Qt.ItemDataRole.DecorationRole and col == 0:
            if problem:
                return icons.status_icon("warning")
            if active:
                return icons.status_icon("ready")
            return icons.icon("model")
        if role == Qt.ItemDataRole.FontRole and active:
            f = QFont()
            f.setBold(True)
            return f
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (2, 4):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.TextAlignmentRole and col == 6:
            return int(Qt.AlignmentFlag.AlignCenter)
        return None

    @staticmethod
    def _display(info: Any, col: int, problem: str | None) -> str:
        if col == 0:
            return info.name
        if problem and col == 1:
            return "unusable"
        if problem and col in (2, 3, 6):
            return "—"
        if col == 1:
            return info.architecture or "—"
        if col == 2:
            return human_params(info.parameters)
        if col == 3:
            return info.quantization or "—"
        if col == 4:
            return human_size(info.size_bytes)
        if col == 5:
            return source_text(info.source)
        if col == 6:
            return translate("LibraryModel", "Yes") if info.has_chat_template else translate("LibraryModel", "No")
        return ""

    @staticmethod
    def _sort_key(info: Any, col: int) -> Any:
        if col == 2:
            return int(info.parameters or 0)
        if col == 4:
            return int(info.size_bytes or 0)
        if col == 6:
            return int(bool(info.has_chat_template))
        return LibraryModel._display(info, col, getattr(info, "problem", None)).lower()


def _resolve(p: Path) -> Path:
    try:
        return p.resolve()
    except OSError:
        return p
