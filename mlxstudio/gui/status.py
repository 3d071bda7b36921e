"""The status bar: compute backend (Metal / CUDA / CPU, OpenBLAS on or off), the active model, the busy job.

At start the backend comes from :func:`core.backend.guess_backend_name` (no MLX import, so the window paints at once);
:meth:`StatusBar.detect_backend` then imports MLX on a background thread (``backend.detect()``) and fills in the
details. The busy part follows :attr:`AppState.step_changed`: any step with ``busy=True`` shows its summary and a
progress bar (indeterminate when its ``progress`` is None).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QProgressBar, QStatusBar, QWidget

from mlxstudio.core.runtime import backend
from mlxstudio.gui import jobs, quitting
from mlxstudio.gui.elided_label import ElidedLabel
from mlxstudio.gui.navigator import title as step_title
from mlxstudio.gui.state import STEPS, AppState, StepStatus


class StatusBar(QStatusBar):
    """Backend │ Model │ busy job with a progress bar."""

    backend_detected = Signal(object)
    """The :class:`core.backend.BackendInfo` once the background detection finished."""

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.backend_info: backend.BackendInfo | None = None
        self._detect_job: jobs.FunctionJob | None = None
        self._busy: dict[str, StepStatus] = {}

        # Eliding labels: at 1024 px the three texts and the progress bar must not push the window wider.
        self.backend_label = ElidedLabel()
        self.backend_label.setObjectName("status-backend")
        self.model_label = ElidedLabel(mode=Qt.TextElideMode.ElideMiddle)
        self.model_label.setObjectName("status-model")
        self.job_label = ElidedLabel()
        self.job_label.setObjectName("status-job")
        self.job_progress = QProgressBar()
        self.job_progress.setObjectName("status-progress")
        self.job_progress.setMinimumWidth(60)
        self.job_progress.setMaximumWidth(140)
        self.job_progress.setMaximumHeight(14)
        self.job_progress.setTextVisible(False)
        for w in (self.backend_label, self.model_label):
            w.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.addPermanentWidget(self.backend_label)
        self.addPermanentWidget(self.model_label)
        self.addPermanentWidget(self.job_label)
        self.addPermanentWidget(self.job_progress)
        self.job_label.setVisible(False)
        self.job_progress.setVisible(False)

        self.set_backend_text(self.tr("Backend: {name} (checking…)").format(name=backend.guess_backend_name()),
                              self.tr("Checking which device MLX computes on…"))
        self._show_model(state.model)
        state.model_changed.connect(self._show_model)
        state.step_changed.connect(self._step_changed)
        for step in STEPS:
            self._step_changed(step, state.step(step))

    # -- backend ---------------------------------------------------------------------------------------------
    def set_backend_text(self, text: str, tooltip: str = "") -> None:
        self.backend_label.setText(text)
        self.backend_label.setToolTip(tooltip)

    def detect_backend(self) -> None:
        """Import MLX off the GUI thread and show the real backend (Metal / CUDA / CPU · OpenBLAS on/off)."""
        if self._detect_job is not None or self.backend_info is not None:
            return
        job = jobs.FunctionJob(self.tr("Checking the compute backend"), lambda sink, cancel: backend.detect(), self)
        job.succeeded.connect(self._backend_ready)
        job.failed.connect(lambda msg: self.set_backend_text(self.tr("Backend: unavailable"), msg))
        self._detect_job = job
        job.start()

    def _backend_ready(self, info: backend.BackendInfo) -> None:
        self.backend_info = info
        tip = self.tr("{note}\nBLAS: {blas}\nTraining precision: {train_dtype}").format(
            note=info.note, blas=info.blas, train_dtype=info.train_dtype)
        self.set_backend_text(self.tr("Backend: {summary}").format(summary=info.summary()), tip)
        self.backend_detected.emit(info)

    def wait(self, timeout_ms: int = 30_000) -> None:
        """Wait for the backend detection thread (at close)."""
        if self._detect_job is not None:
            quitting.stop_thread(self._detect_job, timeout_ms)

    # -- model -----------------------------------------------------------------------------------------------
    def _show_model(self, path: Path | None) -> None:
        if path is None:
            self.model_label.setText(self.tr("Model: none chosen"))
            self.model_label.setToolTip(self.tr("Choose a model on the Model page."))
        else:
            self.model_label.setText(self.tr("Model: {name}").format(name=Path(path).name))
            self.model_label.setToolTip(str(path))

    # -- busy job --------------------------------------------------------------------------------------------
    def _step_changed(self, step: str, status: StepStatus) -> None:
        if status.busy:
            self._busy[step] = status
        else:
            self._busy.pop(step, None)
        self._show_busy()

    def _show_busy(self) -> None:
        if not self._busy:
            self.job_label.setVisible(False)
            self.job_progress.setVisible(False)
            return
        step, status = next(iter(self._busy.items()))
        title = step_title(step)
        text = f"{title} — {status.summary}" if status.summary else f"{title}…"
        if len(self._busy) > 1:
            text += self.tr("  (+{value} more)").format(value=len(self._busy) - 1)
        self.job_label.setText(text)
        self.job_label.setVisible(True)
        self.job_progress.setVisible(True)
        if status.progress is None:
            self.job_progress.setRange(0, 0)
        else:
            self.job_progress.setRange(0, 1000)
            self.job_progress.setValue(round(1000 * min(1.0, max(0.0, status.progress))))
        self.job_label.setToolTip(text)
        self.job_progress.setToolTip(text)
