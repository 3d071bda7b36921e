"""What the model sees: a row rendered with the model's chat template, token by token, marked trained or masked.

This follows mlx-lm's ``tuner/datasets.py`` exactly (the trainer uses it), so the Data page shows what is trained:

- completion rows: ``apply_chat_template([user, assistant])``; with prompt masking the offset is the length of
  ``apply_chat_template([user], add_generation_prompt=True)``.
- chat rows: ``apply_chat_template(messages)``; with masking the offset is the length of
  ``apply_chat_template(messages[:-1], add_generation_prompt=<last message is the assistant's>)``.
- text rows: ``encode(text)`` plus EOS when missing; nothing is masked.

``iterate_batches``/``default_loss`` then train token ``p`` (as a target) when ``offset <= p < length`` and ``p >= 1``
(the first token is never a target), after truncating to ``max_seq_length``. (mlx-lm 0.32's loss mask also counts one
padding position after the last token; that is padding, not a token of the row, so it is not shown.)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from mlxstudio.core.data.thinking import render_inputs, supports_reasoning_setting
from mlxstudio.core.errors import ModelError
from mlxstudio.core.i18n import _


class TokenPiece(NamedTuple):
    """One token of the rendered row. ``text`` joined over all pieces gives the rendered text; a token that is only
    part of a multi-byte character has ``text == ""`` and the character is on the token that completes it."""

    text: str
    id: int
    trained: bool
    special: bool


@dataclass(frozen=True)
class TokenCount:
    """Token numbers of one row: ``total`` tokens, ``offset`` = masked prompt tokens (0 without masking)."""

    total: int
    offset: int

    def trained(self, max_seq_length: int | None = None) -> int:
        """How many tokens are trained (targets), after truncation to ``max_seq_length``."""
        end = self.total if max_seq_length is None else min(self.total, max_seq_length)
        return max(0, end - max(self.offset, 1))


@dataclass(frozen=True)
class TokenView:
    """A row as the trainer sees it."""

    pieces: list[TokenPiece]
    offset: int
    total: int
    max_seq_length: int | None

    @property
    def truncated(self) -> int:
        """Tokens cut off by ``max_seq_length``."""
        return 0 if self.max_seq_length is None else max(0, self.total - self.max_seq_length)

    @property
    def trained_count(self) -> int:
        return sum(p.trained for p in self.pieces)

    @property
    def text(self) -> str:
        return "".join(p.text for p in self.pieces)


def load_tokenizer(model_path: str | Path) -> Any:
    """Load only the tokenizer of a model folder (mlx-lm's ``TokenizerWrapper``; no weights)."""
    from mlx_lm.utils import load_tokenizer as _load

    path = Path(model_path)
    if not path.is_dir():
        raise ModelError(_("{path}: not a model folder — choose a model in the Model step").format(path=path))
    try:
        return _load(path)
    except Exception as exc:  # transformers raises many kinds of errors for broken tokenizer files
        raise ModelError(_("{path}: the tokenizer could not be loaded ({name}: {exc}) — "
                           "the model folder needs tokenizer.json / tokenizer_config.json").format(
                               path=path, name=exc.__class__.__name__, exc=exc)) from None


def _hf(tokenizer: Any) -> Any:
    return getattr(tokenizer, "_tokenizer", tokenizer)


def _ids(out: Any) -> list[int]:
    if isinstance(out, dict) or hasattr(out, "keys"):
        out = out["input_ids"]
    return list(out)


def has_chat_template(tokenizer: Any) -> bool:
    """True when the tokenizer can render chats (completion and chat rows need it)."""
    flag = getattr(tokenizer, "has_chat_template", None)
    if flag is not None:
        return bool(flag)
    return getattr(tokenizer, "chat_template", None) is not None


def _template(tokenizer: Any, messages: list[Any], tools: Any, template_kwargs: dict[str, Any],
              **kwargs: Any) -> list[int]:
    return _ids(tokenizer.apply_chat_template(messages, tools=tools, return_dict=False, **template_kwargs, **kwargs))


def encode_row(tokenizer: Any, row: dict[str, Any], fmt: str, mask_prompt: bool = True,
               template_kwargs: dict[str, Any] | None = None,
               reasoning: str | None = None) -> tuple[list[int], int]:
    """(token ids, offset) of a row, computed exactly as mlx-lm's datasets ``process`` does. The trainer tokenizes
    with this function (``training.batching.tokenize_rows``), so the token view shows what is trained.

    ``reasoning`` is the run's reasoning setting (:mod:`.thinking`: "direct", "keep" or None = the row as it is);
    extra ``template_kwargs`` are passed to the chat template on top of it."""
    messages, kw = render_inputs(row, fmt, reasoning)
    kw.update(template_kwargs or {})
    tools = row.get("tools")
    if fmt == "text":
        ids = list(tokenizer.encode(row["text"]))
        eos = tokenizer.eos_token_id
        if not ids or ids[-1] != eos:
            ids.append(eos)
        return ids, 0
    if not has_chat_template(tokenizer):
        raise ModelError(_("this model's tokenizer has no chat template, so prompt/completion and chat rows cannot be "
                           "rendered — use a chat (instruct) model or the text format"))
    if messages is None:  # pragma: no cover - render_inputs gives messages for completion and chat rows
        raise ValueError(f"unknown row format {fmt!r}")
    if fmt == "completion":
        ids = _template(tokenizer, messages, tools, kw)
        if not mask_prompt:
            return ids, 0
        return ids, len(_template(tokenizer, messages[:-1], tools, kw, add_generation_prompt=True))
    ids = _template(tokenizer, messages, tools, kw)
    if not mask_prompt:
        return ids, 0
    add_gen = messages[-1].get("role") == "assistant"
    return ids, len(_template(tokenizer, messages[:-1], tools, kw, add_generation_prompt=add_gen))


def count_tokens(tokenizer: Any, row: dict[str, Any], fmt: str, mask_prompt: bool = True,
                 template_kwargs: dict[str, Any] | None = None, reasoning: str | None = None) -> TokenCount:
    """Total tokens and masked-prompt tokens of one row."""
    ids, offset = encode_row(tokenizer, row, fmt, mask_prompt, template_kwargs, reasoning)
    return TokenCount(len(ids), offset)


def count_all(tokenizer: Any, rows: Sequence[dict[str, Any]], fmt: str, mask_prompt: bool = True,
              cancel: Callable[[], bool] | None = None,
              progress: Callable[[int, int], None] | None = None,
              reasoning: str | None = None) -> list[TokenCount | None]:
    """Token counts of many rows (None for a row that cannot be rendered, e.g. a missing key). Stops early, returning
    what it has, when ``cancel()`` becomes true."""
    out: list[TokenCount | None] = []
    n = len(rows)
    for i, row in enumerate(rows):
        if cancel is not None and i % 64 == 0 and cancel():
            break
        try:
            out.append(count_tokens(tokenizer, row, fmt, mask_prompt, reasoning=reasoning))
        except ModelError:
            raise
        except Exception:  # an invalid row (validation reports it); its count is unknown
            out.append(None)
        if progress is not None and (i % 256 == 255 or i == n - 1):
            progress(i + 1, n)
    return out


def special_ids(tokenizer: Any) -> set[int]:
    """Ids of special/control tokens (BOS/EOS/PAD and added special tokens such as ``<|im_start|>``)."""
    hf = _hf(tokenizer)
    ids = set(getattr(hf, "all_special_ids", []) or [])
    decoder = getattr(hf, "added_tokens_decoder", None) or {}
    for tid, tok in decoder.items():
        if getattr(tok, "special", False):
            ids.add(int(tid))
    return ids


def _decode(hf: Any, ids: Sequence[int]) -> str:
    if not ids:
        return ""
    return str(hf.decode(list(ids), skip_special_tokens=False, clean_up_tokenization_spaces=False))


def token_texts(tokenizer: Any, ids: Sequence[int]) -> list[str]:
    """The text of each token such that ``"".join(result) == decode(ids)``; tokens that end inside a multi-byte
    character get ``""`` and the character goes to the token that completes it."""
    hf = _hf(tokenizer)
    texts: list[str] = []
    start = 0  # first token not yet given text
    for i in range(len(ids)):
        ctx = max(0, start - 4)  # a little left context so SentencePiece keeps leading spaces
        before = _decode(hf, ids[ctx:start])
        now = _decode(hf, ids[ctx:i + 1])
        if now.endswith("\ufffd") and i + 1 < len(ids) and i - start < 8:
            texts.append("")
            continue
        piece = now[len(before):] if now.startswith(before) else _decode(hf, ids[start:i + 1])
        texts.append(piece)
        start = i + 1
    return texts


def token_view(tokenizer: Any, row: dict[str, Any], fmt: str, mask_prompt: bool = True,
               max_seq_length: int | None = None, template_kwargs: dict[str, Any] | None = None,
               reasoning: str | None = None) -> TokenView:
    """The row as the trainer sees it (with the run's ``reasoning`` setting): every token with its text, id,
    trained flag and special flag."""
    ids, offset = encode_row(tokenizer, row, fmt, mask_prompt, template_kwargs, reasoning)
    end = len(ids) if max_seq_length is None else min(len(ids), max_seq_length)
    first = max(offset, 1)
    specials = special_ids(tokenizer)
    texts = token_texts(tokenizer, ids)
    pieces = [TokenPiece(texts[p], int(t), first <= p < end, int(t) in specials) for p, t in enumerate(ids)]
    return TokenView(pieces, offset, len(ids), max_seq_length)


def supports_thinking_switch(tokenizer: Any) -> bool:
    """True when the chat template reacts to ``enable_thinking`` (e.g. Qwen3's ``<think>`` block)."""
    return supports_reasoning_setting(tokenizer)
