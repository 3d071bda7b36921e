"""Corrupt models and mismatched adapters through every entry point that loads a model: `generate`, `train`, `fuse`
(the CLI, in-process) → exit code 2, one `error:` line naming the problem, no traceback, nothing written, no work
started. Also: loading a model never runs code from the model folder (no trust_remote_code anywhere).

(validate_model_dir's own messages and fuse's adapter check are unit-tested in test_models.py / test_fuse.py.)
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from lora_helpers import make_random_adapter
from reliability_faults import CONFIG, write_data
from tiny_model import make_tiny_model

from mlxstudio.cli import main as cli_main
from mlxstudio.core import paths
from mlxstudio.core.training.engine import run_training

PACKAGE = Path(__file__).resolve().parent.parent / "mlxstudio"


def truncate_weights(d: Path) -> None:
    w = d / "model.safetensors"
    w.write_bytes(w.read_bytes()[: w.stat().st_size // 2])


def truncate_header(d: Path) -> None:
    w = d / "model.safetensors"
    w.write_bytes(w.read_bytes()[:40])


def drop_tokenizer(d: Path) -> None:
    (d / "tokenizer.json").unlink()
    (d / "tokenizer_config.json").unlink()


def unknown_architecture(d: Path) -> None:
    cfg = json.loads((d / "config.json").read_text())
    (d / "config.json").write_text(json.dumps({**cfg, "model_type": "hyena9000"}))


def broken_config(d: Path) -> None:
    (d / "config.json").write_text('{"model_type": "llama",\n  "hidden_size": 64,,\n}')


def no_weights(d: Path) -> None:
    (d / "model.safetensors").unlink()


def config_disagrees_with_weights(d: Path) -> None:
    cfg = json.loads((d / "config.json").read_text())
    (d / "config.json").write_text(json.dumps({**cfg, "hidden_size": 96, "intermediate_size": 192}))


# corruption → a fragment the error message must contain
CORRUPTIONS: dict[str, tuple[Callable[[Path], None], str]] = {
    "truncated weights": (truncate_weights, "model.safetensors"),
    "truncated header": (truncate_header, "model.safetensors"),
    "missing tokenizer": (drop_tokenizer, "no tokenizer"),
    "unknown architecture": (unknown_architecture, "hyena9000"),
    "invalid config.json": (broken_config, "config.json"),
    "no weights": (no_weights, "no weights"),
    "config does not match the weights": (config_disagrees_with_weights, "cannot load"),
}


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = cli_main(argv)
    cap = capsys.readouterr()
    return code, cap.out + cap.err


def entry_points(model: Path, data: Path, adapter: Path, out: Path) -> dict[str, list[str]]:
    return {
        "generate": ["generate", "--model", str(model), "--prompt", "hi", "--max-tokens", "2"],
        "generate+adapter": ["generate", "--model", str(model), "--adapter-path", str(adapter), "--prompt", "hi",
                             "--max-tokens", "2"],
        "train": ["train", "--model", str(model), "--data", str(data), "--adapter-path", str(out / "run"),
                  "--iters", "2", "--num-layers", "1"],
        "fuse": ["fuse", "--model", str(model), "--adapter-path", str(adapter), "--save-path", str(out / "fused")],
    }


@pytest.fixture(scope="module")
def good_adapter(tiny_model_session: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_random_adapter(tiny_model_session, tmp_path_factory.mktemp("adapter") / "a", num_layers=1)


@pytest.mark.parametrize("corruption", list(CORRUPTIONS))
def test_corrupt_model_is_refused_by_every_entry_point(corruption: str, tiny_model: Path, good_adapter: Path,
                                                       tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corrupt, fragment = CORRUPTIONS[corruption]
    corrupt(tiny_model)
    data = write_data(tmp_path / "data")
    out = tmp_path / "out"
    for name, argv in entry_points(tiny_model, data, good_adapter, out).items():
        code, text = run_cli(argv, capsys)
        assert code == 2, (name, text)
        assert "Traceback" not in text and "internal error" not in text, (name, text)
        assert fragment in text, (name, text)
        errors = [line for line in text.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and len(errors[0]) < 600, (name, text)
        assert "iter " not in text, f"{name}: training started on a broken model"
        assert not (out / "fused").exists() and not (out / "run" / "adapters.safetensors").exists(), name
    assert not [p for p in paths.models_dir().iterdir()], "nothing added to the library"


@pytest.fixture(scope="module")
def other_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A different tiny model (wider, more layers): its adapters do not fit the usual tiny model."""
    return make_tiny_model(tmp_path_factory.mktemp("other") / "other-llama", seed=3, hidden=96, layers=3)


