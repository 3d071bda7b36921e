"""How a run ends on the Train page — finished (its adapter goes to Fuse & Test), stopped (resumable from its
checkpoint) or failed (said why; resumable when a checkpoint exists): the run folder, the banner, the strip, the log
and the step's status are updated. Also what these share with a running run: the step's status in the navigator
(:func:`update_step`) and the newest checkpoint on disk (:func:`refresh_checkpoint`)."""

from __future__ import annotations

import contextlib
import math
from pathlib import Path
from typing import TYPE_CHECKING

from mlxstudio.core.training import runs
from mlxstudio.gui.i18n import translate
from mlxstudio.gui.state import StepStatus
from mlxstudio.gui.train.markup import esc
from mlxstudio.gui.train.run_states import FAILED, FINISHED, STOPPED

if TYPE_CHECKING:
    from mlxstudio.gui.pages.train_page import TrainPage


def finished(page: TrainPage, result: dict) -> None:
    """The run finished: its adapter is the Fuse & Test page's input and the step is ready."""
    assert page.run_dir is not None
    page._ui_timer.stop()
    page._apply_report()
    adapter = Path(str(result.get("adapter_path") or page.run_dir))
    it = int(result.get("iterations") or
             (page.last_report.iteration if page.last_report else page.total_iterations))
    val = result.get("val_loss", result.get("final_val_loss", page.last_val))
    runs.update_run(page.run_dir, status="finished", message=str(result.get("message", "")), pid=None,
                    result=result)
    page.plots.flush()
    page.state.set_adapter(adapter)
    summary = f"{it} it" + (translate("outcomes", " · val {val:.2g}").format(
        val=val) if isinstance(val, (int, float)) and math.isfinite(val) else "")
    page.state.set_step("train", StepStatus(ready=True, summary=summary))
    page._set_run_state(FINISHED)
    page.progress.set_message(translate("outcomes", "Finished: {summary}").format(summary=summary))
    page._set_banner("ok",
        translate("outcomes", "Finished — {summary}. The adapter is ready: <a href=\"test\">try it on "
                               "the Fuse &amp; Test page</a>.").format(summary=summary))
    page.log.append_line(translate("outcomes", "Finished. Adapter: {adapter}").format(adapter=adapter))
    page._refresh_runs()
    page._schedule_estimate()  # now based on the measured speed


def cancelled(page: TrainPage, message: str) -> None:
    """The run stopped (Stop, or the app quit): resumable when a checkpoint was written."""
    assert page.run_dir is not None
    page._ui_timer.stop()
    page._apply_report()
    refresh_checkpoint(page)
    runs.update_run(page.run_dir, status="stopped", message=message, pid=None)
    it = page.last_report.iteration if page.last_report else 0
    if page.last_checkpoint is not None:
        it = max(it, page.last_checkpoint[0])  # the engine saves where it stopped (maybe between reports)
    if (page.run_dir / runs.ADAPTER_FILE).is_file():  # a stopped run's adapter is usable: Fuse & Test takes it
        page.state.set_adapter(page.run_dir)
    page._set_run_state(STOPPED)
    if page.last_checkpoint:
        page._set_banner("info",
            translate("outcomes", "Stopped at iteration {it} of {total_iterations}. The adapter and a "
                                     "checkpoint are saved: <b>Resume</b> continues exactly from there, "
                                     "<b>Start over</b> begins a new run; <a href=\"test\">try this adapter "
                                     "on the Fuse &amp; Test page</a>.").format(it=it,
                                                                                total_iterations=page.total_iterations))
    elif it == 0:  # the engine writes nothing before the first step
        page._set_banner("info",
            translate("outcomes", "Stopped before the first step — nothing was saved. Press <b>Start</b> to "
                                 "train."))
    else:
        page._set_banner("info",
            translate("outcomes", "Stopped at iteration {it}. No checkpoint was written yet, so the run "
                                     "cannot be resumed; press Start to train again.").format(it=it))
    page.progress.set_message(translate("outcomes", "Stopped at iteration {it}").format(
        it=it) if it else translate("outcomes", "Stopped before the first step"),
                              iteration=it)
    page.log.append_line(translate("outcomes", "Stopped: {message}").format(message=message))
    update_step(page, busy=False, iteration=it)
    page._refresh_runs()


def failed(page: TrainPage, message: str) -> None:
    """The run failed: say why, and whether it can resume from a checkpoint."""
    assert page.run_dir is not None
    page._ui_timer.stop()
    page._apply_report()
    refresh_checkpoint(page)
    detail = page.worker.detail if page.worker is not None else ""
    runs.update_run(page.run_dir, status="failed", message=message, pid=None)
    page._set_run_state(FAILED)
    if page.last_checkpoint:
        tail = (translate("outcomes", "<br>The last good checkpoint is at iteration {last_checkpoint}: <a "
                    "href=\"resume\">Resume from it</a> or change the settings and Start "
                    "over.").format(last_checkpoint=page.last_checkpoint[0]))
    else:
        tail = translate("outcomes", "<br>No checkpoint was written yet: change what the message says and Start again.")
    page._set_banner("error", translate("outcomes", "Training stopped: {esc}{tail}").format(
        esc=esc(message), tail=tail))
    page.progress.set_message(translate("outcomes", "Failed"))
    page.log.append_line(message, "error")
    if detail:
        with contextlib.suppress(Exception):
            from mlxstudio.core.logs import get_logger

            get_logger().error("training worker failed: %s\n%s", message, detail)
    update_step(page, busy=False)
    page._refresh_runs()


def refresh_checkpoint(page: TrainPage) -> None:
    """The newest complete checkpoint on disk (it may be newer than the last event seen)."""
    if page.run_dir is not None:
        cks = runs.list_checkpoints(page.run_dir)
        if cks:
            page.last_checkpoint = (cks[-1].iteration, str(cks[-1].path))


def update_step(page: TrainPage, busy: bool, iteration: int | None = None) -> None:
    """The Train step's status in the navigator: the iteration while busy, else where the run stopped."""
    if busy:
        it = page.last_report.iteration if page.last_report else 0
        total = page.total_iterations
        page.state.set_step("train", StepStatus(busy=True, summary=translate("outcomes", "it {it}/{total}").format(
            it=it, total=total),
                                                progress=(it / total) if total else None))
    else:
        stopped = iteration if iteration is not None else (page.last_report.iteration if page.last_report else None)
        summary = translate("outcomes", "stopped at it {stopped}").format(stopped=stopped) if stopped else ""
        if stopped == 0:  # stopped while the model loaded: nothing was trained or saved
            summary = translate("outcomes", "stopped before the first step")
        # ready = an adapter exists, the one Fuse & Test uses (a stopped run's, or an earlier run's)
        page.state.set_step("train", StepStatus(ready=page.state.adapter is not None, summary=summary))
