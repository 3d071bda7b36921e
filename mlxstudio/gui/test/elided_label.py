"""A one-line label that asks for its whole text's width but elides ("…") when the layout gives it less, so a long
name never widens the window. (superqt's QElidingLabel asks only for the width of what it shows, so once elided it
stays elided even when the window grows.)"""

from __future__ import annotations

from PySide6.QtCore import QSize
from superqt import QElidingLabel


class ElidedLabel(QElidingLabel):
    """``ElidedLabel(text)``: a QElidingLabel whose size hint is the whole text."""

    def setText(self, txt: str) -> None:
        super().setText(txt)
        self.updateGeometry()

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        margins = self.contentsMargins()
        fm = self.fontMetrics()
        text = self.text()
        # + the eliding's own 2 px and a little slack: Qt elides text that fits its advance width exactly
        full = max(fm.horizontalAdvance(text), fm.boundingRect(text).width()) + margins.left() + margins.right() + 6
        return QSize(max(hint.width(), full), hint.height())
