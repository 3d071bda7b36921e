"""What a mlx-lm ``lora`` YAML file means here: every key of mlx-lm 0.32's config is applied or listed.

:func:`read_config` reads the file with :func:`~.config.load_yaml` and returns, next to the config, one
:class:`Note` for each key that MLX Studio does not apply as written (where: ``"gui"`` the Train page, ``"cli"``
``mlxstudio-cli train``), and where each hyperparameter's value came from (the file, mlx-lm's default, or MLX
Studio's own default) — so nothing is dropped silently and a value that differs from what mlx-lm would do is said.

Decisions (issue 21):

- ``adapter_path``: never used. mlx-lm's ``adapters`` is relative to wherever the command runs and would mix runs
  (and a new run there deletes the previous run's checkpoints); every run gets its own folder in the app's runs
  (``mlxstudio-cli train --adapter-path DIR`` chooses one explicitly).
- ``model`` / ``data``: the CLI uses them unless ``--model`` / ``--data`` are given; the app uses the Model/Data pages.
- ``hf_dataset``: the CLI downloads it (``commands/hf_dataset.py``) unless ``--data`` is given; the app lists it.
- ``train: false``: MLX Studio always trains (testing an adapter alone is the Fuse & Test page's evaluation).
- ``report_to`` / ``project_name`` (wandb, swanlab), ``trust_remote_code``, ``clear_cache_threshold``: not applied.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlxstudio.core.i18n import _
from mlxstudio.core.training.config import (
    FEATURE_KEYS,
    MLX_LM_DEFAULTS,
    TrainConfig,
    config_fields,
    load_yaml,
)

FROM_FILE, FROM_MLX_LM, FROM_STUDIO = "file", "mlx-lm", "studio"
"""Where a setting's value came from (:attr:`ConfigImport.sources`)."""

@dataclass
class Note:
    """One key of the file that is not applied as written: ``key``, what happens instead (``text``)."""

    key: str
    text: str

    def __str__(self) -> str:
        return f"{self.key}: {self.text}"


@dataclass
class ConfigImport:
    """A read mlx-lm YAML file: the config, its run keys (model, data, hf_dataset, features), the notes per face."""

    config: TrainConfig
    run: dict[str, Any]
    data: dict[str, Any]
    sources: dict[str, str] = field(default_factory=dict)
    gui_notes: list[Note] = field(default_factory=list)
    cli_notes: list[Note] = field(default_factory=list)


def _read_mapping(path: Path) -> dict[str, Any]:
    import yaml

    from mlxstudio.core.training.config import _Loader

    data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    return data if isinstance(data, dict) else {}


def _given(name: str, data: dict[str, Any]) -> bool:
    """Whether the file sets the TrainConfig field ``name`` (directly or in a nested mapping)."""
    lora, sched = data.get("lora_parameters"), data.get("lr_schedule")
    if name in ("rank", "scale", "dropout"):
        return isinstance(lora, dict) and name in lora
    if name == "lora_keys":
        return isinstance(lora, dict) and "keys" in lora
    if name in ("lr_schedule", "warmup", "warmup_init", "min_learning_rate", "decay_steps"):
        return "lr_schedule" in data
    if name == "learning_rate":
        return "learning_rate" in data or (isinstance(sched, dict) and bool(sched.get("arguments")))
    return name in data


def _sources(data: dict[str, Any]) -> dict[str, str]:
    return {f.name: FROM_FILE if _given(f.name, data) else (FROM_MLX_LM if f.name in MLX_LM_DEFAULTS else FROM_STUDIO)
            for f in config_fields()}


