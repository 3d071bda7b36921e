"""Reading and writing dataset files: JSONL, a JSON array (``.json``), CSV/TSV and Parquet; rows in mlx-lm's three
formats or in the shapes people bring (Alpaca, ShareGPT, OpenAI content parts — converted by :mod:`.shapes`).

Reading is strict about syntax (a line that is not one JSON object, a CSV row with the wrong number of cells, bytes that
are not UTF-8 → :class:`~mlxstudio.core.errors.DataError` naming ``file:line`` and what to do) and lenient about
content (missing keys, wrong types, empty cells are kept and reported by validation, so the editor can fix them).

Accepted without complaint: a UTF-8 byte-order mark, CRLF line ends, no final newline, blank lines (skipped, counted),
``;`` or tab separated CSV when the header clearly uses that separator.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlxstudio.core.data.shapes import Conversion, FieldMap, convert_rows
from mlxstudio.core.errors import DataError, UnknownFieldsError
from mlxstudio.core.fsutil import atomic_open
from mlxstudio.core.i18n import N_, _, ngettext

FORMATS = ("completion", "chat", "text")
"""mlx-lm's local dataset formats: ``{"prompt", "completion"}``, ``{"messages": [...]}``, ``{"text"}``."""

FORMAT_KEYS: dict[str, tuple[str, ...]] = {"completion": ("prompt", "completion"), "chat": ("messages",),
                                           "text": ("text",)}
OPTIONAL_KEYS: dict[str, tuple[str, ...]] = {"completion": ("tools",), "chat": ("tools",), "text": ()}
CSV_COLUMNS: dict[str, tuple[str, ...]] = {"completion": ("prompt", "completion"),
                                           "chat": ("system", "user", "assistant"), "text": ("text",)}
CHAT_ROLES = ("system", "user", "assistant", "tool")
HOW_TO_FIX_JSONL = N_("each line must be one JSON object such as {\"prompt\": \"…\", \"completion\": \"…\"}")
_EXCERPT = 60
JSON_MESSAGES = (N_("Expecting value"), N_("Expecting property name enclosed in double quotes"),
                 N_("Expecting ',' delimiter"), N_("Expecting ':' delimiter"), N_("Unterminated string starting at"),
                 N_("Invalid control character at"), N_("Invalid \\escape"), N_("Extra data"))
"""The messages of Python's JSON decoder, in the catalog so that a syntax error reads in the user's language."""


DATA_SUFFIXES = (".jsonl", ".json", ".csv", ".tsv", ".parquet")
"""The dataset files the reader opens (a split in a folder may be any of them: train.jsonl, train.parquet, …)."""


@dataclass
class ParsedFile:
    """What the reader found: rows (dicts), the 1-based line where each starts (None: a Parquet row, reported by its
    row number), the format, blank lines, and the conversion when the file was in another shape."""

    rows: list[dict[str, Any]]
    lines: list[int | None]
    format: str
    blank_lines: int = 0
    conversion: Conversion | None = None
    header_line: int | None = None


def excerpt(text: str, limit: int = _EXCERPT) -> str:
    """A short, single-line excerpt of ``text`` for messages (huge lines must not flood the terminal)."""
    one = text.replace("\r", "\\r").replace("\n", "\\n").replace("\x00", "\\0")
    return one if len(one) <= limit else one[:limit] + "…"


def row_format(row: dict[str, Any]) -> str | None:
    """The format a single row looks like (by its keys), or None when it has none of the known keys."""
    if "messages" in row:
        return "chat"
    if "prompt" in row or "completion" in row:
        return "completion"
    if "text" in row:
        return "text"
    return None


def detect_format(rows: Sequence[dict[str, Any]]) -> str | None:
    """The format of a file from ALL its rows: the most common row format (ties: mlx-lm's order). None if no row has
    any known key."""
    counts = Counter(f for f in (row_format(r) for r in rows) if f is not None)
    if not counts:
        return None
    order = {"completion": 0, "chat": 1, "text": 2}
    return max(counts, key=lambda f: (counts[f], -order[f]))


