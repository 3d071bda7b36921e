"""Token counts follow the run's reasoning setting (issue 20) with the Qwen3 stand-in (tests/qwen3_standin.py): the
Train page's estimate (gui/train/token_stats.py) and `mlxstudio-cli data stats/validate --model` count exactly what
the trainer tokenizes (training.batching.tokenize_rows with the setting the trainer resolves)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from qwen3_standin import REASONING, seed_pairs, standin_folder

from mlxstudio import cli
from mlxstudio.core.data import load_tokenizer
from mlxstudio.core.training.batching import tokenize_rows
from mlxstudio.core.training.reasoning import reasoning_setting
from mlxstudio.gui.train import token_stats


@pytest.fixture(scope="module")
def qwen3() -> Path:
    return standin_folder()


def _rows(with_reasoning: bool) -> list[dict[str, Any]]:
    if not with_reasoning:
        return [{"prompt": p["prompt"], "completion": p["completion"]} for p in seed_pairs()]
    return [{"messages": [{"role": "user", "content": p["prompt"]},
                          {"role": "assistant", "content": p["completion"],
                           "reasoning_content": REASONING[p["prompt"]]}]} for p in seed_pairs()]


def _write(tmp_path: Path, rows: list[dict[str, Any]]) -> Path:
    f = tmp_path / "train.jsonl"
    f.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return f


def _trainer(qwen3: Path, rows: list[dict[str, Any]], mode: str) -> tuple[str | None, list[int], list[int]]:
    """(setting, lengths, trained targets) as a run with ``mode`` tokenizes the rows."""
    tok = load_tokenizer(qwen3)
    setting = reasoning_setting(mode, tok, rows)
    data = tokenize_rows(rows, tok, mask_prompt=True, max_seq_length=4096, reasoning=setting)
    return setting, data.lengths, [data.trained_tokens(i) for i in range(len(data))]


@pytest.mark.parametrize("with_reasoning, mode, want", [
    (True, "auto", "keep"), (True, "direct", "direct"), (True, "keep", "keep"), (False, "auto", "direct"),
])
def test_train_page_counts_what_the_trainer_tokenizes(qwen3: Path, tmp_path: Path, with_reasoning: bool, mode: str,
                                                      want: str) -> None:
    rows = _rows(with_reasoning)
    dataset = _write(tmp_path, rows)
    setting, lengths, _trained = _trainer(qwen3, rows, mode)
    assert setting == want
    stats = token_stats.compute(qwen3, dataset, reasoning=mode)
    assert stats is not None and stats.reasoning == want
    assert (stats.longest, stats.mean) == (max(lengths), sum(lengths) / len(lengths))
    assert token_stats.cached(qwen3, dataset, mode) == stats  # cached per setting …
    other = "keep" if mode == "direct" else "direct"
    assert token_stats.cached(qwen3, dataset, other) is None  # … so changing the setting counts again


def test_the_settings_count_differently(qwen3: Path, tmp_path: Path) -> None:
    dataset = _write(tmp_path, _rows(True))
    direct = token_stats.compute(qwen3, dataset, reasoning="direct")
    keep = token_stats.compute(qwen3, dataset, reasoning="keep")
    assert direct is not None and keep is not None and keep.longest > direct.longest  # the reasoning is trained


@pytest.mark.parametrize("mode", ["auto", "direct", "keep"])
def test_cli_data_stats_counts_what_the_trainer_trains(qwen3: Path, tmp_path: Path, mode: str,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    rows = _rows(True)
    dataset = _write(tmp_path, rows)
    setting, lengths, trained = _trainer(qwen3, rows, mode)
    assert cli.main(["--json", "data", "stats", str(dataset), "--model", str(qwen3), "--reasoning", mode]) == 0
    result = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()][-1]["data"]
    assert result["reasoning"] == setting
    assert (result["tokens"]["total"], result["tokens"]["max"]) == (sum(lengths), max(lengths))
    assert result["tokens"]["trained"] == sum(trained)
    assert cli.main(["data", "stats", str(dataset), "--model", str(qwen3), "--reasoning", mode]) == 0
    assert f"reasoning: {setting} (rendered as `train --reasoning {setting}`" in capsys.readouterr().out


def test_cli_validate_checks_lengths_as_trained(qwen3: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """At the longest no-thinking rendering as the limit, only rows with the reasoning kept are too long."""
    rows = _rows(True)
    dataset = _write(tmp_path, rows)
    _s, direct, _t = _trainer(qwen3, rows, "direct")
    _s, keep, _t = _trainer(qwen3, rows, "keep")
    limit = max(direct)
    too_long = sum(n > limit for n in keep)
    assert too_long > 0
    args = ["--json", "data", "validate", str(dataset), "--model", str(qwen3), "--max-seq-length", str(limit)]

    def long_rows(mode: str) -> int:
        assert cli.main([*args, "--reasoning", mode]) in (0, 1)
        report = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()][-1]["data"]
        return sum("token" in p["message"] for p in report["files"][0]["problems"])

    assert long_rows("direct") == 0
    assert long_rows("keep") == too_long


def test_train_page_estimate_follows_the_reasoning_row(qtbot, qwen3: Path, tmp_path: Path) -> None:
    """The Train page's "Reasoning" row (and so the Data page's choice, one setting) recounts the rows with it."""
    from mlxstudio.gui.pages.train_page import TrainPage
    from mlxstudio.gui.state import AppState

    rows = _rows(True)
    dataset = _write(tmp_path, rows)
    state = AppState()
    page = TrainPage(state)
    qtbot.addWidget(page)
    page.show()
    state.set_model(qwen3)
    state.set_dataset(dataset)
    try:
        combo = page.form.editors["reasoning"]
        for mode in ("direct", "keep"):
            combo.setCurrentIndex(combo.findData(mode))
            assert state.reasoning == mode
            page._update_estimate()
            qtbot.waitUntil(lambda mode=mode: page.token_lengths is not None and
                            page.token_lengths.reasoning == mode, timeout=60_000)
            page._update_estimate()
            _s, lengths, _t = _trainer(qwen3, rows, mode)
            assert page.token_lengths.longest == max(lengths)
            assert f"longest training row has {max(lengths)} tokens" in page.estimate_label.toolTip()
    finally:
        page.shutdown(timeout=5)
