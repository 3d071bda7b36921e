"""Local scaling of training with several ranks (``mlxstudio-cli train --nproc N``, mlx.launch, ring backend).

The job: the demo model (SmolLM2-135M-Instruct imported into a temp library; float32 on the CPU), LoRA rank 8 on 16
layers, a fixed global batch (default 8 rows of mixed length, ~40-120 tokens), prompt masking, seed 0. Runs, each
through the CLI exactly as a user starts it:

  (1)  one process (OpenBLAS uses every core)                                   — the baseline
  (1t) one process with OPENBLAS_NUM_THREADS=1                                  — what one rank of (2) gets
  (2)  ``--nproc 2``: two ranks on 127.0.0.1, each computing half of every batch — ``OPENBLAS_NUM_THREADS=cores/2``

Per-step time is the median of the engine's per-iteration reports after the first two (compilation); the wall time
includes starting the processes, loading the model, the ring's set-up and validation. Printed: per-step time,
trained tokens/s, the ratio (2)/(1) and (2)/(1t).

    .venv/bin/python benchmarks/distributed_scaling.py [--iters 8] [--batch-size 8] [--nproc 2]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("MLXSTUDIO_HOME", tempfile.mkdtemp(prefix="mlxstudio-bench-"))
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def rows(n: int, seed: int = 0) -> list[dict[str, str]]:
    """Prompt/completion pairs of mixed length, Chinese and English."""
    rng = random.Random(seed)
    words = ["the", "model", "answers", "questions", "about", "weather", "travel", "food", "music", "history",
             "science", "and", "daily", "life"]
    hanzi = "今天天气很好我们去公园散步吃饭学习工作音乐历史科学生活问题答案医院耳鼻喉科星期八晚上八点"
    out = []
    for i in range(n):
        p = " ".join(rng.choice(words) for _ in range(rng.randint(15, 60)))
        c = "".join(rng.choice(hanzi) for _ in range(rng.randint(8, 30)))
        out.append({"prompt": f"{i}: {p}", "completion": c})
    return out


def run(model: Path, data: Path, out: Path, iters: int, batch: int, nproc: int, env: dict[str, str]) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "mlxstudio.cli", "--json", "train", "--model", str(model), "--data", str(data),
           "--adapter-path", str(out), "--iters", str(iters), "--batch-size", str(batch), "--num-layers", "16",
           "--rank", "8", "--learning-rate", "2e-4", "--steps-per-report", "1", "--steps-per-eval", str(iters),
           "--save-every", str(iters), "--val-batches", "1", "--seed", "0"]
    if nproc > 1:
        cmd += ["--nproc", str(nproc)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **env}, cwd=ROOT)
    wall = time.perf_counter() - t0
    events = [json.loads(x) for x in proc.stdout.splitlines() if x.startswith("{")]
    if proc.returncode != 0:
        raise SystemExit(f"run failed ({proc.returncode}): {proc.stderr[-2000:]}")
    reports = [e for e in events if e["event"] == "TrainReport"]
    steps = [1.0 / r["iterations_per_second"] for r in reports[2:]] or [1.0 / r["iterations_per_second"]
                                                                       for r in reports]
    result = next(e for e in events if e["event"] == "Finished")["result"]
    toks = [r["tokens_per_second"] for r in reports[2:]] or [r["tokens_per_second"] for r in reports]
    return {"step": statistics.median(steps), "tok_s": statistics.median(toks), "wall": wall,
            "loss": result["train_loss"], "trained_tokens": result["trained_tokens"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--iters", type=int, default=8)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--nproc", type=int, default=2)
    ap.add_argument("--rows", type=int, default=48)
    args = ap.parse_args()

    from mlxstudio.core.models.demo_model import install_demo_model
    from mlxstudio.core.runtime.blas import blas_status

    model = install_demo_model()
    work = Path(tempfile.mkdtemp(prefix="dist-bench-"))
    data = work / "data"
    data.mkdir()
    r = rows(args.rows + 4)
    for name, part in (("train", r[:args.rows]), ("valid", r[args.rows:])):
        (data / f"{name}.jsonl").write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in part),
                                            encoding="utf-8")
    cores = os.cpu_count() or 1
    print(f"machine: {cores} cores; BLAS: {blas_status()}; demo model {model.name}; batch {args.batch_size}, "
          f"{args.iters} iterations")
    base = run(model, data, work / "one", args.iters, args.batch_size, 1, {})
    one_t = run(model, data, work / "one-t", args.iters, args.batch_size, 1, {"OPENBLAS_NUM_THREADS": "1"})
    group = run(model, data, work / "group", args.iters, args.batch_size, args.nproc, {})
    rows_out = [("(1)  1 process", base), ("(1t) 1 process, 1 BLAS thread", one_t),
                (f"({args.nproc})  --nproc {args.nproc}", group)]
    print(f"{'run':34} {'s/step':>8} {'trained tok/s':>14} {'wall s':>8} {'final loss':>11}")
    for name, m in rows_out:
        print(f"{name:34} {m['step']:8.2f} {m['tok_s']:14.1f} {m['wall']:8.1f} {m['loss']:11.4f}")
    print(f"speed-up of --nproc {args.nproc} vs (1): {base['step'] / group['step']:.2f}x per step, "
          f"{base['wall'] / group['wall']:.2f}x wall; vs (1t): {one_t['step'] / group['step']:.2f}x per step")
    print(f"same tokens trained: {base['trained_tokens'] == group['trained_tokens']}; final-loss difference "
          f"{abs(base['loss'] - group['loss']):.2e}")


if __name__ == "__main__":
    main()
