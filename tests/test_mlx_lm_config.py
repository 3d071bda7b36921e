"""mlx-lm's own ``lora`` YAML (issue 21): its example file imports unchanged and trains; every key of mlx-lm 0.32's
``lora`` config is applied or listed; what we write is read by ``mlx_lm.lora``'s own config loading and trains there.

``data/mlx_lm/lora_config.yaml`` is ``mlx_lm/examples/lora_config.yaml`` of ml-explore/mlx-lm as published (MIT), byte
for byte (the wheel does not ship the examples folder).
"""

from __future__ import annotations

import json
import shutil
import sys
import types
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlxstudio.cli import main
from mlxstudio.core import paths
from mlxstudio.core.training.config import TrainConfig
from mlxstudio.core.training.mlx_lm_yaml import FROM_FILE, FROM_MLX_LM, read_config

EXAMPLE = Path(__file__).parent / "data" / "mlx_lm" / "lora_config.yaml"
SEED = Path(__file__).parent / "data" / "seed_train.jsonl"


def test_the_example_config_imports_unchanged() -> None:
    read = read_config(EXAMPLE)
    cfg = read.config
    assert cfg.lora_keys == ["self_attn.q_proj", "self_attn.v_proj"]
    assert (cfg.optimizer, cfg.rank, cfg.scale, cfg.dropout, cfg.test, cfg.test_batches) == (
        "adamw", 8, 20.0, 0.0, False, 100)
    assert cfg.mask_prompt is False  # not in the file: mlx-lm's default, not ours
    assert read.sources["mask_prompt"] == FROM_MLX_LM and read.sources["lora_keys"] == FROM_FILE
    keys = {n.key for n in read.gui_notes}
    assert {"model", "data", "adapter_path", "mask_prompt"} <= keys
    assert {n.key for n in read.cli_notes} == {"adapter_path", "mask_prompt"}  # model/data are used by the CLI


def _value_for(key: str, default: Any) -> Any:
    """A value different from mlx-lm's default for ``key``."""
    special = {"fine_tune_type": "dora", "optimizer": "sgd", "optimizer_config": {"sgd": {"momentum": 0.9}},
               "lora_parameters": {"rank": 4, "dropout": 0.1, "scale": 5.0, "keys": ["self_attn.q_proj"]},
               "lr_schedule": {"name": "cosine_decay", "arguments": [1e-5, 100, 0.0], "warmup": 5},
               "model": "some/model", "data": "some/data", "adapter_path": "elsewhere", "config": "other.yaml",
               "resume_adapter_file": "adapters/adapters.safetensors", "report_to": "wandb",
               "project_name": "p", "num_layers": 4, "clear_cache_threshold": 1000}
    if key in special:
        return special[key]
    if isinstance(default, bool):
        return not default
    if isinstance(default, (int, float)):
        return default * 2 + 1 if not isinstance(default, float) else default * 2
    return "x"


def test_every_key_of_mlx_lm_s_config_is_applied_or_listed(tmp_path: Path) -> None:
    from mlx_lm.lora import CONFIG_DEFAULTS, build_parser

    keys = set(CONFIG_DEFAULTS) | {a.dest for a in build_parser()._actions if a.dest != "help"}
    keys |= {"hf_dataset", "prompt_feature"}
    base = read_config(_write(tmp_path / "empty.yaml", {"train": True})).config
    for key in sorted(keys):
        value = _value_for(key, CONFIG_DEFAULTS.get(key))
        if key == "hf_dataset":
            value = {"path": "tatsu-lab/alpaca"}
        path = _write(tmp_path / f"{key}.yaml", {key: value})
        read = read_config(path)
        applied = read.config != base or key in read.run or key in ("train",)
        listed = any(n.key == key or (key.endswith("_feature") and n.key == "*_feature") for n in read.gui_notes)
        assert applied or listed, f"{key}: neither applied nor listed"
        if key in ("report_to", "project_name", "trust_remote_code", "clear_cache_threshold", "config",
                   "adapter_path"):
            assert listed and any(n.key == key for n in read.cli_notes), key


def _write(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data))
    return path


