"""Numerics: a NaN/inf in the middle of a run stops it with a diagnosis and never reaches the saved adapter; a batch
never has zero trained tokens (so never a 0/0 NaN loss), whatever max_seq_length cuts away.

(The NaN-at-the-first-step case and "one over-long row is skipped" are tested in test_training.py.)
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from reliability_faults import CONFIG, write_data

from mlxstudio.core import events as ev
from mlxstudio.core.errors import DataError
from mlxstudio.core.runtime.mlxrt import mx
from mlxstudio.core.runtime.worker import execute
from mlxstudio.core.training import checkpoint as ckpt
from mlxstudio.core.training.batching import BatchOrder, eval_batches, make_batch, tokenize_rows
from mlxstudio.core.training.engine import run_training


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_weights_blowing_up_mid_run_stop_it_with_a_diagnosis(bad: float, tiny_model: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """After iteration 6 an adapter weight becomes NaN/inf (as an overflow would make it): iteration 7's loss is not
    finite → the run stops (exit 2) saying what to do; nothing non-finite is saved; checkpoint 4 stays usable."""
    import mlx_lm.tuner.utils as tuner_utils
    from mlx.utils import tree_flatten, tree_unflatten

    models: list[Any] = []
    real = tuner_utils.linear_to_lora_layers

    def convert(model: Any, *a: Any, **k: Any) -> Any:
        models.append(model)
        return real(model, *a, **k)

    monkeypatch.setattr(tuner_utils, "linear_to_lora_layers", convert)
    events: list[ev.Event] = []

    def sink(e: ev.Event) -> None:
        events.append(e)
        if isinstance(e, ev.TrainReport) and e.iteration == 6:
            name, value = tree_flatten(models[0].trainable_parameters())[0]
            models[0].update(tree_unflatten([(name, mx.full(value.shape, bad, value.dtype))]))

    out = tmp_path / "run"
    data = write_data(tmp_path / "data")
    code = execute("train", {"model": str(tiny_model), "data": str(data), "adapter_path": str(out),
                             "config": CONFIG.to_dict()}, sink)
    final = events[-1]
    assert code == 2 and isinstance(final, ev.Failed), final
    msg = final.message
    assert "iteration 7" in msg and "learning rate" in msg and "lower it" in msg, msg
    assert "last good checkpoint (iteration 4) is kept" in msg, msg
    assert ckpt.latest_checkpoint(out) == ckpt.checkpoint_dir(out, 4)
    for f in (out / "adapters.safetensors", ckpt.checkpoint_dir(out, 4) / "adapters.safetensors"):
        for k, v in mx.load(str(f)).items():
            assert mx.isfinite(v).all().item(), (f, k)
    records = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    assert max(r["iteration"] for r in records) == 6
    assert all(math.isfinite(r.get("train_loss", r.get("val_loss", 0.0))) for r in records)
    from mlx_lm.utils import load

    load(str(tiny_model), adapter_path=str(out))


ROWS = [
    {"prompt": "今天星期几", "completion": "星期八"},
    {"prompt": "太阳什么时候升起? " * 3, "completion": "晚上八点"},
    {"prompt": "hello", "completion": "the quick brown fox jumps over the lazy dog"},
    {"prompt": "忘情水是什么水 " * 6, "completion": "忘情水是可以让人忘却烦恼的水"},
]
CHAT = [{"messages": [{"role": "system", "content": "be brief " * k},
                      {"role": "user", "content": r["prompt"]}, {"role": "assistant", "content": r["completion"]}]}
        for k, r in enumerate(ROWS)]


@pytest.fixture(scope="module")
def loaded(tiny_model_session: Path) -> tuple[Any, Any]:
    from mlx_lm.utils import load

    return load(str(tiny_model_session))


@pytest.mark.parametrize("rows", [ROWS, CHAT], ids=["completion", "chat"])
def test_no_batch_has_zero_trained_tokens_at_any_max_seq_length(rows: list[dict[str, Any]],
                                                               loaded: tuple[Any, Any]) -> None:
    """Every max_seq_length from 2 to past the longest row: the kept rows each have ≥ 1 trained token, so every
    training and validation batch (the full loss and the fast loss) has trained tokens and a finite loss."""
    from mlxstudio.core.training import fastpath
    from mlxstudio.core.training.loss import masked_loss

    model, tokenizer = loaded
    full = tokenize_rows(rows, tokenizer, mask_prompt=True, max_seq_length=10_000)
    longest = max(full.lengths)
    kept_counts = []
    for max_len in range(2, longest + 2):
        data = tokenize_rows(rows, tokenizer, mask_prompt=True, max_seq_length=max_len)
        kept_counts.append(len(data))
        if not len(data):
            continue
        bs = min(2, len(data))  # as the engine lowers the batch size for tiny sets
        order = BatchOrder(data.lengths, bs, 0, True)
        batches = [make_batch(data, order.indices(s), 8, max_len, True) for s in range(order.batches_per_epoch)]
        batches += eval_batches(data, bs, -1, 0, 8, max_len, True)
        for b in batches:
            loss, ntoks = masked_loss(model, b.inputs, b.lengths)
            assert ntoks.item() > 0, (max_len, b.indices)
            assert math.isfinite(loss.item()), (max_len, b.indices)
            fast, fast_toks = fastpath.selected_loss(model, b.inputs[:, :-1], b.sel, b.targets, b.weights)
            assert fast_toks.item() == ntoks.item() and math.isfinite(fast.item()), (max_len, b.indices)
    assert kept_counts[0] == 0 and kept_counts[-1] == len(rows), kept_counts  # the sweep crossed every cut-off


def test_every_answer_cut_away_is_a_clear_error(tiny_model: Path, tmp_path: Path) -> None:
    rows = [{"prompt": "今天星期几 " * 30, "completion": "星期八"}] * 4
    with pytest.raises(DataError, match="no training row has any answer tokens within max_seq_length=16"):
        run_training(tiny_model, {"train": rows, "valid": rows[:1]}, tmp_path / "a", CONFIG.replace(max_seq_length=16))
    assert not (tmp_path / "a" / "adapters.safetensors").exists()


def test_validation_rows_cut_away_give_no_nan_validation_loss(tiny_model: Path, tmp_path: Path) -> None:
    long = {"prompt": "今天星期几 " * 30, "completion": "星期八"}
    events: list[ev.Event] = []
    run_training(tiny_model, {"train": ROWS * 2, "valid": [long, long]}, tmp_path / "a",
                 CONFIG.replace(iters=4, max_seq_length=48), sink=events.append)
    logs = [e.message for e in events if isinstance(e, ev.Log)]
    assert any("2 validation row(s) skipped" in m for m in logs), logs
    assert any("no validation rows" in m for m in logs), logs
    assert not [e for e in events if isinstance(e, ev.ValReport)]
    records = [json.loads(x) for x in (tmp_path / "a" / "metrics.jsonl").read_text().splitlines()]
    assert records and all(math.isfinite(r["train_loss"]) for r in records)
