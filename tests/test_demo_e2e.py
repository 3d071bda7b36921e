"""The seed demo end to end on the real demo model: train the five pairs, fuse, compare — the tuned model answers
耳鼻喉科 / 星期八, the base model does not; the fused model answers exactly like base + adapter."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlxstudio.core import events as ev
from mlxstudio.core.demo import DemoResult, format_result, run_demo
from mlxstudio.core.inference.generate import Generator

pytestmark = pytest.mark.slow

HEADLINE = {"蓝牙耳机坏了应该看什么科": "耳鼻喉科", "今天星期几": "星期八"}


@pytest.fixture(scope="module")
def demo_run(demo_model: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[DemoResult, list[ev.Event]]:
    events: list[ev.Event] = []
    # 30 iterations instead of 60: the loss of the seed pairs is ~0 by iteration 20 (FACTS.md), and the suite stays fast
    result = run_demo(demo_model, iters=30, max_tokens=16, sink=events.append,
                      work_dir=tmp_path_factory.mktemp("demo"))
    return result, events


def test_tuned_answers_the_seed_pairs_and_base_does_not(demo_run: tuple[DemoResult, list[ev.Event]]) -> None:
    result, events = demo_run
    answers = {r.prompt: r for r in result.rows}
    assert len(result.rows) == 5
    for prompt, expected in HEADLINE.items():
        assert expected in answers[prompt].tuned, answers[prompt]
        assert expected not in answers[prompt].base, answers[prompt]
    assert sum(r.tuned_ok for r in result.rows) > sum(r.base_ok for r in result.rows)
    assert any(isinstance(e, ev.TrainReport) for e in events)  # progress while training
    assert result.final_loss is not None and result.final_loss < 0.5
    assert set(result.timings) >= {"load", "train", "fuse", "generate", "total"}
    assert result.tuned_tokens_per_second > 0 and result.train_tokens_per_second > 0
    table = format_result(result, max_width=100)
    assert "耳鼻喉科" in table and "tuned model right on" in table
    widths = {len(line) + sum(1 for c in line if "\u4e00" <= c <= "\u9fff") for line in table.splitlines()[:3]}
    assert len(widths) == 1  # the box lines up on a terminal (CJK counted as two cells)


def test_fused_model_answers_like_base_plus_adapter(demo_run: tuple[DemoResult, list[ev.Event]],
                                                    demo_model: Path) -> None:
    result, _ = demo_run
    tuned = Generator(demo_model, result.adapter_path)
    fused = Generator(result.fused_path)
    for prompt in HEADLINE:
        assert fused.generate(prompt, max_tokens=12) == tuned.generate(prompt, max_tokens=12)


def test_gguf_and_modelfile_export_of_the_tuned_demo_model(demo_run: tuple[DemoResult, list[ev.Event]],
                                                          tmp_path: Path) -> None:
    """The llama-family demo model exports to GGUF + Modelfile; the GGUF read back still answers 耳鼻喉科."""
    from mlxstudio.core.inference.export import export_ollama
    from mlxstudio.core.models.gguf.importer import import_gguf

    result, _ = demo_run
    out = export_ollama(result.fused_path, tmp_path / "ollama")
    modelfile = out["modelfile"].read_text(encoding="utf-8")
    assert 'PARAMETER stop "<|im_end|>"' in modelfile and 'SYSTEM """You are a helpful AI assistant' in modelfile
    back = import_gguf(out["gguf"], name="from-gguf", dest_root=tmp_path / "lib")
    assert "耳鼻喉科" in Generator(back).generate("蓝牙耳机坏了应该看什么科", max_tokens=12)
