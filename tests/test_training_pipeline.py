"""The pipelined loop (``strategy.pipeline``: step n + 1 dispatched before step n's loss is read; an option, off on
every backend since it measured no faster on the GPU) gives the same numbers as the synchronous loop, stops where it
is asked to, and resumes exactly. Run on the CPU backend with the strategy overridden."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from test_training import Recorder, data

from mlxstudio.core import events as ev
from mlxstudio.core.errors import Cancelled
from mlxstudio.core.training import strategy
from mlxstudio.core.training.config import TrainConfig
from mlxstudio.core.training.engine import run_training


def cfg(**kw: Any) -> TrainConfig:
    base: dict[str, Any] = dict(iters=14, learning_rate=1e-3, batch_size=4, steps_per_report=5, steps_per_eval=7,
                                save_every=0, num_layers=2, val_batches=-1, seed=1)
    base.update(kw)
    return TrainConfig(**base)


def adapter(path: Path) -> dict[str, Any]:
    from mlxstudio.core.runtime.mlxrt import mx

    return dict(mx.load(str(path / "adapters.safetensors")))


def run(model: Path, out: Path, pipeline: bool, monkeypatch: pytest.MonkeyPatch, config: TrainConfig,
        **kw: Any) -> tuple[Recorder, dict[str, Any]]:
    monkeypatch.setenv(strategy.ENV_OVERRIDE, f"pipeline={int(pipeline)}")
    rec = kw.pop("sink", None) or Recorder()
    return rec, run_training(model, data(), out, config, sink=rec, **kw)


@pytest.mark.parametrize("variant", [{}, {"grad_accumulation_steps": 2}, {"num_layers": 1}])
def test_pipelined_loop_gives_the_same_numbers(tiny_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               variant: dict[str, Any]) -> None:
    from mlxstudio.core.runtime.mlxrt import mx

    sync_rec, sync = run(tiny_model, tmp_path / "sync", False, monkeypatch, cfg(**variant))
    pipe_rec, pipe = run(tiny_model, tmp_path / "pipe", True, monkeypatch, cfg(**variant))
    assert sync["pipelined_steps"] == 0
    assert pipe["pipelined_steps"] == 10  # 14 steps; not past the reports at 5, 10, the validation at 7, the end
    assert list(pipe_rec.losses()) == [5, 10, 14]
    assert pipe_rec.losses() == sync_rec.losses()  # the same operations in the same order: equal, not close
    val = [[e.val_loss for e in r.events if isinstance(e, ev.ValReport)] for r in (sync_rec, pipe_rec)]
    assert len(val[0]) == 3 and val[0] == val[1]
    lrs = [[e.learning_rate for e in r.events if isinstance(e, ev.TrainReport)] for r in (sync_rec, pipe_rec)]
    assert lrs[0] == lrs[1]
    assert pipe["trained_tokens"] == sync["trained_tokens"] and pipe["train_time"] > 0
    a, b = adapter(tmp_path / "sync"), adapter(tmp_path / "pipe")
    assert a.keys() == b.keys() and all(mx.array_equal(a[k], b[k]).item() for k in a)


def test_cancel_while_pipelined_stops_there_and_resumes_exactly(tiny_model: Path, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    config = cfg(iters=20, steps_per_report=4, steps_per_eval=0, save_every=0)
    full_rec, _ = run(tiny_model, tmp_path / "full", True, monkeypatch, config)
    calls = 0

    def cancel() -> bool:  # asked before every launch: the 7th ask is made while step 6 runs (not a report step)
        nonlocal calls
        calls += 1
        return calls >= 7

    part = tmp_path / "part"
    with pytest.raises(Cancelled) as stopped:
        run(tiny_model, part, True, monkeypatch, config, cancel=cancel)
    found = re.search(r"stopped at iteration (\d+) of 20", str(stopped.value))
    assert found and int(found.group(1)) % 4 != 0  # stopped between two reports, on the pipelined path
    at = int(found.group(1))
    rest_rec, result = run(tiny_model, part, True, monkeypatch, config, resume=True)
    assert result["resumed_from"] == at
    expected = {k: v for k, v in full_rec.losses().items() if k > at + 3}  # reports whose window is after the stop
    got = rest_rec.losses()
    for it, loss in expected.items():
        assert got[it] == pytest.approx(loss, rel=1e-5, abs=1e-6), it
