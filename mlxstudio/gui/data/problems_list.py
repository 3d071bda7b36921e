"""The problems list under the grid: one line per problem, errors first; clicking one jumps to its row."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from mlxstudio.core.data import Problem
from mlxstudio.gui import icons

MAX_SHOWN = 2000


class ProblemsList(QListWidget):
    """Emits :attr:`row_activated` (row, key) when a problem is clicked."""

    row_activated = Signal(int, object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("problems-list")
        # long messages wrap (at 1024 px "… write the completion or delete the row" was cut off behind a
        # sideways scroll bar); the list re-lays its items out when its width changes
        self.setWordWrap(True)
        self.setUniformItemSizes(False)
        self.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setAlternatingRowColors(True)
        self.itemActivated.connect(self._activated)
        self.itemClicked.connect(self._activated)

    def set_problems(self, problems: Sequence[Problem], name: str) -> None:
        self.clear()
        ordered = sorted(problems, key=lambda p: (p.severity != "error", p.row))
        for p in ordered[:MAX_SHOWN]:
            line = self.tr(" (line {line})").format(line=p.line) if p.line is not None else ""
            where = self.tr("Row {value}").format(value=p.row + 1) + line if p.row >= 0 else name
            item = QListWidgetItem(icons.status_icon(p.severity), f"{where}: {p.message}")
            item.setData(Qt.ItemDataRole.UserRole, (p.row, p.key))
            item.setToolTip(p.format(name))
            self.addItem(item)
        if len(ordered) > MAX_SHOWN:
            more = QListWidgetItem(self.tr("… and {value} more (run `mlxstudio-cli data validate` for the full "
                                       "list)").format(value=len(ordered) - MAX_SHOWN))
            more.setFlags(Qt.ItemFlag.NoItemFlags)
            self.addItem(more)

    def _activated(self, item: QListWidgetItem) -> None:
        data = item.data(Qt.ItemDataRole.UserRole)
        if data:
            row, key = data
            if row >= 0:
                self.row_activated.emit(row, key)
