"""All training hyperparameters in one dataclass: defaults, help text, limits, and mlx_lm-compatible YAML.

The Train page builds its form from :func:`config_fields` (``metadata``: ``help``, ``label``, ``group`` "basic" /
"advanced" / "hidden", and ``choices``, ``min``, ``max`` where relevant), the CLI builds its flags from the same
fields, and :meth:`TrainConfig.to_yaml` writes a file ``mlx_lm.lora --config`` understands (``lora_parameters``,
``lr_schedule`` dicts). Defaults follow ``mlx_lm.lora``'s, except ``mask_prompt`` (on: we train the answers, not
the questions; it is ignored for plain-text data) — a mlx-lm YAML file that does not set it gets mlx-lm's off
(:data:`MLX_LM_DEFAULTS`, applied by :func:`load_yaml`). What an imported file's keys became is said by
:mod:`.mlx_lm_yaml`.

This module imports neither MLX nor Qt, so it is cheap to import.
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from mlxstudio.core.errors import UserError
from mlxstudio.core.i18n import N_, _

FINE_TUNE_TYPES = ("lora", "dora", "full")
LR_SCHEDULES = ("constant", "cosine")
OPTIMIZERS = ("adam", "adamw", "muon", "sgd", "adafactor")

# mlx_lm YAML keys that are not hyperparameters of the run (where the model/data are, what else to do).
# ``model``/``data``/``adapter_path``/``resume_adapter_file`` are returned to the caller by :func:`load_yaml`;
# the others are accepted and ignored (each one is named in the returned ``ignored`` list).
RUN_KEYS = ("model", "data", "adapter_path", "hf_dataset")
IGNORED_MLX_LM_KEYS = (
    "train", "config", "report_to", "project_name", "trust_remote_code", "clear_cache_threshold",
)
LORA_PARAMETER_KEYS = ("keys", "rank", "scale", "dropout")
MLX_LM_DEFAULTS = {"mask_prompt": False}
"""mlx-lm 0.32's defaults where MLX Studio's own differ: a mlx-lm YAML file that does not set the key gets these."""
FEATURE_KEYS = {"prompt_feature": "prompt", "completion_feature": "completion", "chat_feature": "messages",
                "text_feature": "text"}
"""mlx-lm's field-name keys → what the field is (a :class:`~mlxstudio.core.data.FieldMap`); applied to the data."""


class ConfigError(UserError):
    """A training setting is invalid. ``path``/``line`` point into the YAML file when it came from one."""

    def __init__(self, message: str, path: str | Path | None = None, line: int | None = None,
                 key: str | None = None) -> None:
        self.path = str(path) if path is not None else None
        self.line = line
        self.key = key
        where = self.path or ""
        if where and line is not None:
            where = f"{where}:{line}"
        super().__init__(f"{where}: {message}" if where else message)


def _f(default: Any, label: str, help: str, group: str = "basic", **extra: Any) -> Any:
    """A dataclass field with form/CLI metadata."""
    meta = {"label": label, "help": help, "group": group, **extra}
    return field(default=default, metadata=meta)


