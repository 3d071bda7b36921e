"""Write small GGUF files for tests with the ``gguf`` package, the way llama.cpp's converter does.

:func:`write_tiny_gguf` takes a tiny random llama (mlx-lm's model code) plus the tiny byte-level BPE tokenizer of
``tiny_model.py``, renames the weights to GGUF names and permutes Q/K rows with mlx-lm's own GGUF-export helpers
(``mlx_lm.gguf``: an implementation independent of the importer), quantizes 2-D tensors to the requested type with
``gguf.quants`` and writes the ``tokenizer.ggml.*`` metadata. It returns the HF-layout reference weights (already
rounded through the chosen type) so a test can compare the imported model's logits against them.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

TINY_CONFIG: dict[str, Any] = {
    "model_type": "llama",
    "hidden_size": 64,
    "num_hidden_layers": 2,
    "intermediate_size": 128,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "rms_norm_eps": 1e-5,
    "rope_theta": 10000.0,
    "tie_word_embeddings": True,
    "max_position_embeddings": 2048,
}


def tiny_tokenizer_metadata() -> dict[str, Any]:
    """tokens (id order), token types (3 for specials), merges ("a b"), and the tokenizer.json path's vocab size."""
    from tiny_model import build_tokenizer

    with tempfile.TemporaryDirectory() as tmp:
        build_tokenizer(Path(tmp))
        data = json.loads((Path(tmp) / "tokenizer.json").read_text(encoding="utf-8"))
        tok_json = (Path(tmp) / "tokenizer.json").read_text(encoding="utf-8")
    vocab: dict[str, int] = dict(data["model"]["vocab"])
    specials = {t["content"]: t["id"] for t in data["added_tokens"]}
    vocab.update(specials)
    tokens = [""] * len(vocab)
    for tok, i in vocab.items():
        tokens[i] = tok
    types = [3 if t in specials else 1 for t in tokens]
    merges = [m if isinstance(m, str) else " ".join(m) for m in data["model"]["merges"]]
    return {"tokens": tokens, "types": types, "merges": merges, "tokenizer_json": tok_json}


def _rounded(w: np.ndarray, qtype: Any) -> np.ndarray:
    """``w`` after a round trip through the GGUF type (what a perfect importer would give back)."""
    import gguf

    if qtype == gguf.GGMLQuantizationType.F32:
        return w
    if qtype == gguf.GGMLQuantizationType.F16:
        return w.astype(np.float16).astype(np.float32)
    return gguf.quants.dequantize(gguf.quants.quantize(w, qtype), qtype)


