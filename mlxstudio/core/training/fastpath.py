"""Exact shortcuts around the training loss (:func:`.loss.masked_loss`, mlx-lm's ``default_loss`` with its mask
corrected) for decoder models shaped like llama/qwen/mistral.

Two things in that loss cost time without changing the result:

1. **The vocabulary projection at every position.** The loss computes logits for all ``B x T`` positions (for
   SmolLM2: 49,152 columns each) and then masks most of them away (the prompt with ``mask_prompt``, and the padding).
   :func:`selected_loss` computes the hidden states with the model's own body, picks only the positions the mask keeps
   and projects those — the same loss and gradient, a fraction of the head's FLOPs.
2. **The frozen bottom layers.** With adapters on the last ``num_layers`` blocks, the blocks below them have no
   trainable parameters, and (causal attention) a row's hidden states there depend only on the row's own tokens. When
   training runs several epochs, :class:`PrefixCache` computes those hidden states once per row and the step starts
   at the first adapted block.

Both are used only after :func:`verify` has checked on a real batch that they give the full loss (all logits, then
the mask; relative difference < 1e-4); otherwise the engine falls back to :func:`.loss.masked_loss` and says so. The
model's own modules (embedding, blocks, norm, head) do all the computing; nothing of the transformer is
re-implemented here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

SELECT_MULTIPLE = 16   # selected positions are padded to a multiple of this (fewer shapes to compile)


@dataclass
class Parts:
    """The pieces of an mlx-lm causal LM the fast path calls: ``body`` (``model.model``), its blocks, final norm and
    the output head (``lm_head`` or the tied embedding's ``as_linear``)."""

    body: Any
    embed: Any
    layers: list[Any]
    norm: Any
    head: Any


def model_parts(model: Any) -> Parts | None:
    """The pieces of ``model`` if it has the usual mlx-lm layout (else None: use the full loss)."""
    body = getattr(model, "model", None)
    if body is None:
        return None
    embed = getattr(body, "embed_tokens", None)
    layers = getattr(body, "layers", None)
    norm = getattr(body, "norm", None)
    if embed is None or not layers or norm is None:
        return None
    if hasattr(model, "lm_head"):
        head = model.lm_head
    elif getattr(getattr(model, "args", None), "tie_word_embeddings", False) and hasattr(embed, "as_linear"):
        head = embed.as_linear
    else:
        return None
    return Parts(body, embed, list(layers), norm, head)


def selection(arr: np.ndarray, offsets: list[int], lengths: list[int],
              multiple: int = SELECT_MULTIPLE) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Flat positions, targets and weights of the tokens :func:`.loss.masked_loss` trains in the padded batch ``arr``.

    Target index ``t`` (predicting ``arr[j, t + 1]``) of row ``j`` counts when its row position ``t + 1`` is in
    :func:`.loss.trained_range` (``offset_j <= t + 1 < length_j``, never padding). Padded to a multiple of
    ``multiple`` with weight 0.
    """
    from mlxstudio.core.training.loss import trained_range

    b, width = arr.shape
    n_pos = width - 1
    idx: list[np.ndarray] = []
    for j in range(b):
        first, end = trained_range(offsets[j], min(lengths[j], width))
        if end > first:
            idx.append(j * n_pos + np.arange(first - 1, end - 1))
    flat = np.concatenate(idx) if idx else np.zeros(0, np.int64)
    n = len(flat)
    k = max(multiple, multiple * ((n + multiple - 1) // multiple))
    sel = np.zeros(k, np.int32)
    sel[:n] = flat
    targets = arr[:, 1:].reshape(-1)[sel]
    weights = np.zeros(k, np.float32)
    weights[:n] = 1.0
    return sel, targets.astype(np.int32), weights, n


def project_loss(parts: Parts, hidden: Any, sel: Any, targets: Any, weights: Any) -> tuple[Any, Any]:
    """Mean cross-entropy of the hidden states ``hidden`` at the flat positions ``sel`` (weight 0 = filler), count."""
    from mlxstudio.core.runtime.mlxrt import mx, nn

    d = hidden.shape[-1]
    h = hidden.reshape(-1, d)[sel]
    logits = parts.head(h)
    ce = nn.losses.cross_entropy(logits, targets) * weights
    ntoks = weights.sum()
    return ce.astype(mx.float32).sum() / ntoks, ntoks.astype(mx.int32)


def selected_loss(model: Any, inputs: Any, sel: Any, targets: Any, weights: Any) -> tuple[Any, Any]:
    """:func:`.loss.masked_loss` computed only at the trained positions (``inputs`` = the batch without its last
    column)."""
    parts = model_parts(model)
    assert parts is not None
    return project_loss(parts, parts.body(inputs), sel, targets, weights)


def prefix_loss(model: Any, start: int, hidden: Any, sel: Any, targets: Any, weights: Any) -> tuple[Any, Any]:
    """The loss from cached hidden states entering block ``start`` (see :class:`PrefixCache`)."""
    from mlx_lm.models.base import create_attention_mask

    parts = model_parts(model)
    assert parts is not None
    h = hidden
    mask = create_attention_mask(h, None)
    for layer in parts.layers[start:]:
        h = layer(h, mask, cache=None)
    return project_loss(parts, parts.norm(h), sel, targets, weights)


def prefix_hidden(model: Any, start: int, inputs: Any) -> Any:
    """Hidden states entering block ``start`` for ``inputs`` [B, T] (embedding + blocks below ``start``)."""
    from mlx_lm.models.base import create_attention_mask

    parts = model_parts(model)
    assert parts is not None
    h = parts.embed(inputs)
    mask = create_attention_mask(h, None)
    for layer in parts.layers[:start]:
        h = layer(h, mask, cache=None)
    return h


class PrefixCache:
    """Per-row hidden states entering the first adapted block, computed once for the whole training set."""

    def __init__(self, model: Any, start: int) -> None:
        self.model = model
        self.start = start
        self.rows: list[Any] = []
        self.dim = 0

    @staticmethod
    def nbytes(lengths: list[int], dim: int) -> int:
        """Memory the cache needs for rows of these lengths (float32)."""
        return int(sum(lengths)) * dim * 4

    def build(self, tokens: list[list[int]], lengths: list[int], chunk: int = 8,
              progress: Any = None) -> None:
        """Compute every row's hidden states in fixed, length-sorted chunks (deterministic, so resume is exact)."""
        from mlxstudio.core.runtime.mlxrt import mx

        order = sorted(range(len(tokens)), key=lambda i: lengths[i])
        self.rows = [None] * len(tokens)
        for start in range(0, len(order), chunk):
            part = order[start:start + chunk]
            width = max(lengths[i] for i in part)
            arr = np.zeros((len(part), width), np.int32)
            for j, i in enumerate(part):
                arr[j, :lengths[i]] = tokens[i][:lengths[i]]
            h = prefix_hidden(self.model, self.start, mx.array(arr))
            for j, i in enumerate(part):
                self.rows[i] = h[j, :lengths[i]]
            mx.eval([self.rows[i] for i in part])
            if progress is not None:
                progress(min(start + chunk, len(order)), len(order))
        self.dim = int(self.rows[0].shape[-1]) if self.rows else 0

    def batch(self, indices: list[int], width: int) -> Any:
        """Hidden states of rows ``indices`` padded with zeros to ``width`` positions: [B, width, D].

        Zero padding only reaches padding positions (attention is causal), which the loss never reads.
        """
        from mlxstudio.core.runtime.mlxrt import mx

        out = []
        for i in indices:
            h = self.rows[i][:width]
            pad = width - h.shape[0]
            out.append(mx.concatenate([h, mx.zeros((pad, self.dim), h.dtype)]) if pad > 0 else h)
        return mx.stack(out)


def verify(reference: float, fast: float, rtol: float = 1e-4) -> bool:
    """True when the fast path's loss matches the reference (:func:`.loss.masked_loss`) on the same batch."""
    return bool(np.isfinite(fast)) and abs(fast - reference) <= rtol * max(abs(reference), 1e-6)
