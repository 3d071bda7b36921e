"""Exports: model folder with a model card, adapter-only zip/folder, GGUF + Ollama Modelfile."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from lora_helpers import make_random_adapter

from mlxstudio.core import errors
from mlxstudio.core.inference.export import (
    export_adapter,
    export_gguf,
    export_model_folder,
    export_ollama,
    modelfile_text,
    public_settings,
    template_family,
)
from mlxstudio.core.inference.fuse import fuse_adapter
from mlxstudio.core.inference.generate import Generator


@pytest.fixture
def fused(tiny_model: Path, tmp_path: Path) -> tuple[Path, Path]:
    adapter = make_random_adapter(tiny_model, tmp_path / "run-1", num_layers=1)
    return fuse_adapter(tiny_model, adapter, tmp_path / "tiny-run-1"), adapter


def _all_text(folder: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in folder.rglob("*")
                     if p.is_file() and p.suffix in {".json", ".md", ".jinja", ".txt", ""})


def test_public_settings_drops_secrets_and_paths() -> None:
    data = {"model": "/Users/me/models/base", "hf_token": "hf_abc", "max_tokens": 5, "lora_parameters": {"rank": 8},
            "note": "/home/me/secret/place", "data": "relative/name.jsonl"}
    assert public_settings(data) == {"model": "base", "max_tokens": 5, "lora_parameters": {"rank": 8},
                                     "note": "place", "data": "name.jsonl"}


def test_model_folder_export_has_card_and_no_local_paths(fused: tuple[Path, Path], tmp_path: Path,
                                                         seed_data: Path) -> None:
    model, _ = fused
    out = export_model_folder(model, tmp_path / "share" / "tiny-seed", dataset=seed_data,
                              eval_summary="tuned 5/5 exact, base 0/5 exact")
    card = (out / "README.md").read_text(encoding="utf-8")
    assert "base_model: tiny-llama" in card and "tuned 5/5 exact" in card and "sha256:" in card
    assert '"rank": 4' in card
    assert not (out / "mlxstudio.json").exists()
    text = _all_text(out)
    assert str(tmp_path) not in text and "/tmp/" not in text
    assert Generator(out).generate("今天星期几", max_tokens=6) == Generator(model).generate("今天星期几", max_tokens=6)


def test_adapter_export_zip_and_folder(tiny_model: Path, fused: tuple[Path, Path], tmp_path: Path) -> None:
    _, adapter = fused
    z = export_adapter(adapter, tmp_path / "adapter.zip")
    with zipfile.ZipFile(z) as zf:
        assert sorted(zf.namelist()) == ["README.md", "adapter_config.json", "adapters.safetensors"]
        cfg = json.loads(zf.read("adapter_config.json"))
    assert cfg["model"] == tiny_model.name
    folder = export_adapter(adapter, tmp_path / "shared-adapter")
    want = Generator(tiny_model, adapter).generate("hello world", max_tokens=6)
    assert Generator(tiny_model, folder).generate("hello world", max_tokens=6) == want


def test_gguf_export_writes_byte_level_bpe_and_permuted_weights(fused: tuple[Path, Path], tmp_path: Path) -> None:
    from mlx_lm.gguf import permute_weights
    from mlx_lm.utils import load_model

    from mlxstudio.core.runtime.mlxrt import mx

    model, _ = fused
    out = export_ollama(model, tmp_path / "ollama")
    weights, meta = mx.load(str(out["gguf"]), return_metadata=True)
    assert meta["general.architecture"] == "llama"
    assert meta["tokenizer.ggml.model"] == "gpt2"
    tok = json.loads((model / "tokenizer.json").read_text(encoding="utf-8"))
    assert len(meta["tokenizer.ggml.tokens"]) == 320
    assert len(meta["tokenizer.ggml.merges"]) == len(tok["model"]["merges"])
    assert meta["tokenizer.ggml.tokens"][1] == "<|im_start|>" and int(meta["tokenizer.ggml.token_type"][1]) == 3
    assert "<|im_start|>" in meta["tokenizer.chat_template"]
    src, _ = load_model(model)
    q = src.model.layers[0].self_attn.q_proj.weight
    k = src.model.layers[0].self_attn.k_proj.weight
    assert weights["blk.0.attn_q.weight"].dtype == mx.float16
    assert mx.allclose(weights["blk.0.attn_q.weight"].astype(mx.float32), permute_weights(q, 4, 4), atol=1e-3)
    assert mx.allclose(weights["blk.0.attn_k.weight"].astype(mx.float32), permute_weights(k, 4, 2), atol=1e-3)
    modelfile = out["modelfile"].read_text(encoding="utf-8")
    assert f"FROM ./{out['gguf'].name}" in modelfile
    assert "<|im_start|>{{ .Role }}" in modelfile and 'PARAMETER stop "<|im_end|>"' in modelfile


def test_gguf_export_refuses_other_architectures(tiny_model: Path, tmp_path: Path) -> None:
    cfg = json.loads((tiny_model / "config.json").read_text())
    cfg["model_type"] = "qwen3"
    (tiny_model / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(errors.ModelError, match="llama-family"):
        export_gguf(tiny_model, tmp_path / "x.gguf")
    assert not (tmp_path / "x.gguf").exists()


def test_modelfile_templates_and_default_system(tiny_model: Path) -> None:
    smol = ("{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
            "{{ '<|im_start|>system\\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face"
            "<|im_end|>\\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + "
            "'<|im_end|>' + '\\n'}}{% endfor %}")
    cfg = json.loads((tiny_model / "tokenizer_config.json").read_text())
    cfg["chat_template"] = smol
    (tiny_model / "tokenizer_config.json").write_text(json.dumps(cfg))
    text = modelfile_text(tiny_model, "m.gguf")
    assert 'SYSTEM """You are a helpful AI assistant named SmolLM, trained by Hugging Face"""' in text
    cfg["chat_template"] = smol.replace("\\n", "\n")  # the same template with real newlines (as from a GGUF)
    (tiny_model / "tokenizer_config.json").write_text(json.dumps(cfg))
    assert 'SYSTEM """You are a helpful AI assistant named SmolLM' in modelfile_text(tiny_model, "m.gguf")
    assert template_family("<|start_header_id|>x") == "llama3"
    assert template_family("[INST] x") == "mistral"
    assert template_family("plain") is None


