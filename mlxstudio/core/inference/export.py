"""Ship a fine-tune: an MLX model folder with a model card, a GGUF file + Ollama ``Modelfile``, or the adapter alone.

- :func:`export_model_folder`: copy of the (fused) model folder plus a ``README.md`` model card listing the base
  model, the dataset's hash, the hyperparameters and the evaluation summary. No local absolute paths, no tokens.
- :func:`export_gguf`: a float16 GGUF for llama-family models, written with mlx-lm's GGUF export helpers
  (``mlx_lm.gguf``: weight names, Q/K permutation, ``mx.save_gguf``). mlx-lm describes every vocabulary as
  SentencePiece ("llama"); byte-level BPE vocabularies (SmolLM2, Llama 3, Qwen…) are written as llama.cpp's "gpt2"
  tokenizer with their merges instead, so llama.cpp/Ollama tokenize them correctly. Other architectures → a clear
  error. :func:`write_modelfile` adds the Ollama ``Modelfile`` (chat template in Ollama syntax, stop tokens).
- :func:`export_adapter`: ``adapters.safetensors`` + ``adapter_config.json`` (+ a small README) as a zip or folder.

Every output is written atomically (staging folder / temp file, then moved into place).
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mlxstudio import __version__
from mlxstudio.core import errors, fsutil
from mlxstudio.core import events as ev
from mlxstudio.core.i18n import _
from mlxstudio.core.inference.adapters import ADAPTER_CONFIG, ADAPTER_WEIGHTS, read_adapter_config
from mlxstudio.core.inference.reasoning import EMPTY_THINK, describe, trained_reasoning
from mlxstudio.core.runtime.blas import preload_blas

GGUF_ARCHITECTURES = ("llama", "mistral", "mixtral")
"""Model types mlx-lm's GGUF export handles (llama-family)."""

_SECRET_KEY = re.compile(r"(^|_)(token|secret|password|api_?key|auth)$", re.IGNORECASE)
_PATH_KEYS = {"model", "data", "adapter_path", "resume_adapter_file", "adapter_file", "base_model_path", "path"}


# -- helpers -------------------------------------------------------------------------------------------------------
def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _looks_like_path(value: str) -> bool:
    return value.startswith(("/", "~", "\\")) or bool(re.match(r"^[A-Za-z]:[\\/]", value))


def public_settings(data: Any) -> Any:
    """``data`` without secrets and with local paths reduced to their last component (safe to publish)."""
    if isinstance(data, dict):
        out: dict[str, Any] = {}
        for k, v in data.items():
            key = str(k)
            if _SECRET_KEY.search(key):
                continue
            if key in _PATH_KEYS and isinstance(v, str) and v:
                out[key] = Path(v).name
            else:
                out[key] = public_settings(v)
        return out
    if isinstance(data, list):
        return [public_settings(v) for v in data]
    if isinstance(data, str) and _looks_like_path(data):
        return Path(data).name
    return data


def file_hash(path: str | Path) -> str:
    """``sha256:<hex>`` of a file, or of a folder's ``*.jsonl`` files (sorted by name)."""
    p = Path(path)
    files = sorted(p.glob("*.jsonl")) if p.is_dir() else [p]
    h = hashlib.sha256()
    for f in files:
        h.update(f.name.encode() if p.is_dir() else b"")
        with open(f, "rb") as fh:
            for block in iter(functools.partial(fh.read, 1 << 20), b""):
                h.update(block)
    return f"sha256:{h.hexdigest()}"


