"""Batch evaluation: scoring rules, rows from the dataset formats, export, and a real run on the tiny model."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from lora_helpers import make_random_adapter

from mlxstudio.core import errors
from mlxstudio.core import events as ev
from mlxstudio.core.inference.evaluate import (
    EvalCase,
    EvalResult,
    EvalRow,
    cases_from_rows,
    contains_match,
    diff_segments,
    evaluate,
    evaluate_job,
    exact_match,
    export_results,
    load_cases,
    normalize,
)
from mlxstudio.core.inference.generate import Generator
from mlxstudio.core.runtime import worker


def test_normalize_and_scores() -> None:
    assert normalize("  耳鼻喉科。 ") == "耳鼻喉科"
    assert normalize("Ｐａｒｉｓ，  France!") == "paris france"
    assert exact_match("耳鼻喉科。", "耳鼻喉科")
    assert exact_match("The capital is PARIS.", "the capital is paris")
    assert not exact_match("建议去耳鼻喉科看看", "耳鼻喉科")
    assert contains_match("建议去耳鼻喉科看看。", "耳鼻喉科")
    assert not contains_match("眼科", "耳鼻喉科")
    assert not contains_match("anything", "")


def test_row_flags_worse_than_base() -> None:
    worse = EvalRow.score(0, "今天星期几", "星期八", tuned="星期一", base="今天是星期八。")
    assert worse.base_contains and not worse.base_exact and not worse.tuned_contains and worse.worse
    better = EvalRow.score(1, "今天星期几", "星期八", tuned="星期八", base="星期一")
    assert better.tuned_exact and not better.worse
    tie = EvalRow.score(2, "x", "y", tuned="z", base="w")
    assert not tie.worse
    result = EvalResult(rows=[worse, better, tie])
    assert result.summary()["worse"] == 1
    assert result.summary_line().startswith("tuned 1/3 exact, base 0/3 exact · contains: tuned 1/3, base 1/3")


def test_cases_from_completion_and_chat_rows(tmp_path: Path) -> None:
    rows = [{"prompt": "今天星期几", "completion": "星期八"},
            {"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "q1"},
                          {"role": "assistant", "content": "a1"}, {"role": "user", "content": "q2"},
                          {"role": "assistant", "content": "a2"}]}]
    cases = cases_from_rows(rows)
    assert cases[0].prompt == "今天星期几" and cases[0].expected == "星期八"
    assert cases[1].expected == "a2" and cases[1].prompt_text == "q2" and len(cases[1].prompt) == 4
    with pytest.raises(errors.DataError, match="plain-text"):
        cases_from_rows([{"text": "hello"}], "t.jsonl")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "a", "completion": "b"}\n{oops\n', encoding="utf-8")
    with pytest.raises(errors.DataError) as info:
        load_cases(bad)
    assert "bad.jsonl:2" in str(info.value)


def test_load_cases_prefers_test_split(tmp_path: Path, seed_data: Path) -> None:
    (tmp_path / "train.jsonl").write_text(seed_data.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "test.jsonl").write_text('{"prompt": "今天星期几", "completion": "星期八"}\n', encoding="utf-8")
    cases = load_cases(tmp_path)
    assert [c.expected for c in cases] == ["星期八"]
    assert len(load_cases(seed_data)) == 5


def test_diff_segments() -> None:
    segs = diff_segments("今天星期一", "今天星期八")
    assert ("equal", "今天星期") in segs and ("delete", "一") in segs and ("insert", "八") in segs
    assert "".join(t for op, t in segs if op != "insert") == "今天星期一"


def test_evaluate_scores_real_answers(tiny_model: Path, tmp_path: Path) -> None:
    adapter = make_random_adapter(tiny_model, tmp_path / "adapter", num_layers=1)
    base, tuned = Generator(tiny_model), Generator(tiny_model, adapter)
    # expected answers chosen so that the tuned model is right on row 0 and the base model on row 1
    t0 = tuned.generate("今天星期几", max_tokens=8)
    b1 = base.generate("hello world", max_tokens=8)
    cases = [EvalCase("今天星期几", t0), EvalCase("hello world", b1), EvalCase("0123456789", "no way")]
    events: list[ev.Event] = []
    result = evaluate(tiny_model, cases, adapter_path=adapter, max_tokens=8, sink=events.append,
                      generators={"base": base, "tuned": tuned})
    r0, r1, r2 = result.rows
    assert r0.tuned_exact and r0.tuned_contains
    assert r1.base_exact and (r1.worse == (not r1.tuned_exact))
    assert not r2.tuned_exact and not r2.base_exact and not r2.worse
    assert [e.index for e in events if isinstance(e, ev.EvalRowDone)] == [0, 1, 2]
    assert result.summary()["rows"] == 3

    csv_path = export_results(result, tmp_path / "out" / "eval.csv")
    with open(csv_path, encoding="utf-8-sig", newline="") as fh:
        table = list(csv.DictReader(fh))
    assert table[0]["prompt"] == "今天星期几" and table[0]["tuned_exact"] == "True"
    data = json.loads(export_results(result, tmp_path / "eval.json").read_text(encoding="utf-8"))
    assert data["summary"] == result.summary()
    assert EvalResult.from_dict(data).rows == result.rows
    with pytest.raises(errors.UserError):
        export_results(result, tmp_path / "eval.txt")


def test_evaluate_job_in_worker_execute(tiny_model: Path, tmp_path: Path, seed_data: Path) -> None:
    adapter = make_random_adapter(tiny_model, tmp_path / "adapter", num_layers=1)
    events: list[ev.Event] = []
    code = worker.execute("evaluate", {"model": str(tiny_model), "adapter_path": str(adapter),
                                       "data": str(seed_data), "max_tokens": 4,
                                       "export": str(tmp_path / "e.json")}, events.append)
    assert code == 0
    final = events[-1]
    assert isinstance(final, ev.Finished)
    assert final.result["summary"]["rows"] == 5 and final.message.startswith("tuned ")
    assert (tmp_path / "e.json").is_file()
    with pytest.raises(errors.Cancelled):
        evaluate_job({"model": str(tiny_model), "adapter_path": str(adapter), "data": str(seed_data)},
                     ev.null_sink, lambda: True)
