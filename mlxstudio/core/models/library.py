"""The model library: one mlx-lm model folder per model under :func:`mlxstudio.core.paths.models_dir`.

List, inspect (architecture, parameter count, quantization, size on disk, source, chat template), validate with clear
errors, resolve a name or a folder, delete, and estimate how much memory LoRA training will need.

Everything here reads only small files (``config.json``, tokenizer configs, the JSON headers of the
``*.safetensors`` files), never the weights, and imports neither MLX nor mlx-lm: listing a library is instant.
"""

from __future__ import annotations

import ast
import contextlib
import importlib.util
import json
import os
import shutil
import struct
import time
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from mlxstudio.core import paths
from mlxstudio.core.errors import ModelError
from mlxstudio.core.fsutil import atomic_write_json
from mlxstudio.core.i18n import _

SOURCE_FILE = "mlxstudio.json"
TOKENIZER_FILES = ("tokenizer.json", "tokenizer.model", "tiktoken.model", "vocab.json")
_DTYPE_NAMES = {"F16": "float16", "BF16": "bfloat16", "F32": "float32", "F64": "float64"}
_DTYPE_BYTES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "U32": 4, "I16": 2, "U16": 2,
                "I8": 1, "U8": 1, "BOOL": 1, "F8_E4M3": 1, "F8_E5M2": 1}


@dataclass(frozen=True)
class ModelInfo:
    """What the library knows about one model folder.

    ``quantization`` is e.g. "4-bit g32", "8-bit g64", "float16", "float32" ("mixed" is appended when some layers
    use other settings); ``bits`` is the quantized bit width, None for float models. ``parameters`` counts the
    weights as the unquantized model has them (packed 4-bit words are unpacked in the count). ``problem`` is None for
    a usable folder, else the reason it cannot be used (the other fields are then best effort).
    """

    name: str
    path: Path
    architecture: str
    parameters: int
    quantization: str
    bits: int | None
    size_bytes: int
    source: str
    has_chat_template: bool
    config: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    problem: str | None = None
    group_size: int | None = None
    dtype: str = ""

    @property
    def num_layers(self) -> int:
        """Number of transformer blocks (0 when the config does not say)."""
        cfg = self.config.get("text_config", self.config)
        return int(cfg.get("num_hidden_layers") or cfg.get("n_layer") or cfg.get("num_layers") or 0)

    @property
    def hidden_size(self) -> int:
        """Width of the model's hidden state (0 when the config does not say)."""
        cfg = self.config.get("text_config", self.config)
        return int(cfg.get("hidden_size") or cfg.get("n_embd") or cfg.get("d_model") or 0)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able summary (for ``models list --json`` and the worker)."""
        return {"name": self.name, "path": str(self.path), "architecture": self.architecture,
                "parameters": self.parameters, "quantization": self.quantization, "bits": self.bits,
                "group_size": self.group_size, "dtype": self.dtype, "size_bytes": self.size_bytes,
                "source": self.source, "has_chat_template": self.has_chat_template, "num_layers": self.num_layers,
                "hidden_size": self.hidden_size, "problem": self.problem}


# ---------------------------------------------------------------------------------------------------------------
# small readers


def _read_json(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ModelError(_("{path}: cannot be read ({strerror}).").format(
            path=path, strerror=exc.strerror or exc)) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ModelError(_("{path}:{lineno}: not valid JSON ({msg}). Fix the file or download the model "
                           "again.").format(path=path, lineno=exc.lineno, msg=exc.msg)) from None
    if not isinstance(data, dict):
        raise ModelError(_("{path}: expected a JSON object. Download the model again.").format(path=path))
    return data


def read_safetensors_header(path: Path) -> dict[str, Any]:
    """The JSON header of a ``.safetensors`` file (tensor name → dtype/shape/data_offsets), checked against the
    file size. Raises :class:`ModelError` for a truncated or damaged file."""
    size = path.stat().st_size
    damaged = f"{path} is damaged or incomplete ({size:,} bytes): download or import the model again."
    with open(path, "rb") as fh:
        raw = fh.read(8)
        if len(raw) < 8:
            raise ModelError(damaged)
        (n,) = struct.unpack("<Q", raw)
        if n > size - 8 or n > 100 << 20:
            raise ModelError(damaged)
        blob = fh.read(n)
    try:
        header = json.loads(blob)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ModelError(damaged) from None
    if not isinstance(header, dict):
        raise ModelError(damaged)
    end = 0
    for key, value in header.items():
        if key == "__metadata__":
            continue
        try:
            end = max(end, int(value["data_offsets"][1]))
        except (KeyError, TypeError, IndexError, ValueError):
            raise ModelError(damaged) from None
    if 8 + n + end > size:
        raise ModelError(_("{path} is incomplete: it needs {value:,} bytes but has {size:,} (an interrupted "
                           "download or copy?). Download or import the model again.").format(
                               path=path, value=8 + n + end, size=size))
    return header


def weight_files(model_dir: Path) -> list[Path]:
    """The weight files mlx-lm loads (``model*.safetensors``), sorted."""
    return sorted(model_dir.glob("model*.safetensors"))


@cache
def _mlx_lm_models() -> tuple[Path | None, dict[str, str]]:
    """mlx-lm's models folder and its MODEL_REMAPPING, found without importing mlx-lm (which takes ~0.6 s)."""
    spec = importlib.util.find_spec("mlx_lm")
    if spec is None or not spec.submodule_search_locations:
        return None, {}
    root = Path(next(iter(spec.submodule_search_locations)))
    remap: dict[str, str] = {}
    with contextlib.suppress(OSError, SyntaxError, ValueError):
        tree = ast.parse((root / "utils.py").read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "MODEL_REMAPPING" for t in node.targets):
                remap = ast.literal_eval(node.value)
    return root / "models", remap