# -- decoding ---------------------------------------------------------------------------------------------------------
def _decode(data: bytes, name: str) -> str:
    """Bytes → text (UTF-8, optional BOM) or a DataError naming the line of the first bad byte."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DataError(_("the file is UTF-16 encoded — save it as UTF-8 (in most editors: Save As → Encoding: UTF-8)"),
                        name, 1)
    nul = data.find(b"\x00")
    if nul >= 0:
        raise DataError(_("contains a NUL byte (binary data) — this is not a UTF-8 text file; save the data as UTF-8 "
                          "JSONL or CSV"), name, data.count(b"\n", 0, nul) + 1)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise DataError(_("bytes that are not UTF-8 text (byte 0x{data:02x}) — save the file as UTF-8").format(
            data=data[exc.start]),
                        name, line) from None
    return text


def read_bytes(path: Path) -> bytes:
    """Read a file, turning OS errors into DataError."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise DataError(_("file not found — check the path"), str(path)) from None
    except IsADirectoryError:
        raise DataError(_("is a folder, not a file — pass a .jsonl or .csv file"), str(path)) from None
    except OSError as exc:
        raise DataError(_("cannot be read ({strerror}) — check permissions").format(
            strerror=exc.strerror or exc), str(path)) from None


def is_csv_path(path: Path) -> bool:
    """True for .csv/.tsv files."""
    return path.suffix.lower() in (".csv", ".tsv")


def is_parquet_path(path: Path) -> bool:
    """True for .parquet files (the format of datasets on the hubs)."""
    return path.suffix.lower() == ".parquet"


def parse_file(path: Path, name: str | None = None, mapping: FieldMap | None = None) -> ParsedFile:
    """Read a dataset file: Parquet and CSV/TSV by extension; anything else is JSONL, or one JSON array of row
    objects (``.json`` files usually). Rows in another shape (Alpaca, ShareGPT, OpenAI parts) or with fields named in
    ``mapping`` are converted to our rows; ``conversion`` says what was done. DataError with file:line when unusable.
    """
    name = name or str(path)
    if is_parquet_path(path):
        rows, lines, blank = _parquet_rows(path, name)
    else:
        text = _decode(read_bytes(path), name)
        if is_csv_path(path):
            parsed = parse_csv_text(text, name, raw=True)
            if parsed.format != "raw" and not mapping:
                return parsed
            converted, conversion = convert_rows(parsed.rows, row_format, detect_format, mapping)
            fmt = detect_format(converted)
            if fmt is None:
                cols = ", ".join(repr(k) for k in parsed.rows[0])
                raise UnknownFieldsError(_("unknown column names {cols} — the header must be prompt,completion or "
                                  "system,user,assistant or text (or Alpaca's instruction,input,output); or say which "
                                  "column is what (Data page: Which field is what?; CLI: --prompt-feature, "
                                  "--completion-feature, --text-feature)").format(cols=cols), name, parsed.header_line)
            return ParsedFile(converted, _kept(parsed.lines, conversion), fmt, parsed.blank_lines, conversion)
        else:
            whole = _json_array(text, name)
            rows, lines, blank = whole if whole is not None else _jsonl_rows(text, name)
    converted, conversion = convert_rows(rows, row_format, detect_format, mapping)
    return ParsedFile(converted, _kept(lines, conversion), _file_format(converted, name, blank), blank, conversion)


def _kept(lines: list[int | None], conversion: Conversion | None) -> list[int | None]:
    """The line numbers of the rows a conversion kept (it may leave rows out: KTO rows labelled false)."""
    if conversion is None or not conversion.dropped:
        return lines
    gone = set(conversion.dropped)
    return [n for i, n in enumerate(lines) if i not in gone]


def _parquet_rows(path: Path, name: str) -> tuple[list[dict[str, Any]], list[int | None], int]:
    """All rows of a Parquet file as dicts (pyarrow; nested lists/structs become lists/dicts)."""
    try:
        import pyarrow.parquet as pq
    except ImportError:  # pragma: no cover - a dependency of the package
        raise DataError(_("reading Parquet needs pyarrow — run `pip install pyarrow`"), name) from None
    try:
        table = pq.read_table(path)
    except FileNotFoundError:
        raise DataError(_("file not found — check the path"), name) from None
    except (OSError, ValueError) as exc:  # pyarrow raises ArrowInvalid (a ValueError) for a damaged file
        raise DataError(_("is not a readable Parquet file ({exc}) — download it again or export it anew").format(
            exc=exc), name) from None
    rows = table.to_pylist()
    if not rows:
        raise DataError(_("the Parquet file has no rows"), name)
    return rows, [None] * len(rows), 0


