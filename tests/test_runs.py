"""The run store: run folders, metrics history (incl. a resumed run's rewritten tail), checkpoints, estimates."""

from __future__ import annotations

import json
import os
from pathlib import Path

from mlxstudio.core import paths
from mlxstudio.core.training import runs


def _write_metrics(run: Path, records: list[dict], torn_tail: bool = False) -> None:
    text = "".join(json.dumps(r) + "\n" for r in records)
    if torn_tail:
        text += '{"iteration": 99, "train_lo'
    (run / runs.METRICS_FILE).write_text(text)


def test_new_run_dir_is_unique_and_under_runs_dir():
    a = runs.new_run_dir("SmolLM2 135M/Instruct")
    b = runs.new_run_dir("SmolLM2 135M/Instruct")
    assert a != b and a.parent == paths.runs_dir() == b.parent
    assert "/" not in a.name and "SmolLM2" in a.name


def test_create_update_and_read_run(tmp_path, seed_data):
    run = runs.new_run_dir("tiny")
    meta = runs.create_run(run, model=tmp_path / "tiny", dataset=seed_data, config={"iters": 60},
                           total_iterations=60)
    assert meta["dataset_sha256"] == runs.dataset_hash(seed_data)
    assert meta["versions"]["mlx-lm"] != "not installed"
    runs.update_run(run, status="running", pid=os.getpid())
    _write_metrics(run, [
        {"iteration": 1, "val_loss": 3.0, "val_time": 0.1},
        {"iteration": 5, "train_loss": 2.5, "learning_rate": 2e-4, "tokens_per_second": 100.0},
        {"iteration": 10, "train_loss": 1.5, "learning_rate": 2e-4, "tokens_per_second": 120.0},
        {"iteration": 10, "val_loss": 1.2, "val_time": 0.1},
    ], torn_tail=True)
    (run / "checkpoints" / "0000010").mkdir(parents=True)
    (run / "checkpoints" / "0000010" / "manifest.json").write_text("{}")
    (run / "checkpoints" / "0000012").mkdir()  # no manifest: incomplete, not listed
    (run / "checkpoints" / ".0000015.tmp").mkdir()  # being written: not listed
    info = runs.read_run(run)
    assert info.status == "running"  # our own pid is alive
    assert info.last_iteration == 10 and info.final_train_loss == 1.5
    assert info.final_val_loss == 1.2 and info.best_val_loss == 1.2
    assert [c.iteration for c in info.checkpoints] == [10]
    assert info.total_iterations == 60 and info.model == "tiny"
    assert runs.measured_tokens_per_second("tiny") is None  # not finished
    runs.update_run(run, status="finished", result={"input_tokens": 1000, "train_time": 4.0})
    assert runs.measured_tokens_per_second("tiny") == 250.0


def test_dead_running_run_is_interrupted_and_resumable():
    run = runs.new_run_dir("m")
    runs.create_run(run, model="m", dataset="nowhere.jsonl")
    runs.update_run(run, status="running", pid=2**22 + 12345, owner_pid=2**22 + 12346)  # no such processes
    (run / "checkpoints" / "0000020_adapters.safetensors").parent.mkdir()
    (run / "checkpoints" / "0000020_adapters.safetensors").write_bytes(b"x")
    info = runs.read_run(run)
    assert info.status == "interrupted" and info.can_resume
    assert info.last_checkpoint.iteration == 20


def test_resumed_tail_replaces_reports_after_the_checkpoint(tmp_path):
    run = tmp_path / "r"
    run.mkdir()
    _write_metrics(run, [
        {"iteration": 10, "train_loss": 2.0}, {"iteration": 20, "train_loss": 1.0},
        {"iteration": 20, "val_loss": 1.1}, {"iteration": 30, "train_loss": 0.9},
        {"iteration": 30, "val_loss": 0.95},
        # killed after 30, resumed from the checkpoint at 20:
        {"iteration": 30, "train_loss": 0.8}, {"iteration": 40, "train_loss": 0.5},
    ])
    recs = runs.read_metrics(run)
    train = [(r["iteration"], r["train_loss"]) for r in recs if "train_loss" in r]
    val = [(r["iteration"], r["val_loss"]) for r in recs if "val_loss" in r]
    assert train == [(10, 2.0), (20, 1.0), (30, 0.8), (40, 0.5)]
    assert val == [(20, 1.1)]
    assert [r["iteration"] for r in runs.read_metrics(run, until=20)] == [10, 20, 20]


def test_list_runs_newest_first_and_damaged_folder_listed():
    a = runs.new_run_dir("a")
    runs.create_run(a, model="a", dataset="x")
    b = runs.new_run_dir("b")
    (b / runs.RUN_FILE).write_text("{ not json")
    names = [r.path for r in runs.list_runs()]
    assert set(names) == {a, b}


def test_count_parameters_and_estimate(tiny_model):
    n = runs.count_parameters(tiny_model)
    assert n is not None and 10_000 < n < 1_000_000
    est = runs.estimate_run(iterations=60, batch_size=4, mean_tokens=50, max_seq_length=32, parameters=n)
    assert est.tokens == 60 * 4 * 32  # rows are cut to max_seq_length
    assert est.seconds and est.seconds > 0 and "rough" in est.basis
    measured = runs.estimate_run(iterations=60, batch_size=4, mean_tokens=50, max_seq_length=512,
                                 tokens_per_second=100.0)
    assert measured.seconds == 120.0 and "measured" in measured.basis


def test_mean_row_tokens_uses_the_model_tokenizer(tiny_model):
    rows = [{"prompt": "今天星期几", "completion": "星期八"},
            {"messages": [{"role": "user", "content": "hello world"}]}]
    with_tok = runs.mean_row_tokens(rows, tiny_model)
    rough = runs.mean_row_tokens(rows, None)
    assert with_tok > 6 and rough > 6
