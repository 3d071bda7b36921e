"""The step navigator down the left of the window: ① Model → ② Data → ③ Train → ④ Fuse & Test.

Each step shows its number, its title, a check when its output exists, a busy mark (and a thin progress bar) while
work runs, and a one-line summary ("SmolLM2-135M-Instruct · 4-bit · 98 MB", "5 pairs · 0 errors", "it 34/60").
A step whose input does not exist yet is disabled with a tooltip saying what to do first. The "Next" button under the
steps leads on to the following step when it is reachable. The window decides what is reachable; this widget only shows.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics, QKeyEvent, QMouseEvent, QPalette, QResizeEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from mlxstudio.gui import icons
from mlxstudio.gui.i18n import QT_TRANSLATE_NOOP, translate
from mlxstudio.gui.state import STEPS, StepStatus

TITLES = {"model": QT_TRANSLATE_NOOP("navigator", "Model"), "data": QT_TRANSLATE_NOOP("navigator", "Data"),
          "train": QT_TRANSLATE_NOOP("navigator", "Train"), "test": QT_TRANSLATE_NOOP("navigator", "Fuse & Test")}
"""Navigator titles of the steps (English; :func:`title` gives the one to show)."""


def title(step: str) -> str:
    """The step's title in the window's language."""
    return translate("navigator", TITLES[step]) if step in TITLES else step

ICON_SIZE = QSize(16, 16)


SEPARATOR = " · "


def pack_summary(summary: str, width: int, metrics: QFontMetrics) -> str:
    """Lay a "name · 4-bit · 98 MB" summary out in lines of at most ``width`` pixels: lines break only at the
    " · " separators, which the line break then replaces (a name like "SmolLM2-135M-Instruct" is never split at its
    hyphens), and a part wider than a whole line is elided in the middle (the tooltip has the full text)."""
    if width <= 0 or not summary:
        return summary
    lines: list[str] = []
    line = ""
    for part in summary.split(SEPARATOR):
        if metrics.horizontalAdvance(part) > width:
            part = metrics.elidedText(part, Qt.TextElideMode.ElideMiddle, width)
        candidate = f"{line}{SEPARATOR}{part}" if line else part
        if not line or metrics.horizontalAdvance(candidate) <= width:
            line = candidate
        else:
            lines.append(line)  # the line break is the separator
            line = part
    lines.append(line)
    return "\n".join(lines)


class SummaryLabel(QLabel):
    """The small summary line(s) under a step's title, packed by :func:`pack_summary` to the label's width."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(40)

    def full_text(self) -> str:
        return self._full

    def set_summary(self, text: str) -> None:
        self._full = text
        self.setToolTip(text)
        self._relayout()

    def _relayout(self) -> None:
        packed = pack_summary(self._full, self.contentsRect().width(), self.fontMetrics())
        if packed != self.text():
            self.setText(packed)
            self.updateGeometry()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._relayout()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._relayout()