def mlx_lm_supports(model_type: str) -> bool:
    """True when mlx-lm has a model module for ``model_type`` (after its own renames, e.g. mistral → llama)."""
    folder, remap = _mlx_lm_models()
    if folder is None:
        return False
    name = remap.get(model_type, model_type)
    return (folder / f"{name}.py").is_file() or (folder / name / "__init__.py").is_file()


def _has_tokenizer(model_dir: Path) -> bool:
    return any((model_dir / f).is_file() for f in TOKENIZER_FILES) or any(model_dir.glob("*.tiktoken"))


def _has_chat_template(model_dir: Path) -> bool:
    if (model_dir / "chat_template.jinja").is_file() or (model_dir / "chat_template.json").is_file():
        return True
    cfg = model_dir / "tokenizer_config.json"
    if cfg.is_file():
        with contextlib.suppress(ModelError):
            return bool(_read_json(cfg).get("chat_template"))
    return False


def read_source(model_dir: Path) -> dict[str, Any]:
    """The contents of ``mlxstudio.json`` (where the model came from), or {} when absent or unreadable."""
    f = Path(model_dir) / SOURCE_FILE
    if f.is_file():
        with contextlib.suppress(ModelError):
            return _read_json(f)
    return {}


def write_source(model_dir: Path, source: str, **extra: Any) -> None:
    """Record where a model came from in ``<model_dir>/mlxstudio.json`` (atomic; other keys already there stay).

    ``source`` is e.g. "demo", "gguf: <file>", "modelscope: <id>", "huggingface: <id>", "fused: <base> + <adapter>".
    """
    model_dir = Path(model_dir)
    data = read_source(model_dir)
    data.update(extra)
    data["source"] = source
    data.setdefault("created", time.strftime("%Y-%m-%dT%H:%M:%S%z"))
    atomic_write_json(model_dir / SOURCE_FILE, data)