@dataclass
class TrainConfig:
    """Every hyperparameter of a LoRA/DoRA training run (see the module docstring)."""

    # -- what is trained ---------------------------------------------------------------------------------------
    fine_tune_type: str = _f("lora", "Method", "LoRA trains small low-rank matrices next to the frozen weights; "
                             "DoRA also learns their magnitude (a little slower, sometimes better). Full trains "
                             "every weight of the chosen blocks and saves a whole new model (needs several times "
                             "the memory of LoRA).", choices=FINE_TUNE_TYPES)
    num_layers: int = _f(16, "Blocks to train", "How many of the last transformer blocks are trained "
                         "(-1 = all). More blocks: more capacity, slower steps.", min=-1, max=1024)
    lora_keys: list = field(default_factory=list, metadata={
        "label": "Layers to adapt", "group": "basic",
        "help": "Which layers of each trained block get adapters (mlx-lm's lora_parameters.keys, e.g. "
                "self_attn.q_proj). Empty = every linear layer of the block (mlx-lm's default).",
        "item": str})
    rank: int = _f(8, "LoRA rank", "Size of the low-rank update. 4–16 is typical; higher learns more "
                   "but needs more data.", min=1, max=1024)
    scale: float = _f(20.0, "LoRA scale", "Multiplier of the low-rank update (mlx-lm's 'scale', like alpha/rank "
                      "elsewhere). Lower it if training is unstable.", group="advanced", min=0.0, max=1e4)
    dropout: float = _f(0.0, "LoRA dropout", "Dropout on the adapter input during training (0 = off).",
                        group="advanced", min=0.0, max=0.95)
    # -- optimisation ------------------------------------------------------------------------------------------
    learning_rate: float = _f(1e-5, "Learning rate", "Step size of the optimizer. 1e-5 is mlx-lm's careful "
                              "default; small datasets on small models often need 1e-4–2e-4.", min=0.0, max=1.0)
    lr_schedule: str = _f("constant", "LR schedule", "constant: the same learning rate throughout. cosine: "
                          "decays smoothly to the minimum learning rate by the end.", choices=LR_SCHEDULES)
    warmup: int = _f(0, "Warm-up steps", "Steps over which the learning rate ramps up linearly from the "
                     "warm-up start value (0 = none).", group="advanced", min=0, max=10_000_000)
    warmup_init: float = _f(0.0, "Warm-up start LR", "Learning rate at step 0 of the warm-up.",
                            group="advanced", min=0.0, max=1.0)
    min_learning_rate: float = _f(0.0, "Minimum LR (cosine)", "Where the cosine schedule ends.",
                                  group="advanced", min=0.0, max=1.0)
    decay_steps: int = _f(0, "Decay steps (cosine)", "Length of the cosine decay; 0 = the rest of the run "
                          "after warm-up.", group="advanced", min=0, max=10_000_000)
    optimizer: str = _f("adam", "Optimizer", "The optimizer (mlx-lm's default is Adam).", group="advanced",
                        choices=OPTIMIZERS)
    optimizer_config: dict = field(default_factory=dict, metadata={
        "label": "Optimizer options", "group": "hidden",
        "help": "Extra keyword arguments of the optimizer, per optimizer name (mlx-lm's optimizer_config)."})
    # -- how long, how big -------------------------------------------------------------------------------------
    iters: int = _f(1000, "Iterations", "Number of training steps (one batch each).", min=1, max=10_000_000)
    epochs: int = _f(0, "Epochs", "If > 0, train this many passes over the training set instead of a fixed "
                     "number of iterations.", group="advanced", min=0, max=100_000)
    batch_size: int = _f(4, "Batch size", "Rows per step. Larger: smoother loss, more memory per step.",
                         min=1, max=4096)
    grad_accumulation_steps: int = _f(1, "Gradient accumulation", "Add up the gradients of this many batches "
                                      "before each update (a larger effective batch without more memory).",
                                      group="advanced", min=1, max=1024)
    max_seq_length: int = _f(2048, "Max sequence length", "Longer rows are cut to this many tokens.",
                             min=8, max=1_000_000)
    mask_prompt: bool = _f(True, "Train on answers only", "Compute the loss on the completion/assistant "
                           "tokens only, not the prompt (ignored for plain-text data).")
    reasoning: str = _f("auto", "Reasoning", "For models whose chat template has a thinking block (Qwen3). direct: "
                        "answer directly — the answer is trained after an empty think block and the tuned model is "
                        "asked with thinking off. keep: keep the reasoning in my data (<think>…</think> or a "
                        "reasoning_content field) — it is trained and the model is asked with thinking on. auto: "
                        "keep when the data has reasoning, otherwise direct.",
                        choices=("auto", "direct", "keep"))  # mlxstudio.core.data.thinking.REASONING_MODES
    resume_adapter_file: str = _f("", "Start from adapter", "An adapters.safetensors whose weights this run starts "
                                  "from (a new run, not a resume: mlx-lm's resume_adapter_file). Empty = fresh "
                                  "weights.", group="hidden")
    test: bool = _f(False, "Test after training", "Measure the loss and perplexity on the test split (test.jsonl) "
                    "after training.", group="advanced")
    test_batches: int = _f(500, "Test batches", "Batches of the test split to measure (-1 = all of it).",
                           group="advanced", min=-1, max=1_000_000)
    # -- reporting, checkpoints --------------------------------------------------------------------------------
    steps_per_report: int = _f(10, "Report every", "Steps between training-loss reports.", group="advanced",
                               min=1, max=1_000_000)
    steps_per_eval: int = _f(200, "Validate every", "Steps between validation-loss measurements (0 = only at "
                             "the start and the end).", group="advanced", min=0, max=1_000_000)
    val_batches: int = _f(25, "Validation batches", "Batches per validation (-1 = the whole validation set).",
                          group="advanced", min=-1, max=1_000_000)
    save_every: int = _f(100, "Checkpoint every", "Steps between checkpoints you can resume from (0 = only "
                         "at the end).", group="advanced", min=0, max=1_000_000)
    early_stopping_patience: int = _f(0, "Early stopping patience", "Stop when the validation loss has not "
                                      "improved for this many validations in a row (0 = off).",
                                      group="advanced", min=0, max=100_000)
    keep_best: bool = _f(False, "Keep best adapter", "At the end, make the adapter the one with the lowest "
                         "validation loss instead of the last one.", group="advanced")
    seed: int = _f(0, "Seed", "Random seed (batch order, adapter initialisation): the same seed gives the same "
                   "run.", group="advanced", min=0, max=2**31 - 1)
    # -- speed / memory ----------------------------------------------------------------------------------------
    grad_checkpoint: bool = _f(False, "Gradient checkpointing", "Recompute activations in the backward pass: "
                               "less memory, ~30% slower.", group="advanced")
    length_bucketing: bool = _f(True, "Group similar lengths", "Batch rows of similar token length together "
                                "so little compute is spent on padding.", group="advanced")
    pad_multiple: int = _f(8, "Pad to multiple of", "Round each batch's length up to a multiple of this "
                           "(fewer distinct shapes to compile; 1 = no rounding).", group="advanced", min=1, max=256)
    compile_step: bool = _f(True, "Compile the training step", "Fuse the step with mx.compile (faster).",
                            group="advanced")
    fast_loss: bool = _f(True, "Exact loss shortcuts", "Project only the trained positions onto the vocabulary and "
                         "reuse the frozen lower layers' outputs across epochs (checked against the full loss "
                         "before use).", group="advanced")
    pack_sequences: bool = _f(False, "Pack short rows", "Lay the rows of each batch end to end in as few "
                              "sequences of up to max_seq_length as fit, attention kept within each row: the same "
                              "rows and loss with no padding. Pays for short rows of unequal length (seed pairs: "
                              "1.1x per step on the CPU), costs for longer ones (rows of ~100 tokens: 0.85x), as "
                              "attention then spans the whole packed sequence. Checked against the unpacked loss "
                              "before use; needs the exact loss shortcuts.", group="advanced")

    # ---------------------------------------------------------------------------------------------------------
    def problems(self) -> list[tuple[str, str]]:
        """(field name, message) for every invalid value (type, choices, min/max, cross-field rules)."""
        out: list[tuple[str, str]] = []
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            msg = _check_value(f, value)
            if msg:
                out.append((f.name, msg))
        if not out:
            if self.warmup and self.epochs == 0 and self.warmup >= self.iters:
                out.append(("warmup", _("warm-up ({warmup} steps) must be shorter than the run ({iters} "
                                        "iterations)").format(warmup=self.warmup, iters=self.iters)))
            opt = self.optimizer_config.get(self.optimizer, {}) if self.optimizer_config else {}
            if not isinstance(opt, dict):
                out.append(("optimizer_config", f"optimizer_config.{self.optimizer} must be a mapping"))
            else:
                for k, v in opt.items():  # mlx's optimizers take numbers (betas: a list of them)
                    vs = v if isinstance(v, list) and v else [v]
                    if not all(isinstance(x, (int, float)) for x in vs):
                        out.append(("optimizer_config", f"optimizer_config.{self.optimizer}.{k}: expected a number "
                                                        f"or a list of numbers, got {_type_name(v)} {v!r}"))
        return out

    def validate(self) -> TrainConfig:
        """Raise :class:`ConfigError` listing every invalid value; return self when all are fine."""
        probs = self.problems()
        if probs:
            raise ConfigError(_("invalid training settings: ") + "; ".join(f"{k}: {m}" for k, m in probs),
                              key=probs[0][0])
        return self

    def replace(self, **changes: Any) -> TrainConfig:
        """A copy with some fields changed (like :func:`dataclasses.replace`)."""
        return dataclasses.replace(self, **changes)

    # -- schedule ----------------------------------------------------------------------------------------------
    def total_iters(self, n_train_rows: int) -> int:
        """Iterations of the run: ``iters``, or ``epochs`` passes over ``n_train_rows`` when ``epochs`` > 0."""
        if self.epochs > 0:
            return max(1, math.ceil(self.epochs * n_train_rows / self.batch_size))
        return self.iters

    def lr_schedule_dict(self, total_iters: int | None = None) -> dict[str, Any] | None:
        """mlx_lm's ``lr_schedule`` mapping (for ``mlx_lm.tuner.utils.build_schedule``), or None for a plain LR."""
        total = total_iters if total_iters is not None else self.iters
        if self.lr_schedule == "cosine":
            steps = self.decay_steps or max(1, total - self.warmup)
            sched: dict[str, Any] = {"name": "cosine_decay",
                                     "arguments": [self.learning_rate, steps, self.min_learning_rate]}
        elif self.warmup:
            sched = {"name": "linear_schedule", "arguments": [self.learning_rate, self.learning_rate, 1]}
        else:
            return None
        if self.warmup:
            sched["warmup"] = self.warmup
            sched["warmup_init"] = self.warmup_init
        return sched

    # -- dict / YAML -------------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """mlx_lm-style mapping: its flat keys plus ``lora_parameters`` and ``lr_schedule``; our extras flat."""
        flat = dataclasses.asdict(self)
        out: dict[str, Any] = {}
        for key, value in flat.items():
            if key in ("rank", "scale", "dropout"):
                out.setdefault("lora_parameters", {})[key] = value
            elif key == "lora_keys":
                if value:  # absent = every linear layer (mlx-lm's linear_to_lora_layers default)
                    out.setdefault("lora_parameters", {})["keys"] = list(value)
            elif key == "resume_adapter_file":
                out[key] = value or None  # mlx-lm loads any non-null value
            elif key in ("lr_schedule", "warmup", "warmup_init", "min_learning_rate", "decay_steps"):
                continue
            else:
                out[key] = value
        out["lr_schedule"] = self.lr_schedule_dict()
        if self.lr_schedule == "constant" and not self.warmup:
            out["lr_schedule"] = None
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, source: str | Path | None = None,
                  lines: dict[str, int] | None = None, ignore_run_keys: bool = False) -> TrainConfig:
        """Build from :meth:`to_dict` output, an mlx_lm YAML mapping, or flat field names.

        Unknown keys and wrong types raise :class:`ConfigError` naming ``source`` (a file) and the line of the key
        when ``lines`` maps keys to line numbers. With ``ignore_run_keys``, mlx_lm's non-hyperparameter keys
        (model, data, adapter_path, train, test…) are skipped instead of rejected.
        """
        lines = lines or {}
        names = {f.name: f for f in dataclasses.fields(cls)}
        values: dict[str, Any] = {}
        schedule: dict[str, Any] = {}

        def fail(key: str, message: str) -> ConfigError:
            top = key.split(".")[0]
            return ConfigError(f"{key}: {message}", source, lines.get(key, lines.get(top)), key)

        if not isinstance(data, dict):
            raise ConfigError(_("expected a mapping of settings (key: value)"), source, 1)
        for key, value in data.items():
            key = str(key)
            if key == "lora_parameters":
                if value is None:
                    continue
                if not isinstance(value, dict):
                    raise fail(key, _("expected a mapping like {rank: 8, scale: 20.0, dropout: 0.0}"))
                for sub, sub_value in value.items():
                    if sub not in LORA_PARAMETER_KEYS:
                        extra = " (mlx-lm uses 'scale', not 'alpha')" if sub == "alpha" else ""
                        raise fail(f"{key}.{sub}", _("unknown LoRA parameter{extra}; known: keys, rank, scale, "
                                                     "dropout").format(extra=extra))
                    values["lora_keys" if sub == "keys" else sub] = (f"{key}.{sub}", sub_value)
            elif key == "lr_schedule":
                schedule = {k: (f"lr_schedule.{k}", v) for k, v in _parse_schedule(value, fail).items()}
            elif key in names:
                values[key] = (key, value)
            elif key in RUN_KEYS or key in IGNORED_MLX_LM_KEYS or key in FEATURE_KEYS:
                if not ignore_run_keys:
                    raise fail(key, _("is not a training hyperparameter here (give it on the command line / in the "
                                      "app)"))
            else:
                close = _closest(key, [*names, "lora_parameters", "lr_schedule"])
                hint = _(" — did you mean {close!r}?").format(close=close) if close else ""
                raise fail(key, _("unknown setting{hint}").format(hint=hint))
        values.update(schedule)  # the schedule's initial LR wins over learning_rate, as in mlx_lm
        kwargs: dict[str, Any] = {}
        for name, (key, value) in values.items():
            f = names[name]
            try:
                kwargs[name] = _coerce(f, value)
            except ValueError as exc:
                raise fail(key, str(exc)) from None
            msg = _check_value(f, kwargs[name])
            if msg:
                raise fail(key, msg)
        cfg = cls(**kwargs)
        if cfg.lr_schedule == "cosine" and cfg.decay_steps == max(1, cfg.iters - cfg.warmup):
            cfg.decay_steps = 0  # the automatic length (what to_dict wrote): keep following iters
        probs = cfg.problems()
        if probs:
            k, m = probs[0]
            raise fail(values[k][0] if k in values else k, m)  # the key as written (e.g. lr_schedule.warmup)
        return cfg

    def to_yaml(self, path: str | Path | None = None) -> str:
        """The config as mlx_lm-compatible YAML text; also written atomically to ``path`` when given."""
        text = "# MLX Studio training settings (mlx_lm.lora --config compatible)\n"
        text += yaml.safe_dump({"train": True, **self.to_dict()}, sort_keys=False, allow_unicode=True)
        if path is not None:
            from mlxstudio.core.fsutil import atomic_write_text

            atomic_write_text(path, text)
        return text

    @classmethod
    def from_yaml(cls, path: str | Path) -> TrainConfig:
        """Read a YAML file (ours or mlx_lm's). mlx_lm's run keys (model, data…) are ignored; see :func:`load_yaml`."""
        return load_yaml(path)[0]


