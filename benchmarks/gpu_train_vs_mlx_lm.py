"""Training and generation on a GPU: our engine vs stock ``mlx_lm.lora`` / ``mlx_lm.generate`` (issue 22).

Runs on a machine with an MLX GPU backend (CUDA, e.g. the NVIDIA H200 of ``../shared/docs/GPU.md``, or Metal); on a
machine without one it prints "needs a GPU, skipped" and exits 0 (``make bench`` runs every benchmark).

It builds random-weight models of the real shapes (SmolLM2-135M and Qwen3-0.6B, bf16 and 4-bit group 64; weights
N(0, 0.02), norms 1) with SmolLM2's tokenizer, then for each model runs, each in its own process, one after the other:

- ``stock``: ``mlx_lm.lora`` through its own ``main()`` (a callback records its reports, never its console), with
  ``--mask-prompt`` so both train the answers only;
MLX's CUDA backend JIT-compiles kernels and keeps them on disk (``/tmp/mlx/<version>/ptx`` by default), so a run
is slow the first time it meets a shape and fast afterwards — whichever program compiled it. Each program therefore
gets its own empty ``MLX_PTX_CACHE_DIR``: a first, short run (``--cold-iters``, "cold": what a user's first run
costs) fills it, then the measured run uses it ("warm": the steady speed).

- ``ours``: :func:`mlxstudio.core.training.engine.run_training` with the same job and the backend's strategy
  (:mod:`mlxstudio.core.training.strategy`); ``--variants`` adds runs with other strategies
  (``MLXSTUDIO_TRAIN_STRATEGY``).

The job: the first four seed pairs as training and validation set, batch 4 — so every step of both trains the same
four rows (the same batches; mlx-lm's batcher drops a fifth row's partial batch) — 100 iterations, LoRA rank 8 on
16 layers, lr 2e-4, seed 0, validation at the start and the end. Printed per model: training time (the steps only:
ours ``train_time``, stock the sum of its per-report step times), time from process start to the 10th step, peak
memory, final training loss (mean of the last 10 steps), trained tokens and compiled shapes. Stock's loss and token
count include one padding token per row (mlx-lm 0.32's mask, see ``mlxstudio/core/training/loss.py``); ours
do not, so the losses differ slightly by definition.

``--maths`` checks on the GPU that the loss shortcuts give the plain loss on one batch (bf16 and 4-bit, pad 8 and 32).
Generation: tokens/s of our ``Generator`` and of ``mlx_lm.stream_generate`` on the same model (64 greedy tokens after
a warm-up).

    python benchmarks/gpu_train_vs_mlx_lm.py [--tokenizer DIR] [--models bf16-qwen,...] [--iters 100]
                                             [--variants plain,selected] [--maths] [--no-generate]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
SEED = ROOT / "tests" / "data" / "seed_train.jsonl"
MODELS = ("qwen-4bit", "qwen-bf16", "smol-bf16", "smol-4bit")
TITLES = {"qwen-4bit": "Qwen3-0.6B shape, 4-bit g64 (QLoRA)", "qwen-bf16": "Qwen3-0.6B shape, bf16",
          "smol-bf16": "SmolLM2-135M shape, bf16", "smol-4bit": "SmolLM2-135M shape, 4-bit g64"}
JOB = {"iters": 100, "batch_size": 4, "learning_rate": 2e-4, "num_layers": 16, "rank": 8, "seed": 0,
       "mask_prompt": True, "steps_per_report": 10, "steps_per_eval": 200, "val_batches": 25, "save_every": 100}
VARIANTS = {"plain": "selected_loss=0,prefix_cache=0",                     # the full loss, GPU padding
            "selected": "prefix_cache=0",                                    # trained positions only
            "cpu-pads": "min_pad_multiple=1,select_multiple=16,full_eval_batches=0",  # shortcuts, CPU padding
            "pipelined": "pipeline=1"}                                       # step n + 1 dispatched before n ends
PROMPT = "Tell me about the history of Paris in a few sentences."
QWEN = {"architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3", "hidden_size": 1024, "intermediate_size": 3072,
        "num_hidden_layers": 28, "num_attention_heads": 16, "num_key_value_heads": 8, "head_dim": 128,
        "vocab_size": 151936, "max_position_embeddings": 40960, "rope_theta": 1000000.0, "rms_norm_eps": 1e-6,
        "tie_word_embeddings": True, "attention_bias": False, "hidden_act": "silu", "bos_token_id": 1,
        "eos_token_id": 2}
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")


def gpu_name() -> str | None:
    """"CUDA (<GPU name>)" / "Metal" when MLX computes on a GPU here, else None."""
    import mlx.core as mx

    if mx.metal.is_available():
        return "Metal"
    if hasattr(mx, "cuda") and mx.cuda.is_available():
        try:
            out = subprocess.run(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"], capture_output=True,
                                 text=True, timeout=20).stdout.strip().splitlines()
            return f"CUDA ({out[0]})" if out else "CUDA"
        except (OSError, subprocess.SubprocessError):
            return "CUDA"
    return None


# -- models and data ---------------------------------------------------------------------------------------------
def build_models(tokenizer: Path, out: Path) -> dict[str, Path]:
    """Random-weight bf16 and 4-bit (group 64) models of the SmolLM2-135M and Qwen3-0.6B shapes (kept if present)."""
    import mlx.core as mx
    from mlx.utils import tree_flatten, tree_unflatten
    from mlx_lm.utils import _get_classes, quantize_model, save_config, save_model

    smol = json.loads((tokenizer / "config.json").read_text())
    for k in ("quantization", "quantization_config"):
        smol.pop(k, None)
    paths = {}
    for name, cfg in (("smol", smol), ("qwen", QWEN)):
        bf16, q4 = out / f"{name}-bf16", out / f"{name}-4bit"
        paths[f"{name}-bf16"], paths[f"{name}-4bit"] = bf16, q4
        if (q4 / "config.json").exists():
            continue
        model_class, args_class = _get_classes(config=cfg)
        model = model_class(args_class.from_dict(cfg))
        mx.random.seed(0)
        new = [(k, (mx.ones(v.shape) if "norm" in k else mx.random.normal(v.shape) * 0.02).astype(mx.bfloat16))
               for k, v in tree_flatten(model.parameters())]
        model.update(tree_unflatten(new))
        for d in (bf16, q4):
            d.mkdir(parents=True, exist_ok=True)
            for f in TOKENIZER_FILES:
                if (tokenizer / f).exists():
                    shutil.copy(tokenizer / f, d / f)
        save_model(bf16, model)
        save_config(dict(cfg, torch_dtype="bfloat16"), bf16 / "config.json")
        qm, qcfg = quantize_model(model, dict(cfg), group_size=64, bits=4)
        save_model(q4, qm)
        save_config(qcfg, q4 / "config.json")
    return paths


def write_data(folder: Path) -> Path:
    rows = [json.loads(x) for x in SEED.read_text(encoding="utf-8").splitlines() if x.strip()][:4]
    folder.mkdir(parents=True, exist_ok=True)
    for split in ("train", "valid"):
        (folder / f"{split}.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                                               encoding="utf-8")
    return folder


# -- children (one process per measurement) -------------------------------------------------------------------
def child_stock(model: str, data: str, work: str, iters: int) -> dict[str, Any]:
    import mlx_lm.lora as lora
    from mlx_lm.tuner.callbacks import TrainingCallback

    reports: list[dict[str, Any]] = []

    class Record(TrainingCallback):
        def on_train_loss_report(self, info: dict[str, Any]) -> None:
            reports.append({**info, "at": time.time()})

    lora.get_reporting_callbacks = lambda *a, **k: Record()  # type: ignore[attr-defined]
    sys.argv = ["mlx_lm.lora", "--model", model, "--train", "--data", data, "--iters", str(iters),
                "--batch-size", str(JOB["batch_size"]), "--learning-rate", str(JOB["learning_rate"]),
                "--num-layers", str(JOB["num_layers"]), "--mask-prompt", "--adapter-path", work,
                "--steps-per-report", str(JOB["steps_per_report"]), "--seed", str(JOB["seed"])]
    lora.main()
    steps = [reports[0]["iteration"]] + [b["iteration"] - a["iteration"] for a, b in itertools.pairwise(reports)]
    import mlx.core as mx

    return {"train_time": sum(n / r["iterations_per_second"] for n, r in zip(steps, reports, strict=True)),
            "first_report_at": reports[0]["at"], "final_loss": reports[-1]["train_loss"],
            "trained_tokens": reports[-1]["trained_tokens"], "peak_gb": max(r["peak_memory"] for r in reports),
            "peak_process_gb": mx.get_peak_memory() / 1e9, "shapes": 1,
            "losses": [r["train_loss"] for r in reports]}


def child_ours(model: str, data: str, work: str, iters: int) -> dict[str, Any]:
    from mlxstudio.core import events as ev
    from mlxstudio.core.training.config import TrainConfig
    from mlxstudio.core.training.engine import run_training

    reports: list[dict[str, Any]] = []
    logs: list[str] = []

    def sink(event: ev.Event) -> None:
        if isinstance(event, ev.TrainReport):
            reports.append({"loss": event.train_loss, "at": time.time(), "peak": event.peak_memory})
        elif isinstance(event, ev.Log):
            logs.append(event.message)

    r = run_training(model, data, work, TrainConfig(**{**JOB, "iters": iters}), sink=sink)  # type: ignore[arg-type]
    return {"train_time": r["train_time"], "first_report_at": reports[0]["at"], "final_loss": r["train_loss"],
            "trained_tokens": r["trained_tokens"], "peak_gb": max(x["peak"] for x in reports), "peak_process_gb":
            r["peak_memory_gb"], "shapes": r["compiled_shapes"], "loss_path": r["loss_path"],
            "losses": [x["loss"] for x in reports], "strategy": r["strategy"],
            "pipelined_steps": r["pipelined_steps"]}


def child_generate(kind: str, model: str, tokens: int) -> dict[str, Any]:
    if kind == "ours":
        from mlxstudio.core.inference.generate import Generator

        gen = Generator(model)
        gen.generate(PROMPT, max_tokens=8)
        gen.generate(PROMPT, max_tokens=tokens)
        st = gen.last_stats
        return {"tok_s": st.tokens_per_second, "prompt_tok_s": st.prompt_tokens_per_second,
                "tokens": st.generation_tokens}
    from mlx_lm import load, stream_generate

    m, tok = load(model)
    ids = tok.apply_chat_template([{"role": "user", "content": PROMPT}], add_generation_prompt=True)
    for _ in stream_generate(m, tok, ids, max_tokens=8):
        pass
    last = None
    for response in stream_generate(m, tok, ids, max_tokens=tokens):
        last = response
    assert last is not None
    return {"tok_s": last.generation_tps, "prompt_tok_s": last.prompt_tps, "tokens": last.generation_tokens}


def child_maths(model: str) -> dict[str, Any]:
    """Plain loss vs the shortcuts on one batch of the seed rows, at pad 8 and 32, on the GPU (untrained LoRA)."""
    import mlx.core as mx
    from mlx_lm.tuner.utils import linear_to_lora_layers

    from mlxstudio.core.models.loading import load_for_training
    from mlxstudio.core.training import fastpath
    from mlxstudio.core.training.batching import make_batch, tokenize_rows
    from mlxstudio.core.training.loss import masked_loss

    loaded = load_for_training(model)
    m = loaded.model
    mx.random.seed(0)
    m.freeze()
    linear_to_lora_layers(m, 16, {"rank": 8, "scale": 20.0, "dropout": 0.0})
    m.eval()
    rows = [json.loads(x) for x in SEED.read_text(encoding="utf-8").splitlines() if x.strip()][:4]
    data = tokenize_rows(rows, loaded.tokenizer, mask_prompt=True, max_seq_length=2048)
    start = loaded.num_layers - 16
    out: dict[str, Any] = {"dtype": loaded.dtype}
    for pad in (8, 32):
        b = make_batch(data, [0, 1, 2, 3], pad, 2048, True)
        ref = masked_loss(m, b.inputs, b.lengths)[0].item()
        sel = fastpath.selected_loss(m, b.inputs[:, :-1], b.sel, b.targets, b.weights)[0].item()
        cache = fastpath.PrefixCache(m, start)
        cache.build(data.tokens, data.lengths)
        pre = fastpath.prefix_loss(m, start, cache.batch(b.indices, b.inputs.shape[1] - 1), b.sel, b.targets,
                                   b.weights)[0].item()
        out[f"pad{pad}"] = {"width": int(b.inputs.shape[1]), "plain": ref, "selected": sel, "prefix": pre}
    return out


def run_child(args: list[str], env: dict[str, str] | None = None, timeout: float = 400) -> dict[str, Any]:
    t0 = time.time()
    try:
        proc = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True,
                              timeout=timeout, env={**os.environ, **(env or {})})
    except subprocess.TimeoutExpired:
        return {"error": f"did not finish in {timeout:.0f} s"}
    lines = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")]
    if proc.returncode or not lines:
        return {"error": (proc.stderr or proc.stdout)[-1500:]}
    r: dict[str, Any] = json.loads(lines[-1][7:])
    r["wall"] = time.time() - t0
    if "first_report_at" in r:
        r["to_step10"] = r["first_report_at"] - t0
    return r


def row(label: str, r: dict[str, Any]) -> str:
    if "error" in r:
        return f"| {label} | failed: {r['error'].strip().splitlines()[-1][:100]} |"
    return (f"| {label} | {r['train_time']:.2f} s | {r['to_step10']:.1f} s | {r['wall']:.1f} s | {r['peak_gb']:.2f} GB "
            f"| {r['final_loss']:.3f} | {r['trained_tokens']} | {r['shapes']} |")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tokenizer", type=Path, default=None, help="a SmolLM2 folder (config + tokenizer files); "
                    "default: the demo model")
    ap.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "mlxstudio-gpu-models")
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--iters", type=int, default=100)
    ap.add_argument("--cold-iters", type=int, default=10, help="iterations of the first (cold-cache) run of each "
                    "program (0: none)")
    ap.add_argument("--timeout", type=float, default=400, help="seconds per run")
    ap.add_argument("--variants", default="", help="also run ours with these strategies: " + ", ".join(VARIANTS))
    ap.add_argument("--maths", action="store_true", help="check the loss shortcuts on the GPU")
    ap.add_argument("--no-generate", action="store_true")
    ap.add_argument("--gen-tokens", type=int, default=64)
    ap.add_argument("--gen-models", default=",".join(MODELS))
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        kind, *rest = args.child
        fn = {"stock": child_stock, "ours": child_ours}.get(kind)
        if fn is not None:
            res = fn(rest[0], rest[1], rest[2], int(rest[3]))
        elif kind == "maths":
            res = child_maths(rest[0])
        else:
            res = child_generate(rest[0], rest[1], int(rest[2]))
        print("RESULT " + json.dumps(res))
        return 0
    gpu = gpu_name()
    if gpu is None:
        print("gpu_train_vs_mlx_lm: needs a GPU (MLX's Metal or CUDA backend), skipped.")
        return 0
    import mlx.core as mx

    tok = args.tokenizer
    if tok is None:
        from mlxstudio.core.models.demo_model import install_demo_model

        tok = Path(install_demo_model())
    t0 = time.time()
    paths = build_models(tok, args.out)
    print(f"GPU: {gpu}; MLX {mx.__version__}; models ready in {time.time() - t0:.0f} s", flush=True)
    work = Path(tempfile.mkdtemp(prefix="gpu-bench-"))
    data = str(write_data(work / "data"))
    names = [n for n in args.models.split(",") if n]
    if args.maths:
        for name in names:
            print(f"maths {name}: {json.dumps(run_child(['maths', str(paths[name])]))}", flush=True)
    results: dict[str, dict[str, Any]] = {}
    for name in names:
        runs: dict[str, dict[str, Any]] = {}
        variants = [v for v in args.variants.split(",") if v]
        plan = [("stock", args.iters), ("ours", args.iters), *((v, args.iters) for v in variants)]
        if args.cold_iters:  # both cold runs at once (the JIT compiles run on the CPU cores): half the waiting
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(2) as pool:
                futures = {kind: pool.submit(run_child, [kind, str(paths[name]), data, str(work / f"{name}-{kind}0"),
                                                         str(args.cold_iters)],
                                             {"MLX_PTX_CACHE_DIR": str(work / f"ptx-{name}-{kind}")}, args.timeout)
                           for kind in ("stock", "ours")}
                for kind, fut in futures.items():
                    runs[f"{kind} cold"] = fut.result()
                    print(f"{name} {kind} cold: {json.dumps(runs[kind + ' cold'])[:600]}", flush=True)
        for label, iters in plan:
            if not iters:
                continue
            kind = "stock" if label.startswith("stock") else "ours"
            env = {"MLXSTUDIO_TRAIN_STRATEGY": VARIANTS[label]} if label in VARIANTS else {}
            env["MLX_PTX_CACHE_DIR"] = str(work / f"ptx-{name}-{kind}")  # each program its own JIT kernel cache
            runs[label] = run_child([kind, str(paths[name]), data, str(work / f"{name}-{label}"), str(iters)],
                                    env, timeout=args.timeout)
            r = runs[label]
            losses = " ".join(f"{x:.3f}" for x in r.get("losses", []))
            print(f"{name} {label}: {json.dumps({k: v for k, v in r.items() if k != 'losses'})} losses: {losses}",
                  flush=True)
        results[name] = runs
    print(f"\n### Training, {args.iters} iterations, batch 4 — {gpu}, MLX {mx.__version__}\n")
    print("| model / run | training time | to step 10 | process wall | peak memory | final loss | trained tokens "
          "| compiled shapes |\n|---|---|---|---|---|---|---|---|")
    for name, runs in results.items():
        for label, r in runs.items():
            if "cold" not in label:
                print(row(f"{TITLES[name]} — {label}", r))
        s, o = runs["stock"], runs["ours"]
        sc, oc = runs.get("stock cold", {}), runs.get("ours cold", {})
        if "to_step10" in sc and "to_step10" in oc:
            print(f"| {TITLES[name]} — cold kernel cache, stock / ours | | {sc['to_step10']:.1f} / "
                  f"{oc['to_step10']:.1f} s | {sc['wall']:.1f} / {oc['wall']:.1f} s ({args.cold_iters} steps) "
                  "| | | | |")
        if "error" not in s and "error" not in o:
            print(f"| {TITLES[name]} — **stock / ours** | **{s['train_time'] / o['train_time']:.2f}x** | "
                  f"{s['to_step10'] / o['to_step10']:.2f}x | | {s['peak_gb'] / o['peak_gb']:.2f}x | | | |")
    if not args.no_generate:
        print(f"\n### Generation, {args.gen_tokens} greedy tokens after a warm-up — {gpu}\n")
        print("| model | ours (Generator) | mlx_lm.generate | ours / stock |\n|---|---|---|---|")
        for name in args.gen_models.split(","):
            g = {k: run_child(["gen", k, str(paths[name]), str(args.gen_tokens)]) for k in ("ours", "stock")}
            if any("error" in v for v in g.values()):
                print(f"| {TITLES[name]} | failed: {json.dumps(g)[:200]} |")
                continue
            print(f"| {TITLES[name]} | {g['ours']['tok_s']:.1f} tok/s ({g['ours']['tokens']} tokens) | "
                  f"{g['stock']['tok_s']:.1f} tok/s ({g['stock']['tokens']} tokens) | "
                  f"{g['ours']['tok_s'] / g['stock']['tok_s']:.2f}x |", flush=True)
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