class StepItem(QFrame):
    """One step of the navigator (clickable, focusable with Tab, activated with Space/Return)."""

    clicked = Signal(str)

    def __init__(self, step: str, number: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.step = step
        self.number = number
        self._current = False
        self._status = StepStatus()
        self.setObjectName(f"step-{step}")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setAutoFillBackground(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)

        self.number_label = QLabel(str(number))
        self.number_label.setFixedSize(22, 22)
        self.number_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title_label = QLabel(title(step) if step in TITLES else step.title())
        font = self.title_label.font()
        font.setWeight(QFont.Weight.DemiBold)
        self.title_label.setFont(font)
        self.status_label = QLabel()
        self.status_label.setFixedSize(ICON_SIZE)
        self.summary_label = SummaryLabel()
        small = self.summary_label.font()
        small.setPointSizeF(max(7.0, small.pointSizeF() * 0.9))
        self.summary_label.setFont(small)
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.progress.setFixedHeight(4)
        self.progress.setVisible(False)

        top = QHBoxLayout()
        top.setSpacing(8)
        top.addWidget(self.number_label)
        top.addWidget(self.title_label, 1)
        top.addWidget(self.status_label)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(10, 8, 10, 8)
        lay.setSpacing(2)
        lay.addLayout(top)
        sub = QHBoxLayout()
        sub.setContentsMargins(30, 0, 0, 0)
        sub.addWidget(self.summary_label, 1)
        lay.addLayout(sub)
        prog = QHBoxLayout()
        prog.setContentsMargins(30, 2, 0, 0)
        prog.addWidget(self.progress)
        lay.addLayout(prog)
        self._restyle()

    # -- state -----------------------------------------------------------------------------------------------
    @property
    def status(self) -> StepStatus:
        return self._status

    def set_status(self, status: StepStatus) -> None:
        """Show a step's status: check when ready, busy mark and progress while busy, the summary line."""
        self._status = status
        self._show_status_icon()
        self.summary_label.set_summary(status.summary)
        self.progress.setVisible(status.busy)
        if status.busy:
            if status.progress is None:
                self.progress.setRange(0, 0)
            else:
                self.progress.setRange(0, 1000)
                self.progress.setValue(round(1000 * min(1.0, max(0.0, status.progress))))

    def _show_status_icon(self) -> None:
        status = self._status
        # On the highlighted (current) step the accent colour would vanish: use the highlighted-text colour there.
        colour = self.palette().color(QPalette.ColorRole.WindowText) if self._current else icons.accent_color()
        if status.busy:
            self.status_label.setPixmap(icons.icon("busy", colour).pixmap(ICON_SIZE))
            self.status_label.setToolTip(self.tr("Working…"))
        elif status.ready:
            self.status_label.setPixmap(icons.icon("ready", colour).pixmap(ICON_SIZE))
            self.status_label.setToolTip(self.tr("Done"))
        else:
            self.status_label.clear()
            self.status_label.setToolTip("")

    def set_current(self, current: bool) -> None:
        """Highlight this step as the page on screen."""
        if current != self._current:
            self._current = current
            self._restyle()

    def is_current(self) -> bool:
        return self._current

    def set_reachable(self, reachable: bool, reason: str = "") -> None:
        """Enable or disable the step; ``reason`` says what to do first (shown as the tooltip)."""
        self.setEnabled(reachable)
        self.setToolTip("" if reachable else reason)
        self.setCursor(Qt.CursorShape.PointingHandCursor if reachable else Qt.CursorShape.ArrowCursor)

    def _restyle(self) -> None:
        # Palette roles only (no hard-coded colours): the highlight is the system's selection colour.
        parent = self.parentWidget()
        parent_pal = parent.palette() if parent else QPalette()
        pal = QPalette(parent_pal)
        if self._current:
            for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
                pal.setColor(group, QPalette.ColorRole.Window,
                             parent_pal.color(group, QPalette.ColorRole.Highlight))
                pal.setColor(group, QPalette.ColorRole.WindowText,
                             parent_pal.color(group, QPalette.ColorRole.HighlightedText))
        self.setPalette(pal)
        if self._current:
            style = "border: 1.5px solid palette(highlighted-text); color: palette(highlighted-text);"
        else:
            style = "border: 1.5px solid palette(mid);"
        self.number_label.setStyleSheet(f"QLabel {{ {style} border-radius: 11px; }}")
        self._show_status_icon()

    # -- input -----------------------------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.isEnabled():
            self.clicked.emit(self.step)
            event.accept()
            return
        super().mousePressEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Space, Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.isEnabled():
            self.clicked.emit(self.step)
            return
        super().keyPressEvent(event)


class Navigator(QFrame):
    """The column of steps plus the "Next" button. Emits :attr:`step_clicked` with a step id."""

    step_clicked = Signal(str)
    next_clicked = Signal()

    def __init__(self, steps: tuple[str, ...] = STEPS, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("navigator")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setMinimumWidth(180)
        self.setMaximumWidth(320)
        self.items: dict[str, StepItem] = {}
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 8, 6, 8)
        lay.setSpacing(4)
        for i, step in enumerate(steps, start=1):
            item = StepItem(step, i, self)
            item.clicked.connect(self.step_clicked)
            self.items[step] = item
            lay.addWidget(item)
        lay.addStretch(1)
        self.next_button = QPushButton(self.tr("Next"))
        self.next_button.setObjectName("next-step")
        self.next_button.setIcon(icons.icon("next"))
        self.next_button.setLayoutDirection(Qt.LayoutDirection.RightToLeft)  # icon after the text
        self.next_button.clicked.connect(self.next_clicked)
        lay.addWidget(self.next_button)

    def item(self, step: str) -> StepItem:
        return self.items[step]

    def set_current(self, step: str) -> None:
        """Highlight ``step``."""
        for s, item in self.items.items():
            item.set_current(s == step)

    def set_next(self, step: str | None, enabled: bool, reason: str = "") -> None:
        """Point the Next button at ``step`` (None: the last step is on screen, hide it)."""
        if step is None:
            self.next_button.setVisible(False)
            return
        self.next_button.setVisible(True)
        self.next_button.setText(self.tr("Next: {replace}").format(
            replace=title(step).replace('&', '&&')))  # && = a literal &
        self.next_button.setEnabled(enabled)
        self.next_button.setToolTip("" if enabled else reason)

    def changeEvent(self, event: QEvent) -> None:  # re-derive colours when the palette changes
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            for item in self.items.values():
                item._restyle()