def config_fields() -> list[dataclasses.Field[Any]]:
    """The fields of :class:`TrainConfig` in form order (each with ``metadata``), for generated forms and flags."""
    return list(dataclasses.fields(TrainConfig))


def load_yaml(path: str | Path) -> tuple[TrainConfig, dict[str, Any], list[str]]:
    """Read an mlx_lm-style YAML config: (config, run keys found (model/data/adapter_path/…), ignored keys).

    Raises :class:`ConfigError` with file:line for a YAML syntax error, an unknown key or a wrong type.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(_("cannot read the config file: {strerror}").format(
            strerror=exc.strerror or exc), p) from None
    except UnicodeDecodeError:
        raise ConfigError(_("the config file is not UTF-8 text"), p) from None
    try:
        node = yaml.compose(text, Loader=_Loader)
        data = yaml.load(text, Loader=_Loader) if node is not None else {}
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else None
        raise ConfigError(_("not valid YAML: {problem}").format(problem=exc.problem or exc), p, line) from None
    except yaml.YAMLError as exc:
        raise ConfigError(_("not valid YAML: {exc}").format(exc=exc), p) from None
    lines = _key_lines(node)
    twice = _duplicate_key(node)
    if twice is not None:  # YAML keeps the last one silently: a setting the person believes in would be ignored
        key, first, again = twice
        raise ConfigError(_("{key}: given twice (lines {first} and {again}) — keep one").format(
            key=key, first=first, again=again), p, again)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(_("expected a mapping of settings (key: value) at the top level"), p, 1)
    cfg = TrainConfig.from_dict(data, source=p, lines=lines, ignore_run_keys=True)
    cfg = cfg.replace(**{k: v for k, v in MLX_LM_DEFAULTS.items() if k not in data})  # the file means mlx-lm's
    run = {k: data[k] for k in RUN_KEYS if data.get(k) is not None}
    features = {FEATURE_KEYS[k]: str(v) for k, v in data.items() if k in FEATURE_KEYS and v}
    if features:
        run["features"] = features
    ignored = [k for k in data if k in IGNORED_MLX_LM_KEYS]
    return cfg, run, ignored


# -- helpers ---------------------------------------------------------------------------------------------------
class _Loader(yaml.SafeLoader):
    """SafeLoader that reads ``1e-5`` as a float (YAML 1.1 would read it as a string), like mlx_lm's loader."""


