"""Generation on the tiny synthetic model: streaming, adapters, cancel, chat template options, CLI, worker job."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lora_helpers import make_random_adapter

from mlxstudio import cli
from mlxstudio.core import errors
from mlxstudio.core import events as ev
from mlxstudio.core.inference.generate import Generator, generate_job

PROMPTS = ["今天星期几", "蓝牙耳机坏了应该看什么科", "What is the capital of France?"]


@pytest.fixture
def adapter(tiny_model: Path, tmp_path: Path) -> Path:
    return make_random_adapter(tiny_model, tmp_path / "adapter")


def test_stream_equals_generate_and_is_greedy(tiny_model: Path) -> None:
    gen = Generator(tiny_model)
    for prompt in PROMPTS:
        pieces = list(gen.stream(prompt, max_tokens=12))
        assert len(pieces) > 1
        assert "".join(pieces) == gen.generate(prompt, max_tokens=12) == gen.generate(prompt, max_tokens=12)
    stats = gen.last_stats
    assert stats.generation_tokens == 12 and stats.finish_reason == "length"
    assert stats.tokens_per_second > 0 and stats.prompt_tokens > 5


def test_adapter_changes_output(tiny_model: Path, adapter: Path) -> None:
    base = Generator(tiny_model)
    tuned = Generator(tiny_model, adapter)
    answers = [(base.generate(p, max_tokens=10), tuned.generate(p, max_tokens=10)) for p in PROMPTS]
    assert any(b != t for b, t in answers)


def test_cancel_between_tokens(tiny_model: Path) -> None:
    gen = Generator(tiny_model)
    seen: list[str] = []

    def cancel() -> bool:
        return len(seen) >= 3

    for piece in gen.stream("今天星期几", max_tokens=50, cancel=cancel):
        seen.append(piece)
    assert len(seen) == 3
    assert gen.last_stats.finish_reason == "cancelled"
    assert gen.last_stats.generation_tokens == 3


def test_system_prompt_and_thinking_switch(tiny_model: Path) -> None:
    cfg_path = tiny_model / "tokenizer_config.json"
    cfg = json.loads(cfg_path.read_text())
    cfg["chat_template"] += "{% if add_generation_prompt and not enable_thinking %}<think>\n\n</think>\n{% endif %}"
    cfg_path.write_text(json.dumps(cfg))
    gen = Generator(tiny_model)
    plain = gen.prompt_tokens("hello")
    with_system = gen.prompt_tokens("hello", system="you are terse")
    assert len(with_system) > len(plain)
    assert gen.tokenizer.decode(with_system).startswith("<|im_start|>system\nyou are terse")
    assert gen.supports_thinking
    on = gen.tokenizer.decode(gen.prompt_tokens("hello", enable_thinking=True))
    off = gen.tokenizer.decode(gen.prompt_tokens("hello", enable_thinking=False))
    assert "<think>" in off and "<think>" not in on


def test_chat_messages_prompt(tiny_model: Path) -> None:
    gen = Generator(tiny_model)
    messages = [{"role": "user", "content": "今天星期几"}]
    assert gen.prompt_tokens(messages) == gen.prompt_tokens("今天星期几")


def test_missing_model_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(errors.ModelError):
        Generator(tmp_path / "nope")


def test_cli_stdout_is_the_completion_only(tiny_model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    expected = Generator(tiny_model).generate("今天星期几", max_tokens=6)
    rc = cli.main(["generate", "--model", str(tiny_model), "--prompt", "今天星期几", "--max-tokens", "6"])
    captured = capsys.readouterr()
    assert rc == 0
    assert captured.out == expected + "\n"
    assert "tok/s" in captured.err


def test_cli_exit_codes(tiny_model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["generate", "--model", str(tmp_path / "missing"), "--prompt", "x"]) == 2
    assert cli.main(["generate", "--model", str(tiny_model), "--adapter-path", str(tmp_path / "no-adapter"),
                     "--prompt", "x"]) == 2
    assert cli.main(["generate", "--model", str(tiny_model), "--prompt", "x", "--max-tokens", "0"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "adapter folder not found" in captured.err


def test_worker_job_streams_tokens_for_each_pane(tiny_model: Path, adapter: Path) -> None:
    events: list[ev.Event] = []
    result = generate_job({"prompt": "今天星期几", "max_tokens": 8,
                           "panes": [{"source": "base", "model": str(tiny_model)},
                                     {"source": "tuned", "model": str(tiny_model), "adapter_path": str(adapter)}]},
                          events.append, lambda: False)
    tokens = [e for e in events if isinstance(e, ev.Token)]
    for source, adapter_path in (("base", None), ("tuned", adapter)):
        text = "".join(t.text for t in tokens if t.source == source)
        assert text == result["answers"][source] == Generator(tiny_model, adapter_path).generate("今天星期几",
                                                                                                 max_tokens=8)
    # the panes are interleaved, not one after the other
    sources = [t.source for t in tokens]
    assert sources[:2] == ["base", "tuned"]
    assert all(ev.from_json(ev.to_json(t)) == t for t in tokens)


def test_base_twin_shares_weights_and_answers_like_the_base(tiny_model: Path, adapter: Path) -> None:
    from mlxstudio.core.inference.generate import load_generators

    gens = load_generators([{"source": "base", "model": str(tiny_model)},
                            {"source": "tuned", "model": str(tiny_model), "adapter_path": str(adapter)}])
    assert gens["base"].model is gens["tuned"].model  # one load
    base_alone = Generator(tiny_model)
    tuned_alone = Generator(tiny_model, adapter)
    for prompt in PROMPTS:
        # interleave the two streams token by token, as the worker job does
        a, b = gens["base"].stream(prompt, max_tokens=10), gens["tuned"].stream(prompt, max_tokens=10)
        out = {"base": "", "tuned": ""}
        live = {"base": a, "tuned": b}
        while live:
            for k in list(live):
                try:
                    out[k] += next(live[k])
                except StopIteration:
                    del live[k]
        assert out["base"] == base_alone.generate(prompt, max_tokens=10)
        assert out["tuned"] == tuned_alone.generate(prompt, max_tokens=10)
    with pytest.raises(ValueError):
        base_alone.without_adapter()


def test_worker_job_cancel(tiny_model: Path) -> None:
    with pytest.raises(errors.Cancelled):
        generate_job({"prompt": "x", "model": str(tiny_model)}, ev.null_sink, lambda: True)