def _json_array(text: str, name: str) -> tuple[list[dict[str, Any]], list[int | None], int] | None:
    """A whole-file JSON array of row objects, with the line where each object starts; None when the text is not one
    JSON array (then it is read as JSONL)."""
    if not text.lstrip().startswith("["):
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        if text.lstrip().startswith("[{") or text.lstrip()[1:].lstrip().startswith("{"):
            raise DataError(_("the file is one JSON array of rows, but not valid JSON here (column {colno}: "
                              "{msg}) — fix the JSON at this place").format(
                                  colno=exc.colno, msg=_(exc.msg)), name, exc.lineno) from None
        return None
    except RecursionError:
        return None
    if not isinstance(value, list):
        return None
    if not value:
        raise DataError(_("the file is an empty JSON array [] — add rows such as {\"prompt\": \"…\", "
                          "\"completion\": \"…\"}"), name)
    lines: list[int | None] = []
    decoder = json.JSONDecoder()
    pos = text.index("[") + 1
    line, counted = 1, 0  # line numbers counted incrementally (counting from the start each time is quadratic)
    for i, item in enumerate(value):  # find each element's start to report file:line
        while text[pos] in " \t\r\n,":
            pos += 1
        line += text.count("\n", counted, pos)
        counted = pos
        if not isinstance(item, dict):
            raise DataError(_("item {i} of the JSON array is {type_name}, not an object with keys such as "
                              "\"prompt\" and \"completion\"").format(i=i + 1, type_name=_type_name(item)), name, line)
        lines.append(line)
        _obj, pos = decoder.raw_decode(text, pos)
    return value, lines, 0


# -- JSONL ------------------------------------------------------------------------------------------------------------
def _json_error(line: str, exc: json.JSONDecodeError) -> str:
    stripped = line.strip()
    if stripped in ("[", "[{") or (stripped.startswith("[") and stripped.endswith(("{", ","))):
        return _("this line starts a JSON array inside a JSONL file — JSONL needs one JSON object per line (or make "
                 "the whole file one JSON array)")
    if stripped == "{" or (stripped.startswith("{") and stripped.endswith((",", "{", ":"))):
        return _("a JSON object spread over several lines — JSONL needs each object on a single line "
                 "(write line breaks inside text as \\n)")
    if not stripped.startswith(("{", "[", '"')) and ("," in stripped or ";" in stripped or "\t" in stripped):
        return _("this looks like CSV, not JSON — give the file a .csv name, or write one JSON object per line")
    if exc.msg.startswith("Expecting property name enclosed in double quotes") and "'" in line:
        return _("invalid JSON at column {col}: keys and text must be in double quotes (\"…\"), not single "
                 "quotes — {how}").format(col=exc.colno, how=_(HOW_TO_FIX_JSONL))
    if exc.msg.startswith("Extra data"):
        return _("extra text after the JSON object at column {col} ({extra!r}) — {how}, one per line").format(
            col=exc.colno, extra=excerpt(line[exc.pos:], 30), how=_(HOW_TO_FIX_JSONL))
    if exc.msg.startswith("Invalid control character"):
        return _("a raw control character inside a string at column {col} — write a line break as \\n "
                 "and a tab as \\t").format(col=exc.colno)
    return _("invalid JSON at column {col}: {error} ({line!r}) — {how}").format(
        col=exc.colno, error=_(exc.msg), line=excerpt(line, 40), how=_(HOW_TO_FIX_JSONL))


def _type_name(value: Any) -> str:
    return _({list: N_("a list"), str: N_("a string"), int: N_("a number"), float: N_("a number"),
              bool: N_("true/false"), type(None): "null"}.get(type(value), type(value).__name__))


def parse_jsonl_text(text: str, name: str) -> ParsedFile:
    """Parse JSONL text in our formats. Every line is checked; the first syntax error raises DataError (with how
    many more)."""
    rows, lines, blank = _jsonl_rows(text, name)
    return ParsedFile(list(rows), lines, _file_format(rows, name, blank), blank)


