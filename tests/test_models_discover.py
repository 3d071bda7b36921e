"""Models already on this computer: each store's real layout built in a temp dir, found with size and type."""

from __future__ import annotations

from pathlib import Path

import pytest
from store_layouts import (
    hf_cache_entry,
    lmstudio_entry,
    make_modelscope_download,
    modelscope_cache_entry,
    ollama_entry,
)

from mlxstudio.core.models import add_model_folder, discover_models, find_local_copy
from mlxstudio.core.models.discover import gguf_type, store_roots
from mlxstudio.core.models.naming import cache_repo_id, model_name_for, unmangle


@pytest.fixture(scope="module")
def qwen_download(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny bf16 Qwen3 as `modelscope download --local_dir` writes it (read-only: tests copy it)."""
    return make_modelscope_download(tmp_path_factory.mktemp("ms") / "Qwen3-0.6B")


@pytest.fixture
def stores(tmp_path: Path, tiny_model: Path, qwen_download: Path, demo_gguf: Path) -> dict[str, object]:
    """All four stores, as the tools lay them out, under tmp_path (env + home for store_roots)."""
    home = tmp_path / "home"
    env = {"HF_HUB_CACHE": str(tmp_path / "hf" / "hub"), "MODELSCOPE_CACHE": str(tmp_path / "ms-cache"),
           "OLLAMA_MODELS": str(tmp_path / "ollama")}
    hf = hf_cache_entry(Path(env["HF_HUB_CACHE"]), "mlx-community/tiny-llama-mlx", tiny_model)
    ms = modelscope_cache_entry(Path(env["MODELSCOPE_CACHE"]), "Qwen/Qwen3-0.6B", qwen_download)
    lms = lmstudio_entry(home, "lmstudio-community", "SmolLM2-135M-Instruct-GGUF",
                         {"SmolLM2-135M-Instruct-Q4_1.gguf": demo_gguf})
    lms_mlx = lmstudio_entry(home, "mlx-community", "tiny-llama-4bit", {"": tiny_model})
    blob = ollama_entry(Path(env["OLLAMA_MODELS"]), "smollm2", "135m", demo_gguf)
    return {"env": env, "home": home, "hf": hf, "ms": ms, "lms": lms, "lms_mlx": lms_mlx, "blob": blob}


def test_store_roots_follow_the_environment(tmp_path: Path) -> None:
    roots = store_roots({}, tmp_path)
    assert roots["huggingface"] == [tmp_path / ".cache" / "huggingface" / "hub"]
    assert roots["modelscope"] == [tmp_path / ".cache" / "modelscope", tmp_path / ".cache" / "modelscope" / "hub"]
    assert roots["lmstudio"][0] == tmp_path / ".lmstudio" / "models"
    assert roots["ollama"][0] == tmp_path / ".ollama" / "models"  # (+ the Linux service's store)
    assert store_roots({"HF_HOME": "/x/hf"}, tmp_path)["huggingface"] == [Path("/x/hf/hub")]
    assert store_roots({"HF_HUB_CACHE": "/y"}, tmp_path)["huggingface"] == [Path("/y")]
    assert store_roots({"OLLAMA_MODELS": "/o"}, tmp_path)["ollama"] == [Path("/o")]


def test_the_four_stores_are_discovered(stores: dict[str, object], demo_gguf: Path) -> None:
    found = discover_models(stores["env"], stores["home"])  # type: ignore[arg-type]
    by_store = {f.store: f for f in found if f.kind == "gguf" or f.store != "lmstudio"}
    (lms_mlx,) = [f for f in found if f.store == "lmstudio" and f.kind == "mlx"]
    assert lms_mlx.name == "mlx-community/tiny-llama-4bit" and lms_mlx.path == stores["lms_mlx"]
    assert set(by_store) == {"huggingface", "modelscope", "lmstudio", "ollama"}, found
    hf = by_store["huggingface"]
    assert hf.name == "mlx-community/tiny-llama-mlx" and hf.kind == "mlx" and hf.problem is None
    assert hf.type == "MLX float32"
    assert hf.path == stores["hf"] and hf.size_bytes > 100_000  # the blobs' sizes, not the links'
    ms = by_store["modelscope"]
    assert ms.name == "Qwen/Qwen3-0.6B" and ms.library_name == "Qwen3-0.6B"  # never Qwen3-0___6B
    assert ms.kind == "safetensors" and ms.type == "safetensors bfloat16" and ms.problem is None
    lms = by_store["lmstudio"]
    assert lms.kind == "gguf" and lms.type == "GGUF Q4_1" and lms.size_bytes == demo_gguf.stat().st_size
    assert lms.library_name == "SmolLM2-135M-Instruct-Q4_1"
    ol = by_store["ollama"]
    assert ol.name == "smollm2:135m" and ol.kind == "gguf" and ol.type == "GGUF Q4_1"
    assert ol.path == stores["blob"] and ol.library_name == "smollm2-135m"
    assert ol.size_bytes == demo_gguf.stat().st_size
    assert not any(f.in_library for f in found)


def test_only_complete_copies_are_used_and_incomplete_ones_say_why(stores: dict[str, object]) -> None:
    env, home = stores["env"], stores["home"]
    assert find_local_copy("qwen/qwen3-0.6b", env, home) is not None  # type: ignore[arg-type]
    assert find_local_copy("Qwen/Qwen3-1.7B", env, home) is None  # type: ignore[arg-type]
    ms = Path(str(stores["ms"]))
    weights = ms / "model.safetensors"
    data = weights.read_bytes()
    weights.write_bytes(data[: len(data) // 2])  # an interrupted download
    found = {f.store: f for f in discover_models(env, home)}  # type: ignore[arg-type]
    assert found["modelscope"].problem and "incomplete" in found["modelscope"].problem
    assert find_local_copy("Qwen/Qwen3-0.6B", env, home) is None  # type: ignore[arg-type]


def test_an_added_store_model_is_marked_in_the_library(stores: dict[str, object]) -> None:
    env, home = stores["env"], stores["home"]
    hf = next(f for f in discover_models(env, home) if f.store == "huggingface")  # type: ignore[arg-type]
    added = add_model_folder(hf.path, repo_id=hf.repo_id)
    assert added.name == "tiny-llama-mlx"
    again = {f.store: f for f in discover_models(env, home)}  # type: ignore[arg-type]
    assert again["huggingface"].in_library and not again["modelscope"].in_library


def test_names_are_never_mangled(tmp_path: Path) -> None:
    assert unmangle("Qwen3-0___6B") == "Qwen3-0.6B"
    snap = tmp_path / "models--Qwen--Qwen2.5-0.5B-Instruct" / "snapshots" / "abc"
    assert cache_repo_id(snap) == "Qwen/Qwen2.5-0.5B-Instruct"
    assert cache_repo_id(tmp_path / "models" / "Qwen--Qwen3-0___6B" / "snapshots" / "r") == "Qwen/Qwen3-0.6B"
    folder = tmp_path / "Qwen3-0___6B"
    folder.mkdir()
    assert model_name_for(folder) == "Qwen3-0.6B"
    (folder / "config.json").write_text('{"_name_or_path": "/root/.cache/modelscope/hub/Qwen/Qwen3-0___6B"}')
    assert model_name_for(folder) == "Qwen3-0.6B"
    (folder / "config.json").write_text('{"_name_or_path": "Qwen/Qwen3-1.7B"}')
    assert model_name_for(folder) == "Qwen3-1.7B"
    assert model_name_for(folder, "org/Given.Name") == "Given.Name"
    assert gguf_type("Qwen3-0.6B-Q4_K_M.gguf") == "GGUF Q4_K_M" and gguf_type("model.gguf") == "GGUF"
    assert gguf_type("llama-3.2-1b-instruct-bf16.gguf") == "GGUF BF16"
