"""The training engine on the tiny synthetic model: real mlx-lm training, cancel, exact resume, NaN guard."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mlxstudio.core import events as ev
from mlxstudio.core.errors import Cancelled, UserError
from mlxstudio.core.training import checkpoint as ckpt
from mlxstudio.core.training.config import ConfigError, TrainConfig
from mlxstudio.core.training.engine import TrainingDiverged, run_training

SEED = Path(__file__).parent / "data" / "seed_train.jsonl"


def seed_rows() -> list[dict[str, str]]:
    return [json.loads(line) for line in SEED.read_text(encoding="utf-8").splitlines() if line.strip()]


def data(n: int = 4) -> dict[str, list[dict[str, str]]]:
    rows = seed_rows()
    return {"train": rows * n, "valid": rows[:2]}


def fast(**kw: Any) -> TrainConfig:
    base = dict(iters=20, learning_rate=1e-3, batch_size=4, steps_per_report=1, steps_per_eval=10, save_every=5,
                num_layers=2, val_batches=-1)
    base.update(kw)
    return TrainConfig(**base)  # type: ignore[arg-type]


class Recorder:
    """A sink that records events and can request a cancel after a given iteration."""

    def __init__(self, cancel_after: int | None = None) -> None:
        self.events: list[ev.Event] = []
        self.cancel_after = cancel_after
        self.stop = False

    def __call__(self, event: ev.Event) -> None:
        self.events.append(event)
        if (self.cancel_after is not None and isinstance(event, ev.TrainReport)
                and event.iteration >= self.cancel_after):
            self.stop = True

    def cancel(self) -> bool:
        return self.stop

    def losses(self) -> dict[int, float]:
        return {e.iteration: e.train_loss for e in self.events if isinstance(e, ev.TrainReport)}


def test_training_lowers_the_loss_and_writes_an_mlx_lm_adapter(tiny_model: Path, tmp_path: Path) -> None:
    out = tmp_path / "adapter"
    rec = Recorder()
    result = run_training(tiny_model, data(), out, fast(iters=30, steps_per_report=5), sink=rec)
    losses = rec.losses()
    assert list(losses) == [5, 10, 15, 20, 25, 30]
    assert losses[30] < losses[5] - 0.5
    vals = [e.val_loss for e in rec.events if isinstance(e, ev.ValReport)]
    assert vals[-1] < vals[0]
    assert result["iterations"] == 30 and result["train_loss"] == losses[30]
    assert 0 <= result["padding_fraction"] < 0.5 and result["tokens_per_second"] > 0
    for name in ("adapters.safetensors", "adapter_config.json", "config.yaml", "metrics.jsonl"):
        assert (out / name).exists(), name
    metrics = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    assert [m["iteration"] for m in metrics if "train_loss" in m] == [5, 10, 15, 20, 25, 30]
    assert TrainConfig.from_yaml(out / "config.yaml") == fast(iters=30, steps_per_report=5)
    # mlx-lm itself loads the adapter, and the tuned model differs from the base
    from mlx_lm.utils import load

    from mlxstudio.core.runtime.mlxrt import mx

    base, tok = load(str(tiny_model))
    tuned, _ = load(str(tiny_model), adapter_path=str(out))
    x = mx.array([tok.encode("今天星期几")])
    assert not mx.allclose(base(x), tuned(x)).item()


def test_cancel_writes_a_loadable_adapter_and_checkpoint(tiny_model: Path, tmp_path: Path) -> None:
    out = tmp_path / "adapter"
    rec = Recorder(cancel_after=7)
    with pytest.raises(Cancelled, match="stopped at iteration 7 of 20"):
        run_training(tiny_model, data(), out, fast(), sink=rec, cancel=rec.cancel)
    assert max(rec.losses()) == 7
    assert ckpt.latest_checkpoint(out) == ckpt.checkpoint_dir(out, 7)
    from mlx_lm.utils import load

    load(str(tiny_model), adapter_path=str(out))


def test_cancel_before_the_first_step_writes_nothing(tiny_model: Path, tmp_path: Path) -> None:
    """A stop while the model loads / the data is prepared (here: once the run is set up, before validation 0)
    leaves no checkpoint and no adapter — it wrote an untrained checkpoint at iteration 0."""
    out = tmp_path / "adapter"
    rec = Recorder()
    sink = rec.__call__

    def on_event(event: ev.Event) -> None:
        sink(event)
        if isinstance(event, ev.Log) and "training rows" in event.message:
            rec.stop = True

    with pytest.raises(Cancelled, match="stopped before the first step"):
        run_training(tiny_model, data(), out, fast(), sink=on_event, cancel=rec.cancel)
    assert ckpt.latest_checkpoint(out) is None and not (out / ckpt.CHECKPOINTS_DIR).exists()
    assert not (out / "adapters.safetensors").exists()
    assert not [e for e in rec.events if isinstance(e, (ev.TrainReport, ev.CheckpointSaved))]
    with pytest.raises(UserError, match="no complete checkpoint"):  # nothing to resume: Start trains anew
        run_training(tiny_model, data(), out, fast(), resume=True)
    assert run_training(tiny_model, data(), out, fast(iters=2))["iterations"] == 2


@pytest.mark.parametrize("variant", [
    {"dropout": 0.1, "cancel_after": 10},
    {"grad_accumulation_steps": 2, "lr_schedule": "cosine", "warmup": 4, "cancel_after": 9},
    {"num_layers": 1, "cancel_after": 8},  # the lower layer is frozen: its outputs are cached (fastpath "prefix")
    {"num_layers": 1, "pack_sequences": True, "cancel_after": 9},  # packed rows on top of the cached layer
])
def test_resume_continues_exactly(tiny_model: Path, tmp_path: Path, variant: dict[str, Any]) -> None:
    variant = dict(variant)
    cancel_after = variant.pop("cancel_after")
    cfg = fast(**variant)
    full = Recorder()
    run_training(tiny_model, data(), tmp_path / "full", cfg, sink=full)

    part = Recorder(cancel_after=cancel_after)
    with pytest.raises(Cancelled):
        run_training(tiny_model, data(), tmp_path / "part", cfg, sink=part, cancel=part.cancel)
    rest = Recorder()
    result = run_training(tiny_model, data(), tmp_path / "part", cfg, sink=rest, resume=True)
    assert result["resumed_from"] == cancel_after

    expected = full.losses()
    got = {**part.losses(), **rest.losses()}
    assert list(got) == list(expected) == list(range(1, 21))
    for it in expected:
        assert got[it] == pytest.approx(expected[it], rel=1e-5, abs=1e-6), it
    # the learning-rate schedule continued where it was
    lrs_full = {e.iteration: e.learning_rate for e in full.events if isinstance(e, ev.TrainReport)}
    lrs_rest = {e.iteration: e.learning_rate for e in rest.events if isinstance(e, ev.TrainReport)}
    for it, lr in lrs_rest.items():
        assert lr == pytest.approx(lrs_full[it], rel=1e-6)
    # optimizer state and adapter weights end up the same
    a_w, a_opt, _ = ckpt.load_checkpoint(ckpt.checkpoint_dir(tmp_path / "full", 20))
    b_w, b_opt, _ = ckpt.load_checkpoint(ckpt.checkpoint_dir(tmp_path / "part", 20))
    from mlxstudio.core.runtime.mlxrt import mx

    assert set(a_opt) == set(b_opt) and "step" in a_opt
    assert int(b_opt["step"].item()) == 20 // cfg.grad_accumulation_steps
    for k in a_opt:
        assert mx.allclose(a_opt[k], b_opt[k], rtol=1e-5, atol=1e-7).item(), k
    for k in a_w:
        assert mx.allclose(a_w[k], b_w[k], rtol=1e-5, atol=1e-7).item(), k
    # metrics.jsonl of the resumed run holds each iteration once
    its = [json.loads(x)["iteration"] for x in (tmp_path / "part" / "metrics.jsonl").read_text().splitlines()
           if "train_loss" in x]
    assert its == list(range(1, 21))


def test_resume_refuses_changed_settings_and_missing_checkpoints(tiny_model: Path, tmp_path: Path) -> None:
    out = tmp_path / "a"
    rec = Recorder(cancel_after=3)
    with pytest.raises(Cancelled):
        run_training(tiny_model, data(), out, fast(), sink=rec, cancel=rec.cancel)
    with pytest.raises(ConfigError, match="rank was 8, now 4"):
        run_training(tiny_model, data(), out, fast(rank=4), resume=True)
    with pytest.raises(UserError, match="already at iteration 3, past the 2 iterations asked for"):
        run_training(tiny_model, data(), out, fast(iters=2), resume=True)
    with pytest.raises(Exception, match="no complete checkpoint"):
        run_training(tiny_model, data(), tmp_path / "empty", fast(), resume=True)


def test_nan_loss_stops_with_a_diagnosis(tiny_model: Path, tmp_path: Path) -> None:
    from mlxstudio.core.runtime.mlxrt import mx

    weights = mx.load(str(tiny_model / "model.safetensors"))
    emb = weights["model.embed_tokens.weight"]
    weights["model.embed_tokens.weight"] = mx.where(mx.arange(emb.shape[0])[:, None] == 1, mx.nan, emb)  # <|im_start|>
    mx.save_safetensors(str(tiny_model / "model.safetensors"), weights)
    with pytest.raises(TrainingDiverged, match="before any update"):
        run_training(tiny_model, data(), tmp_path / "nan", fast())
    assert not (tmp_path / "nan" / "adapters.safetensors").exists()


def test_rows_without_trained_tokens_are_dropped(tiny_model: Path, tmp_path: Path) -> None:
    rows = seed_rows()
    long = {"prompt": "今天星期几 " * 40, "completion": "星期八"}
    rec = Recorder()
    run_training(tiny_model, {"train": [*rows, long], "valid": rows[:1]}, tmp_path / "a",
                 fast(iters=3, max_seq_length=48), sink=rec)
    warnings = [e.message for e in rec.events if isinstance(e, ev.Log) and e.level == "warning"]
    assert any("1 training row(s) skipped (rows 6)" in w for w in warnings), warnings
    assert all(e.train_loss == e.train_loss for e in rec.events if isinstance(e, ev.TrainReport))


def test_dora_and_early_stopping(tiny_model: Path, tmp_path: Path) -> None:
    rec = Recorder()
    result = run_training(tiny_model, data(), tmp_path / "d", fast(fine_tune_type="dora", iters=40,
                          learning_rate=3e-2, steps_per_eval=2, early_stopping_patience=2, keep_best=True), sink=rec)
    assert result["stopped_early"] and result["best_iteration"] < result["iterations"] < 40
    assert any("stopping early" in e.message for e in rec.events if isinstance(e, ev.Log))
    out = tmp_path / "d"
    assert (out / "adapters.safetensors").read_bytes() == (out / "best_adapters.safetensors").read_bytes()
    from mlx_lm.utils import load

    load(str(tiny_model), adapter_path=str(out))


@pytest.mark.parametrize("num_layers", [2, 1])
def test_fast_loss_matches_the_full_loss(tiny_model: Path, tmp_path: Path, num_layers: int) -> None:
    """The exact shortcuts (selected positions, cached frozen layers) give the full loss (``loss.masked_loss``: all
    logits, then the mask) step by step."""
    runs = {}
    for fast_loss in (False, True):
        rec = Recorder()
        run_training(tiny_model, data(), tmp_path / f"f{fast_loss}", fast(num_layers=num_layers, iters=12,
                     fast_loss=fast_loss), sink=rec)
        runs[fast_loss] = rec
    logs = " ".join(e.message for e in runs[True].events if isinstance(e, ev.Log))
    assert ("frozen lower layers are computed once" in logs) == (num_layers == 1)
    ref, got = runs[False].losses(), runs[True].losses()
    assert list(ref) == list(got)
    for it in ref:
        assert got[it] == pytest.approx(ref[it], rel=2e-4), it
    vref = [e.val_loss for e in runs[False].events if isinstance(e, ev.ValReport)]
    vgot = [e.val_loss for e in runs[True].events if isinstance(e, ev.ValReport)]
    assert vgot == pytest.approx(vref, rel=2e-4)
