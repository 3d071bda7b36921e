"""TrainConfig: defaults like mlx_lm's, metadata for forms, mlx_lm-compatible YAML, clear errors."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml

from mlxstudio.core.training.config import ConfigError, TrainConfig, config_fields, load_yaml


def test_defaults_follow_mlx_lm_and_every_field_is_described() -> None:
    from mlx_lm.lora import CONFIG_DEFAULTS

    cfg = TrainConfig()
    for key in ("fine_tune_type", "num_layers", "batch_size", "iters", "val_batches", "learning_rate",
                "steps_per_report", "steps_per_eval", "save_every", "max_seq_length", "grad_checkpoint",
                "grad_accumulation_steps", "seed", "optimizer"):
        assert getattr(cfg, key) == CONFIG_DEFAULTS[key], key
    assert cfg.to_dict()["lora_parameters"] == CONFIG_DEFAULTS["lora_parameters"]
    assert cfg.to_dict()["lr_schedule"] is None
    assert cfg.mask_prompt is True  # ours: train the answers
    for f in config_fields():
        assert f.metadata["help"] and f.metadata["label"], f.name
        assert f.metadata["group"] in ("basic", "advanced", "hidden"), f.name


def test_yaml_round_trip(tmp_path: Path) -> None:
    for cfg in (TrainConfig(), TrainConfig(lr_schedule="cosine", warmup=10, learning_rate=2e-4, rank=16, scale=10.0,
                                           fine_tune_type="dora", mask_prompt=False, epochs=3, keep_best=True)):
        path = tmp_path / "c.yaml"
        cfg.to_yaml(path)
        assert TrainConfig.from_yaml(path) == cfg
        assert TrainConfig.from_dict(cfg.to_dict()) == cfg


def test_reads_mlx_lm_yaml(tmp_path: Path) -> None:
    path = tmp_path / "lora_config.yaml"
    path.write_text(
        "model: mlx-community/Qwen3-0.6B-4bit\n"
        "train: true\n"
        "data: ./data\n"
        "fine_tune_type: lora\n"
        "learning_rate: 1e-5\n"
        "iters: 600\n"
        "lora_parameters:\n  rank: 16\n  scale: 10.0\n  dropout: 0.05\n"
        "lr_schedule:\n  name: cosine_decay\n  warmup: 100\n  warmup_init: 1e-7\n  arguments: [1e-5, 1000, 1e-7]\n"
    )
    cfg, run, ignored = load_yaml(path)
    assert (cfg.rank, cfg.scale, cfg.dropout, cfg.iters) == (16, 10.0, 0.05, 600)
    assert (cfg.lr_schedule, cfg.warmup, cfg.warmup_init, cfg.decay_steps, cfg.min_learning_rate) == (
        "cosine", 100, 1e-7, 1000, 1e-7)
    assert run == {"model": "mlx-community/Qwen3-0.6B-4bit", "data": "./data"}
    assert ignored == ["train"]
    from mlx_lm.tuner.utils import build_schedule

    ours = build_schedule(cfg.lr_schedule_dict())
    theirs = build_schedule(yaml.safe_load(path.read_text().replace("1e-7", "1.0e-7").replace("1e-5", "1.0e-5"))
                            ["lr_schedule"])
    for step in (0, 50, 100, 600, 1100):
        assert ours(step).item() == pytest.approx(theirs(step).item())


@pytest.mark.parametrize(("text", "message"), [
    ("iters: 10\nbatch_size: four\n", "c.yaml:2: batch_size: expected a whole number, got text 'four'"),
    ("learnig_rate: 1e-4\n", "c.yaml:1: learnig_rate: unknown setting — did you mean 'learning_rate'?"),
    ("iters: 10\nlora_parameters:\n  alpha: 16\n", "c.yaml:3: lora_parameters.alpha: unknown LoRA parameter"),
    ("iters: [10\n", "c.yaml:2: not valid YAML"),
    ("mask_prompt: 1\n", "c.yaml:1: mask_prompt: expected true or false"),
    ("rank: 0\n", "c.yaml:1: rank: must be at least 1"),
    ("fine_tune_type: qlora\n", "c.yaml:1: fine_tune_type: 'qlora' is not one of lora, dora"),
    ("lr_schedule:\n  name: step_decay\n  arguments: [1, 2, 3]\n", "c.yaml:2: lr_schedule.name: schedule 'step_decay'"),
    ("- a\n- b\n", "c.yaml:1: expected a mapping"),
])
def test_bad_yaml_is_reported_with_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        TrainConfig.from_yaml(path)
    assert str(info.value).startswith(str(tmp_path / message.split(":")[0])), str(info.value)
    assert message.split(":", 1)[1] in str(info.value)


def test_validate_and_total_iters() -> None:
    assert TrainConfig(epochs=2, batch_size=4).total_iters(10) == 5
    assert TrainConfig(iters=7).total_iters(10) == 7
    with pytest.raises(ConfigError, match="warmup"):
        TrainConfig(iters=10, warmup=10).validate()
    with pytest.raises(ConfigError, match="num_layers: must be -1"):
        TrainConfig(num_layers=0).validate()
    assert dataclasses.replace(TrainConfig(), num_layers=-1).validate().num_layers == -1


def test_keys_full_test_and_resume_adapter_file_are_read(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("fine_tune_type: full\nlora_parameters:\n  keys: [self_attn.q_proj, self_attn.v_proj]\n"
                    "test: true\ntest_batches: 3\nresume_adapter_file: Runs/A/adapters.safetensors\n"
                    "optimizer: muon\n")
    cfg, _run, _ignored = load_yaml(path)
    assert (cfg.fine_tune_type, cfg.lora_keys, cfg.test, cfg.test_batches, cfg.optimizer) == (
        "full", ["self_attn.q_proj", "self_attn.v_proj"], True, 3, "muon")
    assert cfg.resume_adapter_file == "Runs/A/adapters.safetensors"  # a path keeps its case
    assert cfg.mask_prompt is False  # not in the file: mlx-lm's default
    d = cfg.to_dict()
    assert d["lora_parameters"]["keys"] == ["self_attn.q_proj", "self_attn.v_proj"]
    assert TrainConfig.from_dict(d) == cfg
    assert "keys" not in TrainConfig().to_dict()["lora_parameters"]  # absent = every linear layer, as in mlx-lm
    assert TrainConfig().to_dict()["resume_adapter_file"] is None
    path.write_text("iters: 3\nlora_parameters:\n  keys: 5\n")
    with pytest.raises(ConfigError, match=r"c\.yaml:3: lora_parameters\.keys: expected a list of layer names"):
        load_yaml(path)
