"""Import a ``.gguf`` model file (llama.cpp's format) into an mlx-lm model folder in the library.

What it does, in order (each step is a :class:`~mlxstudio.core.events.Progress` event with ``job="import"``):

1. Check the file (:func:`check_gguf`): a complete GGUF v2/v3, an architecture we can map (``llama`` and files
   that use its layout: SmolLM, TinyLlama, Llama 2/3, Mistral 7B…; ``qwen2``; ``qwen3``; ``gemma2``/``gemma3``;
   ``phi3``), tensor types
   ``mx.load`` converts exactly (F32, F16, BF16, Q4_0, Q4_1, Q8_0) or gguf-py dequantizes (K-quants, Q5_*, I-quants);
   other types are refused naming them.
2. ``weight_format`` "auto" on a file of exact types (the demo model): load the tensors with ``mx.load`` —
   Q4_0/Q4_1/Q8_0 arrive as MLX affine-quantized triples (``weight`` uint32, ``scales``, ``biases``; group size 32),
   so nothing is dequantized. Otherwise (K-quants…, or an explicit float16/bfloat16/q8/q4) read tensor by tensor
   through ``gguf.quants.dequantize`` (:func:`convert_dequantized`) and keep floats or re-quantize to MLX 8-/4-bit.
3. Rename them to mlx-lm's names, and (llama) undo llama.cpp's Q/K row permutation (its converter interleaves the rows
   of ``attn_q``/``attn_k`` per head for the "traditional" RoPE kernel; undoing it gives the standard Hugging Face
   layout, so the folder works with mlx-lm's default RoPE and with any tool that expects HF weights). The
   permutation moves whole rows, so it applies to quantized weights, scales and biases alike.
4. Write ``config.json`` from the ``<arch>.*`` metadata (quantization group size/bits per layer read from the tensor
   types, ``tie_word_embeddings`` when there is no ``output.weight``, Llama 3 RoPE scaling recovered from the
   ``rope_freqs`` tensor), and the tokenizer files (:mod:`mlxstudio.core.models.gguf.tokenizer`).
5. Write ``model.safetensors`` (sharded like mlx-lm for big models) and ``mlxstudio.json`` (the source).
6. Validate the folder, then move it into the library in one rename (:func:`~mlxstudio.core.fsutil.replace_dir`).

Everything is written into a hidden staging folder next to the destination; a failure or a cancel removes it, so
the library never holds half a model.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from mlxstudio.core import errors, paths
from mlxstudio.core.errors import ModelError
from mlxstudio.core.events import Log, Progress, Sink, null_sink
from mlxstudio.core.fsutil import atomic_write_json, replace_dir
from mlxstudio.core.i18n import _
from mlxstudio.core.models.gguf.dequant import MX_NATIVE_TYPES, dequantizable_types
from mlxstudio.core.models.gguf.reader import GGUFInfo, TensorInfo, read_gguf

JOB = "import"
SUPPORTED_TYPES = MX_NATIVE_TYPES  # loaded exactly by mx.load; other types go through gguf-py (dequant.py)
QUANT_BITS = {"Q4_0": 4, "Q4_1": 4, "Q8_0": 8}
GGUF_GROUP_SIZE = 32  # every GGUF Q4_0/Q4_1/Q8_0 block holds 32 weights

Cancel = Callable[[], bool] | threading.Event | None


_LAYER_PARTS = {
    "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj", "attn_v": "self_attn.v_proj",
    "attn_output": "self_attn.o_proj", "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj",
    "ffn_down": "mlp.down_proj", "attn_norm": "input_layernorm", "ffn_norm": "post_attention_layernorm",
    "attn_q_norm": "self_attn.q_norm", "attn_k_norm": "self_attn.k_norm",
}
_GLOBAL_PARTS = {"token_embd": "model.embed_tokens", "output_norm": "model.norm", "output": "lm_head"}
_LLAMA_LAYER = ("attn_q.weight", "attn_k.weight", "attn_v.weight", "attn_output.weight", "ffn_gate.weight",
                "ffn_up.weight", "ffn_down.weight", "attn_norm.weight", "ffn_norm.weight")
_BLOCK_RE = re.compile(r"^blk\.(\d+)\.([a-z_]+)\.(weight|bias)$")


@dataclass(frozen=True)
class ArchSpec:
    """How a GGUF architecture maps onto an mlx-lm model module.

    ``layer_tensors`` are the per-block GGUF tensors (``<part>.weight|bias``) the architecture has — all required.
    ``permute_qk``: llama.cpp's converter permuted the Q/K rows (llama-style RoPE); Qwen uses NEOX-style RoPE, whose
    rows llama.cpp leaves in Hugging Face order.
    """

    model_type: str
    hf_architecture: str
    permute_qk: bool
    layer_tensors: tuple[str, ...]
    default_rope_theta: float = 10000.0
    part_names: tuple[tuple[str, str], ...] = ()  # GGUF block part → mlx-lm module, where it differs from llama's
    norm_shift: float = 0.0  # llama.cpp stored ``norm + shift`` (Gemma: +1); the importer subtracts it again

    def parts(self) -> dict[str, str]:
        return {**_LAYER_PARTS, **dict(self.part_names)}


ARCHITECTURES: dict[str, ArchSpec] = {
    "llama": ArchSpec("llama", "LlamaForCausalLM", True, _LLAMA_LAYER),
    "qwen2": ArchSpec("qwen2", "Qwen2ForCausalLM", False,
                      (*_LLAMA_LAYER, "attn_q.bias", "attn_k.bias", "attn_v.bias"), 1000000.0),
    "qwen3": ArchSpec("qwen3", "Qwen3ForCausalLM", False,
                      (*_LLAMA_LAYER, "attn_q_norm.weight", "attn_k_norm.weight"), 1000000.0),
    # Gemma 3 (text): NEOX RoPE (no permutation), four norms per block, all stored +1 by convert_hf_to_gguf.py
    # (Gemma3Model.modify_tensors: ``norm.weight`` + norm_shift), output head tied to the embedding.
    "gemma3": ArchSpec("gemma3_text", "Gemma3ForCausalLM", False,
                       (*_LLAMA_LAYER, "attn_q_norm.weight", "attn_k_norm.weight", "post_attention_norm.weight",
                        "post_ffw_norm.weight"), 1000000.0,
                       (("ffn_norm", "pre_feedforward_layernorm"), ("post_attention_norm", "post_attention_layernorm"),
                        ("post_ffw_norm", "post_feedforward_layernorm")), 1.0),
    # Gemma 2: the same four norms (+1), no Q/K norms; logit soft-capping from the metadata
    "gemma2": ArchSpec("gemma2", "Gemma2ForCausalLM", False,
                       (*_LLAMA_LAYER, "post_attention_norm.weight", "post_ffw_norm.weight"), 10000.0,
                       (("ffn_norm", "pre_feedforward_layernorm"), ("post_attention_norm", "post_attention_layernorm"),
                        ("post_ffw_norm", "post_feedforward_layernorm")), 1.0),
    # Phi-3 (mini/medium, 4k): fused qkv and gate/up projections as mlx-lm's phi3 has them; NEOX RoPE. The 128k
    # variants' rope_factors tensors are refused as tensors the layout does not have.
    "phi3": ArchSpec("phi3", "Phi3ForCausalLM", False,
                     ("attn_qkv.weight", "attn_output.weight", "ffn_up.weight", "ffn_down.weight", "attn_norm.weight",
                      "ffn_norm.weight"), 10000.0,
                     (("attn_qkv", "self_attn.qkv_proj"), ("ffn_up", "mlp.gate_up_proj"))),
}


def mlx_tensor_name(gguf_tensor: str, spec: ArchSpec | None = None) -> str | None:
    """The mlx-lm name of a GGUF tensor (``blk.3.attn_q.weight`` → ``model.layers.3.self_attn.q_proj.weight``), or
    None when the tensor is not part of the architecture's layout (``spec``, default llama)."""
    spec = spec or ARCHITECTURES["llama"]
    m = _BLOCK_RE.match(gguf_tensor)
    if m:
        part, kind = m.group(2), m.group(3)
        if f"{part}.{kind}" not in spec.layer_tensors:
            return None
        return f"model.layers.{m.group(1)}.{spec.parts()[part]}.{kind}"
    base, _, kind = gguf_tensor.rpartition(".")
    module = _GLOBAL_PARTS.get(base)
    return f"{module}.{kind}" if module and kind == "weight" else None


