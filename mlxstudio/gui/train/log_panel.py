"""A read-only panel with the engine's messages (bounded, so a long run cannot eat memory)."""

from __future__ import annotations

import time

from PySide6.QtGui import QFont, QTextCharFormat
from PySide6.QtWidgets import QPlainTextEdit, QWidget

MAX_LINES = 5000


class LogPanel(QPlainTextEdit):
    """Append lines with :meth:`append_line`; warnings and errors are bold (readable in light and dark mode)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setMaximumBlockCount(MAX_LINES)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.setPlaceholderText(self.tr("Messages from the training run appear here."))

    def append_line(self, message: str, level: str = "info") -> None:
        """Add one line, stamped with the time; keeps the view at the bottom if it was there."""
        bar = self.verticalScrollBar()
        at_bottom = bar.value() >= bar.maximum() - 2
        prefix = {"warning": "⚠ ", "error": "✖ "}.get(level, "")
        fmt = QTextCharFormat()
        fmt.setFontWeight(QFont.Weight.Bold if level in ("warning", "error") else QFont.Weight.Normal)
        cursor = self.textCursor()
        cursor.movePosition(cursor.MoveOperation.End)
        if not self.document().isEmpty():
            cursor.insertBlock()
        cursor.insertText(f"{time.strftime('%H:%M:%S')}  {prefix}{message}", fmt)
        if at_bottom:
            bar.setValue(bar.maximum())

    def lines(self) -> list[str]:
        """The text of every line (tests read it)."""
        return self.toPlainText().splitlines()