_Loader.add_implicit_resolver(  # same resolver mlx_lm.lora installs (without mutating yaml.SafeLoader)
    "tag:yaml.org,2002:float",
    re.compile(
        r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
        |\.[0-9_]+(?:[eE][-+][0-9]+)?
        |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
        re.X,
    ),
    list("-+0123456789."),
)


def _key_lines(node: yaml.Node | None) -> dict[str, int]:
    """1-based line of each top-level key (and ``parent.child`` for nested mappings)."""
    out: dict[str, int] = {}
    if not isinstance(node, yaml.MappingNode):
        return out
    for k, v in node.value:
        key = str(k.value)
        out[key] = k.start_mark.line + 1
        if isinstance(v, yaml.MappingNode):
            for k2, _ in v.value:
                out[f"{key}.{k2.value}"] = k2.start_mark.line + 1
    return out


def _duplicate_key(node: yaml.Node | None) -> tuple[str, int, int] | None:
    """(key, first line, second line) of a key given twice in a top-level or nested mapping, else None."""
    if not isinstance(node, yaml.MappingNode):
        return None
    seen: dict[str, int] = {}
    for k, v in node.value:
        line = k.start_mark.line + 1
        if str(k.value) in seen:
            return str(k.value), seen[str(k.value)], line
        seen[str(k.value)] = line
        nested = _duplicate_key(v)
        if nested is not None:
            return f"{k.value}.{nested[0]}", nested[1], nested[2]
    return None