def test_adapter_from_another_model_is_refused_before_any_work(tiny_model: Path, other_model: Path, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    foreign = make_random_adapter(other_model, tmp_path / "foreign", num_layers=3)
    data = write_data(tmp_path / "data")
    for name in ("generate+adapter", "fuse"):
        code, text = run_cli(entry_points(tiny_model, data, foreign, tmp_path)[name], capsys)
        assert code == 2 and "Traceback" not in text and "internal error" not in text, (name, text)
        assert "does not fit" in text or "other-llama" in text, (name, text)
        assert not (tmp_path / "fused").exists()


def test_resuming_a_run_with_another_model_is_refused(tiny_model: Path, other_model: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """--resume of a run trained on model A with model B: a clear error, the run's checkpoints untouched."""
    data = write_data(tmp_path / "data")
    out = tmp_path / "run"
    run_training(other_model, data, out, CONFIG.replace(iters=4, save_every=2, num_layers=1))
    before = {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    code, text = run_cli(["train", "--model", str(tiny_model), "--data", str(data), "--adapter-path", str(out),
                          "--resume", "--iters", "8", "--save-every", "2", "--num-layers", "1",
                          "--learning-rate", str(CONFIG.learning_rate), "--steps-per-eval", "8",
                          "--batch-size", "4"], capsys)
    assert code == 2 and "Traceback" not in text and "internal error" not in text, text
    assert "different model" in text, text
    assert {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()} == before


# -- no code from the model folder ----------------------------------------------------------------------------------
def test_no_trust_remote_code_anywhere_in_the_app() -> None:
    offenders = []
    for f in PACKAGE.rglob("*.py"):
        text = f.read_text(encoding="utf-8")
        for m in re.finditer(r"trust_remote_code\s*[=:]\s*(True|1|\"true\")", text):
            offenders.append(f"{f.relative_to(PACKAGE.parent)}: {m.group(0)}")
    assert not offenders, offenders


MALICIOUS = """
import pathlib
pathlib.Path({marker!r}).write_text("the model folder's code ran")
"""


def test_loading_a_model_never_runs_code_from_its_folder(tiny_model: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """A model folder with Python files and an ``auto_map`` pointing at them (what trust_remote_code would run):
    inspecting, generating, training and fusing all work without ever importing them."""
    marker = tmp_path / "PWNED"
    for name in ("modeling_evil.py", "configuration_evil.py", "tokenization_evil.py", "__init__.py"):
        (tiny_model / name).write_text(MALICIOUS.format(marker=str(marker)), encoding="utf-8")
    cfg = json.loads((tiny_model / "config.json").read_text())
    cfg["auto_map"] = {"AutoConfig": "configuration_evil.EvilConfig", "AutoModelForCausalLM": "modeling_evil.Evil"}
    (tiny_model / "config.json").write_text(json.dumps(cfg))
    tok = json.loads((tiny_model / "tokenizer_config.json").read_text())
    tok["auto_map"] = {"AutoTokenizer": ["tokenization_evil.EvilTokenizer", None]}
    (tiny_model / "tokenizer_config.json").write_text(json.dumps(tok))

    from mlxstudio.core.models.library import inspect_model

    assert inspect_model(tiny_model).problem is None
    data = write_data(tmp_path / "data")
    adapter = make_random_adapter(tiny_model, tmp_path / "adapter", num_layers=1)
    for argv in entry_points(tiny_model, data, adapter, tmp_path / "out").values():
        code, text = run_cli(argv, capsys)
        assert code == 0, text
        assert not marker.exists(), f"code from the model folder ran during {argv[0]}"
    from mlx_lm.utils import load

    load(str(tmp_path / "out" / "fused"))  # mlx-lm copies the *.py files along; loading the copy runs none either
    assert not marker.exists()
