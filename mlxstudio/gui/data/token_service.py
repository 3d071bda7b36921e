"""Token counts and token views off the GUI thread, with the active model's tokenizer (only the tokenizer is loaded).

Each request runs as a :class:`mlxstudio.gui.jobs.FunctionJob`; a newer request cancels the older one of the same
kind. Counts are keyed by row content (``row_key``), so moving, undoing or re-opening rows reuses them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from mlxstudio.core import events
from mlxstudio.core.data import (
    TokenCount,
    count_tokens,
    load_tokenizer,
    resolve_reasoning,
    row_key,
    supports_thinking_switch,
    token_view,
)
from mlxstudio.core.errors import Cancelled, ModelError
from mlxstudio.gui import jobs, quitting


class TokenService(QObject):
    """Loads a tokenizer and answers count / view requests asynchronously."""

    tokenizer_ready = Signal(str)
    """The tokenizer of the model (its folder name) is loaded."""
    tokenizer_failed = Signal(str)
    """The tokenizer could not be loaded (the message says why)."""
    counts_ready = Signal(object)
    """dict row_key → TokenCount | None, for the rows asked."""
    counts_progress = Signal(int, int)
    """(rows done, rows asked) while counting."""
    view_ready = Signal(int, object)
    """(request id, TokenView) or (request id, str error message)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.tokenizer: Any = None
        self.model_path: Path | None = None
        self.thinking_switch = False
        self.reasoning_mode = "auto"  # the run's setting (AppState.reasoning): counts and views render with it
        self._load_job: jobs.FunctionJob | None = None
        self._count_job: jobs.FunctionJob | None = None
        self._view_job: jobs.FunctionJob | None = None
        self._view_id = 0
        self._jobs: set[jobs.FunctionJob] = set()
        self._closed = False

    # -- tokenizer ----------------------------------------------------------------------------------------------
    def set_model(self, path: Path | None) -> None:
        """Use the tokenizer of the model folder ``path`` (None: no model, no token counts)."""
        if self._closed or (path == self.model_path and (self.tokenizer is not None or self._load_job is not None)):
            return
        self.model_path = path
        self.tokenizer = None
        self._cancel(self._count_job)
        self._cancel(self._view_job)
        if path is None:
            return

        def load(_sink: events.Sink, _cancel: jobs.CancelFlag) -> Any:
            return load_tokenizer(path)

        job = self._start(self.tr("Loading the tokenizer"), load)
        self._load_job = job
        job.succeeded.connect(lambda tok, job=job, p=path: self._loaded(job, p, tok))
        job.failed.connect(lambda msg, job=job: self._load_failed(job, msg))

    def _loaded(self, job: jobs.FunctionJob, path: Path, tok: Any) -> None:
        if job is not self._load_job:
            return
        self._load_job = None
        self.tokenizer = tok
        self.thinking_switch = supports_thinking_switch(tok)
        self.tokenizer_ready.emit(path.name)

    def _load_failed(self, job: jobs.FunctionJob, message: str) -> None:
        if job is self._load_job:
            self._load_job = None
            self.tokenizer_failed.emit(message)

    @property
    def loading(self) -> bool:
        return self._load_job is not None

    # -- counts -------------------------------------------------------------------------------------------------
    def request_counts(self, rows: list[dict[str, Any]], fmt: str, known: set[Any] | None = None) -> bool:
        """Count the tokens of ``rows`` not in ``known`` (row keys). Returns False when there is nothing to do."""
        tok = self.tokenizer
        if tok is None:
            return False
        known = known or set()
        todo: dict[Any, dict[str, Any]] = {}
        for r in rows:
            k = row_key(r)
            if k not in known and k not in todo:
                todo[k] = r
        self._cancel(self._count_job)
        if not todo:
            return False
        items = list(todo.items())
        reasoning = self.rendering(rows)

        def count(sink: events.Sink, cancel: jobs.CancelFlag) -> dict[Any, TokenCount | None]:
            out: dict[Any, TokenCount | None] = {}
            for i, (k, r) in enumerate(items):
                if i % 64 == 0:
                    if cancel():
                        raise Cancelled()
                    sink(events.Progress("tokens", i, len(items), "row"))
                try:
                    out[k] = count_tokens(tok, r, fmt, reasoning=reasoning)
                except ModelError:
                    raise
                except Exception:  # an invalid row: validation reports it; its count is unknown
                    out[k] = None
            return out

        job = self._start(self.tr("Counting tokens"), count)
        job.setProperty("tokenizer_id", id(tok))
        self._count_job = job
        job.core_event.connect(lambda ev: self.counts_progress.emit(int(ev.done), int(ev.total or 0))
                          if isinstance(ev, events.Progress) else None)
        job.succeeded.connect(lambda result, job=job: self._counted(job, result))
        job.failed.connect(lambda msg, job=job: self._count_failed(job, msg))
        return True

    def _counted(self, job: jobs.FunctionJob, result: dict[Any, TokenCount | None]) -> None:
        if job is self._count_job:
            self._count_job = None
        if job.property("tokenizer_id") == id(self.tokenizer):  # not counts of a model no longer active
            self.counts_ready.emit(result)

    def _count_failed(self, job: jobs.FunctionJob, message: str) -> None:
        if job is self._count_job:
            self._count_job = None
            self.tokenizer_failed.emit(message)

    @property
    def counting(self) -> bool:
        return self._count_job is not None

    # -- one row's view -----------------------------------------------------------------------------------------
    def rendering(self, rows: Any) -> str | None:
        """The reasoning setting the trainer resolves for ``rows`` (None: the template has no thinking switch)."""
        if self.tokenizer is None:
            return None
        return resolve_reasoning(self.reasoning_mode, self.tokenizer, rows)

    def request_view(self, row: dict[str, Any], fmt: str, max_seq_length: int | None,
                     template_kwargs: dict[str, Any] | None = None, reasoning: str | None = None) -> int:
        """Render one row token by token (as the trainer does with ``reasoning``, see :meth:`rendering`); the
        answer comes on :attr:`view_ready` with the returned id."""
        self._view_id += 1
        rid = self._view_id
        tok = self.tokenizer
        if tok is None:
            return rid
        self._cancel(self._view_job)

        def render(_sink: events.Sink, _cancel: jobs.CancelFlag) -> Any:
            try:
                return token_view(tok, row, fmt, True, max_seq_length, template_kwargs, reasoning)
            except ModelError as exc:
                return str(exc)
            except Exception:  # the row is invalid (missing keys, wrong types): validation explains it
                return self.tr("This row cannot be rendered yet — fix the problems shown for it.")

        job = self._start(self.tr("Rendering the row"), render)
        self._view_job = job
        job.succeeded.connect(lambda result, rid=rid: self.view_ready.emit(rid, result))
        job.failed.connect(lambda msg, rid=rid: self.view_ready.emit(rid, msg))
        return rid

    # -- plumbing -----------------------------------------------------------------------------------------------
    def _start(self, name: str, fn: Any) -> jobs.FunctionJob:
        if self._closed:
            raise RuntimeError("the token service was shut down")
        job = jobs.FunctionJob(name, fn, self)
        self._jobs.add(job)
        job.finished.connect(lambda job=job: self._jobs.discard(job))
        job.start()
        return job

    @staticmethod
    def _cancel(job: jobs.FunctionJob | None) -> None:
        if job is not None:
            job.cancel()

    def busy(self) -> bool:
        return any(j.isRunning() for j in self._jobs)

    def shutdown(self, timeout_ms: int = 10_000) -> None:
        """Cancel and wait for every job (no thread outlives the page); no new job starts afterwards."""
        self._closed = True
        self.tokenizer = None
        for job in list(self._jobs):
            job.cancel()
        for job in list(self._jobs):
            quitting.stop_thread(job, timeout_ms)  # one that cannot stop in time is kept, never destroyed running
        self._jobs.clear()
        self._load_job = self._count_job = self._view_job = None
