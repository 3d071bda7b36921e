"""Train page: settings on the left, live curves on the right, Start / Stop / Resume / Start over, run history.

The page is thin: the training runs in a worker process (job "train", supervised by :class:`WorkerThread`), run
folders are read/written by :mod:`mlxstudio.core.runs`, the settings are :class:`TrainConfig`.
"""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt, QTimer, QUrl
from PySide6.QtGui import QAction, QCursor, QDesktopServices
from PySide6.QtWidgets import (
    QFileDialog,
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
from mlxstudio.core import paths, runs
from mlxstudio.core.errors import UserError
from mlxstudio.core.training.config import ConfigError, TrainConfig
from mlxstudio.gui import settings
from mlxstudio.gui.qworker import WorkerThread
from mlxstudio.gui.state import AppState, StepStatus
from mlxstudio.gui.train.config_form import ConfigForm
from mlxstudio.gui.train.hosts_panel import GroupWorkerThread, HostsPanel
from mlxstudio.gui.train.log_panel import LogPanel
from mlxstudio.gui.train.plots import LivePlots
from mlxstudio.gui.train.progress import ProgressStrip, format_bytes, format_span
from mlxstudio.gui.train.run_list import RunList
from mlxstudio.gui.train.token_stats import TokenStats, TokenStatsJob, effective_length, measured_peak, mtime

# Page states (which buttons are enabled is derived from these only).
IDLE, RUNNING, STOPPING, STOPPED, FINISHED, FAILED = "idle", "running", "stopping", "stopped", "finished", "failed"


WORKER_NICE = int(os.environ.get("MLXSTUDIO_WORKER_NICE", "5"))
"""How much lower the training worker's CPU priority is than the window's (the window needs little, but promptly)."""

PREPARING = {"tokenize": "reading the {} rows", "prepare": "computing the {} once per row"}
"""What the engine's ``Progress`` jobs before the first step mean, for the progress strip."""


def total_memory() -> int | None:
    """Physical memory in bytes (None when the platform does not say)."""
    with contextlib.suppress(ValueError, OSError, AttributeError):
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    return None


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
        self.form.changed.connect(self._schedule_estimate)
        self.form.import_button.clicked.connect(self._import_dialog)
        self.form.export_button.clicked.connect(self._export_dialog)
        self.estimate_label = QLabel()
        self.estimate_label.setWordWrap(True)
        self.checks_label = QLabel()
        self.checks_label.setWordWrap(True)
        self.checks_label.setTextFormat(Qt.TextFormat.RichText)
        self.checks_label.linkActivated.connect(self.state.show_page.emit)

        self.start_button = QPushButton("Start")
        self.start_button.setToolTip("Train a new adapter with these settings")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Finish the current step, save the adapter and a checkpoint, then stop")
        self.resume_button = QPushButton("Resume")
        self.resume_button.setToolTip("Continue from the last checkpoint (weights, optimizer, iteration, "
                                      "learning-rate schedule)")
        self.start_over_button = QPushButton("Start over")
        self.start_over_button.setToolTip("Start a new run from scratch (the stopped run stays in the history)")
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
        self.tabs.addTab(self.runs, "Runs")
        self.tabs.addTab(self.log, "Log")
        self.clear_overlay_button = QPushButton("Clear comparison")
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
        self.stop_button.setText("Stopping…" if st == STOPPING else "Stop")
        self.form.set_editable(not busy)
        self.hosts_panel.set_editable(not busy)
        self.runs.open_button.setEnabled(not busy and self.runs.selected() is not None)

    def _show_idle_hint(self) -> None:
        """The empty state: say what is missing, or that Start is next."""
        if self.run_state != IDLE:
            return
        missing = []
        if self.state.model is None:
            missing.append('a model (<a href="model">Model page</a>)')
        if self.state.dataset is None:
            missing.append('a dataset (<a href="data">Data page</a>)')
        if missing:
            self._set_banner("info", "No run yet. Choose " + " and ".join(missing) + ", then press Start.")
        else:
            self._set_banner("info", "No run yet. The settings on the left work for a small set of pairs; press "
                                     "<b>Start</b> to train and watch the loss fall here.")

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
        problems: list[str] = []
        model, dataset = self.state.model, self.state.dataset
        if model is None:
            problems.append('No model chosen — pick one on the <a href="model">Model page</a>.')
        elif not (Path(model) / "config.json").exists():
            problems.append(f"The model folder {model} has no config.json — choose another model on the "
                            '<a href="model">Model page</a>.')
        else:
            with contextlib.suppress(ImportError):
                from mlxstudio.core.models import validate_model_dir

                try:
                    validate_model_dir(Path(model))
                except UserError as exc:
                    problems.append(f"{_esc(str(exc))} — <a href=\"model\">Model page</a>")
        if dataset is None:
            problems.append('No dataset chosen — create or open one on the <a href="data">Data page</a>.')
        elif not Path(dataset).exists():
            problems.append(f"The dataset {_esc(str(dataset))} does not exist any more — open it again on the "
                            '<a href="data">Data page</a>.')
        else:
            try:
                self._load_training_data(Path(dataset))
            except UserError as exc:
                problems.append(f"The dataset has a problem: {_esc(str(exc))} — fix it on the "
                                '<a href="data">Data page</a>.')
        for label, msg in self.form.problems():
            problems.append(f"Setting “{_esc(label)}”: {_esc(msg)}")
        with contextlib.suppress(ConfigError):
            problems += [_esc(p) for p in self.hosts_panel.problems(self.form.config().batch_size)]
        if self.hosts_panel.is_distributed() and not problems:
            try:
                self.hosts_panel.hosts()
            except UserError as exc:
                problems.append(f"Other computers: {_esc(str(exc))}")
        try:
            root = paths.runs_dir()
            with tempfile.NamedTemporaryFile(dir=root, prefix=".write-test-"):
                pass
        except OSError as exc:
            problems.append(f"Cannot write the run folder ({_esc(str(exc))}) — free some disk space or set "
                            "MLXSTUDIO_HOME to a writable folder.")
        est = self._estimate()
        ram = total_memory()
        # refused only when it cannot fit: the estimate errs high (it assumes every position is trained), so compare
        # the least the run needs; and only once the rows are counted (before, batches are assumed max_seq_length long)
        least = self.memory_least if self.token_lengths is not None else None
        if est is not None and est.memory_bytes and ram and least and least > 0.9 * ram:
            problems.append(f"This run needs at least {format_bytes(least)} of memory (up to "
                            f"{format_bytes(est.memory_bytes)}) but the computer has {format_bytes(ram)} — lower the "
                            "batch size, max sequence length or layers, or turn on gradient checkpointing.")
        return problems

    @staticmethod
    def _load_training_data(path: Path) -> dict[str, list[dict]]:
        try:
            from mlxstudio.core.dataset import load_training_data
        except ImportError:  # the dataset module is not there: the engine will validate
            return {}
        return load_training_data(path)

    # -- starting / stopping -----------------------------------------------------------------------------------
    def start(self) -> bool:
        """Start a new run with the form's settings (after the checks). Returns True when a run started."""
        if self.run_state in (RUNNING, STOPPING):
            return False
        problems = self.check_ready()
        if problems:
            self.checks_label.setText("<br>".join(f"⚠ {p}" for p in problems))
            self._set_banner("warning", "Cannot start yet: " + problems[0])
            return False
        self.checks_label.setText("")
        cfg = self.form.config()
        model, dataset = Path(self.state.model), Path(self.state.dataset)  # type: ignore[arg-type]
        run_dir = runs.new_run_dir(model.name)
        n_train = self._n_train_rows(dataset)
        total = cfg.total_iters(n_train) if n_train else cfg.iters
        runs.create_run(run_dir, model=model, dataset=dataset, config=cfg.to_dict(), total_iterations=total)
        self.run_dir = run_dir
        self.last_checkpoint = None
        self.last_val = None
        self.last_report = None
        self.total_iterations = total
        self.plots.clear()
        self.plots.show_iterations(total)
        self.progress.reset(total)
        self.log.append_line(f"Run {run_dir.name}: {model.name} on {dataset.name}, {total} iterations")
        self._launch(cfg, resume=False)
        return True

    def resume(self) -> bool:
        """Continue the current (stopped/failed) run from its last checkpoint. Returns True when it restarted."""
        if self.run_dir is None or self.last_checkpoint is None or self.run_state in (RUNNING, STOPPING):
            return False
        meta = runs.read_meta(self.run_dir)
        try:
            cfg = TrainConfig.from_dict(meta.get("config") or {})
        except ConfigError:
            cfg = self.form.config()
        it, _path = self.last_checkpoint
        self.plots.load_history(runs.read_metrics(self.run_dir, until=it),
                                {c.iteration: str(c.path) for c in runs.list_checkpoints(self.run_dir)
                                 if c.iteration <= it})
        self.last_report = None
        self.total_iterations = int(meta.get("total_iterations") or cfg.iters)
        self.plots.show_iterations(self.total_iterations)
        self.progress.reset(self.total_iterations, start_iteration=it)
        self.log.append_line(f"Resuming {self.run_dir.name} from the checkpoint at iteration {it}")
        self._launch(cfg, resume=True)
        return True

    def train_params(self, cfg: TrainConfig, resume: bool) -> dict[str, Any]:
        """The worker job's parameters (the engine's ``train_job`` contract)."""
        meta = runs.read_meta(self.run_dir) if self.run_dir else {}
        return {
            "model": str(meta.get("model_path") or self.state.model),
            "data": str(meta.get("dataset") or self.state.dataset),
            "adapter_path": str(self.run_dir),
            "config": cfg.to_dict(),
            "resume": resume,
        }

    def _launch(self, cfg: TrainConfig, resume: bool) -> None:
        assert self.run_dir is not None
        if self.hosts_panel.is_distributed():
            try:
                group = self.hosts_panel.hosts()
            except UserError as exc:
                self.worker = None
                self._on_failed(f"cannot start the processes: {exc}")
                return
            self.log.append_line(f"Training with {sum(h.slots for h in group)} processes (mlx.launch, ring backend)")
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
        self.progress.set_message("Starting: loading the model…")
        self._set_banner("info", f"Training {_esc(Path(str(self.state.model or '')).name)} — you can switch "
                                 "pages, the run keeps going.")
        self._update_step(busy=True)
        w.start()
        self._refresh_runs()

    def stop(self) -> None:
        """Stop gracefully: the engine finishes its step and saves the adapter and a checkpoint."""
        if self.worker is not None and self.run_state == RUNNING:
            self._set_run_state(STOPPING)
            self.log.append_line("Stopping after the current step…")
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
        self._update_step(busy=True)

    def _on_val(self, r: ev.ValReport) -> None:
        self._record_pid()
        self.plots.add_val(r.iteration, r.val_loss)
        if math.isfinite(r.val_loss):
            self.last_val = r.val_loss
            self.log.append_line(f"Validation loss at iteration {r.iteration}: {r.val_loss:.4g} "
                                 f"({r.val_time:.1f} s)")

    def _on_checkpoint(self, c: ev.CheckpointSaved) -> None:
        self.last_checkpoint = (c.iteration, c.path)
        for it, path in list(self.plots.checkpoints.items()):
            if not Path(path).exists():  # the engine keeps only the newest checkpoints
                self.plots.remove_checkpoint(it)
        self.plots.add_checkpoint(c.iteration, c.path)
        self.log.append_line(f"Checkpoint saved at iteration {c.iteration}")
        self._refresh_runs()

    def _on_progress(self, p: ev.Progress) -> None:
        self._record_pid()
        if p.message:
            what = PREPARING.get(p.job, "{}").format(p.message)
            count = f" ({p.done:,.0f} of {p.total:,.0f} {p.unit}s)" if p.total and p.unit else ""
            self.progress.set_message(f"Preparing: {what}{count}…")

    def _on_finished(self, result: dict) -> None:
        assert self.run_dir is not None
        self._ui_timer.stop()
        self._apply_report()
        adapter = Path(str(result.get("adapter_path") or self.run_dir))
        it = int(result.get("iterations") or
                 (self.last_report.iteration if self.last_report else self.total_iterations))
        val = result.get("val_loss", result.get("final_val_loss", self.last_val))
        runs.update_run(self.run_dir, status="finished", message=str(result.get("message", "")), pid=None,
                        result=result)
        self.plots.flush()
        self.state.set_adapter(adapter)
        summary = f"{it} it" + (f" · val {val:.2g}" if isinstance(val, (int, float)) and math.isfinite(val) else "")
        self.state.set_step("train", StepStatus(ready=True, summary=summary))
        self._set_run_state(FINISHED)
        self.progress.set_message(f"Finished: {summary}")
        self._set_banner("ok", f"Finished — {summary}. The adapter is ready: "
                               '<a href="test">try it on the Fuse &amp; Test page</a>.')
        self.log.append_line(f"Finished. Adapter: {adapter}")
        self._refresh_runs()
        self._schedule_estimate()  # now based on the measured speed

    def _on_cancelled(self, message: str) -> None:
        assert self.run_dir is not None
        self._ui_timer.stop()
        self._apply_report()
        self._refresh_checkpoint()
        runs.update_run(self.run_dir, status="stopped", message=message, pid=None)
        it = self.last_report.iteration if self.last_report else 0
        if self.last_checkpoint is not None:
            it = max(it, self.last_checkpoint[0])  # the engine saves where it stopped (maybe between reports)
        if (self.run_dir / runs.ADAPTER_FILE).is_file():  # a stopped run's adapter is usable: Fuse & Test takes it
            self.state.set_adapter(self.run_dir)
        self._set_run_state(STOPPED)
        if self.last_checkpoint:
            self._set_banner("info", f"Stopped at iteration {it} of {self.total_iterations}. The adapter and a "
                                     "checkpoint are saved: <b>Resume</b> continues exactly from there, "
                                     "<b>Start over</b> begins a new run; "
                                     '<a href="test">try this adapter on the Fuse &amp; Test page</a>.')
        elif it == 0:  # the engine writes nothing before the first step
            self._set_banner("info", "Stopped before the first step — nothing was saved. Press <b>Start</b> to "
                                     "train.")
        else:
            self._set_banner("info", f"Stopped at iteration {it}. No checkpoint was written yet, so the run "
                                     "cannot be resumed; press Start to train again.")
        self.progress.set_message(f"Stopped at iteration {it}" if it else "Stopped before the first step",
                                  iteration=it)
        self.log.append_line(f"Stopped: {message}")
        self._update_step(busy=False, iteration=it)
        self._refresh_runs()

    def _on_failed(self, message: str) -> None:
        assert self.run_dir is not None
        self._ui_timer.stop()
        self._apply_report()
        self._refresh_checkpoint()
        detail = self.worker.detail if self.worker is not None else ""
        runs.update_run(self.run_dir, status="failed", message=message, pid=None)
        self._set_run_state(FAILED)
        if self.last_checkpoint:
            tail = (f"<br>The last good checkpoint is at iteration {self.last_checkpoint[0]}: "
                    '<a href="resume">Resume from it</a> or change the settings and Start over.')
        else:
            tail = "<br>No checkpoint was written yet: change what the message says and Start again."
        self._set_banner("error", f"Training stopped: {_esc(message)}{tail}")
        self.progress.set_message("Failed")
        self.log.append_line(message, "error")
        if detail:
            with contextlib.suppress(Exception):
                from mlxstudio.core.logs import get_logger

                get_logger().error("training worker failed: %s\n%s", message, detail)
        self._update_step(busy=False)
        self._refresh_runs()

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
            self._on_failed("the training worker ended without a result")

    def _refresh_checkpoint(self) -> None:
        """The newest complete checkpoint on disk (it may be newer than the last event seen)."""
        if self.run_dir is not None:
            cks = runs.list_checkpoints(self.run_dir)
            if cks:
                self.last_checkpoint = (cks[-1].iteration, str(cks[-1].path))

    def _update_step(self, busy: bool, iteration: int | None = None) -> None:
        if busy:
            it = self.last_report.iteration if self.last_report else 0
            total = self.total_iterations
            self.state.set_step("train", StepStatus(busy=True, summary=f"it {it}/{total}",
                                                    progress=(it / total) if total else None))
        else:
            stopped = iteration if iteration is not None else (self.last_report.iteration if self.last_report else None)
            summary = f"stopped at it {stopped}" if stopped else ""
            if stopped == 0:  # stopped while the model loaded: nothing was trained or saved
                summary = "stopped before the first step"
            # ready = an adapter exists, the one Fuse & Test uses (a stopped run's, or an earlier run's)
            self.state.set_step("train", StepStatus(ready=self.state.adapter is not None, summary=summary))

    # -- checkpoints → Fuse & Test -----------------------------------------------------------------------------
    def _on_checkpoint_clicked(self, iteration: int, path: str) -> None:
        menu = QMenu(self)
        act = QAction(f"Test this checkpoint (iteration {iteration})", menu)
        act.triggered.connect(lambda: self.test_checkpoint(path))
        menu.addAction(act)
        reveal = QAction("Show in folder", menu)
        reveal.triggered.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(Path(path).parent))))
        menu.addAction(reveal)
        menu.popup(QCursor.pos())

    def test_checkpoint(self, path: str | Path) -> None:
        """Make a checkpoint the adapter of the Fuse & Test page and switch to it."""
        try:
            adapter = runs.checkpoint_adapter(Path(path))
        except OSError as exc:
            self._set_banner("error", f"Cannot test this checkpoint: {_esc(str(exc))}")
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
        if self.run_state in (RUNNING, STOPPING):
            self.compare_run(run)
            return
        run = runs.read_run(run.path)
        self.run_dir = run.path
        self.total_iterations = run.total_iterations
        self.last_report = None
        self.last_val = run.final_val_loss
        last = run.last_checkpoint
        self.last_checkpoint = (last.iteration, str(last.path)) if last else None
        self.plots.load_history(runs.read_metrics(run.path), {c.iteration: str(c.path) for c in run.checkpoints})
        self.progress.reset(run.total_iterations, start_iteration=run.last_iteration)
        with contextlib.suppress(ConfigError, TypeError):
            self.form.set_config(TrainConfig.from_dict(run.meta.get("config") or {}))
        status = {"finished": FINISHED, "stopped": STOPPED, "failed": FAILED, "interrupted": FAILED}
        self._set_run_state(status.get(run.status, IDLE))
        text = f"{_esc(run.name)} ({_esc(run.model)}): {run.status}"  # the name is "Run 3" (was "Run Run 3")
        if run.best_val_loss is not None:
            text += f", best validation loss {run.best_val_loss:.4g}"
        if run.message:
            text += f" — {_esc(run.message)}"
        if run.can_resume:
            text += f"<br>Resume continues from the checkpoint at iteration {run.last_checkpoint.iteration}."  # type: ignore[union-attr]
        self._set_banner("info", text)

    def compare_run(self, run: runs.RunInfo) -> None:
        """Overlay a run's loss curves (dashed) on the plot."""
        self.plots.set_overlay(run.name, runs.read_metrics(run.path))
        self.clear_overlay_button.setVisible(True)
        self.log.append_line(f"Comparing with {run.name}")

    def _clear_overlays(self) -> None:
        self.plots.remove_overlay()
        self.clear_overlay_button.setVisible(False)

    # -- estimate ----------------------------------------------------------------------------------------------
    def _schedule_estimate(self) -> None:
        self._estimate_timer.start()

    def _dataset_stats(self) -> tuple[float, int, int | None, str] | None:
        """(mean tokens per row, train rows, model parameters, model name), cached per model + dataset."""
        model, dataset = self.state.model, self.state.dataset
        if model is None or dataset is None or not Path(dataset).exists():
            return None
        key = (str(model), str(dataset), mtime(Path(dataset)))
        if key not in self._stats_cache:
            rows = _train_rows(Path(dataset))
            params = _model_parameters(Path(model))
            self._stats_cache[key] = (runs.mean_row_tokens(rows, Path(model)), len(rows), params, Path(model).name)
        return self._stats_cache[key]

    def _estimate(self) -> runs.Estimate | None:
        stats = self._dataset_stats()
        if stats is None:
            return None
        mean_tokens, n_rows, params, model_name = stats
        try:
            cfg = self.form.config()
        except ConfigError:
            return None
        iters = cfg.total_iters(n_rows) if n_rows else cfg.iters
        exact = self.token_stats.request(self.state.model, self.state.dataset)
        if exact is not None:
            mean_tokens = exact.mean  # the chat template's tokens (e.g. a default system prompt) included
        self.memory_length = effective_length(cfg.max_seq_length, exact, cfg.pad_multiple)
        self.token_lengths = exact
        model, dataset_tokens = Path(self.state.model), int(mean_tokens * n_rows)  # type: ignore[arg-type]
        memory = _memory_estimate(model, cfg, self.memory_length, dataset_tokens)
        # the least it can need: the head projects one position per row (prompt masking trains fewer than all)
        self.memory_least = _memory_estimate(model, cfg, self.memory_length, dataset_tokens, cfg.batch_size)
        from mlxstudio.core.backend import guess_backend_name

        backend = "metal" if "metal" in guess_backend_name().lower() else "cpu"
        return runs.estimate_run(iterations=iters, batch_size=cfg.batch_size, mean_tokens=mean_tokens,
                                 max_seq_length=cfg.max_seq_length, parameters=params, memory_bytes=memory,
                                 tokens_per_second=runs.measured_tokens_per_second(model_name), backend=backend)

    def _update_estimate(self) -> None:
        est = self._estimate()
        if est is None:
            missing = []
            if self.state.model is None:
                missing.append("a model")
            if self.state.dataset is None:
                missing.append("a dataset")
            self.estimate_label.setText(
                f"Estimate: choose {' and '.join(missing)} first." if missing else "Estimate: –")
            return
        parts = [f"≈ {format_span(est.seconds)}" if est.seconds is not None else "time unknown"]
        if est.memory_bytes:
            memory = f"≈ {format_bytes(est.memory_bytes)} memory"
            peak = measured_peak(Path(self.state.model).name)  # type: ignore[arg-type]
            if peak:
                memory += f" (measured peak of the last run: {format_bytes(int(peak))})"
            parts.append(memory)
        parts.append(f"{est.tokens:,} tokens")
        text = "Estimate: " + " · ".join(parts)
        note = _quantization_note(Path(self.state.model))  # type: ignore[arg-type]
        self.estimate_label.setText(text + (f"\n{note}" if note else ""))
        cfg_len = self.form.config().max_seq_length  # valid: there is an estimate
        lengths = self.token_lengths
        if lengths is not None:
            basis = (f"Memory: batches of up to {self.memory_length} tokens — the longest training row has "
                     f"{lengths.longest} tokens with the chat template (max sequence length {cfg_len}).")
        elif self.token_stats.busy:
            basis = (f"Memory: batches of {cfg_len} tokens (the max sequence length) until the rows are counted "
                     "with the model's tokenizer.")
        else:
            basis = f"Memory: batches of {cfg_len} tokens (the max sequence length)."
        self.estimate_label.setToolTip(f"Speed: {est.basis}\n{basis}")

    def _n_train_rows(self, dataset: Path) -> int:
        return len(_train_rows(dataset))

    # -- import / export ---------------------------------------------------------------------------------------
    def _import_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import training settings", "", "YAML (*.yaml *.yml)")
        if not path:
            return
        try:
            notes = self.form.import_yaml(path)
        except UserError as exc:
            QMessageBox.warning(self, "Cannot import these settings", str(exc))
            return
        self.log.append_line(f"Imported settings from {path}")
        for n in notes:
            self.log.append_line(f"Not applied: {n}", "warning")

    def _export_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export training settings", "train-config.yaml",
                                              "YAML (*.yaml *.yml)")
        if not path:
            return
        try:
            self.form.export_yaml(path)
        except (UserError, OSError) as exc:
            QMessageBox.warning(self, "Cannot export these settings", str(exc))
            return
        self.log.append_line(f"Exported settings to {path} (use with: mlx_lm.lora --config {path})")

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
            self, "Training is running",
            "A training run is in progress. Stop it and quit?\n\nThe adapter and a checkpoint are saved; you can "
            "resume the run later from the Runs list.",
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
            self._refresh_checkpoint()
            runs.update_run(self.run_dir, status="stopped", message="stopped when the app quit", pid=None)

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
        self._restore_adapter(settings.typed_value(s, "train/adapter", ""))
        text = settings.typed_value(s, "train/config", "")
        if text:
            with contextlib.suppress(Exception):
                import yaml

                self.form.set_config(TrainConfig.from_dict(yaml.safe_load(text)))


    def _restore_adapter(self, path: str) -> None:
        """The adapter of the last session (when its files are still there) is the Fuse & Test page's input again;
        its run is selected and shown (curves, banner — not "No run yet") and the step shows its summary."""
        if not path or self.state.adapter is not None:
            return
        adapter = Path(path)
        if not (adapter / "adapters.safetensors").exists():
            return
        self.state.set_adapter(adapter)
        run_dir = adapter if (adapter / "run.json").exists() else None
        summary = "adapter ready"
        if run_dir is not None:
            with contextlib.suppress(Exception):
                run = runs.read_run(run_dir)
                summary = f"{run.last_iteration} it" + (f" · val {run.final_val_loss:.2g}"
                                                        if run.final_val_loss is not None else "")
                self.runs.select(run_dir)
                self.open_run(run)
        self.state.set_step("train", StepStatus(ready=True, summary=summary))


