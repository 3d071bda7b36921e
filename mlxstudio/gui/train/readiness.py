"""The checks before a run starts on the Train page: a valid model and dataset, valid settings, reachable other
computers, a writable run folder and enough memory — each problem an HTML snippet saying what to do."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from mlxstudio.core import paths
from mlxstudio.core.errors import UserError
from mlxstudio.core.training import ConfigError
from mlxstudio.gui.i18n import translate
from mlxstudio.gui.train import estimates
from mlxstudio.gui.train.markup import esc
from mlxstudio.gui.train.progress import format_bytes

if TYPE_CHECKING:
    from mlxstudio.gui.pages.train_page import TrainPage


def check_ready(page: TrainPage) -> list[str]:
    """Problems that prevent starting (HTML snippets, each saying what to do). Empty: ready to start."""
    problems: list[str] = []
    model, dataset = page.state.model, page.state.dataset
    if model is None:
        problems.append(translate("readiness", 'No model chosen — pick one on the <a href="model">Model page</a>.'))
    elif not (Path(model) / "config.json").exists():
        problems.append(translate("readiness", "The model folder {model} has no config.json — choose another model on "
                            "the <a href=\"model\">Model page</a>.").format(model=model))
    else:
        with contextlib.suppress(ImportError):
            from mlxstudio.core.models import validate_model_dir

            try:
                validate_model_dir(Path(model))
            except UserError as exc:
                problems.append(translate("readiness", "{esc} — <a href=\"model\">Model page</a>").format(
                    esc=esc(str(exc))))
    if dataset is None:
        problems.append(
            translate("readiness", 'No dataset chosen — create or open one on the <a href="data">Data page</a>.'))
    elif not Path(dataset).exists():
        problems.append(translate("readiness", "The dataset {esc} does not exist any more — open it again on the <a "
                            "href=\"data\">Data page</a>.").format(esc=esc(str(dataset))))
    else:
        try:
            _load_training_data(Path(dataset))
        except UserError as exc:
            problems.append(
                translate("readiness", "The dataset has a problem: {esc} — fix it on the <a href=\"data\">Data "
                                "page</a>.").format(esc=esc(str(exc))))
    for label, msg in page.form.problems():
        problems.append(translate("readiness", "Setting “{esc}”: {esc2}").format(esc=esc(label), esc2=esc(msg)))
    with contextlib.suppress(ConfigError):
        problems += [esc(p) for p in page.hosts_panel.problems(page.form.config().batch_size)]
    if page.hosts_panel.is_distributed() and not problems:
        try:
            page.hosts_panel.hosts()
        except UserError as exc:
            problems.append(translate("readiness", "Other computers: {esc}").format(esc=esc(str(exc))))
    try:
        root = paths.runs_dir()
        with tempfile.NamedTemporaryFile(dir=root, prefix=".write-test-"):
            pass
    except OSError as exc:
        problems.append(translate("readiness", "Cannot write the run folder ({esc}) — free some disk space or set "
                            "MLXSTUDIO_HOME to a writable folder.").format(esc=esc(str(exc))))
    est = estimates.estimate(page)
    ram = estimates.total_memory()
    # refused only when it cannot fit: the estimate errs high (it assumes every position is trained), so compare
    # the least the run needs; and only once the rows are counted (before, batches are assumed max_seq_length long)
    least = page.memory_least if page.token_lengths is not None else None
    if est is not None and est.memory_bytes and ram and least and least > 0.9 * ram:
        problems.append(translate("readiness", "This run needs at least {format_bytes} of memory (up to "
                            "{format_bytes2}) but the computer has {format_bytes3} — lower the "
                            "batch size, max sequence length or layers, or turn on gradient "
                            "checkpointing.").format(format_bytes=format_bytes(least),
                                                     format_bytes2=format_bytes(est.memory_bytes),
                            format_bytes3=format_bytes(ram)))
        with contextlib.suppress(ConfigError):
            if page.form.config().fine_tune_type == "full":
                problems[-1] += " " + page.tr("Full fine-tuning keeps a gradient and two optimizer moments for every "
                                              "trained weight: train fewer blocks, or use LoRA.")
    return problems


def _load_training_data(path: Path) -> dict[str, list[dict]]:
    try:
        from mlxstudio.core.data import load_training_data
    except ImportError:  # the dataset module is not there: the engine will validate
        return {}
    return load_training_data(path)
