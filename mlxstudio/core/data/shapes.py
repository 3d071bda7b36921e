"""The dataset shapes people already have, converted into mlx-lm's rows: Alpaca, ShareGPT, OpenAI messages with
content parts, and any shape through a field mapping (mlx-lm's ``*_feature`` names).

The shape is decided per row and the file's result from all rows; the original file is never written. What was done
is said in one line (:meth:`Conversion.summary`), e.g. "Alpaca (instruction/input/output) → 1,000 prompt/completion
pairs". Rows that fit no shape are kept as they are, so validation names them (``file:line``) instead of dropping them.

How the shapes map (the way LLaMA-Factory, whose files these mostly are, reads them):

- **Alpaca** ``{"instruction", "input", "output", "system"?, "history"?}``: prompt = instruction, a line break and the
  input when there is one; completion = output. A system prompt or a history (earlier ``[question, answer]`` turns)
  needs the chat format, and then every row of the file becomes a chat row (a prompt/completion pair is the same
  two-message chat for mlx-lm, so nothing changes for the other rows).
- **ShareGPT** ``{"conversations": [{"from", "value"}], "system"?, "tools"?}``: human → user, gpt → assistant,
  system → system, function_call → an assistant tool call (mlx-lm's ``tool_calls`` shape), observation → tool;
  ``tools`` (often a JSON string) → the row's ``tools`` list. ``role``/``content`` items and a ``messages`` key are
  read the same way.
- **OpenAI content parts** ``{"messages": [{"role", "content": [{"type": "text", "text"}]}]}`` (LLaMA-Factory writes
  ``"value"`` for ``"text"``): the text parts joined. An image, audio or video part stays, and validation says the app
  trains on text only.
- **A field mapping** (:class:`FieldMap`, the Data page's "Which field is what?", the CLI's ``--*-feature``): the
  fields named become ours; the fields not named are left out (the summary names them); a mapped system field becomes
  the chat's first message, so a pair with a system prompt becomes a chat row.
"""

from __future__ import annotations

import contextlib
import json
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mlxstudio.core.i18n import N_, _, ngettext

SHAPE_LABELS = {
    "alpaca": N_("Alpaca (instruction/input/output)"),
    "sharegpt": N_("ShareGPT (conversations from/value)"),
    "openai": N_("OpenAI messages with content parts"),
    "mapped": N_("fields mapped by you"),
    "preference": N_("preference pairs (chosen/rejected)"),
    "kto": N_("KTO rows (messages + label)"),
}
TARGET_NOUNS = {"completion": (N_("prompt/completion pair"), N_("prompt/completion pairs")),
                "chat": (N_("chat row"), N_("chat rows")), "text": (N_("text row"), N_("text rows"))}
SHAREGPT_ROLES = {"human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant", "bot": "assistant",
                  "model": "assistant", "chatgpt": "assistant", "system": "system", "observation": "tool",
                  "tool": "tool", "function": "tool", "function_call": "assistant"}
TEXT_PART_TYPES = ("text", "input_text", "output_text")
FEATURES = ("prompt", "completion", "text", "messages", "system")
"""What a field can be mapped to (``prompt`` ← ``--prompt-feature`` and so on; mlx-lm calls ``messages`` chat)."""


@dataclass(frozen=True)
class FieldMap:
    """Which field of the user's rows is what: ``{"prompt": "question", "completion": "answer"}``. Keys are
    :data:`FEATURES`; values are field names in the file."""

    fields: Mapping[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.fields)

    def apply(self, row: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in row.items() if k not in self.fields.values()}
        for feature, source in self.fields.items():
            if source in row:
                out[feature] = row[source]
        return out


@dataclass(frozen=True)
class Conversion:
    """What the reader made of a file in another shape: ``rows`` rows of ``shape`` → our ``target`` format."""

    shape: str
    target: str
    rows: int
    notes: tuple[str, ...] = ()
    ignored_keys: tuple[str, ...] = ()
    dropped: tuple[int, ...] = ()
    """Indices of the source rows left out (KTO rows labelled false): the reader drops their line numbers too."""

    @property
    def label(self) -> str:
        return SHAPE_LABELS.get(self.shape, self.shape)

    def summary(self) -> str:
        """One line: "Alpaca (instruction/input/output) → 1,000 prompt/completion pairs; 12 with a system prompt"."""
        noun = ngettext(*TARGET_NOUNS[self.target], self.rows)
        parts = [f"{_(self.label)} → {self.rows:,} {noun}", *self.notes]
        if self.ignored_keys:
            parts.append(_("fields not used: {fields}").format(fields=", ".join(self.ignored_keys[:6]))
                         + (f" (+{len(self.ignored_keys) - 6})" if len(self.ignored_keys) > 6 else ""))
        return _("; ").join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {"shape": self.shape, "label": self.label, "target": self.target, "rows": self.rows,
                "notes": list(self.notes), "ignored_keys": list(self.ignored_keys), "summary": self.summary()}