def _mlx_lm_args(path: Path, extra: list[str]) -> types.SimpleNamespace:
    """What ``mlx_lm.lora.main`` builds from ``--config path`` (its parser, its YAML loader, CONFIG_DEFAULTS)."""
    from mlx_lm import lora

    args = vars(lora.build_parser().parse_args(["--config", str(path), *extra]))
    with open(path, encoding="utf-8") as fh:
        config = yaml.load(fh, lora.yaml_loader)
    for k, v in config.items():
        if args.get(k, None) is None:
            args[k] = v
    for k, v in lora.CONFIG_DEFAULTS.items():
        if args.get(k, None) is None:
            args[k] = v
    return types.SimpleNamespace(**args)


def test_saved_yaml_is_mlx_lm_s_and_re_imports_to_the_same(tmp_path: Path) -> None:
    from mlx_lm.tuner.utils import build_schedule

    cfg = TrainConfig(fine_tune_type="dora", lora_keys=["self_attn.q_proj", "self_attn.v_proj"], rank=4, scale=8.0,
                      dropout=0.05, learning_rate=2e-4, lr_schedule="cosine", warmup=3, warmup_init=1e-7,
                      optimizer="adamw", optimizer_config={"adamw": {"weight_decay": 0.01}}, iters=30,
                      mask_prompt=False, test=True, test_batches=7, num_layers=4)
    path = tmp_path / "ours.yaml"
    cfg.to_yaml(path)
    assert read_config(path).config == cfg
    args = _mlx_lm_args(path, [])
    assert args.train is True and args.test is True and args.test_batches == 7
    assert args.lora_parameters == {"rank": 4, "scale": 8.0, "dropout": 0.05,
                                    "keys": ["self_attn.q_proj", "self_attn.v_proj"]}
    assert (args.fine_tune_type, args.optimizer, args.num_layers, args.mask_prompt) == ("dora", "adamw", 4, False)
    assert args.optimizer_config["adamw"] == {"weight_decay": 0.01} and args.resume_adapter_file is None
    assert build_schedule(args.lr_schedule)(3).item() == pytest.approx(2e-4)
    full = tmp_path / "full.yaml"
    TrainConfig(fine_tune_type="full", num_layers=2).to_yaml(full)
    assert read_config(full).config.fine_tune_type == "full" and _mlx_lm_args(full, []).fine_tune_type == "full"


def test_mlx_lm_lora_trains_with_our_yaml(tiny_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``mlx_lm.lora --config ours.yaml`` itself: it trains and writes an adapter of the chosen layers only."""
    from mlx_lm import lora

    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(SEED, data / "train.jsonl")
    shutil.copy(SEED, data / "valid.jsonl")
    path = tmp_path / "ours.yaml"
    TrainConfig(lora_keys=["self_attn.q_proj", "self_attn.v_proj"], num_layers=1, iters=2, batch_size=2,
                val_batches=1, steps_per_eval=2, save_every=2, learning_rate=1e-3).to_yaml(path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", ["mlx_lm.lora", "--config", str(path), "--model", str(tiny_model),
                                      "--data", str(data)])
    lora.main()
    from safetensors import safe_open

    with safe_open(str(tmp_path / "adapters" / "adapters.safetensors"), framework="numpy") as fh:
        names = set(fh.keys())
    assert {n.rsplit(".", 1)[0] for n in names} == {"model.layers.1.self_attn.q_proj",
                                                    "model.layers.1.self_attn.v_proj"}


def test_cli_trains_the_example_and_says_what_it_did_not_apply(
        tiny_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    data = tmp_path / "data"
    data.mkdir()
    for split in ("train", "valid", "test"):
        shutil.copy(SEED, data / f"{split}.jsonl")
    code = main(["train", "--config", str(EXAMPLE), "--model", str(tiny_model), "--data", str(data), "--iters", "2",
                 "--batch-size", "2", "--num-layers", "2", "--test"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "adapter_path: adapters — not used" in captured.err
    assert "mask_prompt: not in the file: mlx-lm's default false is used" in captured.err
    assert not (tmp_path / "adapters").exists()  # not into ./adapters among other runs
    run_dir = Path(captured.out.strip().splitlines()[-1])
    assert run_dir.parent == paths.runs_dir()
    acfg = json.loads((run_dir / "adapter_config.json").read_text())
    assert acfg["lora_parameters"]["keys"] == ["self_attn.q_proj", "self_attn.v_proj"]
    assert acfg["mask_prompt"] is False and acfg["optimizer"] == "adamw"
    from mlxstudio.core.training import runs

    info = runs.read_run(run_dir)
    assert info.test_loss is not None and "test loss" in captured.err
