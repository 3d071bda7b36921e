"""The token view must show exactly what mlx-lm's trainer trains (same tokens, same prompt mask, same truncation)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from mlxstudio.core.data.tokens import (
    TokenCount,
    count_all,
    count_tokens,
    encode_row,
    load_tokenizer,
    supports_thinking_switch,
    token_texts,
    token_view,
)
from mlxstudio.core.errors import ModelError

ROWS: dict[str, list[dict[str, Any]]] = {
    "completion": [{"prompt": "今天星期几", "completion": "星期八"},
                   {"prompt": "What is the capital of France?", "completion": "The capital of France is Paris."}],
    "chat": [{"messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hello world"},
                           {"role": "assistant", "content": "忘情水"}]},
             {"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"},
                           {"role": "user", "content": "c"}]}],
    "text": [{"text": "the quick brown fox"}, {"text": "鲁迅为什么讨厌周树人"}],
}


@pytest.fixture(scope="module")
def tok(tiny_tokenizer: Path) -> Any:
    return load_tokenizer(tiny_tokenizer)


def mlx_dataset(tok: Any, rows: list[dict[str, Any]], mask: bool) -> Any:
    from mlx_lm.tuner.datasets import create_dataset

    return create_dataset(rows, tok, SimpleNamespace(mask_prompt=mask))


def trained_positions_by_mlx(tok: Any, row: dict[str, Any], mask: bool, max_seq_length: int) -> set[int]:
    """Positions p of the row whose token is a loss target in mlx-lm's iterate_batches + default_loss."""
    from mlx_lm.tuner.datasets import CacheDataset
    from mlx_lm.tuner.trainer import iterate_batches

    ds = CacheDataset(mlx_dataset(tok, [row], mask))
    batch, lengths = next(iterate_batches(ds, 1, max_seq_length))
    lengths = np.array(lengths)
    steps = np.arange(1, batch.shape[1])  # default_loss: targets = batch[:, 1:], steps start at 1
    mask_arr = (steps >= lengths[0, 0]) & (steps <= lengths[0, 1])
    real = lengths[0, 1]  # positions >= length are padding, not tokens of the row
    return {int(s) for s in steps[mask_arr] if s < real}


@pytest.mark.parametrize("fmt", ["completion", "chat", "text"])
@pytest.mark.parametrize("mask", [True, False])
def test_encode_row_matches_mlx_lm(tok: Any, fmt: str, mask: bool) -> None:
    if fmt == "text" and mask:
        pytest.skip("mlx-lm does not mask text rows")
    ds = mlx_dataset(tok, ROWS[fmt], mask)
    for row in ROWS[fmt]:
        ids, offset = ds.process(row)
        assert encode_row(tok, row, fmt, mask_prompt=mask) == (list(ids), offset)


@pytest.mark.parametrize("fmt", ["completion", "chat", "text"])
@pytest.mark.parametrize("max_seq_length", [2048, 30, 8])
def test_trained_flags_match_the_loss_mask(tok: Any, fmt: str, max_seq_length: int) -> None:
    mask = fmt != "text"
    for row in ROWS[fmt]:
        view = token_view(tok, row, fmt, mask_prompt=mask, max_seq_length=max_seq_length)
        shown = {p for p, piece in enumerate(view.pieces) if piece.trained}
        assert shown == trained_positions_by_mlx(tok, row, mask, max_seq_length)
        assert view.trained_count == TokenCount(view.total, view.offset).trained(max_seq_length)


def test_view_of_seed_pair(tok: Any) -> None:
    view = token_view(tok, ROWS["completion"][0], "completion")
    assert view.text == "<|im_start|>user\n今天星期几<|im_end|>\n<|im_start|>assistant\n星期八<|im_end|>\n"
    trained = "".join(p.text for p in view.pieces if p.trained)
    assert trained == "星期八<|im_end|>\n"  # the end-of-turn token is trained, so the tuned model stops
    end = [p for p in view.pieces if p.text == "<|im_end|>"]
    assert all(p.special for p in end) and end[-1].trained and not end[0].trained
    assert view.truncated == 0


def test_truncation_can_leave_nothing_trained(tok: Any) -> None:
    count = count_tokens(tok, ROWS["completion"][1], "completion")
    assert count.trained(count.offset) == 0
    view = token_view(tok, ROWS["completion"][1], "completion", max_seq_length=count.offset)
    assert view.trained_count == 0 and view.truncated == count.total - count.offset


