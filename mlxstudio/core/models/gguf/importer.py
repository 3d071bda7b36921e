"""Import a ``.gguf`` model file (llama.cpp's format) into an mlx-lm model folder in the library.

What it does, in order (each step is a :class:`~mlxstudio.core.events.Progress` event with ``job="import"``):

1. Check the file (:func:`check_gguf`): a complete GGUF v2/v3, an architecture we can map (``llama`` and files
   that use its layout: SmolLM, TinyLlama, Llama 2/3, Mistral 7B…; ``qwen2``; ``qwen3``), tensor types ``mx.load``
   converts exactly (F32, F16, BF16, Q4_0, Q4_1, Q8_0). K-quants (Q4_K…), I-quants etc. are refused with a clear
   message.
2. Load the tensors with ``mx.load`` — Q4_0/Q4_1/Q8_0 arrive as MLX affine-quantized triples
   (``weight`` uint32, ``scales``, ``biases``; group size 32), so nothing is dequantized.
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
from mlxstudio.core.models.gguf.reader import GGUFInfo, TensorInfo, read_gguf

JOB = "import"
SUPPORTED_TYPES = ("F32", "F16", "BF16", "Q4_0", "Q4_1", "Q8_0")
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


ARCHITECTURES: dict[str, ArchSpec] = {
    "llama": ArchSpec("llama", "LlamaForCausalLM", True, _LLAMA_LAYER),
    "qwen2": ArchSpec("qwen2", "Qwen2ForCausalLM", False,
                      (*_LLAMA_LAYER, "attn_q.bias", "attn_k.bias", "attn_v.bias"), 1000000.0),
    "qwen3": ArchSpec("qwen3", "Qwen3ForCausalLM", False,
                      (*_LLAMA_LAYER, "attn_q_norm.weight", "attn_k_norm.weight"), 1000000.0),
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
        return f"model.layers.{m.group(1)}.{_LAYER_PARTS[part]}.{kind}"
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


def _unsupported_types_message(path: Path, bad: dict[str, int]) -> str:
    names = ", ".join(sorted(bad))
    kquant = any("_K" in n or n.startswith("IQ") for n in bad)
    what = "K-quant/I-quant" if kquant else "unsupported"
    return (f"{path.name} uses {what} tensor types ({names}) that MLX cannot load exactly. Use a Q4_0, Q4_1, Q8_0 "
            "or F16 GGUF of the model instead (e.g. the file ending in .Q8_0.gguf), or download the MLX model from "
            "a hub (Model page → Download).")


def check_gguf(gguf_path: str | Path) -> GGUFInfo:
    """Read and check a GGUF file without loading it; return its header. Fast (reads only the header).

    Raises :class:`ModelError` naming the problem: not a GGUF / incomplete file, unknown architecture, unsupported
    tensor types (K-quants…), unexpected or missing tensors, missing metadata.
    """
    info = read_gguf(gguf_path)
    p = info.path
    arch = info.architecture
    if not arch:
        raise ModelError(f"{p.name} does not say which architecture it is (no general.architecture); "
                         "it cannot be imported.")
    if arch not in ARCHITECTURES:
        raise ModelError(f"{p.name} is a {arch!r} model; GGUF import supports {', '.join(sorted(ARCHITECTURES))} "
                         f"architectures only. Download the MLX version of this model from a hub instead.")
    bad = {t: n for t, n in info.type_counts.items() if t not in SUPPORTED_TYPES}
    if bad:
        raise ModelError(_unsupported_types_message(p, bad))
    for key in ("embedding_length", "block_count", "feed_forward_length", "attention.head_count"):
        if info.arch_value(key) is None:
            raise ModelError(f"{p.name} lacks the metadata {arch}.{key}; the file is incomplete or not a language "
                             "model. Download it again or use another file.")
    spec = ARCHITECTURES[arch]
    n_layers = int(info.arch_value("block_count"))
    names = {t.name for t in info.tensors}
    for t in info.tensors:
        if t.name == "rope_freqs.weight" and spec.permute_qk:
            continue
        if mlx_tensor_name(t.name, spec) is None:
            raise ModelError(f"{p.name} has a tensor {t.name!r} that the {arch} layout does not have; this variant "
                             "cannot be imported. Download the MLX version of the model from a hub instead.")
    required = ["token_embd.weight", "output_norm.weight"] + [
        f"blk.{i}.{part}" for i in range(n_layers) for part in spec.layer_tensors]
    missing = [n for n in required if n not in names]
    if missing:
        more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
        raise ModelError(f"{p.name} is missing the tensor {missing[0]!r}{more}; the file is damaged or incomplete.")
    tokens = info.metadata.get("tokenizer.ggml.tokens")
    embed = info.tensor("token_embd.weight")
    if isinstance(tokens, list) and embed is not None and len(tokens) > int(embed.shape[0]):
        raise ModelError(f"{p.name} is damaged: its tokenizer has {len(tokens)} tokens but the model has only "
                         f"{int(embed.shape[0])} token embeddings. Download the file again or use another one.")
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
    raise ModelError(f"{info.path.name} uses a RoPE frequency table (rope_freqs) that does not match Llama 3 "
                     "scaling; it cannot be imported. Download the MLX version of the model from a hub instead.")


def _quant_of(t: TensorInfo) -> tuple[int, int] | None:
    bits = QUANT_BITS.get(t.type_name)
    return (GGUF_GROUP_SIZE, bits) if bits else None


def build_config(info: GGUFInfo, rope_freqs: list[float] | None = None) -> dict[str, Any]:
    """The mlx-lm ``config.json`` for a checked GGUF (see :func:`check_gguf`)."""
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
    if context:
        config["max_position_embeddings"] = int(context)
    if head_dim != hidden // heads or spec.model_type == "qwen3":  # qwen3's ModelArgs requires it
        config["head_dim"] = head_dim
    scaling = info.arch_value("rope.scaling.type")
    if rope_freqs is not None:
        config["rope_scaling"] = _llama3_rope_scaling(rope_freqs, head_dim, theta, info)
    elif scaling in ("linear",):
        config["rope_scaling"] = {"type": "linear", "factor": float(info.arch_value("rope.scaling.factor", 1.0))}
    elif scaling not in (None, "none"):
        raise ModelError(f"{info.path.name} uses RoPE scaling {scaling!r}, which the import does not support. "
                         "Download the MLX version of the model from a hub instead.")

    # Quantization: the most common (group size, bits) is the default; other quantized layers get their own entry
    # (e.g. SmolLM2's Q4_1 file keeps the embedding in Q8_0). Unquantized layers need no entry: mlx-lm only
    # quantizes a layer that has ``scales`` in the weights.
    quantized: dict[str, tuple[int, int]] = {}
    for t in info.tensors:
        module = mlx_module_name(t.name, spec)
        q = _quant_of(t)
        if module and q:
            quantized[module] = q
    if quantized:
        (group, bits), _ = Counter(quantized.values()).most_common(1)[0]
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
        raise ModelError(f"cannot un-permute {rows} rows over {n_head} heads: the head counts in the file do not "
                         "match its tensors.")
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
        base, _, suffix = key.rpartition(".")  # "blk.0.attn_q" + "weight" | "scales" | "biases" | "bias"
        module = mlx_module_name(base + ".weight", spec)
        if suffix == "bias":
            module = (mlx_tensor_name(key, spec) or "").rpartition(".")[0] or None
        if module is None or suffix not in ("weight", "scales", "biases", "bias"):
            raise ModelError(f"{info.path.name}: unexpected tensor {key!r}; this file cannot be imported.")
        if spec.permute_qk and base.endswith((".attn_q", ".attn_k")):
            n = heads if base.endswith(".attn_q") else kv_heads
            rows = int(value.shape[0])
            idx = index_cache.get((rows, n))
            if idx is None:
                idx = index_cache[(rows, n)] = mx.array(unpermute_rows_index(rows, n), dtype=mx.int32)
            value = mx.take(value, idx, axis=0)
        if value.dtype in (mx.float32, mx.bfloat16) and not all_float32:
            value = value.astype(mx.float16)  # keep one float dtype: the model's (mlx-lm converts the same way)
        out[f"{module}.{suffix}"] = value
    return out, rope_freqs


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
        progress(f"writing {name}")
        mx.save_safetensors(str(out / name), shard, metadata={"format": "mlx"})
        weight_map.update({k: name for k in shard})
    atomic_write_json(out / "model.safetensors.index.json",
                      {"metadata": {"total_size": total_size}, "weight_map": dict(sorted(weight_map.items()))})


# ---------------------------------------------------------------------------------------------------------------
# import


def _make_readable(folder: Path) -> None:
    """mkdtemp makes a private (0700) folder; give the model folder the usual permissions (umask applies)."""
    umask = os.umask(0)
    os.umask(umask)
    folder.chmod(0o777 & ~umask)


def safe_model_name(name: str) -> str:
    """A model name usable as a folder name; raises :class:`ModelError` for an empty or dot name."""
    cleaned = re.sub(r"[\\/:*?\"<>|\x00-\x1f]+", "-", name).strip().strip(".").strip()
    if not cleaned:
        raise ModelError(f"{name!r} is not a usable model name: pick a name with letters or digits.")
    return cleaned


def default_model_name(gguf_path: Path) -> str:
    """The library name for a GGUF file: its file name without ``.gguf``."""
    return safe_model_name(gguf_path.name[: -len(".gguf")] if gguf_path.name.lower().endswith(".gguf")
                           else gguf_path.stem)


def import_gguf(gguf_path: str | Path, name: str | None = None, dest_root: Path | None = None,
                sink: Sink = null_sink, cancel: Cancel = None, overwrite: bool = False,
                source: str | None = None) -> Path:
    """Import the GGUF file ``gguf_path`` as an mlx-lm model folder ``dest_root/name`` and return its path.

    ``dest_root`` defaults to the library (:func:`paths.models_dir`), ``name`` to the file name without ``.gguf``.
    An existing folder of that name is an error unless ``overwrite``. ``source`` is recorded in ``mlxstudio.json``
    (default ``"gguf: <file name>"``). ``cancel`` (a callable or ``threading.Event``) is checked between steps;
    a cancelled or failed import leaves nothing behind. Raises :class:`ModelError` with a clear message for files
    that cannot be imported, :class:`mlxstudio.core.errors.Cancelled` when cancelled.
    """
    from mlxstudio.core.models.library import validate_model_dir, write_source

    src = Path(gguf_path).expanduser()
    root = Path(dest_root).expanduser() if dest_root is not None else paths.models_dir()
    model_name = safe_model_name(name) if name else default_model_name(src)
    target = root / model_name
    if target.exists() and not overwrite:
        raise ModelError(f"a model named {model_name!r} already exists in {root}. Pick another name, or delete it "
                         f"first (mlxstudio-cli models delete {model_name!r}).")
    is_cancelled = _cancel_fn(cancel)
    steps = 6
    step = 0

    def progress(message: str) -> None:
        nonlocal step
        sink(Progress(job=JOB, done=step, total=steps, unit="step", message=message))
        step = min(step + 1, steps)

    def check_cancel() -> None:
        if is_cancelled():
            raise errors.Cancelled(f"import of {src.name} cancelled; nothing was added to the library")

    started = time.monotonic()
    progress(f"checking {src.name}")
    info = check_gguf(src)
    check_cancel()
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{model_name}.importing-", dir=root))
    try:
        _make_readable(staging)
        progress("reading tensors")
        from mlxstudio.core.runtime.mlxrt import mx

        try:
            tensors = cast(dict[str, Any], mx.load(str(src)))  # a dict of arrays (no return_metadata)
        except (RuntimeError, ValueError) as exc:
            raise ModelError(f"{src.name} could not be read by MLX ({exc}). The file may be damaged: download it "
                             "again, or download the MLX model from a hub.") from None
        check_cancel()
        progress("converting tensors")
        weights, rope_freqs = convert_tensors(info, tensors)
        del tensors
        config = build_config(info, rope_freqs)
        check_cancel()
        progress("writing tokenizer")
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
        progress("writing weights")
        _write_weights(weights, staging, lambda m: sink(Progress(job=JOB, done=step - 1, total=steps, unit="step",
                                                                 message=m)), check_cancel)
        del weights
        meta = info.metadata
        write_source(staging, source or f"gguf: {src.name}", gguf_file=str(src.resolve()),
                     gguf_types=info.type_counts,
                     **{k: meta[f"general.{k}"] for k in ("name", "license", "size_label", "organization")
                        if isinstance(meta.get(f"general.{k}"), str)})
        progress("checking the result")
        validate_model_dir(staging)
        check_cancel()
        replace_dir(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    sink(Progress(job=JOB, done=steps, total=steps, unit="step", message="done"))
    sink(Log(message=f"imported {src.name} as {model_name!r} in {time.monotonic() - started:.1f} s"))
    return target


def import_job(params: dict[str, Any], sink: Sink, cancel: Callable[[], bool]) -> dict[str, Any]:
    """Worker job ``import``: params ``path`` (the .gguf), optional ``name``, ``dest_root``, ``overwrite``."""
    dest = params.get("dest_root")
    out = import_gguf(params["path"], name=params.get("name"), dest_root=Path(dest) if dest else None, sink=sink,
                      cancel=cancel, overwrite=bool(params.get("overwrite", False)))
    return {"path": str(out), "name": out.name}
