"""GGUF import: the real demo file (answers the France question), tiny GGUF files written by the test (F32/F16/Q8_0/
Q4_0/Q4_1 → same logits as the reference weights), and every kind of unusable file → a clear ModelError."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pytest
from gguf_factory import reference_logits, tiny_tokenizer_metadata, write_tiny_gguf

from mlxstudio.core import errors
from mlxstudio.core.errors import ModelError
from mlxstudio.core.events import Log, Progress
from mlxstudio.core.models.gguf.importer import check_gguf, import_gguf, unpermute_rows_index
from mlxstudio.core.models.gguf.reader import read_gguf
from mlxstudio.core.models.library import inspect_model, validate_model_dir

PROBE = [5, 17, 42, 99, 150, 200, 7, 3]


def _hidden_files(root: Path) -> list[str]:
    return [p.name for p in root.iterdir() if p.name.startswith(".")]


# -- the real demo file ----------------------------------------------------------------------------------------
def test_demo_gguf_imports_and_answers_paris(demo_model: Path) -> None:
    from mlx_lm import generate, load
    from mlx_lm.utils import dequantize_model

    from mlxstudio.core.runtime.mlxrt import mx

    config = json.loads((demo_model / "config.json").read_text())
    assert config["model_type"] == "llama"
    assert config["tie_word_embeddings"] is True
    assert config["quantization"]["bits"] == 4 and config["quantization"]["group_size"] == 32
    assert config["quantization"]["model.embed_tokens"] == {"group_size": 32, "bits": 8}  # Q8_0 in the file
    assert config["eos_token_id"] == 2
    tok_cfg = json.loads((demo_model / "tokenizer_config.json").read_text())
    assert "<|im_start|>" in tok_cfg["chat_template"] and tok_cfg["eos_token"] == "<|im_end|>"

    model, tokenizer = load(str(demo_model))
    # quantized matmuls are ~50x slower than float32 on MLX's CPU backend: dequantize, as the app does on the CPU
    model = dequantize_model(model)
    model.set_dtype(mx.float32)
    prompt = tokenizer.apply_chat_template([{"role": "user", "content": "What is the capital of France?"}],
                                           add_generation_prompt=True)
    answer = generate(model, tokenizer, prompt, max_tokens=12)
    assert "Paris" in answer, answer
    # the rebuilt tokenizer round-trips Chinese and keeps ChatML tokens whole
    text = "蓝牙耳机坏了应该看什么科? 12345"
    assert tokenizer.decode(tokenizer.encode(text, add_special_tokens=False)) == text
    assert tokenizer.encode("<|im_start|>", add_special_tokens=False) == [1]


def test_demo_model_inspection(demo_model: Path) -> None:
    info = inspect_model(demo_model)
    assert info.problem is None
    assert info.architecture == "llama"
    assert info.parameters == 134_515_008  # SmolLM2-135M, packed 4-/8-bit words unpacked in the count
    assert info.quantization == "4-bit g32 mixed" and info.bits == 4
    assert info.has_chat_template
    assert info.source == "demo"
    assert 90e6 < info.size_bytes < 110e6


def test_demo_header_check_is_fast_and_complete(demo_gguf: Path) -> None:
    info = check_gguf(demo_gguf)
    assert info.architecture == "llama"
    assert info.type_counts == {"Q4_1": 210, "F32": 61, "Q8_0": 1}
    assert info.metadata["tokenizer.ggml.model"] == "gpt2"
    assert len(info.metadata["tokenizer.ggml.tokens"]) == 49152


# -- tiny files written by the test -----------------------------------------------------------------------------
@pytest.mark.parametrize(("qtype", "tol"), [("F32", 1e-4), ("F16", 2e-2), ("Q8_0", 2e-2), ("Q4_0", 2e-2),
                                            ("Q4_1", 2e-2)])
def test_tiny_gguf_imports_with_reference_logits(tmp_path: Path, qtype: str, tol: float) -> None:
    from mlx_lm import load

    from mlxstudio.core.runtime.mlxrt import mx

    src = tmp_path / f"tiny.{qtype}.gguf"
    ref = write_tiny_gguf(src, qtype=qtype)
    events: list[object] = []
    out = import_gguf(src, dest_root=tmp_path / "lib", sink=events.append)
    assert out == tmp_path / "lib" / f"tiny.{qtype}"
    validate_model_dir(out)
    assert not _hidden_files(tmp_path / "lib")  # the staging folder is gone
    steps = [e for e in events if isinstance(e, Progress)]
    assert steps and steps[-1].done == steps[-1].total and all(e.job == "import" for e in steps)
    config = json.loads((out / "config.json").read_text())
    if qtype in ("Q8_0", "Q4_0", "Q4_1"):
        assert config["quantization"] == {"group_size": 32, "bits": 8 if qtype == "Q8_0" else 4}
    else:
        assert "quantization" not in config

    model, tokenizer = load(str(out))
    got = np.array(model(mx.array([PROBE]))[0].astype(mx.float32))
    want = reference_logits(ref, config["vocab_size"], PROBE)
    scale = np.abs(want).max()
    assert np.abs(got - want).max() <= tol * scale, (qtype, np.abs(got - want).max(), scale)
    assert tokenizer.chat_template and tokenizer.eos_token == "<|im_end|>"


@pytest.mark.parametrize(("arch", "qtype"), [("qwen2", "F32"), ("qwen2", "Q8_0"), ("qwen3", "F32"), ("qwen3", "Q4_1")])
def test_tiny_qwen_gguf_imports_with_reference_logits(tmp_path: Path, arch: str, qtype: str) -> None:
    """Qwen files: biases (qwen2) and Q/K norms with a wider head (qwen3); no Q/K permutation (NEOX RoPE)."""
    from mlx_lm import load

    from mlxstudio.core.runtime.mlxrt import mx

    src = tmp_path / f"{arch}.gguf"
    ref = write_tiny_gguf(src, qtype=qtype, arch=arch)
    out = import_gguf(src, dest_root=tmp_path / "lib")
    config = json.loads((out / "config.json").read_text())
    assert config["model_type"] == arch
    model, _ = load(str(out))
    got = np.array(model(mx.array([PROBE]))[0].astype(mx.float32))
    want = reference_logits(ref, config["vocab_size"], PROBE, arch=arch)
    tol = 1e-4 if qtype == "F32" else 2e-2
    assert np.abs(got - want).max() <= tol * np.abs(want).max()


def test_tiny_untied_gguf_keeps_lm_head(tmp_path: Path) -> None:
    from mlx_lm import load

    from mlxstudio.core.runtime.mlxrt import mx

    src = tmp_path / "untied.gguf"
    ref = write_tiny_gguf(src, qtype="F32", tied=False)
    out = import_gguf(src, name="untied", dest_root=tmp_path)
    assert json.loads((out / "config.json").read_text())["tie_word_embeddings"] is False
    model, _ = load(str(out))
    got = np.array(model(mx.array([PROBE]))[0])
    want = reference_logits(ref, model.args.vocab_size, PROBE, tied=False)
    assert np.allclose(got, want, atol=1e-4 * np.abs(want).max())


def test_rebuilt_tokenizer_matches_the_original(tmp_path: Path) -> None:
    from tokenizers import Tokenizer

    src = tmp_path / "tok.gguf"
    write_tiny_gguf(src)
    out = import_gguf(src, name="tok", dest_root=tmp_path)
    original = Tokenizer.from_str(tiny_tokenizer_metadata()["tokenizer_json"])
    rebuilt = Tokenizer.from_file(str(out / "tokenizer.json"))
    for text in ["今天星期几", "What is the capital of France?", "<|im_start|>user\nhello world<|im_end|>",
                 "  spaces  and 0123456789 ", "鲁迅为什么讨厌周树人"]:
        assert rebuilt.encode(text).ids == original.encode(text).ids, text
        assert rebuilt.decode(rebuilt.encode(text).ids, skip_special_tokens=False) == text


def test_unpermute_undoes_llama_cpp_permute() -> None:
    from mlx_lm.gguf import permute_weights

    from mlxstudio.core.runtime.mlxrt import mx

    for rows, heads in ((64, 4), (48, 3), (576, 9)):
        w = mx.arange(rows * 2).reshape(rows, 2)
        permuted = permute_weights(w, heads, heads)
        back = permuted[mx.array(unpermute_rows_index(rows, heads))]
        assert mx.array_equal(back, w)


# -- unusable files ----------------------------------------------------------------------------------------------
def test_undequantizable_type_is_refused_naming_it(tmp_path: Path) -> None:
    src = tmp_path / "q8k.gguf"
    # one Q8_K tensor (292 bytes per 256 weights: llama.cpp's internal type, which gguf-py cannot dequantize)
    write_tiny_gguf(src, drop=("blk.0.attn_v.weight",),
                    extra_tensors={"blk.0.attn_v.weight": (np.zeros((32, 292), np.uint8), "Q8_K")})
    with pytest.raises(ModelError, match=r"\(llama\).*Q8_K × 1") as exc:
        import_gguf(src, dest_root=tmp_path / "lib")
    msg = str(exc.value)
    assert "Q4_K_M" in msg and "hub" in msg
    assert not (tmp_path / "lib").exists() or not list((tmp_path / "lib").iterdir())


def test_unknown_architecture_is_named(tmp_path: Path) -> None:
    src = tmp_path / "mamba.gguf"
    write_tiny_gguf(src, arch="mamba")
    with pytest.raises(ModelError, match=r"'mamba'"):
        import_gguf(src, dest_root=tmp_path / "lib")


def test_truncated_file_says_incomplete(tmp_path: Path) -> None:
    src = tmp_path / "full.gguf"
    write_tiny_gguf(src, qtype="F16")
    data = src.read_bytes()
    for n, cut in enumerate((len(data) - 1000, 1000, 30)):
        bad = tmp_path / f"cut{n}.gguf"
        bad.write_bytes(data[:cut])
        with pytest.raises(ModelError, match=r"incomplete"):
            import_gguf(bad, dest_root=tmp_path / "lib")


def test_wrong_magic_and_empty_file(tmp_path: Path) -> None:
    src = tmp_path / "model.gguf"
    src.write_bytes(b"PK\x03\x04" + b"\0" * 100)
    with pytest.raises(ModelError, match=r"not a GGUF"):
        read_gguf(src)
    empty = tmp_path / "empty.gguf"
    empty.write_bytes(b"")
    with pytest.raises(ModelError, match=r"not a GGUF model file or is incomplete"):
        read_gguf(empty)
    with pytest.raises(ModelError, match=r"no such file"):
        import_gguf(tmp_path / "missing.gguf")


def test_missing_tensor_is_named(tmp_path: Path) -> None:
    src = tmp_path / "holes.gguf"
    write_tiny_gguf(src, drop=("blk.1.ffn_down.weight",))
    with pytest.raises(ModelError, match=r"blk\.1\.ffn_down\.weight"):
        check_gguf(src)


def test_existing_name_needs_overwrite(tmp_path: Path) -> None:
    src = tmp_path / "tiny.gguf"
    write_tiny_gguf(src)
    import_gguf(src, dest_root=tmp_path / "lib")
    with pytest.raises(ModelError, match=r"already exists"):
        import_gguf(src, dest_root=tmp_path / "lib")
    assert import_gguf(src, dest_root=tmp_path / "lib", overwrite=True).is_dir()


def test_cancel_leaves_nothing_behind(tmp_path: Path) -> None:
    src = tmp_path / "tiny.gguf"
    write_tiny_gguf(src)
    calls = 0

    def cancel_after_two() -> bool:
        nonlocal calls
        calls += 1
        return calls > 2

    with pytest.raises(errors.Cancelled):
        import_gguf(src, dest_root=tmp_path / "lib", cancel=cancel_after_two)
    assert list((tmp_path / "lib").iterdir()) == []
    event = threading.Event()
    event.set()
    with pytest.raises(errors.Cancelled):
        import_gguf(src, dest_root=tmp_path / "lib", cancel=event)


def test_default_destination_is_the_library(tmp_path: Path) -> None:
    from mlxstudio.core import paths
    from mlxstudio.core.models.library import read_source

    src = tmp_path / "My Model.Q8_0.gguf"
    write_tiny_gguf(src, qtype="Q8_0", chat_template="")
    logs: list[Log] = []
    out = import_gguf(src, sink=lambda e: logs.append(e) if isinstance(e, Log) else None)
    assert out == paths.models_dir() / "My Model.Q8_0"
    assert read_source(out)["source"] == "gguf: My Model.Q8_0.gguf"
    assert not inspect_model(out).has_chat_template
    assert any("no chat template" in e.message for e in logs)


def test_worker_job(tmp_path: Path) -> None:
    from mlxstudio.core import events as ev
    from mlxstudio.core.runtime.worker import execute

    src = tmp_path / "tiny.gguf"
    write_tiny_gguf(src, qtype="F16")
    got: list[ev.Event] = []
    assert execute("import-gguf", {"path": str(src), "name": "w", "dest_root": str(tmp_path / "lib")},
                   got.append) == 0
    assert isinstance(got[-1], ev.Finished) and got[-1].result["path"] == str(tmp_path / "lib" / "w")
    got.clear()
    assert execute("import-gguf", {"path": str(tmp_path / "nope.gguf")}, got.append) == 2
    assert isinstance(got[-1], ev.Failed) and "no such file" in got[-1].message


def test_sentencepiece_tokenizer_from_metadata(tmp_path: Path) -> None:
    """A 'llama' (SentencePiece BPE, byte fallback) vocabulary as llama.cpp stores it → same ids as sentencepiece."""
    import sentencepiece as spm
    from tiny_model import CORPUS
    from transformers import AutoTokenizer

    from mlxstudio.core.models.gguf.tokenizer import write_tokenizer

    (tmp_path / "corpus.txt").write_text("\n".join(CORPUS * 4), encoding="utf-8")
    spm.SentencePieceTrainer.train(input=str(tmp_path / "corpus.txt"), model_prefix=str(tmp_path / "m"),
                                   vocab_size=400, model_type="bpe", byte_fallback=True, character_coverage=1.0,
                                   bos_id=1, eos_id=2, unk_id=0, pad_id=-1, minloglevel=2)
    sp = spm.SentencePieceProcessor(model_file=str(tmp_path / "m.model"))

    def token_type(i: int) -> int:  # llama.cpp's SentencePiece token types
        return 2 if sp.is_unknown(i) else 3 if sp.is_control(i) else 6 if sp.is_byte(i) else 1

    n = sp.get_piece_size()
    meta = {"general.architecture": "llama", "tokenizer.ggml.model": "llama",
            "tokenizer.ggml.tokens": [sp.id_to_piece(i) for i in range(n)],
            "tokenizer.ggml.scores": [sp.get_score(i) for i in range(n)],
            "tokenizer.ggml.token_type": [token_type(i) for i in range(n)],
            "tokenizer.ggml.bos_token_id": 1, "tokenizer.ggml.eos_token_id": 2, "tokenizer.ggml.unknown_token_id": 0}
    out = tmp_path / "tok"
    out.mkdir()
    summary = write_tokenizer(meta, out)
    assert summary.bos_token_id == 1 and summary.eos_token_ids == [2]
    tok = AutoTokenizer.from_pretrained(str(out))
    for text in ["今天星期几", "What is the capital of France?", "hello world 0123", "zebra Ω ✓"]:
        ids = tok.encode(text, add_special_tokens=False)
        assert ids == sp.encode(text), text
        assert tok.decode(ids) == text
    assert tok.encode("hi")[0] == 1  # llama.cpp adds BOS to SentencePiece vocabularies


def _llama3_rope_factors(head_dim: int, theta: float, factor: float, old_ctx: int = 8192) -> np.ndarray:
    """llama.cpp's convert_hf_to_gguf.py computation of the ``rope_freqs`` tensor for Llama 3.1-style scaling."""
    import math

    out = []
    for i in range(0, head_dim, 2):
        wavelen = 2 * math.pi * theta ** (i / head_dim)
        if wavelen < old_ctx / 4.0:
            out.append(1.0)
        elif wavelen > old_ctx / 1.0:
            out.append(factor)
        else:
            smooth = (old_ctx / wavelen - 1.0) / (4.0 - 1.0)
            out.append(1 / ((1 - smooth) / factor + smooth))
    return np.array(out, dtype=np.float32)


def test_llama3_rope_freqs_become_rope_scaling(tmp_path: Path) -> None:
    from mlx_lm import load

    from mlxstudio.core.runtime.mlxrt import mx

    factors = _llama3_rope_factors(16, 10000.0, 32.0)
    assert len(set(factors.round(3).tolist())) > 2  # the tiny model's head size covers all three bands
    src = tmp_path / "l3.gguf"
    write_tiny_gguf(src, extra_tensors={"rope_freqs.weight": (factors, "F32")})
    out = import_gguf(src, name="l3", dest_root=tmp_path)
    scaling = json.loads((out / "config.json").read_text())["rope_scaling"]
    assert scaling["rope_type"] == "llama3" and scaling["factor"] == pytest.approx(32.0)
    assert scaling["original_max_position_embeddings"] == 8192
    model, _ = load(str(out))
    assert bool(mx.all(mx.isfinite(model(mx.array([PROBE])))))

    bad = tmp_path / "odd.gguf"
    write_tiny_gguf(bad, extra_tensors={"rope_freqs.weight": (factors[::-1].copy(), "F32")})
    with pytest.raises(ModelError, match=r"rope_freqs"):
        import_gguf(bad, name="odd", dest_root=tmp_path)
