"""Fuse & Test page: prove the fine-tune worked (base | tuned side by side, batch evaluation), then ship it
(fuse into the library, export a model folder, a GGUF + Ollama Modelfile, or the adapter alone; serve it as an
OpenAI-compatible API (:mod:`~mlxstudio.gui.test.serve_panel`); hand it to LM Studio or Ollama
(:mod:`~mlxstudio.gui.test.handoff_actions`)).

The page is thin: generation, evaluation, fusing and exports run in the engine's worker process
(:class:`~mlxstudio.gui.qworker.WorkerThread`); the logic lives in :mod:`mlxstudio.core`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt, QUrl
from PySide6.QtGui import QAction, QDesktopServices
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from mlxstudio.core import errors
from mlxstudio.core.inference import EvalResult, find_fused_models, load_cases
from mlxstudio.gui import icons
from mlxstudio.gui.elided_label import ElidedLabel
from mlxstudio.gui.i18n import QT_TRANSLATE_NOOP, translate
from mlxstudio.gui.qworker import WorkerThread
from mlxstudio.gui.state import AppState, StepStatus
from mlxstudio.gui.test.adapter_picker import AdapterPicker, adapter_problem, full_model_of
from mlxstudio.gui.test.compare_panel import ComparePanel
from mlxstudio.gui.test.eval_panel import EvalPanel
from mlxstudio.gui.test.fuse_dialog import FuseDialog
from mlxstudio.gui.test.handoff_actions import Handoff
from mlxstudio.gui.test.serve_panel import ServePanel

EXPORT_WHAT = {"folder": QT_TRANSLATE_NOOP("test_page", "the model folder"),
               "gguf": QT_TRANSLATE_NOOP("test_page", "the GGUF + Modelfile"),
               "adapter": QT_TRANSLATE_NOOP("test_page", "the adapter")}
"""How the status line names each export kind."""


class TestPage(QWidget):
    """The Fuse & Test step. ``TestPage(state)``; reads ``state.model``, ``state.adapter``, ``state.dataset``."""

    __test__ = False  # not a pytest test class

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.adapter: Path | None = state.adapter
        self.fused: Path | None = None
        self.export_worker: WorkerThread | None = None
        self.menu_actions: dict[str, QAction] = {}  # File menu exports ("folder", "gguf", "adapter")
        self._exportable = (False, False)  # (a model and a usable adapter, a usable adapter)
        self._build()
        state.model_changed.connect(lambda _p: self.refresh())
        state.adapter_changed.connect(self._adapter_from_state)
        state.dataset_changed.connect(lambda _p: self.refresh())
        self.refresh()

    # -- layout ------------------------------------------------------------------------------------------------
    def _build(self) -> None:
        self.model_label = ElidedLabel()  # a long model name elides instead of widening the window
        bold = self.model_label.font()
        bold.setBold(True)
        self.model_label.setFont(bold)
        self.model_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.picker = AdapterPicker()
        self.picker.adapter_chosen.connect(self._adapter_picked)
        self.fuse_button = QPushButton(icons.icon("library"), self.tr("Fuse…"))
        self.fuse_button.setToolTip(self.tr("Fuse the adapter into the model and add the result to the model library"))
        self.fuse_button.clicked.connect(self.fuse_dialog)
        self.export_button = QToolButton()
        self.export_button.setText(self.tr("Export"))
        self.export_button.setIcon(icons.icon("reveal"))
        self.export_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.export_button)
        self.export_folder_action = menu.addAction(
            self.tr("MLX model folder with model card…"), self.export_folder_dialog)
        self.export_gguf_action = menu.addAction(self.tr("GGUF + Ollama Modelfile…"), self.export_gguf_dialog)
        self.export_adapter_action = menu.addAction(self.tr("Adapter only (zip)…"), self.export_adapter_dialog)
        menu.addSeparator()
        self.handoff = Handoff(self._need_fused, self)
        self.handoff.message.connect(self._message)
        self.handoff.busy_changed.connect(lambda _b: self._update_exports())
        self.lmstudio_action = menu.addAction(self.tr("Open in LM Studio"), self.handoff.open_in_lmstudio)
        self.ollama_action = menu.addAction(self.tr("Create in Ollama…"), self.handoff.create_in_ollama)
        self.export_button.setMenu(menu)
        self.serve_button = QToolButton()
        self.serve_button.setText(self.tr("Serve"))
        self.serve_button.setIcon(icons.icon("mdi6.server-network"))
        self.serve_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.serve_button.setCheckable(True)
        self.serve_button.setToolTip(self.tr("Serve the model as an OpenAI-compatible API on this computer"))
        self.serve = ServePanel()
        self.serve.hide()
        self.serve.message.connect(self._message)
        self.serve_button.toggled.connect(lambda on: self.serve.setVisible(on or self.serve.server is not None))

        head = QHBoxLayout()
        model_caption = QLabel(self.tr("Model"))
        model_caption.setBuddy(self.model_label)
        head.addWidget(model_caption)
        head.addWidget(self.model_label)
        head.addSpacing(12)
        adapter_label = QLabel(self.tr("Adapter"))
        adapter_label.setBuddy(self.picker)
        head.addWidget(adapter_label)
        head.addWidget(self.picker, 1)
        head.addWidget(self.fuse_button)
        head.addWidget(self.export_button)
        head.addWidget(self.serve_button)

        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.hide()  # shown with a message: no empty band under the Model/Adapter row
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.status.setOpenExternalLinks(False)
        self.status.linkActivated.connect(self._link)
        self.busy_bar = QProgressBar()
        self.busy_bar.setRange(0, 0)
        self.busy_bar.setMaximumWidth(140)
        self.busy_bar.setMaximumHeight(12)
        self.busy_bar.hide()
        status_row = QHBoxLayout()
        status_row.addWidget(self.status, 1)
        status_row.addWidget(self.busy_bar)

        self.compare = ComparePanel()
        self.compare.message.connect(self._message)
        self.compare.thinking.toggled.connect(lambda _on: self._update_serve())
        self.evaluation = EvalPanel()
        self.evaluation.message.connect(self._message)
        self.evaluation.result_ready.connect(self._eval_done)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.compare)
        self.splitter.addWidget(self.evaluation)
        self.splitter.setStretchFactor(0, 1)  # half each: the eval table shows its rows in a 700 px window
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)

        self.empty = QLabel()
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.linkActivated.connect(self.state.show_page.emit)

        lay = QVBoxLayout(self)
        lay.addLayout(head)
        lay.addLayout(status_row)
        lay.addWidget(self.serve)
        lay.addWidget(self.empty, 1)
        lay.addWidget(self.splitter, 1)

    # -- state ------------------------------------------------------------------------------------------------
    def _adapter_from_state(self, path: Any) -> None:
        self.adapter = Path(path) if path else None
        self.refresh()

    def _adapter_picked(self, path: Path | None) -> None:
        if path is None:
            self._message(self.picker.error or self.tr("That adapter cannot be loaded."))
            return
        self.adapter = path
        self._message("")
        self._update_sources()

    def refresh(self) -> None:
        """Re-read the model, adapter and dataset from the shared state and update every part of the page."""
        model = self.state.model
        self.picker.refresh(self.adapter, model)
        self._update_sources()
        self._load_dataset_prompts()

    def _update_sources(self) -> None:
        model, adapter = self.state.model, self.adapter
        missing = adapter is not None and not (adapter / "adapters.safetensors").is_file()
        if missing:
            adapter = None
        self.fused = None
        if adapter is not None:
            fused = find_fused_models(adapter)
            self.fused = fused[0] if fused else None
        full = full_model_of(adapter)  # a full fine-tune: its saved model is the tuned one, next to the base
        if full is not None:
            adapter, self.fused = None, full
        self.model_label.setText(model.name if model else self.tr("none chosen"))
        self.model_label.setToolTip(str(model) if model else "")
        # a usual name shows whole (the adapter list gives way first); a very long one elides
        self.model_label.setMinimumWidth(min(self.model_label.sizeHint().width(), 180))
        has_model = model is not None
        self.empty.setVisible(not has_model)
        self.splitter.setVisible(has_model)
        if not has_model:
            self.empty.setText(
                self.tr('<p style="font-size: 15px">Choose a model first (<a href="model">step 1, Model</a>), '
                               'train an adapter (<a href="train">step 3, Train</a>), then compare them here.</p>'))
        self.compare.set_sources(model, adapter, self.fused)
        self._update_serve()
        self.evaluation.set_sources(model, adapter, self.state.dataset, tuned_model=full)
        can_fuse = has_model and adapter is not None
        self.fuse_button.setEnabled(can_fuse)
        self.fuse_button.setToolTip(
            self.tr("Fuse the adapter into the model and add the result to the library") if can_fuse
                                    else self.tr("Needs a model and a trained adapter"))
        self._exportable = (can_fuse, adapter is not None)
        self._update_exports()
        if missing and self.adapter is not None:
            self._message(self.tr("The adapter {name} has no weights (adapters.safetensors) — was its "
                              "folder moved or deleted? Pick another one above.").format(name=self.adapter.name))
        elif (problem := adapter_problem(model, adapter)) is not None:
            self._message(problem)
        elif full is not None:
            self._message(self.tr("Full fine-tune: its model in the library, <b>{name}</b>, answers next to the "
                                  "base.").format(name=full.name))
        elif self.fused is not None:
            self._message(self.tr("Fused model in the library: <b>{name}</b> (third pane).").format(
                name=self.fused.name))
        elif has_model and adapter is None:
            self._message(
                self.tr('No adapter yet: the base model answers alone. <a href="train">Train one</a> to compare.'))
        elif has_model:
            self._message("")

    def _update_serve(self) -> None:
        """The Serve panel follows the page's model, adapter, fused model and Thinking switch."""
        adapter = self.adapter if self.adapter is not None and (self.adapter / "adapters.safetensors").is_file() \
            else None
        thinking = self.compare.thinking
        self.serve.set_sources(self.state.model, adapter, self.fused,
                               thinking.isChecked() if thinking.isEnabled() else None)

    def _load_dataset_prompts(self) -> None:
        items: list[tuple[str, str]] = []
        data = self.state.dataset
        if data is not None:
            try:
                items = [(c.prompt_text, c.expected) for c in load_cases(data)][:200]
            except (errors.UserError, OSError):
                items = []
        self.compare.set_dataset_prompts(items)

    def _message(self, text: str) -> None:
        self.status.setText(text)
        self.status.setVisible(bool(text))

    def _link(self, link: str) -> None:
        if link.startswith("file:"):
            QDesktopServices.openUrl(QUrl(link))
        else:
            self.state.show_page.emit(link)

    def _eval_done(self, result: EvalResult) -> None:
        s = result.summary()
        self.state.set_step("test", StepStatus(ready=True, summary=self.tr("tuned {s}/{s2} · base {s3}/{s4}").format(
            s=s['tuned_exact'], s2=s['rows'], s3=s['base_exact'], s4=s['base_rows'])))

    # -- fuse ---------------------------------------------------------------------------------------------------
    def fuse_dialog(self) -> Path | None:
        """Open the Fuse dialog; on success the fused model becomes the third pane. Returns its path."""
        if self.state.model is None or self.adapter is None:
            return None
        dialog = FuseDialog(self.state.model, self.adapter, self)
        self._last_fuse_dialog = dialog
        if dialog.exec() and dialog.fused_path is not None:
            self._update_sources()
            url = QUrl.fromLocalFile(str(dialog.fused_path)).toString()
            self._message(self.tr("Fused model <b>{name}</b> added to the library — it is in the model "
                              "list and answers in the third pane. <a href=\"{url}\">Show folder</a>").format(
                                  name=dialog.fused_path.name, url=url))
            self.state.set_step("test", StepStatus(ready=True, summary=self.tr("fused · {name}").format(
                name=dialog.fused_path.name)))
            return dialog.fused_path
        return None

    # -- exports ------------------------------------------------------------------------------------------------
    def _need_fused(self) -> Path | None:
        if self.fused is not None:
            return self.fused
        answer = QMessageBox.question(self,
            self.tr("Fuse first?"), self.tr("Exporting a model needs the adapter fused into it first. "
                                      "Fuse now?"))
        if answer == QMessageBox.StandardButton.Yes:
            return self.fuse_dialog()
        return None

    def export_folder_dialog(self) -> None:
        fused = self._need_fused()
        if fused is None:
            return
        folder = QFileDialog.getExistingDirectory(self, self.tr("Export the model folder into…"), str(Path.home()))
        if folder:
            self.export("folder", fused, Path(folder) / fused.name)

    def export_gguf_dialog(self) -> None:
        fused = self._need_fused()
        if fused is None:
            return
        try:
            from mlxstudio.core.inference import check_gguf_exportable

            check_gguf_exportable(fused)
        except errors.UserError as exc:
            QMessageBox.information(self, self.tr("GGUF export"), str(exc))
            return
        folder = QFileDialog.getExistingDirectory(self, self.tr("Write the GGUF + Modelfile into…"), str(Path.home()))
        if folder:
            self.export("gguf", fused, Path(folder) / f"{fused.name}-gguf")

    def export_adapter_dialog(self) -> None:
        if self.adapter is None:
            return
        path, _ = QFileDialog.getSaveFileName(self,
            self.tr("Export the adapter"), str(Path.home() / f"{self.adapter.name}.zip"),
                                              self.tr("Zip (*.zip)"))
        if path:
            self.export("adapter", None, Path(path))

    def export(self, kind: str, model: Path | None, dest: Path) -> None:
        """Run an export ("folder", "gguf", "adapter") in the worker process; the result shows in the status line."""
        if self.export_worker is not None:
            return
        # the model card lists the evaluation only when it scored this adapter on this model
        result = self.evaluation.current_result() if self.evaluation.is_current() else None
        params = {"kind": kind, "model": str(model) if model else None,
                  "adapter_path": str(self.adapter) if self.adapter else None, "dest": str(dest),
                  "dataset": str(self.state.dataset) if self.state.dataset else None,
                  "eval_summary": result.summary_line() if result else None}
        self.export_worker = WorkerThread("export", params, parent=self)
        what = translate("test_page", EXPORT_WHAT.get(kind, kind))
        self.export_worker.progress.connect(lambda e: self._message(self.tr("Exporting {what}: {message}…").format(
            what=what, message=e.message)))
        self.export_worker.finished_ok.connect(self._export_done)
        self.export_worker.failed.connect(lambda m: self._message(self.tr("<b>Export failed:</b> {m}").format(m=m)))
        self.export_worker.cancelled.connect(lambda _m: self._message(self.tr("Export cancelled.")))
        self.export_worker.finished.connect(self._export_thread_done)
        self.busy_bar.show()
        self._update_exports()
        self._message(self.tr("Exporting {what}…").format(what=what))
        self.export_worker.start()

    def _export_done(self, result: dict) -> None:
        path = Path(result.get("path", ""))
        folder = path if path.is_dir() else path.parent
        self._message(self.tr("{get}. <a href=\"{toString}\">Show folder</a>").format(
            get=result.get('message', 'Exported'), toString=QUrl.fromLocalFile(str(folder)).toString()))

    def _export_thread_done(self) -> None:
        if self.export_worker is not None:
            self.export_worker.deleteLater()
        self.export_worker = None
        self.busy_bar.hide()
        self._update_exports()

    def _update_exports(self) -> None:
        """Export button and File-menu exports: enabled only when they can work — a model folder or GGUF needs a
        model and an adapter with weights (it is fused first), the adapter export an adapter; none while one runs."""
        idle = self.export_worker is None and not self.handoff.busy
        model_ok, adapter_ok = (idle and ok for ok in self._exportable)
        self.export_button.setEnabled(model_ok)
        self.export_adapter_action.setEnabled(adapter_ok)
        self.lmstudio_action.setEnabled(model_ok)
        self.ollama_action.setEnabled(model_ok)
        for kind, ok in (("folder", model_ok), ("gguf", model_ok), ("adapter", adapter_ok)):
            if kind in self.menu_actions:
                self.menu_actions[kind].setEnabled(ok)

    # -- page contract ------------------------------------------------------------------------------------------
    def install_menus(self, window: Any) -> None:
        """File menu: the exports (enabled when this page can do them)."""
        menu = window.menu(self.tr("File"))
        menu.addSeparator()
        for kind, text, slot in (("folder", self.tr("Export Fused Model Folder…"), self.export_folder_dialog),
                                 ("gguf", self.tr("Export GGUF + Ollama Modelfile…"), self.export_gguf_dialog),
                                 ("adapter", self.tr("Export Adapter…"), self.export_adapter_dialog)):
            action = QAction(text, self)
            action.triggered.connect(slot)
            menu.addAction(action)
            self.menu_actions[kind] = action
        self._update_exports()

    def can_close(self) -> bool:
        return True  # generation/evaluation can stop at any time; nothing is lost

    def shutdown(self) -> None:
        """Stop running workers (generation, evaluation, export, hand-offs) and the server."""
        self.compare.shutdown()
        self.evaluation.shutdown()
        self.serve.shutdown()
        self.handoff.shutdown()
        if self.export_worker is not None:
            self.export_worker.stop_and_wait(3.0)

    def save_settings(self, s: QSettings) -> None:
        s.setValue("test/splitter", self.splitter.saveState())
        self.compare.save_settings(s)
        self.evaluation.save_settings(s)

    def restore_settings(self, s: QSettings) -> None:
        state = s.value("test/splitter")
        if state is not None:
            self.splitter.restoreState(state)
        self.compare.restore_settings(s)
        self.evaluation.restore_settings(s)