def mlx_module_name(gguf_tensor: str, spec: ArchSpec | None = None) -> str | None:
    """The mlx-lm module path of a GGUF ``*.weight`` tensor (``blk.3.attn_q.weight`` →
    ``model.layers.3.self_attn.q_proj``), or None when it is not part of the layout."""
    name = mlx_tensor_name(gguf_tensor, spec)
    return name.rpartition(".")[0] if name and gguf_tensor.endswith(".weight") else None


def _cancel_fn(cancel: Cancel) -> Callable[[], bool]:
    if cancel is None:
        return lambda: False
    if isinstance(cancel, threading.Event):
        return cancel.is_set
    return cancel


# ---------------------------------------------------------------------------------------------------------------
# checking


def _unsupported_types_message(path: Path, arch: str, bad: dict[str, int]) -> str:
    names = ", ".join(f"{n} × {c}" for n, c in sorted(bad.items()))
    return _("{name} ({arch}) uses tensor types that the installed gguf package cannot dequantize: {types}. Use "
             "another quantization of the model (Q4_K_M, Q8_0 or F16 files work), update the gguf package, or "
             "download the MLX model from a hub (Model page → Download).").format(name=path.name, arch=arch,
                                                                                   types=names)


def check_gguf(gguf_path: str | Path) -> GGUFInfo:
    """Read and check a GGUF file without loading it; return its header. Fast (reads only the header).

    Raises :class:`ModelError` naming the problem: not a GGUF / incomplete file, unknown architecture, unsupported
    tensor types (K-quants…), unexpected or missing tensors, missing metadata.
    """
    info = read_gguf(gguf_path)
    p = info.path
    arch = info.architecture
    if not arch:
        raise ModelError(_("{name} does not say which architecture it is (no general.architecture); "
                           "it cannot be imported.").format(name=p.name))
    if arch not in ARCHITECTURES:
        raise ModelError(_("{name} is a {arch!r} model (tensor types {types}); GGUF import supports {join} "
                           "architectures only. Download the MLX version of this model from a hub instead.").format(
                               name=p.name, arch=arch, join=', '.join(sorted(ARCHITECTURES)),
                               types=", ".join(sorted(info.type_counts))))
    supported = dequantizable_types() | set(MX_NATIVE_TYPES)
    bad = {t: n for t, n in info.type_counts.items() if t not in supported}
    if bad:
        raise ModelError(_unsupported_types_message(p, arch, bad))
    for key in ("embedding_length", "block_count", "feed_forward_length", "attention.head_count"):
        if info.arch_value(key) is None:
            raise ModelError(_("{name} lacks the metadata {arch}.{key}; the file is incomplete or not a language "
                               "model. Download it again or use another file.").format(name=p.name, arch=arch, key=key))
    spec = ARCHITECTURES[arch]
    n_layers = int(info.arch_value("block_count"))
    names = {t.name for t in info.tensors}
    for t in info.tensors:
        if t.name == "rope_freqs.weight" and spec.permute_qk:
            continue
        if mlx_tensor_name(t.name, spec) is None:
            raise ModelError(_("{name} has a tensor {name2!r} that the {arch} layout does not have; this variant "
                               "cannot be imported. Download the MLX version of the model from a hub instead.").format(
                                   name=p.name, name2=t.name, arch=arch))
    required = ["token_embd.weight", "output_norm.weight"] + [
        f"blk.{i}.{part}" for i in range(n_layers) for part in spec.layer_tensors]
    missing = [n for n in required if n not in names]
    if missing:
        more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
        raise ModelError(_("{name} is missing the tensor {missing!r}{more}; the file is damaged or incomplete.").format(
            name=p.name, missing=missing[0], more=more))
    tokens = info.metadata.get("tokenizer.ggml.tokens")
    embed = info.tensor("token_embd.weight")
    if isinstance(tokens, list) and embed is not None and len(tokens) > int(embed.shape[0]):
        raise ModelError(_("{name} is damaged: its tokenizer has {n} tokens but the model has only "
                           "{shape} token embeddings. Download the file again or use another one.").format(
                               name=p.name, n=len(tokens), shape=int(embed.shape[0])))
    return info


