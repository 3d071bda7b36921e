"""Batch evaluation: for every row, the base model's answer vs the tuned model's answer vs the expected one.

Scores (per answer):

- **exact**: the answer equals the expected text after :func:`normalize`.
- **contains**: the normalised expected text occurs in the normalised answer (a chatty "The answer is 耳鼻喉科."
  still counts).

:func:`normalize` makes the comparison forgiving in the ways that do not change meaning: Unicode NFKC (full-width
"，" and "Ａ" become "," and "A"), case folding, every punctuation and symbol character removed (Unicode categories
P* and S*: "耳鼻喉科。" equals "耳鼻喉科"), runs of whitespace turned into one space, leading/trailing space removed.

A row is flagged **worse** when the tuned answer scores lower than the base answer (exact beats contains beats
nothing). :meth:`EvalResult.summary_line` gives e.g. "tuned 5/5 exact, base 0/5 exact".
"""

from __future__ import annotations

import csv
import difflib
import json
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlxstudio.core import errors, fsutil
from mlxstudio.core import events as ev
from mlxstudio.core.events import CancelCheck, is_cancelled
from mlxstudio.core.i18n import _
from mlxstudio.core.inference.generate import Generator
from mlxstudio.core.inference.reasoning import answer_only, split_thinking

if TYPE_CHECKING:
    from mlxstudio.core.data.dataset import Dataset

Prompt = str | list[dict[str, str]]


def normalize(text: str) -> str:
    """The text as compared by the scores (see the module docstring for the rules)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    kept = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat[0] in "PS":
            continue
        if ch.isspace() or cat[0] in "C":
            kept.append(" ")
        else:
            kept.append(ch)
    return " ".join("".join(kept).split())


def exact_match(answer: str, expected: str) -> bool:
    """Whether ``answer`` (without a think block: :func:`.reasoning.answer_only`) equals ``expected`` after
    :func:`normalize`."""
    return normalize(answer_only(answer)) == normalize(expected)


def contains_match(answer: str, expected: str) -> bool:
    """Whether the normalised ``expected`` occurs in the normalised ``answer`` without its think block (False for an
    empty expected)."""
    want = normalize(expected)
    return bool(want) and want in normalize(answer_only(answer))


def _score(exact: bool, contains: bool) -> int:
    return 2 if exact else 1 if contains else 0


def diff_segments(a: str, b: str) -> list[tuple[str, str]]:
    """Character-level diff of ``a`` → ``b`` as ``(op, text)`` with op "equal", "delete" (only in a) or "insert"."""
    out: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out.append(("equal", a[i1:i2]))
        else:
            if i2 > i1:
                out.append(("delete", a[i1:i2]))
            if j2 > j1:
                out.append(("insert", b[j1:j2]))
    return out


# -- rows ----------------------------------------------------------------------------------------------------------
@dataclass
class EvalCase:
    """One question: the prompt (text or chat messages before the answer), the expected answer, where it came from."""

    prompt: Prompt
    expected: str
    line: int | None = None

    @property
    def prompt_text(self) -> str:
        """The prompt as one line of text for tables (the last user message for chats)."""
        if isinstance(self.prompt, str):
            return self.prompt
        users = [m.get("content", "") for m in self.prompt if m.get("role") == "user"]
        return users[-1] if users else (self.prompt[-1].get("content", "") if self.prompt else "")


def cases_from_rows(rows: Sequence[dict[str, Any]], path: str | None = None) -> list[EvalCase]:
    """Turn dataset rows into :class:`EvalCase`s.

    ``{"prompt", "completion"}`` rows: the prompt and the completion. ``{"messages": [...]}`` rows: the messages
    before the last assistant message, and that message. Plain ``{"text"}`` rows have no expected answer → DataError.
    """
    cases: list[EvalCase] = []
    for i, row in enumerate(rows):
        line = row.get("_line") if isinstance(row.get("_line"), int) else i + 1
        if "prompt" in row and "completion" in row:
            cases.append(EvalCase(str(row["prompt"]), str(row["completion"]), line))
        elif isinstance(row.get("messages"), list):
            msgs = [m for m in row["messages"] if isinstance(m, dict)]
            last = max((j for j, m in enumerate(msgs) if m.get("role") == "assistant"), default=None)
            if last is None or last == 0:
                raise errors.DataError(_("a chat row needs a user message followed by an assistant answer to compare "
                                         "with"), path, line)
            prompt = [{"role": str(m.get("role")), "content": str(m.get("content", ""))} for m in msgs[:last]]
            cases.append(EvalCase(prompt, str(msgs[last].get("content", "")), line))
        elif "text" in row:
            raise errors.DataError(_("plain-text rows have no expected answer — evaluation needs prompt/completion or "
                                     "chat rows"), path, line)
        else:
            raise errors.DataError(_('row has neither "prompt"/"completion" nor "messages"'), path, line)
    return cases


def load_cases(path: str | Path) -> list[EvalCase]:
    """Evaluation cases from a JSONL/CSV file, or from a folder's ``test.jsonl`` (else ``valid.jsonl``)."""
    p = Path(path)
    if p.is_dir():
        for name in ("test.jsonl", "valid.jsonl", "train.jsonl"):
            if (p / name).is_file():
                p = p / name
                break
        else:
            raise errors.DataError(_("no test.jsonl (or valid.jsonl) in this folder"), str(path))
    load_dataset: Callable[[str | Path], Dataset] | None
    try:
        from mlxstudio.core.data.dataset import load_dataset
    except ImportError:
        load_dataset = None
    if load_dataset is not None:
        ds = load_dataset(p)
        return cases_from_rows(ds.rows, str(p))
    rows: list[dict[str, Any]] = []
    try:
        lines = p.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise errors.DataError(_("cannot read the file ({exc})").format(exc=exc), str(p)) from exc
    for n, text in enumerate(lines, 1):
        if not text.strip():
            continue
        try:
            row = json.loads(text)
        except ValueError as exc:
            raise errors.DataError(_("not valid JSON ({args})").format(args=exc.args[0]), str(p), n) from exc
        if not isinstance(row, dict):
            raise errors.DataError(_("each line must be a JSON object"), str(p), n)
        rows.append({**row, "_line": n})
    return cases_from_rows(rows, str(p))


