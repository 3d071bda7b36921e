"""Starting a run on the Train page: a new run after the start checks, or a stopped one resumed from its last
checkpoint — the run folder, the page's counters, the plots and the strip are set before the page launches the
worker; and the worker job's parameters."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlxstudio.core.training import ConfigError, TrainConfig, runs
from mlxstudio.gui.i18n import translate
from mlxstudio.gui.train import estimates, readiness
from mlxstudio.gui.train.run_states import RUNNING, STOPPING

if TYPE_CHECKING:
    from mlxstudio.gui.pages.train_page import TrainPage


def start(page: TrainPage) -> bool:
    """Start a new run with the form's settings (after the checks). Returns True when a run started."""
    if page.run_state in (RUNNING, STOPPING):
        return False
    problems = readiness.check_ready(page)
    if problems:
        page.checks_label.setText("<br>".join(f"⚠ {p}" for p in problems))
        page._set_banner("warning", translate("run_start", "Cannot start yet: ") + problems[0])
        return False
    page.checks_label.setText("")
    cfg = page.form.config()
    model, dataset = Path(page.state.model), Path(page.state.dataset)  # type: ignore[arg-type]
    run_dir = runs.new_run_dir(model.name)
    n_train = estimates.n_train_rows(dataset)
    total = cfg.total_iters(n_train) if n_train else cfg.iters
    runs.create_run(run_dir, model=model, dataset=dataset, config=cfg.to_dict(), total_iterations=total)
    page.run_dir = run_dir
    page.last_checkpoint = None
    page.last_val = None
    page.last_report = None
    page.total_iterations = total
    page.plots.clear()
    page.plots.show_iterations(total)
    page.progress.reset(total)
    page.log.append_line(translate("run_start", "Run {name}: {name2} on {name3}, {total} iterations").format(
        name=run_dir.name, name2=model.name, name3=dataset.name, total=total))
    page._launch(cfg, resume=False)
    return True


def resume(page: TrainPage) -> bool:
    """Continue the current (stopped/failed) run from its last checkpoint. Returns True when it restarted."""
    if page.run_dir is None or page.last_checkpoint is None or page.run_state in (RUNNING, STOPPING):
        return False
    meta = runs.read_meta(page.run_dir)
    try:
        cfg = TrainConfig.from_dict(meta.get("config") or {})
    except ConfigError:
        cfg = page.form.config()
    it, _path = page.last_checkpoint
    page.plots.load_history(runs.read_metrics(page.run_dir, until=it),
                            {c.iteration: str(c.path) for c in runs.list_checkpoints(page.run_dir)
                             if c.iteration <= it})
    page.last_report = None
    page.total_iterations = int(meta.get("total_iterations") or cfg.iters)
    page.plots.show_iterations(page.total_iterations)
    page.progress.reset(page.total_iterations, start_iteration=it)
    page.log.append_line(translate("run_start", "Resuming {name} from the checkpoint at iteration {it}").format(
        name=page.run_dir.name, it=it))
    page._launch(cfg, resume=True)
    return True


def train_params(page: TrainPage, cfg: TrainConfig, resume: bool) -> dict[str, Any]:
    """The worker job's parameters (the engine's ``train_job`` contract)."""
    meta = runs.read_meta(page.run_dir) if page.run_dir else {}
    return {
        "model": str(meta.get("model_path") or page.state.model),
        "data": str(meta.get("dataset") or page.state.dataset),
        "adapter_path": str(page.run_dir),
        "config": cfg.to_dict(),
        "resume": resume,
    }
