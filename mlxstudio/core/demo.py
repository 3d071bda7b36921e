"""The seed demo, headless: demo model + the five seed pairs → LoRA training → fuse → base vs tuned answers.

This is what ``make demo`` / ``mlxstudio-cli demo`` runs. It reproduces the tutorial MLX Studio replaces
(``mlx_lm.lora`` → ``mlx_lm.fuse`` → two ``mlx_lm.generate`` calls compared by eye) with the app's own engine, and
prints a table a person can read: prompt, expected answer, base answer, tuned answer, with timings and tokens/s.
"""

from __future__ import annotations

import json
import shutil
import time
import unicodedata
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from mlxstudio.core import errors, paths
from mlxstudio.core import events as ev
from mlxstudio.core.events import CancelCheck, is_cancelled
from mlxstudio.core.i18n import _
from mlxstudio.core.inference.evaluate import contains_match, exact_match
from mlxstudio.core.inference.generate import Generator

SEED_RESOURCE = "sample/seed_train.jsonl"
DEMO_RUN_NAME = "seed-demo"
FUSED_SUFFIX = "-seed-demo"

# The settings that make the seed pairs stick on the 135M demo model (FACTS.md: loss ~0 by iteration 20).
DEMO_TRAINING: dict[str, Any] = {
    "learning_rate": 2e-4,
    "rank": 8,
    "num_layers": 16,
    "batch_size": 4,
    "mask_prompt": True,
    "iters": 60,
    "steps_per_report": 5,
    "steps_per_eval": 0,
    "save_every": 0,
    "seed": 0,
}


def seed_rows() -> list[dict[str, str]]:
    """The five seed prompt/completion pairs shipped with the app (``mlxstudio/resources/sample``)."""
    text = resources.files("mlxstudio.resources").joinpath(SEED_RESOURCE).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@dataclass
class DemoRow:
    """One seed prompt: the expected answer and both models' answers."""

    prompt: str
    expected: str
    base: str
    tuned: str

    @property
    def tuned_ok(self) -> bool:
        return contains_match(self.tuned, self.expected)

    @property
    def base_ok(self) -> bool:
        return contains_match(self.base, self.expected)

    @property
    def tuned_exact(self) -> bool:
        return exact_match(self.tuned, self.expected)


@dataclass
class DemoResult:
    """Everything the demo measured. Timings in seconds."""

    rows: list[DemoRow] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    base_tokens_per_second: float = 0.0
    tuned_tokens_per_second: float = 0.0
    train_tokens_per_second: float = 0.0
    iterations: int = 0
    final_loss: float | None = None
    model_path: str = ""
    adapter_path: str = ""
    fused_path: str = ""

    def summary_line(self) -> str:
        n = len(self.rows)
        return _("tuned model right on {tuned}/{n} ({exact}/{n} exact), base model on {base}/{n}").format(
            tuned=sum(r.tuned_ok for r in self.rows), exact=sum(r.tuned_exact for r in self.rows),
            base=sum(r.base_ok for r in self.rows), n=n)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["summary"] = self.summary_line()
        return data


def _answers(gen: Generator, rows: list[dict[str, str]], max_tokens: int, cancel: CancelCheck,
             sink: ev.Sink, source: str) -> tuple[list[str], float]:
    out: list[str] = []
    tokens, seconds = 0, 0.0
    for i, row in enumerate(rows):
        sink(ev.Progress(job="demo", done=i, total=len(rows), unit="prompt", message=f"{source}: {row['prompt']}"))
        out.append(gen.generate(row["prompt"], max_tokens=max_tokens, cancel=cancel).strip())
        st = gen.last_stats
        if st.finish_reason == "cancelled":
            raise errors.Cancelled(_("demo stopped"))
        tokens += st.generation_tokens
        seconds += st.generation_tokens / st.tokens_per_second if st.tokens_per_second else 0.0
    return out, (tokens / seconds if seconds else 0.0)


