"""Inline strips: a message bar (error / warning / info, with an optional action) and a busy strip (progress + Cancel).

Both use palette colours only (the message bar tints with a translucent mix of the palette and a hue), so they stay
readable in light and dark mode. The busy strip appears only after a short delay (Anki's ~600 ms idea, shorter here)
so a job that finishes at once does not flash.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QProgressBar, QPushButton, QToolButton, QWidget

from mlxstudio.gui import icons

_TINTS = {"error": QColor(217, 48, 37), "warning": QColor(227, 116, 0), "info": QColor(26, 115, 232)}


class MessageBar(QFrame):
    """A dismissable line of text with an icon and an optional action button ("Show Log", "Try again"…)."""

    action_triggered = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("message-bar")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.kind = "info"
        self.icon = QLabel()
        self.icon.setFixedSize(20, 20)
        self.label = QLabel()
        self.label.setObjectName("message-text")
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.action_button = QPushButton()
        self.action_button.setVisible(False)
        self.action_button.clicked.connect(self.action_triggered)
        self._action: Callable[[], object] | None = None
        close = QToolButton()
        close.setIcon(icons.icon("close"))
        close.setAutoRaise(True)
        close.setToolTip(self.tr("Dismiss"))
        close.clicked.connect(self.hide)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(10, 6, 6, 6)
        lay.addWidget(self.icon, 0, Qt.AlignmentFlag.AlignTop)
        lay.addWidget(self.label, 1)
        lay.addWidget(self.action_button, 0, Qt.AlignmentFlag.AlignTop)
        lay.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.action_triggered.connect(self._run_action)
        self.setVisible(False)

    def show_message(self, text: str, kind: str = "error", action: str | None = None,
                     callback: Callable[[], object] | None = None) -> None:
        """Show ``text`` ("error", "warning" or "info"), with an optional action button calling ``callback``."""
        self.kind = kind
        self.label.setText(text)
        self.icon.setPixmap(icons.status_icon(kind if kind != "info" else "info").pixmap(18, 18))
        self.action_button.setVisible(bool(action))
        self.action_button.setText(action or "")
        self._action = callback
        self._tint()
        self.setVisible(True)

    _tinting = False

    def _tint(self) -> None:
        """Background: the parent's window colour with 15 % of the kind's hue. Only that role is set, so the text
        keeps following the palette; recomputed when the palette changes (dark mode on/off)."""
        parent = self.parentWidget()
        base = parent.palette().color(QPalette.ColorRole.Window) if parent else QColor()
        tint = _TINTS.get(self.kind, _TINTS["info"])
        mixed = QColor(
            round(base.red() * 0.85 + tint.red() * 0.15),
            round(base.green() * 0.85 + tint.green() * 0.15),
            round(base.blue() * 0.85 + tint.blue() * 0.15),
        )
        self.icon.setPixmap(icons.status_icon(self.kind).pixmap(18, 18))
        pal = QPalette()
        pal.setColor(QPalette.ColorRole.Window, mixed)
        self._tinting = True
        try:
            self.setPalette(pal)
        finally:
            self._tinting = False

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and not self._tinting:
            self._tint()

    def text(self) -> str:
        return self.label.text()

    def _run_action(self) -> None:
        if self._action is not None:
            self._action()


class BusyStrip(QFrame):
    """"Importing SmolLM2… ▓▓▓░░ [Cancel]". Shown after ``delay_ms`` so instant jobs don't flash."""

    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None, delay_ms: int = 300) -> None:
        super().__init__(parent)
        self.setObjectName("busy-strip")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.label = QLabel()
        self.label.setObjectName("busy-text")
        self.detail = QLabel()
        self.detail.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setMinimumWidth(160)
        self.progress.setTextVisible(True)
        self.cancel_button = QPushButton(icons.icon("cancel"), self.tr("Cancel"))
        self.cancel_button.clicked.connect(self._cancel)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(10, 6, 10, 6)
        lay.addWidget(self.label)
        lay.addWidget(self.detail, 1)
        lay.addWidget(self.progress, 1)
        lay.addWidget(self.cancel_button)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(delay_ms)
        self._timer.timeout.connect(lambda: self.setVisible(True))
        self.setVisible(False)
        self.active = False

    def start(self, text: str) -> None:
        """Begin a job: the strip appears after the delay."""
        self.active = True
        self.label.setText(text)
        self.detail.setText("")
        self.progress.setRange(0, 0)
        self.cancel_button.setEnabled(True)
        self.cancel_button.setText(self.tr("Cancel"))
        self._timer.start()

    def set_progress(self, fraction: float | None, detail: str = "") -> None:
        """Progress 0..1 (None: unknown) and a short detail ("writing weights")."""
        if fraction is None:
            self.progress.setRange(0, 0)
        else:
            self.progress.setRange(0, 1000)
            self.progress.setValue(round(1000 * min(1.0, max(0.0, fraction))))
        self.detail.setText(detail)

    def stop(self) -> None:
        """The job ended: hide the strip."""
        self.active = False
        self._timer.stop()
        self.setVisible(False)

    def _cancel(self) -> None:
        self.cancel_button.setEnabled(False)
        self.cancel_button.setText(self.tr("Cancelling…"))
        self.cancel_requested.emit()