def _staging_for(target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{target.name}.staging-", dir=target.parent))


def _check_target(target: Path, sources: list[Path]) -> None:
    for src in sources:
        if target.resolve() == src.resolve() or src.resolve() in target.resolve().parents:
            raise errors.UserError(_("{target}: choose a folder outside {name}").format(target=target, name=src.name))
    if target.exists() and target.is_dir() and any(target.iterdir()) and not (
            (target / "config.json").exists() or (target / ADAPTER_CONFIG).exists() or (target / "Modelfile").exists()):
        raise errors.UserError(_("{target}: exists and is not an earlier export — choose an empty or new folder")
            .format(target=target))


# -- model card ----------------------------------------------------------------------------------------------------
def model_card(model_dir: Path, *, base_model: str | None = None, adapter_path: str | Path | None = None,
               dataset: str | Path | None = None, eval_summary: str | None = None,
               hyperparameters: dict[str, Any] | None = None, title: str | None = None) -> str:
    """A README.md (Hugging Face model-card front matter + text) for an exported model. No local paths."""
    source = _read_json(model_dir / "mlxstudio.json")
    base = base_model or source.get("base_model") or ""
    if not base and isinstance(source.get("source"), str) and source["source"].startswith("fused: "):
        base = source["source"][len("fused: "):].split(" + ")[0]
    adapter_dir = Path(adapter_path) if adapter_path else (Path(source["adapter"]) if source.get("adapter") else None)
    params = hyperparameters
    if params is None and adapter_dir is not None and (adapter_dir / ADAPTER_CONFIG).is_file():
        params = _read_json(adapter_dir / ADAPTER_CONFIG)
    params = public_settings(params or {})
    config = _read_json(model_dir / "config.json")
    quant = config.get("quantization") or {}
    precision = f"{quant.get('bits')}-bit (group size {quant.get('group_size')})" if quant else "float (not quantized)"
    name = title or model_dir.name
    lines = ["---", "library_name: mlx", "pipeline_tag: text-generation", "tags:", "- mlx", "- lora", "- mlx-studio"]
    if base:
        lines.append(f"base_model: {base}")
    lines += ["---", "", f"# {name}", "",
              f"A fine-tune of **{base or 'its base model'}** made with MLX Studio {__version__} "
              "(LoRA with mlx-lm, adapter fused into the weights).", "",
              "| | |", "|---|---|",
              f"| Base model | {base or 'unknown'} |",
              f"| Architecture | {config.get('model_type', 'unknown')} |",
              f"| Weights | {precision} |"]
    if dataset:
        d = Path(dataset)
        if d.exists():
            lines.append(f"| Dataset | {d.name} (`{file_hash(d)}`) |")
        else:
            lines.append(f"| Dataset | {public_settings(str(dataset))} |")
    if eval_summary:
        lines.append(f"| Evaluation | {eval_summary} |")
    reasoning = trained_reasoning(model_dir, adapter_dir) or (params or {}).get("reasoning")
    if describe(reasoning):
        lines.append(f"| Reasoning | {describe(reasoning)} |")
    lines.append("")
    if params:
        lines += ["## Training hyperparameters", "", "```json", json.dumps(params, ensure_ascii=False, indent=2),
                  "```", ""]
    # mlx-lm passes enable_thinking=True unless told otherwise: a model trained to answer directly says so
    thinking_off = " --chat-template-config '{\"enable_thinking\": false}'" if reasoning == "direct" else ""
    lines += ["## Use", "", "```sh", "pip install mlx-lm",
              f'mlx_lm.generate --model {name} --prompt "your question"{thinking_off}', "```", ""]
    return "\n".join(lines)


def export_model_folder(model_dir: str | Path, dest: str | Path, *, base_model: str | None = None,
                        adapter_path: str | Path | None = None, dataset: str | Path | None = None,
                        eval_summary: str | None = None, sink: ev.Sink = ev.null_sink) -> Path:
    """Copy the MLX model folder ``model_dir`` to ``dest`` with a README.md model card; returns ``dest``.

    The app's own ``mlxstudio.json`` (which holds local paths) is left out.
    """
    src = Path(model_dir)
    if not (src / "config.json").is_file():
        raise errors.ModelError(_("{src}: not a model folder (no config.json)").format(src=src))
    target = Path(dest).expanduser()
    _check_target(target, [src])
    staging = _staging_for(target)
    try:
        files = [f for f in sorted(src.iterdir()) if f.is_file() and f.name not in {"mlxstudio.json", "README.md"}
                 and not f.name.startswith(".")]
        for i, f in enumerate(files):
            sink(ev.Progress(job="export", done=i, total=len(files), unit="file", message=f.name))
            shutil.copy2(f, staging / f.name)
        card = model_card(src, base_model=base_model, adapter_path=adapter_path, dataset=dataset,
                          eval_summary=eval_summary, title=target.name)
        fsutil.atomic_write_text(staging / "README.md", card)
        fsutil.replace_dir(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    sink(ev.Progress(job="export", done=len(files), total=len(files), unit="file", message=_("done")))
    return target


# -- adapter only --------------------------------------------------------------------------------------------------
def export_adapter(adapter_path: str | Path, dest: str | Path, *, as_zip: bool | None = None,
                   base_model: str | None = None) -> Path:
    """Export the adapter alone (a few MB): ``adapters.safetensors``, ``adapter_config.json`` (paths reduced to
    names) and a README. ``dest`` ending in ``.zip`` (or ``as_zip=True``) gives a zip file, otherwise a folder."""
    adapter_dir = Path(adapter_path)
    cfg = read_adapter_config(adapter_dir)
    target = Path(dest).expanduser()
    zipped = target.suffix.lower() == ".zip" if as_zip is None else as_zip
    if zipped and target.suffix.lower() != ".zip":
        target = target.with_suffix(".zip")
    public = public_settings(cfg)
    base = base_model or (Path(str(cfg["model"])).name if cfg.get("model") else "the base model")
    readme = "\n".join([
        f"# LoRA adapter for {base}", "",
        "Made with MLX Studio (mlx-lm LoRA format). Use it with:", "", "```sh",
        f"mlx_lm.generate --model {base} --adapter-path <this folder> --prompt \"your question\"", "```", "",
        "```json", json.dumps(public, ensure_ascii=False, indent=2), "```", ""])
    config_text = json.dumps(public, ensure_ascii=False, indent=2) + "\n"
    if zipped:
        with fsutil.atomic_open(target, "wb") as fh, zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.write(adapter_dir / ADAPTER_WEIGHTS, ADAPTER_WEIGHTS)
            zf.writestr(ADAPTER_CONFIG, config_text)
            zf.writestr("README.md", readme)
        return target
    _check_target(target, [adapter_dir])
    staging = _staging_for(target)
    try:
        shutil.copy2(adapter_dir / ADAPTER_WEIGHTS, staging / ADAPTER_WEIGHTS)
        fsutil.atomic_write_text(staging / ADAPTER_CONFIG, config_text)
        fsutil.atomic_write_text(staging / "README.md", readme)
        fsutil.replace_dir(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


# -- GGUF ----------------------------------------------------------------------------------------------------------
def check_gguf_exportable(model_dir: str | Path) -> dict[str, Any]:
    """The model's config if GGUF export supports it; otherwise a ModelError saying what to do instead."""
    config = _read_json(Path(model_dir) / "config.json")
    if not config:
        raise errors.ModelError(_("{model_dir}: not a model folder (no readable config.json)").format(
            model_dir=model_dir))
    mtype = str(config.get("model_type", "unknown"))
    if mtype not in GGUF_ARCHITECTURES:
        raise errors.ModelError(
            _("GGUF export supports llama-family models ({join}); this model is {mtype!r}. "
              "Export the MLX model folder instead (mlx-lm and LM Studio load it), or convert it with llama.cpp's "
              "convert_hf_to_gguf.py").format(join=', '.join(GGUF_ARCHITECTURES), mtype=mtype))
    if not (Path(model_dir) / "tokenizer.json").is_file():
        raise errors.ModelError(_("{model_dir}: GGUF export needs tokenizer.json (a fast tokenizer)").format(
            model_dir=model_dir))
    return config


def _infer_pre(tokenizer: dict[str, Any], model_name: str) -> str:
    """llama.cpp's ``tokenizer.ggml.pre`` for a byte-level BPE ``tokenizer.json`` (how text is split before BPE)."""
    pre = tokenizer.get("pre_tokenizer") or {}
    parts = pre.get("pretokenizers", [pre]) if pre.get("type") == "Sequence" else [pre]
    types = [p.get("type") for p in parts]
    if "Digits" in types and any(p.get("individual_digits") for p in parts if p.get("type") == "Digits"):
        return "smollm" if "smollm" in model_name.lower() else "starcoder"
    for p in parts:
        if p.get("type") == "Split":
            regex = str((p.get("pattern") or {}).get("Regex", ""))
            if r"\p{N}{1,3}" in regex:
                return "llama-bpe"
            if r"\p{N}" in regex and "(?i:" in regex:
                return "qwen2"
    return "gpt2"


def _tokenizer_metadata(model_dir: Path, vocab_size: int) -> dict[str, Any]:
    """``tokenizer.ggml.*`` metadata for a byte-level BPE tokenizer.json (llama.cpp's "gpt2" model), or {}."""
    from mlxstudio.core.runtime.mlxrt import mx

    tok = _read_json(model_dir / "tokenizer.json")
    model = tok.get("model") or {}
    if model.get("type") != "BPE" or "Ġ" not in "".join(list(model.get("vocab", {}))[:5000]):
        return {}  # not byte-level BPE: mlx-lm's SentencePiece-style vocabulary export applies
    vocab: dict[str, int] = dict(model.get("vocab", {}))
    special: set[int] = set()
    added_plain: set[int] = set()
    for t in tok.get("added_tokens", []):
        vocab[t["content"]] = int(t["id"])
        (special if t.get("special") else added_plain).add(int(t["id"]))
    n = max(max(vocab.values()) + 1, vocab_size)
    tokens = [f"[PAD{i}]" for i in range(n)]
    types = [5] * n  # unused until filled
    for text, i in vocab.items():
        tokens[i] = text
        types[i] = 3 if i in special else 4 if i in added_plain else 1
    merges = [m if isinstance(m, str) else " ".join(m) for m in model.get("merges", [])]
    cfg = _read_json(model_dir / "tokenizer_config.json")

    def token_id(key: str) -> int | None:
        value = cfg.get(key)
        if isinstance(value, dict):
            value = value.get("content")
        return vocab.get(value) if isinstance(value, str) else None

    meta: dict[str, Any] = {
        "tokenizer.ggml.model": "gpt2",
        "tokenizer.ggml.pre": _infer_pre(tok, model_dir.name + str(_read_json(model_dir / "mlxstudio.json"))),
        "tokenizer.ggml.tokens": tokens,
        "tokenizer.ggml.token_type": mx.array(types, dtype=mx.int32),
        "tokenizer.ggml.merges": merges,
        "tokenizer.ggml.add_bos_token": mx.array(bool(cfg.get("add_bos_token", False))),
    }
    for key, name in (("bos_token", "bos_token_id"), ("eos_token", "eos_token_id"), ("pad_token", "padding_token_id"),
                      ("unk_token", "unknown_token_id")):
        tid = token_id(key)
        if tid is not None:
            meta[f"tokenizer.ggml.{name}"] = mx.array(tid, dtype=mx.uint32)
    return meta


def chat_template_of(model_dir: Path) -> str | None:
    """The model's Jinja chat template (tokenizer_config.json or chat_template.jinja), or None."""
    cfg = _read_json(model_dir / "tokenizer_config.json")
    template = cfg.get("chat_template")
    if isinstance(template, list):  # named templates: take "default"
        template = next((t.get("template") for t in template if t.get("name") == "default"), None)
    if not template and (model_dir / "chat_template.jinja").is_file():
        template = (model_dir / "chat_template.jinja").read_text(encoding="utf-8")
    return str(template) if template else None


def _arch_metadata(config: dict[str, Any], name: str) -> dict[str, Any]:
    from mlxstudio.core.runtime.mlxrt import mx

    heads = int(config["num_attention_heads"])
    hidden = int(config["hidden_size"])
    meta: dict[str, Any] = {
        "general.architecture": "llama",
        "general.name": name,
        "general.file_type": mx.array(1, dtype=mx.uint32),  # mostly F16
        "general.quantization_version": mx.array(2, dtype=mx.uint32),
        "general.alignment": mx.array(32, dtype=mx.uint32),
        "llama.context_length": mx.array(int(config.get("max_position_embeddings") or 4096), dtype=mx.uint32),
        "llama.embedding_length": mx.array(hidden, dtype=mx.uint32),
        "llama.block_count": mx.array(int(config["num_hidden_layers"]), dtype=mx.uint32),
        "llama.feed_forward_length": mx.array(int(config["intermediate_size"]), dtype=mx.uint32),
        "llama.rope.dimension_count": mx.array(int(config.get("head_dim") or hidden // heads), dtype=mx.uint32),
        "llama.attention.head_count": mx.array(heads, dtype=mx.uint32),
        "llama.attention.head_count_kv": mx.array(int(config.get("num_key_value_heads") or heads), dtype=mx.uint32),
        "llama.attention.layer_norm_rms_epsilon": mx.array(float(config.get("rms_norm_eps", 1e-5)),
                                                           dtype=mx.float32),
        "llama.rope.freq_base": mx.array(float(config.get("rope_theta", 10000.0)), dtype=mx.float32),
        "llama.vocab_size": mx.array(int(config["vocab_size"]), dtype=mx.uint32),
    }
    if config.get("num_local_experts"):
        meta["llama.expert_count"] = mx.array(int(config["num_local_experts"]), dtype=mx.uint32)
        meta["llama.expert_used_count"] = mx.array(int(config.get("num_experts_per_tok", 2)), dtype=mx.uint32)
    rope = config.get("rope_scaling") or {}
    if rope.get("type") == "linear" or rope.get("rope_type") == "linear":
        meta["llama.rope.scaling.type"] = "linear"
        meta["llama.rope.scaling.factor"] = mx.array(float(rope.get("factor", 1.0)), dtype=mx.float32)
    return meta


def export_gguf(model_dir: str | Path, out_path: str | Path, sink: ev.Sink = ev.null_sink,
                cancel: Callable[[], bool] | None = None) -> Path:
    """Write ``model_dir`` (a llama-family MLX model, quantized or not) as a float16 GGUF file at ``out_path``."""
    src = Path(model_dir)
    config = check_gguf_exportable(src)
    preload_blas()
    from mlx.utils import tree_flatten
    from mlx_lm.gguf import HfVocab, permute_weights, prepare_metadata, translate_weight_names
    from mlx_lm.utils import dequantize_model, load_model

    from mlxstudio.core.runtime.mlxrt import mx

    target = Path(out_path).expanduser()
    if target.suffix.lower() != ".gguf":
        target = target.with_suffix(".gguf")
    sink(ev.Progress(job="export", done=0, total=3, unit="step", message=_("loading the model")))
    try:
        model, config = load_model(src)
    except (FileNotFoundError, ValueError, KeyError) as exc:
        raise errors.ModelError(_("{src}: cannot load the model for GGUF export: {exc}").format(
            src=src, exc=exc)) from exc
    if config.get("quantization") or config.get("quantization_config"):
        model = dequantize_model(model)
    if cancel and cancel():
        raise errors.Cancelled(_("GGUF export stopped; nothing was written"))
    sink(ev.Progress(job="export", done=1, total=3, unit="step", message=_("converting the weights")))
    weights = dict(tree_flatten(model.parameters()))
    heads = int(config["num_attention_heads"])
    kv_heads = int(config.get("num_key_value_heads") or heads)
    permute = not config.get("rope_traditional", False)  # traditional RoPE weights are already in GGUF's layout
    out: dict[str, Any] = {}
    for key, value in weights.items():
        if permute and key.endswith("self_attn.q_proj.weight"):
            value = permute_weights(value, heads, heads)
        elif permute and key.endswith("self_attn.k_proj.weight"):
            value = permute_weights(value, heads, kv_heads)
        name = translate_weight_names(key)
        value = value.astype(mx.float32) if ("norm" in name or value.ndim < 2) else value.astype(mx.float16)
        out[name] = value
    if config.get("tie_word_embeddings") is False and "output.weight" not in out:
        raise errors.ModelError(_("{src}: no lm_head weights found for an untied model").format(src=src))
    metadata = _arch_metadata(config, src.name)
    tok_meta = _tokenizer_metadata(src, int(config["vocab_size"]))
    if not tok_meta:  # SentencePiece vocabularies: mlx-lm's own vocabulary export
        vocab_meta = prepare_metadata(config, HfVocab.load(src))
        tok_meta = {k: v for k, v in vocab_meta.items() if k.startswith("tokenizer.")}
    metadata.update(tok_meta)
    template = chat_template_of(src)
    if template:
        metadata["tokenizer.chat_template"] = template
    if cancel and cancel():
        raise errors.Cancelled(_("GGUF export stopped; nothing was written"))
    sink(ev.Progress(job="export", done=2, total=3, unit="step", message=_("writing {name}").format(name=target.name)))
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.stem}.partial.gguf")  # mx.save_gguf wants a .gguf name
    try:
        mx.save_gguf(str(tmp), out, metadata)
        tmp.replace(target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    sink(ev.Progress(job="export", done=3, total=3, unit="step", message=_("done")))
    return target


# -- Ollama Modelfile ----------------------------------------------------------------------------------------------
_OLLAMA_TEMPLATES: dict[str, tuple[str, list[str]]] = {
    "chatml": ("{{- if .System }}<|im_start|>system\n{{ .System }}<|im_end|>\n{{ end }}"
               "{{- range .Messages }}<|im_start|>{{ .Role }}\n{{ .Content }}<|im_end|>\n{{ end }}"
               "<|im_start|>assistant\n", ["<|im_start|>", "<|im_end|>"]),
    "llama3": ("{{- if .System }}<|start_header_id|>system<|end_header_id|>\n\n{{ .System }}<|eot_id|>{{ end }}"
               "{{- range .Messages }}<|start_header_id|>{{ .Role }}<|end_header_id|>\n\n{{ .Content }}<|eot_id|>"
               "{{ end }}<|start_header_id|>assistant<|end_header_id|>\n\n",
               ["<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]),
    "mistral": ("{{- range .Messages }}{{- if eq .Role \"user\" }}[INST] {{ if and $.System (eq .Content "
                "(index $.Messages 0).Content) }}{{ $.System }}\n\n{{ end }}{{ .Content }} [/INST]"
                "{{- else if eq .Role \"assistant\" }} {{ .Content }}</s>{{ end }}{{ end }}", ["[INST]", "[/INST]"]),
    "zephyr": ("{{- if .System }}<|system|>\n{{ .System }}</s>\n{{ end }}{{- range .Messages }}<|{{ .Role }}|>\n"
               "{{ .Content }}</s>\n{{ end }}<|assistant|>\n", ["<|system|>", "<|user|>", "<|assistant|>", "</s>"]),
}


def template_family(jinja: str | None) -> str | None:
    """Which chat format a Jinja template writes: "chatml", "llama3", "mistral", "zephyr", or None (unknown)."""
    if not jinja:
        return None
    if "<|im_start|>" in jinja:
        return "chatml"
    if "<|start_header_id|>" in jinja:
        return "llama3"
    if "[INST]" in jinja:
        return "mistral"
    if "<|user|>" in jinja and "<|assistant|>" in jinja:
        return "zephyr"
    return None


def default_system_prompt(jinja: str | None) -> str | None:
    """A system prompt the template inserts when none is given (e.g. SmolLM2's), or None."""
    if not jinja:
        return None
    m = re.search(r"<\|im_start\|>system(?:\\n|\n)(.+?)<\|im_end\|>", jinja, re.DOTALL)
    if m and "{{" not in m.group(1) and "message" not in m.group(1):
        return m.group(1).replace("\\n", "\n")
    return None


def modelfile_text(model_dir: str | Path, gguf_name: str, temperature: float = 0.0) -> str:
    """An Ollama Modelfile for ``gguf_name`` (next to it) with the model's chat template and stop tokens."""
    src = Path(model_dir)
    jinja = chat_template_of(src)
    family = template_family(jinja)
    cfg = _read_json(src / "tokenizer_config.json")
    eos = cfg.get("eos_token")
    eos = eos.get("content") if isinstance(eos, dict) else eos
    lines = [f"# Ollama Modelfile written by MLX Studio for {src.name}",
             f"# ollama create {src.name.lower()} -f Modelfile && ollama run {src.name.lower()}",
             f"FROM ./{gguf_name}", ""]
    if family is None:
        lines += ["# The chat template of this model is not one MLX Studio can translate to Ollama's syntax;",
                  "# Ollama will use the template stored in the GGUF file if it recognises it.",
                  'TEMPLATE """{{ if .System }}{{ .System }}\n\n{{ end }}{{ .Prompt }}"""']
        stops: list[str] = []
    else:
        template, stops = _OLLAMA_TEMPLATES[family]
        reasoning = trained_reasoning(src)
        if reasoning == "direct" and family == "chatml" and jinja and "<think>" in jinja:
            # trained after an empty think block: the prompt must end with one, or the model writes <think>
            # (Ollama's "still thinks" / "missing <think>" pitfalls)
            template += EMPTY_THINK
        if describe(reasoning):
            lines.append(f"# Reasoning: {describe(reasoning)}")
        lines.append(f'TEMPLATE """{template}"""')
    system = default_system_prompt(jinja)
    if system:
        lines.append(f'SYSTEM """{system}"""')
    if isinstance(eos, str) and eos and eos not in stops:
        stops = [*stops, eos]
    lines += [f'PARAMETER stop "{s}"' for s in stops]
    lines.append(f"PARAMETER temperature {temperature:g}")
    return "\n".join(lines) + "\n"


def write_modelfile(model_dir: str | Path, gguf_path: str | Path, temperature: float = 0.0) -> Path:
    """Write ``Modelfile`` next to ``gguf_path`` (atomic); returns its path."""
    gguf = Path(gguf_path)
    path = gguf.parent / "Modelfile"
    fsutil.atomic_write_text(path, modelfile_text(model_dir, gguf.name, temperature))
    return path


def export_ollama(model_dir: str | Path, dest_dir: str | Path, sink: ev.Sink = ev.null_sink,
                  cancel: Callable[[], bool] | None = None) -> dict[str, Path]:
    """A folder with ``<model>-f16.gguf`` and its ``Modelfile``: ``{"gguf": path, "modelfile": path}``."""
    src = Path(model_dir)
    check_gguf_exportable(src)
    dest = Path(dest_dir).expanduser()
    _check_target(dest, [src])
    dest.mkdir(parents=True, exist_ok=True)
    gguf = export_gguf(src, dest / f"{src.name}-f16.gguf", sink=sink, cancel=cancel)
    return {"gguf": gguf, "modelfile": write_modelfile(src, gguf)}


def export_job(params: dict[str, Any], sink: ev.Sink, cancel: Callable[[], bool]) -> dict[str, Any]:
    """Worker job "export": ``{"kind": "folder" | "gguf" | "adapter", "model", "adapter_path", "dest", ...}``."""
    kind = params.get("kind", "folder")
    if kind == "folder":
        path = export_model_folder(params["model"], params["dest"], adapter_path=params.get("adapter_path"),
                                   dataset=params.get("dataset"), eval_summary=params.get("eval_summary"), sink=sink)
        return {"path": str(path), "message": _("model folder exported to {path}").format(path=path)}
    if kind == "gguf":
        out = export_ollama(params["model"], params["dest"], sink=sink, cancel=cancel)
        return {"path": str(out["gguf"]), "modelfile": str(out["modelfile"]),
                "message": _("GGUF + Modelfile written to {folder}").format(folder=out["gguf"].parent)}
    if kind == "adapter":
        path = export_adapter(params["adapter_path"], params["dest"])
        return {"path": str(path), "message": _("adapter exported to {path}").format(path=path)}
    raise errors.UserError(_("unknown export kind {kind!r} (folder, gguf or adapter)").format(kind=kind))
