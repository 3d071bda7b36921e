"""Identical maths across the engine's variants (issue 22): with a fixed batch order, the loss shortcuts (trained
positions only, cached frozen layers), the GPU's padding (multiples of 32, trained positions to 64, filled validation
batches) and the plain full loss give the same losses — step by step, in float32 and in bfloat16.

The engine runs in float32 on the CPU backend, so the bfloat16 case drives the same loss functions and optimizer
through a short training loop directly (the model cast to bfloat16, as it stays on a GPU)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mlxstudio.core import events as ev
from mlxstudio.core.training import strategy
from mlxstudio.core.training.config import TrainConfig
from mlxstudio.core.training.engine import run_training

SEED = Path(__file__).parent / "data" / "seed_train.jsonl"
VARIANTS = {
    "plain": "selected_loss=0,prefix_cache=0",
    "selected": "selected_loss=1,prefix_cache=0",
    "prefix": "selected_loss=1,prefix_cache=1",
    "gpu-padding": "selected_loss=1,prefix_cache=1,min_pad_multiple=32,select_multiple=64,full_eval_batches=1",
    "plain-gpu-padding": "selected_loss=0,prefix_cache=0,min_pad_multiple=32,full_eval_batches=1",
}


def rows() -> list[dict[str, str]]:
    return [json.loads(x) for x in SEED.read_text(encoding="utf-8").splitlines() if x.strip()]


@pytest.fixture(scope="module")
def deep_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny model with 4 blocks, so 2 adapted blocks leave 2 frozen ones for the prefix cache."""
    from tiny_model import make_tiny_model

    return make_tiny_model(tmp_path_factory.mktemp("deep") / "tiny4", layers=4)


def test_strategy_table() -> None:
    assert strategy.TABLE["CPU"].min_pad_multiple == 1 and strategy.TABLE["CPU"].select_multiple == 16
    for gpu in ("CUDA", "Metal"):
        s = strategy.TABLE[gpu]
        assert s.pad_multiple(8) == 32 and s.pad_multiple(64) == 64 and s.full_eval_batches
    assert strategy.for_backend("unknown") == strategy.TABLE["CPU"]


def test_strategy_override_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(strategy.ENV_OVERRIDE, "prefix_cache=0,min_pad_multiple=32")
    s = strategy.for_backend("CPU")
    assert not s.prefix_cache and s.min_pad_multiple == 32 and s.selected_loss
    monkeypatch.setenv(strategy.ENV_OVERRIDE, "turbo=1")
    with pytest.raises(ValueError, match="unknown field 'turbo'"):
        strategy.for_backend("CPU")


def _run(model: Path, out: Path, variant: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv(strategy.ENV_OVERRIDE, VARIANTS[variant])
    events: list[ev.Event] = []
    cfg = TrainConfig(iters=8, learning_rate=1e-3, batch_size=4, num_layers=2, steps_per_report=1,
                      steps_per_eval=4, val_batches=-1, save_every=0, seed=3)
    data = {"train": rows() * 3, "valid": rows()}  # 15 rows: 3 batches an epoch, a 3-row last validation batch
    result = run_training(model, data, out, cfg, sink=events.append)
    return {"train": [e.train_loss for e in events if isinstance(e, ev.TrainReport)],
            "val": [e.val_loss for e in events if isinstance(e, ev.ValReport)], "result": result}


def test_engine_variants_give_the_same_losses_float32(deep_model: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    runs = {v: _run(deep_model, tmp_path / v, v, monkeypatch) for v in VARIANTS}
    ref = runs["plain"]
    assert ref["result"]["loss_path"] == "default"
    assert runs["prefix"]["result"]["loss_path"] == "prefix"
    assert runs["selected"]["result"]["loss_path"] == "selected"
    for name, r in runs.items():
        assert len(r["train"]) == 8 and len(r["val"]) == 3
        assert r["result"]["trained_tokens"] == ref["result"]["trained_tokens"], name
        assert r["train"] == pytest.approx(ref["train"], rel=1e-4), name
        assert r["val"] == pytest.approx(ref["val"], rel=1e-4), name
        assert r["result"]["compiled_shapes"] >= 1


def test_gpu_padding_makes_fewer_shapes(deep_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cpu = _run(deep_model, tmp_path / "cpu", "prefix", monkeypatch)["result"]["compiled_shapes"]
    gpu = _run(deep_model, tmp_path / "gpu", "gpu-padding", monkeypatch)["result"]["compiled_shapes"]
    assert gpu <= cpu


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_loss_paths_train_alike(deep_model: Path, dtype: str) -> None:
    """Five Adam steps on a fixed batch order with each loss path, in ``dtype``: the same losses."""
    import mlx.core as mx
    import mlx.nn as nn
    import mlx.optimizers as optim
    from mlx_lm import load
    from mlx_lm.tuner.utils import linear_to_lora_layers

    from mlxstudio.core.training import fastpath
    from mlxstudio.core.training.batching import BatchOrder, make_batch, tokenize_rows
    from mlxstudio.core.training.loss import masked_loss

    def train(path: str, pad: int, select_multiple: int) -> list[float]:
        model, tok = load(str(deep_model))
        model.set_dtype(getattr(mx, dtype))
        mx.random.seed(0)
        model.freeze()
        linear_to_lora_layers(model, 2, {"rank": 4, "scale": 10.0, "dropout": 0.0})
        data = tokenize_rows(rows() * 2, tok, mask_prompt=True, max_seq_length=2048)
        order = BatchOrder(data.lengths, 4, seed=1)
        cache = None
        if path == "prefix":
            cache = fastpath.PrefixCache(model, 2)
            cache.build(data.tokens, data.lengths)
        opt = optim.Adam(learning_rate=3e-3)

        def loss_fn(m: Any, b: Any) -> Any:
            if path == "plain":
                return masked_loss(m, b.inputs, b.lengths)
            if path == "selected":
                return fastpath.selected_loss(m, b.inputs[:, :-1], b.sel, b.targets, b.weights)
            assert cache is not None
            return fastpath.prefix_loss(m, 2, cache.batch(b.indices, b.inputs.shape[1] - 1), b.sel, b.targets,
                                        b.weights)

        vg = nn.value_and_grad(model, loss_fn)
        losses = []
        for step in range(5):
            b = make_batch(data, order.indices(step), pad, 2048, True, select_multiple)
            (loss, _), grad = vg(model, b)
            opt.update(model, grad)
            mx.eval(loss, model.parameters(), opt.state)
            losses.append(loss.item())
        return losses

    ref = train("plain", 8, 16)
    rel = 1e-5 if dtype == "float32" else 2e-2  # bfloat16 keeps ~3 significant digits per value
    for path, pad, sm in (("selected", 8, 16), ("prefix", 8, 16), ("prefix", 32, 64), ("plain", 32, 16)):
        assert train(path, pad, sm) == pytest.approx(ref, rel=rel), (path, pad)