# ---------------------------------------------------------------------------------------------------------------
# config


def _llama3_rope_scaling(freqs: list[float], head_dim: int, theta: float, info: GGUFInfo) -> dict[str, Any]:
    """Recover Llama 3.1-style RoPE scaling from llama.cpp's ``rope_freqs`` tensor (per-dimension divisors).

    llama.cpp's converter computes them from (factor, low_freq_factor, high_freq_factor, original context) and
    stores only the result; we take ``factor`` = the largest divisor, try Meta's published low/high factors and
    original context, and accept them only if they reproduce the stored tensor.
    """
    factor = max(freqs)
    base = [1.0 / (theta ** (i / head_dim)) for i in range(0, head_dim, 2)]
    for old_ctx in (int(info.arch_value("rope.scaling.original_context_length", 8192) or 8192), 8192):
        for low, high in ((1.0, 4.0),):
            low_wl, high_wl = old_ctx / low, old_ctx / high
            expected = []
            for f in base:
                wl = 2 * math.pi / f
                if wl < high_wl:
                    expected.append(1.0)
                elif wl > low_wl:
                    expected.append(factor)
                else:
                    smooth = (old_ctx / wl - low) / (high - low)
                    expected.append(1.0 / ((1 - smooth) / factor + smooth))
            if len(expected) == len(freqs) and all(math.isclose(a, b, rel_tol=1e-3) for a, b in
                                                   zip(expected, freqs, strict=True)):
                return {"rope_type": "llama3", "factor": factor, "low_freq_factor": low, "high_freq_factor": high,
                        "original_max_position_embeddings": old_ctx}
    raise ModelError(_("{name} uses a RoPE frequency table (rope_freqs) that does not match Llama 3 "
                       "scaling; it cannot be imported. Download the MLX version of the model from a hub instead.")
                           .format(name=info.path.name))