def _type_name(value: Any) -> str:
    return _({bool: N_("true/false"), int: N_("a whole number"), float: N_("a number"), str: N_("text"),
              dict: N_("a mapping"), list: N_("a list"), type(None): N_("nothing")}.get(type(value),
                                                                                   type(value).__name__))


def _default(f: dataclasses.Field[Any]) -> Any:
    """The field's default value (every field has a default or a default_factory)."""
    if f.default is not dataclasses.MISSING:
        return f.default
    factory = f.default_factory
    assert factory is not dataclasses.MISSING, f"{f.name} has no default"
    return factory()


def _coerce(f: dataclasses.Field[Any], value: Any) -> Any:
    """Convert ``value`` to the field's type, or raise ValueError saying what was expected."""
    default = _default(f)
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        raise ValueError(f"expected true or false, got {value!r}")
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (
                isinstance(value, float) and not value.is_integer()):
            raise ValueError(f"expected a whole number, got {_type_name(value)} {value!r}")
        return int(value)
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"expected a number, got {_type_name(value)} {value!r}")
        return float(value)
    if isinstance(default, str):
        if value is None and f.name == "resume_adapter_file":
            return ""
        if not isinstance(value, str):
            raise ValueError(f"expected text, got {_type_name(value)} {value!r}")
        return value.lower() if "choices" in f.metadata else value
    if isinstance(default, list):
        if value is None:
            return []
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, (list, tuple)) or not all(isinstance(x, str) and x.strip() for x in value):
            raise ValueError(f"expected a list of layer names like [self_attn.q_proj, self_attn.v_proj], "
                             f"got {_type_name(value)} {value!r}")
        return [x.strip() for x in value]
    if isinstance(default, dict):
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise ValueError(f"expected a mapping, got {_type_name(value)}")
        return dict(value)
    return value


