"""The Qt-free dataset object and its editing operations (what the Data page's grid and undo commands call).

A :class:`Dataset` keeps the rows exactly as mlx-lm reads them (``{"prompt", "completion"}``, ``{"messages": [...]}``,
``{"text"}``) plus the file line each row came from, so problems can be reported as ``file:line``.
Grid columns: completion → prompt, completion; chat → system, user, assistant; text → text.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlxstudio.core.data.fileio import CSV_COLUMNS, FORMATS
from mlxstudio.core.data.shapes import Conversion

COLUMNS: dict[str, tuple[str, ...]] = dict(CSV_COLUMNS)
"""The grid's columns per format."""


def new_row(fmt: str) -> dict[str, Any]:
    """An empty row of format ``fmt`` (the template a new row starts from)."""
    if fmt == "chat":
        return {"messages": [{"role": "user", "content": ""}, {"role": "assistant", "content": ""}]}
    if fmt == "text":
        return {"text": ""}
    return {"prompt": "", "completion": ""}


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False)


@dataclass
class Dataset:
    """Rows of one format, where they came from, and editing operations that keep rows and lines in step."""

    format: str
    rows: list[dict[str, Any]]
    path: Path | None = None
    lines: list[int | None] = field(default_factory=list)
    blank_lines: int = 0
    conversion: Conversion | None = None
    """Set when the rows were converted from another shape (Alpaca, ShareGPT…): then ``path`` is the original file,
    which saving must not overwrite (save to a new .jsonl instead)."""

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise ValueError(f"unknown dataset format {self.format!r}; use one of {', '.join(FORMATS)}")
        if len(self.lines) != len(self.rows):
            self.lines = [None] * len(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def name(self) -> str:
        """The file name for messages ("untitled" for a new dataset)."""
        return self.path.name if self.path else "untitled"

    @property
    def columns(self) -> tuple[str, ...]:
        """The grid columns of this dataset's format."""
        return COLUMNS[self.format]

    # -- reading cells ---------------------------------------------------------------------------------------------
    def cell(self, index: int, column: str) -> str:
        """The text of one grid cell (non-text values are shown as JSON so they can be fixed)."""
        row = self.rows[index]
        if self.format != "chat":
            return _as_text(row.get(column))
        msgs = row.get("messages")
        if not isinstance(msgs, list):
            return _as_text(msgs) if column == "user" else ""
        pos = self._chat_pos(msgs, column)
        return _as_text(msgs[pos].get("content")) if pos is not None else ""

    def is_multi_turn(self, index: int) -> bool:
        """True for a chat row that does not fit in one system/user/assistant line (edit it in the side editor)."""
        if self.format != "chat":
            return False
        msgs = self.rows[index].get("messages")
        if not isinstance(msgs, list):
            return False
        roles = [m.get("role") for m in msgs if isinstance(m, dict)]
        return len(roles) != len(msgs) or roles.count("user") > 1 or roles.count("assistant") > 1 \
            or roles.count("system") > 1 or any(r not in ("system", "user", "assistant") for r in roles)

    @staticmethod
    def _chat_pos(msgs: list[Any], column: str) -> int | None:
        positions = [i for i, m in enumerate(msgs) if isinstance(m, dict) and m.get("role") == column]
        if not positions:
            return None
        return positions[-1] if column == "assistant" else positions[0]

    def get_row(self, index: int) -> dict[str, Any]:
        """A deep copy of a row (for undo snapshots)."""
        return copy.deepcopy(self.rows[index])

    # -- editing ---------------------------------------------------------------------------------------------------
    def set_cell(self, index: int, column: str, value: str) -> None:
        """Set one grid cell. For chat rows, edits the first system/user or the last assistant message (an empty
        system cell removes the system message)."""
        if column not in self.columns:
            raise KeyError(f"no column {column!r} in a {self.format} dataset")
        row = self.rows[index]
        if self.format != "chat":
            row[column] = value
            return
        msgs = row.get("messages")
        if not isinstance(msgs, list):
            msgs = []
            row["messages"] = msgs
        pos = self._chat_pos(msgs, column)
        if pos is not None:
            if column == "system" and not value:
                del msgs[pos]
            else:
                msgs[pos]["content"] = value
            return
        if column == "system":
            if value:
                msgs.insert(0, {"role": "system", "content": value})
        elif column == "user":
            at = 1 if msgs and isinstance(msgs[0], dict) and msgs[0].get("role") == "system" else 0
            msgs.insert(at, {"role": "user", "content": value})
        else:
            msgs.append({"role": "assistant", "content": value})

    def replace_row(self, index: int, row: dict[str, Any]) -> None:
        """Replace a whole row (keeps its line)."""
        self.rows[index] = row

    def insert_rows(self, index: int, rows: Iterable[dict[str, Any]],
                    lines: Sequence[int | None] | None = None) -> int:
        """Insert rows before ``index`` (``len(self)`` appends). Returns how many were inserted."""
        new = list(rows)
        new_lines = list(lines) if lines is not None else [None] * len(new)
        self.rows[index:index] = new
        self.lines[index:index] = new_lines
        return len(new)

    def remove_rows(self, indices: Iterable[int]) -> list[tuple[int, dict[str, Any], int | None]]:
        """Remove rows; returns ``(index, row, line)`` in ascending order (pass to :meth:`restore_rows` to undo)."""
        wanted = sorted(set(indices))
        removed = [(i, self.rows[i], self.lines[i]) for i in wanted]
        for i in reversed(wanted):
            del self.rows[i]
            del self.lines[i]
        return removed

    def restore_rows(self, removed: Sequence[tuple[int, dict[str, Any], int | None]]) -> None:
        """Put back rows removed by :meth:`remove_rows`, at their old positions."""
        for i, row, line in sorted(removed, key=lambda t: t[0]):
            self.rows.insert(i, row)
            self.lines.insert(i, line)

    def move_rows(self, start: int, count: int, dest: int) -> None:
        """Move the block ``[start, start+count)`` so that its first row ends up at index ``dest``."""
        if count <= 0 or start < 0 or start + count > len(self.rows):
            raise IndexError("rows to move are out of range")
        if dest < 0 or dest + count > len(self.rows):
            raise IndexError("destination is out of range")
        block_rows = self.rows[start:start + count]
        block_lines = self.lines[start:start + count]
        del self.rows[start:start + count]
        del self.lines[start:start + count]
        self.rows[dest:dest] = block_rows
        self.lines[dest:dest] = block_lines

    def duplicate_rows(self, indices: Iterable[int]) -> list[int]:
        """Insert a copy of each row right after the last selected row; returns the new rows' indices."""
        wanted = sorted(set(indices))
        if not wanted:
            return []
        at = wanted[-1] + 1
        self.insert_rows(at, [copy.deepcopy(self.rows[i]) for i in wanted])
        return list(range(at, at + len(wanted)))

    def append_new(self) -> int:
        """Append an empty row (template of the format); returns its index."""
        self.insert_rows(len(self.rows), [new_row(self.format)])
        return len(self.rows) - 1

    def copy(self) -> Dataset:
        """A deep copy (rows, lines, path, and the conversion: a copy of converted rows must not overwrite their
        original file either)."""
        return Dataset(self.format, copy.deepcopy(self.rows), self.path, list(self.lines), self.blank_lines,
                       self.conversion)