def _jsonl_rows(text: str, name: str) -> tuple[list[dict[str, Any]], list[int | None], int]:
    """The objects of JSONL text with their line numbers and the count of blank lines (any keys)."""
    rows: list[dict[str, Any]] = []
    lines: list[int | None] = []
    blank = 0
    bad: list[tuple[int, str]] = []
    decoder = json.JSONDecoder()
    parts = text.split("\n")  # not splitlines(): U+2028 etc. are valid inside JSON strings
    if parts and parts[-1] == "":
        parts.pop()  # the final newline
    for number, raw in enumerate(parts, start=1):
        line = raw[:-1] if raw.endswith("\r") else raw
        if line.startswith("\ufeff"):  # a byte-order mark where two files were joined: invisible, harmless
            line = line[1:]
        if not line.strip():
            blank += 1
            continue
        try:
            value = decoder.decode(line)
        except json.JSONDecodeError as exc:
            bad.append((number, _json_error(line, exc)))
            continue
        except RecursionError:
            bad.append((number, _("JSON nested too deeply — a dataset row is a flat object of strings "
                                  "(and a list of messages for chat)")))
            continue
        if not isinstance(value, dict):
            bad.append((number, _("is {kind}, not a JSON object — {how}").format(
                kind=_type_name(value), how=_(HOW_TO_FIX_JSONL))))
            continue
        rows.append(value)
        lines.append(number)
    if bad:
        number, message = bad[0]
        more = _(" (and {n} more bad lines: {lines}{etc})").format(
            n=len(bad) - 1, lines=", ".join(str(n) for n, _msg in bad[1:6]),
            etc="…" if len(bad) > 6 else "") if len(bad) > 1 else ""
        raise DataError(message + more, name, number)
    return rows, lines, blank


def _file_format(rows: list[dict[str, Any]], name: str, blank: int) -> str:
    if not rows:
        what = _("only blank lines") if blank else _("no data")
        raise DataError(_("the file has {what} — add rows such as {{\"prompt\": \"…\", \"completion\": \"…\"}}").format(
            what=what), name)
    fmt = detect_format(rows)
    if fmt is None:
        keys = sorted({str(k) for r in rows[:50] for k in r})[:8]
        found = ", ".join(keys) or _("none")
        raise UnknownFieldsError(_("no row has the fields of a known format (found: {found}) — say which "
                          "field is the prompt, the completion, the messages or the text (Data page: Which field is "
                          "what?; CLI: --prompt-feature/--completion-feature/--chat-feature/--text-feature), or rename "
                          "them to \"prompt\"+\"completion\", \"messages\" or \"text\"").format(
                              found=found), name, None)
    return fmt


# -- CSV --------------------------------------------------------------------------------------------------------------
def _header_format(header: list[str]) -> str | None:
    cols = {h.strip().lower() for h in header if h.strip()}
    if {"prompt", "completion"} <= cols:
        return "completion"
    if {"user", "assistant"} <= cols:
        return "chat"
    if "text" in cols:
        return "text"
    return None


def _sniff_delimiter(first_line: str) -> str:
    """The separator of a header line: the one that makes a known header, else the most frequent of , ; tab."""
    for delim in (",", ";", "\t"):
        if _header_format(first_line.split(delim)) is not None and (delim == "," or "," not in first_line):
            return delim
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def parse_csv_text(text: str, name: str, raw: bool = False) -> ParsedFile:
    """Parse CSV (header row required). Columns: prompt,completion / system,user,assistant / text. With ``raw``, a
    header of other names gives rows of those cells with format "raw" (for conversion or a field mapping)."""
    if not text.strip():
        raise DataError(_("the file is empty — add a header row (prompt,completion) and one row per pair"), name)
    first = text.lstrip("\r\n").split("\n", 1)[0].rstrip("\r")
    delim = _sniff_delimiter(first)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim, strict=True)
    header: list[str] | None = None
    header_line: int | None = None
    fmt: str | None = None
    rows: list[dict[str, Any]] = []
    lines: list[int] = []
    blank = 0
    start = 1
    try:
        for record in reader:
            line_start, start = start, reader.line_num + 1
            if not record or all(not c.strip() for c in record):
                blank += 1
                continue
            if header is None:
                header = [c.strip().lower() for c in record]
                fmt = _header_format(header)
                header_line = line_start
                if fmt is None and raw:
                    fmt = "raw"
                if fmt is None:
                    cols = ", ".join(repr(c) for c in record)
                    raise UnknownFieldsError(_("unknown column names {cols} — the header must be "
                                      "prompt,completion or system,user,assistant or text").format(
                                          cols=cols), name, line_start)
                dup = [c for c, n in Counter(header).items() if n > 1 and c]
                if dup:
                    raise DataError(_("column {dup!r} appears twice in the header — rename or remove one").format(
                        dup=dup[0]), name, line_start)
                continue
            if len(record) != len(header):
                hint = (_(" — a cell that contains a comma or a line break must be in double quotes")
                        if len(record) > len(header) else _(" — add the missing cells (they may be empty)"))
                cells = ngettext("{n} cell", "{n} cells", len(record)).format(n=len(record))
                raise DataError(_("has {cells} but the header has {n} columns{hint}").format(
                    cells=cells, n=len(header), hint=hint), name, line_start)
            named = dict(zip(header, record, strict=True))
            rows.append(named if fmt == "raw" else _csv_row(named, fmt or "completion"))
            lines.append(line_start)
    except csv.Error as exc:
        msg = str(exc)
        if "unexpected end of data" in msg or "EOF" in msg:
            msg = _("a quoted cell is never closed (unbalanced \") — close the quote or double it (\"\") inside a cell")
        raise DataError(f"{msg}", name, start) from None
    if header is None or not rows:
        raise DataError(_("the file has a header but no rows — add one row per pair"), name,
                        None if header is None else 1)
    return ParsedFile(rows, list(lines), fmt or "completion", blank, header_line=header_line)


