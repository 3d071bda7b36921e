"""The notes shown on the Train page, under the settings' top row, after a mlx-lm YAML file was imported: each key
the app does not apply as written, and which values are mlx-lm's defaults rather than the file's (issue 21).

Visible where the person looks (not only in the Log tab); closed with its × button or by the next import.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

from mlxstudio.gui import icons


class ImportNotes(QFrame):
    """A framed box: "Imported <file>" and one line per note; hidden while there is nothing to say."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setObjectName("importNotes")
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.body = QLabel()
        self.body.setWordWrap(True)
        self.body.setTextFormat(Qt.TextFormat.PlainText)
        self.close_button = QToolButton()
        self.close_button.setIcon(icons.icon("mdi6.close"))
        self.close_button.setAutoRaise(True)
        self.close_button.setToolTip(self.tr("Hide these notes"))
        self.close_button.clicked.connect(self.hide)
        head = QHBoxLayout()
        head.setContentsMargins(0, 0, 0, 0)
        icon = QLabel()
        icon.setPixmap(icons.icon("mdi6.information-outline").pixmap(16, 16))
        head.addWidget(icon)
        head.addWidget(self.title, 1)
        head.addWidget(self.close_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 6, 8, 6)
        lay.addLayout(head)
        lay.addWidget(self.body)
        self.hide()

    def show_notes(self, path: str, notes: list[str]) -> None:
        """Show what importing ``path`` did not apply (or that everything was applied)."""
        name = path.rsplit("/", 1)[-1]
        if notes:
            self.title.setText(self.tr("Imported {name}. Not applied as written:").format(name=name))
            self.body.setText("\n".join(f"• {n}" for n in notes))
            self.body.show()
        else:
            self.title.setText(self.tr("Imported {name}: every setting applied.").format(name=name))
            self.body.hide()
        self.show()
