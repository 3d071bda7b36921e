"""Train page: settings on the left, live curves on the right, Start / Stop / Resume / Start over, run history.

The page is thin: it builds the page and wires the signals; what the buttons and the worker's events do is in
:mod:`mlxstudio.gui.train` (start checks, starting, run outcomes, run history, estimates, settings import/export).
The training runs in a worker process (job "train", supervised by :class:`WorkerThread`), run folders are
read/written by :mod:`mlxstudio.core.training.runs`, the settings are :class:`TrainConfig`.
"""

from __future__ import annotations

import contextlib
import math
import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt, QTimer, QUrl
from PySide6.QtGui import QAction, QCursor, QDesktopServices
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from mlxstudio.core import events as ev
from mlxstudio.core.errors import UserError
from mlxstudio.core.training import ConfigError, TrainConfig, runs
from mlxstudio.gui import settings
from mlxstudio.gui.i18n import QT_TRANSLATE_NOOP, translate
from mlxstudio.gui.qworker import WorkerThread
from mlxstudio.gui.state import AppState
from mlxstudio.gui.train import config_io, estimates, outcomes, readiness, run_history, run_start
from mlxstudio.gui.train.config_form import ConfigForm
from mlxstudio.gui.train.hosts_panel import GroupWorkerThread, HostsPanel
from mlxstudio.gui.train.log_panel import LogPanel
from mlxstudio.gui.train.markup import esc
from mlxstudio.gui.train.plots import LivePlots
from mlxstudio.gui.train.progress import ProgressStrip
from mlxstudio.gui.train.reasoning_row import bind_reasoning
from mlxstudio.gui.train.run_list import RunList
from mlxstudio.gui.train.run_states import FAILED, IDLE, RUNNING, STOPPED, STOPPING
from mlxstudio.gui.train.token_stats import TokenStats, TokenStatsJob

WORKER_NICE = int(os.environ.get("MLXSTUDIO_WORKER_NICE", "5"))
"""How much lower the training worker's CPU priority is than the window's (the window needs little, but promptly)."""

PREPARING = {"tokenize": QT_TRANSLATE_NOOP("train_page", "reading the {} rows"),
             "prepare": QT_TRANSLATE_NOOP("train_page", "computing the {} once per row")}
"""What the engine's ``Progress`` jobs before the first step mean, for the progress strip."""