def _quant_of(t: TensorInfo) -> tuple[int, int] | None:
    bits = QUANT_BITS.get(t.type_name)
    return (GGUF_GROUP_SIZE, bits) if bits else None


def build_config(info: GGUFInfo, rope_freqs: list[float] | None = None,
                 quantized: dict[str, tuple[int, int]] | None = None) -> dict[str, Any]:
    """The mlx-lm ``config.json`` for a checked GGUF (see :func:`check_gguf`).

    ``quantized`` (module → (group size, bits)) describes re-quantized weights; default: the file's own Q4_0/Q4_1/Q8_0
    tensors, kept as they are.
    """
    arch = info.architecture
    spec = ARCHITECTURES[arch]
    hidden = int(info.arch_value("embedding_length"))
    heads = int(info.arch_value("attention.head_count"))
    kv_heads = int(info.arch_value("attention.head_count_kv", heads) or heads)
    embed = info.tensor("token_embd.weight")
    assert embed is not None
    vocab = int(embed.shape[0])
    theta = float(info.arch_value("rope.freq_base", spec.default_rope_theta))
    head_dim = int(info.arch_value("attention.key_length", hidden // heads) or hidden // heads)
    context = info.arch_value("context_length")
    config: dict[str, Any] = {
        "model_type": spec.model_type,
        "architectures": [spec.hf_architecture],
        "hidden_size": hidden,
        "num_hidden_layers": int(info.arch_value("block_count")),
        "intermediate_size": int(info.arch_value("feed_forward_length")),
        "num_attention_heads": heads,
        "num_key_value_heads": kv_heads,
        "rms_norm_eps": float(info.arch_value("attention.layer_norm_rms_epsilon", 1e-5)),
        "vocab_size": vocab,
        "rope_theta": theta,
        "rope_traditional": False,  # llama: the Q/K rows are un-permuted on import
        "tie_word_embeddings": info.tensor("output.weight") is None,
    }
    if spec.model_type == "llama":
        config.update(attention_bias=False, mlp_bias=False)
    if spec.model_type == "gemma2":
        n_layers = int(info.arch_value("block_count"))
        config.update(attn_logit_softcapping=float(info.arch_value("attn_logit_softcapping", 50.0)),
                      final_logit_softcapping=float(info.arch_value("final_logit_softcapping", 30.0)),
                      query_pre_attn_scalar=hidden // heads if n_layers == 46 else head_dim,  # 46 layers: 27B
                      rms_norm_eps=float(info.arch_value("attention.layer_norm_rms_epsilon", 1e-6)))
    if spec.model_type == "phi3":
        rot = info.arch_value("rope.dimension_count")
        if rot:
            config["partial_rotary_factor"] = int(rot) / head_dim
        if context:
            config["original_max_position_embeddings"] = int(
                info.arch_value("rope.scaling.original_context_length", context) or context)
    if spec.model_type == "gemma3_text":
        # what llama.cpp's llama-model.cpp assumes for gemma3: a 5:1 local/global layer pattern, local RoPE base
        # 10000, attention scale 1/sqrt(head_dim) except the 27B model (62 layers): 1/sqrt(hidden/heads)
        n_layers = int(info.arch_value("block_count"))
        config.update(sliding_window=int(info.arch_value("attention.sliding_window", 512) or 512),
                      sliding_window_pattern=6, rope_local_base_freq=10000.0,
                      query_pre_attn_scalar=hidden // heads if n_layers == 62 else head_dim,
                      rms_norm_eps=float(info.arch_value("attention.layer_norm_rms_epsilon", 1e-6)))
    if context:
        config["max_position_embeddings"] = int(context)
    if head_dim != hidden // heads or spec.model_type in ("qwen3", "gemma2", "gemma3_text"):  # ModelArgs need it
        config["head_dim"] = head_dim
    scaling = info.arch_value("rope.scaling.type")
    if rope_freqs is not None:
        config["rope_scaling"] = _llama3_rope_scaling(rope_freqs, head_dim, theta, info)
    elif scaling in ("linear",):
        config["rope_scaling"] = {"type": "linear", "factor": float(info.arch_value("rope.scaling.factor", 1.0))}
    elif scaling not in (None, "none"):
        raise ModelError(_("{name} uses RoPE scaling {scaling!r}, which the import does not support. "
                           "Download the MLX version of the model from a hub instead.").format(
                               name=info.path.name, scaling=scaling))

    # Quantization: the most common (group size, bits) is the default; other quantized layers get their own entry
    # (e.g. SmolLM2's Q4_1 file keeps the embedding in Q8_0). Unquantized layers need no entry: mlx-lm only
    # quantizes a layer that has ``scales`` in the weights.
    if quantized is None:
        quantized = {}
        for t in info.tensors:
            module = mlx_module_name(t.name, spec)
            q = _quant_of(t)
            if module and q:
                quantized[module] = q
    if quantized:
        (group, bits), _count = Counter(quantized.values()).most_common(1)[0]
        quant: dict[str, Any] = {"group_size": group, "bits": bits}
        for module, (g, b) in sorted(quantized.items()):
            if (g, b) != (group, bits):
                quant[module] = {"group_size": g, "bits": b}
        config["quantization"] = quant
        config["quantization_config"] = dict(quant)  # what mlx_lm.utils.save_config writes too
    return dict(sorted(config.items()))


# ---------------------------------------------------------------------------------------------------------------
# tensors


def unpermute_rows_index(rows: int, n_head: int) -> list[int]:
    """Row order that undoes llama.cpp's Q/K permutation (``convert_hf_to_gguf.LlamaModel.permute``).

    llama.cpp stores row ``h*d + 2*i + j`` = HF row ``h*d + j*d/2 + i`` (``d`` = rows per head); taking the GGUF
    rows in the order returned here gives back the HF rows.
    """
    if rows % n_head or (rows // n_head) % 2:
        raise ModelError(_("cannot un-permute {rows} rows over {n_head} heads: the head counts in the file do not "
                           "match its tensors.").format(rows=rows, n_head=n_head))
    d = rows // n_head
    return [h * d + 2 * i + j for h in range(n_head) for j in range(2) for i in range(d // 2)]


def convert_tensors(info: GGUFInfo, tensors: dict[str, Any]) -> tuple[dict[str, Any], list[float] | None]:
    """Rename GGUF tensors (as ``mx.load`` returns them) to mlx-lm names, un-permute Q/K, settle dtypes.

    Returns the new weights and the ``rope_freqs`` values (None when absent).
    """
    from mlxstudio.core.runtime.mlxrt import mx

    spec = ARCHITECTURES[info.architecture]
    heads = int(info.arch_value("attention.head_count"))
    kv_heads = int(info.arch_value("attention.head_count_kv", heads) or heads)
    all_float32 = all(t.type_name == "F32" for t in info.tensors)
    rope_freqs: list[float] | None = None
    out: dict[str, Any] = {}
    index_cache: dict[tuple[int, int], Any] = {}
    for key, value in tensors.items():
        if key == "rope_freqs.weight":
            rope_freqs = [float(x) for x in value.astype(mx.float32).tolist()]
            continue
        base, _dot, suffix = key.rpartition(".")  # "blk.0.attn_q" + "weight" | "scales" | "biases" | "bias"
        module = mlx_module_name(base + ".weight", spec)
        if suffix == "bias":
            module = (mlx_tensor_name(key, spec) or "").rpartition(".")[0] or None
        if module is None or suffix not in ("weight", "scales", "biases", "bias"):
            raise ModelError(_("{name}: unexpected tensor {key!r}; this file cannot be imported.").format(
                name=info.path.name, key=key))
        if spec.permute_qk and base.endswith((".attn_q", ".attn_k")):
            n = heads if base.endswith(".attn_q") else kv_heads
            rows = int(value.shape[0])
            idx = index_cache.get((rows, n))
            if idx is None:
                idx = index_cache[(rows, n)] = mx.array(unpermute_rows_index(rows, n), dtype=mx.int32)
            value = mx.take(value, idx, axis=0)
        if spec.norm_shift and key.endswith("norm.weight"):
            value = value.astype(mx.float32) - spec.norm_shift
        if value.dtype in (mx.float32, mx.bfloat16) and not all_float32:
            value = value.astype(mx.float16)  # keep one float dtype: the model's (mlx-lm converts the same way)
        out[f"{module}.{suffix}"] = value
    return out, rope_freqs


def convert_dequantized(info: GGUFInfo, fmt: str, check_cancel: Callable[[], None],
                        progress: Callable[[str, float], None] = lambda m, f: None
                        ) -> tuple[dict[str, Any], list[float] | None, dict[str, tuple[int, int]]]:
    """Read every tensor through gguf-py's dequantizer (tensor by tensor), rename it, un-permute Q/K, undo the norm
    shift, and store it as ``fmt`` ("float16", "bfloat16", "float32": exact, for reference checks; "q8", "q4": MLX
    affine, group 32; norms and 1-D tensors stay float). ``progress(message, fraction done)`` ~50 times. Returns
    the weights, the ``rope_freqs`` values and the re-quantized modules."""
    from mlxstudio.core.models.gguf.dequant import REQUANT_GROUP_SIZE, iter_dequantized
    from mlxstudio.core.runtime.mlxrt import mx

    spec = ARCHITECTURES[info.architecture]
    heads = int(info.arch_value("attention.head_count"))
    kv_heads = int(info.arch_value("attention.head_count_kv", heads) or heads)
    float_dtype = (mx.float32 if fmt == "float32" else
                   mx.bfloat16 if fmt == "bfloat16" or (fmt != "float16" and spec.norm_shift) else mx.float16)
    bits = {"q8": 8, "q4": 4}.get(fmt)
    shapes = {t.name: t.shape for t in info.tensors}
    out: dict[str, Any] = {}
    quantized: dict[str, tuple[int, int]] = {}
    rope_freqs: list[float] | None = None
    total = len(info.tensors)
    for i, (key, type_name, array) in enumerate(iter_dequantized(info.path, shapes, check_cancel)):
        if i % max(1, total // 50) == 0:
            progress(_("dequantizing tensor {i} of {n} ({type})").format(i=i + 1, n=total, type=type_name),
                     i / total)
        if key == "rope_freqs.weight":
            rope_freqs = [float(x) for x in array.tolist()]
            continue
        name = mlx_tensor_name(key, spec)
        if name is None:
            raise ModelError(_("{name}: unexpected tensor {key!r}; this file cannot be imported.").format(
                name=info.path.name, key=key))
        value = mx.array(array)
        if spec.permute_qk and key.endswith((".attn_q.weight", ".attn_k.weight", ".attn_q.bias", ".attn_k.bias")):
            n = heads if ".attn_q." in key else kv_heads
            value = mx.take(value, mx.array(unpermute_rows_index(int(value.shape[0]), n), dtype=mx.int32), axis=0)
        if spec.norm_shift and key.endswith("norm.weight"):
            value = value - spec.norm_shift
        module = name.rpartition(".")[0]
        if bits and value.ndim == 2 and name.endswith(".weight") and value.shape[-1] % REQUANT_GROUP_SIZE == 0:
            w, scales, biases = mx.quantize(value.astype(float_dtype), group_size=REQUANT_GROUP_SIZE, bits=bits)
            out.update({name: w, f"{module}.scales": scales, f"{module}.biases": biases})
            quantized[module] = (REQUANT_GROUP_SIZE, bits)
            mx.eval(w, scales, biases)
        else:
            out[name] = value.astype(float_dtype)
            mx.eval(out[name])
        del array, value
    return out, rope_freqs, quantized


def _write_weights(weights: dict[str, Any], out: Path, progress: Callable[[str], None],
                   check_cancel: Callable[[], None]) -> None:
    from mlx_lm.utils import make_shards

    from mlxstudio.core.runtime.mlxrt import mx

    shards = make_shards(weights)
    total_size = sum(v.nbytes for v in weights.values())
    fmt = "model-{:05d}-of-{:05d}.safetensors" if len(shards) > 1 else "model.safetensors"
    weight_map: dict[str, str] = {}
    for i, shard in enumerate(shards):
        check_cancel()
        name = fmt.format(i + 1, len(shards))
        progress(_("writing {name}").format(name=name))
        mx.save_safetensors(str(out / name), shard, metadata={"format": "mlx"})
        weight_map.update({k: name for k in shard})
    atomic_write_json(out / "model.safetensors.index.json",
                      {"metadata": {"total_size": total_size}, "weight_map": dict(sorted(weight_map.items()))})


# ---------------------------------------------------------------------------------------------------------------
# import


def _check_shapes(folder: Path, info: GGUFInfo) -> None:
    """Build the mlx-lm model from the written folder (lazily: nothing is computed) with strict weight loading, so a
    tensor whose shape does not fit the metadata is an error here, not when the model is first used."""
    from mlx_lm.utils import load_model

    try:
        load_model(folder, lazy=True, strict=True)
    except ValueError as exc:
        raise ModelError(_("{name} ({arch}; tensor types {types}): the tensors do not fit the model its metadata "
                           "describes ({exc}). The file is damaged or a variant the import does not know; download "
                           "the MLX version of the model from a hub instead.").format(
                               name=info.path.name, arch=info.architecture, exc=exc,
                               types=", ".join(sorted(info.type_counts)))) from None


def _make_readable(folder: Path) -> None:
    """mkdtemp makes a private (0700) folder; give the model folder the usual permissions (umask applies)."""
    umask = os.umask(0)
    os.umask(umask)
    folder.chmod(0o777 & ~umask)


def safe_model_name(name: str) -> str:
    """A model name usable as a folder name; raises :class:`ModelError` for an empty or dot name."""
    cleaned = re.sub(r"[\\/:*?\"<>|\x00-\x1f]+", "-", name).strip().strip(".").strip()
    if not cleaned:
        raise ModelError(_("{name!r} is not a usable model name: pick a name with letters or digits.").format(
            name=name))
    return cleaned


def default_model_name(gguf_path: Path) -> str:
    """The library name for a GGUF file: its file name without ``.gguf``."""
    return safe_model_name(gguf_path.name[: -len(".gguf")] if gguf_path.name.lower().endswith(".gguf")
                           else gguf_path.stem)


def import_gguf(gguf_path: str | Path, name: str | None = None, dest_root: Path | None = None,
                sink: Sink = null_sink, cancel: Cancel = None, overwrite: bool = False,
                source: str | None = None, weight_format: str = "auto") -> Path:
    """Import the GGUF file ``gguf_path`` as an mlx-lm model folder ``dest_root/name`` and return its path.

    ``dest_root`` defaults to the library (:func:`paths.models_dir`), ``name`` to the file name without ``.gguf``.
    An existing folder of that name is an error unless ``overwrite``. ``source`` is recorded in ``mlxstudio.json``
    (default ``"gguf: <file name>"``). ``cancel`` (a callable or ``threading.Event``) is checked between steps;
    a cancelled or failed import leaves nothing behind. ``weight_format`` is one of
    :data:`~mlxstudio.core.models.gguf.dequant.WEIGHT_FORMATS` (see :func:`~.dequant.resolve_format`).
    Raises :class:`ModelError` with a clear message for files that cannot be imported,
    :class:`mlxstudio.core.errors.Cancelled` when cancelled.
    """
    from mlxstudio.core.models.library import validate_model_dir, write_source

    src = Path(gguf_path).expanduser()
    root = Path(dest_root).expanduser() if dest_root is not None else paths.models_dir()
    model_name = safe_model_name(name) if name else default_model_name(src)
    target = root / model_name
    if target.exists() and not overwrite:
        raise ModelError(_("a model named {model_name!r} already exists in {root}. Pick another name, or delete it "
                           "first (mlxstudio-cli models delete {model_name!r}).").format(
                               model_name=model_name, root=root))
    is_cancelled = _cancel_fn(cancel)
    steps = 6
    step = 0

    def progress(message: str) -> None:
        nonlocal step
        sink(Progress(job=JOB, done=step, total=steps, unit="step", message=message))
        step = min(step + 1, steps)

    def check_cancel() -> None:
        if is_cancelled():
            raise errors.Cancelled(_("import of {name} cancelled; nothing was added to the library").format(
                name=src.name))

    started = time.monotonic()
    progress(_("checking {name}").format(name=src.name))
    info = check_gguf(src)
    check_cancel()
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{model_name}.importing-", dir=root))
    try:
        _make_readable(staging)
        progress(_("reading tensors"))
        from mlxstudio.core.models.gguf.dequant import resolve_format
        from mlxstudio.core.runtime.mlxrt import mx

        fmt = resolve_format(weight_format, set(info.type_counts))
        if weight_format == "auto" and fmt == "float16" and ARCHITECTURES[info.architecture].norm_shift:
            fmt = "bfloat16"  # Gemma's activations overflow float16 (its reference dtype is bfloat16)
        if fmt == "keep":
            try:
                tensors = cast(dict[str, Any], mx.load(str(src)))  # a dict of arrays (no return_metadata)
            except (RuntimeError, ValueError) as exc:
                raise ModelError(_("{name} could not be read by MLX ({exc}). The file may be damaged: download it "
                                   "again, or download the MLX model from a hub.").format(name=src.name,
                                                                                         exc=exc)) from None
            check_cancel()
            progress(_("converting tensors"))
            weights, rope_freqs = convert_tensors(info, tensors)
            del tensors
            config = build_config(info, rope_freqs)
        else:
            progress(_("dequantizing tensors ({format})").format(format=fmt))
            weights, rope_freqs, requantized = convert_dequantized(
                info, fmt, check_cancel, lambda m, f: sink(Progress(job=JOB, done=step - 1 + f, total=steps,
                                                                    unit="step", message=m)))
            config = build_config(info, rope_freqs, requantized)
        check_cancel()
        progress(_("writing tokenizer"))
        from mlxstudio.core.models.gguf.tokenizer import write_tokenizer

        try:
            tok = write_tokenizer(info.metadata, staging, model_max_length=config.get("max_position_embeddings"))
        except ModelError as exc:  # its messages say "the GGUF file…": name which one
            raise ModelError(f"{src.name}: {exc}") from None
        for w in tok.warnings:
            sink(Log(message=f"{src.name}: {w}", level="warning"))
        if tok.bos_token_id is not None:
            config["bos_token_id"] = tok.bos_token_id
        if tok.eos_token_ids:
            config["eos_token_id"] = tok.eos_token_ids[0] if len(tok.eos_token_ids) == 1 else tok.eos_token_ids
        if tok.pad_token_id is not None:
            config["pad_token_id"] = tok.pad_token_id
        atomic_write_json(staging / "config.json", dict(sorted(config.items())))
        check_cancel()
        progress(_("writing weights"))
        _write_weights(weights, staging, lambda m: sink(Progress(job=JOB, done=step - 1, total=steps, unit="step",
                                                                 message=m)), check_cancel)
        del weights
        meta = info.metadata
        write_source(staging, source or f"gguf: {src.name}", gguf_file=str(src.resolve()),
                     gguf_types=info.type_counts,
                     **{k: meta[f"general.{k}"] for k in ("name", "license", "size_label", "organization")
                        if isinstance(meta.get(f"general.{k}"), str)})
        progress(_("checking the result"))
        validate_model_dir(staging)
        _check_shapes(staging, info)
        check_cancel()
        replace_dir(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    sink(Progress(job=JOB, done=steps, total=steps, unit="step", message=_("done")))
    sink(Log(message=_("imported {name} as {model_name!r} in {monotonic:.1f} s").format(
        name=src.name, model_name=model_name, monotonic=time.monotonic() - started)))
    return target


def import_job(params: dict[str, Any], sink: Sink, cancel: Callable[[], bool]) -> dict[str, Any]:
    """Worker job ``import``: params ``path`` (the .gguf), optional ``name``, ``dest_root``, ``overwrite``,
    ``weight_format``."""
    dest = params.get("dest_root")
    out = import_gguf(params["path"], name=params.get("name"), dest_root=Path(dest) if dest else None, sink=sink,
                      cancel=cancel, overwrite=bool(params.get("overwrite", False)),
                      weight_format=str(params.get("weight_format") or "auto"))
    return {"path": str(out), "name": out.name}
