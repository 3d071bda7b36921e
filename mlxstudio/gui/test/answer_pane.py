"""One answer pane: a title ("Base", "Tuned"…), the streamed answer, and "n tokens · x tok/s" under it.

A thinking model's ``<think>…</think>`` block never shows as raw text: :class:`~mlxstudio.core.inference.reasoning.
ThinkSplitter` keeps it apart while it streams, and it goes into the folded, dimmed "Thinking" part above the answer
(:class:`.thinking_part.ThinkingPart`)."""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QFont, QPixmap, QTextCursor
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from mlxstudio.core.inference.reasoning import ThinkSplitter
from mlxstudio.gui import icons
from mlxstudio.gui.elided_label import ElidedLabel
from mlxstudio.gui.test.thinking_part import ThinkingPart


class StatsLabel(ElidedLabel):
    """The pane's status line: elided to one line, the whole text in its tooltip."""

    def setText(self, txt: str) -> None:
        super().setText(txt)
        self.setToolTip(txt.strip())


class AnswerPane(QFrame):
    """Shows one model's answer as it streams. Feed it with :meth:`begin`, :meth:`append`, :meth:`finish`."""

    def __init__(self, source: str, title: str, subtitle: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.source = source
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.title = QLabel(f"<b>{title}</b>")
        self.subtitle = ElidedLabel(subtitle)  # a long adapter/model name elides instead of widening the window
        self.subtitle.setEnabled(False)  # dimmed, palette-aware
        self.subtitle.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.icon = QLabel()
        self.icon.setFixedSize(16, 16)  # room kept for the status icon: the title never shifts, panes stay aligned
        head = QHBoxLayout()
        head.addWidget(self.icon)
        head.addWidget(self.title)
        head.addWidget(self.subtitle, 1)
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setPlaceholderText(self.tr("The answer appears here."))
        font = self.text.font()
        font.setPointSizeF(font.pointSizeF() * 1.1)
        self.text.setFont(font)
        # one line, elided (whole text in the tooltip; errors also go to the page's status line): the panes stay
        # equal, their text boxes end at the same height, and a long error never widens the window
        self.stats = StatsLabel(" ")
        small = QFont(self.stats.font())
        small.setPointSizeF(small.pointSizeF() * 0.9)
        self.stats.setFont(small)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 6, 8, 6)
        self.thinking = ThinkingPart()
        self._split = ThinkSplitter()
        lay.addLayout(head)
        lay.addWidget(self.thinking)
        lay.addWidget(self.text, 1)
        lay.addWidget(self.stats)
        self.tokens = 0
        self.tokens_per_second = 0.0
        self._t0: float | None = None
        self._icon_kind = ""

    # -- streaming ---------------------------------------------------------------------------------------------
    def begin(self, message: str | None = None) -> None:
        """Clear the pane and say what is happening until the first token arrives."""
        self.text.clear()
        self.thinking.clear()
        self._split = ThinkSplitter()
        self.tokens = 0
        self.tokens_per_second = 0.0
        self._t0 = None
        self._set_icon("busy")
        self.stats.setText(self.tr("Loading the model…") if message is None else message)

    def append(self, piece: str, tokens_per_second: float = 0.0) -> None:
        """Add a streamed piece of text (one token's worth)."""
        if self._t0 is None:
            self._t0 = time.perf_counter()
        self.tokens += 1
        self._split.feed(piece)
        self._show_text()
        if tokens_per_second > 0 and self.tokens > 1:
            self.tokens_per_second = tokens_per_second
        self._show_stats(streaming=True)

    def _show_text(self) -> None:
        """Show the answer and the reasoning so far (the answer is appended to while it only grows)."""
        answer, shown = self._split.answer, self.text.toPlainText()
        if answer != shown:
            if answer.startswith(shown):
                cursor = self.text.textCursor()
                cursor.movePosition(QTextCursor.MoveOperation.End)
                cursor.insertText(answer[len(shown):])
                self.text.setTextCursor(cursor)
            else:  # text taken back into the reasoning (a "</think>" without an opening tag)
                self.text.setPlainText(answer)
            self.text.ensureCursorVisible()
        self.thinking.show_reasoning(self._split.reasoning, self._split.thinking)

    def finish(self, stats: dict | None = None, note: str = "") -> None:
        """The answer is complete (or stopped): final token count and speed from the engine's statistics."""
        self._split.finish()
        self._show_text()
        if self._split.unfinished and not note:
            note = self.tr("still thinking when it stopped — raise Max tokens for an answer")
        if stats:
            self.tokens = int(stats.get("generation_tokens", self.tokens))
            self.tokens_per_second = float(stats.get("tokens_per_second", self.tokens_per_second))
            reason = stats.get("finish_reason")
            if reason == "length" and not note:
                note = self.tr("stopped at the token limit")
        self._set_icon("ready")
        self._show_stats(streaming=False, note=note)

    def stopped(self, note: str | None = None) -> None:
        """Generation was stopped by the user."""
        self._set_icon("cancel")
        self._show_stats(streaming=False, note=self.tr("stopped") if note is None else note)

    def fail(self, message: str) -> None:
        """Show an error instead of an answer."""
        self._set_icon("error")
        self.stats.setText(message)

    def answer(self) -> str:
        """The answer shown (without the reasoning)."""
        return self.text.toPlainText()

    def reasoning(self) -> str:
        """The reasoning in the folded "Thinking" part ("" when the model did not think aloud)."""
        return self.thinking.reasoning()

    def _set_icon(self, kind: str) -> None:
        self._icon_kind = kind
        self.icon.setPixmap(icons.status_icon(kind).pixmap(16, 16) if kind else QPixmap())

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and self._icon_kind:
            self._set_icon(self._icon_kind)  # a pixmap keeps the colours it was drawn with: draw it again

    def _show_stats(self, streaming: bool, note: str = "") -> None:
        speed = self.tr(" · {tokens_per_second:.1f} tok/s").format(
            tokens_per_second=self.tokens_per_second) if self.tokens_per_second > 0 else ""
        tail = f" · {note}" if note else ""
        dots = " …" if streaming else ""
        noun = self.tr("token") if self.tokens == 1 else self.tr("tokens")
        self.stats.setText(f"{self.tokens} {noun}{speed}{tail}{dots}")