def read_config(path: str | Path, *, cli_data: bool = False, cli_model: bool = False,
                adapter_path_flag: bool = False) -> ConfigImport:
    """Read ``path`` (:func:`~.config.load_yaml`; raises its :class:`~.config.ConfigError`) and say what applies.

    ``cli_data`` / ``cli_model``: the command line gives ``--data`` / ``--model`` (the file's are then not used);
    ``adapter_path_flag``: it gives ``--adapter-path``.
    """
    p = Path(path)
    cfg, run, ignored = load_yaml(p)
    data = _read_mapping(p)
    result = ConfigImport(cfg, run, data, _sources(data))
    gui, cli = result.gui_notes, result.cli_notes

    def both(key: str, text: str) -> None:
        gui.append(Note(key, text))
        cli.append(Note(key, text))

    for key in ("model", "data"):
        if key in run:
            gui.append(Note(key, _("{value} — not used: choose it on the {page} page").format(
                value=run[key], page=_("Model") if key == "model" else _("Data"))))
            if cli_model if key == "model" else cli_data:
                cli.append(Note(key, _("{value} — not used: --{key} is given").format(value=run[key], key=key)))
    if "adapter_path" in run:
        gui.append(Note("adapter_path", _("{value} — not used: every run is saved in its own folder with the app's "
                                          "other runs (Runs tab)").format(value=run["adapter_path"])))
        if not adapter_path_flag:
            cli.append(Note("adapter_path", _("{value} — not used: the run gets its own folder in the app's runs "
                                              "(printed at the end); give --adapter-path {value} to write "
                                              "there").format(value=run["adapter_path"])))
    if "hf_dataset" in run:
        hf = run["hf_dataset"]
        names = ", ".join(str(e.get("path")) for e in (hf if isinstance(hf, list) else [hf]) if isinstance(e, dict))
        gui.append(Note("hf_dataset", _("{names} — not applied here: download it on the Data page (File → Download "
                                        "Dataset…); mlxstudio-cli train --config downloads it itself").format(
                                            names=names)))
        if cli_data:
            cli.append(Note("hf_dataset", _("{names} — not used: --data is given").format(names=names)))
    if cfg.resume_adapter_file:  # applied, but the form has no row for it: say so where the person looks
        gui.append(Note("resume_adapter_file", _("{value} — applied: the next run starts from these weights (a new "
                                                 "run, not a resume)").format(value=cfg.resume_adapter_file)))
    features = run.get("features") or {}
    if features:
        what = ", ".join(f"{k}_feature: {v}" for k, v in features.items())
        gui.append(Note("*_feature", _("{what} — choose the fields on the Data page (Which field is what?)").format(
            what=what)))
    for key in ignored:
        value = data.get(key)
        if key == "train":
            if value is False:
                both("train", _("false — MLX Studio always trains; to only measure an adapter use Fuse & Test's "
                                "evaluation"))
        elif key in ("report_to", "project_name"):
            if value:
                both(key, _("{value} — not applied: MLX Studio keeps the metrics itself (metrics.jsonl, the Train "
                            "page's plots), it does not report to wandb/swanlab").format(value=value))
        elif key == "trust_remote_code":
            if value:
                both(key, _("true — not applied: MLX Studio loads models with mlx-lm's own code only"))
        elif key == "clear_cache_threshold":
            if value:
                both(key, _("{value} — not applied: MLX Studio manages the allocator cache itself").format(
                    value=value))
        elif key == "config" and value:
            both(key, _("{value} — not applied: a config file cannot name another one").format(value=value))
    for name, value in MLX_LM_DEFAULTS.items():
        if result.sources.get(name) == FROM_MLX_LM:
            ours = _default_of(name)
            both(name, _("not in the file: mlx-lm's default {value} is used (MLX Studio's own default is "
                         "{ours})").format(value=_yaml_value(value), ours=_yaml_value(ours)))
    return result


def _default_of(name: str) -> Any:
    for f in dataclasses.fields(TrainConfig):
        if f.name == name:
            return f.default
    raise KeyError(name)


def _yaml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


__all__ = ["FEATURE_KEYS", "FROM_FILE", "FROM_MLX_LM", "FROM_STUDIO", "ConfigImport", "Note", "read_config"]