# -- helpers (no widgets) ----------------------------------------------------------------------------------------
def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _train_rows(dataset: Path) -> list[dict]:
    """The training rows of a dataset (for the estimate); [] when unreadable (the start checks say why)."""
    try:
        from mlxstudio.core.dataset import load_training_data

        return list(load_training_data(dataset).get("train", []))
    except ImportError:
        pass
    except UserError:
        return []
    import json

    f = dataset / "train.jsonl" if dataset.is_dir() else dataset
    rows = []
    with contextlib.suppress(OSError):
        for line in f.read_text(encoding="utf-8").splitlines():
            with contextlib.suppress(ValueError):
                if line.strip():
                    rows.append(json.loads(line))
    return rows


def _model_parameters(model: Path) -> int | None:
    with contextlib.suppress(Exception):
        from mlxstudio.core.models import inspect_model

        return int(inspect_model(model).parameters) or None
    return runs.count_parameters(model)


def _quantization_note(model: Path) -> str:
    """How a quantized model is trained on this backend (QLoRA on Metal; float32 copy on the CPU)."""
    import json

    try:
        q = json.loads((model / "config.json").read_text(encoding="utf-8")).get("quantization")
    except (OSError, ValueError):
        return ""
    if not q:
        return ""
    from mlxstudio.core.backend import guess_backend_name

    bits = q.get("bits", "?") if isinstance(q, dict) else "?"
    if guess_backend_name() == "Metal":
        return f"{bits}-bit model: QLoRA (the adapter trains on the quantized weights)."
    return (f"{bits}-bit model: trained on a float32 copy (quantized math is slow on the CPU); the adapter works "
            "with the original model.")


def _memory_estimate(model: Path, cfg: TrainConfig, seq_length: int | None = None, dataset_tokens: int = 0,
                     trained_tokens: int | None = None) -> int | None:
    """Peak memory of a step with batches of ``seq_length`` tokens (default: the max sequence length) on a dataset
    of ``dataset_tokens`` tokens, ``trained_tokens`` of each batch projected onto the vocabulary (None: all)."""
    with contextlib.suppress(Exception):
        from mlxstudio.core.models import estimate_training_memory, inspect_model

        info = inspect_model(model)
        return int(estimate_training_memory(info, cfg.batch_size, seq_length or cfg.max_seq_length,
                                            cfg.num_layers, cfg.rank, dataset_tokens=dataset_tokens,
                                            trained_tokens=trained_tokens, grad_checkpoint=cfg.grad_checkpoint))
    return None
