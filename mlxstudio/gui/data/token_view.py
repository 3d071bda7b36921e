"""“What the model sees”: the selected row rendered with the chat template, every token marked trained or masked.

Trained tokens are highlighted, masked (prompt) tokens dimmed, special tokens (``<|im_start|>``, EOS…) shown as bold
chips; neighbouring tokens alternate shades so token boundaries are visible. Colours are mixed from the palette, so
the view reads in light and dark mode.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QTextBrowser, QVBoxLayout, QWidget

from mlxstudio.core.data import TokenView
from mlxstudio.gui.i18n import translate

MAX_TOKENS_SHOWN = 4000


def _mix(a: QColor, b: QColor, t: float) -> str:
    return QColor(round(a.red() * (1 - t) + b.red() * t), round(a.green() * (1 - t) + b.green() * t),
                  round(a.blue() * (1 - t) + b.blue() * t)).name()


WORD_JOINER = "\u2060"
"""Between the characters of a token: lines wrap only between tokens, so ``<|im_end|>`` never splits after ``<|``."""


def _visible(text: str) -> str:
    """Token text as HTML, with line breaks, tabs and spaces made visible; a token never wraps inside itself."""
    lines = text.replace("\r", "").replace("\t", "→").replace(" ", "·").split("\n")
    return "↵<br>".join(WORD_JOINER.join(html.escape(ch, quote=False) for ch in line) for line in lines)


def render_html(view: TokenView, palette: QPalette) -> str:
    """The token view as rich text for a QTextBrowser."""
    base = palette.color(QPalette.ColorRole.Base)
    text = palette.color(QPalette.ColorRole.Text)
    hi = palette.color(QPalette.ColorRole.Highlight)
    trained = (_mix(base, hi, 0.30), _mix(base, hi, 0.48))
    masked = (_mix(base, text, 0.04), _mix(base, text, 0.10))
    dim = _mix(base, text, 0.55)
    special_bg = _mix(base, text, 0.22)
    parts: list[str] = []
    pending: list[int] = []  # ids of tokens that are only part of a character (shown with the one completing it)
    group = 0
    for piece in view.pieces[:MAX_TOKENS_SHOWN]:
        if not piece.text:
            pending.append(piece.id)
            continue
        ids = [*pending, piece.id]
        pending = []
        shade = group % 2
        group += 1
        bg = trained[shade] if piece.trained else masked[shade]
        if piece.special:
            bg = _mix(QColor(special_bg), hi, 0.45) if piece.trained else special_bg
        colour = text.name() if piece.trained or piece.special else dim
        weight = "font-weight:600;" if piece.special else ""
        label = f"id {ids[0]}" if len(ids) == 1 else translate("token_view", "{n} tokens, ids {join}").format(
            n=len(ids), join=' '.join(map(str, ids)))
        kind = translate("token_view", "trained") if piece.trained else translate("token_view", "masked")
        special = translate("token_view", " · special") if piece.special else ""
        title = f"{label} · {kind}{special}"
        parts.append(f'<span title="{html.escape(title)}" style="background-color:{bg};color:{colour};{weight}">'
                     f"{_visible(piece.text)}</span>")
    if len(view.pieces) > MAX_TOKENS_SHOWN:
        parts.append(translate("token_view", "<br><i>… {value} more tokens</i>").format(
            value=len(view.pieces) - MAX_TOKENS_SHOWN))
    return "<div style=\"font-family:monospace; line-height:150%\">" + "".join(parts) + "</div>"


def summary_text(view: TokenView) -> str:
    """One line: tokens, trained, masked, truncated."""
    trained = view.trained_count
    parts = [translate("token_view", "{n} tokens").format(n=view.total),
             translate("token_view", "{n} trained").format(n=trained), translate("token_view",
                     "{value} not trained").format(
        value=view.total - trained)]
    if view.truncated:
        parts.append(translate("token_view", "{truncated} cut off by the maximum length {max_seq_length}").format(
            truncated=view.truncated, max_seq_length=view.max_seq_length))
    return " · ".join(parts)


class TokenViewPanel(QWidget):
    """The panel: a summary line, a warning line, the tokens, a legend, and — for a chat template with a thinking
    block (Qwen3) — the run's Reasoning setting (the same as the Train page's: the rows are shown as it trains them)."""

    reasoning_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("token-view")
        self.summary = QLabel(self.tr("Select a row to see what the model is trained on."))
        self.summary.setObjectName("token-summary")
        self.summary.setWordWrap(True)
        self.warning = QLabel()
        self.warning.setObjectName("token-warning")
        self.warning.setWordWrap(True)
        self.warning.setVisible(False)
        self.browser = QTextBrowser()
        self.browser.setObjectName("token-browser")
        self.browser.setOpenLinks(False)
        self.reasoning = QComboBox()
        for mode, label in (("auto", self.tr("Automatic (by the data)")), ("direct", self.tr("Answer directly")),
                            ("keep", self.tr("Keep the reasoning in my data"))):
            self.reasoning.addItem(label, mode)
        self.reasoning.setToolTip(self.tr(
            "This model's chat template has a thinking block (<think>). The run's Reasoning setting (also on the "
            "Train page) decides how rows are trained: answer directly (after an empty think block) or with the "
            "reasoning in the data. The tokens below are exactly what that setting trains."))
        self.reasoning.setVisible(False)
        self.reasoning.currentIndexChanged.connect(
            lambda _i: self.reasoning_changed.emit(str(self.reasoning.currentData())))
        legend = QLabel(self.tr("Highlighted: trained · dimmed: prompt (masked, not trained) · bold: special tokens · "
                        "↵ line break · ·space"))
        legend.setWordWrap(True)
        legend.setEnabled(False)
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.reasoning, 0, Qt.AlignmentFlag.AlignTop)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addLayout(top)
        lay.addWidget(self.warning)
        lay.addWidget(self.browser, 1)
        lay.addWidget(legend)
        self.view: TokenView | None = None

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and self.view is not None:
            self.browser.setHtml(render_html(self.view, self.palette()))  # colours mixed from the new palette

    def set_reasoning(self, mode: str, visible: bool) -> None:
        """Show the run's reasoning setting (without emitting :attr:`reasoning_changed`)."""
        self.reasoning.blockSignals(True)
        self.reasoning.setCurrentIndex(max(0, self.reasoning.findData(mode)))
        self.reasoning.blockSignals(False)
        self.reasoning.setVisible(visible)

    def show_resolved(self, resolved: str | None) -> None:
        """Name what "Automatic" decided for these rows (the trainer decides the same from the training rows)."""
        labels = {"direct": self.tr("Automatic: answer directly"), "keep": self.tr("Automatic: keep the reasoning")}
        label = labels.get(resolved or "", self.tr("Automatic (by the data)"))
        self.reasoning.setItemText(max(0, self.reasoning.findData("auto")), label)

    def show_message(self, text: str) -> None:
        """No token view (no model, no row, or the row cannot be rendered): say why."""
        self.view = None
        self.summary.setText(text)
        self.warning.setVisible(False)
        self.browser.clear()

    def show_view(self, view: TokenView) -> None:
        self.view = view
        self.summary.setText(summary_text(view))
        warn = ""
        if view.trained_count == 0:
            warn = (
                self.tr("⚠ Nothing of this row is trained: the prompt fills the maximum sequence length. Shorten the "
                    "prompt or raise the maximum sequence length (a batch of such rows gives a NaN loss)."))
        elif view.pieces and not view.pieces[-1].trained and not view.truncated:
            warn = self.tr("⚠ The last token is not trained, so the model may not learn where to stop.")
        self.warning.setText(warn)
        self.warning.setVisible(bool(warn))
        self.browser.setHtml(render_html(view, self.palette()))
