"""Qwen3 done right (issue 20), end to end with a faithful stand-in (tests/qwen3_standin.py: Qwen's vocabulary, the
Qwen3-0.6B chat template and config, small trained weights that really write <think>…</think>).

Both reasoning settings: what is trained (token positions read off the batch = the Data page's token view), what is
shown (no raw think tag in the CLI, eval cells, generation results), what is scored (a perfect answer is exact), and
what is exported (fused folder, Modelfile, model card).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from qwen3_standin import END_THINK_ID, IM_END_ID, REASONING, THINK_ID, seed_pairs, standin_folder

from mlxstudio import cli
from mlxstudio.core import events as ev
from mlxstudio.core.data import load_tokenizer, token_view
from mlxstudio.core.inference import Generator
from mlxstudio.core.inference.evaluate import cases_from_rows, evaluate
from mlxstudio.core.inference.export import model_card, modelfile_text
from mlxstudio.core.inference.fuse import fuse_adapter
from mlxstudio.core.inference.generate import generate_job
from mlxstudio.core.training import TrainConfig
from mlxstudio.core.training.batching import make_batch, tokenize_rows
from mlxstudio.core.training.engine import run_training

PROMPT, ANSWER = "蓝牙耳机坏了应该看什么科", "耳鼻喉科"


@pytest.fixture(scope="session")
def qwen3() -> Path:
    """The stand-in, built once per machine (tests/qwen3_standin.py) and shared by the session."""
    return standin_folder()


def reasoning_rows() -> list[dict[str, Any]]:
    """The seed pairs as chat rows whose answers carry the stand-in's reasoning (``reasoning_content``)."""
    return [{"messages": [{"role": "user", "content": p["prompt"]},
                          {"role": "assistant", "content": p["completion"],
                           "reasoning_content": REASONING[p["prompt"]]}]} for p in seed_pairs()]


def trained_text(tokenizer: Any, rows: list[dict[str, Any]], reasoning: str | None) -> list[str]:
    """The trained tokens of each row, read off a real training batch (targets ``offset <= p < length``)."""
    data = tokenize_rows(rows, tokenizer, mask_prompt=True, max_seq_length=512, reasoning=reasoning)
    batch = make_batch(data, list(range(len(data))), 8, 512)
    ids, pairs = batch.inputs.tolist(), batch.lengths.tolist()
    return [tokenizer.decode(ids[j][max(o, 1):n]) for j, (o, n) in enumerate(pairs)]


def test_the_standin_is_qwen3(qwen3: Path) -> None:
    tok = load_tokenizer(qwen3)
    assert len(tok._tokenizer) == 151669 and json.loads((qwen3 / "config.json").read_text())["model_type"] == "qwen3"
    assert [tok.convert_tokens_to_ids(t) for t in ("<|endoftext|>", "<|im_start|>", "<|im_end|>", "<think>",
                                                    "</think>")] == [151643, 151644, 151645, THINK_ID, END_THINK_ID]
    gen = Generator(qwen3)
    assert gen.generate(PROMPT, max_tokens=40, enable_thinking=True) == \
        f"<think>\n{REASONING[PROMPT]}\n</think>\n\n{ANSWER}"          # it really thinks
    assert gen.generate(PROMPT, max_tokens=40, enable_thinking=False) == ANSWER


@pytest.mark.parametrize("reasoning, rows, want", [
    ("direct", "pairs", [f"{p['completion']}<|im_end|>\n" for p in seed_pairs()]),
    ("keep", "reasoning", [f"<think>\n{REASONING[p['prompt']]}\n</think>\n\n{p['completion']}<|im_end|>\n"
                           for p in seed_pairs()]),
    ("direct", "reasoning", [f"{p['completion']}<|im_end|>\n" for p in seed_pairs()]),  # reasoning left out
])
def test_the_data_page_shows_exactly_the_trained_tokens(qwen3: Path, reasoning: str, rows: str,
                                                       want: list[str]) -> None:
    tok = load_tokenizer(qwen3)
    data = [{"prompt": p["prompt"], "completion": p["completion"]} for p in seed_pairs()] if rows == "pairs" \
        else reasoning_rows()
    fmt = "completion" if rows == "pairs" else "chat"
    assert trained_text(tok, data, reasoning) == want
    for row, text in zip(data, want, strict=True):
        view = token_view(tok, row, fmt, reasoning=reasoning)   # what the Data page draws
        assert "".join(p.text for p in view.pieces if p.trained) == text