# -- detection ----------------------------------------------------------------------------------------------------
def _is_turn_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(m, dict) for m in value)


def row_shape(row: Any) -> str | None:
    """The foreign shape a row is in ("alpaca", "sharegpt", "openai", "preference", "kto"), or None (ours, or
    unknown)."""
    if not isinstance(row, dict):
        return None
    if "chosen" in row and "rejected" in row:
        return "preference"
    if isinstance(row.get("label"), bool) and (_is_turn_list(row.get("messages")) or
                                               _is_turn_list(row.get("conversations"))):
        return "kto"
    if "instruction" in row and "output" in row and "prompt" not in row and "messages" not in row:
        return "alpaca"
    conv = row.get("conversations")
    if _is_turn_list(conv):
        return "sharegpt"
    msgs = row.get("messages")
    if isinstance(msgs, list) and _is_turn_list(msgs):
        if any("from" in m or "value" in m for m in msgs) and not all("role" in m for m in msgs):
            return "sharegpt"
        if any(isinstance(m.get("content"), list) for m in msgs):
            return "openai"
    return None


# -- converters ---------------------------------------------------------------------------------------------------
@dataclass
class _Tally:
    counts: Counter[str] = field(default_factory=Counter)
    ignored: set[str] = field(default_factory=set)


def _alpaca(row: dict[str, Any], tally: _Tally) -> dict[str, Any]:
    instruction, query, output = row.get("instruction"), row.get("input"), row.get("output")
    prompt: Any = instruction
    if isinstance(instruction, str) and isinstance(query, str) and query.strip():
        prompt = f"{instruction}\n{query}"
    elif query not in (None, "") and not isinstance(query, str):
        prompt = instruction  # a non-text input: validation reports the prompt's own problems, if any
    system, history = row.get("system"), row.get("history")
    tally.ignored.update(k for k in row if k not in ("instruction", "input", "output", "system", "history"))
    turns: list[dict[str, Any]] = []
    if isinstance(system, str) and system.strip():
        tally.counts["system"] += 1
        turns.append({"role": "system", "content": system})
    if isinstance(history, list) and history:
        tally.counts["history"] += 1
        for pair in history:
            if isinstance(pair, list | tuple) and len(pair) == 2:
                turns += [{"role": "user", "content": pair[0]}, {"role": "assistant", "content": pair[1]}]
    if turns:
        return {"messages": [*turns, {"role": "user", "content": prompt}, {"role": "assistant", "content": output}]}
    return {"prompt": prompt, "completion": output}


def _tool_calls(value: Any) -> list[dict[str, Any]] | None:
    """A ShareGPT ``function_call`` value (JSON text of one call or a list) → mlx-lm's ``tool_calls``; None if not
    a call."""
    try:
        data = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        return None
    calls = data if isinstance(data, list) else [data]
    out = []
    for call in calls:
        if not isinstance(call, dict) or not isinstance(call.get("name"), str):
            return None
        args = call.get("arguments", {})
        if isinstance(args, str):
            with contextlib.suppress(ValueError):
                args = json.loads(args)
        out.append({"type": "function", "function": {"name": call["name"], "arguments": args}})
    return out


def _tools(value: Any) -> list[Any] | None:
    """``tools`` as a list of ``{"type": "function", "function": {...}}`` (LLaMA-Factory stores a JSON string of bare
    function descriptions); None when absent or empty."""
    if value in (None, "", []):
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return [value]  # kept: validation of the chat template will show it
    items = value if isinstance(value, list) else [value]
    return [t if not isinstance(t, dict) or "function" in t or "name" not in t else {"type": "function", "function": t}
            for t in items]


def _sharegpt(row: dict[str, Any], tally: _Tally) -> dict[str, Any]:
    key = "conversations" if _is_turn_list(row.get("conversations")) else "messages"
    messages: list[dict[str, Any]] = []
    system = row.get("system")
    if isinstance(system, str) and system.strip():
        tally.counts["system"] += 1
        messages.append({"role": "system", "content": system})
    for turn in row[key]:
        source = turn.get("from", turn.get("role"))
        value = turn.get("value", turn.get("content"))
        role = SHAREGPT_ROLES.get(str(source).lower(), source)
        if str(source).lower() == "function_call":
            calls = _tool_calls(value)
            if calls is not None:
                tally.counts["tool calls"] += len(calls)
                messages.append({"role": "assistant", "content": "", "tool_calls": calls})
                continue
            tally.counts["not json"] += 1
        messages.append({"role": role, "content": _joined_parts(value)})
    out: dict[str, Any] = {"messages": messages}
    tools = _tools(row.get("tools"))
    if tools:
        tally.counts["tools"] += 1
        out["tools"] = tools
    tally.ignored.update(k for k in row if k not in (key, "system", "tools"))
    return out


