"""Which field is what: the fields of a file in a shape the reader does not know, a first guess of what each holds,
and a preview of the rows a :class:`~mlxstudio.core.data.shapes.FieldMap` gives (Qt-free; the Data page's "Which
field is what?" dialog shows them, the CLI takes the same mapping as ``--*-feature`` options).

    fields, rows = peek_fields("qa.json")       # ["question", "answer", "id"], the first rows as they are in the file
    mapping = guess_field_map(fields)           # FieldMap({"prompt": "question", "completion": "answer"})
    preview = preview_mapping(rows, mapping)    # preview.rows (ours), preview.format, preview.error (None: usable)
    ds = load_dataset("qa.json", mapping)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlxstudio.core.data.fileio import (
    _decode,
    _json_array,
    _jsonl_rows,
    _parquet_rows,
    detect_format,
    is_csv_path,
    is_parquet_path,
    parse_csv_text,
    read_bytes,
    row_format,
)
from mlxstudio.core.data.shapes import FEATURES, FieldMap, convert_rows
from mlxstudio.core.data.validate import validate_rows
from mlxstudio.core.errors import UnknownFieldsError, UserError
from mlxstudio.core.i18n import N_, _

PEEK_ROWS = 50
"""How many rows :func:`peek_fields` returns (their fields are the ones offered; the first few are previewed)."""
GUESSES: dict[str, tuple[str, ...]] = {  # feature → common field names, best first
    "messages": ("messages", "conversations", "conversation", "dialog", "dialogue", "dialogs", "chat", "turns"),
    "prompt": ("prompt", "question", "query", "instruction", "input", "ask", "q", "problem", "user", "human"),
    "completion": ("completion", "answer", "response", "output", "target", "reply", "a", "solution", "assistant",
                   "gpt", "bot"),
    "system": ("system", "system_prompt", "sys", "system_message"),
    "text": ("text", "content", "body", "document", "passage", "sentence"),
}
FEATURE_LABELS = {"prompt": N_("prompt"), "completion": N_("completion"), "system": N_("system prompt"),
                  "messages": N_("chat messages"), "text": N_("plain text")}


def needs_field_map(exc: UserError) -> bool:
    """Whether opening failed only because no field has a name the reader knows (a mapping would open the file)."""
    return isinstance(exc, UnknownFieldsError)


def peek_fields(path: str | Path, limit: int = PEEK_ROWS) -> tuple[list[str], list[dict[str, Any]]]:
    """The field names of a dataset file (first seen first, from its first ``limit`` rows) and those rows as they are
    in the file (not converted). DataError when the file cannot be read at all."""
    p = Path(path)
    name = str(p)
    if is_parquet_path(p):
        rows: list[dict[str, Any]] = _parquet_rows(p, name)[0]
    else:
        text = _decode(read_bytes(p), name)
        if is_csv_path(p):
            rows = parse_csv_text(text, name, raw=True).rows
        else:
            whole = _json_array(text, name)
            rows = (whole if whole is not None else _jsonl_rows(text, name))[0]
    rows = [r for r in rows[:limit] if isinstance(r, dict)]
    fields: dict[str, None] = {}
    for row in rows:
        fields.update((str(k), None) for k in row)
    return list(fields), rows


def shape_key(fields: Iterable[str]) -> str:
    """What identifies files "of the same shape": their sorted field names (the key a remembered mapping is kept
    under)."""
    return "\n".join(sorted(set(fields)))


def guess_field_map(fields: Sequence[str]) -> FieldMap:
    """A first guess from common names (question → prompt, answer → completion, conversations → messages,
    content → text…); each feature goes to at most one field, and chat messages or a prompt/completion pair win over
    plain text."""
    by_name = {f.strip().lower(): f for f in fields}
    chosen: dict[str, str] = {}
    used: set[str] = set()
    for feature, names in GUESSES.items():
        for n in names:
            if n in by_name and by_name[n] not in used:
                chosen[feature] = by_name[n]
                used.add(by_name[n])
                break
    keep: tuple[str, ...]
    if "messages" in chosen:
        keep = ("messages", "system")
    elif "prompt" in chosen and "completion" in chosen:
        keep = ("prompt", "completion", "system")
    elif "text" in chosen:
        keep = ("text",)
    else:
        keep = ("prompt", "completion", "system")  # half a pair: the person picks the other half
    return FieldMap({k: chosen[k] for k in FEATURES if k in chosen and k in keep})


def mapping_problem(choices: Mapping[str, str | None]) -> str | None:
    """Why a choice of ``{field: feature or None}`` cannot open the file yet (None: it can)."""
    by_feature: dict[str, list[str]] = {}
    for fld, feature in choices.items():
        if feature:
            by_feature.setdefault(feature, []).append(fld)
    for feature, flds in by_feature.items():
        if len(flds) > 1:
            return _("{fields} are both the {feature} — choose one of them, set the others to “not used”").format(
                fields=_(" and ").join(repr(f) for f in flds), feature=_(FEATURE_LABELS[feature]))
    has = set(by_feature)
    kinds = [k for k in (("prompt" in has or "completion" in has) and _("a prompt/completion pair"),
                         "messages" in has and _("chat messages"), "text" in has and _("plain text")) if k]
    if len(kinds) > 1:
        return _("choose one kind of row: {kinds}, not both").format(kinds=_(" or ").join(kinds))
    if not has or has == {"system"}:
        return _("choose the field with the prompt and the one with the completion (the answer the model should "
                 "learn) — or the field with chat messages, or with plain text")
    if "prompt" in has and "completion" not in has:
        return _("choose the field with the completion (the answer the model should learn)")
    if "completion" in has and "prompt" not in has:
        return _("choose the field with the prompt (the question the model gets)")
    if "system" in has and "text" in has:
        return _("plain text rows have no system prompt — set the system field to “not used”")
    return None


def field_map_of(choices: Mapping[str, str | None]) -> FieldMap:
    """``{field: feature or None}`` (what the dialog's combos say) → a FieldMap."""
    return FieldMap({feature: fld for fld, feature in choices.items() if feature})


@dataclass(frozen=True)
class MappingPreview:
    """What a mapping makes of some rows: our rows and their format, or why it does not work yet (``error``), and
    the first problems validation finds in them (``problems``: the person can fix those in the grid)."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    format: str | None = None
    error: str | None = None
    problems: tuple[str, ...] = ()


def preview_mapping(rows: Sequence[dict[str, Any]], choices: Mapping[str, str | None]) -> MappingPreview:
    """The rows ``choices`` (``{field: feature or None}``) give, converted exactly as :func:`load_dataset` would."""
    problem = mapping_problem(choices)
    if problem is not None:
        return MappingPreview(error=problem)
    out, _conversion = convert_rows(list(rows), row_format, detect_format, field_map_of(choices))
    fmt = detect_format(out)
    if fmt is None:
        return MappingPreview(error=_("these fields give no rows MLX Studio can train on"))
    found = validate_rows(out, fmt, [None] * len(out))
    errors = tuple(_("row {n}: {message}").format(n=p.row + 1, message=p.message) for p in found
                   if p.severity == "error")
    return MappingPreview(out, fmt, None, errors)


def converted_path(original: str | Path) -> Path:
    """Where Save puts the converted rows of ``original`` by default: next to it as ``<stem>.jsonl``, or
    ``<stem>-converted.jsonl`` (``-converted-2``…) when that is the original or already exists."""
    p = Path(original)
    first = p.with_suffix(".jsonl")
    if first != p and not first.exists():
        return first
    n = 1
    while True:
        candidate = p.with_name(f"{p.stem}-converted{'' if n == 1 else f'-{n}'}.jsonl")
        if not candidate.exists():
            return candidate
        n += 1
