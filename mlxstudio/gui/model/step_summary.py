"""The Model step's line in the navigator and the status bar: the active model, or the import / download running.

A mixin for :class:`~mlxstudio.gui.pages.model_page.ModelPage`: it reads the page's ``state``, ``_active_info``,
``job`` and ``_job_title`` and its ``download_panel``, and publishes a :class:`~mlxstudio.gui.state.StepStatus`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QWidget

from mlxstudio.gui import jobs
from mlxstudio.gui.model.format import model_summary
from mlxstudio.gui.state import AppState, StepStatus


class StepSummary(QWidget):
    """The step's summary and busy state (mixed into the page; see the module docstring)."""

    state: AppState
    job: jobs.FunctionJob | None
    _job_title: str
    _active_info: Any
    download_panel: QWidget | None

    def step_summary(self) -> str:
        """The navigator line for the active model."""
        if self.state.model is None:
            return self.tr("Choose a model")
        if self._active_info is not None:
            return model_summary(self._active_info)
        return Path(self.state.model).name

    def _downloading(self) -> str:
        """The model id being downloaded ("" when no download runs)."""
        panel = self.download_panel
        is_busy = getattr(panel, "is_busy", None) if panel is not None else None
        if not callable(is_busy) or not is_busy():
            return ""
        model_id = getattr(panel, "model_id", None)
        return model_id.text().strip() if model_id is not None else self.tr("a model")

    def _publish_step(self, progress: float | None = None) -> None:
        downloading = self._downloading()
        busy = self.job is not None or bool(downloading)
        summary = self.step_summary()
        if busy:
            pct = "" if progress is None else f" {round(100 * progress)}%"
            title = self._job_title if self.job is not None else self.tr("Downloading {downloading}").format(
                downloading=downloading)
            summary = f"{title}{pct}"
        self.state.set_step("model", StepStatus(ready=self.state.model is not None, summary=summary, busy=busy,
                                                progress=progress if busy else None))
