"""Exact token lengths of a training dataset with a model's own tokenizer and chat template, off the GUI thread.

The memory a LoRA step needs grows with the longest batch, not with the "max sequence length" setting: batches are
padded to their longest row (rounded up to ``pad_multiple``), and only rows longer than the maximum are cut. So the
Train page (and the Model page's detail panel) estimate memory with ``min(max_seq_length, longest row)`` once the
real lengths are known. Loading a tokenizer imports mlx-lm, so it runs in a :class:`~mlxstudio.gui.jobs.FunctionJob`;
results are cached per (model, dataset, modification time, reasoning setting).

The rows are counted exactly as the trainer tokenizes them: the run's reasoning setting (Train page's "Reasoning"
row, ``AppState.reasoning``) is resolved against the training rows as the trainer resolves it
(:func:`mlxstudio.core.data.resolve_reasoning`), and every row goes through :func:`mlxstudio.core.data.encode_row`
(``count_all``), the function ``training.batching.tokenize_rows`` uses — so a Qwen3 run that answers directly is
measured without the reasoning it leaves out.

:func:`measured_peak` gives the peak memory of the last finished run of a model (from its ``run.json``), shown next
to the estimate: "≈ 1.1 GB (measured peak of the last run: 0.89 GB)".
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from mlxstudio.core import events
from mlxstudio.gui import jobs, quitting


@dataclass(frozen=True)
class TokenStats:
    """Rendered lengths (chat template included) of a dataset's training rows."""

    rows: int
    longest: int
    mean: float
    reasoning: str | None = None
    """The reasoning setting the rows were rendered with ("direct" / "keep"; None: no thinking switch)."""


_cache: dict[tuple[str, str, float, str], TokenStats] = {}


def mtime(p: Path) -> float:
    """Newest modification time of a dataset file or split folder (0 when unreadable): a changed dataset is a new
    cache key."""
    try:
        if p.is_dir():
            return max((f.stat().st_mtime for f in p.iterdir()), default=0.0)
        return p.stat().st_mtime
    except OSError:
        return 0.0


def cache_key(model: Path, dataset: Path, reasoning: str = "auto") -> tuple[str, str, float, str]:
    return (str(model), str(dataset), mtime(Path(dataset)), reasoning or "auto")


def cached(model: Path | None, dataset: Path | None, reasoning: str = "auto") -> TokenStats | None:
    """The stats already computed for this model + dataset + reasoning setting (None when not known yet)."""
    if model is None or dataset is None:
        return None
    return _cache.get(cache_key(Path(model), Path(dataset), reasoning))


def compute(model: Path, dataset: Path, cancel: Any = None, reasoning: str = "auto") -> TokenStats | None:
    """Count every training row with the model's tokenizer as the trainer renders it with the run's ``reasoning``
    setting ("auto" / "direct" / "keep"; slow-ish: imports mlx-lm; call it off the GUI thread)."""
    from mlxstudio.core.data import count_all, detect_format, load_tokenizer, load_training_data, resolve_reasoning

    rows = list(load_training_data(dataset).get("train", []))
    fmt = detect_format(rows) if rows else None
    if not rows or fmt is None:
        return None
    tokenizer = load_tokenizer(model)
    setting = resolve_reasoning(reasoning, tokenizer, rows)  # as training.reasoning.reasoning_setting resolves it
    counts = [c.total for c in count_all(tokenizer, rows, fmt, cancel=cancel, reasoning=setting) if c is not None]
    if not counts:
        return None
    stats = TokenStats(rows=len(rows), longest=max(counts), mean=sum(counts) / len(counts), reasoning=setting)
    _cache[cache_key(model, dataset, reasoning)] = stats
    return stats


def effective_length(max_seq_length: int, stats: TokenStats | None, pad_multiple: int = 8) -> int:
    """The longest batch a run will see: the longest row padded to ``pad_multiple``, at most ``max_seq_length``."""
    if stats is None or stats.longest <= 0:
        return max_seq_length
    pad = max(1, pad_multiple)
    return min(max_seq_length, int(math.ceil(stats.longest / pad) * pad))


def measured_peak(model_name: str) -> float | None:
    """Peak memory in bytes of the most recent finished run of ``model_name`` (None when there is none)."""
    with contextlib.suppress(Exception):
        from mlxstudio.core.training import runs

        for run in runs.list_runs():
            res = run.meta.get("result")
            if run.model != model_name or not isinstance(res, dict):
                continue
            peak = res.get("peak_memory_gb")
            if isinstance(peak, (int, float)) and peak > 0:
                return float(peak) * 1e9
    return None


class TokenStatsJob(QObject):
    """Computes :class:`TokenStats` for one (model, dataset) at a time; :attr:`ready` fires with the stats."""

    ready = Signal(object)
    """:class:`TokenStats` (or None when the rows could not be counted)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._job: jobs.FunctionJob | None = None
        self._key: tuple[str, str, float, str] | None = None
        self._closed = False
        self._started: set[jobs.FunctionJob] = set()  # the current count and cancelled ones not finished yet

    def request(self, model: Path | None, dataset: Path | None, reasoning: str = "auto") -> TokenStats | None:
        """The cached stats, or None after starting (at most one) background count whose result :attr:`ready`
        delivers. ``reasoning``: the run's setting (``AppState.reasoning``), so the rows are counted as trained."""
        if model is None or dataset is None or not Path(dataset).exists() or not Path(model).is_dir():
            return None
        hit = cached(model, dataset, reasoning)
        if hit is not None or self._closed:
            return hit
        key = cache_key(Path(model), Path(dataset), reasoning)
        if self._job is not None and self._key == key:
            return None  # already counting this one
        self.cancel()
        self._key = key
        m, d = Path(model), Path(dataset)

        def run(_sink: events.Sink, cancel: jobs.CancelFlag) -> TokenStats | None:
            return compute(m, d, cancel, reasoning)

        job = jobs.FunctionJob(self.tr("Counting the dataset's tokens"), run, self)
        job.succeeded.connect(lambda stats, job=job: self._done(job, stats))
        job.failed.connect(lambda _msg, job=job: self._done(job, None))
        job.cancelled.connect(lambda _msg, job=job: self._done(job, None, emit=False))
        # deleted once its thread has ended, never before: a QThread destroyed while it runs aborts the whole app
        # ("QThread: Destroyed while thread is still running", no Python traceback)
        job.finished.connect(lambda job=job: self._started.discard(job))
        job.finished.connect(job.deleteLater)
        self._started.add(job)
        self._job = job
        job.start()
        return None

    def _done(self, job: jobs.FunctionJob, stats: TokenStats | None, emit: bool = True) -> None:
        if job is not self._job:
            return
        self._job = None
        if emit:
            self.ready.emit(stats)

    def cancel(self) -> None:
        """Drop the running count: it stops at its next check (loading a tokenizer cannot be interrupted) and
        deletes itself when its thread ends; its result is ignored. Never blocks the GUI thread."""
        if self._job is not None:
            job, self._job = self._job, None
            job.cancel()

    def shutdown(self, timeout_ms: int = 30_000) -> None:
        """Stop counting for good (the page is closing): later requests only read the cache. Waits for the
        counts still running (also cancelled ones), so no thread outlives this object."""
        self._closed = True
        self.cancel()
        for job in list(self._started):
            job.cancel()
            quitting.stop_thread(job, timeout_ms)  # one that cannot stop in time is kept, never destroyed running

    @property
    def busy(self) -> bool:
        return self._job is not None
