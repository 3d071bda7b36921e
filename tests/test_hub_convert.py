"""mlx_lm.convert on the tiny model: quantize to 4 bits (directly and as part of a download), cancel, bad input."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from hub_server import TEST_REPO, FakeHub, fake_hub  # noqa: F401

from mlxstudio.core import errors, paths
from mlxstudio.core import events as ev
from mlxstudio.core.hub.download import download_model
from mlxstudio.core.models.convert import convert_model, quantization, weights_format


def _generate(model_dir: Path) -> str:
    from mlx_lm import load  # (conftest loaded the fast BLAS first)
    from mlx_lm.generate import generate

    model, tokenizer = load(str(model_dir))
    return generate(model, tokenizer, "hello", max_tokens=3, verbose=False)


def test_quantize_tiny_model(tiny_model: Path) -> None:
    got: list[ev.Event] = []
    out = convert_model(tiny_model, quantize=4, group_size=32, sink=got.append)
    assert out == paths.models_dir() / "tiny-llama-4bit"
    assert quantization(out)["bits"] == 4 and quantization(out)["group_size"] == 32
    assert weights_format(out) == "mlx"
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["quantization"]["bits"] == 4
    assert (out / "model.safetensors").stat().st_size < (tiny_model / "model.safetensors").stat().st_size / 2
    assert isinstance(_generate(out), str)
    steps = [e for e in got if isinstance(e, ev.Progress)]
    assert steps[0].done == 0 and steps[-1].done == steps[-1].total
    source = json.loads((out / "mlxstudio.json").read_text())
    assert source["source"] == "converted: tiny-llama" and source["quantization"] == "4-bit g32"
    assert not [p for p in paths.models_dir().iterdir() if p.name.startswith(".")], "no staging left behind"

    with pytest.raises(errors.ModelError, match="already quantized"):
        convert_model(out, quantize=4)
    with pytest.raises(errors.UserError, match="already exists"):
        convert_model(tiny_model, quantize=4, group_size=32)
    with pytest.raises(errors.UserError, match="cannot quantize to 7 bits"):
        convert_model(tiny_model, quantize=7, name="x")


def test_cancelled_conversion_leaves_nothing(tiny_model: Path) -> None:
    flag = threading.Event()
    flag.set()
    with pytest.raises(errors.Cancelled):
        convert_model(tiny_model, quantize=4, group_size=32, cancel=flag)
    assert list(paths.models_dir().iterdir()) == []


def test_download_and_quantize(fake_hub: FakeHub) -> None:  # noqa: F811
    path = download_model("huggingface", TEST_REPO, name="tiny-q4", endpoint=fake_hub.url, quantize=4,
                          group_size=32)
    assert quantization(path)["bits"] == 4
    src = json.loads((path / "mlxstudio.json").read_text())
    assert src["source"] == f"huggingface: {TEST_REPO}" and "mlx_lm.convert" in src["quantization"]
    assert isinstance(_generate(path), str)
    assert sorted(p.name for p in paths.models_dir().iterdir()) == ["tiny-q4"]
