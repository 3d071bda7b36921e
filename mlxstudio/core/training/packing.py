"""Sequence packing: the rows of a batch laid end to end in as few sequences as fit ``max_seq_length`` (no padding
between rows), with attention kept inside each row.

A packed batch trains exactly the rows and tokens of the padded batch it replaces (same rows per step, same trained
positions, same mean loss); only the layout differs, so a run with packing follows the same curve as one without,
up to floating-point rounding. What it saves is the padding: a padded batch computes ``B x max(length)`` positions,
a packed one ``sum(length)`` rounded up to ``pad_multiple`` per sequence.

Attention separation: each layer is called with a block-diagonal causal mask (position ``i`` attends to ``j`` when
``j <= i`` and both belong to the same row), built from per-position segment ids. Positions are not reset per row:
every layer of the models the fast path accepts (llama/qwen/mistral shapes) uses rotary embeddings, whose attention
scores depend only on ``i - j``, which is the same whether a row starts at position 0 or at its offset in the
sequence — and hidden states carry no absolute position. So this is exact, not an approximation, for RoPE models;
the engine still checks it on the first batch against the unpacked full loss (:func:`.loss.masked_loss`) and does
not pack when they differ (a model with absolute positions would). The model's own embedding, blocks, norm and head
do all the computing (blocks take a ``mask`` argument); nothing of the transformer is re-implemented.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mlxstudio.core.training.fastpath import SELECT_MULTIPLE, model_parts, project_loss
from mlxstudio.core.training.loss import trained_range


@dataclass
class PackedBatch:
    """A batch of rows packed into ``[S, W]`` sequences.

    ``segments``: ``[S, W]`` int32, the row slot of each position (``-1 - position`` for padding, so padding only
    attends to itself); ``layout``: ``(sequence, start, row index)`` of every row; ``sel``/``targets``/``weights``: the
    trained positions (flat over ``S * W``) for :func:`packed_loss`. Token counts as in ``batching.Batch``.
    """

    inputs: Any
    segments: Any
    sel: Any
    targets: Any
    weights: Any
    real_tokens: int
    slots: int
    indices: list[int] = field(default_factory=list)
    layout: list[tuple[int, int, int]] = field(default_factory=list)


def plan(lengths: list[int], capacity: int) -> list[list[int]]:
    """Positions (into ``lengths``) of the rows in each sequence: first fit, longest first; deterministic."""
    order = sorted(range(len(lengths)), key=lambda k: (-lengths[k], k))
    seqs: list[list[int]] = []
    fill: list[int] = []
    for k in order:
        for s, used in enumerate(fill):
            if used + lengths[k] <= capacity:
                seqs[s].append(k)
                fill[s] += lengths[k]
                break
        else:
            seqs.append([k])
            fill.append(lengths[k])
    return seqs


def make_packed_batch(data: Any, indices: list[int], pad_multiple: int, max_seq_length: int) -> PackedBatch:
    """Pack rows ``indices`` of the ``TokenizedSet`` ``data`` (lengths already cut to ``max_seq_length``)."""
    from mlxstudio.core.runtime.mlxrt import mx

    lengths = [data.lengths[i] for i in indices]
    seqs = plan(lengths, max_seq_length)
    longest = max(sum(lengths[k] for k in seq) for seq in seqs)
    width = min(pad_multiple * ((longest + pad_multiple - 1) // pad_multiple), max_seq_length)
    arr = np.zeros((len(seqs), width), np.int32)
    seg = -1 - np.tile(np.arange(width, dtype=np.int32), (len(seqs), 1))
    flat: list[np.ndarray] = []
    layout: list[tuple[int, int, int]] = []
    for s, seq in enumerate(seqs):
        pos = 0
        for k in seq:
            i, n = indices[k], lengths[k]
            arr[s, pos:pos + n] = data.tokens[i][:n]
            seg[s, pos:pos + n] = k
            first, end = trained_range(data.offsets[i], n)
            if end > first:  # token p is predicted at position p - 1 of the same row
                flat.append(s * width + pos + np.arange(first - 1, end - 1))
            layout.append((s, pos, i))
            pos += n
    sel_idx = np.concatenate(flat) if flat else np.zeros(0, np.int64)
    n_sel = len(sel_idx)
    k_sel = max(SELECT_MULTIPLE, SELECT_MULTIPLE * ((n_sel + SELECT_MULTIPLE - 1) // SELECT_MULTIPLE))
    sel = np.zeros(k_sel, np.int32)
    sel[:n_sel] = sel_idx
    targets = np.zeros(k_sel, np.int32)
    targets[:n_sel] = arr.reshape(-1)[sel_idx + 1]
    weights = np.zeros(k_sel, np.float32)
    weights[:n_sel] = 1.0
    return PackedBatch(mx.array(arr), mx.array(seg), mx.array(sel), mx.array(targets), mx.array(weights),
                       int(sum(lengths)), len(seqs) * width, list(indices), layout)


def block_causal_mask(segments: Any) -> Any:
    """Bool ``[S, 1, W, W]``: position ``i`` sees ``j`` when ``j <= i`` and both are in the same row."""
    from mlxstudio.core.runtime.mlxrt import mx

    width = segments.shape[1]
    causal = mx.arange(width)[:, None] >= mx.arange(width)[None, :]
    same = segments[:, :, None] == segments[:, None, :]
    return mx.logical_and(same, causal)[:, None]


def _top(model: Any, start: int, h: Any, segments: Any, sel: Any, targets: Any, weights: Any) -> tuple[Any, Any]:
    parts = model_parts(model)
    assert parts is not None
    mask = block_causal_mask(segments)
    for layer in parts.layers[start:]:
        h = layer(h, mask, cache=None)
    return project_loss(parts, parts.norm(h), sel, targets, weights)


def packed_loss(model: Any, inputs: Any, segments: Any, sel: Any, targets: Any, weights: Any) -> tuple[Any, Any]:
    """The loss of a packed batch (same value as :func:`.loss.masked_loss` on the padded batch of the same rows)."""
    parts = model_parts(model)
    assert parts is not None
    return _top(model, 0, parts.embed(inputs), segments, sel, targets, weights)


def packed_prefix_loss(model: Any, start: int, hidden: Any, segments: Any, sel: Any, targets: Any,
                       weights: Any) -> tuple[Any, Any]:
    """The loss from cached per-row hidden states entering block ``start``, packed (see :func:`packed_hidden`)."""
    return _top(model, start, hidden, segments, sel, targets, weights)


def packed_hidden(cache: Any, batch: PackedBatch) -> Any:
    """The cached hidden states (``fastpath.PrefixCache``) of ``batch``'s rows laid out as its sequences."""
    from mlxstudio.core.runtime.mlxrt import mx

    n_seq, width = batch.inputs.shape
    seqs: list[list[Any]] = [[] for _ in range(n_seq)]
    fill = [0] * n_seq
    for s, _, i in batch.layout:  # rows of a sequence are in layout order
        seqs[s].append(cache.rows[i])
        fill[s] += cache.rows[i].shape[0]
    out = []
    for s in range(n_seq):
        pad = width - fill[s]
        parts = seqs[s] + ([mx.zeros((pad, cache.dim), seqs[s][0].dtype)] if pad > 0 else [])
        out.append(mx.concatenate(parts) if len(parts) > 1 else parts[0])
    return mx.stack(out)