def _csv_row(cells: dict[str, str], fmt: str) -> dict[str, Any]:
    if fmt == "chat":
        messages = []
        for role in ("system", "user", "assistant"):
            value = cells.get(role, "")
            if role == "system" and not value:
                continue
            messages.append({"role": role, "content": value})
        row: dict[str, Any] = {"messages": messages}
        known = set(CSV_COLUMNS["chat"])
    else:
        row = {k: cells.get(k, "") for k in CSV_COLUMNS[fmt]}
        known = set(CSV_COLUMNS[fmt])
    for key, value in cells.items():  # extra columns are kept (validation warns), so nothing is lost
        if key and key not in known:
            row[key] = value
    return row


# -- writing ----------------------------------------------------------------------------------------------------------
def jsonl_line(row: dict[str, Any]) -> str:
    """One JSONL line for ``row`` (UTF-8, no ASCII escaping, no newline)."""
    return json.dumps(row, ensure_ascii=False)


def write_jsonl(rows: Iterable[dict[str, Any]], path: Path) -> list[int]:
    """Write rows as JSONL atomically; returns the line of each row."""
    out: list[int] = []
    with atomic_open(path, "w", newline="\n") as fh:
        for i, row in enumerate(rows, start=1):
            fh.write(jsonl_line(row) + "\n")
            out.append(i)
    return out


def chat_csv_cells(row: dict[str, Any]) -> dict[str, str] | None:
    """system/user/assistant cells of a single-turn chat row, or None if the row does not fit in three columns."""
    messages = row.get("messages")
    if not isinstance(messages, list):
        return None
    cells = {"system": "", "user": "", "assistant": ""}
    order = ["system", "user", "assistant"]
    pos = 0
    for msg in messages:
        if not isinstance(msg, dict) or msg.get("role") not in order or not isinstance(msg.get("content", ""), str):
            return None
        idx = order.index(msg["role"])
        if idx < pos:
            return None
        cells[msg["role"]] = msg.get("content", "")
        pos = idx + 1
    return cells


def _cell(value: Any) -> str:
    return value if isinstance(value, str) else ("" if value is None else json.dumps(value, ensure_ascii=False))


def write_csv(rows: Sequence[dict[str, Any]], fmt: str, path: Path, name: str | None = None) -> list[int]:
    """Write rows as CSV atomically (header + one record per row); returns the line where each row starts.

    Multi-turn chats do not fit in system,user,assistant columns: DataError (save as JSONL instead)."""
    name = name or str(path)
    columns = list(CSV_COLUMNS[fmt])
    for row in rows:
        for key in row:
            if key not in columns and key not in FORMAT_KEYS[fmt]:
                columns.append(key)
    records: list[list[str]] = []
    for i, row in enumerate(rows):
        if fmt == "chat":
            cells = chat_csv_cells(row)
            if cells is None:
                raise DataError(_("row {i} is a multi-turn chat, which does not fit in CSV columns "
                                  "system,user,assistant — save as .jsonl instead").format(i=i + 1), name)
            records.append([cells.get(c, "") if c in cells else _cell(row.get(c)) for c in columns])
        else:
            records.append([_cell(row.get(c)) for c in columns])
    out: list[int] = []
    line = 2
    with atomic_open(path, "w", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(columns)
        buf = io.StringIO()
        buf_writer = csv.writer(buf, lineterminator="\n")
        for rec in records:
            buf.seek(0)
            buf.truncate()
            buf_writer.writerow(rec)
            chunk = buf.getvalue()
            fh.write(chunk)
            out.append(line)
            line += chunk.count("\n")
    return out