def _check_value(f: dataclasses.Field[Any], value: Any) -> str | None:
    meta = f.metadata
    default = _default(f)
    if isinstance(default, bool) != isinstance(value, bool) or (
            not isinstance(default, bool) and isinstance(default, (int, float, str, dict))
            and not isinstance(value, type(default)) and not (isinstance(default, float) and isinstance(value, int))):
        return _("expected {kind}, got {got} {value!r}").format(kind=_type_name(default), got=_type_name(value),
                                                                 value=value)
    if isinstance(default, list) and not (isinstance(value, list) and all(isinstance(x, str) for x in value)):
        return f"expected a list of layer names, got {_type_name(value)} {value!r}"
    if "choices" in meta and value not in meta["choices"]:
        return _("{value!r} is not one of {choices}").format(value=value, choices=", ".join(meta["choices"]))
    if isinstance(value, float) and not math.isfinite(value):
        return _("must be a finite number, got {value}").format(value=value)
    if "min" in meta and value < meta["min"]:
        return _("must be at least {min}, got {value}").format(min=meta["min"], value=value)
    if "max" in meta and value > meta["max"]:
        return _("must be at most {max}, got {value}").format(max=meta["max"], value=value)
    if f.name == "num_layers" and value == 0:
        return _("must be -1 (all) or at least 1")
    return None


