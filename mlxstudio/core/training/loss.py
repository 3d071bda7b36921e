"""The training loss: mlx-lm's ``default_loss`` with its mask corrected, so no padding token is ever trained.

A row of ``length`` tokens with prompt offset ``offset`` (0 without prompt masking) is padded into a batch of width
``W``; inputs are ``batch[:, :-1]``, targets ``batch[:, 1:]``, so target index ``t`` is the row's token ``t + 1``.
The tokens that should be trained are the completion (answer) and the end of the turn: row positions
``p`` with ``max(offset, 1) <= p < length`` (position 0 is never a target: nothing predicts it).

mlx-lm 0.32.2's ``default_loss`` keeps target index ``t`` when ``offset <= t + 1 <= length`` — one position too many:
``p == length`` is the first *padding* token (id 0, ``<|endoftext|>`` in SmolLM2's vocabulary). So every row of every
batch also trains "after the end of the turn comes token 0" (on the seed pairs with SmolLM2: 5 of 76 targets,
6.6 %, are that pad). Nothing breaks, but it is not what the data says, it is counted in tokens/s, and it dilutes the
mean loss. :func:`masked_loss` is ``default_loss`` with ``p < length`` instead; the engine uses it for training and
validation, and checks its shortcuts (:mod:`.fastpath`) against it.
"""

from __future__ import annotations

from typing import Any


def trained_range(offset: int, length: int) -> tuple[int, int]:
    """``(first, end)``: the row positions ``first <= p < end`` whose tokens are loss targets (none if end <= first)."""
    return max(int(offset), 1), int(length)


def trained_count(offset: int, length: int) -> int:
    """How many of the row's tokens are loss targets."""
    first, end = trained_range(offset, length)
    return max(end - first, 0)


def loss_mask(lengths: Any, n_targets: int) -> Any:
    """Bool ``[B, n_targets]``: target index ``t`` (row position ``t + 1``) counts when ``offset <= t + 1 < length``."""
    from mlxstudio.core.runtime.mlxrt import mx

    steps = mx.arange(1, n_targets + 1)
    return mx.logical_and(steps >= lengths[:, 0:1], steps < lengths[:, 1:])


def masked_loss(model: Any, batch: Any, lengths: Any) -> tuple[Any, Any]:
    """Mean cross-entropy over the trained tokens and their count — ``mlx_lm.tuner.trainer.default_loss``'s
    signature and maths, with the corrected mask (:func:`loss_mask`). ``lengths``: ``[B, 2]`` (offset, length)."""
    from mlxstudio.core.runtime.mlxrt import mx, nn

    inputs = batch[:, :-1]
    targets = batch[:, 1:]
    logits = model(inputs)
    mask = loss_mask(lengths, targets.shape[1])
    ce = nn.losses.cross_entropy(logits, targets) * mask
    ntoks = mask.sum()
    return ce.astype(mx.float32).sum() / ntoks, ntoks
