"""How the engine trains on each compute backend: the one place where the speed choices are made.

The loss is always the same number (:func:`.loss.masked_loss`); what differs per backend is *how* it is computed and
how the batches are shaped. What decides on a GPU is not the FLOPs but the number of distinct shapes: MLX compiles
the step once per input shape, and its CUDA backend also JIT-compiles kernels (NVRTC) for each new shape —
measured on an H200: 50-60 s for the first 10 steps of a Qwen3-0.6B-shaped job with an empty kernel cache, against
~0.04 s a step afterwards. The CPU column's pad multiple of 8 gave the seed pairs a new width almost every epoch.

============================  ==========================  ==========================================================
choice                        CPU (MLX's CPU backend)     GPU (CUDA, measured on an H200; Metal: same choice)
============================  ==========================  ==========================================================
precision                     float32 (4-bit dequantized) the model's own (bf16 / QLoRA kept quantized)
project trained positions     yes (``selected_loss``)     yes: less head GEMM and less memory (logits of the trained
only (:mod:`.fastpath`)                                   positions only); their count padded to a multiple of 64,
                              count padded to 16          not 16, so it rarely makes a new shape
frozen lower layers cached    yes, when > 1.1 epochs      yes, when > 1.1 epochs: the lower blocks are not run again
(``PrefixCache``)                                         (with QLoRA: no dequantizing matmuls for them)
pad batch width to multiple   ``pad_multiple`` (8)        at least 32 (mlx-lm pads to 32): fewer widths, fewer
                                                          compiles and JIT kernels
last validation batch         as many rows as are left    filled up to the batch size with empty rows (no token
                                                          trained): one shape fewer to compile
length buckets                ``length_bucketing``        ``length_bucketing`` (a batch holds the same rows either
                                                          way, only their order differs)
compiled step                 yes                         yes
next step dispatched before   no: a step is seconds of    no, measured: the GPU would run step n while Python builds
this one's loss is read       compute, Python's part is   and launches step n + 1 (``mx.async_eval``), but on the
(``pipeline``)                negligible                  H200 it was 0.83-0.99x the speed of waiting for each step
                                                          in 7 alternating pairs (see below); an option, for a Metal
                                                          measurement
============================  ==========================  ==========================================================

Measured on the GPU (issue 22, ``benchmarks/gpu_train_vs_mlx_lm.py``; figures in the README): with this column
the engine trained 1.12-1.48x faster than stock ``mlx_lm.lora`` (bf16 and 4-bit, 135M and 0.6B shapes) with less
peak memory (Qwen3 shape bf16: 1.82 vs 2.01 GB; the plain full loss with the same padding: 2.02 GB).
Dispatching the next step before reading this one's loss (``pipeline=1``; same losses at every report, to the last
digit) was timed against the default in alternating processes with one kernel cache (100 steps each, seconds):
Qwen3 shape bf16 5.13 / 5.21 vs 4.37 / 4.40, SmolLM2 shape bf16 4.03 / 4.60 vs 3.98 / 3.84, Qwen3 shape 4-bit
5.21 / 5.35 / 6.00 vs 4.88 / 5.31 / 5.25 (in the benchmark's single runs, pipelined first: 0.91-1.20x) — not
faster: MLX 0.32 builds and launches a step's kernels (its CUDA backend's ``gpu::eval``) in the thread that calls
``async_eval``, so little is left to overlap but Python's own, small part of a step, while two steps in flight hold
more memory.

**Metal** was not measured (no Mac here). It gets the GPU column because it shares what decided it: MLX's GPU
backends compile per shape and a step is a few milliseconds of kernels, so a new shape costs more than padding
does. If a Mac measurement disagrees, change :data:`TABLE` only.

Every choice keeps the maths: the shortcuts are verified against the full loss before use (:mod:`.fastpath`), padding
and empty rows carry no trained token, and ``tests/test_training_equal_maths.py`` checks that all variants give the
same losses on a fixed batch order (float32 and bfloat16).

For benchmarks, ``MLXSTUDIO_TRAIN_STRATEGY`` overrides fields (``"selected_loss=1,prefix_cache=0,pad_multiple=8"``).
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass

from mlxstudio.core.i18n import N_

ENV_OVERRIDE = "MLXSTUDIO_TRAIN_STRATEGY"


@dataclass(frozen=True)
class Strategy:
    """The speed choices for one backend (see the module's table)."""

    backend: str
    selected_loss: bool        # project only the trained positions onto the vocabulary
    prefix_cache: bool         # compute the frozen lower layers once per row (needs selected_loss)
    min_pad_multiple: int      # the batch width is rounded up to max(config's pad_multiple, this)
    select_multiple: int       # the number of selected (trained) positions is padded to a multiple of this
    full_eval_batches: bool    # fill the last validation batch up to the batch size with empty rows
    pipeline: bool             # dispatch step n + 1 (mx.async_eval) before reading step n's loss
    reason: str

    def pad_multiple(self, configured: int) -> int:
        """The pad multiple actually used for the user's ``pad_multiple`` setting."""
        return max(int(configured), self.min_pad_multiple)


TABLE: dict[str, Strategy] = {
    "CPU": Strategy("CPU", True, True, 1, 16, False, False,
                    N_("CPU backend: exact loss shortcuts (trained positions only, cached frozen layers)")),
    "CUDA": Strategy("CUDA", True, True, 32, 64, True, False,
                     N_("GPU backend: exact loss shortcuts with batches padded to multiples of 32 and trained "
                        "positions to multiples of 64 (few compiled shapes; measured on an NVIDIA H200)")),
    # Not measured on a Mac: the same kind of backend as CUDA for what decides these choices (see above).
    "Metal": Strategy("Metal", True, True, 32, 64, True, False,
                      N_("GPU backend: exact loss shortcuts with batches padded to multiples of 32 and trained "
                         "positions to multiples of 64 (few compiled shapes; the CUDA measurement, Metal not "
                         "measured)")),
}


def for_backend(name: str) -> Strategy:
    """The strategy for backend ``name`` ("CPU", "CUDA", "Metal"), with the benchmark override applied."""
    strategy = TABLE.get(name, TABLE["CPU"])
    spec = os.environ.get(ENV_OVERRIDE, "").strip()
    if not spec:
        return strategy
    changes: dict[str, object] = {}
    fields = {f.name: f for f in dataclasses.fields(Strategy)}
    for item in spec.split(","):
        key, _, value = item.partition("=")
        key = key.strip()
        if key not in fields or key in ("backend", "reason"):
            raise ValueError(f"{ENV_OVERRIDE}: unknown field {key!r} (one of selected_loss, prefix_cache, "
                             "min_pad_multiple, select_multiple, full_eval_batches, pipeline)")
        numeric = key in ("min_pad_multiple", "select_multiple")
        changes[key] = int(value) if numeric else value.strip() in ("1", "true", "yes")
    return dataclasses.replace(strategy, reason=strategy.reason + f" (overridden: {spec})", **changes)  # type: ignore[arg-type]
