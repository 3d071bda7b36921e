"""``mlxstudio-cli train``: flags from TrainConfig, YAML + overrides, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlxstudio.cli import main
from mlxstudio.core.training.config import TrainConfig

SEED = Path(__file__).parent / "data" / "seed_train.jsonl"


def test_flags_override_yaml(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    yml = tmp_path / "c.yaml"
    yml.write_text("model: some-model\niters: 50\nlearning_rate: 1e-4\nlora_parameters: {rank: 4, scale: 10.0}\n")
    out = tmp_path / "merged.yaml"
    code = main(["train", "--config", str(yml), "--iters", "7", "--no-mask-prompt", "--rank", "16",
                 "--save-config", str(out)])
    assert code == 0
    cfg = TrainConfig.from_yaml(out)
    assert (cfg.iters, cfg.learning_rate, cfg.rank, cfg.scale, cfg.mask_prompt) == (7, 1e-4, 16, 10.0, False)


def test_train_from_the_command_line(tiny_model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "adapter"
    code = main(["train", "--json", "--model", str(tiny_model), "--data", str(SEED), "--adapter-path", str(out),
                 "--iters", "6", "--num-layers", "2", "--learning-rate", "1e-3", "--steps-per-report", "2",
                 "--save-every", "3", "--batch-size", "2"])
    assert code == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    kinds = [x["event"] for x in lines]
    assert kinds.count("TrainReport") == 3 and "Finished" in kinds and kinds[-1] == "Result"
    assert lines[-1]["data"]["adapter_path"] == str(out)
    assert (out / "adapters.safetensors").exists()
    # resume with more iterations continues from the last checkpoint
    code = main(["train", "--json", "--model", str(tiny_model), "--data", str(SEED), "--adapter-path", str(out),
                 "--iters", "8", "--num-layers", "2", "--learning-rate", "1e-3", "--steps-per-report", "2",
                 "--save-every", "3", "--batch-size", "2", "--resume"])
    assert code == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [x["iteration"] for x in lines if x["event"] == "TrainReport"] == [8]


def test_default_adapter_path_is_a_run_folder(tiny_model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["train", "--quiet", "--model", str(tiny_model), "--data", str(SEED), "--iters", "2",
                 "--num-layers", "1", "--batch-size", "2"])
    assert code == 0
    run_dir = Path(capsys.readouterr().out.strip())
    from mlxstudio.core import paths
    from mlxstudio.core.training import runs

    assert run_dir.parent == paths.runs_dir()
    assert runs.read_meta(run_dir)["status"] == "finished"
    assert (run_dir / "adapters.safetensors").exists()


def test_user_errors_exit_2(tiny_model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("iters: 5\nbatch_sise: 2\n")
    assert main(["train", "--config", str(bad), "--model", str(tiny_model), "--data", str(SEED)]) == 2
    assert f"{bad}:2: batch_sise: unknown setting — did you mean 'batch_size'?" in capsys.readouterr().err
    assert main(["train", "--data", str(SEED)]) == 2
    assert "give --model and --data" in capsys.readouterr().err
    assert main(["train", "--model", str(tiny_model), "--data", str(SEED), "--adapter-path", str(tmp_path / "x"),
                 "--resume"]) == 2
    assert "no complete checkpoint" in capsys.readouterr().err
