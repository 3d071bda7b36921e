"""Tokenized datasets and batches: mlx-lm's dataset classes, length-bucketed batches, a resumable batch order.

Rows are tokenized once with :func:`mlxstudio.core.data.tokens.encode_row` — mlx-lm's ``CompletionsDataset`` /
``ChatDataset`` / ``TextDataset`` rendering (chat template, prompt masking offsets; a test checks they agree) plus the
run's reasoning setting (:mod:`mlxstudio.core.data.thinking`) — the same function the Data page's token view uses.
Rows whose trained part is cut away by ``max_seq_length`` are dropped (a batch with no trained tokens would give a NaN
loss).

Batches (mlx-lm's layout: ``int32 [batch, 1 + padded length]`` and ``[batch, 2]`` (offset, length) pairs, the
arguments of ``mlx_lm.tuner.trainer.default_loss`` and of our corrected :func:`.loss.masked_loss`) are built from
*length buckets*: each epoch is a seeded permutation, cut into buckets of ``bucket_batches`` batches, each bucket
sorted by token length, so a batch holds rows of similar length and little compute goes to padding (mlx-lm sorts by
the number of JSON keys, i.e. not at all). The order is a pure function of (seed, step), which is what makes resuming
exact: step ``k`` always gets the same batch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mlxstudio.core import events as ev
from mlxstudio.core.errors import Cancelled, DataError
from mlxstudio.core.i18n import _


@dataclass
class TokenizedSet:
    """Token ids, prompt offsets and (truncated) lengths of one split, after dropping unusable rows."""

    tokens: list[list[int]]
    offsets: list[int]
    lengths: list[int]
    rows: list[int]                      # index of each kept row in the original split
    dropped: list[int] = field(default_factory=list)
    truncated: int = 0

    def __len__(self) -> int:
        return len(self.tokens)

    def trained_tokens(self, i: int) -> int:
        """How many target tokens of row ``i`` count in the loss (:func:`.loss.trained_count`)."""
        from mlxstudio.core.training.loss import trained_count

        return trained_count(self.offsets[i], self.lengths[i])


def data_format(rows: list[dict[str, Any]]) -> str:
    """"completion", "chat" or "text" from the keys of the first row (rows were validated as one format)."""
    first = rows[0] if rows else {}
    if "prompt" in first and "completion" in first:
        return "completion"
    if "messages" in first:
        return "chat"
    if "text" in first:
        return "text"
    raise DataError(_("rows need prompt/completion, messages or text keys"))


def tokenize_rows(rows: list[dict[str, Any]], tokenizer: Any, *, mask_prompt: bool, max_seq_length: int,
                  split: str = "train", sink: ev.Sink = ev.null_sink,
                  cancel: Callable[[], bool] | None = None, reasoning: str | None = None) -> TokenizedSet:
    """Tokenize ``rows`` as mlx-lm's dataset class for their format does, with the run's ``reasoning`` setting
    ("direct" / "keep" / None, see :func:`mlxstudio.core.data.resolve_reasoning`); drop rows with nothing left to
    train."""
    from mlxstudio.core.data.tokens import encode_row
    from mlxstudio.core.training.loss import trained_count

    out = TokenizedSet([], [], [], [])
    if not rows:
        return out
    fmt = data_format(rows)
    step = max(1, len(rows) // 20)
    for i in range(len(rows)):
        if cancel is not None and i % 256 == 0 and cancel():
            raise Cancelled(_("stopped while preparing the data"))
        try:
            tokens, offset = encode_row(tokenizer, rows[i], fmt, mask_prompt and fmt != "text", reasoning=reasoning)
        except Exception as exc:  # a template error names the row, not a bare traceback
            raise DataError(_("{split} row {i}: cannot apply the model's chat template: {exc}").format(
                split=split, i=i + 1, exc=exc)) from None
        tokens = list(tokens)
        length = min(len(tokens), max_seq_length)
        if length < len(tokens):
            out.truncated += 1
        if trained_count(offset, length) == 0:  # offset >= length, or a single token
            out.dropped.append(i)
            continue
        out.tokens.append(tokens)
        out.offsets.append(int(offset))
        out.lengths.append(length)
        out.rows.append(i)
        if len(rows) >= 2000 and i % step == 0:
            sink(ev.Progress(job="tokenize", done=i + 1, total=len(rows), unit="row", message=split))
    return out


@dataclass
class Batch:
    """One batch in mlx-lm's layout plus its token counts (for tokens/s and the padding fraction).

    ``sel``/``targets``/``weights``: the trained positions for :func:`.fastpath.selected_loss` (when asked for).
    """

    inputs: Any          # mx.array int32 [B, T]
    lengths: Any         # mx.array int32 [B, 2] (offset, length)
    real_tokens: int     # tokens of the rows (not padding)
    slots: int           # B * (T - 1): positions the model computes
    indices: list[int] = field(default_factory=list)
    sel: Any = None
    targets: Any = None
    weights: Any = None


def pad_length(max_len: int, multiple: int, max_seq_length: int) -> int:
    """Width of a batch whose longest row has ``max_len`` tokens: 1 + round up to ``multiple``, capped.

    The +1 column is there because inputs are ``batch[:, :-1]`` and targets ``batch[:, 1:]`` (as in mlx-lm).
    """
    width = 1 + multiple * ((max_len + multiple - 1) // multiple)
    return min(width, max_seq_length)


def make_batch(data: TokenizedSet, indices: list[int], pad_multiple: int, max_seq_length: int,
               select: bool = False, select_multiple: int = 16) -> Batch:
    """Pad rows ``indices`` of ``data`` into one batch (pad id 0, like mlx-lm); ``select``: add trained positions
    (their count padded to a multiple of ``select_multiple``, :func:`.fastpath.selection`)."""
    from mlxstudio.core.runtime.mlxrt import mx
    from mlxstudio.core.training.fastpath import selection

    lengths = [data.lengths[i] for i in indices]
    width = pad_length(max(lengths), pad_multiple, max_seq_length)
    arr = np.zeros((len(indices), width), np.int32)
    for j, i in enumerate(indices):
        n = min(lengths[j], width)
        arr[j, :n] = data.tokens[i][:n]
        lengths[j] = n
    offsets = [data.offsets[i] for i in indices]
    pairs = np.array([[o, n] for o, n in zip(offsets, lengths, strict=True)], np.int32)
    batch = Batch(mx.array(arr), mx.array(pairs), int(sum(lengths)), len(indices) * (width - 1), list(indices))
    if select:
        sel, targets, weights, _ = selection(arr, offsets, lengths, select_multiple)
        batch.sel, batch.targets, batch.weights = mx.array(sel), mx.array(targets), mx.array(weights)
    return batch


class BatchOrder:
    """The training batch order: a deterministic function of (seed, step), epoch after epoch.

    ``batches_per_epoch`` = rows // batch_size (the remainder rows differ each epoch, so every row is used).
    """

    def __init__(self, lengths: list[int], batch_size: int, seed: int, bucketing: bool = True,
                 bucket_batches: int = 16) -> None:
        if len(lengths) < batch_size:
            raise ValueError(f"need at least batch_size={batch_size} rows, got {len(lengths)}")
        self.lengths = np.asarray(lengths)
        self.batch_size = batch_size
        self.seed = seed
        self.bucketing = bucketing
        self.bucket_batches = max(1, bucket_batches)
        self.batches_per_epoch = len(lengths) // batch_size
        self._epoch = -1
        self._plan: list[list[int]] = []

    def epoch_plan(self, epoch: int) -> list[list[int]]:
        """The batches of epoch ``epoch`` in order (lists of row indices)."""
        if epoch != self._epoch:
            rng = np.random.default_rng([self.seed, epoch])
            perm = rng.permutation(len(self.lengths))[: self.batches_per_epoch * self.batch_size]
            bs = self.batch_size
            if self.bucketing:
                batches = []
                chunk = bs * self.bucket_batches
                for start in range(0, len(perm), chunk):
                    part = perm[start:start + chunk]
                    part = part[np.argsort(self.lengths[part], kind="stable")]
                    batches += [part[i:i + bs].tolist() for i in range(0, len(part), bs)]
                batches = [batches[i] for i in rng.permutation(len(batches))]
            else:
                batches = [perm[i:i + bs].tolist() for i in range(0, len(perm), bs)]
            self._epoch, self._plan = epoch, batches
        return self._plan

    def indices(self, step: int) -> list[int]:
        """Row indices of the batch at 0-based global ``step``."""
        epoch, pos = divmod(step, self.batches_per_epoch)
        return self.epoch_plan(epoch)[pos]


def eval_batches(data: TokenizedSet, batch_size: int, num_batches: int, seed: int, pad_multiple: int,
                 max_seq_length: int, select: bool = False, fill: bool = False,
                 select_multiple: int = 16) -> list[Batch]:
    """The fixed validation batches: a seeded subset (``num_batches`` batches, -1 = all rows), sorted by length.

    The same rows every time, so validation losses of one run are comparable; the last batch may be smaller —
    unless ``fill`` (GPU backends, :mod:`.strategy`): then it is filled up with empty rows (length 0, no trained
    token, the same loss) so every batch has ``batch_size`` rows, one compiled shape fewer.
    """
    n = len(data)
    if n == 0:
        return []
    order = np.random.default_rng([seed, 7919]).permutation(n)
    if num_batches != -1:
        order = order[: max(1, num_batches) * batch_size]
    order = order[np.argsort(np.asarray(data.lengths)[order], kind="stable")]
    batches = [make_batch(data, order[i:i + batch_size].tolist(), pad_multiple, max_seq_length, select,
                          select_multiple) for i in range(0, len(order), batch_size)]
    short = batch_size - len(order) % batch_size
    if fill and short < batch_size:
        batches[-1] = _filled(data, order[-(batch_size - short):].tolist(), short, pad_multiple, max_seq_length,
                              select, select_multiple)
    return batches


def _filled(data: TokenizedSet, indices: list[int], empty: int, pad_multiple: int, max_seq_length: int,
            select: bool, select_multiple: int) -> Batch:
    """:func:`make_batch` of ``indices`` plus ``empty`` rows of length 0 (all padding, nothing trained)."""
    n = len(indices)
    filler = TokenizedSet([*(data.tokens[i] for i in indices), *([[]] * empty)],
                          [*(data.offsets[i] for i in indices), *([0] * empty)],
                          [*(data.lengths[i] for i in indices), *([0] * empty)], [])
    b = make_batch(filler, list(range(n + empty)), pad_multiple, max_seq_length, select, select_multiple)
    b.indices = list(indices)
    return b


def iterate_fixed(batches: list[Batch], select: bool = False) -> Callable[..., Iterator[tuple[Any, ...]]]:
    """An ``iterate_batches`` replacement for ``mlx_lm.tuner.trainer.evaluate`` that yields ``batches``.

    ``select``: yield the arguments of :func:`.fastpath.selected_loss` instead of :func:`.loss.masked_loss`'s.
    """

    def iterate(**_: Any) -> Iterator[tuple[Any, ...]]:
        for b in batches:
            if select:
                yield b.inputs[:, :-1], b.sel, b.targets, b.weights
            else:
                yield b.inputs, b.lengths

    return iterate
