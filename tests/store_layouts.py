"""Model folders laid out exactly as the tools people use write them, built in a temp dir for the tests.

- :func:`make_modelscope_download`: what ``modelscope download --model Qwen/Qwen3-0.6B --local_dir DIR`` writes — a
  Hugging Face checkpoint (Qwen3 config keys, ``torch_dtype`` bfloat16, bf16 ``model.safetensors`` saved with
  ``format: pt`` metadata, tokenizer, ``generation_config.json``) plus ModelScope's ``configuration.json``; a tiny
  random Qwen3 (hidden 64, 2 blocks) so it trains in seconds.
- :func:`hf_cache_entry`: ``models--org--name/{blobs,refs/main,snapshots/<rev>}`` with the snapshot's files as
  relative links into ``blobs/`` (huggingface_hub's cache layout).
- :func:`modelscope_cache_entry`: ``<cache>/hub/models/<org>/<name with . → ___>`` plus ModelScope's hidden
  ``.mdl``/``.msc``/``.mv`` bookkeeping files.
- :func:`lmstudio_entry`, :func:`ollama_entry`: LM Studio's ``models/<publisher>/<model>/`` and Ollama's
  ``manifests/registry.ollama.ai/library/<name>/<tag>`` JSON manifest → ``blobs/sha256-<hex>``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

from tiny_model import build_tokenizer

QWEN3_CONFIG = {
    "architectures": ["Qwen3ForCausalLM"], "attention_bias": False, "attention_dropout": 0.0, "bos_token_id": 151643,
    "eos_token_id": 2, "head_dim": 16, "hidden_act": "silu", "hidden_size": 64, "initializer_range": 0.02,
    "intermediate_size": 128, "max_position_embeddings": 2048, "max_window_layers": 2, "model_type": "qwen3",
    "num_attention_heads": 4, "num_hidden_layers": 2, "num_key_value_heads": 2, "rms_norm_eps": 1e-06,
    "rope_scaling": None, "rope_theta": 1000000, "sliding_window": None, "tie_word_embeddings": True,
    "torch_dtype": "bfloat16", "transformers_version": "4.51.0", "use_cache": True, "use_sliding_window": False,
}


def make_modelscope_download(out: Path, seed: int = 0) -> Path:
    """A tiny bf16 Qwen3 in the layout ``modelscope download --local_dir out`` writes; returns ``out``."""
    import mlx.core as mx
    from mlx.utils import tree_flatten
    from mlx_lm.models import qwen3

    out.mkdir(parents=True, exist_ok=True)
    vocab = build_tokenizer(out)
    config = dict(QWEN3_CONFIG, vocab_size=vocab)
    mx.random.seed(seed)
    model = qwen3.Model(qwen3.ModelArgs.from_dict(config))
    weights = {k: v.astype(mx.bfloat16) for k, v in tree_flatten(model.parameters())}
    mx.save_safetensors(str(out / "model.safetensors"), weights, metadata={"format": "pt"})
    (out / "config.json").write_text(json.dumps(config, indent=2))
    (out / "generation_config.json").write_text(json.dumps({"bos_token_id": 151643, "eos_token_id": [2],
                                                            "do_sample": True, "temperature": 0.6}))
    (out / "configuration.json").write_text(json.dumps({"framework": "pytorch", "task": "text-generation",
                                                         "allow_remote": True}))
    (out / "README.md").write_text("# Qwen3-0.6B\n")
    (out / "LICENSE").write_text("Apache License 2.0\n")
    return out


def hf_cache_entry(cache: Path, repo_id: str, model: Path, revision: str = "a" * 40) -> Path:
    """Put ``model``'s files into a Hugging Face hub cache at ``cache``; returns the snapshot folder."""
    repo = cache / f"models--{repo_id.replace('/', '--')}"
    snap = repo / "snapshots" / revision
    (repo / "blobs").mkdir(parents=True, exist_ok=True)
    snap.mkdir(parents=True, exist_ok=True)
    (repo / "refs").mkdir(exist_ok=True)
    (repo / "refs" / "main").write_text(revision)
    for f in sorted(model.iterdir()):
        if not f.is_file():
            continue
        digest = hashlib.sha256(f.read_bytes()).hexdigest()
        shutil.copyfile(f, repo / "blobs" / digest)
        os.symlink(Path("..", "..", "blobs", digest), snap / f.name)
    return snap


def modelscope_cache_entry(cache: Path, repo_id: str, model: Path) -> Path:
    """Copy ``model`` into ModelScope's (pre-1.38 default) cache layout under ``cache``; returns the folder."""
    owner, name = repo_id.split("/")
    folder = cache / "hub" / "models" / owner / name.replace(".", "___")
    shutil.copytree(model, folder)
    (folder / ".mdl").write_bytes(b"\x80\x04pickled model id")
    (folder / ".msc").write_bytes(b"\x80\x04pickled file list")
    (folder / ".mv").write_text("Revision:master,CreatedAt:1746000000")
    return folder


def lmstudio_entry(home: Path, publisher: str, model_name: str, files: dict[str, Path]) -> Path:
    """``home/.lmstudio/models/<publisher>/<model_name>/`` with ``files`` (name → source, linked); the folder."""
    folder = home / ".lmstudio" / "models" / publisher / model_name
    folder.mkdir(parents=True)
    for name, src in files.items():
        if src.is_dir():
            shutil.copytree(src, folder, dirs_exist_ok=True)
        else:
            os.symlink(src, folder / name)
    return folder


def ollama_entry(root: Path, name: str, tag: str, gguf: Path, file_type: str = "Q4_1") -> Path:
    """An Ollama store at ``root``: the manifest, the config blob and the GGUF model blob; returns the blob."""
    digest = hashlib.sha256(gguf.name.encode()).hexdigest()  # the real one hashes the file; any hex name will do
    blobs = root / "blobs"
    blobs.mkdir(parents=True, exist_ok=True)
    blob = blobs / f"sha256-{digest}"
    os.symlink(gguf, blob)
    config = json.dumps({"model_format": "gguf", "model_family": "llama", "model_type": "135M",
                         "file_type": file_type}).encode()
    config_digest = hashlib.sha256(config).hexdigest()
    (blobs / f"sha256-{config_digest}").write_bytes(config)
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                           "digest": f"sha256:{config_digest}", "size": len(config)},
                "layers": [{"mediaType": "application/vnd.ollama.image.model", "digest": f"sha256:{digest}",
                            "size": gguf.stat().st_size},
                           {"mediaType": "application/vnd.ollama.image.template",
                            "digest": "sha256:" + "0" * 64, "size": 10}]}
    folder = root / "manifests" / "registry.ollama.ai" / "library" / name
    folder.mkdir(parents=True)
    (folder / tag).write_text(json.dumps(manifest))
    return blob
