"""Write the YAML-config and GGUF part of the bad-input corpus: ``tests/data/bad/yaml/`` and ``tests/data/bad/gguf/``.

Run once: ``python tests/data/make_config_model_corpus.py``; the files are committed (the GGUF files are a few KB:
a made-up 1-layer llama with hidden size 8, written with the ``gguf`` package, then damaged in one way each).
Each folder's ``EXPECTED.json`` maps a file to the exit code of the CLI (``train --config`` / ``import-gguf``: 2 =
refused, 0 = unusual but valid), the line the message must name (null: none, e.g. binary files) and a fragment the
message must contain. The test is ``tests/test_reliability_corpus.py``.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
YAML: dict[str, tuple[bytes, int, int | None, str]] = {}
GGUF: dict[str, tuple[bytes, int, int | None, str]] = {}


def y(name: str, text: str | bytes, code: int, line: int | None, fragment: str) -> None:
    YAML[name] = (text.encode("utf-8") if isinstance(text, str) else text, code, line, fragment)


# -- YAML training configs: refused (exit 2) ------------------------------------------------------------------------
y("unknown_key.yaml", "iters: 10\nlearnig_rate: 1e-4\n", 2, 2, "did you mean 'learning_rate'")
y("unknown_nested_key.yaml", "lora_parameters:\n  rank: 8\n  alpha: 16\n", 2, 3, "'scale', not 'alpha'")
y("unknown_key_only.yaml", "epochz: 3\n", 2, 1, "unknown setting")
y("wrong_type_int.yaml", "iters: 100\nbatch_size: four\n", 2, 2, "expected a whole number")
y("wrong_type_float.yaml", "learning_rate: fast\n", 2, 1, "expected a number")
y("wrong_type_bool.yaml", "mask_prompt: 1\n", 2, 1, "expected true or false")
y("wrong_type_text.yaml", "optimizer: 3\n", 2, 1, "expected text")
y("wrong_type_mapping.yaml", "lora_parameters: 8\n", 2, 1, "expected a mapping")
y("fractional_int.yaml", "iters: 10.5\n", 2, 1, "expected a whole number")
y("out_of_range.yaml", "iters: 10\nlora_parameters:\n  rank: 0\n", 2, 3, "must be at least 1")
y("learning_rate_too_high.yaml", "learning_rate: 5\n", 2, 1, "must be at most 1")
y("nan_value.yaml", "learning_rate: .nan\n", 2, 1, "finite")
y("infinite_value.yaml", "iters: 1e400\n", 2, 1, "expected a whole number")
y("bad_choice.yaml", "fine_tune_type: qlora\n", 2, 1, "not one of lora, dora")
y("bad_schedule.yaml", "lr_schedule:\n  name: step_decay\n  arguments: [1, 2, 3]\n", 2, 2, "step_decay")
y("schedule_not_mapping.yaml", "lr_schedule: [1, 2]\n", 2, 1, "expected a mapping")
y("schedule_bad_arguments.yaml", "lr_schedule:\n  name: cosine_decay\n  arguments: [fast, 10]\n", 2, 3,
  "list of numbers")
y("duplicate_key.yaml", "iters: 10\nbatch_size: 4\niters: 20\n", 2, 3, "given twice (lines 1 and 3)")
y("duplicate_nested_key.yaml", "lora_parameters:\n  rank: 4\n  rank: 8\n", 2, 3, "lora_parameters.rank: given twice")
y("optimizer_config_bad_value.yaml", "optimizer: adam\noptimizer_config:\n  adam:\n    betas: fast\n", 2, 2,
  "adam.betas: expected a number")
y("optimizer_config_not_mapping.yaml", "optimizer: adam\noptimizer_config:\n  adam: 0.9\n", 2, 2, "must be a mapping")
y("warmup_too_long.yaml", "iters: 10\nlr_schedule:\n  name: cosine_decay\n  arguments: [1e-4, 10]\n  warmup: 10\n",
  2, 5, "warm-up")
y("list_at_top_level.yaml", "- iters: 10\n- rank: 8\n", 2, 1, "expected a mapping")
y("scalar_at_top_level.yaml", "iters 10\n", 2, 1, "expected a mapping")
y("unclosed_bracket.yaml", "iters: [10\n", 2, 2, "not valid YAML")
y("bad_indentation.yaml", "iters: 10\n  batch_size: 4\n", 2, 2, "not valid YAML")
y("tab_indentation.yaml", "lora_parameters:\n\trank: 8\n", 2, 2, "not valid YAML")
y("two_documents.yaml", "iters: 1\n---\niters: 2\n", 2, 2, "not valid YAML")
y("unclosed_quote.yaml", 'iters: 10\noptimizer: "adam\n', 2, 3, "not valid YAML")
y("python_object_tag.yaml", "iters: !!python/object/apply:os.system ['echo pwned > /tmp/pwned']\n", 2, 1,
  "not valid YAML")
y("alias_bomb.yaml", "".join(
    f"{k}: &{k} [{', '.join([f'*{p}'] * 9) if p else ', '.join(['x'] * 9)}]\n"
    for k, p in zip("abcdefgh", ["", *"abcdefg"], strict=True)), 2, 1, "unknown setting")
y("json_wrong_type.yaml", '{"iters": "ten"}\n', 2, 1, "expected a whole number")
y("invalid_utf8.yaml", b"iters: 10\n# caf\xe9\n", 2, None, "not UTF-8")
y("utf16.yaml", "iters: 10\n".encode("utf-16"), 2, None, "not UTF-8")
y("binary_garbage.yaml", bytes(range(256)) * 2, 2, None, "not UTF-8")
# -- unusual but valid (exit 0) -------------------------------------------------------------------------------------
y("empty.yaml", "", 0, None, "")
y("only_comments.yaml", "# nothing set here\n\n# defaults apply\n", 0, None, "")
y("bom_crlf.yaml", "\ufeffiters: 3\r\nlora_parameters:\r\n  rank: 4\r\n", 0, None, "")
y("mlx_lm_full.yaml", "model: some/model\ntrain: true\ndata: data/\nadapter_path: adapters\niters: 3\n"
  "lora_parameters:\n  rank: 4\n  scale: 10.0\n  dropout: 0.0\nlr_schedule:\n  name: cosine_decay\n"
  "  arguments: [1e-5, 3, 1e-7]\n", 0, None, "")


# -- GGUF model files -----------------------------------------------------------------------------------------------
HIDDEN, FF, HEADS, KV, VOCAB = 8, 16, 2, 1, 16
LAYER_PARTS = {  # numpy shape (rows = outputs)
    "attn_norm": (HIDDEN,), "attn_q": (HIDDEN, HIDDEN), "attn_k": (KV * HIDDEN // HEADS, HIDDEN),
    "attn_v": (KV * HIDDEN // HEADS, HIDDEN), "attn_output": (HIDDEN, HIDDEN), "ffn_norm": (HIDDEN,),
    "ffn_gate": (FF, HIDDEN), "ffn_up": (FF, HIDDEN), "ffn_down": (HIDDEN, FF),
}


def tiny_gguf(path: Path, arch: str | None = "llama", *, drop_meta: tuple[str, ...] = (),
              drop_tensors: tuple[str, ...] = (), extra: dict[str, tuple[Any, str]] | None = None,
              tokenizer: bool = True, tokens: int = VOCAB, merge: str = "a b") -> Path:
    """A complete, tiny llama GGUF (1 layer, hidden 8, vocab 16, F32), damaged as asked."""
    import gguf
    import numpy as np

    rng = np.random.default_rng(0)
    w = gguf.GGUFWriter(str(path), arch or "llama")
    if arch is None:  # the writer always adds general.architecture; drop it again
        w.kv_data[0].pop("general.architecture", None)
    a = arch or "llama"
    meta = {"context_length": 64, "embedding_length": HIDDEN, "block_count": 1, "feed_forward_length": FF,
            "attention.head_count": HEADS, "attention.head_count_kv": KV}
    for key, value in meta.items():
        if key not in drop_meta:
            w.add_uint32(f"{a}.{key}", value)
    w.add_float32(f"{a}.attention.layer_norm_rms_epsilon", 1e-5)
    w.add_float32(f"{a}.rope.freq_base", 10000.0)
    if tokenizer:
        vocab = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "ab"] + [chr(ord("a") + i) for i in range(tokens - 4)]
        w.add_tokenizer_model("gpt2")
        w.add_tokenizer_pre("default")
        w.add_token_list(vocab)
        w.add_token_types([3, 3, 3] + [1] * (tokens - 3))
        w.add_token_merges([merge])
        w.add_eos_token_id(2)
    tensors = {"token_embd.weight": (VOCAB, HIDDEN), "output_norm.weight": (HIDDEN,)}
    tensors.update({f"blk.0.{part}.weight": shape for part, shape in LAYER_PARTS.items()})
    for name, shape in tensors.items():
        if name not in drop_tensors:
            w.add_tensor(name, rng.standard_normal(shape).astype(np.float32) * 0.1)
    for name, (raw, type_name) in (extra or {}).items():
        w.add_tensor(name, raw, raw_dtype=gguf.GGMLQuantizationType[type_name])
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path


def g(name: str, data: bytes, fragment: str) -> None:
    GGUF[name] = (data, 2, None, fragment)


def build_gguf(tmp: Path) -> None:
    import numpy as np

    def make(name: str, **kw: Any) -> bytes:
        return tiny_gguf(tmp / name, **kw).read_bytes()

    good = make("good.gguf")
    g("empty.gguf", b"", "not a GGUF model file or is incomplete")
    g("text_file.gguf", b"this is not a model\n", "not a GGUF model file")
    g("zip_file.gguf", b"PK\x03\x04" + bytes(200), "does not start with 'GGUF'")
    g("old_ggml.gguf", b"tjgg" + bytes(200), "old GGML/GGJT")
    g("version_1.gguf", b"GGUF" + struct.pack("<I", 1) + good[8:], "GGUF version 1")
    g("version_99.gguf", b"GGUF" + struct.pack("<I", 99) + good[8:], "GGUF version 99")
    g("truncated_header.gguf", good[:20], "incomplete")
    g("truncated_metadata.gguf", good[:200], "incomplete")
    g("truncated_tensor_data.gguf", good[:-100], "incomplete")
    g("huge_tensor_count.gguf", good[:8] + struct.pack("<Q", 2**62) + good[16:], "incomplete")
    g("huge_metadata_count.gguf", good[:16] + struct.pack("<Q", 2**62) + good[24:], "incomplete")
    first_key = good.index(b"general.architecture") - 8  # the length prefix of the first metadata key
    g("huge_string_length.gguf", good[:first_key] + struct.pack("<Q", 2**60) + good[first_key + 8:], "incomplete")
    type_at = first_key + 8 + len(b"general.architecture")
    g("bad_value_type.gguf", good[:type_at] + struct.pack("<I", 99) + good[type_at + 4:], "damaged")
    g("k_quant.gguf", make("k.gguf", drop_tensors=("blk.0.ffn_up.weight",),
                           extra={"blk.0.ffn_up.weight": (np.zeros((1, 144), np.uint8), "Q4_K")}), "Q4_K")
    g("i_quant.gguf", make("i.gguf", drop_tensors=("blk.0.ffn_up.weight",),
                           extra={"blk.0.ffn_up.weight": (np.zeros((1, 66), np.uint8), "IQ2_XXS")}), "IQ2_XXS")
    g("unknown_architecture.gguf", make("mamba.gguf", arch="mamba"), "'mamba'")
    g("no_architecture.gguf", make("noarch.gguf", arch=None), "general.architecture")
    g("missing_metadata.gguf", make("meta.gguf", drop_meta=("block_count",)), "llama.block_count")
    g("missing_tensor.gguf", make("hole.gguf", drop_tensors=("blk.0.ffn_down.weight",)), "blk.0.ffn_down.weight")
    g("unexpected_tensor.gguf", make("extra.gguf", extra={"blk.0.vision_proj.weight": (
        np.zeros((4, 4), np.float32), "F32")}), "blk.0.vision_proj.weight")
    g("no_tokenizer.gguf", make("notok.gguf", tokenizer=False), "no tokenizer")
    g("merge_out_of_vocabulary.gguf", make("merge.gguf", merge="c d"), "tokenizer is damaged")
    g("more_tokens_than_embeddings.gguf", make("vocab.gguf", tokens=VOCAB + 8), "tokenizer has 24 tokens")


def main() -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        build_gguf(Path(tmp))
    for folder, table in (("yaml", YAML), ("gguf", GGUF)):
        out = HERE / "bad" / folder
        out.mkdir(parents=True, exist_ok=True)
        expected = {}
        for name, (data, code, line, fragment) in sorted(table.items()):
            (out / name).write_bytes(data)
            expected[name] = {"exit": code, "line": line, "message": fragment}
        (out / "EXPECTED.json").write_text(json.dumps(expected, indent=1, ensure_ascii=False) + "\n",
                                           encoding="utf-8")
        print(f"{out}: {len(table)} files")


if __name__ == "__main__":
    main()
