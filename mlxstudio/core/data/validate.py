"""Row-by-row checks of a dataset: what would break training (errors) and what is probably a mistake (warnings).

Every message says what is wrong and what to do. Errors block training; warnings (duplicates, long rows, ignored
keys) do not.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from mlxstudio.core.data.fileio import CHAT_ROLES, FORMAT_KEYS, OPTIONAL_KEYS, excerpt, row_format
from mlxstudio.core.i18n import N_, _

Severity = Literal["error", "warning"]
MEDIA_KEYS = ("images", "videos", "audios")
"""Keys of multimodal rows (LLaMA-Factory's mllm datasets): text-only training cannot use them."""


@dataclass(frozen=True)
class Problem:
    """One finding. ``row`` is the 0-based row index (-1: the whole file), ``line`` the 1-based line in the file the
    row came from (None for rows added in the editor), ``key`` the column/key concerned (None: the whole row)."""

    row: int
    line: int | None
    severity: Severity
    message: str
    key: str | None = None

    def format(self, name: str | None = None) -> str:
        """``file:line: message`` (or ``file: row N: message`` when the row has no line yet)."""
        where = name or ""
        if self.line is not None:
            where = f"{where}:{self.line}" if where else _("line {n}").format(n=self.line)
        elif self.row >= 0:
            row = _("row {n}").format(n=self.row + 1)
            where = f"{where}: {row}" if where else row
        prefix = "" if self.severity == "error" else _("warning: ")
        return f"{where}: {prefix}{self.message}" if where else prefix + self.message

    def to_dict(self, name: str | None = None) -> dict[str, Any]:
        """JSON-able form (``--json`` output)."""
        return {"file": name, "row": self.row, "line": self.line, "severity": self.severity, "key": self.key,
                "message": self.message}


RowIssue = tuple[Severity, str, str | None]
"""(severity, message, key) of a problem inside one row — :func:`validate_row`'s result items."""

_KIND = {str: N_("text"), int: N_("a number"), float: N_("a number"), bool: N_("true/false"), list: N_("a list"),
         dict: N_("an object")}


def _kind(value: Any) -> str:
    return "null" if value is None else _(_KIND.get(type(value), type(value).__name__))


def _check_text(row: dict[str, Any], key: str, what: str, out: list[RowIssue]) -> None:
    if key not in row:
        out.append(("error", _('no "{key}" — add one or delete the row').format(key=key), key))
        return
    value = row[key]
    if not isinstance(value, str):
        out.append(("error", _('"{key}" is {kind}, not text — put the {what} in quotes').format(
            key=key, kind=_kind(value), what=_(what)), key))
    elif not value.strip():
        out.append(("error", _('"{key}" is empty — write the {what} or delete the row').format(key=key, what=_(what)),
                    key))


def _non_text_part(parts: list[Any]) -> str | None:
    """The type of the first image/audio/video/file part of a message's content parts (None: text parts only)."""
    for part in parts:
        kind = part.get("type") if isinstance(part, dict) else None
        if isinstance(kind, str) and kind not in ("text", "input_text", "output_text"):
            return kind.replace("_url", "").replace("input_", "")
    return None


def _check_chat(row: dict[str, Any], out: list[RowIssue]) -> None:
    messages = row.get("messages")
    if "messages" not in row:
        out.append(("error", _('no "messages" — add a list of {{"role", "content"}} messages or delete the row')
                    .format(), "messages"))
        return
    if not isinstance(messages, list):
        out.append(("error", _('"messages" is {kind}, not a list of {{"role", "content"}} messages').format(
            kind=_kind(messages)), "messages"))
        return
    if not messages:
        out.append(("error", _('"messages" is empty — add a user and an assistant message'), "messages"))
        return
    assistant = False
    for i, msg in enumerate(messages, start=1):
        if not isinstance(msg, dict):
            out.append(("error", _('message {i} is {kind}, not an object with "role" and "content"').format(
                i=i, kind=_kind(msg)), "messages"))
            continue
        role = msg.get("role")
        if role is None:
            out.append(("error", _('message {i} has no "role" — add "role": "user" (or system, assistant)').format(
                i=i), "messages"))
            continue
        if role not in CHAT_ROLES:
            out.append(("error", _("message {i} has role {role!r} — use system, user or assistant").format(
                i=i, role=excerpt(str(role), 20)), "messages"))
            continue
        if role == "assistant":
            assistant = True  # before the content checks: a broken answer is still an answer (no false "no assistant")
        content = msg.get("content")
        if content is None and (msg.get("tool_calls") or role == "tool"):
            pass
        elif isinstance(content, list) and (part := _non_text_part(content)) is not None:
            kind = (_("an {kind} part") if part[:1] in "aeiou" else _("a {kind} part")).format(kind=part)
            out.append(("error", _("message {i} ({role}) has {part} — MLX Studio trains on text only; "
                                   "remove that part (or the row)").format(i=i, role=role, part=kind), role))
        elif not isinstance(content, str):
            out.append(("error", _("message {i} ({role}) has content that is {kind}, not text").format(
                i=i, role=role, kind=_kind(content)), role))
        elif role == "assistant" and not content.strip() and not msg.get("tool_calls"):
            out.append(("error", _("message {i} (assistant) is empty — write the answer the model should learn").format(
                i=i), "assistant"))
        elif role == "user" and not content.strip():
            out.append(("error", _("message {i} (user) is empty — write the question or delete the message").format(
                i=i), "user"))
    if not assistant:
        out.append(("error", _("no assistant message — the model learns only from assistant answers; add one"),
                    "assistant"))
    elif isinstance(messages[-1], dict) and messages[-1].get("role") != "assistant":
        out.append(("warning", _("the last message is not from the assistant — with prompt masking, training learns "
                                 "the last message, whoever wrote it"), "messages"))


def validate_row(row: Any, fmt: str) -> list[RowIssue]:
    """Problems inside one row of a file whose format is ``fmt`` (no cross-row checks)."""
    out: list[RowIssue] = []
    if not isinstance(row, dict):
        return [("error", _("the row is {kind}, not an object").format(kind=_kind(row)), None)]
    own = row_format(row)
    if own is not None and own != fmt and not any(k in row for k in FORMAT_KEYS[fmt]):
        return [("error", _("this row is in {own} format but the file is in {fmt} format — use one format per file "
                            "(convert or delete the row)").format(own=own, fmt=fmt), None)]
    if fmt == "completion":
        _check_text(row, "prompt", N_("prompt"), out)
        _check_text(row, "completion", N_("completion"), out)
    elif fmt == "chat":
        _check_chat(row, out)
    else:
        _check_text(row, "text", N_("text"), out)
    allowed = set(FORMAT_KEYS[fmt]) | set(OPTIONAL_KEYS[fmt])
    for key in MEDIA_KEYS:
        if row.get(key):
            out.append(("error", _('the row has {key} ("{key}") — MLX Studio trains on text only; remove them '
                                   "(and their <image>/<audio> tags) or the row").format(key=key), key))
    for key in row:
        if key not in allowed and key not in MEDIA_KEYS:
            shown = excerpt(str(key), 30)
            out.append(("warning", _('key "{key}" is ignored by training — remove it or check its spelling').format(
                key=shown), key))
    return out


def row_key(row: Any) -> Any:
    """A hashable identity of a row's content (for exact-duplicate detection)."""
    if isinstance(row, dict):
        try:
            key = tuple(sorted(row.items()))
            hash(key)
            return key
        except TypeError:
            pass
    return json.dumps(row, ensure_ascii=False, sort_keys=True)


def prompt_key(row: Any, fmt: str) -> Any:
    """A hashable identity of a row's prompt (everything the model is given), or None."""
    if not isinstance(row, dict):
        return None
    if fmt == "completion":
        p = row.get("prompt")
        return p if isinstance(p, str) and p.strip() else None
    if fmt == "chat":
        msgs = row.get("messages")
        if isinstance(msgs, list) and len(msgs) > 1:
            return json.dumps(msgs[:-1], ensure_ascii=False, sort_keys=True)
    return None


def row_chars(row: Any) -> int:
    """Number of characters of text in a row (all string values, including messages' content)."""
    if isinstance(row, str):
        return len(row)
    if isinstance(row, dict):
        return sum(row_chars(v) for k, v in row.items() if k != "role")
    if isinstance(row, list):
        return sum(row_chars(v) for v in row)
    return 0


def _where(row: int, lines: Sequence[int | None]) -> str:
    line = lines[row] if row < len(lines) else None
    if line is None:
        return _("row {n}").format(n=row + 1)
    return _("row {n} (line {line})").format(n=row + 1, line=line)


def validate_rows(rows: Sequence[Any], fmt: str, lines: Sequence[int | None] = (), *,
                  max_seq_length: int | None = None, token_counts: Sequence[int | None] | None = None,
                  prompt_token_counts: Sequence[int | None] | None = None,
                  max_chars: int | None = None) -> list[Problem]:
    """Check every row of a dataset; problems come out in row order.

    ``token_counts`` (tokens of each rendered row) with ``max_seq_length`` → long-row warnings; with
    ``prompt_token_counts`` also rows whose answer would be cut off completely. ``max_chars`` → warnings for rows longer
    than that many characters."""
    problems: list[Problem] = []
    seen: dict[Any, int] = {}
    seen_prompt: dict[Any, int] = {}

    def line_of(i: int) -> int | None:
        return lines[i] if i < len(lines) else None

    for i, row in enumerate(rows):
        for severity, message, key in validate_row(row, fmt):
            problems.append(Problem(i, line_of(i), severity, message, key))
        key = row_key(row)
        first = seen.setdefault(key, i)
        if first != i:
            problems.append(Problem(i, line_of(i), "warning",
                                    _("same as {where} — a duplicate counts twice in training; delete one").format(
                                        where=_where(first, lines)), None))
        else:
            pk = prompt_key(row, fmt)
            if pk is not None:
                pfirst = seen_prompt.setdefault(pk, i)
                if pfirst != i:
                    problems.append(Problem(i, line_of(i), "warning",
                                            _("same prompt as {where} but a different answer — the model will "
                                              "learn both; keep one if that is not intended").format(
                                                where=_where(pfirst, lines)), None))
        if max_seq_length and token_counts is not None and i < len(token_counts):
            n = token_counts[i]
            p = prompt_token_counts[i] if prompt_token_counts is not None and i < len(prompt_token_counts) else None
            if p is not None and p >= max_seq_length:
                problems.append(Problem(i, line_of(i), "warning",
                                        _("the prompt alone is {p} tokens, at least the maximum sequence length "
                                          "{max} — nothing of the answer would be trained; shorten the prompt or "
                                          "raise the maximum").format(p=p, max=max_seq_length), None))
            elif n is not None and n > max_seq_length:
                problems.append(Problem(i, line_of(i), "warning",
                                        _("{n} tokens, longer than the maximum sequence length {max} — the end "
                                          "will be cut off in training; shorten it or raise the maximum").format(
                                            n=n, max=max_seq_length), None))
        if max_chars and row_chars(row) > max_chars:
            problems.append(Problem(i, line_of(i), "warning",
                                    _("{n} characters, longer than {max} — shorten or split it").format(
                                        n=row_chars(row), max=max_chars), None))
    return problems
