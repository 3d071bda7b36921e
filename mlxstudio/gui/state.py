"""What the pages share: the active model, the dataset, the latest adapter, and each step's status.

One :class:`AppState` lives in the main window and is passed to every page. Pages read and set it; the step navigator
and the status bar listen to :attr:`AppState.changed` and :attr:`AppState.step_changed`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal

STEPS = ("model", "data", "train", "test")
"""The four steps, in order: Model → Data → Train → Fuse & Test."""


@dataclass(frozen=True)
class StepStatus:
    """Whether a step's output exists (``ready``), a one-line summary for the navigator, and ``busy`` work.

    ``progress`` (0..1, or None for "unknown") is shown in the status bar while ``busy``.
    """

    ready: bool = False
    summary: str = ""
    busy: bool = False
    progress: float | None = None


class AppState(QObject):
    """Shared state of the window. Setters emit only on change."""

    changed = Signal()
    """Anything changed (model, dataset, adapter)."""
    step_changed = Signal(str, object)
    """(step id, StepStatus) — a step became ready/not ready, or its summary changed."""
    model_changed = Signal(object)
    """The active model folder (Path) or None."""
    dataset_changed = Signal(object)
    """The dataset the Train page should use (a folder with train/valid[/test].jsonl, or a file) or None."""
    adapter_changed = Signal(object)
    """The latest adapter folder (Path) or None — the Fuse & Test page's input."""
    show_page = Signal(str)
    """Ask the window to switch to a step (e.g. "Test this checkpoint" → "test")."""
    reasoning_changed = Signal(str)
    """The run's reasoning setting ("auto", "direct", "keep"; Train page's form): the Data page renders with it."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._model: Path | None = None
        self._dataset: Path | None = None
        self._adapter: Path | None = None
        self._reasoning = "auto"
        self._steps: dict[str, StepStatus] = {s: StepStatus() for s in STEPS}

    # -- active model ------------------------------------------------------------------------------------------
    @property
    def model(self) -> Path | None:
        return self._model

    def set_model(self, path: Path | None) -> None:
        if path != self._model:
            self._model = path
            self.model_changed.emit(path)
            self.changed.emit()

    # -- dataset -----------------------------------------------------------------------------------------------
    @property
    def dataset(self) -> Path | None:
        return self._dataset

    def set_dataset(self, path: Path | None) -> None:
        if path != self._dataset:
            self._dataset = path
            self.dataset_changed.emit(path)
            self.changed.emit()

    # -- adapter -----------------------------------------------------------------------------------------------
    @property
    def adapter(self) -> Path | None:
        return self._adapter

    def set_adapter(self, path: Path | None) -> None:
        if path != self._adapter:
            self._adapter = path
            self.adapter_changed.emit(path)
            self.changed.emit()

    # -- reasoning setting (thinking models) -------------------------------------------------------------------
    @property
    def reasoning(self) -> str:
        return self._reasoning

    def set_reasoning(self, mode: str) -> None:
        if mode and mode != self._reasoning:
            self._reasoning = mode
            self.reasoning_changed.emit(mode)

    # -- step status -------------------------------------------------------------------------------------------
    def step(self, step: str) -> StepStatus:
        return self._steps[step]

    def set_step(self, step: str, status: StepStatus) -> None:
        if step not in self._steps:
            raise KeyError(step)
        if status != self._steps[step]:
            self._steps[step] = status
            self.step_changed.emit(step, status)
