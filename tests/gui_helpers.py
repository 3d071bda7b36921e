"""Helpers shared by the GUI tests (the fixtures they share, ``no_dangling_jobs`` and ``no_dangling_workers``, are
in conftest.py): screenshots for looking at, canned answers to questions, and whether a process still runs."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

ROOT = Path(__file__).resolve().parents[1]


def shot(widget: QWidget, name: str) -> None:
    """Save ``screenshots/<name>.png`` when MLXSTUDIO_SCREENSHOTS=1 (for looking at, not for asserting), after
    letting deferred layout happen (column sizes, the token view) as a person would see the window."""
    if not os.environ.get("MLXSTUDIO_SCREENSHOTS"):
        return
    for _ in range(20):
        QApplication.processEvents()
        threading.Event().wait(0.02)
    out = ROOT / "screenshots"
    out.mkdir(exist_ok=True)
    widget.grab().save(str(out / f"{name}.png"))


def answer(monkeypatch: pytest.MonkeyPatch, button: QMessageBox.StandardButton) -> list[str]:
    """Make ``QMessageBox.question`` answer ``button`` at once; returns the questions asked (their texts)."""
    asked: list[str] = []

    def question(*args: object, **kwargs: object) -> QMessageBox.StandardButton:
        asked.append(str(args[2]) if len(args) > 2 else str(kwargs.get("text", "")))
        return button

    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    return asked


def pid_alive(pid: int | None) -> bool:
    """Whether process ``pid`` still runs (a zombie counts as ended; None/0 as no process)."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False