def run_demo(model: str | Path | None = None, iters: int | None = None, max_tokens: int = 32,
             sink: ev.Sink = ev.null_sink, cancel: CancelCheck = None, work_dir: Path | None = None) -> DemoResult:
    """Run the whole seed demo and return what it measured (see the module docstring).

    ``model``: a model folder/library name (default: install the embedded demo model). The adapter goes to
    ``<runs>/seed-demo`` and the fused model into the library as ``<model>-seed-demo`` (or both into ``work_dir``).
    """
    from mlxstudio.core.inference.fuse import fuse_adapter

    try:
        from mlxstudio.core.training.config import TrainConfig
        from mlxstudio.core.training.engine import run_training
    except ImportError as exc:  # pragma: no cover - only while the training engine is being built
        raise errors.UserError(_("the training engine is not available in this build ({exc})").format(exc=exc)) from exc

    result = DemoResult()
    rows = seed_rows()
    tic = time.perf_counter()
    if model is None:
        from mlxstudio.core.models.demo_model import install_demo_model

        sink(ev.Log(_("installing the demo model (SmolLM2-135M-Instruct, 4-bit) into the library")))
        model_path = Path(install_demo_model(sink=sink, cancel=lambda: is_cancelled(cancel)))
    else:
        from mlxstudio.core.models.library import resolve_model_path

        model_path = resolve_model_path(model)
    result.model_path = str(model_path)
    base = Generator(model_path)
    result.timings["load"] = time.perf_counter() - tic

    tic = time.perf_counter()
    sink(ev.Log(_("base model answers the seed prompts")))
    base_answers, result.base_tokens_per_second = _answers(base, rows, max_tokens, cancel, sink, "base")
    gen_time = time.perf_counter() - tic
    del base

    if is_cancelled(cancel):
        raise errors.Cancelled(_("demo stopped"))
    root = Path(work_dir) if work_dir else None
    run_dir = (root / "adapter") if root else paths.runs_dir() / DEMO_RUN_NAME
    shutil.rmtree(run_dir, ignore_errors=True)
    settings = dict(DEMO_TRAINING)
    if iters is not None:
        settings["iters"] = int(iters)
    config = TrainConfig(**settings)
    sink(ev.Log(_("training a LoRA adapter on the {n} seed pairs: {iters} iterations, rank "
                  "{rank}, {num_layers} layers, learning rate {learning_rate:g}, "
                  "batch {batch_size}").format(
                      n=len(rows), iters=config.iters, rank=config.rank, num_layers=config.num_layers,
                      learning_rate=config.learning_rate, batch_size=config.batch_size)))

    def train_sink(event: ev.Event) -> None:
        if not isinstance(event, ev.Finished | ev.Cancelled):  # the demo emits its own final event
            sink(event)

    tic = time.perf_counter()
    # train on all five pairs and validate on them too, as the tutorial does
    info = run_training(model_path, {"train": rows, "valid": rows}, run_dir, config, sink=train_sink, cancel=cancel)
    result.timings["train"] = time.perf_counter() - tic
    result.adapter_path = str(run_dir)
    result.iterations = int(info.get("iterations") or config.iters)
    result.final_loss = info.get("train_loss")
    result.train_tokens_per_second = float(info.get("tokens_per_second") or 0.0)

    tic = time.perf_counter()
    fused_name = f"{model_path.name}{FUSED_SUFFIX}"
    if root:
        fused = fuse_adapter(model_path, run_dir, root / fused_name, sink=sink, cancel=cancel)
    else:
        fused = fuse_adapter(model_path, run_dir, name=fused_name, sink=sink, cancel=cancel)
    result.fused_path = str(fused)
    result.timings["fuse"] = time.perf_counter() - tic

    tic = time.perf_counter()
    tuned = Generator(fused)
    result.timings["load"] += tuned.load_time
    sink(ev.Log(_("fused model answers the seed prompts")))
    tuned_answers, result.tuned_tokens_per_second = _answers(tuned, rows, max_tokens, cancel, sink, "tuned")
    result.timings["generate"] = gen_time + time.perf_counter() - tic - tuned.load_time
    result.rows = [DemoRow(r["prompt"], r["completion"], b, t) for r, b, t in zip(rows, base_answers, tuned_answers,
                                                                                   strict=True)]
    result.timings["total"] = sum(result.timings[k] for k in ("load", "train", "fuse", "generate"))
    return result


# -- the table ---------------------------------------------------------------------------------------------------
def char_width(ch: str) -> int:
    """Terminal cells taken by ``ch``: 2 for wide/full-width (CJK), 0 for combining marks, else 1."""
    if unicodedata.combining(ch) or unicodedata.category(ch) in {"Mn", "Me", "Cf"}:
        return 0
    return 2 if unicodedata.east_asian_width(ch) in {"W", "F"} else 1


def display_width(text: str) -> int:
    """Terminal cells taken by ``text``."""
    return sum(char_width(c) for c in text)


def _chunks(text: str) -> list[str]:
    """Words of Latin text, single wide (CJK) characters, and single spaces: the units :func:`wrap_cell` keeps."""
    out: list[str] = []
    word = ""
    for ch in text:
        if ch == " " or char_width(ch) == 2:
            if word:
                out.append(word)
                word = ""
            out.append(ch)
        else:
            word += ch
    if word:
        out.append(word)
    return out


