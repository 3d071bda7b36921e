"""Fuse & Test → Export → "Open in LM Studio" / "Create in Ollama": hand the tuned model to the apps people chat in.

Both need the fused model (the page offers to fuse first). LM Studio gets the MLX folder on a Mac (it runs MLX models
there) and a GGUF elsewhere; Ollama gets the GGUF + Modelfile and ``ollama create``. A GGUF is exported into
``<MLX Studio home>/exports/<model>-gguf`` (in the worker process) unless one is there already. The engine part is
:mod:`mlxstudio.core.inference.handoff`; this module only runs it and shows the results.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QMessageBox, QPlainTextEdit, QVBoxLayout, QWidget

from mlxstudio.core import errors, paths
from mlxstudio.core import events as ev
from mlxstudio.core.inference import handoff
from mlxstudio.gui import jobs
from mlxstudio.gui.qworker import WorkerThread


class OllamaDialog(QDialog):
    """Shows ``ollama create``'s output as it comes, then how to run the model."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ollama-dialog")
        self.setWindowTitle(self.tr("Create in Ollama"))
        self.head = QLabel(self.tr("Creating <b>{name}</b> in Ollama…").format(name=name))
        self.head.setWordWrap(True)
        self.output = QPlainTextEdit()
        self.output.setReadOnly(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.head)
        lay.addWidget(self.output, 1)
        lay.addWidget(self.buttons)
        self.resize(620, 360)

    def add_line(self, text: str) -> None:
        self.output.appendPlainText(text)