def _joined_parts(content: Any) -> Any:
    """Text parts joined into one string; a list with a non-text part (image, audio…) is returned unchanged."""
    if not isinstance(content, list):
        return content
    texts = []
    for part in content:
        if isinstance(part, str):
            texts.append(part)
        elif isinstance(part, dict) and part.get("type", "text") in TEXT_PART_TYPES:
            text = part.get("text", part.get("value"))
            if not isinstance(text, str):
                return content
            texts.append(text)
        else:
            return content
    return "".join(texts)


def _openai(row: dict[str, Any], tally: _Tally) -> dict[str, Any]:
    messages = []
    for m in row["messages"]:
        joined = _joined_parts(m.get("content"))
        if isinstance(m.get("content"), list):
            tally.counts["non-text" if isinstance(joined, list) else "parts joined"] += 1
        messages.append({**m, "content": joined})
    return {**row, "messages": messages}


def _turns(row: dict[str, Any], tally: _Tally) -> list[dict[str, Any]]:
    """The conversation of a row in any of the chat shapes, as our messages (ShareGPT turns converted)."""
    if _is_turn_list(row.get("conversations")) or (
            _is_turn_list(row.get("messages")) and any("from" in m for m in row["messages"])):
        return list(_sharegpt({k: v for k, v in row.items() if k != "tools"}, tally)["messages"])
    if _is_turn_list(row.get("messages")):
        return [{**m, "content": _joined_parts(m.get("content"))} for m in row["messages"]]
    return []


def _preference(row: dict[str, Any], tally: _Tally) -> dict[str, Any]:
    """DPO/ORPO data (LLaMA-Factory's chosen/rejected turns, TRL's prompt/chosen/rejected): supervised fine-tuning
    learns the chosen answer; the rejected one is left out (said in the summary)."""
    tally.counts["rejected"] += 1
    chosen = row.get("chosen")
    if isinstance(row.get("prompt"), str) and isinstance(chosen, str):
        return {"prompt": row["prompt"], "completion": chosen}
    if "instruction" in row and isinstance(chosen, str):
        return _alpaca({**{k: v for k, v in row.items() if k not in ("chosen", "rejected")}, "output": chosen},
                       tally)
    messages = _turns(row, tally)
    if not messages and isinstance(row.get("prompt"), list):
        messages = _turns({"messages": row["prompt"]}, tally)
    elif not messages and isinstance(row.get("prompt"), str):
        messages = [{"role": "user", "content": row["prompt"]}]
    answers = chosen if isinstance(chosen, list) else [chosen]
    for a in answers:
        if isinstance(a, dict):
            messages.append({"role": SHAREGPT_ROLES.get(str(a.get("from", a.get("role", "assistant"))).lower(),
                                                         "assistant"),
                             "content": _joined_parts(a.get("value", a.get("content")))})
        elif isinstance(a, str):
            messages.append({"role": "assistant", "content": a})
    tally.ignored.update(k for k in row if k not in ("conversations", "messages", "prompt", "chosen", "rejected",
                                                     "system", "instruction", "input"))
    return {"messages": messages}


def _kto(row: dict[str, Any], tally: _Tally) -> dict[str, Any] | None:
    """KTO data (messages + a true/false label): the rows labelled false are answers the model should NOT give;
    supervised fine-tuning would teach them, so they are left out (counted in the summary)."""
    if row["label"] is False:
        tally.counts["undesirable"] += 1
        return None
    return {"messages": _turns(row, tally)}


_CONVERTERS: dict[str, Callable[[dict[str, Any], _Tally], dict[str, Any] | None]] = {
    "alpaca": _alpaca, "sharegpt": _sharegpt, "openai": _openai, "preference": _preference, "kto": _kto}
