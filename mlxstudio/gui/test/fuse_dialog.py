"""The Fuse dialog: name the fused model, optionally dequantize, watch the progress; the result lands in the library.

The adapter is checked against the model when the dialog opens (fast, headers only), so a mismatched adapter is
refused before anything runs. The fuse itself runs in the worker process (job "fuse").
"""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from mlxstudio.core import errors, paths
from mlxstudio.core import events as ev
from mlxstudio.core.inference import check_adapter_matches
from mlxstudio.gui import quitting
from mlxstudio.gui.qworker import WorkerThread

_NAME_OK = re.compile(r"^[\w][\w.\-+ ]*$", re.UNICODE)


def default_fused_name(model: Path, adapter: Path) -> str:
    """``<model>-<run>`` (the adapter's run folder name; a checkpoint adds ``-it<N>``). A run folder is named
    ``<time>-<model>``: the model's name is not repeated (``SmolLM2-135M-Instruct-20261129-091704``)."""
    run_dir, suffix = adapter, ""
    if adapter.parent.name in {"checkpoints", "checkpoint-adapters"}:
        run_dir = adapter.parent.parent
        suffix = f"-it{int(adapter.name) if adapter.name.isdigit() else adapter.name}"
    run = run_dir.name
    if run.endswith(f"-{model.name}") and len(run) > len(model.name) + 1:
        run = run[: -len(model.name) - 1]
    return f"{model.name}-{run}{suffix}"


