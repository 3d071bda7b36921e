"""Fusing adapters on the tiny synthetic model: same greedy output as base+adapter, mismatches refused early."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lora_helpers import make_random_adapter
from tiny_model import make_tiny_model

from mlxstudio import cli
from mlxstudio.core import errors, paths
from mlxstudio.core import events as ev
from mlxstudio.core.inference.adapters import check_adapter_matches
from mlxstudio.core.inference.fuse import fuse_adapter, fuse_job
from mlxstudio.core.inference.generate import Generator

PROMPTS = ["今天星期几", "蓝牙耳机坏了应该看什么科", "hello world"]


@pytest.fixture
def adapter(tiny_model: Path, tmp_path: Path) -> Path:
    return make_random_adapter(tiny_model, tmp_path / "adapter", num_layers=1)


def _answers(model: Path, adapter: Path | None = None) -> list[str]:
    gen = Generator(model, adapter)
    return [gen.generate(p, max_tokens=10) for p in PROMPTS]


def test_fused_model_answers_like_base_plus_adapter(tiny_model: Path, adapter: Path, tmp_path: Path) -> None:
    events: list[ev.Event] = []
    out = fuse_adapter(tiny_model, adapter, tmp_path / "fused", sink=events.append)
    assert out == tmp_path / "fused"
    assert _answers(out) == _answers(tiny_model, adapter) != _answers(tiny_model)
    source = json.loads((out / "mlxstudio.json").read_text())
    assert source["source"] == f"fused: {tiny_model.name} + {adapter.name}"
    progress = [e for e in events if isinstance(e, ev.Progress)]
    assert progress[0].done == 0 and progress[-1].done == progress[-1].total
    assert not list(tmp_path.glob(".fused.staging-*"))


def test_fuse_into_library_by_name_and_replace(tiny_model: Path, adapter: Path) -> None:
    out = fuse_job({"model": str(tiny_model), "adapter_path": str(adapter), "name": "tiny-seed"},
                   ev.null_sink, lambda: False)
    path = Path(out["path"])
    assert path == paths.models_dir() / "tiny-seed"
    assert (path / "config.json").is_file()
    again = fuse_adapter(tiny_model, adapter, name="tiny-seed")  # overwriting an existing fused model works
    assert again == path and (path / "model.safetensors").exists()
    with pytest.raises(errors.UserError):
        fuse_adapter(tiny_model, adapter, name="tiny-seed", overwrite=False)
    with pytest.raises(errors.UserError):
        fuse_adapter(tiny_model, adapter, name="../evil")


def test_mismatched_adapter_is_refused_before_any_work(tiny_model: Path, tmp_path: Path) -> None:
    other = make_tiny_model(tmp_path / "other-dims", hidden=32)
    foreign = make_random_adapter(other, tmp_path / "foreign")
    with pytest.raises(errors.ModelError, match=r"does not fit model.*input size"):
        check_adapter_matches(tiny_model, foreign)
    events: list[ev.Event] = []
    with pytest.raises(errors.ModelError):
        fuse_adapter(tiny_model, foreign, tmp_path / "broken", sink=events.append)
    assert not (tmp_path / "broken").exists()
    assert [e.message for e in events if isinstance(e, ev.Progress)] == ["checking the adapter"]
    with pytest.raises(errors.ModelError):
        Generator(tiny_model, foreign)

    deeper = make_tiny_model(tmp_path / "deeper", layers=3)
    deep_adapter = make_random_adapter(deeper, tmp_path / "deep-adapter", num_layers=1)  # touches layer 2
    with pytest.raises(errors.ModelError, match="changes layer 2 but the model has only 2 layers"):
        check_adapter_matches(tiny_model, deep_adapter)


def test_missing_or_broken_adapter_files(tiny_model: Path, adapter: Path, tmp_path: Path) -> None:
    with pytest.raises(errors.ModelError, match="not found"):
        check_adapter_matches(tiny_model, tmp_path / "none")
    (adapter / "adapters.safetensors").unlink()
    with pytest.raises(errors.ModelError, match=r"adapters\.safetensors: missing"):
        check_adapter_matches(tiny_model, adapter)
    (adapter / "adapters.safetensors").write_bytes(b"garbage")
    with pytest.raises(errors.ModelError, match="not a readable"):
        check_adapter_matches(tiny_model, adapter)
    (adapter / "adapter_config.json").write_text("{oops")
    with pytest.raises(errors.ModelError, match="not valid JSON"):
        check_adapter_matches(tiny_model, adapter)


def test_quantized_model_check_and_dequantized_fuse(tiny_model: Path, tmp_path: Path) -> None:
    from mlx_lm.utils import load, quantize_model, save

    model, tokenizer, config = load(str(tiny_model), return_config=True)
    model, config = quantize_model(model, config, group_size=32, bits=4)
    qdir = tmp_path / "tiny-4bit"
    save(qdir, str(tiny_model), model, tokenizer, config)
    adapter = make_random_adapter(qdir, tmp_path / "q-adapter", num_layers=1)
    check_adapter_matches(qdir, adapter)  # packed 4-bit weights are unpacked for the comparison
    check_adapter_matches(tiny_model, adapter)  # same shapes as the float model: fits too
    out = fuse_adapter(qdir, adapter, tmp_path / "fused-f32", dequantize=True)
    assert "quantization" not in json.loads((out / "config.json").read_text())
    fused = Generator(out)
    tuned = Generator(qdir, adapter)
    assert fused.generate("hello world", max_tokens=5) == tuned.generate("hello world", max_tokens=5)


def test_cancel_before_writing(tiny_model: Path, adapter: Path, tmp_path: Path) -> None:
    with pytest.raises(errors.Cancelled):
        fuse_adapter(tiny_model, adapter, tmp_path / "x", cancel=lambda: True)
    assert not (tmp_path / "x").exists()


def test_cli_fuse(tiny_model: Path, adapter: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = cli.main(["--quiet", "fuse", "--model", str(tiny_model), "--adapter-path", str(adapter),
                   "--save-path", str(tmp_path / "f")])
    assert rc == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "f")
    other = make_tiny_model(tmp_path / "o", hidden=32)
    rc = cli.main(["fuse", "--model", str(other), "--adapter-path", str(adapter), "--save-path", str(tmp_path / "g")])
    assert rc == 2
    assert "does not fit" in capsys.readouterr().err
