"""Token wiring of the Data page: the active model's tokenizer (loaded by the
:class:`~mlxstudio.gui.data.token_service.TokenService`), the grid's token counts, the length histogram and the
"What the model sees" view of the current row.

A mixin for :class:`~mlxstudio.gui.pages.data_page.DataPage`: it uses the page's ``tokens``, ``model``, ``table``,
``histogram``, ``token_panel``, ``view_timer`` and ``state``, and its ``_refresh_all`` and ``_update_status``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QTableView, QWidget

from mlxstudio.core.data import row_key
from mlxstudio.gui.data.histogram import LengthHistogram
from mlxstudio.gui.data.table_model import DatasetTableModel
from mlxstudio.gui.data.token_service import TokenService
from mlxstudio.gui.data.token_view import TokenViewPanel
from mlxstudio.gui.i18n import translate
from mlxstudio.gui.state import AppState


class TokenActions(QWidget):
    """Token counts, lengths and the token view (mixed into the page; see the module docstring)."""

    state: AppState
    model: DatasetTableModel
    table: QTableView
    tokens: TokenService
    histogram: LengthHistogram
    token_panel: TokenViewPanel
    view_timer: QTimer
    active: bool
    _view_request: int

    if TYPE_CHECKING:  # provided by the page and its status mixin
        def _refresh_all(self) -> None: ...
        def _update_status(self) -> None: ...

    # -- tokens --------------------------------------------------------------------------------------------------------
    def _model_changed(self, path: Path | None) -> None:
        self.tokens.set_model(path)
        self.model.token_counts.clear()
        self.model.counting = False
        self.histogram.set_lengths([])
        self._refresh_all()

    def _tokenizer_ready(self, name: str) -> None:
        self.tokens.reasoning_mode = self.state.reasoning
        self.token_panel.set_reasoning(self.state.reasoning, self.tokens.thinking_switch)
        self.request_counts()
        self.request_view()

    def _reasoning_changed(self, mode: str) -> None:
        """The run's reasoning setting changed (here or on the Train page): render and count with it."""
        self.tokens.reasoning_mode = mode
        self.token_panel.set_reasoning(mode, self.tokens.thinking_switch)
        self.model.token_counts.clear()
        self.request_counts()
        self.view_timer.start()

    def _tokenizer_failed(self, message: str) -> None:
        self.model.counting = False
        self.token_panel.show_message(translate("TokenActions",
                                                "Token counts are not available: {message}").format(message=message))

    def request_counts(self) -> None:
        if not self.active or self.tokens.tokenizer is None:
            return
        started = self.tokens.request_counts(self.model.ds.rows, self.model.ds.format, set(self.model.token_counts))
        self.model.counting = started
        if not started:
            self._update_histogram()

    def _counts_ready(self, counts: dict[Any, Any]) -> None:
        self.model.counting = self.tokens.counting
        self.model.set_token_counts(counts)
        self._update_histogram()

    def _update_histogram(self) -> None:
        counts = [self.model.token_counts.get(row_key(r)) for r in self.model.ds.rows]
        lengths = [c.total for c in counts if c is not None]
        self.histogram.set_lengths(lengths, missing=sum(c is None for c in counts))
        self._update_status()

    def _max_len_changed(self, value: int) -> None:
        self.model.max_seq_length = value
        self.model.schedule_validation()
        self.view_timer.start()

    def request_view(self) -> None:
        if not self.active or len(self.model.ds) == 0:
            self.token_panel.show_message(translate("TokenActions",
                                                    "Select a row to see what the model is trained on."))
            return
        if self.state.model is None:
            self.token_panel.show_message(translate(
                "TokenActions", "Choose a model in step 1 to see how each row is tokenized and which tokens are "
                "trained."))
            return
        if self.tokens.tokenizer is None:
            self.token_panel.show_message(translate("TokenActions",
                                                    "Loading the model's tokenizer…") if self.tokens.loading else
                                          translate("TokenActions", "The model's tokenizer is not available."))
            return
        cur = self.table.currentIndex()
        row = cur.row() if cur.isValid() else 0
        reasoning = self.tokens.rendering(self.model.ds.rows)
        self.token_panel.show_resolved(reasoning)
        self._view_request = self.tokens.request_view(self.model.ds.get_row(row), self.model.ds.format,
                                                      self.histogram.max_len.value(), reasoning=reasoning)

    def _view_ready(self, rid: int, result: Any) -> None:
        if rid != self._view_request:
            return
        if isinstance(result, str):
            self.token_panel.show_message(result)
        else:
            self.token_panel.show_view(result)