class FuseDialog(QDialog):
    """Fuse ``adapter`` into ``model``; :attr:`fused_path` is set when it succeeded."""

    def __init__(self, model: Path, adapter: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Fuse adapter into the model"))
        self.model = model
        self.adapter = adapter
        self.fused_path: Path | None = None
        self.worker: WorkerThread | None = None
        self.problem: str | None = None

        intro = QLabel(self.tr("Bake the adapter <b>{name}</b> into <b>{name2}</b> to get a "
                           "standalone model you can share or load anywhere mlx-lm runs. The new "
                           "model appears in the model library.").format(name=adapter.name, name2=model.name))
        intro.setWordWrap(True)
        self.name = QLineEdit(default_fused_name(model, adapter))
        self.name.textChanged.connect(self._validate)
        self.dequantize = QCheckBox(self.tr("Dequantize (store full-precision weights)"))
        self.dequantize.setToolTip(
            self.tr("Larger files, no re-quantization rounding of the adapter's changes. Not needed "
                                   "for GGUF export, which writes float16 either way."))
        quantized = _is_quantized(model)
        self.dequantize.setEnabled(quantized)
        if not quantized:
            self.dequantize.setToolTip(self.tr("The model is not quantized: its weights are already full precision."))
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.progress = QProgressBar()
        self.progress.setRange(0, 5)
        self.progress.setValue(0)
        self.progress.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.fuse_button = self.buttons.addButton(self.tr("Fuse"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.fuse_button.setDefault(True)
        self.buttons.accepted.connect(self.start)
        self.buttons.rejected.connect(self._cancel)

        form = QFormLayout()
        form.addRow(self.tr("Name in the library"), self.name)
        form.addRow("", self.dequantize)
        lay = QVBoxLayout(self)
        lay.addWidget(intro)
        lay.addLayout(form)
        lay.addWidget(self.progress)
        lay.addWidget(self.note)
        lay.addWidget(self.buttons)
        self.resize(520, self.sizeHint().height())

        try:
            check_adapter_matches(model, adapter)
        except errors.UserError as exc:
            self.problem = str(exc)
        self._validate()
        self.resize(560, self.sizeHint().height())

    def _say(self, text: str) -> None:
        self.note.setText(text)
        self._fit()

    def _fit(self) -> None:
        """Grow to fit wrapped text and the progress bar (Qt does not grow a dialog for a word-wrapped label's new
        height: the rows would overlap)."""
        lay = self.layout()
        if lay is None:
            return
        lay.activate()
        need = lay.totalHeightForWidth(self.width()) if lay.hasHeightForWidth() else lay.totalSizeHint().height()
        if need > self.height():
            self.resize(self.width(), need)

    def target(self) -> Path:
        return paths.models_dir() / self.name.text().strip()

    def _validate(self) -> None:
        if self.problem:
            self._say(self.tr("<b>This adapter cannot be fused into this model.</b><br>{problem}").format(
                problem=self.problem))
            self.fuse_button.setEnabled(False)
            self.name.setEnabled(False)
            return
        name = self.name.text().strip()
        ok = bool(name) and bool(_NAME_OK.match(name)) and name not in {".", ".."}
        if not ok:
            self._say(self.tr("Use letters, digits, spaces, '-', '_' or '.' for the name."))
        elif self.target().exists():
            self._say(self.tr("A model named {name!r} exists; fusing replaces it.").format(name=name))
        else:
            self._say("")
        self.fuse_button.setEnabled(ok and self.worker is None)

    def start(self) -> None:
        """Run the fuse in the worker process."""
        if self.worker is not None or self.problem:
            return
        target = self.target()
        if target.exists():
            answer = QMessageBox.question(self,
                self.tr("Replace model?"), self.tr("Replace the existing model {name!r}?").format(
                name=target.name))
            if answer != QMessageBox.StandardButton.Yes:
                return
        self.progress.show()
        self._fit()
        self.name.setEnabled(False)
        self.dequantize.setEnabled(False)
        self.fuse_button.setEnabled(False)
        self._say(self.tr("Starting…"))
        params = {"model": str(self.model), "adapter_path": str(self.adapter), "name": self.name.text().strip(),
                  "dequantize": self.dequantize.isChecked()}
        # no Qt parent: the thread object must outlive the dialog until its finished signal is delivered
        self.worker = WorkerThread("fuse", params)
        self.worker.progress.connect(self._on_progress)
        self.worker.finished_ok.connect(self._on_done)
        self.worker.failed.connect(self._on_failed)
        self.worker.cancelled.connect(self._on_cancelled)
        self.worker.finished.connect(self._on_thread_done)
        self.worker.start()

    def _on_progress(self, event: ev.Progress) -> None:
        if event.job == "fuse":
            self.progress.setRange(0, int(event.total or 5))
            self.progress.setValue(int(event.done))
            self._say(event.message.capitalize() + "…" if event.message != "done" else self.tr("Done."))

    def _on_done(self, result: dict) -> None:
        self.fused_path = Path(result["path"])
        self._say(self.tr("Fused model saved as <b>{name}</b>.").format(name=self.fused_path.name))
        self.accept()

    def _on_failed(self, message: str) -> None:
        self._say(self.tr("<b>Fusing failed.</b><br>{message}").format(message=message))
        self.progress.hide()
        self._fit()

    def _on_cancelled(self, _message: str) -> None:
        self._say(self.tr("Cancelled; nothing was written."))
        self.progress.hide()
        self._fit()

    def _on_thread_done(self) -> None:
        if self.worker is not None:
            self.worker.deleteLater()
        self.worker = None
        if self.fused_path is None and not self.problem:
            self.name.setEnabled(True)
            self.dequantize.setEnabled(_is_quantized(self.model))
            self._validate()

    def _cancel(self) -> None:
        if self.worker is not None:
            self.worker.stop(timeout=5.0)
            self._say(self.tr("Stopping…"))
            return
        self.reject()

    def done(self, result: int) -> None:
        if self.worker is not None:  # never leave the thread running behind a closed dialog
            if result == QDialog.DialogCode.Rejected:
                self.worker.stop_and_wait(3.0)
            else:
                quitting.stop_thread(self.worker, 8000)
        super().done(result)


def _is_quantized(model: Path) -> bool:
    import json

    try:
        cfg = json.loads((model / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return bool(cfg.get("quantization") or cfg.get("quantization_config"))