def wrap_cell(text: str, width: int, max_lines: int = 3) -> list[str]:
    """Split ``text`` into lines of at most ``width`` cells (CJK counts 2), breaking between words or CJK
    characters (a word longer than a line is cut); at most ``max_lines`` lines, the last ending in "…" if cut."""
    lines: list[str] = []
    current = ""
    for chunk in _chunks(" ".join(text.split())):
        if display_width(current) + display_width(chunk) <= width:
            current += chunk
            continue
        if chunk == " ":
            lines.append(current)
            current = ""
            continue
        if current.strip():
            lines.append(current.rstrip())
            current = ""
        while display_width(chunk) > width:  # a word longer than the column
            cut = ""
            for ch in chunk:
                if display_width(cut) + char_width(ch) > width:
                    break
                cut += ch
            lines.append(cut)
            chunk = chunk[len(cut):]
        current = chunk
    if current.strip() or not lines:
        lines.append(current.rstrip())
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and display_width(last) + 1 > width:
            last = last[:-1]
        lines[-1] = last + "…"
    return lines


def pad(text: str, width: int) -> str:
    """``text`` padded with spaces to ``width`` terminal cells."""
    return text + " " * max(0, width - display_width(text))


def format_table(headers: list[str], rows: list[list[str]], max_width: int = 100) -> str:
    """A box-drawn table whose columns line up on a terminal, CJK included; long cells wrap."""
    n = len(headers)
    natural = [max([display_width(headers[i])] + [display_width(" ".join(r[i].split())) for r in rows])
               for i in range(n)]
    budget = max(max_width - (3 * n + 1), 4 * n)
    widths = list(natural)
    while sum(widths) > budget:  # shrink the widest column until it fits
        j = max(range(n), key=lambda k: widths[k])
        widths[j] -= 1
    widths = [max(w, 2) for w in widths]

    def rule(left: str, mid: str, right: str) -> str:
        return left + mid.join("─" * (w + 2) for w in widths) + right

    def line(cells: list[list[str]]) -> list[str]:
        height = max(len(c) for c in cells)
        out = []
        for k in range(height):
            parts = [pad(c[k] if k < len(c) else "", widths[i]) for i, c in enumerate(cells)]
            out.append("│ " + " │ ".join(parts) + " │")
        return out

    lines = [rule("┌", "┬", "┐")]
    lines += line([wrap_cell(h, widths[i]) for i, h in enumerate(headers)])
    lines.append(rule("├", "┼", "┤"))
    for r_i, row in enumerate(rows):
        lines += line([wrap_cell(cell, widths[i]) for i, cell in enumerate(row)])
        if r_i < len(rows) - 1:
            lines.append(rule("├", "┼", "┤"))
    lines.append(rule("└", "┴", "┘"))
    return "\n".join(lines)


def format_result(result: DemoResult, max_width: int = 100) -> str:
    """The demo's report: the answers table, the summary line, timings and speeds."""
    table = format_table(
        [_("prompt"), _("expected"), _("base answer"), _("tuned answer"), ""],
        [[r.prompt, r.expected, r.base or _("(empty)"), r.tuned or _("(empty)"), "✓" if r.tuned_ok else "✗"]
         for r in result.rows],
        max_width=max_width)
    t = result.timings
    loss = _(", final loss {loss:.3f}").format(loss=result.final_loss) if result.final_loss is not None else ""
    lines = [
        table,
        result.summary_line(),
        _("time: load {load:.1f} s · train {train:.1f} s ({iters} it{loss}) · fuse {fuse:.1f} s · generate "
          "{generate:.1f} s · total {total:.1f} s").format(
              load=t.get("load", 0), train=t.get("train", 0), iters=result.iterations, loss=loss,
              fuse=t.get("fuse", 0), generate=t.get("generate", 0), total=t.get("total", 0)),
        _("speed: training {train:.0f} tok/s · generation base {base:.1f} tok/s, tuned {tuned:.1f} tok/s").format(
            train=result.train_tokens_per_second, base=result.base_tokens_per_second,
            tuned=result.tuned_tokens_per_second),
        _("fused model: {path}").format(path=result.fused_path),
    ]
    return "\n".join(lines)


def demo_job(params: dict[str, Any], sink: ev.Sink, cancel: Any) -> dict[str, Any]:
    """Worker job "demo": :func:`run_demo` with ``params`` (``iters``, ``max_tokens``) → :meth:`DemoResult.to_dict`."""
    result = run_demo(params.get("model"), iters=params.get("iters"), max_tokens=int(params.get("max_tokens", 32)),
                      sink=sink, cancel=cancel)
    out = result.to_dict()
    out["message"] = result.summary_line()
    return out
