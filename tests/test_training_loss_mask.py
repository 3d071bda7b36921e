"""Which tokens the engine trains, observed on the tiny model: exactly the answer and the end of the turn.

The trained positions are read off the gradient: a zero shift is added to the final norm's output (the hidden state
each position's logits come from) and differentiated; a target position is trained iff the loss depends on it. Every
loss the engine can use (the full loss, the selected-positions shortcut, the cached-lower-layers shortcut) must give
the same set — and never the padding position after the row, which mlx-lm 0.32's ``default_loss`` trains.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from test_training import fast, seed_rows

from mlxstudio.core.training import fastpath
from mlxstudio.core.training.batching import make_batch, tokenize_rows
from mlxstudio.core.training.engine import run_training
from mlxstudio.core.training.loss import masked_loss, trained_count

ROWS = [{"prompt": "今天星期几", "completion": "星期八"},
        {"prompt": "蓝牙耳机坏了应该看什么科", "completion": "耳鼻喉科"}]


class _Shift:
    """The model's final norm plus a shift we differentiate against (zero: the loss itself is unchanged)."""

    def __init__(self, norm: Any) -> None:
        self.norm = norm
        self.delta: Any = None

    def __call__(self, x: Any) -> Any:
        return self.norm(x) + self.delta[:, : x.shape[1]]


@pytest.fixture(scope="module")
def loaded(tiny_model_session: Path) -> tuple[Any, Any]:
    from mlx_lm.utils import load

    return load(str(tiny_model_session))


def trained_positions(model: Any, loss: Any, batch_shape: tuple[int, int]) -> list[set[int]]:
    """Per row: the row positions p (token p is a target, predicted at p - 1) whose prediction the loss uses."""
    from mlxstudio.core.runtime.mlxrt import mx

    b, width = batch_shape
    dim = model.args.hidden_size
    body = model.model
    real_norm = body.norm
    shift = _Shift(real_norm)
    try:
        body.norm = shift  # plain attribute swap: the loss functions call body.norm(...) / model_parts().norm

        def f(delta: Any) -> Any:
            shift.delta = delta
            return loss()

        g = mx.grad(f)(mx.zeros((b, width - 1, dim)))
        mx.eval(g)
    finally:
        body.norm = real_norm
    hit = np.abs(np.array(g)).sum(-1) > 0
    return [{int(t) + 1 for t in np.nonzero(hit[j])[0]} for j in range(b)]


@pytest.mark.parametrize("mask_prompt", [True, False])
def test_exactly_the_answer_and_end_of_turn_are_trained(loaded: tuple[Any, Any], mask_prompt: bool) -> None:
    from mlx_lm.tuner.trainer import default_loss

    model, tok = loaded
    data = tokenize_rows(ROWS, tok, mask_prompt=mask_prompt, max_seq_length=2048)
    b = make_batch(data, [0, 1], pad_multiple=8, max_seq_length=2048, select=True)
    arr = np.array(b.inputs)
    shape = tuple(arr.shape)
    want = []
    for j in range(2):
        offset, length = data.offsets[j], data.lengths[j]
        assert arr.shape[1] > length  # the row is followed by padding: the off-by-one would show
        want.append(set(range(max(offset, 1), length)))
        assert len(want[j]) == trained_count(offset, length) == data.trained_tokens(j)
        trained_text = tok.decode([int(arr[j, p]) for p in sorted(want[j])])
        if mask_prompt:  # the answer, the end-of-turn token and the template's newline after it; no prompt
            assert trained_text == ROWS[j]["completion"] + "<|im_end|>\n"
        else:  # everything after the first token
            assert trained_text.endswith(ROWS[j]["completion"] + "<|im_end|>\n") and "user" in trained_text

    full = trained_positions(model, lambda: masked_loss(model, b.inputs, b.lengths)[0], shape)
    assert full == want
    selected = trained_positions(
        model, lambda: fastpath.selected_loss(model, b.inputs[:, :-1], b.sel, b.targets, b.weights)[0], shape)
    assert selected == want
    cache = fastpath.PrefixCache(model, 1)
    cache.build(data.tokens, data.lengths)
    prefix = trained_positions(model, lambda: fastpath.prefix_loss(
        model, 1, cache.batch(b.indices, shape[1] - 1), b.sel, b.targets, b.weights)[0], shape)
    assert prefix == want
    counts = [masked_loss(model, b.inputs, b.lengths)[1].item(),
              fastpath.selected_loss(model, b.inputs[:, :-1], b.sel, b.targets, b.weights)[1].item()]
    assert counts == [sum(len(w) for w in want)] * 2

    # why the engine has its own mask: mlx-lm 0.32's default_loss also trains the first padding token of each row
    upstream = trained_positions(model, lambda: default_loss(model, b.inputs, b.lengths)[0], shape)
    assert upstream == [w | {data.lengths[j]} for j, w in enumerate(want)]
    assert all(arr[j, data.lengths[j]] == 0 for j in range(2))  # that position holds the pad id


def test_a_row_cut_by_max_seq_length_trains_up_to_its_last_kept_token(loaded: tuple[Any, Any]) -> None:
    model, tok = loaded
    full = tokenize_rows(ROWS[:1], tok, mask_prompt=True, max_seq_length=2048)
    cut = full.lengths[0] - 2
    data = tokenize_rows(ROWS[:1], tok, mask_prompt=True, max_seq_length=cut)
    b = make_batch(data, [0], pad_multiple=8, max_seq_length=cut, select=True)
    assert b.inputs.shape[1] == cut == data.lengths[0]  # no padding column at all
    want = [set(range(data.offsets[0], cut))]
    assert trained_positions(model, lambda: masked_loss(model, b.inputs, b.lengths)[0], (1, cut)) == want
    assert trained_positions(model, lambda: fastpath.selected_loss(
        model, b.inputs[:, :-1], b.sel, b.targets, b.weights)[0], (1, cut)) == want


@pytest.mark.parametrize("fast_loss", [False, True])
def test_the_engine_trains_the_corrected_count(tiny_model_session: Path, loaded: tuple[Any, Any], tmp_path: Path,
                                               fast_loss: bool) -> None:
    """One epoch (20 rows, batch 4, 5 iterations): the engine's trained-token total is the sum of the rows' counts
    (mlx-lm's mask would give one more per row), whichever loss the engine picked."""
    _, tok = loaded
    rows = seed_rows() * 4
    data = tokenize_rows(rows, tok, mask_prompt=True, max_seq_length=2048)
    result = run_training(tiny_model_session, {"train": rows, "valid": rows[:2]}, tmp_path / "a",
                          fast(iters=5, fast_loss=fast_loss))
    assert result["trained_tokens"] == sum(data.trained_tokens(i) for i in range(len(data)))