def write_tiny_gguf(path: Path, qtype: str = "F32", arch: str = "llama", seed: int = 0, tied: bool = True,
                    extra_tensors: dict[str, tuple[np.ndarray, str]] | None = None, drop: tuple[str, ...] = (),
                    chat_template: str | None = None) -> dict[str, np.ndarray]:
    """Write a tiny llama GGUF at ``path``; return the reference HF-layout weights (float32, type-rounded).

    ``qtype`` is the GGML type of the 2-D weights ("F32", "F16", "Q8_0", "Q4_0", "Q4_1"); norms stay F32.
    ``extra_tensors`` adds raw tensors (name → (uint8 bytes array, GGML type name)); ``drop`` leaves tensors out.
    """
    import gguf
    import mlx.core as mx
    from mlx.utils import tree_flatten
    from mlx_lm.gguf import permute_weights, translate_weight_names
    from tiny_model import CHATML

    tok = tiny_tokenizer_metadata()
    cfg = tiny_config(arch, len(tok["tokens"]), tied)
    mx.random.seed(seed)
    module = _model_module(arch)
    model = module.Model(module.ModelArgs.from_dict(cfg))
    weights = {k: np.array(v.astype(mx.float32)) for k, v in tree_flatten(model.parameters())}
    gtype = gguf.GGMLQuantizationType[qtype]
    heads, kv = cfg["num_attention_heads"], cfg["num_key_value_heads"]

    w = gguf.GGUFWriter(str(path), arch)
    w.add_name("tiny-test-llama")
    w.add_context_length(cfg["max_position_embeddings"])
    w.add_embedding_length(cfg["hidden_size"])
    w.add_block_count(cfg["num_hidden_layers"])
    w.add_feed_forward_length(cfg["intermediate_size"])
    w.add_head_count(heads)
    w.add_head_count_kv(kv)
    w.add_layer_norm_rms_eps(cfg["rms_norm_eps"])
    w.add_rope_freq_base(cfg["rope_theta"])
    w.add_rope_dimension_count(cfg["hidden_size"] // heads)
    if arch == "qwen3":
        w.add_key_length(cfg["head_dim"])
        w.add_value_length(cfg["head_dim"])
    w.add_vocab_size(cfg["vocab_size"])
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("default")
    w.add_token_list(tok["tokens"])
    w.add_token_types(tok["types"])
    w.add_token_merges(tok["merges"])
    w.add_eos_token_id(tok["tokens"].index("<|im_end|>"))
    w.add_pad_token_id(tok["tokens"].index("<|endoftext|>"))
    w.add_add_bos_token(False)
    w.add_chat_template(chat_template if chat_template is not None else CHATML)

    reference: dict[str, np.ndarray] = {}
    for name, value in weights.items():
        ref = _rounded(value, gtype) if value.ndim == 2 else value
        reference[name] = ref
        out = value
        permute = arch in ("llama", "mamba")  # llama.cpp permutes for llama-style RoPE only (not Qwen's NEOX)
        if permute and "self_attn.q_proj.weight" in name:
            out = np.array(permute_weights(mx.array(value), heads, heads))
        elif permute and "self_attn.k_proj.weight" in name:
            out = np.array(permute_weights(mx.array(value), heads, kv))
        gname = translate_weight_names(name).replace("self_attn.q_norm", "attn_q_norm").replace(
            "self_attn.k_norm", "attn_k_norm")
        if gname in drop:
            continue
        if value.ndim == 1 or gtype == gguf.GGMLQuantizationType.F32:
            w.add_tensor(gname, out.astype(np.float32))
        elif gtype == gguf.GGMLQuantizationType.F16:
            w.add_tensor(gname, out.astype(np.float16))
        else:
            w.add_tensor(gname, gguf.quants.quantize(out, gtype), raw_dtype=gtype)
    for gname, (raw, type_name) in (extra_tensors or {}).items():
        w.add_tensor(gname, raw, raw_dtype=gguf.GGMLQuantizationType[type_name])
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return reference


def _model_module(arch: str) -> Any:
    import importlib

    return importlib.import_module(f"mlx_lm.models.{'llama' if arch == 'mamba' else arch}")


def tiny_config(arch: str, vocab_size: int, tied: bool = True) -> dict[str, Any]:
    """The mlx-lm config of the tiny model of ``arch`` ("llama", "qwen2", "qwen3"; "mamba" = llama weights)."""
    cfg = dict(TINY_CONFIG, vocab_size=vocab_size, tie_word_embeddings=tied)
    if arch in ("qwen2", "qwen3"):
        cfg["model_type"] = arch
    if arch == "qwen3":
        cfg["head_dim"] = 32  # != hidden / heads (16): as in real Qwen3 models
    return cfg


def reference_logits(reference: dict[str, np.ndarray], vocab_size: int, tokens: list[int],
                     tied: bool = True, arch: str = "llama") -> np.ndarray:
    """Logits of the tiny model built from ``reference`` weights (float32) for ``tokens``."""
    import mlx.core as mx

    module = _model_module(arch)
    model = module.Model(module.ModelArgs.from_dict(tiny_config(arch, vocab_size, tied)))
    model.load_weights([(k, mx.array(v)) for k, v in reference.items()])
    return np.array(model(mx.array([tokens]))[0].astype(mx.float32))


# -- any tensor type, any supported architecture ------------------------------------------------------------------
# Offsets of the float16 super-block scales (d, dmin) in each K-quant block (ggml-common.h's block_qN_K layouts):
# random bytes elsewhere are valid quants, these two get small fixed values so weights stay ~0.05 in size.
_K_SCALE_OFFSETS: dict[str, tuple[int, ...]] = {"Q2_K": (80, 82), "Q3_K": (108,), "Q4_K": (0, 2),
                                                "Q5_K": (0, 2), "Q6_K": (208,)}
ARCH_CONFIGS: dict[str, dict[str, Any]] = {
    "llama": {"model_type": "llama"},
    "qwen2": {"model_type": "qwen2"},
    "qwen3": {"model_type": "qwen3", "head_dim": 64},
    "gemma3": {"model_type": "gemma3_text", "head_dim": 64, "query_pre_attn_scalar": 64, "sliding_window": 512,
               "sliding_window_pattern": 6, "rope_local_base_freq": 10000.0, "rms_norm_eps": 1e-6,
               "num_hidden_layers": 6},  # mlx-lm's gemma3 wants a full 5 local + 1 global pattern
    "gemma2": {"model_type": "gemma2", "head_dim": 64, "query_pre_attn_scalar": 64, "rms_norm_eps": 1e-6,
               "attn_logit_softcapping": 50.0, "final_logit_softcapping": 30.0},
    "phi3": {"model_type": "phi3", "tie_word_embeddings": False},
}


def any_config(arch: str, vocab_size: int, tied: bool = True) -> dict[str, Any]:
    """A small config (hidden 256: K-quant rows need multiples of 256) for ``arch`` ("llama", "qwen2", …)."""
    cfg = dict(TINY_CONFIG, hidden_size=256, intermediate_size=512, vocab_size=vocab_size, tie_word_embeddings=tied,
               rope_theta=10000.0)
    cfg.update(ARCH_CONFIGS[arch])
    if arch == "phi3":
        cfg["tie_word_embeddings"] = False  # mlx-lm's phi3 always has its own lm_head
    return cfg


def _random_k_blocks(rng: np.random.Generator, rows: int, cols: int, type_name: str) -> np.ndarray:
    import gguf

    block, size = gguf.GGML_QUANT_SIZES[gguf.GGMLQuantizationType[type_name]]
    raw = rng.integers(0, 256, size=(rows, cols // block, size), dtype=np.uint8)
    for j, off in enumerate(_K_SCALE_OFFSETS[type_name]):
        raw[:, :, off:off + 2] = np.frombuffer(np.float16(4e-4 if j == 0 else 2e-4).tobytes(), np.uint8)
    return raw.reshape(rows, (cols // block) * size)


def write_any_gguf(path: Path, arch: str, types: tuple[str, ...], seed: int = 0, tied: bool = True
                   ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Write a small ``arch`` GGUF as llama.cpp's converter would (gguf-py's tensor-name table, Q/K permutation for
    llama, Gemma norms stored +1), its 2-D tensors in ``types`` in turn (a type whose block does not divide a row
    falls back to Q8_0, as llama.cpp does). K-quant tensors are random valid blocks (gguf-py cannot quantize to
    them). Returns the reference weights (float32, HF layout, exactly what the file holds) and the mlx-lm config."""
    import gguf
    import mlx.core as mx
    from mlx.utils import tree_flatten
    from mlx_lm.gguf import permute_weights

    tok = tiny_tokenizer_metadata()
    cfg = any_config(arch, len(tok["tokens"]), tied)
    mx.random.seed(seed)
    rng = np.random.default_rng(seed)
    module = _model_module(cfg["model_type"])
    model = module.Model(module.ModelArgs.from_dict(cfg))
    weights = {k: np.array(v.astype(mx.float32)) for k, v in tree_flatten(model.parameters())}
    heads, kv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    head_dim = cfg.get("head_dim", cfg["hidden_size"] // heads)
    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH[arch.upper()], cfg["num_hidden_layers"])

    w = gguf.GGUFWriter(str(path), arch)
    w.add_name(f"tiny-test-{arch}")
    w.add_context_length(cfg["max_position_embeddings"])
    w.add_embedding_length(cfg["hidden_size"])
    w.add_block_count(cfg["num_hidden_layers"])
    w.add_feed_forward_length(cfg["intermediate_size"])
    w.add_head_count(heads)
    w.add_head_count_kv(kv)
    w.add_layer_norm_rms_eps(cfg["rms_norm_eps"])
    w.add_rope_freq_base(cfg["rope_theta"])
    w.add_key_length(head_dim)
    w.add_value_length(head_dim)
    if arch == "gemma3":
        w.add_sliding_window(cfg["sliding_window"])
    if arch == "gemma2":
        w.add_float32("gemma2.attn_logit_softcapping", cfg["attn_logit_softcapping"])
        w.add_float32("gemma2.final_logit_softcapping", cfg["final_logit_softcapping"])
    w.add_rope_dimension_count(head_dim)
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("default")
    w.add_token_list(tok["tokens"])
    w.add_token_types(tok["types"])
    w.add_token_merges(tok["merges"])
    w.add_eos_token_id(tok["tokens"].index("<|im_end|>"))
    w.add_add_bos_token(False)

    reference: dict[str, np.ndarray] = {}
    i = 0
    for name, value in weights.items():
        gname = names.get_name(name, try_suffixes=(".weight", ".bias"))
        assert gname, name
        if value.ndim == 1:
            value = value + rng.normal(0, 0.1, value.shape).astype(np.float32)  # norms not all ones
            reference[name] = value
            w.add_tensor(gname, value + (1.0 if arch.startswith("gemma") and name.endswith("norm.weight") else 0.0))
            continue
        type_name = types[i % len(types)]
        i += 1
        qtype = gguf.GGMLQuantizationType[type_name]
        if value.shape[-1] % gguf.GGML_QUANT_SIZES[qtype][0]:
            type_name, qtype = "Q8_0", gguf.GGMLQuantizationType.Q8_0
        rows = value.shape[0]
        order = np.arange(rows)  # the row order llama.cpp writes (permuted for llama-style RoPE)
        if arch == "llama" and ("q_proj" in name or "k_proj" in name):
            n = heads if "q_proj" in name else kv
            order = np.array(permute_weights(mx.array(order.reshape(rows, 1)), heads, n)).reshape(rows)
        if type_name in _K_SCALE_OFFSETS:
            raw = _random_k_blocks(rng, rows, value.shape[1], type_name)
        elif type_name in ("F32", "F16"):
            raw = value.astype(np.float32 if type_name == "F32" else np.float16)
        else:
            raw = gguf.quants.quantize(value, qtype)
        reference[name] = np.asarray(gguf.quants.dequantize(raw, qtype), np.float32).reshape(value.shape)
        if type_name in ("F32", "F16"):
            w.add_tensor(gname, raw[order])
        else:
            w.add_tensor(gname, raw[order], raw_dtype=qtype)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return reference, cfg


def any_logits(reference: dict[str, np.ndarray], cfg: dict[str, Any], tokens: list[int]) -> np.ndarray:
    """Log-probs of the mlx-lm model built from ``reference`` (float32) for ``tokens``."""
    import mlx.core as mx

    module = _model_module(cfg["model_type"])
    model = module.Model(module.ModelArgs.from_dict(cfg))
    model.load_weights([(k, mx.array(v)) for k, v in reference.items()])
    logits = model(mx.array([tokens]))[0].astype(mx.float32)
    return np.array(logits - mx.logsumexp(logits, axis=-1, keepdims=True))