# -- results -------------------------------------------------------------------------------------------------------
@dataclass
class EvalRow:
    """The outcome of one case. ``base`` is None when the base model was not asked."""

    index: int
    prompt: str
    expected: str
    tuned: str
    base: str | None = None
    tuned_exact: bool = False
    tuned_contains: bool = False
    base_exact: bool | None = None
    base_contains: bool | None = None
    worse: bool = False
    tuned_tokens_per_second: float = 0.0
    base_tokens_per_second: float = 0.0
    tuned_reasoning: str = ""          # the think block of the answer (not scored; the table shows it on demand)
    base_reasoning: str | None = None

    @classmethod
    def score(cls, index: int, prompt: str, expected: str, tuned: str, base: str | None = None) -> EvalRow:
        """Build a row and compute its scores and the worse-than-base flag."""
        row = cls(index=index, prompt=prompt, expected=expected, tuned=tuned, base=base,
                  tuned_exact=exact_match(tuned, expected), tuned_contains=contains_match(tuned, expected))
        if base is not None:
            row.base_exact = exact_match(base, expected)
            row.base_contains = contains_match(base, expected)
            row.worse = (_score(row.tuned_exact, row.tuned_contains)
                         < _score(bool(row.base_exact), bool(row.base_contains)))
        return row

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class EvalResult:
    """All rows of an evaluation and what produced them."""

    rows: list[EvalRow] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    elapsed: float = 0.0

    def summary(self) -> dict[str, Any]:
        """Counts: rows, tuned/base exact and contains, rows where tuned is worse than base."""
        with_base = [r for r in self.rows if r.base is not None]
        return {
            "rows": len(self.rows),
            "tuned_exact": sum(r.tuned_exact for r in self.rows),
            "tuned_contains": sum(r.tuned_contains for r in self.rows),
            "base_rows": len(with_base),
            "base_exact": sum(bool(r.base_exact) for r in with_base),
            "base_contains": sum(bool(r.base_contains) for r in with_base),
            "worse": sum(r.worse for r in self.rows),
        }

    def summary_line(self) -> str:
        """E.g. "tuned 5/5 exact, base 0/5 exact · contains: tuned 5/5, base 0/5 · 0 worse than base"."""
        s = self.summary()
        n = s["rows"]
        if not s["base_rows"]:
            return f"tuned {s['tuned_exact']}/{n} exact · contains {s['tuned_contains']}/{n}"
        return (f"tuned {s['tuned_exact']}/{n} exact, base {s['base_exact']}/{s['base_rows']} exact · contains: "
                f"tuned {s['tuned_contains']}/{n}, base {s['base_contains']}/{s['base_rows']} · "
                f"{s['worse']} worse than base")

    def to_dict(self) -> dict[str, Any]:
        return {"summary": self.summary(), "summary_line": self.summary_line(), "settings": self.settings,
                "elapsed": self.elapsed, "rows": [r.to_dict() for r in self.rows]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EvalResult:
        """Rebuild a result from :meth:`to_dict` (e.g. a worker's ``Finished`` result)."""
        names = set(EvalRow.__dataclass_fields__)
        rows = [EvalRow(**{k: v for k, v in r.items() if k in names}) for r in data.get("rows", [])]
        return cls(rows=rows, settings=dict(data.get("settings", {})), elapsed=float(data.get("elapsed", 0.0)))


CSV_COLUMNS = ("index", "prompt", "expected", "base", "tuned", "base_exact", "base_contains", "tuned_exact",
               "tuned_contains", "worse")


def export_results(result: EvalResult, path: str | Path) -> Path:
    """Write ``result`` to ``path`` atomically: ``.csv`` (UTF-8 with BOM, opens in Excel) or ``.json``."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix == ".json":
        fsutil.atomic_write_json(target, result.to_dict())
    elif suffix == ".csv":
        with fsutil.atomic_open(target, "w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(CSV_COLUMNS)
            for r in result.rows:
                d = r.to_dict()
                writer.writerow(["" if d[c] is None else d[c] for c in CSV_COLUMNS])
    else:
        raise errors.UserError(_("{name}: export as .csv or .json").format(name=target.name))
    return target


# -- running -------------------------------------------------------------------------------------------------------
def evaluate(model: str | Path, cases: Sequence[EvalCase], adapter_path: str | Path | None = None,
             tuned_model: str | Path | None = None, compare_base: bool = True, max_tokens: int = 96,
             system: str | None = None, sink: ev.Sink = ev.null_sink, cancel: CancelCheck = None,
             generators: dict[str, Generator] | None = None, enable_thinking: bool | None = None) -> EvalResult:
    """Answer every case with the tuned model (``model`` + ``adapter_path``, or the fused ``tuned_model``) and,
    when ``compare_base``, with the base ``model``; score the answers without their think block (the reasoning is
    kept in ``tuned_reasoning``/``base_reasoning``). Greedy decoding; both models are asked with ``enable_thinking``
    (None: the setting the tuned model was trained with, :attr:`Generator.default_thinking`).

    Emits ``Progress`` (job "evaluate", unit "row") and one ``EvalRowDone`` per row so a table can fill as it goes.
    Cancel is checked between tokens and rows: raises ``errors.Cancelled``. ``generators`` may pass already-loaded
    ``{"base": ..., "tuned": ...}`` Generators.
    """
    if not cases:
        raise errors.DataError(_("nothing to evaluate: the file has no rows"))
    if adapter_path is None and tuned_model is None:
        raise errors.UserError(_("give an adapter or a fused model to evaluate against the base model"))
    tic = time.perf_counter()
    gens = dict(generators or {})
    total = len(cases)
    sink(ev.Progress(job="evaluate", done=0, total=total, unit="row", message=_("loading the models")))
    if "tuned" not in gens:
        gens["tuned"] = Generator(tuned_model, None) if tuned_model else Generator(model, adapter_path)
    if compare_base and "base" not in gens:
        try:  # the base model's answers from the tuned model's weights with the adapter switched off: one load
            gens["base"] = gens["tuned"].without_adapter() if not tuned_model else Generator(model)
        except ValueError:
            gens["base"] = Generator(model)
    result = EvalResult(settings={
        "model": Path(str(model)).name,
        "adapter": Path(str(adapter_path)).name if adapter_path else None,
        "tuned_model": Path(str(tuned_model)).name if tuned_model else None,
        "max_tokens": max_tokens, "system": system, "decoding": "greedy",
    })
    if enable_thinking is None:
        enable_thinking = gens["tuned"].default_thinking
    if gens["tuned"].supports_thinking:
        result.settings["thinking"] = enable_thinking
    reasoning: dict[str, str] = {}
    for i, case in enumerate(cases):
        if is_cancelled(cancel):
            raise errors.Cancelled(_("evaluation stopped after {i} of {total} rows").format(i=i, total=total))
        answers: dict[str, str] = {}
        tps: dict[str, float] = {}
        for source in ("base", "tuned"):
            gen = gens.get(source)
            if gen is None or (source == "base" and not compare_base):
                continue
            reasoning[source], answers[source] = split_thinking(gen.generate(
                case.prompt, max_tokens=max_tokens, system=system, cancel=cancel, enable_thinking=enable_thinking))
            tps[source] = gen.last_stats.tokens_per_second
            if gen.last_stats.finish_reason == "cancelled":
                raise errors.Cancelled(_("evaluation stopped after {i} of {total} rows").format(i=i, total=total))
        row = EvalRow.score(i, case.prompt_text, case.expected, answers["tuned"], answers.get("base"))
        row.tuned_tokens_per_second = tps.get("tuned", 0.0)
        row.base_tokens_per_second = tps.get("base", 0.0)
        row.tuned_reasoning, row.base_reasoning = reasoning.get("tuned", ""), reasoning.get("base")
        result.rows.append(row)
        sink(ev.EvalRowDone(index=i, total=total, row=row.to_dict()))
        sink(ev.Progress(job="evaluate", done=i + 1, total=total, unit="row", message=case.prompt_text[:40]))
    result.elapsed = time.perf_counter() - tic
    sink(ev.Log(result.summary_line()))
    return result


def evaluate_job(params: dict[str, Any], sink: ev.Sink, cancel: Any) -> dict[str, Any]:
    """Worker job "evaluate".

    ``params``: ``model``, ``adapter_path`` or ``tuned_model``, ``data`` (a file/folder) or ``rows`` (dataset rows),
    ``compare_base`` (default True), ``max_tokens``, ``system``, ``enable_thinking`` (None: as trained),
    ``export`` (optional .csv/.json path).
    Returns :meth:`EvalResult.to_dict` (+ ``export`` path).
    """
    cases = cases_from_rows(params["rows"]) if params.get("rows") is not None else load_cases(params["data"])
    result = evaluate(params["model"], cases, adapter_path=params.get("adapter_path"),
                      tuned_model=params.get("tuned_model"), compare_base=bool(params.get("compare_base", True)),
                      max_tokens=int(params.get("max_tokens", 96)), system=params.get("system") or None,
                      sink=sink, cancel=cancel, enable_thinking=params.get("enable_thinking"))
    out = result.to_dict()
    out["message"] = result.summary_line()
    if params.get("export"):
        out["export"] = str(export_results(result, params["export"]))
    return out
