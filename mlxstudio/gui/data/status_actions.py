"""Status of the Data page: the navigator's summary line, the status line under the grid (rows, errors, warnings,
tokens, filter, split) with the step's readiness, and the window title with its modified mark.

A mixin for :class:`~mlxstudio.gui.pages.data_page.DataPage`: it uses the page's ``model``, ``undo``, ``message``,
``summary``, ``histogram`` and ``state``, and its ``split_stale``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QLabel, QMainWindow, QWidget

from mlxstudio.gui.data.histogram import LengthHistogram
from mlxstudio.gui.data.table_model import DatasetTableModel
from mlxstudio.gui.i18n import translate
from mlxstudio.gui.model.banners import MessageBar
from mlxstudio.gui.state import AppState, StepStatus

UNIT = {"completion": "pair", "chat": "chat", "text": "text"}


class StatusActions(QWidget):
    """The summary, status line and window title (mixed into the page; see the module docstring)."""

    state: AppState
    model: DatasetTableModel
    undo: QUndoStack
    message: MessageBar
    summary: QLabel
    histogram: LengthHistogram
    active: bool
    source: Path | None
    split_folder: Path | None
    _errors_message: bool

    if TYPE_CHECKING:  # provided by the page's split mixin
        def split_stale(self) -> bool: ...

    # -- status and title ----------------------------------------------------------------------------------------------
    def summary_text(self) -> str:
        """“5 pairs · 0 errors” (the navigator's line for this step)."""
        n = len(self.model.ds)
        e = self.model.error_count()
        fmt = self.model.ds.format
        if fmt == "completion":
            text = translate("StatusActions", "{n} pair{s} · {e} error{es}")
        elif fmt == "chat":
            text = translate("StatusActions", "{n} chat{s} · {e} error{es}")
        elif fmt == "text":
            text = translate("StatusActions", "{n} text{s} · {e} error{es}")
        else:
            text = translate("StatusActions", "{n} row{s} · {e} error{es}")
        return text.format(n=n, s="s" * (n != 1), e=e, es="s" * (e != 1))

    def _update_status(self) -> None:
        if not self.active:
            self.summary.setText(translate("StatusActions", "No dataset open."))
            self.state.set_step("data", StepStatus(ready=self.state.dataset is not None,
                                                   summary="" if self.state.dataset is None else
                                                       translate("StatusActions", "dataset saved")))
            return
        text = self.summary_text()
        if self._errors_message and not self.model.error_count():
            self._errors_message = False  # "Fix the 1 error…" stayed on screen after the error was fixed
            self.message.hide()
        w = self.model.warning_count()
        parts = [text, translate("StatusActions", "{w} warning{s}").format(w=w, s="s" * (w != 1))]
        over = self.histogram.truncated_rows()
        if self.histogram.lengths:
            parts.append(translate("StatusActions", "{n} tokens").format(n=sum(self.histogram.lengths)))
            if over:
                parts.append(translate("StatusActions", "{over} too long").format(over=over))
        shown = getattr(self, "_filter_shown", None)
        if shown is not None:
            parts.append(translate("StatusActions", "{shown} shown by the filter").format(shown=shown))
        if self.split_folder is None:
            parts.append(translate("StatusActions", "split not saved yet (Split tab, or Next)"))
        elif self.split_stale():
            parts.append(translate("StatusActions",
                                   "edited since the split was saved in {name} (Next saves it again)").format(
                name=self.split_folder.name))
        else:
            parts.append(translate("StatusActions", "split saved in {name}").format(name=self.split_folder.name))
        self.summary.setText(" · ".join(parts))
        ready = self.state.dataset is not None and self.model.error_count() == 0
        self.state.set_step("data", StepStatus(ready=ready, summary=text))

    def _update_title(self, *_: Any) -> None:
        win = self.window()
        if not isinstance(win, QMainWindow) or not self.active:
            return
        name = self.source.name if self.source else "untitled"
        # the app name last: Linux/Windows append the display name to a title that does not end with it
        # ("MLX Studio — untitled* — MLX Studio")
        win.setWindowTitle(translate("StatusActions", "{name}[*] — MLX Studio").format(name=name))
        win.setWindowModified(not self.undo.isClean())

    def is_modified(self) -> bool:
        return self.active and not self.undo.isClean()
