"""Rebuild Hugging Face ``tokenizer.json`` + ``tokenizer_config.json`` from a GGUF's ``tokenizer.ggml.*`` metadata.

A GGUF carries its tokenizer as metadata (llama.cpp's key names): the vocabulary (``tokens``, in id order), the BPE
``merges`` ("a b" strings), ``token_type`` per token (1 normal, 2 unknown, 3 control/special, 4 user-defined,
5 unused, 6 byte), the special token ids and the chat template. mlx-lm needs them as the files Hugging Face's
``tokenizers``/``transformers`` read, so we build them with the ``tokenizers`` library:

- ``gpt2`` (byte-level BPE; SmolLM2, Llama 3, Qwen…): a BPE model over the byte-level alphabet, the pre-tokenizer
  chosen by ``tokenizer.ggml.pre`` (the split regex llama.cpp uses for that vocabulary, see :data:`PRE_TOKENIZERS`),
  ByteLevel decoder; control tokens become special added tokens, user-defined tokens plain added tokens.
- ``llama`` (SentencePiece BPE with byte fallback; Llama 2, TinyLlama, Mistral…): built with transformers' GGUF
  tokenizer converter, which knows that format's quirks.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlxstudio.core.errors import ModelError
from mlxstudio.core.fsutil import atomic_write_json
from mlxstudio.core.i18n import _

CONTROL, USER_DEFINED = 3, 4

_GPT2_SPLIT = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)"
_LLAMA3_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"
                 r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
_QWEN2_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}"
                r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")

# tokenizer.ggml.pre -> how llama.cpp splits text before BPE for that vocabulary (llama-vocab.cpp).
# "gpt2": the classic GPT-2 regex (ByteLevel's own); "digits+gpt2": every digit on its own first, then GPT-2's;
# otherwise a split regex applied before a regex-free ByteLevel step.
PRE_TOKENIZERS: dict[str, str] = {
    "default": "gpt2", "gpt2": "gpt2", "gpt-2": "gpt2", "olmo": "gpt2", "jais": "gpt2", "mpt": "gpt2",
    "smollm": "digits+gpt2", "starcoder": "digits+gpt2", "refact": "digits+gpt2", "command-r": "digits+gpt2",
    "codeshell": "digits+gpt2", "exaone": "digits+gpt2", "minerva-7b": "digits+gpt2",
    "llama3": _LLAMA3_SPLIT, "llama-v3": _LLAMA3_SPLIT, "llama-bpe": _LLAMA3_SPLIT, "smaug-bpe": _LLAMA3_SPLIT,
    "dbrx": _LLAMA3_SPLIT, "falcon3": _LLAMA3_SPLIT, "pixtral": _LLAMA3_SPLIT,
    "qwen2": _QWEN2_SPLIT, "deepseek-r1-qwen": _QWEN2_SPLIT, "megrez": _QWEN2_SPLIT,
}
# Vocabularies whose BPE takes a word that is a whole token as is, before trying merges (llama.cpp: ignore_merges).
IGNORE_MERGES = {"llama3", "llama-v3", "llama-bpe", "falcon3", "pixtral"}


@dataclass(frozen=True)
class TokenizerSummary:
    """What was written, for config.json and the import log."""

    bos_token_id: int | None
    eos_token_ids: list[int]
    pad_token_id: int | None
    has_chat_template: bool
    warnings: list[str]


def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2's byte -> printable character table (the byte-level BPE alphabet)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, (chr(c) for c in cs), strict=True))


def _token_id(meta: dict[str, Any], key: str, n_tokens: int) -> int | None:
    value = meta.get(f"tokenizer.ggml.{key}")
    if value is None:
        return None
    value = int(value)
    return value if 0 <= value < n_tokens else None


def _pre_tokenizer(pre: str) -> tuple[Any, str | None]:
    from tokenizers import Regex, pre_tokenizers

    kind = PRE_TOKENIZERS.get(pre)
    warning = None
    if kind is None:
        kind = "gpt2"
        warning = _("unknown tokenizer pre-processing {pre!r}: using GPT-2's; tokenization of unusual text "
                    "may differ slightly from llama.cpp").format(pre=pre)
    if kind == "gpt2":
        return pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True), warning
    if kind == "digits+gpt2":
        return pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True),
                                        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)]), warning
    return pre_tokenizers.Sequence([pre_tokenizers.Split(Regex(kind), behavior="isolated"),
                                    pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)]), warning


def _byte_level_tokenizer(meta: dict[str, Any]) -> tuple[Any, list[str]]:
    from tokenizers import AddedToken, Tokenizer, decoders, models, processors

    tokens: list[str] = list(meta["tokenizer.ggml.tokens"])
    types: list[int] = list(meta.get("tokenizer.ggml.token_type") or [1] * len(tokens))
    merges_raw: list[str] = list(meta.get("tokenizer.ggml.merges") or [])
    if not merges_raw:
        raise ModelError(_("the GGUF's byte-level BPE tokenizer has no merges (tokenizer.ggml.merges); "
                           "this file cannot be imported — download the MLX version of the model from a hub."))
    warnings: list[str] = []
    alphabet = set(_bytes_to_unicode().values())
    spelling = _bytes_to_unicode()
    vocab: dict[str, int] = {}
    duplicates = 0
    for i, piece in enumerate(tokens):
        if types[i] not in (CONTROL, USER_DEFINED) and not set(piece) <= alphabet:
            piece = "".join(spelling[b] for b in piece.encode("utf-8"))
        if piece in vocab:
            duplicates += 1
            continue
        vocab[piece] = i
    if duplicates:
        warnings.append(_("{duplicates} duplicate token(s) in the vocabulary were skipped").format(
            duplicates=duplicates))
    merges: list[tuple[str, str]] = []
    for m in merges_raw:
        a, sep, b = m.partition(" ")
        if sep:
            merges.append((a, b))
    pre_name = str(meta.get("tokenizer.ggml.pre", "default"))
    try:
        tok = Tokenizer(models.BPE(vocab=vocab, merges=merges, fuse_unk=False, byte_fallback=False,
                                   ignore_merges=pre_name in IGNORE_MERGES))
    except Exception as exc:  # e.g. a merge whose result is not in the vocabulary: a damaged file
        raise ModelError(_("the GGUF's tokenizer is damaged ({exc}); download the file again, or the MLX version of "
                           "the model from a hub.").format(exc=exc)) from None
    pre, warning = _pre_tokenizer(pre_name)
    if warning:
        warnings.append(warning)
    tok.pre_tokenizer = pre
    tok.decoder = decoders.ByteLevel()
    specials = [AddedToken(t, special=True, normalized=False) for i, t in enumerate(tokens)
                if types[i] == CONTROL and vocab.get(t) == i]
    users = [AddedToken(t, special=False, normalized=False) for i, t in enumerate(tokens)
             if types[i] == USER_DEFINED and vocab.get(t) == i]
    if specials:
        tok.add_special_tokens(specials)
    if users:
        tok.add_tokens(users)
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    return tok, warnings


def _sentencepiece_tokenizer(meta: dict[str, Any]) -> tuple[Any, list[str]]:
    try:
        from transformers.integrations.gguf.gguf_tokenizer_mapping import convert_gguf_tokenizer
    except ImportError as exc:  # pragma: no cover - depends on the transformers version
        raise ModelError(_("this GGUF uses a SentencePiece ('llama') tokenizer, which needs a newer transformers "
                           "package to convert ({exc}). Download the MLX version of the model from a hub.").format(
                               exc=exc)) from None
    keys = {"tokens": "tokens", "scores": "scores", "token_type": "token_type", "merges": "merges",
            "bos_token_id": "bos_token_id", "eos_token_id": "eos_token_id", "unknown_token_id": "unk_token_id",
            "padding_token_id": "pad_token_id", "add_space_prefix": "add_prefix_space", "pre": "pre_tokenizer_type",
            "model": "tokenizer_type"}
    tokenizer_dict = {name: meta[f"tokenizer.ggml.{key}"] for key, name in keys.items()
                      if f"tokenizer.ggml.{key}" in meta}
    try:
        backend, _extra = convert_gguf_tokenizer(str(meta.get("general.architecture", "llama")), tokenizer_dict)
    except Exception as exc:
        raise ModelError(_("could not rebuild the GGUF's SentencePiece tokenizer ({exc}). "
                           "Download the MLX version of the model from a hub.").format(exc=exc)) from None
    return backend, []


def write_tokenizer(meta: dict[str, Any], out_dir: Path, model_max_length: int | None = None) -> TokenizerSummary:
    """Write ``tokenizer.json`` and ``tokenizer_config.json`` into ``out_dir`` from GGUF metadata ``meta``.

    Raises :class:`ModelError` when the file has no tokenizer or one of a kind that cannot be rebuilt.
    """
    kind = meta.get("tokenizer.ggml.model")
    tokens = meta.get("tokenizer.ggml.tokens")
    if not kind or not tokens:
        raise ModelError(_("the GGUF file has no tokenizer (no tokenizer.ggml.model/tokens metadata), so it cannot "
                           "be used on its own. Download the MLX version of the model from a hub."))
    if kind == "gpt2":
        tok, warnings = _byte_level_tokenizer(meta)
    elif kind == "llama":
        tok, warnings = _sentencepiece_tokenizer(meta)
    else:
        raise ModelError(_("the GGUF's tokenizer type {kind!r} is not supported (supported: 'gpt2' byte-level BPE and "
                           "'llama' SentencePiece). Download the MLX version of the model from a hub.").format(
                               kind=kind))
    n = len(tokens)
    bos = _token_id(meta, "bos_token_id", n)
    add_bos = bool(meta.get("tokenizer.ggml.add_bos_token", kind == "llama"))
    if add_bos and bos is not None:  # llama.cpp prepends BOS to every text: the tokenizer must do the same
        from tokenizers import processors

        b = tokens[bos]
        tok.post_processor = processors.TemplateProcessing(single=f"{b} $A", pair=f"{b} $A {b} $B",
                                                           special_tokens=[(b, bos)])
    tok.save(str(out_dir / "tokenizer.json"))

    eos = _token_id(meta, "eos_token_id", n)
    eot = _token_id(meta, "eot_token_id", n)
    pad = _token_id(meta, "padding_token_id", n)
    unk = _token_id(meta, "unknown_token_id", n)
    eos_ids = [i for i in (eos, eot) if i is not None]
    eos_ids = list(dict.fromkeys(eos_ids))
    template = meta.get("tokenizer.chat_template")

    def name(i: int | None) -> str | None:
        return tokens[i] if i is not None else None

    config: dict[str, Any] = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": name(bos),
        "eos_token": name(eos),
        "pad_token": name(pad),
        "unk_token": name(unk) if kind == "llama" else None,
        "add_bos_token": add_bos,
        "add_eos_token": bool(meta.get("tokenizer.ggml.add_eos_token", False)),
        "clean_up_tokenization_spaces": False,
        "model_max_length": int(model_max_length) if model_max_length else 2048,
    }
    if template:
        config["chat_template"] = str(template)
    else:
        warnings.append(_("the GGUF has no chat template: prompts will be sent to the model as plain text"))
    atomic_write_json(out_dir / "tokenizer_config.json", config)
    special_map = {k: v for k, v in (("bos_token", name(bos)), ("eos_token", name(eos)), ("pad_token", name(pad)))
                   if v is not None}
    atomic_write_json(out_dir / "special_tokens_map.json", special_map)
    return TokenizerSummary(bos_token_id=bos, eos_token_ids=eos_ids, pad_token_id=pad,
                            has_chat_template=bool(template), warnings=warnings)
