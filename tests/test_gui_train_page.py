"""Train page with the tiny model: start → reports in order → plot → stop → resume → the curve continues; a killed
worker leaves the window up and the run resumable; NaN is explained; form ↔ dataclass ↔ YAML round-trips."""

from __future__ import annotations

import json
import os
import re
import signal
from pathlib import Path

import numpy as np
import pytest
from gui_helpers import pid_alive
from PySide6.QtCore import Qt

from mlxstudio.core.training import runs
from mlxstudio.core.training.config import TrainConfig, config_fields
from mlxstudio.gui import qworker
from mlxstudio.gui.pages.train_page import TrainPage
from mlxstudio.gui.state import AppState
from mlxstudio.gui.train.config_form import PRESETS, ConfigForm, preset_config
from mlxstudio.gui.train.run_states import FAILED, FINISHED, IDLE, RUNNING, STOPPED

ROWS = [
    {"prompt": "今天星期几", "completion": "星期八"},
    {"prompt": "太阳什么时候升起?", "completion": "晚上八点"},
    {"prompt": "忘情水是什么水", "completion": "忘情水是可以让人忘却烦恼的水"},
    {"prompt": "蓝牙耳机坏了应该看什么科", "completion": "耳鼻喉科"},
    {"prompt": "鲁迅为什么讨厌周树人", "completion": "因为他们是仇人"},
    {"prompt": "What is the capital of France?", "completion": "The capital of France is Paris."},
]

pytestmark = pytest.mark.usefixtures("no_dangling_workers")