def test_token_texts_rebuild_the_text(tok: Any) -> None:
    ids = tok.encode("鲁迅 😀 héllo", add_special_tokens=False)
    texts = token_texts(tok, ids)
    assert len(texts) == len(ids)
    assert "".join(texts) == tok.decode(ids)


def test_count_all_handles_bad_rows_and_cancel(tok: Any) -> None:
    rows = [ROWS["completion"][0], {"prompt": "no completion"}, ROWS["completion"][1]]
    counts = count_all(tok, rows, "completion")
    assert counts[1] is None and counts[0] is not None and counts[0].total > counts[0].offset > 0
    assert count_all(tok, rows * 100, "completion", cancel=lambda: True) == []


def test_no_chat_template(tiny_tokenizer: Path, tmp_path: Path) -> None:
    import json
    import shutil

    for f in tiny_tokenizer.iterdir():
        shutil.copy(f, tmp_path / f.name)
    cfg = json.loads((tmp_path / "tokenizer_config.json").read_text())
    cfg.pop("chat_template")
    (tmp_path / "tokenizer_config.json").write_text(json.dumps(cfg))
    tok = load_tokenizer(tmp_path)
    with pytest.raises(ModelError, match="no chat template"):
        count_tokens(tok, ROWS["completion"][0], "completion")
    assert count_tokens(tok, ROWS["text"][0], "text").total > 0
    assert not supports_thinking_switch(tok)


def test_load_tokenizer_errors(tmp_path: Path) -> None:
    with pytest.raises(ModelError):
        load_tokenizer(tmp_path / "missing")
    (tmp_path / "tokenizer.json").write_text("{broken")
    with pytest.raises(ModelError, match="tokenizer could not be loaded"):
        load_tokenizer(tmp_path)


THINKING_TEMPLATE = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' }}"
    "{% if message['role'] == 'assistant' and enable_thinking is defined and not enable_thinking %}"
    "{{ '<think>\n\n</think>\n\n' }}{% endif %}{{ message['content'] + '<|im_end|>\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}"
    "{% if enable_thinking is defined and not enable_thinking %}{{ '<think>\n\n</think>\n\n' }}{% endif %}{% endif %}"
)


def test_thinking_switch(tiny_tokenizer: Path, tmp_path: Path) -> None:
    import json
    import shutil

    for f in tiny_tokenizer.iterdir():
        shutil.copy(f, tmp_path / f.name)
    cfg = json.loads((tmp_path / "tokenizer_config.json").read_text())
    cfg["chat_template"] = THINKING_TEMPLATE
    (tmp_path / "tokenizer_config.json").write_text(json.dumps(cfg))
    tok = load_tokenizer(tmp_path)
    assert supports_thinking_switch(tok)
    row = ROWS["completion"][0]
    on = token_view(tok, row, "completion", template_kwargs={"enable_thinking": True})
    off = token_view(tok, row, "completion", template_kwargs={"enable_thinking": False})
    assert "<think>" in off.text and "<think>" not in on.text
    default = token_view(tok, row, "completion")  # what the trainer renders
    ids, offset = mlx_dataset(tok, [row], True).process(row)
    assert [p.id for p in default.pieces] == list(ids) and default.offset == offset
    # the empty think block is part of the masked prompt, the answer is still trained
    assert "".join(p.text for p in off.pieces if p.trained) == "星期八<|im_end|>\n"


@pytest.mark.slow
def test_demo_model_tokenizer(demo_model: Path, seed_data: Path) -> None:
    """The real demo model (tokenizer from the GGUF): same tokens and mask as mlx-lm, the end of turn is trained,
    Chinese text round-trips through the token texts."""
    from mlxstudio.core.data.dataset import load_dataset

    tok = load_tokenizer(demo_model)
    rows = load_dataset(seed_data).rows
    ds = mlx_dataset(tok, rows, True)
    for row in rows:
        ids, offset = ds.process(row)
        view = token_view(tok, row, "completion")
        assert [p.id for p in view.pieces] == list(ids) and view.offset == offset
        trained = "".join(p.text for p in view.pieces if p.trained)
        assert trained.startswith(row["completion"]) and "<|im_end|>" in trained
        assert row["prompt"] in view.text
        assert view.pieces[view.offset - 1].trained is False
