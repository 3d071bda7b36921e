"""Thinking models at inference: the answer apart from its reasoning, and the thinking setting a model was tuned for.

:class:`ThinkSplitter` takes streamed text piece by piece and keeps ``reasoning`` (inside ``<think>…</think>``) apart
from ``answer`` (everything else), so no raw think tag reaches a pane, the command line or a score. It handles

- a prompt that already ended with ``<think>`` (``opened=True``; e.g. DeepSeek-R1 or Qwen3-Thinking templates): the
  text starts inside the block; a ``</think>`` without any opening tag also means that (what came before it is
  moved to the reasoning);
- an unfinished block (generation stopped inside it): everything so far is reasoning, ``unfinished`` is True;
- a tag cut across two pieces (held back until the next piece says what it is).

:func:`tuned_thinking` reads the reasoning setting a run trained with (``adapter_config.json`` of the adapter, or
``mlxstudio.json`` of a fused model) and gives the ``enable_thinking`` that every place asks the model with.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlxstudio.core.data.thinking import EMPTY_THINK as EMPTY_THINK
from mlxstudio.core.data.thinking import THINKING_OFF_DEFAULT as THINKING_OFF_DEFAULT
from mlxstudio.core.data.thinking import template_for as template_for
from mlxstudio.core.data.thinking import thinking_for
from mlxstudio.core.data.thinking import write_trained_default as write_trained_default

OPEN, CLOSE = "<think>", "</think>"


@dataclass
class ThinkSplitter:
    """Incremental split of generated text into reasoning and answer (see the module docstring)."""

    opened: bool = False  # the prompt ended inside a think block

    def __post_init__(self) -> None:
        self._reasoning: list[str] = []
        self._answer: list[str] = []
        self._pending = ""           # a possible partial tag at the end of the text so far
        self._inside = self.opened
        self._closed = False         # a think block ended
        self.seen_tags = self.opened

    # -- feeding ---------------------------------------------------------------------------------------------
    def feed(self, piece: str) -> ThinkSplitter:
        """Add the next piece of generated text; returns self."""
        text = self._pending + piece
        self._pending = ""
        while text:
            tag = CLOSE if self._inside else OPEN
            at = text.find(tag)
            other = text.find(CLOSE) if not self._inside else -1
            if not self._inside and other != -1 and (at == -1 or other < at) and not self._closed:
                # a closing tag without an opening one: the prompt opened the block; what came before is reasoning
                self._reasoning, self._answer = [*self._answer, text[:other]], []
                text = text[other + len(CLOSE):]
                self._closed, self.seen_tags = True, True
                continue
            if at == -1:
                keep = _partial_tag_len(text)
                self._out(text[:len(text) - keep])
                self._pending = text[len(text) - keep:]
                return self
            self._out(text[:at])
            text = text[at + len(tag):]
            self.seen_tags = True
            if self._inside:
                self._closed = True
            self._inside = not self._inside
        return self

    def _out(self, text: str) -> None:
        if text:
            (self._reasoning if self._inside else self._answer).append(text)

    def finish(self) -> ThinkSplitter:
        """The stream ended: a held-back partial tag is text after all."""
        if self._pending:
            self._out(self._pending)
            self._pending = ""
        return self

    # -- results ---------------------------------------------------------------------------------------------
    @property
    def reasoning(self) -> str:
        """The reasoning so far, without its tags and the blank lines around it."""
        return "".join(self._reasoning).strip()

    @property
    def answer(self) -> str:
        """The answer so far (the blank lines the template puts after ``</think>`` removed)."""
        return "".join(self._answer).lstrip("\n").rstrip() if self.seen_tags else "".join(self._answer)

    @property
    def thinking(self) -> bool:
        """True while the text is inside a think block."""
        return self._inside

    @property
    def unfinished(self) -> bool:
        """True when the text stopped inside a think block (no answer yet)."""
        return self._inside


def _partial_tag_len(text: str) -> int:
    """Length of the longest end of ``text`` that is the start of a think tag."""
    for n in range(min(len(text), len(CLOSE) - 1), 0, -1):
        end = text[-n:]
        if OPEN.startswith(end) or CLOSE.startswith(end):
            return n
    return 0


def split_thinking(text: str, opened: bool = False) -> tuple[str, str]:
    """(reasoning, answer) of a whole generated text."""
    s = ThinkSplitter(opened).feed(text).finish()
    return s.reasoning, s.answer


def answer_only(text: str, opened: bool = False) -> str:
    """The answer of a generated text without its think block (what is shown and scored)."""
    return split_thinking(text, opened)[1]


def prompt_opens_thinking(prompt_text: str) -> bool:
    """Whether a rendered generation prompt ends inside a think block (its last tag is an opening ``<think>``)."""
    tail = prompt_text.rstrip()
    return tail.endswith(OPEN) or tail.rfind(OPEN) > tail.rfind(CLOSE)


# -- the setting a model was tuned for ---------------------------------------------------------------------------
def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def trained_reasoning(model_dir: str | Path | None = None, adapter_path: str | Path | None = None) -> str | None:
    """The reasoning setting ("direct" / "keep") the adapter — or the fused model — was trained with, if recorded."""
    for folder, name in ((adapter_path, "adapter_config.json"), (model_dir, "mlxstudio.json")):
        if folder:
            value = _read(Path(folder) / name).get("reasoning")
            if value in ("direct", "keep"):
                return str(value)
    return None


def tuned_thinking(model_dir: str | Path | None = None, adapter_path: str | Path | None = None,
                   supports: bool = True) -> bool | None:
    """The ``enable_thinking`` a model is asked with by default, the same in the window, the CLI, evaluation, serve
    and exports: the run's recorded setting (``keep`` → on, ``direct`` → off); off when nothing is recorded (the
    app's default is to answer directly); None when the template has no thinking switch (``supports`` False)."""
    if not supports:
        return None
    recorded = thinking_for(trained_reasoning(model_dir, adapter_path))
    return False if recorded is None else recorded


# -- the trained setting in exported folders: :func:`.thinking.write_trained_default` (fuse, full fine-tunes)


def describe(reasoning: str | None) -> str:
    """One line for a model card / Modelfile: which mode was trained and how the model is asked."""
    if reasoning == "direct":
        return ("trained to answer directly: asked with thinking off (enable_thinking=False; the prompt ends with "
                "an empty think block), which is this folder's template default")
    if reasoning == "keep":
        return ("trained with the reasoning in its data: asked with thinking on; it writes <think>…</think> "
                "before the answer")
    return ""