def _parse_schedule(value: Any, fail: Any) -> dict[str, Any]:
    """Flat fields from mlx_lm's ``lr_schedule`` mapping (or our own string form)."""
    if value is None:
        return {"lr_schedule": "constant"}
    if isinstance(value, str):
        return {"lr_schedule": value}
    if not isinstance(value, dict):
        raise fail("lr_schedule", _("expected a mapping like {name: cosine_decay, arguments: [1e-5, 1000, 0.0], "
                                    "warmup: 100}"))
    unknown = set(value) - {"name", "arguments", "warmup", "warmup_init"}
    if unknown:
        raise fail(f"lr_schedule.{sorted(unknown)[0]}", _("unknown key; known: name, arguments, warmup, warmup_init"))
    name = value.get("name")
    args = value.get("arguments", [])
    if not isinstance(args, list) or not all(isinstance(a, (int, float)) and not isinstance(a, bool) for a in args):
        raise fail("lr_schedule.arguments", _("expected a list of numbers"))
    out: dict[str, Any] = {}
    if name == "cosine_decay":
        if not 1 <= len(args) <= 3:
            raise fail("lr_schedule.arguments", _("cosine_decay takes [initial LR, decay steps, end LR]"))
        out.update(lr_schedule="cosine", learning_rate=args[0])
        if len(args) > 1:
            out["decay_steps"] = args[1]
        if len(args) > 2:
            out["min_learning_rate"] = args[2]
    elif name == "linear_schedule" and len(args) == 3 and args[0] == args[1]:
        out.update(lr_schedule="constant", learning_rate=args[0])
    else:
        raise fail("lr_schedule.name", _("schedule {name!r} is not supported here; use cosine_decay "
                                         "(or no lr_schedule for a constant learning rate)").format(name=name))
    if "warmup" in value:
        out["warmup"] = value["warmup"]
    if "warmup_init" in value:
        out["warmup_init"] = value["warmup_init"]
    return out


def _closest(key: str, candidates: list[str]) -> str | None:
    import difflib

    match = difflib.get_close_matches(key, candidates, n=1, cutoff=0.6)
    return match[0] if match else None
