"""Training in a worker process: the same events as in-process; a killed worker leaves a resumable checkpoint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlxstudio.core import events as ev
from mlxstudio.core.runtime.worker import WorkerProcess, execute
from mlxstudio.core.training import checkpoint as ckpt
from mlxstudio.core.training.config import TrainConfig
from mlxstudio.core.training.engine import run_training

SEED = Path(__file__).parent / "data" / "seed_train.jsonl"


def write_data(folder: Path) -> Path:
    rows = [json.loads(x) for x in SEED.read_text(encoding="utf-8").splitlines() if x.strip()]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "train.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows * 4),
                                        encoding="utf-8")
    (folder / "valid.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows[:2]),
                                        encoding="utf-8")
    return folder


def cfg(**kw: object) -> TrainConfig:
    base: dict[str, object] = dict(iters=12, learning_rate=1e-3, steps_per_report=2, steps_per_eval=6, save_every=4,
                                   num_layers=2)
    base.update(kw)
    return TrainConfig(**base)  # type: ignore[arg-type]


def summary(events: list[ev.Event]) -> list[tuple[object, ...]]:
    out: list[tuple[object, ...]] = []
    for e in events:
        if isinstance(e, ev.TrainReport):
            out.append(("TrainReport", e.iteration, round(e.train_loss, 4), e.trained_tokens))
        elif isinstance(e, ev.ValReport):
            out.append(("ValReport", e.iteration, round(e.val_loss, 4)))
        elif isinstance(e, ev.CheckpointSaved):
            out.append(("CheckpointSaved", e.iteration))
        elif isinstance(e, ev.Finished):
            out.append(("Finished", e.result["iterations"], round(e.result["train_loss"], 4)))
        else:
            out.append((e.kind,))
    return out


def test_worker_streams_the_same_events_as_in_process(tiny_model: Path, tmp_path: Path) -> None:
    data = write_data(tmp_path / "data")
    local: list[ev.Event] = []
    params = {"model": str(tiny_model), "data": str(data), "config": cfg().to_dict()}
    assert execute("train", {**params, "adapter_path": str(tmp_path / "a")}, local.append) == 0
    w = WorkerProcess("train", {**params, "adapter_path": str(tmp_path / "b")})
    remote = list(w.events())
    assert w.returncode == 0
    assert summary(remote) == summary(local)
    assert [e.kind for e in remote].count("TrainReport") == 6
    assert isinstance(remote[-1], ev.Finished) and remote[-1].result["adapter_path"] == str(tmp_path / "b")


def test_worker_cancel_is_graceful(tiny_model: Path, tmp_path: Path) -> None:
    data = write_data(tmp_path / "data")
    w = WorkerProcess("train", {"model": str(tiny_model), "data": str(data), "adapter_path": str(tmp_path / "a"),
                                "config": cfg(iters=5000, steps_per_report=1).to_dict()}).start()
    seen = []
    for e in w.events():
        seen.append(e)
        if isinstance(e, ev.TrainReport) and e.iteration == 3:
            w.cancel()
    assert isinstance(seen[-1], ev.Cancelled) and "adapter saved" in seen[-1].message
    assert w.returncode == 130
    last = ckpt.latest_checkpoint(tmp_path / "a")
    assert last is not None and int(last.name) >= 3


def test_killed_worker_fails_with_the_signal_and_the_last_checkpoint_resumes(tiny_model: Path,
                                                                             tmp_path: Path) -> None:
    data = write_data(tmp_path / "data")
    out = tmp_path / "a"
    config = cfg(iters=5000, steps_per_report=1, save_every=3, steps_per_eval=0)
    w = WorkerProcess("train", {"model": str(tiny_model), "data": str(data), "adapter_path": str(out),
                                "config": config.to_dict()}).start()
    events = []
    for e in w.events():
        events.append(e)
        if isinstance(e, ev.TrainReport) and e.iteration == 7:
            w.kill()
    assert isinstance(events[-1], ev.Failed) and "SIGKILL" in events[-1].message
    last = ckpt.latest_checkpoint(out)
    assert last is not None and int(last.name) >= 6
    result = run_training(tiny_model, data, out, config.replace(iters=int(last.name) + 2), resume=True)
    assert result["resumed_from"] == int(last.name) and result["iterations"] == int(last.name) + 2
    its = [json.loads(x)["iteration"] for x in (out / "metrics.jsonl").read_text().splitlines()
           if "train_loss" in x]
    assert its == list(range(1, int(last.name) + 3))


@pytest.mark.parametrize("bad", [{"model": "/no/such/model"}, {"data": "/no/such/data.jsonl"}])
def test_bad_input_fails_cleanly_in_the_worker(tiny_model: Path, tmp_path: Path, bad: dict[str, str]) -> None:
    params = {"model": str(tiny_model), "data": str(write_data(tmp_path / "d")), "adapter_path": str(tmp_path / "a"),
              "config": cfg().to_dict(), **bad}
    w = WorkerProcess("train", params)
    final = w.run()
    assert isinstance(final, ev.Failed) and "no/such" in final.message and "Traceback" not in final.message
    assert w.returncode == 2
