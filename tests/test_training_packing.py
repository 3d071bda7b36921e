"""Sequence packing on the tiny model: the same rows, trained positions and loss as padded batches; rows in one
sequence never see each other (block-diagonal causal mask; rotary positions need no reset)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from test_training import Recorder, data, fast, seed_rows

from mlxstudio.core import events as ev
from mlxstudio.core.training import fastpath, packing
from mlxstudio.core.training.batching import make_batch, tokenize_rows
from mlxstudio.core.training.engine import run_training
from mlxstudio.core.training.loss import masked_loss, trained_range


@pytest.fixture(scope="module")
def loaded(tiny_model_session: Path) -> tuple[Any, Any]:
    from mlx_lm.utils import load

    return load(str(tiny_model_session))


def test_plan_fills_sequences_first_fit_longest_first() -> None:
    assert packing.plan([5, 30, 10, 20], 40) == [[1, 2], [3, 0]]
    assert packing.plan([40, 40], 40) == [[0], [1]]
    seqs = packing.plan([3, 9, 4, 7, 1, 8], 12)
    assert sorted(k for s in seqs for k in s) == list(range(6))
    assert all(sum([3, 9, 4, 7, 1, 8][k] for k in s) <= 12 for s in seqs)


@pytest.mark.parametrize("max_seq_length", [2048, 60])
def test_packed_batch_trains_the_same_positions_with_the_same_loss(loaded: tuple[Any, Any],
                                                                   max_seq_length: int) -> None:
    model, tok = loaded
    rows = seed_rows() * 2
    d = tokenize_rows(rows, tok, mask_prompt=True, max_seq_length=max_seq_length)
    idx = [0, 3, 1, 7, 4, 9]
    pb = packing.make_packed_batch(d, idx, 8, max_seq_length)
    n_seq, width = pb.inputs.shape
    assert (n_seq == 1) == (max_seq_length == 2048) and width <= max_seq_length
    assert pb.real_tokens == sum(d.lengths[i] for i in idx) and pb.slots == n_seq * width
    # every trained (row, position) of the padded batch, and nothing else, is selected in the packed one
    where = {}
    for s, start, i in pb.layout:
        for p in range(d.lengths[i]):
            where[s * width + start + p] = (i, p)
    sel = np.array(pb.sel)[: int(np.array(pb.weights).sum())]
    got = {where[int(k) + 1] for k in sel}  # the hidden state at k predicts the token at k + 1 of the same row
    want = {(i, p) for i in idx for p in range(*trained_range(d.offsets[i], d.lengths[i]))}
    assert got == want
    inputs = np.array(pb.inputs).reshape(-1)
    assert list(np.array(pb.targets)[: len(sel)]) == [inputs[int(k) + 1] for k in sel]
    # the loss (full model, and from cached lower layers) equals the padded batch's full loss
    b = make_batch(d, idx, 8, max_seq_length, True)
    ref, ntoks = masked_loss(model, b.inputs, b.lengths)
    got_loss, got_toks = packing.packed_loss(model, pb.inputs, pb.segments, pb.sel, pb.targets, pb.weights)
    assert got_toks.item() == ntoks.item() == len(want)
    assert got_loss.item() == pytest.approx(ref.item(), rel=1e-5)
    cache = fastpath.PrefixCache(model, 1)
    cache.build(d.tokens, d.lengths)
    hidden = packing.packed_hidden(cache, pb)
    prefix_loss = packing.packed_prefix_loss(model, 1, hidden, pb.segments, pb.sel, pb.targets, pb.weights)[0]
    assert prefix_loss.item() == pytest.approx(ref.item(), rel=1e-5)


def test_rows_in_one_sequence_do_not_see_each_other(loaded: tuple[Any, Any]) -> None:
    """Each row's hidden states in a packed sequence equal the row computed alone (positions from 0)."""
    from mlxstudio.core.runtime.mlxrt import mx

    model, tok = loaded
    d = tokenize_rows(seed_rows(), tok, mask_prompt=True, max_seq_length=2048)
    pb = packing.make_packed_batch(d, [0, 1, 2], 8, 2048)
    assert pb.inputs.shape[0] == 1
    parts = fastpath.model_parts(model)
    assert parts is not None
    mask = packing.block_causal_mask(pb.segments)
    h = parts.embed(pb.inputs)
    for layer in parts.layers:
        h = layer(h, mask, cache=None)
    packed = parts.norm(h)
    for _, start, i in pb.layout:
        n = d.lengths[i]
        alone = model.model(mx.array([d.tokens[i][:n]]))
        assert start > 0 or i == pb.layout[0][2]
        assert mx.allclose(packed[0, start:start + n], alone[0], atol=1e-4, rtol=1e-4).item(), i
    # and the mask matters: with plain causal attention the later rows would differ
    h = parts.embed(pb.inputs)
    for layer in parts.layers:
        h = layer(h, "causal", cache=None)
    _, start, i = max(pb.layout, key=lambda r: r[1])
    alone = model.model(mx.array([d.tokens[i][:d.lengths[i]]]))
    assert not mx.allclose(parts.norm(h)[0, start:start + d.lengths[i]], alone[0], atol=1e-3).item()


@pytest.mark.parametrize("num_layers", [2, 1])
def test_the_engine_with_packing_follows_the_same_curve(tiny_model: Path, tmp_path: Path, num_layers: int) -> None:
    runs = {}
    results = {}
    for pack in (False, True):
        rec = Recorder()
        results[pack] = run_training(tiny_model, data(), tmp_path / f"p{pack}",
                                     fast(num_layers=num_layers, iters=12, pack_sequences=pack), sink=rec)
        runs[pack] = rec
    logs = " ".join(e.message for e in runs[True].events if isinstance(e, ev.Log))
    assert "packed end to end" in logs
    assert ("frozen lower layers are computed once" in logs) == (num_layers == 1)
    ref, got = runs[False].losses(), runs[True].losses()
    assert list(ref) == list(got)
    for it in ref:
        assert got[it] == pytest.approx(ref[it], rel=1e-4), it
    assert results[True]["trained_tokens"] == results[False]["trained_tokens"]
    assert results[True]["padding_fraction"] < results[False]["padding_fraction"] / 2


def test_packing_is_not_used_without_the_loss_shortcuts(tiny_model: Path, tmp_path: Path) -> None:
    rec = Recorder()
    run_training(tiny_model, data(), tmp_path / "a", fast(iters=2, pack_sequences=True, fast_loss=False), sink=rec)
    assert any("packing rows needs the exact loss shortcuts" in e.message for e in rec.events
               if isinstance(e, ev.Log))
