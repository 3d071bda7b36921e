"""Sequence packing, step by step: padded vs packed batches of the same rows, alternating in one process.

Whole runs (``train_vs_mlx_lm.py``, runs (c) and (cp)) on a shared machine are minutes apart, so load changes between
them swamp a 10-20 % difference. Here both layouts of every batch run back to back (order alternating), each twice
(the first call includes compiling its shape): the compiled value-and-gradient of the engine's loss (selected
positions, LoRA rank 8 on 16 layers of the demo model, float32, OpenBLAS), the engine's batch order. Prints distinct
shapes, total first-call and steady time per layout and the ratio.

    .venv/bin/python benchmarks/packing_ab.py [--data seed|synthetic] [--steps 20]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", choices=("seed", "synthetic"), default="seed")
    ap.add_argument("--steps", type=int, default=20)
    args = ap.parse_args()

    from mlxstudio.core.runtime.blas import preload_blas

    preload_blas()
    from mlx_lm.tuner.utils import linear_to_lora_layers
    from train_vs_mlx_lm import demo_model, seed_rows, synthetic_rows

    from mlxstudio.core.models.loading import load_for_training
    from mlxstudio.core.runtime.mlxrt import mx, nn
    from mlxstudio.core.training import fastpath, packing
    from mlxstudio.core.training.batching import BatchOrder, make_batch, tokenize_rows

    lm = load_for_training(demo_model(Path(tempfile.mkdtemp(prefix="packing-ab-"))))
    model, tok = lm.model, lm.tokenizer
    model.freeze()
    linear_to_lora_layers(model, 16, {"rank": 8, "scale": 20.0, "dropout": 0.0})
    rows = seed_rows() if args.data == "seed" else synthetic_rows(300)
    data = tokenize_rows(rows, tok, mask_prompt=True, max_seq_length=2048)
    order = BatchOrder(data.lengths, 4, 0, True)
    vg_sel = nn.value_and_grad(model, fastpath.selected_loss)
    vg_pack = nn.value_and_grad(model, packing.packed_loss)
    fns = {"padded": mx.compile(lambda *a: vg_sel(model, *a), inputs=[model.state], outputs=[model.state]),
           "packed": mx.compile(lambda *a: vg_pack(model, *a), inputs=[model.state], outputs=[model.state])}
    times: dict[str, list[list[float]]] = {k: [[], []] for k in fns}
    shapes: dict[str, set[tuple[int, ...]]] = {k: set() for k in fns}
    slots = {k: 0 for k in fns}
    real = 0
    for step in range(args.steps):
        idx = order.indices(step)
        b = make_batch(data, idx, 8, 2048, True)
        pb = packing.make_packed_batch(data, idx, 8, 2048)
        real += b.real_tokens
        slots["padded"] += b.slots
        slots["packed"] += pb.slots
        batch_args: dict[str, tuple[Any, ...]] = {
            "padded": (b.inputs[:, :-1], b.sel, b.targets, b.weights),
            "packed": (pb.inputs, pb.segments, pb.sel, pb.targets, pb.weights)}
        for key in (("padded", "packed") if step % 2 == 0 else ("packed", "padded")):
            shapes[key].add(tuple(batch_args[key][0].shape))
            for k in range(2):
                t = time.perf_counter()
                (loss, _), grad = fns[key](*batch_args[key])
                mx.eval(loss, grad)
                times[key][k].append(time.perf_counter() - t)
    for key in fns:
        first, steady = times[key]
        print(f"{key}: {len(shapes[key])} shapes, padding {1 - real / slots[key]:.0%}, first calls {sum(first):.1f} s, "
              f"steady {sum(steady):.1f} s (median step {sorted(steady)[len(steady) // 2]:.3f} s)")
    print(f"packed vs padded, steady: {sum(times['padded'][1]) / sum(times['packed'][1]):.2f}x faster; first calls: "
          f"{sum(times['padded'][0]) / sum(times['packed'][0]):.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
