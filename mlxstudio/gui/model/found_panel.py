""""Found on this computer": the models already in the Hugging Face / ModelScope caches, LM Studio and Ollama
(``core.models.discover``), each with where it is, its type and size, and one button to add (or import) it.

The panel only shows what it is given (:meth:`FoundPanel.set_found`); the scan runs off the GUI thread in
:mod:`mlxstudio.gui.model.found_models`.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mlxstudio.gui import icons
from mlxstudio.gui.i18n import QT_TRANSLATE_NOOP, translate
from mlxstudio.gui.model.format import human_size

COLUMNS = (QT_TRANSLATE_NOOP("found_panel", "Model"), QT_TRANSLATE_NOOP("found_panel", "Where"),
           QT_TRANSLATE_NOOP("found_panel", "Type"), QT_TRANSLATE_NOOP("found_panel", "Size"), "")
INTRO = QT_TRANSLATE_NOOP("found_panel", "Models already on this computer — in the Hugging Face and ModelScope "
                          "caches, LM Studio's models folder and Ollama. Add one to the library with one "
                          "click: safetensors folders are linked (no second copy), GGUF files are imported.")


class FoundPanel(QWidget):
    """The table of found models; emits :attr:`add_requested` with a ``FoundModel``, :attr:`rescan_requested`."""

    add_requested = Signal(object)
    rescan_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("found-panel")
        self.items: list[Any] = []
        intro = QLabel(translate("found_panel", INTRO))
        intro.setWordWrap(True)
        self.rescan_button = QPushButton(icons.icon("refresh"), self.tr("Look Again"))
        self.rescan_button.setObjectName("found-rescan")
        self.rescan_button.setToolTip(self.tr("Look through the known model folders again"))
        self.rescan_button.clicked.connect(self.rescan_requested)
        head = QHBoxLayout()
        head.addWidget(intro, 1)
        head.addWidget(self.rescan_button, 0, Qt.AlignmentFlag.AlignTop)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("found-table")
        self.table.setHorizontalHeaderLabels([translate("found_panel", c) if c else c for c in COLUMNS])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(lambda idx: self._request(idx.row()))

        self.status = QLabel()
        self.status.setObjectName("found-status")
        self.status.setWordWrap(True)
        self.status.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.status)
        self.stack.addWidget(self.table)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 8, 4, 4)
        lay.addLayout(head)
        lay.addWidget(self.stack, 1)
        self.set_scanning()

    def set_scanning(self) -> None:
        """Show "Looking…" while a scan runs."""
        self.rescan_button.setEnabled(False)
        if not self.items:
            self.status.setText(self.tr("Looking for models on this computer…"))
            self.stack.setCurrentWidget(self.status)

    def set_error(self, message: str) -> None:
        """A scan that failed (the message says why)."""
        self.rescan_button.setEnabled(True)
        self.status.setText(self.tr("The model folders could not be read: {message}").format(message=message))
        self.stack.setCurrentWidget(self.status)

    def set_found(self, items: list[Any], looked_in: list[str] | None = None) -> None:
        """Show ``items`` (``FoundModel``s); ``looked_in``: the folders named in the "nothing found" text."""
        self.items = list(items)
        self.rescan_button.setEnabled(True)
        if not self.items:
            where = "\n".join(looked_in or []) or self.tr(
                "the Hugging Face and ModelScope caches, LM Studio and Ollama")
            self.status.setText(self.tr("No models found on this computer.\n\nLooked in:\n{where}").format(where=where))
            self.stack.setCurrentWidget(self.status)
            return
        self.table.setRowCount(len(self.items))
        for row, item in enumerate(self.items):
            cells = (item.name, item.store_label, item.type, human_size(item.size_bytes))
            for col, text in enumerate(cells):
                cell = QTableWidgetItem(text)
                cell.setToolTip(f"{item.path}" + (f"\n{item.problem}" if item.problem else ""))
                if col == 3:
                    cell.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if item.problem:
                    cell.setForeground(self.palette().placeholderText())
                self.table.setItem(row, col, cell)
            self.table.setCellWidget(row, len(COLUMNS) - 1, self._button(row, item))
        self.stack.setCurrentWidget(self.table)

    def _button(self, row: int, item: Any) -> QPushButton:
        gguf = item.kind == "gguf"
        if item.in_library:
            button = QPushButton(icons.icon("use"), self.tr("In Library"))
            button.setEnabled(False)
            button.setToolTip(self.tr("This model is already in your library."))
        elif item.problem:
            button = QPushButton(self.tr("Incomplete"))
            button.setEnabled(False)
            button.setToolTip(item.problem)
        else:
            button = QPushButton(icons.icon("import" if gguf else "add"), self.tr("Import") if gguf else self.tr("Add"))
            button.setToolTip(self.tr("Convert this GGUF into an MLX model in the library as {library_name}").format(
                library_name=item.library_name)
                              if gguf else
                                  self.tr("Add to the library as {library_name} (linked: no second copy)").format(
                                  library_name=item.library_name))
        button.setObjectName(f"found-add-{row}")
        button.clicked.connect(lambda _c=False, r=row: self._request(r))
        return button

    def _request(self, row: int) -> None:
        if 0 <= row < len(self.items):
            item = self.items[row]
            if not item.in_library and not item.problem:
                self.add_requested.emit(item)

    def set_busy(self, busy: bool) -> None:
        """Disable the add buttons while an import or add runs."""
        for row in range(self.table.rowCount()):
            w = self.table.cellWidget(row, len(COLUMNS) - 1)
            item = self.items[row] if row < len(self.items) else None
            if w is not None and item is not None:
                w.setEnabled(not busy and not item.in_library and not item.problem)