class Handoff(QObject):
    """The two hand-off actions of a page. ``need_fused()`` returns the fused model (fusing first when asked) or
    None; ``message`` goes to the page's status line."""

    message = Signal(str)
    busy_changed = Signal(bool)

    def __init__(self, need_fused: Callable[[], Path | None], parent: QWidget) -> None:
        super().__init__(parent)
        self._parent = parent
        self.need_fused = need_fused
        self.prefer_mlx = sys.platform == "darwin"  # LM Studio runs MLX folders on Apple silicon only
        self.lmstudio_home: Path | None = None  # None: the real home folder (tests give a fake one)
        self.worker: WorkerThread | None = None
        self.job: jobs.FunctionJob | None = None
        self.dialog: OllamaDialog | None = None
        self.last_result: dict[str, Any] = {}

    @property
    def busy(self) -> bool:
        return self.worker is not None or self.job is not None

    def _tell(self, title: str, text: str) -> None:
        QMessageBox.information(self._parent, title, text)

    # -- LM Studio ---------------------------------------------------------------------------------------------
    def open_in_lmstudio(self) -> None:
        """Put the fused model into LM Studio's library (MLX folder on a Mac, else a GGUF)."""
        try:
            handoff.lmstudio_models_dir(self.lmstudio_home)
        except handoff.AppMissing as exc:
            self._tell(self.tr("LM Studio"), str(exc))
            return
        fused = self.need_fused()
        if fused is None or self.busy:
            return
        if self.prefer_mlx:
            self._place(fused, fused.name)
        else:
            self._with_gguf(fused, lambda gguf, _mf: self._place(gguf, fused.name))

    def _place(self, source: Path, name: str) -> None:
        try:
            target = handoff.place_in_lmstudio(source, name, home=self.lmstudio_home)
        except (errors.UserError, OSError) as exc:
            self.message.emit(self.tr("<b>LM Studio:</b> {exc}").format(exc=exc))
            return
        self.last_result = {"lmstudio": str(target)}
        self.message.emit(self.tr("In LM Studio's library as <b>{PUBLISHER}/{name}</b> — open LM Studio "
                              "→ My Models (or restart it) and load it.").format(PUBLISHER=handoff.PUBLISHER,
                                      name=target.name))

    # -- Ollama ------------------------------------------------------------------------------------------------
    def create_in_ollama(self) -> None:
        """Export the GGUF + Modelfile (if needed) and run ``ollama create``, showing its output."""
        exe = handoff.find_ollama()
        if exe is None:
            self._tell(self.tr("Ollama"), self.tr("Ollama is not installed (no `ollama` command found). Get it from "
                                     "{OLLAMA_URL}, start it, then try again.").format(OLLAMA_URL=handoff.OLLAMA_URL))
            return
        fused = self.need_fused()
        if fused is None or self.busy:
            return
        self._with_gguf(fused, lambda _gguf, modelfile: self._ollama_create(modelfile, fused.name, exe))

    def _ollama_create(self, modelfile: Path, name: str, exe: str) -> None:
        model = handoff.ollama_name(name)
        self.dialog = OllamaDialog(model, self._parent)
        self.dialog.show()
        job = jobs.FunctionJob(self.tr("Creating the model in Ollama"),
                               lambda sink, cancel: handoff.create_in_ollama(modelfile, model, sink, cancel, exe), self)
        job.core_event.connect(lambda e: self.dialog.add_line(e.message) if isinstance(e, ev.Log)
                               and self.dialog is not None else None)
        job.succeeded.connect(self._ollama_done)
        job.failed.connect(self._ollama_failed)
        job.finished.connect(lambda: self._job_done(job))
        self.job = job
        self.busy_changed.emit(True)
        job.start()

    def _ollama_done(self, result: dict[str, str]) -> None:
        self.last_result = dict(result)
        text = self.tr("Created <b>{result}</b> in Ollama. Chat with it: "
                   "<code>{result2}</code>").format(result=result['name'], result2=result['run'])
        if self.dialog is not None:
            self.dialog.head.setText(text)
        self.message.emit(text)

    def _ollama_failed(self, text: str) -> None:
        self.last_result = {"error": text}
        if self.dialog is not None:
            self.dialog.head.setText(self.tr("<b>ollama create failed.</b> {value}").format(value=text.splitlines()[0]))
        self.message.emit(f"<b>Ollama:</b> {text.splitlines()[0]}")

    def _job_done(self, job: jobs.FunctionJob) -> None:
        if self.job is job:
            self.job = None
        job.deleteLater()
        self.busy_changed.emit(self.busy)

    # -- the GGUF both may need ----------------------------------------------------------------------------------
    @staticmethod
    def gguf_folder(fused: Path) -> Path:
        """Where the hand-offs keep the GGUF + Modelfile of ``fused``."""
        return paths.home() / "exports" / f"{fused.name}-gguf"

    def _with_gguf(self, fused: Path, then: Callable[[Path, Path], None]) -> None:
        folder = self.gguf_folder(fused)
        ggufs = sorted(folder.glob("*.gguf")) if folder.is_dir() else []
        if ggufs and (folder / self.tr("Modelfile")).is_file():
            then(ggufs[0], folder / self.tr("Modelfile"))
            return
        try:
            from mlxstudio.core.inference import check_gguf_exportable

            check_gguf_exportable(fused)
        except errors.UserError as exc:
            self._tell(self.tr("GGUF export"), str(exc))
            return
        worker = WorkerThread("export", {"kind": "gguf", "model": str(fused), "dest": str(folder)}, parent=self)
        worker.progress.connect(lambda e: self.message.emit(self.tr("Writing the GGUF: {message}…").format(
            message=e.message)))
        worker.finished_ok.connect(lambda r: then(Path(r["path"]), Path(r["modelfile"])))
        worker.failed.connect(lambda m: self.message.emit(self.tr("<b>GGUF export failed:</b> {m}").format(m=m)))
        worker.finished.connect(lambda: self._worker_done(worker))
        self.worker = worker
        self.busy_changed.emit(True)
        self.message.emit(self.tr("Writing the GGUF…"))
        worker.start()

    def _worker_done(self, worker: WorkerThread) -> None:
        if self.worker is worker:
            self.worker = None
        worker.deleteLater()
        self.busy_changed.emit(self.busy)

    def shutdown(self) -> None:
        """Stop what runs (the app is closing)."""
        if self.worker is not None:
            self.worker.stop_and_wait(3.0)
        if self.job is not None:
            self.job.cancel()
