"""The reasoning setting of a run: how rows are rendered for a chat template with a thinking switch (Qwen3).

Qwen3's template renders the last assistant turn as ``<think>\\n{reasoning}\\n</think>\\n\\n{answer}`` (an empty
reasoning included) and ends the generation prompt with an empty think block only when ``enable_thinking=False``.
One setting per run decides which of its two renderings is trained — and so how the tuned model is asked later:

- ``direct`` ("answer directly"): reasoning is left out of the rows and they are rendered with
  ``enable_thinking=False``: the prompt ends with ``<think>\\n\\n</think>\\n\\n`` and only the answer is trained.
  Ask the tuned model with thinking off. The default for data without reasoning (prompt/completion pairs).
- ``keep`` ("keep the reasoning in my data"): rows are rendered with ``enable_thinking=True``; an assistant message's
  ``reasoning_content`` (or a ``<think>…</think>`` at the start of its content) is trained inside the think block.
  Ask the tuned model with thinking on. The default when a training row has reasoning.
- ``auto``: one of the two, by the data (:func:`resolve_reasoning`).

A template without the switch renders rows as they are (the setting is None). :func:`render_inputs` is the one place
that turns a row and the setting into what the chat template gets; the trainer (``training.batching``) and the
Data page's token view (``tokens.token_view``) both go through it via :func:`.tokens.encode_row`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mlxstudio.core.i18n import _

AUTO, DIRECT, KEEP = "auto", "direct", "keep"
REASONING_MODES = (AUTO, DIRECT, KEEP)
REASONING_LABELS = {AUTO: "Automatic (by the data)", DIRECT: "Answer directly", KEEP: "Keep the reasoning in my data"}
REASONING_FIELDS = ("reasoning_content", "reasoning")
"""Message fields that carry reasoning (``reasoning_content``: Qwen3's template and OpenAI-style APIs)."""


def _template_text(tokenizer: Any) -> str:
    hf = getattr(tokenizer, "_tokenizer", tokenizer)
    template = getattr(hf, "chat_template", None)
    return template if isinstance(template, str) else ""


def supports_reasoning_setting(tokenizer: Any) -> bool:
    """True when the chat template has a thinking switch (``enable_thinking``, e.g. Qwen3)."""
    return "enable_thinking" in _template_text(tokenizer)


def _has_reasoning(message: dict[str, Any]) -> bool:
    if any(isinstance(message.get(k), str) and message[k].strip() for k in REASONING_FIELDS):
        return True
    content = message.get("content")
    if not isinstance(content, str) or "</think>" not in content:
        return False
    return bool(content.split("</think>")[0].split("<think>")[-1].strip())


def row_has_reasoning(row: dict[str, Any]) -> bool:
    """Whether a row (completion or chat) carries reasoning for an assistant answer."""
    if "completion" in row:
        return _has_reasoning({"content": row.get("completion"),
                               **{k: row.get(k) for k in REASONING_FIELDS if k in row}})
    messages = row.get("messages")
    if isinstance(messages, list):
        return any(isinstance(m, dict) and m.get("role") == "assistant" and _has_reasoning(m) for m in messages)
    return False


def resolve_reasoning(mode: str | None, tokenizer: Any, rows: Sequence[dict[str, Any]]) -> str | None:
    """The setting a run trains with: ``direct`` or ``keep`` (``auto`` decided by ``rows``: ``keep`` when any row
    has reasoning), or None when the template has no thinking switch (rows are rendered as they are)."""
    if not supports_reasoning_setting(tokenizer):
        return None
    mode = mode or AUTO
    if mode not in REASONING_MODES:
        raise ValueError(_("reasoning must be one of {modes} (got {mode!r})").format(modes=", ".join(REASONING_MODES),
                                                                                     mode=mode))
    if mode != AUTO:
        return mode
    return KEEP if any(row_has_reasoning(r) for r in rows) else DIRECT


def strip_reasoning(message: dict[str, Any]) -> dict[str, Any]:
    """An assistant message without its reasoning (fields dropped; a leading think block cut as the template does)."""
    out = {k: v for k, v in message.items() if k not in REASONING_FIELDS}
    content = out.get("content")
    if isinstance(content, str) and "</think>" in content:
        out["content"] = content.split("</think>")[-1].lstrip("\n")
    return out


def _keep(message: dict[str, Any]) -> dict[str, Any]:
    """An assistant message with its reasoning under ``reasoning_content`` (the name Qwen3's template reads)."""
    if isinstance(message.get("reasoning_content"), str) or not isinstance(message.get("reasoning"), str):
        return message
    out = {k: v for k, v in message.items() if k != "reasoning"}
    out["reasoning_content"] = message["reasoning"]
    return out


def render_inputs(row: dict[str, Any], fmt: str, reasoning: str | None) -> tuple[list[dict[str, Any]] | None,
                                                                                   dict[str, Any]]:
    """(messages, chat-template kwargs) that render ``row`` for the run's ``reasoning`` setting.

    ``fmt`` is "completion" or "chat" (None is returned for "text": it has no messages). With ``reasoning`` None the
    messages are the row's, unchanged, and no kwargs are passed — exactly mlx-lm's own rendering."""
    if fmt == "text":
        return None, {}
    if fmt == "completion":
        assistant: dict[str, Any] = {"role": "assistant", "content": row["completion"]}
        if reasoning == KEEP:
            assistant.update({k: row[k] for k in REASONING_FIELDS if isinstance(row.get(k), str)})
        messages = [{"role": "user", "content": row["prompt"]}, assistant]
    else:
        messages = list(row["messages"])
    if reasoning is None:
        return messages, {}
    fix = strip_reasoning if reasoning == DIRECT else _keep
    messages = [fix(m) if isinstance(m, dict) and m.get("role") == "assistant" else m for m in messages]
    return messages, {"enable_thinking": reasoning == KEEP}


def thinking_for(reasoning: str | None) -> bool | None:
    """The ``enable_thinking`` a model trained with ``reasoning`` is asked with (None: the template's default)."""
    if reasoning == DIRECT:
        return False
    if reasoning == KEEP:
        return True
    return None


# -- the trained setting in a saved model folder (fused by core.inference.fuse, or a full fine-tune) ------------
THINKING_OFF_DEFAULT = "{%- if enable_thinking is not defined %}{%- set enable_thinking = false %}{%- endif %}\n"
"""Put before a chat template: thinking is off unless a caller turns it on (for models trained to answer directly;
a fused Qwen3 would otherwise "still think" in mlx-lm, LM Studio and llama.cpp, which pass no ``enable_thinking``)."""
EMPTY_THINK = "<think>\n\n</think>\n\n"


def template_for(template: str, reasoning: str | None) -> str:
    """The chat template a model trained with ``reasoning`` ships with (``direct``: thinking off by default)."""
    if reasoning != "direct" or "enable_thinking" not in template or template.startswith(THINKING_OFF_DEFAULT):
        return template
    return THINKING_OFF_DEFAULT + template


def write_trained_default(folder: str | Path, reasoning: str | None) -> bool:
    """Make the chat template(s) in a model folder default to the trained setting (atomic writes); True if changed."""
    from mlxstudio.core import fsutil

    folder = Path(folder)
    changed = False
    jinja = folder / "chat_template.jinja"
    if jinja.is_file():
        text = jinja.read_text(encoding="utf-8")
        if template_for(text, reasoning) != text:
            fsutil.atomic_write_text(jinja, template_for(text, reasoning))
            changed = True
    config_file = folder / "tokenizer_config.json"
    try:
        config = json.loads(config_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        config = {}
    if not isinstance(config, dict):
        config = {}
    if isinstance(config.get("chat_template"), str) and template_for(config["chat_template"], reasoning) != \
            config["chat_template"]:
        config["chat_template"] = template_for(config["chat_template"], reasoning)
        fsutil.atomic_write_json(config_file, config)
        changed = True
    return changed
