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
            where = f"{where}:{self.line}" if where else f"line {self.line}"
        elif self.row >= 0:
            where = f"{where}: row {self.row + 1}" if where else f"row {self.row + 1}"
        prefix = "" if self.severity == "error" else "warning: "
        return f"{where}: {prefix}{self.message}" if where else prefix + self.message

    def to_dict(self, name: str | None = None) -> dict[str, Any]:
        """JSON-able form (``--json`` output)."""
        return {"file": name, "row": self.row, "line": self.line, "severity": self.severity, "key": self.key,
                "message": self.message}


RowIssue = tuple[Severity, str, str | None]
"""(severity, message, key) of a problem inside one row — :func:`validate_row`'s result items."""

_KIND = {str: "text", int: "a number", float: "a number", bool: "true/false", list: "a list", dict: "an object"}


def _kind(value: Any) -> str:
    return "null" if value is None else _KIND.get(type(value), type(value).__name__)


def _check_text(row: dict[str, Any], key: str, what: str, out: list[RowIssue]) -> None:
    if key not in row:
        out.append(("error", f"no \"{key}\" — add one or delete the row", key))
        return
    value = row[key]
    if not isinstance(value, str):
        out.append(("error", f"\"{key}\" is {_kind(value)}, not text — put the {what} in quotes", key))
    elif not value.strip():
        out.append(("error", f"\"{key}\" is empty — write the {what} or delete the row", key))


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
        out.append(("error", "no \"messages\" — add a list of {\"role\", \"content\"} messages or delete the row",
                    "messages"))
        return
    if not isinstance(messages, list):
        out.append(("error", f"\"messages\" is {_kind(messages)}, not a list of {{\"role\", \"content\"}} messages",
                    "messages"))
        return
    if not messages:
        out.append(("error", "\"messages\" is empty — add a user and an assistant message", "messages"))
        return
    assistant = False
    for i, msg in enumerate(messages, start=1):
        if not isinstance(msg, dict):
            out.append(("error", f"message {i} is {_kind(msg)}, not an object with \"role\" and \"content\"",
                        "messages"))
            continue
        role = msg.get("role")
        if role is None:
            out.append(("error", f"message {i} has no \"role\" — add \"role\": \"user\" (or system, assistant)",
                        "messages"))
            continue
        if role not in CHAT_ROLES:
            out.append(("error", f"message {i} has role {excerpt(str(role), 20)!r} — use system, user or assistant",
                        "messages"))
            continue
        if role == "assistant":
            assistant = True  # before the content checks: a broken answer is still an answer (no false "no assistant")
        content = msg.get("content")
        if content is None and (msg.get("tool_calls") or role == "tool"):
            pass
        elif isinstance(content, list) and (part := _non_text_part(content)) is not None:
            article = "an" if part[:1] in "aeiou" else "a"
            out.append(("error", f"message {i} ({role}) has {article} {part} part — MLX Studio trains on text only; "
                                 f"remove that part (or the row)", role))
        elif not isinstance(content, str):
            out.append(("error", f"message {i} ({role}) has content that is {_kind(content)}, not text", role))
        elif role == "assistant" and not content.strip() and not msg.get("tool_calls"):
            out.append(("error", f"message {i} (assistant) is empty — write the answer the model should learn",
                        "assistant"))
        elif role == "user" and not content.strip():
            out.append(("error", f"message {i} (user) is empty — write the question or delete the message", "user"))
    if not assistant:
        out.append(("error", "no assistant message — the model learns only from assistant answers; add one",
                    "assistant"))
    elif isinstance(messages[-1], dict) and messages[-1].get("role") != "assistant":
        out.append(("warning", "the last message is not from the assistant — with prompt masking, training learns "
                               "the last message, whoever wrote it", "messages"))


def validate_row(row: Any, fmt: str) -> list[RowIssue]:
    """Problems inside one row of a file whose format is ``fmt`` (no cross-row checks)."""
    out: list[RowIssue] = []
    if not isinstance(row, dict):
        return [("error", f"the row is {_kind(row)}, not an object", None)]
    own = row_format(row)
    if own is not None and own != fmt and not any(k in row for k in FORMAT_KEYS[fmt]):
        return [("error", f"this row is in {own} format but the file is in {fmt} format — use one format per file "
                          f"(convert or delete the row)", None)]
    if fmt == "completion":
        _check_text(row, "prompt", "prompt", out)
        _check_text(row, "completion", "completion", out)
    elif fmt == "chat":
        _check_chat(row, out)
    else:
        _check_text(row, "text", "text", out)
    allowed = set(FORMAT_KEYS[fmt]) | set(OPTIONAL_KEYS[fmt])
    for key in MEDIA_KEYS:
        if row.get(key):
            out.append(("error", f"the row has {key} (\"{key}\") — MLX Studio trains on text only; remove them "
                                 f"(and their <image>/<audio> tags) or the row", key))
    for key in row:
        if key not in allowed and key not in MEDIA_KEYS:
            shown = excerpt(str(key), 30)
            out.append(("warning", f"key \"{shown}\" is ignored by training — remove it or check its spelling", key))
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
    return f"row {row + 1}" + (f" (line {line})" if line is not None else "")


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
                                    f"same as {_where(first, lines)} — a duplicate counts twice in training; "
                                    f"delete one", None))
        else:
            pk = prompt_key(row, fmt)
            if pk is not None:
                pfirst = seen_prompt.setdefault(pk, i)
                if pfirst != i:
                    problems.append(Problem(i, line_of(i), "warning",
                                            f"same prompt as {_where(pfirst, lines)} but a different answer — the "
                                            f"model will learn both; keep one if that is not intended", None))
        if max_seq_length and token_counts is not None and i < len(token_counts):
            n = token_counts[i]
            p = prompt_token_counts[i] if prompt_token_counts is not None and i < len(prompt_token_counts) else None
            if p is not None and p >= max_seq_length:
                problems.append(Problem(i, line_of(i), "warning",
                                        f"the prompt alone is {p} tokens, at least the maximum sequence length "
                                        f"{max_seq_length} — nothing of the answer would be trained; shorten the "
                                        f"prompt or raise the maximum", None))
            elif n is not None and n > max_seq_length:
                problems.append(Problem(i, line_of(i), "warning",
                                        f"{n} tokens, longer than the maximum sequence length {max_seq_length} — "
                                        f"the end will be cut off in training; shorten it or raise the maximum",
                                        None))
        if max_chars and row_chars(row) > max_chars:
            problems.append(Problem(i, line_of(i), "warning",
                                    f"{row_chars(row)} characters, longer than {max_chars} — shorten or split it",
                                    None))
    return problems
