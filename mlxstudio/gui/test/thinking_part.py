"""The folded, dimmed "Thinking" part of an answer pane: a thinking model's reasoning, apart from its answer.

Hidden until the model writes a think block with something in it; then a small disclosure button ("▸ Thinking…"
while it thinks, "▸ Thinking · 42 characters" after) that unfolds the reasoning in dimmed, italic text. Folded by
default: the answer is what the person asked for.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QPlainTextEdit, QSizePolicy, QToolButton, QVBoxLayout, QWidget


class ThinkingPart(QWidget):
    """Feed it with :meth:`show_reasoning`; :meth:`clear` hides it again."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.toggle = QToolButton()
        self.toggle.setCheckable(True)
        self.toggle.setAutoRaise(True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.toggle.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.toggle.setToolTip(self.tr("The model's reasoning (its <think> block). It is not part of the answer and "
                                       "is not scored."))
        self.toggle.toggled.connect(self._fold)
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setMaximumHeight(120)
        self.text.setFrameShape(QPlainTextEdit.Shape.NoFrame)
        self.text.setVisible(False)
        font = self.text.font()
        font.setItalic(True)
        self.text.setFont(font)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(self.toggle, 0, Qt.AlignmentFlag.AlignLeft)
        lay.addWidget(self.text)
        self._dim()
        self.setVisible(False)
        self._label(thinking=False)

    def show_reasoning(self, reasoning: str, thinking: bool) -> None:
        """The reasoning so far; ``thinking``: the model is still inside its think block."""
        if reasoning != self.text.toPlainText():
            current = self.text.toPlainText()
            if current and reasoning.startswith(current):
                self.text.moveCursor(self.text.textCursor().MoveOperation.End)
                self.text.insertPlainText(reasoning[len(current):])
            else:
                self.text.setPlainText(reasoning)
            if thinking:
                self.text.ensureCursorVisible()
        self.setVisible(bool(reasoning) or thinking)
        self._label(thinking)

    def clear(self) -> None:
        self.text.clear()
        self.setVisible(False)
        self._label(thinking=False)

    def reasoning(self) -> str:
        return self.text.toPlainText()

    @property
    def folded(self) -> bool:
        return not self.toggle.isChecked()

    def set_folded(self, folded: bool) -> None:
        self.toggle.setChecked(not folded)

    def _label(self, thinking: bool) -> None:
        n = len(self.text.toPlainText())
        if thinking:
            self.toggle.setText(self.tr("Thinking…"))
        else:
            self.toggle.setText(self.tr("Thinking · %n characters", "", n))

    def _fold(self, unfolded: bool) -> None:
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if unfolded else Qt.ArrowType.RightArrow)
        self.text.setVisible(unfolded)

    def _dim(self) -> None:
        """Dimmed text in the palette's own placeholder colour (readable in light and dark mode)."""
        pal = self.text.palette()
        dim = self.palette().color(QPalette.ColorRole.PlaceholderText)
        pal.setColor(QPalette.ColorRole.Text, dim)
        pal.setColor(QPalette.ColorRole.Base, self.palette().color(QPalette.ColorRole.Window))
        self.text.setPalette(pal)
        pal = self.toggle.palette()
        pal.setColor(QPalette.ColorRole.ButtonText, dim)
        self.toggle.setPalette(pal)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._dim()
