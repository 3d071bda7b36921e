"""Generation speed: MLX Studio's :class:`Generator` vs stock mlx-lm on the demo model, same prompt, same run.

Three measurements, each in a fresh subprocess (so one's memory/caches do not help another):

- ``studio``: ``Generator(model).stream(...)`` — chat template, greedy; on the CPU backend it widens the 4-bit
  weights to float32 after loading (the files are untouched);
- ``mlx_lm 4-bit``: ``mlx_lm.load`` + ``stream_generate`` on the same folder as a user would run ``mlx_lm.generate``
  (4-bit weights as stored), capped at a few tokens and a timeout because it is very slow on the CPU backend;
- ``mlx_lm float32``: stock mlx-lm after the same float32 widening (shows the wrapper's own overhead).

    .venv/bin/python benchmarks/generate_vs_mlx_lm.py [--tokens 32] [--timeout 300]

Prints load time, prompt and generation tokens/s and the ratio to the stock 4-bit run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROMPT = "Tell me about the history of Paris in a few sentences."


def _measure(kind: str, model: str, tokens: int) -> dict:
    from mlxstudio.core.runtime.blas import preload_blas

    preload_blas()
    t0 = time.perf_counter()
    if kind == "studio":
        from mlxstudio.core.inference.generate import Generator

        gen = Generator(model)
        load = time.perf_counter() - t0
        text = gen.generate(PROMPT, max_tokens=tokens)
        st = gen.last_stats
        return {"load_s": load, "prompt_tok_s": st.prompt_tokens_per_second, "gen_tok_s": st.tokens_per_second,
                "tokens": st.generation_tokens, "text": text}
    from mlx_lm import load as mlx_load
    from mlx_lm import stream_generate

    m, tok = mlx_load(model)
    if kind == "mlx_lm_f32":
        from mlxstudio.core.inference.generate import widen_for_cpu

        widen_for_cpu(m)
    load = time.perf_counter() - t0
    ids = tok.apply_chat_template([{"role": "user", "content": PROMPT}], add_generation_prompt=True)
    text, last = "", None
    for last in stream_generate(m, tok, ids, max_tokens=tokens):
        text += last.text
    return {"load_s": load, "prompt_tok_s": last.prompt_tps, "gen_tok_s": last.generation_tps,
            "tokens": last.generation_tokens, "text": text}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tokens", type=int, default=32)
    ap.add_argument("--q4-tokens", type=int, default=4, help="tokens for the (slow) stock 4-bit run")
    ap.add_argument("--timeout", type=float, default=300.0)
    ap.add_argument("--child", nargs=3, metavar=("KIND", "MODEL", "TOKENS"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        kind, model, tokens = args.child
        print(json.dumps(_measure(kind, model, int(tokens)), ensure_ascii=False))
        return 0

    home = tempfile.mkdtemp(prefix="mlxstudio-bench-")
    env = {**os.environ, "MLXSTUDIO_HOME": home, "TOKENIZERS_PARALLELISM": "false"}
    sys.path.insert(0, str(ROOT))
    os.environ["MLXSTUDIO_HOME"] = home
    from mlxstudio.core.models.demo_model import install_demo_model

    model = str(install_demo_model())
    print(f"model: {model}  ({os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f})")
    rows: dict[str, dict | None] = {}
    for label, kind, tokens in (("studio", "studio", args.tokens), ("mlx_lm float32", "mlx_lm_f32", args.tokens),
                                ("mlx_lm 4-bit", "mlx_lm_q4", args.q4_tokens)):
        cmd = [sys.executable, __file__, "--child", kind, model, str(tokens)]
        try:
            out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=args.timeout, check=True)
            rows[label] = json.loads(out.stdout.strip().splitlines()[-1])
        except subprocess.TimeoutExpired:
            rows[label] = None
        except subprocess.CalledProcessError as exc:
            print(f"{label}: failed\n{exc.stderr[-2000:]}")
            return 1
    base = rows.get("mlx_lm 4-bit")
    for label, r in rows.items():
        if r is None:
            bound = args.q4_tokens / args.timeout
            studio = rows.get("studio")
            vs = f" → studio is > x{studio['gen_tok_s'] / bound:.0f} faster" if studio else ""
            print(f"{label:15s} did not finish {args.q4_tokens} tokens within {args.timeout:.0f} s "
                  f"(< {bound:.3f} tok/s){vs}")
            continue
        ratio = f" (x{r['gen_tok_s'] / base['gen_tok_s']:.0f} vs stock 4-bit)" if base and base["gen_tok_s"] else ""
        print(f"{label:15s} load {r['load_s']:5.1f} s · prompt {r['prompt_tok_s']:7.1f} tok/s · generation "
              f"{r['gen_tok_s']:6.1f} tok/s over {r['tokens']} tokens{ratio} · {r['text'][:40]!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