def _dir_size(model_dir: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(model_dir):
        for f in files:
            with contextlib.suppress(OSError):
                total += os.stat(os.path.join(root, f)).st_size  # follows links (HF cache, linked models)
    return total


# ---------------------------------------------------------------------------------------------------------------
# validation


def validate_model_dir(path: str | Path) -> None:
    """Check that ``path`` is a model folder mlx-lm can load; raise :class:`ModelError` saying what is missing/bad.

    Checks: the folder exists; ``config.json`` exists, is valid JSON and names a ``model_type`` mlx-lm has a module
    for; there are ``model*.safetensors`` weights (complete: header and data fit in the file) and every shard the
    index names exists; there is a tokenizer (``tokenizer.json``, ``tokenizer.model``, ``vocab.json`` or tiktoken).
    """
    d = Path(path).expanduser()
    if not d.is_dir():
        raise ModelError(_("{d}: no such model folder.").format(d=d))
    cfg_path = d / "config.json"
    if not cfg_path.is_file():
        raise ModelError(_("{d} has no config.json, so it is not an MLX model folder. Import a .gguf file or download "
                           "the model from a hub (Model page).").format(d=d))
    config = _read_json(cfg_path)
    model_type = config.get("model_type")
    if not model_type:
        raise ModelError(_("{cfg_path}: no \"model_type\" — the file is not a model configuration.").format(
            cfg_path=cfg_path))
    if not mlx_lm_supports(str(model_type)):
        raise ModelError(_("{cfg_path}: model type {model_type!r} is not supported by the installed mlx-lm. Choose "
                           "another model, or update mlx-lm (pip install -U mlx-lm).").format(
                               cfg_path=cfg_path, model_type=model_type))
    files = weight_files(d)
    if not files:
        others = [p.name for p in d.iterdir() if p.suffix in (".safetensors", ".bin", ".pt", ".pth", ".gguf")]
        hint = ""
        if any(n.endswith((".bin", ".pt", ".pth")) for n in others):
            hint = _(" It has PyTorch weights: download it through the app, which converts them to MLX.")
        elif any(n.endswith(".gguf") for n in others):
            hint = _(" It has a .gguf file: import that file instead (Model page → Import GGUF).")
        elif others:
            hint = _(" (found {files}: mlx-lm only loads files named model*.safetensors)").format(
                files=", ".join(others[:3]))
        raise ModelError(_("{d} has no weights (model*.safetensors).{hint}").format(d=d, hint=hint))
    for f in files:
        read_safetensors_header(f)
    index = d / "model.safetensors.index.json"
    if index.is_file():
        weight_map = _read_json(index).get("weight_map") or {}
        for shard in sorted(set(weight_map.values())):
            if not (d / shard).is_file():
                raise ModelError(_("{d} is incomplete: the weight file {shard} listed in {name} is missing. "
                                   "Download the model again.").format(d=d, shard=shard, name=index.name))
    if not _has_tokenizer(d):
        raise ModelError(_("{d} has no tokenizer (tokenizer.json or tokenizer.model). Download the model again, or "
                           "copy the tokenizer files of the original model into the folder.").format(d=d))


# ---------------------------------------------------------------------------------------------------------------
# inspection


def _count_parameters(headers: list[dict[str, Any]], quant: dict[str, Any] | None) -> tuple[int, str]:
    """Parameters (packed quantized weights unpacked) and the dominant float dtype of the weights."""
    entries: dict[str, dict[str, Any]] = {}
    for h in headers:
        entries.update({k: v for k, v in h.items() if k != "__metadata__"})
    params = 0
    dtypes: Counter[str] = Counter()
    for name, meta in entries.items():
        shape = [int(x) for x in meta.get("shape", [])]
        count = 1
        for s in shape:
            count *= s
        base, _, suffix = name.rpartition(".")
        if suffix in ("scales", "biases") and f"{base}.weight" in entries and f"{base}.scales" in entries:
            continue  # quantization bookkeeping, not parameters
        if suffix == "weight" and f"{base}.scales" in entries and shape:
            bits = None
            if quant:
                layer = quant.get(base)
                bits = (layer or {}).get("bits") if isinstance(layer, dict) else None
                bits = bits or quant.get("bits")
            if not bits:
                # infer from the scales: in_features = scales_cols * group_size
                scales = entries[f"{base}.scales"].get("shape", [1])
                group = int((quant or {}).get("group_size") or 64)
                bits = max(1, round(shape[-1] * 32 / max(1, int(scales[-1]) * group)))
            packed_per_word = 32 / int(bits)
            count = int(count * packed_per_word)
        else:
            dtypes[str(meta.get("dtype", ""))] += count
        params += count
    dominant = dtypes.most_common(1)[0][0] if dtypes else ""
    return params, _DTYPE_NAMES.get(dominant, dominant.lower())


def _quantization_label(quant: dict[str, Any] | None, dtype: str) -> tuple[str, int | None, int | None]:
    if not quant:
        return dtype or "unknown", None, None
    bits = quant.get("bits")
    group = quant.get("group_size")
    mode = quant.get("mode", "affine")
    label = f"{bits}-bit g{group}" if mode in ("affine", None) else f"{mode} {bits}-bit g{group}"
    if any(isinstance(v, dict) for v in quant.values()):
        label += " mixed"
    return label, int(bits) if bits else None, int(group) if group else None


def inspect_model(path: str | Path) -> ModelInfo:
    """Describe the model folder ``path``. A broken folder gives a ModelInfo whose ``problem`` says what is wrong.

    Raises :class:`ModelError` only when ``path`` is not a folder at all.
    """
    d = Path(path).expanduser()
    if not d.is_dir():
        raise ModelError(_("{d}: no such model folder.").format(d=d))
    problem: str | None = None
    try:
        validate_model_dir(d)
    except ModelError as exc:
        problem = str(exc)
    config: dict[str, Any] = {}
    with contextlib.suppress(ModelError):
        if (d / "config.json").is_file():
            config = _read_json(d / "config.json")
    quant = config.get("quantization") or None
    headers: list[dict[str, Any]] = []
    for f in weight_files(d):
        with contextlib.suppress(ModelError, OSError):
            headers.append(read_safetensors_header(f))
    params, dtype = _count_parameters(headers, quant if isinstance(quant, dict) else None)
    label, bits, group = _quantization_label(quant if isinstance(quant, dict) else None, dtype)
    source = read_source(d).get("source") or "local"
    return ModelInfo(name=d.name, path=d, architecture=str(config.get("model_type") or "unknown"),
                     parameters=params, quantization=label, bits=bits, size_bytes=_dir_size(d), source=str(source),
                     has_chat_template=_has_chat_template(d), config=config, problem=problem, group_size=group,
                     dtype=dtype)


def list_models(root: Path | None = None) -> list[ModelInfo]:
    """Every model folder in the library (or ``root``), sorted by name; broken ones carry a ``problem``.

    Hidden folders (staging areas of imports/downloads in progress) are skipped.
    """
    lib = Path(root) if root is not None else paths.models_dir()
    if not lib.is_dir():
        return []
    infos = []
    for child in lib.iterdir():
        if child.name.startswith(".") or not child.is_dir():
            continue
        with contextlib.suppress(ModelError, OSError):
            infos.append(inspect_model(child))
    return sorted(infos, key=lambda i: i.name.lower())


def resolve_model(name_or_path: str | Path) -> Path:
    """The folder of a model given as a library name or a folder path.

    A value that looks like a path (contains a separator, starts with ``.`` or ``~``) is used as a folder; otherwise
    the library is searched first, then the current directory. Raises :class:`ModelError` listing the library's
    models when nothing matches.
    """
    text = str(name_or_path).strip()
    if not text:
        raise ModelError(_("no model given: pass a library model name or a model folder."))
    as_path = Path(text).expanduser()
    lib = paths.models_dir()
    looks_like_path = isinstance(name_or_path, Path) or os.sep in text or "/" in text or text.startswith((".", "~"))
    if not looks_like_path and (lib / text).is_dir():
        return lib / text
    if as_path.is_dir():
        return Path(os.path.abspath(as_path))  # not resolve(): a linked library model stays in the library
    names = [p.name for p in sorted(lib.iterdir()) if p.is_dir() and not p.name.startswith(".")]
    known = f"Models in the library: {', '.join(names)}." if names else (
        "The library is empty: install the demo model with `mlxstudio-cli demo-model`, import a .gguf file or "
        "download a model.")
    raise ModelError(_("no model {text!r}: it is neither a model in the library ({lib}) nor a folder. {known}").format(
        text=text, lib=lib, known=known))


def delete_model(name_or_path: str | Path) -> None:
    """Delete a model of the library (by name or by its folder). Folders outside the library are refused."""
    target = resolve_model(name_or_path)
    lib = paths.models_dir().resolve()
    if target.parent.resolve() != lib:
        raise ModelError(_("{target} is not in the model library ({lib}); only library models are deleted here. "
                           "Delete that folder yourself if you no longer need it.").format(target=target, lib=lib))
    trash = lib / f".{target.name}.deleting"
    if trash.exists():
        shutil.rmtree(trash, ignore_errors=True)
    os.replace(target, trash)  # one rename: the model disappears from the library at once
    if trash.is_symlink():  # a linked model: remove the link, never the folder it points to
        trash.unlink()
    else:
        shutil.rmtree(trash, ignore_errors=True)


# ---------------------------------------------------------------------------------------------------------------
# memory estimate


def block_dims(config: dict[str, Any]) -> tuple[int, int, int, int, int]:
    """A transformer block's sizes from ``config.json`` (or its ``text_config``): hidden size, attention heads,
    key/value heads, head dimension, feed-forward size — what the memory estimates count with."""
    cfg = config.get("text_config", config)
    h = int(cfg.get("hidden_size") or 0)
    heads = int(cfg.get("num_attention_heads") or 1)
    kv = int(cfg.get("num_key_value_heads") or heads)
    head_dim = int(cfg.get("head_dim") or (h // heads if heads else 0))
    ffn = int(cfg.get("intermediate_size") or 4 * h)
    return h, heads, kv, head_dim, ffn


def _lora_parameters(config: dict[str, Any], num_layers: int, rank: int) -> int:
    h, heads, kv, head_dim, ffn = block_dims(config)
    q, k = heads * head_dim, kv * head_dim
    # every linear layer of a block: q, k, v, o, gate, up, down — (in + out) * rank each
    per_layer = (h + q) + (h + k) + (h + k) + (q + h) + 2 * (h + ffn) + (ffn + h)
    return per_layer * rank * num_layers


ACTIVATION_FLOATS = (8, 5)
"""Values kept per token per adapted block for the backward pass: ``8 x hidden + 5 x ffn`` (norms, q/k/v/o, the
attention output; gate, up, their product and activation) — fitted to the peaks measured below."""
HEAD_COPIES = 4.5
"""``[trained positions, vocab]`` float32 arrays alive at once in the loss's forward and backward (logits, softmax,
their gradients): the measured peak rose by 4.5 x vocab x 4 bytes per trained position (plain text vs prompt/answer
rows of the same length)."""
LOAD_FACTOR = 1.37
"""Peak while a quantized model is loaded and dequantized, relative to its float32 weights (measured)."""
PREFIX_CACHE_BUDGET = 768 * 2**20
"""The engine's cap on the frozen lower layers' cached outputs (``training.engine.PREFIX_CACHE_BUDGET``)."""


def estimate_training_memory(info: ModelInfo, batch_size: int, max_seq_length: int, num_layers: int, rank: int,
                             dequantize: bool | None = None, dataset_tokens: int = 0,
                             trained_tokens: int | None = None, grad_checkpoint: bool = False) -> int:
    """Peak memory (bytes) of LoRA training of ``info`` with MLX Studio's engine, on the high side.

    ``max_seq_length`` is the width of the longest batch (the engine pads a batch to its longest row, so pass the
    dataset's longest row when known); ``dataset_tokens`` (all training rows' tokens, 0 = unknown) sizes the cache of
    the frozen lower layers; ``trained_tokens``: loss positions in a batch (None = all of them, as with plain text;
    prompt masking trains fewer — ``batch_size`` gives the least a batch can need). The formula, with
    ``T = batch_size x max_seq_length`` tokens, ``n`` adapted blocks and ``b`` = 4 bytes per value in float32 (2 in
    float16/bfloat16):

    - **weights**: float32 (4 bytes/parameter) when the model trains in float32 — ``dequantize``: the CPU backend
      dequantizes quantized models and widens bfloat16/float16 ones to float32 (``training.loading``), so a bf16
      checkpoint needs twice its size on disk there; ``dequantize=None`` asks :mod:`~mlxstudio.core.runtime.backend`
      (no MLX import); a float32 checkpoint always counts 4 bytes — otherwise the weights' size on disk (QLoRA on
      Metal/CUDA keeps them 4-bit packed, bfloat16 stays 2 bytes);
    - **LoRA state**: rank x (in + out) parameters for each of the 7 linear layers of each adapted block, 16 bytes
      each (float32 weight, gradient, two Adam moments);
    - **activations**: ``T x n x (8 hidden + 5 ffn) x b`` plus the attention probabilities
      ``(n + 2) x batch x heads x max_seq_length² x b`` (one per block is kept, ~2 more while one is differentiated);
      with gradient checkpointing each block keeps only its input (``T x n x hidden x b``) and one block at a time
      is recomputed with everything;
    - **the head**: the engine projects only the trained positions onto the vocabulary:
      ``trained_tokens x vocab x 4 bytes x 4.5`` (logits, softmax and their gradients);
    - **frozen-layer cache**: ``dataset_tokens x hidden x 4`` bytes up to 768 MB when fewer blocks are adapted than
      the model has (the engine computes the lower blocks once per row when training several epochs);
    - and at least the loading peak (1.37 x the float32 weights while a quantized model is dequantized; a widened
      bf16 model's peak is its float32 weights). The one-batch
      full-loss check before training (``T x vocab x 4 x 2.2`` bytes above the weights) stays below the step's head.

    Measured peaks (``mx.get_peak_memory()`` of fresh processes running the engine: CPU backend, float32, rank 8 on
    16 of 30 blocks unless said; prompt/answer rows half prompt) vs this estimate, every position assumed trained —
    SmolLM2-135M: seed pairs at batch 4 (80 tokens) 0.87 vs 1.11 GB; 1 x 128: 0.74 vs 0.78; 4 x 128: 1.11 vs 1.46;
    4 x 256: 1.84 vs 2.44; 4 x 512: 3.52 vs 4.66 (plain text 4.42; full loss without the shortcuts 4.38; rank 64
    3.68 vs 4.81; 30 blocks 5.38 vs 6.62; gradient checkpointing 1.60 vs 2.66); 8 x 512: 6.44 vs 8.76; 2 x 1024:
    4.19 vs 5.34; 1 x 2048 plain text: 6.30 vs 6.70. Tiny test model (hidden 64, 2 blocks, attention-bound): plain
    text 4 x 512 0.095 vs 0.098, 8 x 1024 0.64 vs 0.66. So 1.05-1.36x (1.7x with gradient checkpointing on masked
    prompts: the head's share is smaller than assumed); with ``trained_tokens=batch_size`` it stayed below every
    measured peak (0.53-0.95x: the least a run can need). The process adds 0.1-0.15 GB (Python, libraries) to MLX's
    peak. Stock mlx-lm, which projects every position, peaked at 4.35 GB for 4 x 512. Qwen3-0.6B (bf16 checkpoint,
    widened to float32 on the CPU), seed pairs at batch 4: 2.85 GB measured vs 2.99 GB (48-token rows, half trained);
    counted in bf16, as before, it said 1.69 GB.
    """
    cfg = info.config.get("text_config", info.config)
    hidden = info.hidden_size or int(cfg.get("hidden_size") or 0)
    ffn = int(cfg.get("intermediate_size") or 4 * hidden)
    layers_total = info.num_layers or num_layers
    adapted = max(0, min(num_layers if num_layers > 0 else layers_total, layers_total or num_layers))
    heads = int(cfg.get("num_attention_heads") or 1)
    vocab = int(cfg.get("vocab_size") or 32000)
    if dequantize is None:
        from mlxstudio.core.runtime.backend import guess_backend_name

        dequantize = guess_backend_name() == "CPU"  # the CPU backend trains every model in float32
    if info.bits is None and info.dtype == "float32":
        dequantize = True  # already float32: 4 bytes a parameter whatever the backend
    b = 4 if dequantize else 2
    if dequantize:
        weights = info.parameters * 4
    else:
        weights = sum(f.stat().st_size for f in weight_files(info.path)) if info.path.is_dir() else 0
        weights = weights or info.parameters * 2
    lora = _lora_parameters(info.config, adapted, rank) * 16
    tokens = batch_size * max_seq_length
    block = ACTIVATION_FLOATS[0] * hidden + ACTIVATION_FLOATS[1] * ffn
    kept = 1 if grad_checkpoint else adapted  # blocks whose activations are alive at once
    activations = tokens * (kept * block + (adapted * hidden if grad_checkpoint else 0)) * b
    attention = (kept + 2) * batch_size * heads * max_seq_length ** 2 * b
    head = int(min(tokens, tokens if trained_tokens is None else trained_tokens) * vocab * 4 * HEAD_COPIES)
    cache = 0
    if 0 < adapted < layers_total and dataset_tokens > 0:
        cache = min(dataset_tokens * hidden * 4, PREFIX_CACHE_BUDGET)
    step = weights + lora + cache + activations + attention + head
    loading = int(weights * LOAD_FACTOR) if dequantize and info.bits is not None else weights
    return int(max(step, loading))


def resolve_model_path(model: str | Path) -> Path:
    """A model folder for ``model``: a library name or a folder path, checked (raises ModelError naming which file
    is missing or broken)."""
    path = Path(resolve_model(model))
    validate_model_dir(path)
    return path
