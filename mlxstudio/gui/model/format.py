"""Human-readable text for model facts: sizes, parameter counts, quantization, the navigator summary line."""

from __future__ import annotations

from typing import Any

from mlxstudio.gui.i18n import translate


def human_size(n: int | float | None) -> str:
    """``98 MB``, ``1.4 GB``: decimal units, as Finder shows them."""
    if n is None or n < 0:
        return "—"
    value = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            if unit == "B":
                return f"{int(value)} B"
            return f"{value:.0f} {unit}" if value >= 10 else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} TB"


def human_params(n: int | None) -> str:
    """``135 M``, ``0.6 B``, ``1.5 B`` parameters."""
    if not n or n <= 0:
        return "—"
    if n >= 1_000_000_000:
        return f"{n / 1e9:.1f} B"
    if n >= 1_000_000:
        return f"{n / 1e6:.0f} M"
    if n >= 1_000:
        return f"{n / 1e3:.0f} K"
    return str(n)


def short_quant(info: Any) -> str:
    """``4-bit``, ``8-bit``, ``float16`` — the quantization without the group size."""
    bits = getattr(info, "bits", None)
    if bits:
        return translate("format", "{bits}-bit").format(bits=bits)
    quant = str(getattr(info, "quantization", "") or "")
    return quant.split(" ")[0] if quant else "—"


def model_summary(info: Any) -> str:
    """The navigator's one line for a chosen model: ``SmolLM2-135M-Instruct · 4-bit · 98 MB``."""
    parts = [str(getattr(info, "name", "") or "model")]
    quant = short_quant(info)
    if quant != "—":
        parts.append(quant)
    size = getattr(info, "size_bytes", None)
    if size:
        parts.append(human_size(size))
    return " · ".join(parts)


def config_summary(config: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) rows of the interesting parts of a model's ``config.json``."""
    rows: list[tuple[str, str]] = []

    def add(label: str, *keys: str) -> None:
        for k in keys:
            v = config.get(k)
            if v is not None and v != "":
                rows.append((label, f"{v:,}" if isinstance(v, int) and not isinstance(v, bool) else str(v)))
                return

    add(translate("format", "Model type"), "model_type")
    add(translate("format", "Layers"), "num_hidden_layers", "n_layer", "num_layers")
    add(translate("format", "Hidden size"), "hidden_size", "n_embd", "d_model")
    add(translate("format", "Attention heads"), "num_attention_heads", "n_head")
    add(translate("format", "KV heads"), "num_key_value_heads")
    add(translate("format", "Vocabulary"), "vocab_size")
    add(translate("format", "Context length"), "max_position_embeddings", "n_positions", "max_seq_len")
    q = config.get("quantization") or config.get("quantization_config")
    if isinstance(q, dict) and q.get("bits"):
        rows.append((translate("format", "Quantized"), translate("format", "{get}-bit, group size {get2}").format(
            get=q.get('bits'), get2=q.get('group_size', '?'))))
    return rows