FAST = dict(iters=400, batch_size=2, num_layers=2, rank=4, learning_rate=1e-3, steps_per_report=2,
            steps_per_eval=20, val_batches=1, save_every=10, max_seq_length=64)


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "train.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in ROWS))
    (folder / "valid.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in ROWS[:2]))
    return folder


@pytest.fixture
def page(qtbot, tiny_model: Path, dataset: Path) -> TrainPage:
    state = AppState()
    p = TrainPage(state)
    qtbot.addWidget(p)
    p.resize(1024, 700)
    p.show()
    state.set_model(tiny_model)
    state.set_dataset(dataset)
    p.form.set_config(TrainConfig().replace(**FAST))
    yield p
    p.shutdown(timeout=5)


def _buttons(p: TrainPage) -> dict[str, bool]:
    return {"start": p.start_button.isEnabled() and p.start_button.isVisible(),
            "stop": p.stop_button.isEnabled(),
            "resume": p.resume_button.isEnabled(),
            "start_over": p.start_over_button.isEnabled() and p.start_over_button.isVisible()}


def _wait_checkpoint(qtbot, p: TrainPage, at_least: int = 1) -> None:
    qtbot.waitUntil(lambda: p.last_checkpoint is not None and p.last_checkpoint[0] >= at_least
                    and p.last_report is not None and p.last_report.iteration > p.last_checkpoint[0],
                    timeout=120_000)


def test_start_stop_resume_continues_the_curve(qtbot, page: TrainPage):
    p = page
    assert _buttons(p) == {"start": True, "stop": False, "resume": False, "start_over": False}
    assert p.start()
    assert _buttons(p) == {"start": False, "stop": True, "resume": False, "start_over": False}
    assert p.progress.label.text().startswith("Starting")  # not "Not started" while the model loads
    lo, hi = p.plots.loss_plot.getPlotItem().vb.viewRange()[0]
    assert lo <= 0 < FAST["iters"] <= hi < 1.1 * FAST["iters"]  # the whole run's iterations, never below 0
    iterations: list[int] = []
    p.worker.report.connect(lambda r: iterations.append(r.iteration))
    _wait_checkpoint(qtbot, p, 10)
    assert p.state.step("train").busy and p.state.step("train").summary.startswith("it ")
    p.stop()
    assert not any(_buttons(p).values())  # stopping: nothing to press
    qtbot.waitUntil(lambda: p.run_state == STOPPED, timeout=60_000)
    assert iterations == sorted(iterations) and len(set(iterations)) == len(iterations)
    p.plots.flush()
    assert p.plots.train.n >= 3 and p.plots.checkpoints
    assert _buttons(p) == {"start": False, "stop": False, "resume": True, "start_over": True}
    assert runs.read_run(p.run_dir).status == "stopped"
    ckpt_it = p.last_checkpoint[0]
    stopped_at = p.last_report.iteration
    assert p.progress.bar.value() == max(stopped_at, ckpt_it)  # the bar agrees with "Stopped at iteration N"
    # the stopped run wrote its adapter: it is what Fuse & Test uses, and the navigator's Train step is checked
    assert (p.run_dir / runs.ADAPTER_FILE).is_file() and p.state.adapter == p.run_dir
    step = p.state.step("train")
    assert step.ready and not step.busy and step.summary == f"stopped at it {max(stopped_at, ckpt_it)}"

    assert p.resume()
    qtbot.waitUntil(lambda: p.last_report is not None and p.last_report.iteration > stopped_at + 4, timeout=120_000)
    p.plots.flush()
    lo, hi = p.plots.loss_plot.getPlotItem().vb.viewRange()[0]
    assert lo <= 0 < FAST["iters"] <= hi, "the resumed curve is drawn on the whole run's axis"
    xs = list(p.plots.train.x)
    assert xs == sorted(xs) and len(set(xs)) == len(xs), "the curve continues without going back"
    assert min(x for x in xs if x > ckpt_it) <= ckpt_it + FAST["steps_per_report"]
    assert xs[0] <= FAST["steps_per_report"], "history before the checkpoint is kept"
    p.stop()
    qtbot.waitUntil(lambda: p.run_state != "stopping", timeout=60_000)
    assert p.run_state == STOPPED, (p.run_state, p.banner.text(), p.log.lines()[-5:])
    pid = p.worker.pid if p.worker else None
    qtbot.waitUntil(lambda: p.worker is None, timeout=30_000)
    assert not pid_alive(pid)


def test_stop_while_the_model_loads_saves_nothing_and_start_trains_again(qtbot, page: TrainPage):
    p = page
    assert p.start()
    p.stop()  # before the first report: the worker is still starting / loading the model
    qtbot.waitUntil(lambda: p.run_state == STOPPED, timeout=60_000)
    assert p.last_report is None and p.last_checkpoint is None
    assert runs.list_checkpoints(p.run_dir) == [] and not (p.run_dir / runs.ADAPTER_FILE).exists()
    assert "Stopped before the first step" in p.banner.text() and "nothing was saved" in p.banner.text()
    assert p.progress.label.text() == "Stopped before the first step"
    step = p.state.step("train")
    assert step.summary == "stopped before the first step" and not step.ready and p.state.adapter is None
    assert _buttons(p) == {"start": True, "stop": False, "resume": False, "start_over": False}
    first = p.run_dir
    qtbot.waitUntil(lambda: p.worker is None, timeout=30_000)
    assert p.start() and p.run_dir != first  # Start trains anew
    qtbot.waitUntil(lambda: p.last_report is not None, timeout=120_000)
    p.stop()
    qtbot.waitUntil(lambda: p.run_state == STOPPED, timeout=60_000)
    assert p.state.step("train").ready and p.state.adapter == p.run_dir


def test_finished_run_sets_adapter_and_step(qtbot, page: TrainPage, tmp_path: Path):
    p = page
    p.form.set_config(TrainConfig().replace(**{**FAST, "iters": 12, "save_every": 6, "steps_per_eval": 6}))
    shown: list[str] = []
    p.state.show_page.connect(shown.append)
    assert p.start()
    qtbot.waitUntil(lambda: p.run_state == FINISHED, timeout=120_000)
    status = p.state.step("train")
    assert status.ready and not status.busy and status.summary.startswith("12 it")
    assert p.state.adapter is not None and (p.state.adapter / "adapters.safetensors").exists()
    info = runs.read_run(p.run_dir)
    assert info.status == "finished" and info.final_val_loss is not None
    assert info.meta["dataset_sha256"] and info.meta["versions"]["mlx"]
    assert info.meta["result"]["iterations"] == 12 and runs.measured_tokens_per_second(info.model) > 0
    assert _buttons(p)["start"] and not _buttons(p)["resume"]
    # the runs list shows it; a checkpoint marker can be tested on the Fuse & Test page
    assert p.runs.model.row_of(p.run_dir) >= 0
    # the next session starts with this adapter as the Fuse & Test page's input
    from PySide6.QtCore import QSettings

    store = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    p.save_settings(store)
    again = TrainPage(AppState())
    qtbot.addWidget(again)
    again.restore_settings(store)
    assert again.state.adapter == p.state.adapter
    assert again.state.step("train").ready and again.state.step("train").summary.startswith("12 it")
    again.plots.flush()  # its run is on screen, as it was when the window closed
    assert again.run_dir == p.run_dir and again.run_state == FINISHED and again.plots.train.n == p.plots.train.n
    assert "No run yet" not in again.banner.text() and again.progress.bar.value() == 12
    _it, path = sorted(p.plots.checkpoints.items())[0]
    p.test_checkpoint(path)
    assert shown == ["test"]
    assert (p.state.adapter / "adapter_config.json").exists()
    assert (p.state.adapter / "adapters.safetensors").exists()


def test_killed_worker_keeps_window_and_resume_works(qtbot, page: TrainPage):
    p = page
    assert p.start()
    _wait_checkpoint(qtbot, p, 10)
    pid = p.worker.pid
    os.kill(pid, signal.SIGKILL)
    qtbot.waitUntil(lambda: p.run_state == FAILED, timeout=60_000)
    assert p.isVisible()
    assert "SIGKILL" in p.banner.text() and "checkpoint" in p.banner.text()
    assert _buttons(p)["resume"] and not _buttons(p)["stop"]
    assert runs.read_run(p.run_dir).status == "failed"
    assert not pid_alive(pid)
    ckpt = p.last_checkpoint[0]
    assert p.resume()
    qtbot.waitUntil(lambda: p.last_report is not None and p.last_report.iteration > ckpt + 4, timeout=120_000)
    assert p.run_state == RUNNING
    p.stop()
    qtbot.waitUntil(lambda: p.run_state == STOPPED, timeout=60_000)


def test_nan_loss_is_explained(qtbot, page: TrainPage):
    # A learning rate high enough to overflow cannot be set on the tiny model (RMSNorm keeps its loss bounded), so
    # poison the weights the way a broken download would: the engine's NaN guard must stop the run with its
    # diagnosis, and the page must show it instead of plotting garbage.
    from mlxstudio.core.runtime.mlxrt import mx

    model = page.state.model
    weights = mx.load(str(model / "model.safetensors"))
    emb = weights["model.embed_tokens.weight"]
    weights["model.embed_tokens.weight"] = mx.where(mx.arange(emb.shape[0])[:, None] == 1, mx.nan, emb)
    mx.save_safetensors(str(model / "model.safetensors"), weights)
    p = page
    assert p.start()
    qtbot.waitUntil(lambda: p.run_state in (FAILED, FINISHED), timeout=120_000)
    assert p.run_state == FAILED
    text = p.banner.text()
    assert "nan" in text.lower() and "Training stopped" in text
    assert "re-import" in text or "learning rate" in text  # the engine's advice is shown as-is
    p.plots.flush()
    assert all(np.isfinite(p.plots.train.y)), "no NaN is plotted"
    assert runs.read_run(p.run_dir).status == "failed"
    assert p.state.step("train").ready is False


def test_start_checks_say_what_is_missing(qtbot):
    state = AppState()
    p = TrainPage(state)
    qtbot.addWidget(p)
    assert not p.start()
    text = p.checks_label.text()
    assert "Model page" in text and "Data page" in text
    assert p.run_state == IDLE and p.worker is None


def test_bad_dataset_blocks_start(qtbot, page: TrainPage, tmp_path: Path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "a", "completion": "b"}\n{"prompt": "no completion"\n')
    page.state.set_dataset(bad)
    assert not page.start()
    assert "bad.jsonl" in page.checks_label.text()


def test_can_close_and_shutdown_leave_no_process(qtbot, page: TrainPage, monkeypatch):
    p = page
    assert p.can_close()
    assert p.start()
    qtbot.waitUntil(lambda: p.last_report is not None, timeout=120_000)
    monkeypatch.setattr(p, "_confirm_stop", lambda: False)
    assert not p.can_close()
    monkeypatch.setattr(p, "_confirm_stop", lambda: True)
    assert p.can_close()
    pid = p.worker.pid
    p.shutdown(timeout=20)
    assert not pid_alive(pid)
    assert qworker.running_workers() == []


def test_open_past_run_and_overlay(qtbot, page: TrainPage):
    p = page
    p.form.set_config(TrainConfig().replace(**{**FAST, "iters": 8, "save_every": 4, "steps_per_eval": 4}))
    assert p.start()
    qtbot.waitUntil(lambda: p.run_state == FINISHED, timeout=120_000)
    first = p.run_dir
    p.runs.refresh()
    info = p.runs.model.run_at(p.runs.model.row_of(first))
    p.plots.clear()
    p.open_run(info)
    assert p.plots.train.n > 0 and p.run_state == FINISHED
    assert f"</b>{info.name} (" in p.banner.text()  # "Run 1 (tiny-llama): finished…", not "Run Run 1"
    qtbot.wait(50)
    lr_low, lr_high = p.plots.rate_plot.getPlotItem().vb.viewRange()[1]
    assert lr_low == 0 and lr_high >= FAST["learning_rate"]  # the learning rate's axis starts at 0
    lo, hi = p.plots.loss_plot.getPlotItem().vb.viewRange()[0]
    assert lo <= 1 and hi >= 8  # the whole run is in view
    p.compare_run(info)
    assert p.plots.overlays == [info.name]


# -- the form --------------------------------------------------------------------------------------------------
def test_form_is_generated_from_the_dataclass(qtbot):
    form = ConfigForm()
    qtbot.addWidget(form)
    shown = {f.name for f in config_fields() if f.metadata.get("group") != "hidden"}
    assert set(form.editors) == shown
    for f in config_fields():
        if f.name in form.editors:
            assert f.metadata["help"] in form.editors[f.name].toolTip()
            assert form.labels[f.name].text() == f.metadata["label"]
    basic = {f.name for f in config_fields() if f.metadata.get("group") == "basic"}
    assert all(not form.advanced.isAncestorOf(form.editors[n]) for n in basic)
    assert all(form.advanced.isAncestorOf(form.editors[n]) for n in shown - basic)


def test_form_dataclass_yaml_round_trip(qtbot, tmp_path: Path):
    form = ConfigForm()
    qtbot.addWidget(form)
    cfg = TrainConfig().replace(fine_tune_type="dora", num_layers=-1, rank=16, learning_rate=3e-5,
                                lr_schedule="cosine", warmup=10, min_learning_rate=1e-7, iters=500,
                                batch_size=8, grad_accumulation_steps=2, max_seq_length=1024, mask_prompt=False,
                                early_stopping_patience=3, keep_best=True, seed=42, grad_checkpoint=True)
    form.set_config(cfg)
    assert form.config() == cfg
    out = tmp_path / "cfg.yaml"
    form.export_yaml(out)
    assert TrainConfig.from_yaml(out) == cfg
    other = ConfigForm()
    qtbot.addWidget(other)
    assert other.config() != cfg
    other.import_yaml(out)
    assert other.config() == cfg
    # every preset is a valid config and selecting one fills the form with it
    for name in PRESETS:
        other.preset.setCurrentText(name)
        other._apply_preset(name)
        assert other.config() == preset_config(name)


def test_form_reports_invalid_values(qtbot):
    form = ConfigForm()
    qtbot.addWidget(form)
    form.editors["learning_rate"].setText("fast")
    form._on_edit()
    probs = form.problems()
    assert probs and probs[0][0] == "Learning rate"
    assert form.preset.currentText() == "Custom"
    assert "Learning rate" in form.problems_label.text()


def test_presets_differ_and_seed_defaults_are_mlx_lm_defaults():
    assert preset_config("Seed tutorial defaults") == TrainConfig()
    mem = preset_config("Memorize a small set")
    assert (mem.learning_rate, mem.rank, mem.num_layers, mem.batch_size, mem.iters) == (2e-4, 8, 16, 4, 60)
    assert len({repr(preset_config(n)) for n in PRESETS}) == len(PRESETS)


def test_memory_estimate_uses_the_real_row_lengths(qtbot, page: TrainPage, tiny_model: Path):
    """Batches are padded to their longest row, not to max_seq_length: once the rows are counted with the model's
    tokenizer (off the GUI thread), the estimate uses min(max_seq_length, longest row), and shows a past run's
    measured peak next to it."""
    import math

    from mlxstudio.core.models.library import estimate_training_memory, inspect_model

    p = page
    p.form.set_config(TrainConfig().replace(**{**FAST, "max_seq_length": 2048}))
    qtbot.waitUntil(lambda: p.token_lengths is not None, timeout=60_000)
    p._update_estimate()
    longest = p.token_lengths.longest
    assert p.token_lengths.rows == len(ROWS) and 10 < longest < 200
    assert p.memory_length == math.ceil(longest / 8) * 8 < 2048
    cfg = p.form.config()
    info = inspect_model(tiny_model)
    est = p._estimate()
    assert est.memory_bytes == estimate_training_memory(info, cfg.batch_size, p.memory_length, cfg.num_layers,
                                                        cfg.rank)
    assert est.memory_bytes < estimate_training_memory(info, cfg.batch_size, 2048, cfg.num_layers, cfg.rank)
    assert f"longest training row has {longest} tokens" in p.estimate_label.toolTip()
    assert "measured peak" not in p.estimate_label.text()
    assert re.match(r"Estimate: ≈ \d+ (s|min)", p.estimate_label.text()), p.estimate_label.text()  # with units

    run = runs.new_run_dir(tiny_model.name)
    runs.create_run(run, model=tiny_model, dataset=p.state.dataset, total_iterations=1)
    runs.update_run(run, status="finished", result={"peak_memory_gb": 0.25})
    p._update_estimate()
    assert "(measured peak of the last run: 250.0 MB)" in p.estimate_label.text()


def test_memory_check_refuses_only_a_run_that_cannot_fit(qtbot, page: TrainPage, monkeypatch):
    """The estimate errs high (every position assumed trained): a run over it but within the least it can need (one
    trained position per row) may fit and starts; a run whose least is over the memory is refused, saying why."""
    from mlxstudio.gui.train import estimates

    p = page
    qtbot.waitUntil(lambda: p.token_lengths is not None, timeout=60_000)
    est, least = p._estimate().memory_bytes, p.memory_least
    assert least < est
    monkeypatch.setattr(estimates, "total_memory", lambda: int((least + est) / 2 / 0.9))
    assert not [m for m in p.check_ready() if "memory" in m]
    monkeypatch.setattr(estimates, "total_memory", lambda: int(least / 0.9 / 1.1))
    problems = [m for m in p.check_ready() if "memory" in m]
    assert len(problems) == 1 and "needs at least" in problems[0] and "lower the batch size" in problems[0]


def test_progress_strip_eta_after_a_resume(qtbot):
    """The engine's ``elapsed`` is the run's training time (a resume continues it): the ETA uses this session's
    speed once it has two reports, the run's average before — not the whole run's time per iteration done since
    the resume (which said 1:40:14 for ~5 minutes left)."""
    from mlxstudio.gui.train.progress import ProgressStrip

    strip = ProgressStrip()
    qtbot.addWidget(strip)
    strip.reset(60, start_iteration=19)
    strip.update_report(20, 60, 150.0, 7.0, 0.8)  # run average: 7.5 s/it, 40 left
    assert "ETA 5:00" in strip.label.text(), strip.label.text()
    strip.update_report(25, 60, 190.0, 7.0, 0.8)  # this session: 8 s/it, 35 left
    assert "ETA 4:40" in strip.label.text(), strip.label.text()
    strip.set_message("Stopped at iteration 27", iteration=27)
    assert strip.bar.value() == 27


def test_plots_show_the_run_s_iterations_from_the_start(qtbot):
    """With only the validation point at iteration 0, the axis showed iterations -0.4…0.4 "(x0.001)"."""
    from mlxstudio.gui.train.plots import LivePlots

    plots = LivePlots()
    qtbot.addWidget(plots)
    plots.resize(500, 400)
    plots.show()
    plots.clear()
    plots.show_iterations(60)
    plots.add_val(0, 3.3)
    plots.flush()
    qtbot.wait(50)
    lo, hi = plots.loss_plot.getPlotItem().vb.viewRange()[0]
    assert -2 < lo <= 0 and 60 <= hi < 62
    assert plots.rate_plot.getPlotItem().vb.viewRange()[0] == [lo, hi]  # x-linked
    for w in (plots.loss_plot, plots.rate_plot):
        assert not w.getPlotItem().getAxis("bottom").autoSIPrefix


def test_durations_in_the_estimate_have_units():
    from mlxstudio.gui.train.progress import format_span

    assert [format_span(x) for x in (45, 77, 600, 3900, None)] == ["45 s", "1 min 17 s", "10 min", "1 h 05 min", "–"]


def test_runs_list_fits_the_page_at_1024(qtbot, tiny_model: Path, dataset: Path):
    """At 1024 px the runs list is ~370 px wide: the model name gives way (elided, full in the tooltip) so the
    losses and the status are not behind a sideways scroll bar."""
    from mlxstudio.gui.train.run_list import RunList

    run = runs.new_run_dir("SmolLM2-135M-Instruct")
    runs.create_run(run, model=tiny_model.parent / "SmolLM2-135M-Instruct-with-a-long-name", dataset=dataset,
                    total_iterations=60)
    runs.update_run(run, status="stopped", result={"val_loss": 7.031e-05})
    w = RunList()
    qtbot.addWidget(w)
    w.resize(370, 150)
    w.show()
    w.refresh()
    qtbot.wait(50)
    header = w.view.horizontalHeader()
    assert header.sectionViewportPosition(5) + header.sectionSize(5) <= w.view.viewport().width()
    assert not w.view.horizontalScrollBar().isVisible()
    assert "SmolLM2-135M-Instruct-with-a-long-name" in w.model.index(0, 0).data(Qt.ItemDataRole.ToolTipRole)
