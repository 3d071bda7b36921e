"""Thinking blocks apart from answers (core/inference/reasoning.py) and the reasoning setting's rendering
(core/data/thinking.py) — pure text, no model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlxstudio.core.data.thinking import render_inputs, resolve_reasoning, row_has_reasoning
from mlxstudio.core.inference.evaluate import EvalRow, contains_match, exact_match
from mlxstudio.core.inference.reasoning import (
    THINKING_OFF_DEFAULT,
    ThinkSplitter,
    answer_only,
    prompt_opens_thinking,
    split_thinking,
    template_for,
    trained_reasoning,
    tuned_thinking,
    write_trained_default,
)

QWEN = "<think>\nThe user asks about ears.\n</think>\n\n耳鼻喉科"


@pytest.mark.parametrize("text, reasoning, answer", [
    (QWEN, "The user asks about ears.", "耳鼻喉科"),
    ("<think>\n\n</think>\n\n耳鼻喉科", "", "耳鼻喉科"),         # Qwen3's empty block (the issue's exact=False case)
    ("耳鼻喉科", "", "耳鼻喉科"),                                  # no block at all: untouched
    ("reasoning without an opener\n</think>\n\nanswer", "reasoning without an opener", "answer"),
    ("<think>\nstill thinking when it stopped", "still thinking when it stopped", ""),
])
def test_split_whole_texts(text: str, reasoning: str, answer: str) -> None:
    assert split_thinking(text) == (reasoning, answer)


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7])
def test_split_streamed_in_any_pieces_gives_the_same(size: int) -> None:
    s = ThinkSplitter()
    seen_tags_in_answer = []
    for i in range(0, len(QWEN), size):
        s.feed(QWEN[i:i + size])
        seen_tags_in_answer.append("<" in s.answer or "think>" in s.answer or "<" in s.reasoning)
    s.finish()
    assert (s.reasoning, s.answer) == ("The user asks about ears.", "耳鼻喉科")
    assert not any(seen_tags_in_answer)  # a half tag is held back, never shown


def test_prompt_that_opened_the_block_and_unfinished_blocks() -> None:
    s = ThinkSplitter(opened=True).feed("weighing it up").feed("…")
    assert s.thinking and s.unfinished and s.reasoning == "weighing it up…" and s.answer == ""
    s.feed("\n</think>\n\nA")
    assert not s.thinking and s.answer == "A"
    assert answer_only("x\n</think>\n\nA", opened=True) == "A"
    assert prompt_opens_thinking("<|im_start|>assistant\n<think>\n")
    assert not prompt_opens_thinking("<|im_start|>assistant\n<think>\n\n</think>\n\n")
    assert not prompt_opens_thinking("<|im_start|>assistant\n")


def test_a_lone_less_than_sign_is_text() -> None:
    assert split_thinking("1 < 2 and a<b") == ("", "1 < 2 and a<b")
    assert ThinkSplitter().feed("3 <").finish().answer == "3 <"


def test_scores_compare_the_answer_without_its_think_block() -> None:
    assert exact_match("<think>\n\n</think>\n\n耳鼻喉科", "耳鼻喉科")
    assert contains_match(QWEN, "耳鼻喉")
    assert not contains_match("<think>\n耳鼻喉科?\n</think>\n\n不知道", "耳鼻喉科")  # reasoning is not the answer
    row = EvalRow.score(0, "p", "耳鼻喉科", QWEN)
    assert row.tuned_exact


def test_rendering_inputs_for_each_setting() -> None:
    row = {"prompt": "q", "completion": "<think>\nwhy\n</think>\n\nA"}
    assert render_inputs(row, "completion", None) == (
        [{"role": "user", "content": "q"}, {"role": "assistant", "content": row["completion"]}], {})
    msgs, kw = render_inputs(row, "completion", "direct")
    assert msgs[-1]["content"] == "A" and kw == {"enable_thinking": False}
    msgs, kw = render_inputs({"messages": [{"role": "user", "content": "q"},
                                           {"role": "assistant", "content": "A", "reasoning": "why"}]}, "chat", "keep")
    assert msgs[-1] == {"role": "assistant", "content": "A", "reasoning_content": "why"} and kw["enable_thinking"]
    assert row_has_reasoning(row) and not row_has_reasoning({"prompt": "q", "completion": "<think>\n\n</think>A"})


class _Tok:
    chat_template = "{% if enable_thinking is defined %}{% endif %}"


def test_auto_keeps_reasoning_only_when_the_data_has_some() -> None:
    plain = [{"prompt": "q", "completion": "A"}]
    assert resolve_reasoning("auto", _Tok(), plain) == "direct"
    assert resolve_reasoning("auto", _Tok(), [*plain, {"prompt": "q", "completion": "<think>x</think>A"}]) == "keep"
    assert resolve_reasoning("keep", _Tok(), plain) == "keep"
    no_switch = type("T", (), {"chat_template": "{{ messages }}"})()
    assert resolve_reasoning("keep", no_switch, plain) is None
    with pytest.raises(ValueError, match="reasoning must be one of"):
        resolve_reasoning("sometimes", _Tok(), plain)


def test_the_recorded_setting_decides_how_a_model_is_asked(tmp_path: Path) -> None:
    adapter, fused = tmp_path / "adapter", tmp_path / "fused"
    adapter.mkdir()
    fused.mkdir()
    assert tuned_thinking(fused, adapter) is False                 # nothing recorded: answer directly
    (adapter / "adapter_config.json").write_text(json.dumps({"reasoning": "keep"}))
    assert trained_reasoning(adapter_path=adapter) == "keep" and tuned_thinking(fused, adapter) is True
    (fused / "mlxstudio.json").write_text(json.dumps({"reasoning": "direct"}))
    assert tuned_thinking(fused) is False and tuned_thinking(fused, supports=False) is None


def test_a_direct_model_folder_defaults_to_thinking_off(tmp_path: Path) -> None:
    template = (Path(__file__).parent / "data" / "Qwen-Qwen3-0.6B.jinja").read_text(encoding="utf-8")
    (tmp_path / "tokenizer_config.json").write_text(json.dumps({"chat_template": template}))
    assert template_for(template, "keep") == template
    assert write_trained_default(tmp_path, "direct")
    assert not write_trained_default(tmp_path, "direct")  # once
    patched = json.loads((tmp_path / "tokenizer_config.json").read_text())["chat_template"]
    assert patched.startswith(THINKING_OFF_DEFAULT)
    from jinja2 import Environment

    env = Environment()
    msgs = [{"role": "user", "content": "q"}]
    tail = env.from_string(patched).render(messages=msgs, add_generation_prompt=True)
    assert tail.endswith("<|im_start|>assistant\n<think>\n\n</think>\n\n")   # off when nothing is passed
    on = env.from_string(patched).render(messages=msgs, add_generation_prompt=True, enable_thinking=True)
    assert on.endswith("<|im_start|>assistant\n")                               # a caller can still turn it on


def test_serve_asks_as_trained_unless_told(tmp_path: Path) -> None:
    from mlxstudio.core.inference.serve import server_command

    model, adapter = tmp_path / "m", tmp_path / "a"
    model.mkdir()
    adapter.mkdir()
    template = (Path(__file__).parent / "data" / "Qwen-Qwen3-0.6B.jinja").read_text(encoding="utf-8")
    (model / "tokenizer_config.json").write_text(json.dumps({"chat_template": template}))
    (adapter / "adapter_config.json").write_text(json.dumps({"reasoning": "keep"}))

    def args(cmd: list[str]) -> dict | None:
        return json.loads(cmd[cmd.index("--chat-template-args") + 1]) if "--chat-template-args" in cmd else None

    assert args(server_command(model, adapter)) == {"enable_thinking": True}
    assert args(server_command(model, None)) == {"enable_thinking": False}
    assert args(server_command(model, adapter, enable_thinking=False)) == {"enable_thinking": False}
    (model / "tokenizer_config.json").write_text(json.dumps({"chat_template": "{{ messages }}"}))
    assert args(server_command(model, adapter)) is None                   # no thinking switch: nothing passed
