"""The run's reasoning setting, decided once at the start and told to the person (see :mod:`core.data.thinking`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mlxstudio.core import events as ev
from mlxstudio.core.data.thinking import DIRECT, KEEP, resolve_reasoning, row_has_reasoning
from mlxstudio.core.i18n import _
from mlxstudio.core.training.config import ConfigError


def reasoning_setting(mode: str, tokenizer: Any, rows: Sequence[dict[str, Any]],
                      sink: ev.Sink = ev.null_sink) -> str | None:
    """``direct`` / ``keep`` for a chat template with a thinking switch (logged: what is trained and how the tuned
    model will be asked), None for other templates (the rows are rendered as they are)."""
    try:
        reasoning = resolve_reasoning(mode, tokenizer, rows)
    except ValueError as exc:
        raise ConfigError(str(exc), key="reasoning") from None
    if reasoning == DIRECT:
        dropped = sum(row_has_reasoning(r) for r in rows)
        note = " " + _("The reasoning of {dropped} row(s) is left out.").format(dropped=dropped) if dropped else ""
        sink(ev.Log(_("Reasoning: answer directly — the chat template has a thinking block; the answers are trained "
                      "after an empty one, and the tuned model is asked with thinking off.") + note))
    elif reasoning == KEEP:
        with_reasoning = sum(row_has_reasoning(r) for r in rows)
        sink(ev.Log(_("Reasoning: keep the reasoning in the data — {with_reasoning} of {n} row(s) have "
                      "reasoning, trained inside the think block; the tuned model is asked with thinking on.").format(
                          with_reasoning=with_reasoning, n=len(rows))))
    return reasoning