_NOTES = {  # tally key → (one, many): what the conversion line says
    "system": (N_("row with a system prompt"), N_("rows with a system prompt")),
    "history": (N_("row with history (earlier turns)"), N_("rows with history (earlier turns)")),
    "tools": (N_("row with tools"), N_("rows with tools")),
    "tool calls": (N_("tool call"), N_("tool calls")),
    "not json": (N_("function call that is not JSON, kept as text"),
                 N_("function calls that are not JSON, kept as text")),
    "parts joined": (N_("message of text parts joined"), N_("messages of text parts joined")),
    "rejected": (N_("preference pair: trained on the chosen answer, the rejected one left out"),
                 N_("preference pairs: trained on the chosen answers, the rejected ones left out")),
    "undesirable": (N_("row labelled false (an answer to avoid) left out: not trainable here"),
                    N_("rows labelled false (answers to avoid) left out: not trainable here")),
    "non-text": (N_("message with an image/audio part (text only: see Problems)"),
                 N_("messages with an image/audio part (text only: see Problems)")),
}


def _count(n: int, one: str, many: str) -> str:
    return f"{n:,} {ngettext(one, many, n)}"


def _as_chat(row: dict[str, Any]) -> dict[str, Any]:
    if "messages" in row or "prompt" not in row:
        return row
    rest = {k: v for k, v in row.items() if k not in ("prompt", "completion")}
    return {"messages": [{"role": "user", "content": row.get("prompt")},
                         {"role": "assistant", "content": row.get("completion")}], **rest}


OUR_KEYS = ("prompt", "completion", "messages", "text", "tools")
"""The keys of our rows that training reads (a mapped row keeps these and the fields the person mapped)."""


def _mapped(row: dict[str, Any], mapping: FieldMap, tally: _Tally) -> dict[str, Any]:
    """A row in our shape after the person's mapping: the fields they did not map are left out (and named in the
    summary); a row that is still in no known shape is kept whole, so validation shows what it holds."""
    if not any(k in row for k in OUR_KEYS[:4]):
        return row
    keep = {*OUR_KEYS, *mapping.fields}
    tally.ignored.update(str(k) for k in row if k not in keep)
    return {k: v for k, v in row.items() if k in keep}


def _with_system(row: dict[str, Any], tally: _Tally) -> dict[str, Any]:
    """A mapped system field → the first message of a chat row (a pair with a system prompt becomes a chat)."""
    rest = {k: v for k, v in row.items() if k != "system"}
    system = row.get("system")
    if not isinstance(system, str) or not system.strip():
        return rest
    head = {"role": "system", "content": system}
    if isinstance(rest.get("messages"), list):
        tally.counts["system"] += 1
        return {**rest, "messages": [head, *rest["messages"]]}
    if "prompt" in rest:
        tally.counts["system"] += 1
        chat = _as_chat(rest)
        return {**chat, "messages": [head, *chat["messages"]]}
    return row


def convert_rows(rows: Sequence[dict[str, Any]], row_fmt: Callable[[dict[str, Any]], str | None],
                 file_fmt: Callable[[Sequence[dict[str, Any]]], str | None], mapping: FieldMap | None = None
                 ) -> tuple[list[dict[str, Any]], Conversion | None]:
    """Rows in any known shape → our rows, and what was done (None: they were ours already, nothing changed).

    ``row_fmt(row)`` / ``file_fmt(rows)`` are the reader's own format detection (of one row / of all rows)."""
    if mapping:
        rows = [mapping.apply(r) if isinstance(r, dict) else r for r in rows]
    shapes = Counter(s for s in (row_shape(r) for r in rows) if s is not None)
    if not shapes and not mapping:
        return list(rows), None
    tally = _Tally()
    converted = [_CONVERTERS[s](r, tally) if (s := row_shape(r)) is not None
                 else _mapped(r, mapping, tally) if mapping and isinstance(r, dict) else r for r in rows]
    dropped = tuple(i for i, r in enumerate(converted) if r is None)
    out = [r for r in converted if r is not None]
    if mapping and "system" in mapping.fields:
        out = [_with_system(r, tally) if isinstance(r, dict) and "system" in r else r for r in out]
    if any(isinstance(r, dict) and "messages" in r for r in out) and any(
            isinstance(r, dict) and "prompt" in r and "messages" not in r for r in out):
        out = [_as_chat(r) if isinstance(r, dict) else r for r in out]  # one format per file: the richer one
    target = file_fmt(out) or "completion"
    shape = "mapped" if mapping and not shapes else shapes.most_common(1)[0][0]
    notes = tuple(_count(n, *_NOTES[k]) for k, n in tally.counts.items() if n)
    other = sum(n for s, n in shapes.items() if s != shape)
    if other:
        notes += (_count(other, N_("row in another shape converted too"), N_("rows in other shapes converted too")),)
    mixed = sum(1 for r in out if not isinstance(r, dict) or row_fmt(r) is None)
    if mixed:
        notes += (_count(mixed, N_("row in no known shape (see Problems)"),
                         N_("rows in no known shape (see Problems)")),)
    return out, Conversion(shape, target, len(out), notes, tuple(sorted(tally.ignored)), dropped)