def test_gguf_round_trip_through_the_gguf_importer(fused: tuple[Path, Path], tmp_path: Path) -> None:
    """The exported GGUF imports back (our GGUF importer, as llama.cpp-style readers see it) to the same model."""
    from mlx_lm.utils import load

    from mlxstudio.core.models.gguf.importer import import_gguf
    from mlxstudio.core.runtime.mlxrt import mx

    model, _ = fused
    gguf_file = export_gguf(model, tmp_path / "out" / "m.gguf")
    back = import_gguf(gguf_file, name="back", dest_root=tmp_path / "lib")
    m1, t1 = load(str(model))
    m2, t2 = load(str(back))
    text = "蓝牙耳机坏了应该看什么科 hello world 0123"
    assert t1.encode(text) == t2.encode(text)
    ids = mx.array([t1.apply_chat_template([{"role": "user", "content": text}], add_generation_prompt=True)])
    # the GGUF holds float16 weights (norms float32): round the source the same way, compare in float32
    from mlx.utils import tree_flatten, tree_unflatten

    m1.update(tree_unflatten([(k, v if "norm" in k else v.astype(mx.float16).astype(mx.float32))
                              for k, v in tree_flatten(m1.parameters())]))
    m2.set_dtype(mx.float32)
    l1, l2 = m1(ids), m2(ids)
    assert mx.abs(l1 - l2).max().item() < 1e-3
    assert (mx.argmax(l1, axis=-1) == mx.argmax(l2, axis=-1)).all().item()
