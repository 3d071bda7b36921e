"""The Model page's download box: the download panel (another helper's widget; tolerated when absent) wired in.

A mixin for :class:`~mlxstudio.gui.pages.model_page.ModelPage`: a finished download is listed and selected (and chosen
when no model was), and a running one is the step's busy state. It uses the page's ``state``, ``refresh``,
``_info_for``, ``use_model`` and ``_publish_step``.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QLabel, QWidget

from mlxstudio.core import logs
from mlxstudio.gui.i18n import translate
from mlxstudio.gui.state import AppState


class DownloadHookup(QWidget):
    """Creates the download panel and follows it (mixed into the page; see the module docstring)."""

    state: AppState
    download_panel: QWidget | None

    if TYPE_CHECKING:  # provided by the page and its other mixins
        def refresh(self, select: Path | None = None) -> bool: ...
        def _info_for(self, path: Path) -> Any: ...
        def use_model(self, info: Any) -> bool: ...
        def _publish_step(self, progress: float | None = None) -> None: ...

    def _make_download_panel(self) -> QWidget:
        try:
            from mlxstudio.gui.download_panel import DownloadPanel
        except (ImportError, AttributeError) as exc:
            logs.get_logger("mlxstudio.gui").info("download panel not available: %s", exc)
            note = QLabel(
                translate("DownloadHookup",
                          "Downloading from ModelScope and Hugging Face is coming in the next build. Meanwhile, "
                          "install the demo model or import a GGUF file."))
            note.setWordWrap(True)
            note.setEnabled(False)
            return note
        try:
            params = inspect.signature(DownloadPanel).parameters
            panel = DownloadPanel(self.state, self) if "state" in params else DownloadPanel(parent=self)
        except Exception as exc:
            logs.log_exception(exc)
            note = QLabel(translate("DownloadHookup",
                                    "The download panel could not be opened ({exc}). The details are in "
                              "the log.").format(exc=exc))
            note.setWordWrap(True)
            return note
        if hasattr(panel, "model_added"):
            panel.model_added.connect(self._model_added)
        if hasattr(panel, "busy_changed") and hasattr(panel, "progress"):
            # a download shows in the navigator and the status bar like an import (seen from any page)
            panel.busy_changed.connect(lambda _busy: self._publish_step())
            panel.progress.connect(lambda e: self._publish_step(e.done / e.total if e.total else None))
        self.download_panel = panel
        return panel

    def _model_added(self, path: Any) -> None:
        self.refresh(select=Path(path))
        if self.state.model is None and path:
            info = self._info_for(Path(path))
            if info is not None and not getattr(info, "problem", None):
                self.use_model(info)
