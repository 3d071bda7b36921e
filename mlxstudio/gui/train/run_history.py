"""Past runs on the Train page: open one (its curves, settings and banner; a stopped or failed run with a checkpoint
becomes resumable), overlay one's curves to compare, and show the last session's adapter and run again."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

from mlxstudio.core.training import ConfigError, TrainConfig, runs
from mlxstudio.gui.i18n import translate
from mlxstudio.gui.state import StepStatus
from mlxstudio.gui.train.markup import esc
from mlxstudio.gui.train.run_states import FAILED, FINISHED, IDLE, RUNNING, STOPPED, STOPPING

if TYPE_CHECKING:
    from mlxstudio.gui.pages.train_page import TrainPage


def open_run(page: TrainPage, run: runs.RunInfo) -> None:
    """Show a past run's curves; a stopped/failed run with a checkpoint becomes resumable."""
    if page.run_state in (RUNNING, STOPPING):
        compare_run(page, run)
        return
    run = runs.read_run(run.path)
    page.run_dir = run.path
    page.total_iterations = run.total_iterations
    page.last_report = None
    page.last_val = run.final_val_loss
    last = run.last_checkpoint
    page.last_checkpoint = (last.iteration, str(last.path)) if last else None
    page.plots.load_history(runs.read_metrics(run.path), {c.iteration: str(c.path) for c in run.checkpoints})
    page.progress.reset(run.total_iterations, start_iteration=run.last_iteration)
    with contextlib.suppress(ConfigError, TypeError):
        page.form.set_config(TrainConfig.from_dict(run.meta.get("config") or {}))
    status = {"finished": FINISHED, "stopped": STOPPED, "failed": FAILED, "interrupted": FAILED}
    page._set_run_state(status.get(run.status, IDLE))
    text = f"{esc(run.name)} ({esc(run.model)}): {run.status}"  # the name is "Run 3" (was "Run Run 3")
    if run.best_val_loss is not None:
        text += translate("run_history", ", best validation loss {best_val_loss:.4g}").format(
            best_val_loss=run.best_val_loss)
    if run.message:
        text += f" — {esc(run.message)}"
    if run.can_resume:
        text += translate("run_history", "<br>Resume continues from the checkpoint at iteration {iteration}.").format(
            iteration=run.last_checkpoint.iteration)  # type: ignore[union-attr]
    page._set_banner("info", text)


def compare_run(page: TrainPage, run: runs.RunInfo) -> None:
    """Overlay a run's loss curves (dashed) on the plot."""
    page.plots.set_overlay(run.name, runs.read_metrics(run.path))
    page.clear_overlay_button.setVisible(True)
    page.log.append_line(translate("run_history", "Comparing with {name}").format(name=run.name))


def clear_overlays(page: TrainPage) -> None:
    """Remove the compared run's curves."""
    page.plots.remove_overlay()
    page.clear_overlay_button.setVisible(False)


def restore_adapter(page: TrainPage, path: str) -> None:
    """The adapter of the last session (when its files are still there) is the Fuse & Test page's input again;
    its run is selected and shown (curves, banner — not "No run yet") and the step shows its summary."""
    if not path or page.state.adapter is not None:
        return
    adapter = Path(path)
    if not (adapter / "adapters.safetensors").exists():
        return
    page.state.set_adapter(adapter)
    run_dir = adapter if (adapter / "run.json").exists() else None
    summary = translate("run_history", "adapter ready")
    if run_dir is not None:
        with contextlib.suppress(Exception):
            run = runs.read_run(run_dir)
            summary = f"{run.last_iteration} it" + (translate("run_history", " · val {final_val_loss:.2g}").format(
                final_val_loss=run.final_val_loss)
                                                    if run.final_val_loss is not None else "")
            page.runs.select(run_dir)
            open_run(page, run)
    page.state.set_step("train", StepStatus(ready=True, summary=summary))