class TrainPage(QWidget):
    """The Train step. ``TrainPage(state)``; see the module docstring."""

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.worker: WorkerThread | None = None
        self.run_dir: Path | None = None  # the run the buttons act on (running, or opened/resumable)
        self.run_state = IDLE
        self.total_iterations = 0
        self.last_report: ev.TrainReport | None = None
        self.last_val: float | None = None
        self.last_checkpoint: tuple[int, str] | None = None
        self._stats_cache: dict[tuple[Any, ...], tuple[float, int, int | None, str]] = {}
        self.token_stats = TokenStatsJob(self)  # exact row lengths with the model's tokenizer, off the GUI thread
        self.token_stats.ready.connect(lambda _s: self._schedule_estimate())
        self.token_lengths: TokenStats | None = None
        self.memory_length = 0  # the batch length (tokens) the memory estimate assumes
        self.memory_least: int | None = None  # the least a step can need (see _estimate)
        self._build()
        self.state.model_changed.connect(self._on_inputs_changed)
        self.state.dataset_changed.connect(self._on_inputs_changed)
        self.runs.refresh()
        self._set_run_state(IDLE)
        self._update_estimate()
        self._show_idle_hint()

    # -- layout ------------------------------------------------------------------------------------------------
    def _build(self) -> None:
        self.form = ConfigForm()
        bind_reasoning(self.form, self.state)  # the Reasoning row ↔ the Data page's rendering (issue 20)
        self.form.changed.connect(self._schedule_estimate)
        self.form.import_button.clicked.connect(self._import_dialog)
        self.form.export_button.clicked.connect(self._export_dialog)
        self.estimate_label = QLabel()
        self.estimate_label.setWordWrap(True)
        self.checks_label = QLabel()
        self.checks_label.setWordWrap(True)
        self.checks_label.setTextFormat(Qt.TextFormat.RichText)
        self.checks_label.linkActivated.connect(self.state.show_page.emit)

        self.start_button = QPushButton(self.tr("Start"))
        self.start_button.setToolTip(self.tr("Train a new adapter with these settings"))
        self.stop_button = QPushButton(self.tr("Stop"))
        self.stop_button.setToolTip(self.tr("Finish the current step, save the adapter and a checkpoint, then stop"))
        self.resume_button = QPushButton(self.tr("Resume"))
        self.resume_button.setToolTip(self.tr("Continue from the last checkpoint (weights, optimizer, iteration, "
                                      "learning-rate schedule)"))
        self.start_over_button = QPushButton(self.tr("Start over"))
        self.start_over_button.setToolTip(
            self.tr("Start a new run from scratch (the stopped run stays in the history)"))
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self.stop)
        self.resume_button.clicked.connect(self.resume)
        self.start_over_button.clicked.connect(self.start)
        buttons = QHBoxLayout()
        for b in (self.start_button, self.stop_button, self.resume_button, self.start_over_button):
            buttons.addWidget(b)

        left_inner = QWidget()
        left_lay = QVBoxLayout(left_inner)
        left_lay.setContentsMargins(0, 0, 6, 0)
        left_lay.addWidget(self.form)
        self.hosts_panel = HostsPanel()  # optional: several processes / Macs (mlx.launch)
        self.hosts_panel.paths_provider = lambda: [str(p) for p in (self.state.model, self.state.dataset) if p]
        left_lay.addWidget(self.hosts_panel)
        left_lay.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(left_inner)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        left = QWidget()
        left_outer = QVBoxLayout(left)
        left_outer.setContentsMargins(0, 0, 0, 0)
        left_outer.addWidget(scroll, 1)
        left_outer.addWidget(self.estimate_label)
        left_outer.addWidget(self.checks_label)
        left_outer.addLayout(buttons)
        scroll.setMinimumWidth(left_inner.sizeHint().width() + scroll.verticalScrollBar().sizeHint().width())

        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self.banner.setTextFormat(Qt.TextFormat.RichText)
        self.banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.banner.linkActivated.connect(self._on_banner_link)
        self.plots = LivePlots()
        self.plots.checkpoint_clicked.connect(self._on_checkpoint_clicked)
        self.progress = ProgressStrip()
        self.log = LogPanel()
        self.runs = RunList()
        self.runs.open_requested.connect(self.open_run)
        self.runs.compare_requested.connect(self.compare_run)
        self.runs.reveal_requested.connect(
            lambda r: QDesktopServices.openUrl(QUrl.fromLocalFile(str(r.path))))
        self.tabs = QTabWidget()
        self.tabs.addTab(self.runs, self.tr("Runs"))
        self.tabs.addTab(self.log, self.tr("Log"))
        self.clear_overlay_button = QPushButton(self.tr("Clear comparison"))
        self.clear_overlay_button.clicked.connect(self._clear_overlays)
        self.clear_overlay_button.setVisible(False)

        top = QWidget()
        top_lay = QVBoxLayout(top)
        top_lay.setContentsMargins(0, 0, 0, 0)
        top_lay.addWidget(self.banner)
        top_lay.addWidget(self.plots, 1)
        strip = QHBoxLayout()
        strip.addWidget(self.progress, 1)
        strip.addWidget(self.clear_overlay_button)
        top_lay.addLayout(strip)
        self.right_split = QSplitter(Qt.Orientation.Vertical)
        self.right_split.addWidget(top)
        self.right_split.addWidget(self.tabs)
        self.right_split.setStretchFactor(0, 3)
        self.right_split.setStretchFactor(1, 1)
        self.right_split.setChildrenCollapsible(False)
        self.tabs.setMinimumHeight(110)

        self.split = QSplitter(Qt.Orientation.Horizontal)
        self.split.addWidget(left)
        self.split.addWidget(self.right_split)
        self.split.setStretchFactor(0, 0)
        self.split.setStretchFactor(1, 1)
        self.split.setSizes([340, 700])
        self.split.setChildrenCollapsible(False)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 8, 8, 8)
        lay.addWidget(self.split)

        self._estimate_timer = QTimer(self)
        self._estimate_timer.setSingleShot(True)
        self._estimate_timer.setInterval(200)
        self._estimate_timer.timeout.connect(self._update_estimate)
        self._ui_timer = QTimer(self)
        self._ui_timer.setSingleShot(True)
        self._ui_timer.setInterval(100)
        self._ui_timer.timeout.connect(self._apply_report)
        self._set_banner("", "")

    # -- buttons -----------------------------------------------------------------------------------------------
    def _set_run_state(self, st: str) -> None:
        self.run_state = st
        resumable = st in (STOPPED, FAILED) and self.last_checkpoint is not None
        busy = st in (RUNNING, STOPPING)
        self.start_button.setEnabled(not busy and not resumable)
        self.stop_button.setEnabled(st == RUNNING)
        self.resume_button.setEnabled(resumable)
        self.start_over_button.setEnabled(resumable)
        self.start_over_button.setVisible(resumable)
        self.start_button.setVisible(not resumable)
        self.stop_button.setText(self.tr("Stopping…") if st == STOPPING else self.tr("Stop"))
        self.form.set_editable(not busy)
        self.hosts_panel.set_editable(not busy)
        self.runs.open_button.setEnabled(not busy and self.runs.selected() is not None)

    def _show_idle_hint(self) -> None:
        """The empty state: say what is missing, or that Start is next."""
        if self.run_state != IDLE:
            return
        missing = []
        if self.state.model is None:
            missing.append(self.tr('a model (<a href="model">Model page</a>)'))
        if self.state.dataset is None:
            missing.append(self.tr('a dataset (<a href="data">Data page</a>)'))
        if missing:
            self._set_banner("info",
                self.tr("No run yet. Choose ") + " and ".join(missing) + self.tr(", then press Start."))
        else:
            self._set_banner("info",
                self.tr("No run yet. The settings on the left work for a small set of pairs; press "
                                     "<b>Start</b> to train and watch the loss fall here."))

    def _set_banner(self, kind: str, html: str) -> None:
        """``kind``: "" (hidden), "info", "ok", "warning", "error"."""
        self.banner.setVisible(bool(html))
        icon = {"ok": "✔ ", "warning": "⚠ ", "error": "✖ ", "info": ""}.get(kind, "")
        self.banner.setText(f"<b>{icon}</b>{html}" if html else "")

    def _on_inputs_changed(self, *_: Any) -> None:
        self._schedule_estimate()
        self.checks_label.setText("")
        self._show_idle_hint()

    # -- checks before starting --------------------------------------------------------------------------------
    def check_ready(self) -> list[str]:
        """Problems that prevent starting (HTML snippets, each saying what to do). Empty: ready to start."""
        return readiness.check_ready(self)

    # -- starting / stopping -----------------------------------------------------------------------------------
    def start(self) -> bool:
        """Start a new run with the form's settings (after the checks). Returns True when a run started."""
        return run_start.start(self)

    def resume(self) -> bool:
        """Continue the current (stopped/failed) run from its last checkpoint. Returns True when it restarted."""
        return run_start.resume(self)

    def train_params(self, cfg: TrainConfig, resume: bool) -> dict[str, Any]:
        """The worker job's parameters (the engine's ``train_job`` contract)."""
        return run_start.train_params(self, cfg, resume)

    def _launch(self, cfg: TrainConfig, resume: bool) -> None:
        assert self.run_dir is not None
        if self.hosts_panel.is_distributed():
            try:
                group = self.hosts_panel.hosts()
            except UserError as exc:
                self.worker = None
                self._on_failed(self.tr("cannot start the processes: {exc}").format(exc=exc))
                return
            self.log.append_line(self.tr("Training with {sum} processes (mlx.launch, ring backend)").format(
                sum=sum(h.slots for h in group)))
            w: WorkerThread = GroupWorkerThread(group, "train", self.train_params(cfg, resume), parent=self,
                                                nice=WORKER_NICE)
        else:
            w = WorkerThread("train", self.train_params(cfg, resume), parent=self, nice=WORKER_NICE)
        w.report.connect(self._on_report)
        w.val_report.connect(self._on_val)
        w.checkpoint.connect(self._on_checkpoint)
        w.log.connect(lambda e: self.log.append_line(e.message, e.level))
        w.progress.connect(self._on_progress)
        w.finished_ok.connect(self._on_finished)
        w.failed.connect(self._on_failed)
        w.cancelled.connect(self._on_cancelled)
        w.finished.connect(lambda w=w: self._on_thread_done(w))
        self.worker = w
        self._pid_recorded = False
        runs.update_run(self.run_dir, status="running", message="", owner_pid=os.getpid())
        self._set_run_state(RUNNING)
        # the first report comes after the model is loaded and prepared (~40 s for the demo model on a CPU):
        # until then the strip says what is happening, not "Not started"
        self.progress.set_message(self.tr("Starting: loading the model…"))
        self._set_banner("info", self.tr("Training {esc} — you can switch pages, the run keeps going.").format(
            esc=esc(Path(str(self.state.model or '')).name)))
        outcomes.update_step(self, busy=True)
        w.start()
        self._refresh_runs()

    def stop(self) -> None:
        """Stop gracefully: the engine finishes its step and saves the adapter and a checkpoint."""
        if self.worker is not None and self.run_state == RUNNING:
            self._set_run_state(STOPPING)
            self.log.append_line(self.tr("Stopping after the current step…"))
            self.worker.stop()

    # -- worker events -----------------------------------------------------------------------------------------
    def _record_pid(self) -> None:
        if not self._pid_recorded and self.worker is not None and self.worker.pid and self.run_dir:
            runs.update_run(self.run_dir, pid=self.worker.pid)
            self._pid_recorded = True

    def _on_report(self, r: ev.TrainReport) -> None:
        self._record_pid()
        self.last_report = r
        if r.total_iterations:
            self.total_iterations = r.total_iterations
        self.plots.add_train(r.iteration, r.train_loss, r.learning_rate, r.tokens_per_second)
        if not self._ui_timer.isActive():  # the strip and the navigator follow at most 10 times a second
            self._ui_timer.start()

    def _apply_report(self) -> None:
        r = self.last_report
        if r is None or self.run_state not in (RUNNING, STOPPING):
            return
        self.progress.update_report(r.iteration, self.total_iterations, r.elapsed, r.tokens_per_second,
                                    r.peak_memory)
        outcomes.update_step(self, busy=True)

    def _on_val(self, r: ev.ValReport) -> None:
        self._record_pid()
        self.plots.add_val(r.iteration, r.val_loss)
        if math.isfinite(r.val_loss):
            self.last_val = r.val_loss
            self.log.append_line(self.tr("Validation loss at iteration {iteration}: {val_loss:.4g} "
                                     "({val_time:.1f} s)").format(iteration=r.iteration, val_loss=r.val_loss,
                                                                  val_time=r.val_time))

    def _on_checkpoint(self, c: ev.CheckpointSaved) -> None:
        self.last_checkpoint = (c.iteration, c.path)
        for it, path in list(self.plots.checkpoints.items()):
            if not Path(path).exists():  # the engine keeps only the newest checkpoints
                self.plots.remove_checkpoint(it)
        self.plots.add_checkpoint(c.iteration, c.path)
        self.log.append_line(self.tr("Checkpoint saved at iteration {iteration}").format(iteration=c.iteration))
        self._refresh_runs()

    def _on_progress(self, p: ev.Progress) -> None:
        self._record_pid()
        if p.message:
            what = translate("train_page", PREPARING.get(p.job, "{}")).format(p.message)
            count = self.tr(" ({done:,.0f} of {total:,.0f} {unit}s)").format(
                done=p.done, total=p.total, unit=p.unit) if p.total and p.unit else ""
            self.progress.set_message(self.tr("Preparing: {what}{count}…").format(what=what, count=count))

    def _on_finished(self, result: dict) -> None:
        outcomes.finished(self, result)

    def _on_cancelled(self, message: str) -> None:
        outcomes.cancelled(self, message)

    def _on_failed(self, message: str) -> None:
        outcomes.failed(self, message)

    def _refresh_runs(self) -> None:
        self.runs.refresh()
        if self.run_dir is not None:
            self.runs.select(self.run_dir)

    def _on_thread_done(self, w: WorkerThread) -> None:
        if w is not self.worker:  # an earlier run's thread ending after a new run started
            return
        self.worker = None
        self._refresh_runs()
        if self.run_state in (RUNNING, STOPPING):  # no final event at all (should not happen): treat as failed
            self._on_failed(self.tr("the training worker ended without a result"))

    # -- checkpoints → Fuse & Test -----------------------------------------------------------------------------
    def _on_checkpoint_clicked(self, iteration: int, path: str) -> None:
        menu = QMenu(self)
        act = QAction(self.tr("Test this checkpoint (iteration {iteration})").format(iteration=iteration), menu)
        act.triggered.connect(lambda: self.test_checkpoint(path))
        menu.addAction(act)
        reveal = QAction(self.tr("Show in folder"), menu)
        reveal.triggered.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(Path(path).parent))))
        menu.addAction(reveal)
        menu.popup(QCursor.pos())

    def test_checkpoint(self, path: str | Path) -> None:
        """Make a checkpoint the adapter of the Fuse & Test page and switch to it."""
        try:
            adapter = runs.checkpoint_adapter(Path(path))
        except OSError as exc:
            self._set_banner("error", self.tr("Cannot test this checkpoint: {esc}").format(esc=esc(str(exc))))
            return
        self.state.set_adapter(adapter)
        self.state.show_page.emit("test")

    def _on_banner_link(self, link: str) -> None:
        if link == "resume":
            self.resume()
        else:
            self.state.show_page.emit(link)

    # -- run history -------------------------------------------------------------------------------------------
    def open_run(self, run: runs.RunInfo) -> None:
        """Show a past run's curves; a stopped/failed run with a checkpoint becomes resumable."""
        run_history.open_run(self, run)

    def compare_run(self, run: runs.RunInfo) -> None:
        """Overlay a run's loss curves (dashed) on the plot."""
        run_history.compare_run(self, run)

    def _clear_overlays(self) -> None:
        run_history.clear_overlays(self)

    # -- estimate ----------------------------------------------------------------------------------------------
    def _schedule_estimate(self) -> None:
        self._estimate_timer.start()

    def _estimate(self) -> runs.Estimate | None:
        return estimates.estimate(self)

    def _update_estimate(self) -> None:
        estimates.update_estimate(self)

    # -- import / export ---------------------------------------------------------------------------------------
    def _import_dialog(self) -> None:
        config_io.import_dialog(self)

    def _export_dialog(self) -> None:
        config_io.export_dialog(self)

    # -- page protocol -----------------------------------------------------------------------------------------
    @property
    def training(self) -> bool:
        return self.run_state in (RUNNING, STOPPING)

    def can_close(self) -> bool:
        """Ask before quitting while training (the run is stopped cleanly and can be resumed later)."""
        if not self.training:
            return True
        return self._confirm_stop()

    def _confirm_stop(self) -> bool:
        answer = QMessageBox.question(
            self, self.tr("Training is running"),
            self.tr("A training run is in progress. Stop it and quit?\n\nThe adapter and a checkpoint are saved; "
            "you can "
            "resume the run later from the Runs list."),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def shutdown(self, timeout: float = 20.0) -> None:
        """Stop the worker cleanly (graceful, then killed after ``timeout`` s); never leaves a process behind."""
        self.hosts_panel.shutdown()
        self.token_stats.shutdown()
        w = self.worker
        if w is None:
            return
        w.stop_and_wait(timeout)
        if self.run_dir is not None and self.run_state in (RUNNING, STOPPING):
            outcomes.refresh_checkpoint(self)
            runs.update_run(self.run_dir, status="stopped", message=self.tr("stopped when the app quit"), pid=None)

    def save_settings(self, s: QSettings) -> None:
        s.setValue("train/adapter", str(self.state.adapter) if self.state.adapter else "")
        s.setValue("train/split", self.split.saveState())
        s.setValue("train/right_split", self.right_split.saveState())
        self.hosts_panel.save_settings(s)
        with contextlib.suppress(ConfigError):
            s.setValue("train/config", self.form.config().to_yaml())

    def restore_settings(self, s: QSettings) -> None:
        for key, w in (("train/split", self.split), ("train/right_split", self.right_split)):
            v = s.value(key)
            if v is not None:
                with contextlib.suppress(TypeError):
                    w.restoreState(v)
        self.hosts_panel.restore_settings(s)
        run_history.restore_adapter(self, settings.typed_value(s, "train/adapter", ""))
        text = settings.typed_value(s, "train/config", "")
        if text:
            with contextlib.suppress(Exception):
                import yaml

                self.form.set_config(TrainConfig.from_dict(yaml.safe_load(text)))
