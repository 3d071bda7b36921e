"""Rows to and from spreadsheets: tab-separated text on the clipboard (cells with tabs/line breaks quoted, as Excel,
Numbers and LibreOffice do)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence


def to_tsv(records: Sequence[Sequence[str]]) -> str:
    """Cells → TSV text."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    for rec in records:
        writer.writerow(list(rec))
    return buf.getvalue()


def from_tsv(text: str) -> list[list[str]]:
    """TSV text → cells (quoted cells may hold line breaks); blank lines are dropped."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter="\t", strict=False))
    except csv.Error:
        records = [line.split("\t") for line in text.split("\n")]
    return [r for r in records if any(c.strip() for c in r)]


def strip_header(records: list[list[str]], columns: Sequence[str]) -> list[list[str]]:
    """Drop a first record that is just the column names (copied together with the header)."""
    if records and [c.strip().lower() for c in records[0]][: len(columns)] == [c.lower() for c in columns]:
        return records[1:]
    return records