def _cfg(reasoning: str) -> TrainConfig:
    return TrainConfig(iters=6, learning_rate=1e-4, batch_size=5, num_layers=1, steps_per_report=3,
                       steps_per_eval=0, save_every=0, val_batches=1, reasoning=reasoning)


@pytest.fixture(scope="module")
def trained(qwen3: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One LoRA run per setting: "direct" on the plain seed pairs (auto), "keep" on the rows with reasoning."""
    out = {}
    pairs = [{"prompt": p["prompt"], "completion": p["completion"]} for p in seed_pairs()]
    for name, rows, mode in (("direct", pairs, "auto"), ("keep", reasoning_rows(), "auto")):
        adapter = tmp_path_factory.mktemp(f"adapter-{name}")
        logs: list[str] = []
        run_training(qwen3, {"train": rows, "valid": rows[:2]}, adapter, _cfg(mode),
                     sink=lambda e, logs=logs: logs.append(e.message) if isinstance(e, ev.Log) else None)
        assert json.loads((adapter / "adapter_config.json").read_text())["reasoning"] == name  # recorded
        assert any(m.startswith("Reasoning: ") for m in logs)                                    # and told
        out[name] = adapter
    return out


@pytest.mark.parametrize("mode, thinking", [("direct", False), ("keep", True)])
def test_every_place_asks_as_trained_and_shows_no_tags(qwen3: Path, trained: dict[str, Path], mode: str,
                                                       thinking: bool, capsys: pytest.CaptureFixture[str]) -> None:
    adapter = trained[mode]
    gen = Generator(qwen3, adapter)
    assert gen.default_thinking is thinking
    # the Fuse & Test page's worker job: the answer apart from the reasoning
    result = generate_job({"prompt": PROMPT, "max_tokens": 40, "enable_thinking": thinking,
                           "panes": [{"source": "tuned", "model": str(qwen3), "adapter_path": str(adapter)}]},
                          ev.null_sink, lambda: False)
    assert result["answers"]["tuned"] == ANSWER
    assert result["reasoning"]["tuned"] == (REASONING[PROMPT] if thinking else "")
    # the CLI with no thinking option: the same answer, stdout only the answer
    assert cli.main(["generate", "--model", str(qwen3), "--adapter-path", str(adapter), "--prompt", PROMPT,
                     "--show-thinking"]) == 0
    captured = capsys.readouterr()
    assert captured.out == ANSWER + "\n"
    assert (REASONING[PROMPT] in captured.err) is thinking and "<think>" not in captured.err + captured.out
    assert f"thinking {'on' if thinking else 'off'}, as the model was trained" in captured.err  # and says so
    # evaluation: perfect answers score exact; the reasoning is kept for the table, never in the answer cells
    cases = cases_from_rows([{"prompt": p["prompt"], "completion": p["completion"]} for p in seed_pairs()])
    res = evaluate(qwen3, cases, adapter_path=adapter, max_tokens=40, generators={"tuned": gen},
                   compare_base=False)
    assert [r.tuned_exact for r in res.rows] == [True] * 5
    assert all("think>" not in r.tuned for r in res.rows)
    assert [bool(r.tuned_reasoning) for r in res.rows] == [thinking] * 5
    assert res.settings["thinking"] is thinking


@pytest.mark.parametrize("mode", ["direct", "keep"])
def test_fused_and_exported_models_keep_the_trained_mode(qwen3: Path, trained: dict[str, Path], mode: str,
                                                         tmp_path: Path) -> None:
    fused = fuse_adapter(qwen3, trained[mode], tmp_path / f"fused-{mode}")
    assert json.loads((fused / "mlxstudio.json").read_text())["reasoning"] == mode
    gen = Generator(fused)
    assert gen.default_thinking is (mode == "keep")
    # other tools (transformers, llama.cpp, LM Studio) pass no enable_thinking: the folder's own template default
    # must match the training (mlx-lm's wrapper always passes one: the model card says how to turn it off there)
    hf = gen.tokenizer._tokenizer
    prompt = hf.apply_chat_template([{"role": "user", "content": PROMPT}], add_generation_prompt=True, tokenize=False)
    assert prompt.endswith("<think>\n\n</think>\n\n") is (mode == "direct")
    from mlx_lm import generate

    raw = generate(gen.model, gen.tokenizer, hf.encode(prompt, add_special_tokens=False), max_tokens=40)
    assert raw == (ANSWER if mode == "direct" else f"<think>\n{REASONING[PROMPT]}\n</think>\n\n{ANSWER}")
    modelfile = modelfile_text(fused, "m.gguf")
    template = modelfile.split('TEMPLATE """')[1].split('"""')[0]
    assert template.endswith("<|im_start|>assistant\n" + ("<think>\n\n</think>\n\n" if mode == "direct" else ""))
    assert 'PARAMETER stop "<|im_end|>"' in modelfile and "# Reasoning: " in modelfile
    card = model_card(fused)
    assert "| Reasoning | " + ("trained to answer directly" if mode == "direct" else "trained with the reasoning") \
        in card
    assert ('--chat-template-config \'{"enable_thinking": false}\'' in card) is (mode == "direct")
    assert IM_END_ID == 151645


def test_a_template_that_opens_the_think_block_in_the_prompt(qwen3: Path, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    """Qwen3-Thinking-2507 / DeepSeek-R1 style: the generation prompt already ends with "<think>\\n", so the model's
    text has no opening tag (the known "missing <think>" problem): the answer is still apart from the reasoning."""
    import shutil

    model = shutil.copytree(qwen3, tmp_path / "opens-think")
    cfg = json.loads((model / "tokenizer_config.json").read_text(encoding="utf-8"))
    old = "{{- '<|im_start|>assistant\\n' }}"
    assert old in cfg["chat_template"]
    cfg["chat_template"] = cfg["chat_template"].replace(old, "{{- '<|im_start|>assistant\\n<think>\\n' }}")
    (model / "tokenizer_config.json").write_text(json.dumps(cfg, ensure_ascii=False), encoding="utf-8")
    gen = Generator(model)
    text = gen.generate(PROMPT, max_tokens=40, enable_thinking=True)
    assert text == f"<think>\n{REASONING[PROMPT]}\n</think>\n\n{ANSWER}"  # the prompt's tag leads the stream
    assert cli.main(["generate", "--model", str(model), "--prompt", PROMPT, "--thinking"]) == 0
    assert capsys.readouterr().out == ANSWER + "\n"


@pytest.mark.parametrize("mode", ["direct", "keep"])
def test_a_full_fine_tune_keeps_the_trained_mode(qwen3: Path, tmp_path: Path, mode: str,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """A full fine-tune's saved model folder records the run's setting as a fused model does (asked the same way in
    the window, the CLI and serve) and, trained to answer directly, defaults its template to thinking off."""
    rows = reasoning_rows() if mode == "keep" else [{"prompt": p["prompt"], "completion": p["completion"]}
                                                     for p in seed_pairs()]
    cfg = _cfg("auto").replace(fine_tune_type="full", iters=2, learning_rate=1e-6)
    result = run_training(qwen3, {"train": rows, "valid": rows[:2]}, tmp_path / f"full-{mode}", cfg)
    full = Path(result["full_model"])
    assert json.loads((full / "mlxstudio.json").read_text())["reasoning"] == mode
    gen = Generator(full)
    assert gen.default_thinking is (mode == "keep")
    hf = gen.tokenizer._tokenizer
    prompt = hf.apply_chat_template([{"role": "user", "content": PROMPT}], add_generation_prompt=True, tokenize=False)
    assert prompt.endswith("<think>\n\n</think>\n\n") is (mode == "direct")
    assert cli.main(["generate", "--model", str(full), "--prompt", PROMPT, "--show-thinking"]) == 0
    captured = capsys.readouterr()
    assert captured.out == ANSWER + "\n" and (REASONING[PROMPT] in captured.err) is (mode == "keep")
