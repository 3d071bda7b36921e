"""The one event vocabulary of every long job (download, import, training, fuse, generation, evaluation).

Events are small frozen dataclasses. The CLI prints them, a worker process streams them as JSON lines
(:func:`to_json` / :func:`from_json`) and the GUI turns them into Qt signals. Add new event types here, register
them with :func:`event`, and every consumer can round-trip them.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Callable
from typing import Any, TypeVar, cast, dataclass_transform

CancelCheck = Callable[[], bool] | threading.Event | None
"""Something that says whether to stop: a callable returning True, a set ``threading.Event``, or None."""


def is_cancelled(cancel: CancelCheck) -> bool:
    """True when ``cancel`` (a callable, a threading.Event or None) asks to stop."""
    if cancel is None:
        return False
    if isinstance(cancel, threading.Event):
        return cancel.is_set()
    return bool(cancel())


_REGISTRY: dict[str, type[Event]] = {}
E = TypeVar("E", bound="type[Event]")


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field,))
def event(cls: E) -> E:
    """Class decorator: make ``cls`` a frozen dataclass and register it for JSON round-trips."""
    dc = dataclasses.dataclass(frozen=True)(cls)
    _REGISTRY[cls.__name__] = dc
    return cast(E, dc)


class Event:
    """Base of all events. ``kind`` is the class name; it is the ``"event"`` key in JSON."""

    @property
    def kind(self) -> str:
        return type(self).__name__

    def to_dict(self) -> dict[str, Any]:
        return {"event": self.kind, **dataclasses.asdict(self)}  # type: ignore[call-overload]


@event
class Progress(Event):
    """Generic progress of a step of a job. ``total`` is None when unknown. ``unit`` is e.g. "B", "it", "row"."""

    job: str
    done: float
    total: float | None = None
    unit: str = ""
    message: str = ""


@event
class Log(Event):
    """A line for the log panel. ``level`` is "info", "warning" or "error"."""

    message: str
    level: str = "info"


@event
class DownloadProgress(Event):
    """Bytes of a model download: per file and in total. ``speed`` in bytes/s, ``eta`` in seconds (None: unknown)."""

    file: str
    file_done: int
    file_total: int
    done: int
    total: int
    speed: float = 0.0
    eta: float | None = None


@event
class TrainReport(Event):
    """A training-loss report, as mlx-lm's ``on_train_loss_report`` gives it (every ``steps_per_report`` steps)."""

    iteration: int
    train_loss: float
    learning_rate: float
    iterations_per_second: float
    tokens_per_second: float
    trained_tokens: int
    peak_memory: float
    total_iterations: int = 0
    elapsed: float = 0.0


@event
class ValReport(Event):
    """A validation-loss report."""

    iteration: int
    val_loss: float
    val_time: float


@event
class CheckpointSaved(Event):
    """A complete checkpoint (adapter weights + optimizer + position) was written atomically."""

    iteration: int
    path: str


@event
class Token(Event):
    """One piece of streamed generation. ``source`` names the pane ("base", "tuned", "fused"…)."""

    text: str
    source: str = ""
    tokens_per_second: float = 0.0


@event
class EvalRowDone(Event):
    """One row of a batch evaluation is scored. ``row`` is ``evaluate.EvalRow.to_dict()`` (answers, scores, flags)."""

    index: int
    total: int
    row: dict[str, Any] = dataclasses.field(default_factory=dict)


@event
class Finished(Event):
    """The job completed. ``result`` carries job-specific JSON-able data (paths, answers, timings)."""

    job: str
    message: str = ""
    result: dict[str, Any] = dataclasses.field(default_factory=dict)


@event
class Failed(Event):
    """The job failed. ``message`` is one clear sentence for the user; ``detail`` the traceback for the log file."""

    job: str
    message: str
    detail: str = ""


@event
class Cancelled(Event):
    """The job stopped because the user asked it to. ``message`` says what was kept (e.g. the adapter path)."""

    job: str
    message: str = ""


Sink = Callable[[Event], None]
"""A function that receives events. Long jobs take a ``sink`` argument and call it for each event."""


def null_sink(_: Event) -> None:
    """A sink that drops every event."""


def to_json(ev: Event) -> str:
    """One JSON line (no newline) for ``ev``."""
    return json.dumps(ev.to_dict(), ensure_ascii=False, allow_nan=True)


def from_dict(data: dict[str, Any]) -> Event:
    """Rebuild an event from :meth:`Event.to_dict` output. Unknown keys are ignored (newer worker, older GUI)."""
    name = data.get("event")
    cls = _REGISTRY.get(str(name))
    if cls is None:
        raise ValueError(f"unknown event type {name!r}")
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    return cls(**{k: v for k, v in data.items() if k in names})


def from_json(line: str) -> Event:
    """Parse one JSON line written by :func:`to_json`."""
    return from_dict(json.loads(line))
