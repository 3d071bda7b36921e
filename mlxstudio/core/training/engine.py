"""The training engine: LoRA/DoRA (QLoRA on quantized models on Metal) with mlx-lm's models, tuner layers and loss.

:func:`run_training` loads the model (:mod:`mlxstudio.core.models.loading`), tokenizes the data with mlx-lm's dataset
classes, converts the last ``num_layers`` blocks with ``mlx_lm.tuner.utils.linear_to_lora_layers`` and trains with a
thin loop built from mlx-lm's pieces (``evaluate``, the compiled step of ``mlx_lm``'s ``train()``, and its
``default_loss`` with the mask corrected so no padding token is trained — :mod:`.loss`). The loop is ours because
mlx-lm's ``train()`` cannot start at a given iteration or restore an optimizer, has no cancel, and validates with the
global NumPy RNG (which shifts the batch order) — exact resume needs all of that. What it adds: length-bucketed
batches (less padding), cancel after the current step (the adapter is still written), a NaN guard with a diagnosis,
complete atomic checkpoints and exact resume, early stopping. How it is made fast depends on the backend (the loss
shortcuts, padding; :mod:`.strategy` — one table for CPU, CUDA and Metal): the maths does not.

Writes into ``adapter_path``: ``adapters.safetensors`` + ``adapter_config.json`` (``mlx_lm.load(model,
adapter_path=...)`` works), ``metrics.jsonl`` (one record per report), ``config.yaml`` (mlx_lm-compatible), and
``checkpoints/`` (see :mod:`.checkpoint`).
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, cast

from mlxstudio.core import events as ev
from mlxstudio.core.errors import Cancelled, DataError, ModelError, UserError
from mlxstudio.core.fsutil import atomic_write_json, atomic_write_text
from mlxstudio.core.i18n import N_, _
from mlxstudio.core.training import checkpoint as ckpt
from mlxstudio.core.training import fastpath, full_finetune, packing, strategy, test_eval
from mlxstudio.core.training.batching import (
    BatchOrder,
    TokenizedSet,
    eval_batches,
    iterate_fixed,
    make_batch,
    tokenize_rows,
)
from mlxstudio.core.training.config import ConfigError, TrainConfig
from mlxstudio.core.training.loss import masked_loss
from mlxstudio.core.training.packing import make_packed_batch
from mlxstudio.core.training.reasoning import reasoning_setting

METRICS_FILE = "metrics.jsonl"
ADAPTER_FILE = "adapters.safetensors"
BEST_ADAPTER_FILE = "best_adapters.safetensors"
STOPPED_BEFORE_FIRST_STEP = "stopped before the first step; nothing was saved (Start trains anew)"
PREFIX_CACHE_BUDGET = 768 * 2**20   # bytes of cached lower-layer activations (float32) the fast path may keep

# Settings a resumed run must share with its checkpoint (they change the maths of every step).
RESUME_MUST_MATCH = ("fine_tune_type", "num_layers", "lora_keys", "rank", "scale", "dropout", "learning_rate",
                     "lr_schedule", "warmup", "warmup_init", "min_learning_rate", "optimizer", "optimizer_config",
                     "batch_size", "grad_accumulation_steps", "max_seq_length", "mask_prompt", "seed",
                     "length_bucketing", "pad_multiple", "pack_sequences")


class TrainingDiverged(UserError):
    """The loss became NaN/inf: the message says why it probably happened and what to change."""


class _StopEval(Exception):
    """Raised from the validation progress callback when a cancel arrives mid-validation."""


def _cancel_fn(cancel: Callable[[], bool] | threading.Event | None) -> Callable[[], bool]:
    if cancel is None:
        return lambda: False
    if isinstance(cancel, threading.Event):
        return cancel.is_set
    return cancel


def _float32(model: Any) -> bool:
    """Whether the model computes in float32 (then the fast loss must match the full loss to 1e-4)."""
    from mlxstudio.core.runtime.mlxrt import mx, tree_flatten

    return all(v.dtype == mx.float32 for _, v in tree_flatten(model.parameters())
               if v.dtype in (mx.float32, mx.float16, mx.bfloat16))


def _load_rows(data: str | Path | dict[str, list[dict[str, Any]]],
               features: dict[str, str] | None = None) -> dict[str, list[dict[str, Any]]]:
    if isinstance(data, dict):
        return {k: list(data.get(k) or []) for k in ("train", "valid", "test")}
    from mlxstudio.core.data import FieldMap, load_training_data

    return load_training_data(data, FieldMap(features) if features else None)


def _fingerprint(data: TokenizedSet) -> str:
    h = hashlib.sha256()
    for toks, off in zip(data.tokens, data.offsets, strict=True):
        h.update(json.dumps([off, toks]).encode())
    return h.hexdigest()[:16]


def _assign_leaves(tree: Any, flat: dict[str, Any], prefix: str = "") -> int:
    """Replace the array leaves of ``tree`` (nested dicts/lists, in place) by ``flat[dotted key]``; count them."""
    from mlxstudio.core.runtime.mlxrt import mx

    n = 0
    items = tree.items() if isinstance(tree, dict) else enumerate(tree)
    for k, v in list(items):
        key = f"{prefix}{k}"
        if isinstance(v, mx.array):
            if key not in flat:
                raise ModelError(_("the checkpoint has no value for {key}: it belongs to a different model/config")
                    .format(key=key))
            if tuple(flat[key].shape) != tuple(v.shape):
                raise ModelError(_("the checkpoint's {key} has shape {tuple}, the model needs "
                                   "{tuple2}: it belongs to a different model/config").format(
                                       key=key, tuple=tuple(flat[key].shape), tuple2=tuple(v.shape)))
            tree[k] = flat[key]
            n += 1
        elif isinstance(v, (dict, list)):
            n += _assign_leaves(v, flat, key + ".")
    return n


def _build_optimizer(cfg: TrainConfig, total_iters: int) -> Any:
    import mlx.optimizers as optim
    from mlx_lm.tuner.utils import build_schedule

    sched = cfg.lr_schedule_dict(total_iters)
    lr = build_schedule(sched) if sched else cfg.learning_rate
    classes = {"adam": optim.Adam, "adamw": optim.AdamW, "muon": optim.Muon, "sgd": optim.SGD,
               "adafactor": optim.Adafactor}
    kwargs = dict(cfg.optimizer_config.get(cfg.optimizer, {}) or {})
    try:
        return classes[cfg.optimizer](learning_rate=lr, **kwargs)
    except TypeError as exc:
        raise ConfigError(_("optimizer_config.{optimizer}: {exc}").format(
            optimizer=cfg.optimizer, exc=exc), key="optimizer_config") from None


def run_training(model: str | Path, data: str | Path | dict[str, list[dict[str, Any]]], adapter_path: str | Path,
                 config: TrainConfig | dict[str, Any] | None = None, sink: ev.Sink = ev.null_sink,
                 cancel: Callable[[], bool] | threading.Event | None = None, resume: bool = False,
                 features: dict[str, str] | None = None) -> dict[str, Any]:
    """Train an adapter for ``model`` on ``data`` into ``adapter_path``; return a result dict.

    ``data``: a dataset folder/file (see ``dataset.load_training_data``) or ``{"train": rows, "valid": rows}``.
    ``features``: which field of the rows is what, for rows with other names (``{"prompt": "question", …}``;
    mlx-lm's ``prompt_feature``/``completion_feature``/``chat_feature``/``text_feature``).
    ``resume``: continue from the newest complete checkpoint in ``adapter_path`` exactly where it stopped.
    Raises ``errors.Cancelled`` after a cancel (the adapter and a checkpoint are written first),
    :class:`TrainingDiverged` on a NaN/inf loss, ``UserError`` subclasses for bad input.
    """
    trainer = _Trainer(model, data, Path(adapter_path), config, sink, _cancel_fn(cancel), resume)
    trainer.features = features
    return trainer.run()


def train_job(params: dict[str, Any], sink: ev.Sink, cancel: Callable[[], bool]) -> dict[str, Any]:
    """Worker job "train": params ``model``, ``data``, ``adapter_path``, ``config`` (dict), ``resume`` (bool)."""
    try:
        model, data, adapter_path = params["model"], params["data"], params["adapter_path"]
    except KeyError as exc:
        raise UserError(_("train job: missing parameter {exc}").format(exc=exc)) from None
    cfg = TrainConfig.from_dict(params.get("config") or {})
    return run_training(model, data, adapter_path, cfg, sink, cancel, bool(params.get("resume", False)),
                        features=params.get("features") or None)


class _Trainer:
    """One training run (state shared by the steps of :func:`run_training`)."""

    def __init__(self, model: str | Path, data: Any, out: Path, config: TrainConfig | dict[str, Any] | None,
                 sink: ev.Sink, cancel: Callable[[], bool], resume: bool) -> None:
        if config is None:
            config = TrainConfig()
        elif isinstance(config, dict):
            config = TrainConfig.from_dict(config)
        self.cfg = config.validate()
        self.model_ref, self.data_ref, self.out = model, data, out
        self.sink, self.cancel, self.resume = sink, cancel, resume
        self.metrics: list[dict[str, Any]] = []
        self.group: Any = None
        self.features: dict[str, str] | None = None
        self.rank, self.world, self.writer = 0, 1, True  # see run(): a rank of an mlx.launch group (distributed.py)
        self.strategy = strategy.TABLE["CPU"]   # set in run() for the backend (strategy.py)
        self.pad = self.cfg.pad_multiple        # the pad multiple used: the strategy may raise it

    # -- set-up ------------------------------------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        from mlxstudio.core.runtime.mlxrt import mx

        t_start = time.perf_counter()
        from mlxstudio.core.training import distributed as dist

        self.group = dist.group()  # several ranks: each trains on its shard, only rank 0 writes and reports
        self.rank, self.world = int(self.group.rank()), int(self.group.size())
        self.writer = self.rank == 0
        if not self.writer:
            self.sink = ev.null_sink
        cfg, out, sink = self.cfg, self.out, self.sink
        resume_from = None
        if self.resume and self.writer:  # the other ranks get rank 0's checkpoint (broadcast_checkpoint)
            resume_from = ckpt.latest_checkpoint(out)
            if resume_from is None:
                raise UserError(_("{out}: no complete checkpoint to resume from — start a new run instead").format(
                    out=out))
        if self.writer:
            out.mkdir(parents=True, exist_ok=True)

        from mlxstudio.core.models.loading import load_for_training

        loaded = load_for_training(self.model_ref, sink,  # full fine-tuning trains float weights (full_finetune)
                                   keep_quantized=False if cfg.fine_tune_type == "full" else None)
        model, tokenizer = loaded.model, loaded.tokenizer
        if self.cancel():
            raise Cancelled(STOPPED_BEFORE_FIRST_STEP)

        rows = _load_rows(self.data_ref, self.features)
        if not rows["train"]:
            raise DataError(_("the training split is empty — add rows to train.jsonl"))
        self.reasoning = reasoning_setting(cfg.reasoning, tokenizer, rows["train"], sink)
        tok = partial(tokenize_rows, tokenizer=tokenizer, mask_prompt=cfg.mask_prompt,
                      max_seq_length=cfg.max_seq_length, sink=sink, cancel=self.cancel, reasoning=self.reasoning)
        train = tok(rows["train"], split="train")
        valid = tok(rows["valid"], split="valid")
        for name, part in ((N_("training"), train), (N_("validation"), valid)):
            if part.dropped:
                shown = ", ".join(str(i + 1) for i in part.dropped[:10]) + ("…" if len(part.dropped) > 10 else "")
                sink(ev.Log(_("{n} {name} row(s) skipped (rows {shown})"
                              ": nothing of the answer is left after cutting to max_seq_length={max_seq_length}"
                              " tokens — raise max_seq_length or shorten the prompts.").format(
                                  n=len(part.dropped), name=_(name), shown=shown,
                                  max_seq_length=cfg.max_seq_length), "warning"))
            elif part.truncated:
                sink(ev.Log(_("{truncated} {name} row(s) are longer than max_seq_length={max_seq_length} "
                              "tokens and were cut.").format(
                                  truncated=part.truncated, name=_(name), max_seq_length=cfg.max_seq_length),
                            "warning"))
        if len(train) == 0:
            raise DataError(_("no training row has any answer tokens within max_seq_length={max_seq_length}").format(
                max_seq_length=cfg.max_seq_length))
        batch_size = cfg.batch_size
        if len(train) < batch_size:
            sink(ev.Log(_("only {n} training rows: batch size lowered from {batch_size} to {n}.").format(
                n=len(train), batch_size=batch_size),
                        "warning"))
            batch_size = len(train)
        dist.check_batch_size(batch_size, self.world)
        if rows["train"] and "text" in rows["train"][0] and cfg.mask_prompt:
            sink(ev.Log(_("plain-text data: every token is trained (prompt masking applies to prompt/completion and "
                          "chat data only).")))
        total = cfg.total_iters(len(train))

        # -- adapters -----------------------------------------------------------------------------------------
        from mlx.utils import tree_map
        from mlx_lm.tuner.trainer import evaluate, grad_checkpoint

        from mlxstudio.core.runtime.mlxrt import tree_flatten

        num_layers = cfg.num_layers
        if num_layers > loaded.num_layers:
            sink(ev.Log(_("the model has {num_layers} layers: adapting all of them (asked for {num_layers2}).").format(
                num_layers=loaded.num_layers, num_layers2=num_layers),
                        "warning"))
            num_layers = loaded.num_layers
        mx.random.seed(cfg.seed)
        model.freeze()
        full_finetune.adapt_model(model, cfg, num_layers)  # LoRA/DoRA on lora_keys, or full: the blocks
        if cfg.resume_adapter_file and not self.resume:
            full_finetune.load_start_weights(model, cfg.resume_adapter_file, sink)
        n_trainable = sum(v.size for _, v in tree_flatten(model.trainable_parameters()))
        n_total = sum(v.size for _, v in tree_flatten(model.parameters()))
        if n_trainable == 0:
            raise ModelError(_("{path}: no layer of this model could be given adapters").format(path=loaded.path))
        optimizer = _build_optimizer(cfg, total)
        optimizer.init(model.trainable_parameters())

        # -- resume / fresh start --------------------------------------------------------------------------------
        fingerprint = _fingerprint(train)
        start = 0
        st: dict[str, Any] = {}
        grad_accum = None
        complete = False  # resuming a run whose last checkpoint is its end (killed before it wrote its results)
        if self.resume:
            adapters, opt_flat, st = dist.broadcast_checkpoint(
                ckpt.load_checkpoint(resume_from) if resume_from is not None else None, self.group)
            self._check_resumable(st, total, resume_from)
            if st.get("data_fingerprint") != fingerprint:
                sink(ev.Log(_("the training data changed since the checkpoint: the run continues on the new data "
                              "(the loss curve will not match an uninterrupted run)."), "warning"))
            params = model.trainable_parameters()
            _assign_leaves(params, dict(adapters))
            model.update(params)
            _assign_leaves(optimizer.state, {k: v for k, v in opt_flat.items() if not k.startswith("grad_accum.")})
            if any(k.startswith("grad_accum.") for k in opt_flat):
                grad_accum = model.trainable_parameters()
                _assign_leaves(grad_accum, {k[len("grad_accum."):]: v for k, v in opt_flat.items()
                                            if k.startswith("grad_accum.")})
            key = st["rng_key"]
            mx.random.seed((int(key[0]) << 32) | int(key[1]))
            start = int(st["iteration"])
            self.metrics = list(st.get("metrics", []))
            complete = start >= total or self._stopped_early(st)
            if complete:
                where = (_(" of {total}").format(total=total) if start >= total else _(", stopped early"))
                sink(ev.Log(_("the checkpoint {resume_from} is the end of the run (iteration {start}{where}): nothing "
                              "left to train; writing the run's final adapter. (To train further, raise the number of "
                              "iterations.)").format(resume_from=resume_from, start=start, where=where)))
            else:
                sink(ev.Log(_("resuming at iteration {start} of {total} from {resume_from}").format(
                    start=start, total=total, resume_from=resume_from)))
        elif self.writer:
            for stale in (out / ckpt.CHECKPOINTS_DIR, ):
                shutil.rmtree(stale, ignore_errors=True)
            (out / BEST_ADAPTER_FILE).unlink(missing_ok=True)
        mx.eval(model.parameters(), optimizer.state)
        self._write_metrics_file()
        adapter_config = {**cfg.to_dict(), "num_layers": num_layers, "model": str(loaded.path),
                          "data": str(self.data_ref) if not isinstance(self.data_ref, dict) else "",
                          "adapter_path": str(out), "iters": total,
                          "base_model_quantization": loaded.quantization,
                          "dequantized_for_training": loaded.dequantized,
                          "reasoning": self.reasoning or cfg.reasoning}  # what inference follows (issue 20)
        if self.writer:
            atomic_write_json(out / "adapter_config.json", adapter_config)
            atomic_write_text(out / "config.yaml", cfg.to_yaml())
        if self.world > 1:
            sink(ev.Log(_("{world} ranks: each computes {per_rank} of the {batch_size} rows of every batch; their "
                          "gradients are combined (weighted by trained tokens) before each update.").format(
                              world=self.world, per_rank=batch_size // self.world, batch_size=batch_size)))

        sink(ev.Log(_("{n} training rows, {n2} validation rows; {total} iterations of batch "
                      "{batch_size}; training {n_trainable:.3f}M of {n_total:.1f}M parameters "
                      "({value:.2f}%) in {num_layers} layers with {method}.").format(
                          n=len(train), n2=len(valid), total=total, batch_size=batch_size,
                          n_trainable=n_trainable / 1e6, n_total=n_total / 1e6,
                          value=100 * n_trainable / max(n_total, 1), num_layers=num_layers,
                          method=_("full fine-tuning (every weight of those blocks)") if cfg.fine_tune_type == "full"
                          else _("{upper} rank {rank}").format(upper=cfg.fine_tune_type.upper(), rank=cfg.rank))))

        # -- the loss: masked_loss (mlx-lm's default_loss, mask corrected), or its exact shortcuts when they check out
        if cfg.grad_checkpoint:
            grad_checkpoint(model.layers[0])
        order = BatchOrder(train.lengths, batch_size, cfg.seed, cfg.length_bucketing)
        self.strategy = strategy.for_backend(loaded.backend)  # how to be fast on this backend, same maths
        self.pad = pad = self.strategy.pad_multiple(cfg.pad_multiple)
        sink(ev.Log(_(self.strategy.reason) + "."))  # the table's reasons are marked with N_
        mode, prefix = ("default", None) if complete else self._choose_loss(
            model, train, order, batch_size, total, num_layers, loaded.num_layers, start)
        select = mode != "default"
        pack = not complete and self._choose_pack(model, train, order, start, mode, prefix)

        def step_args(b: Any) -> tuple[Any, ...]:
            if pack and prefix is not None:
                return (packing.packed_hidden(prefix, b), b.segments, b.sel, b.targets, b.weights)
            if pack:
                return (b.inputs, b.segments, b.sel, b.targets, b.weights)
            if mode == "prefix":
                assert prefix is not None
                return (prefix.batch(b.indices, b.inputs.shape[1] - 1), b.sel, b.targets, b.weights)
            if mode == "selected":
                return (b.inputs[:, :-1], b.sel, b.targets, b.weights)
            return (b.inputs, b.lengths)

        loss_fn: Callable[..., Any]
        if mode == "prefix":
            assert prefix is not None
            first = prefix.start
            prefix_fn = packing.packed_prefix_loss if pack else fastpath.prefix_loss

            def loss_fn(m: Any, *args: Any) -> Any:
                return prefix_fn(m, first, *args)
        elif pack:
            loss_fn = packing.packed_loss
        elif mode == "selected":
            loss_fn = fastpath.selected_loss
        else:
            loss_fn = masked_loss

        # -- the step (mlx-lm's train() step, compiled) -----------------------------------------------------------
        from mlxstudio.core.runtime.mlxrt import nn

        value_and_grad = nn.value_and_grad(model, loss_fn)
        accum_steps = cfg.grad_accumulation_steps
        state = [model.state, optimizer.state, mx.random.state]
        group, world = self.group, self.world

        def step(*args: Any) -> tuple[Any, Any, Any]:
            *batch_args, prev_grad, do_update = args
            (lvalue, toks), grad = value_and_grad(model, *batch_args)
            if world > 1:  # the whole global batch's loss and gradient, on every rank
                lvalue, toks, grad = dist.average_step(lvalue, toks, grad, group)
            if prev_grad is not None:
                grad = tree_map(lambda x, y: x + y, grad, prev_grad)
            if do_update:
                if accum_steps > 1:
                    grad = tree_map(lambda x: x / accum_steps, grad)
                optimizer.update(model, grad)
                grad = None
            return lvalue, toks, grad

        if cfg.compile_step:
            step = mx.compile(step, inputs=state, outputs=state)

        val_batches = eval_batches(valid, batch_size, cfg.val_batches, cfg.seed, pad,
                                   cfg.max_seq_length, select, fill=self.strategy.full_eval_batches,
                                   select_multiple=self.strategy.select_multiple)
        if not val_batches:
            sink(ev.Log(_("no validation rows: the validation loss is not measured."), "warning"))

        acc = st.get("acc") or {"loss_sum": 0.0, "steps": 0, "ntoks": 0, "time": 0.0}
        totals = st.get("totals") or {"trained_tokens": 0, "input_tokens": 0, "slots": 0, "train_time": 0.0,
                                      "elapsed": 0.0}
        early = st.get("early") or {"best_val": None, "best_iteration": None, "bad_evals": 0}
        last_train_loss = st.get("last_train_loss")
        last_val_loss = st.get("last_val_loss")
        elapsed0 = float(totals["elapsed"])
        t_loop = time.perf_counter()

        def elapsed() -> float:
            return elapsed0 + time.perf_counter() - t_loop

        def validate(it: int) -> float | None:
            nonlocal last_val_loss
            if not val_batches:
                return None
            tic = time.perf_counter()

            def progress() -> None:
                if self.world == 1 and self.cancel():  # a group validates to the end (it all-reduces at the end)
                    raise _StopEval

            try:
                val = evaluate(model=model, dataset=None, batch_size=batch_size, num_batches=-1,
                               max_seq_length=cfg.max_seq_length,
                               loss=fastpath.selected_loss if select else masked_loss,
                               iterate_batches=iterate_fixed(val_batches[self.rank::self.world], select),
                               progress_callback=progress)
            except _StopEval:
                return None
            finally:
                model.train()
            val_time = time.perf_counter() - tic
            last_val_loss = val
            self._report(ev.ValReport(iteration=it, val_loss=val, val_time=val_time))
            return val

        def save_checkpoint(it: int) -> Path:
            if not self.writer:
                return out
            flat_opt = dict(tree_flatten(optimizer.state))
            if grad_accum is not None:
                flat_opt.update({f"grad_accum.{k}": v for k, v in tree_flatten(grad_accum)})
            key = [int(x) for x in cast(list[Any], mx.random.state)[0].tolist()]  # not in mlx's stub
            state_json = {"iteration": it, "total_iterations": total, "rng_key": key, "acc": acc,
                          "totals": {**totals, "elapsed": elapsed()}, "early": early,
                          "last_train_loss": last_train_loss, "last_val_loss": last_val_loss,
                          "metrics": self.metrics, "config": cfg.to_dict(), "data_fingerprint": fingerprint,
                          "num_layers": num_layers}
            weights = dict(tree_flatten(model.trainable_parameters()))
            path = ckpt.save_checkpoint(out, it, weights, flat_opt, state_json)
            ckpt.save_safetensors_atomic(out / ADAPTER_FILE, weights)
            sink(ev.CheckpointSaved(iteration=it, path=str(path)))
            return path

        # -- the loop -----------------------------------------------------------------------------------------
        model.train()
        if start == 0 and val_batches:
            validate(0)
        it = start
        cancelled = False
        shapes: set[tuple[tuple[int, ...], ...]] = set()
        stopped_early = complete and self._stopped_early(st)
        # With ``strategy.pipeline`` (an option, off on every backend: measured no faster on the GPU) the next step
        # is dispatched before this one's loss is read, so the device runs step n while Python builds and launches
        # step n + 1 — the same operations in the same order, so the same numbers. Never past a step whose end reads
        # the model (a report's learning rate, validation, a checkpoint).
        pipeline = self.strategy.pipeline and self.world == 1

        def reports_at(n: int) -> bool:
            return n == total or n % cfg.steps_per_report == 0

        def validates_at(n: int) -> bool:
            return n == total or bool(cfg.steps_per_eval and n % cfg.steps_per_eval == 0)

        def saves_at(n: int) -> bool:
            return n == total or bool(cfg.save_every and n % cfg.save_every == 0)

        def launch(n: int) -> tuple[Any, Any, Any, float]:
            """Build and dispatch step ``n + 1`` (rows of batch ``n``); returns its batch, loss, tokens, start time."""
            nonlocal grad_accum
            rows_n = dist.shard(order.indices(n), self.rank, self.world)
            b = (make_packed_batch(train, rows_n, pad, cfg.max_seq_length) if pack else
                 make_batch(train, rows_n, pad, cfg.max_seq_length, select, self.strategy.select_multiple))
            started = time.perf_counter()
            args = step_args(b)
            shapes.add(tuple(tuple(a.shape) for a in args))  # each distinct one is a compile (and JIT kernels)
            lvalue, toks, grad_accum = step(*args, grad_accum, (n + 1) % accum_steps == 0)
            if pipeline:
                mx.async_eval(state, lvalue, toks, grad_accum)
            else:
                mx.eval(state, lvalue, toks, grad_accum)
            return b, lvalue, toks, started

        pending: tuple[Any, Any, Any, float] | None = None
        done_at = 0.0
        pipelined = 0  # steps dispatched while the one before them ran
        while it < total and not complete:
            if pending is None:
                if dist.agree(self.cancel(), self.group):  # a group stops together, at rank 0's request
                    cancelled = True
                    break
                pending = launch(it)
            b, lvalue, toks, started = pending
            pending = None
            it += 1
            if pipeline and not (reports_at(it) or validates_at(it) or saves_at(it)):
                if self.cancel():
                    cancelled = True  # step ``it`` still completes and is counted below
                else:
                    pending = launch(it)
                    pipelined += 1
            lv, nt = lvalue.item(), int(toks.item())
            now = time.perf_counter()
            dt = now - max(started, done_at)  # a pipelined step's time starts when the one before it ended
            done_at = now
            if not math.isfinite(lv) or nt == 0:
                raise self._diverged(it, lv, nt)
            acc["loss_sum"] += lv
            acc["steps"] += 1
            acc["ntoks"] += nt
            acc["time"] += dt
            totals["trained_tokens"] += nt
            totals["input_tokens"] += b.real_tokens
            totals["slots"] += b.slots
            totals["train_time"] += dt
            if reports_at(it):
                last_train_loss = acc["loss_sum"] / acc["steps"]
                self._report(ev.TrainReport(
                    iteration=it, train_loss=last_train_loss, learning_rate=float(optimizer.learning_rate.item()),
                    iterations_per_second=acc["steps"] / max(acc["time"], 1e-9),
                    tokens_per_second=acc["ntoks"] / max(acc["time"], 1e-9),
                    trained_tokens=totals["trained_tokens"], peak_memory=mx.get_peak_memory() / 1e9,
                    total_iterations=total, elapsed=elapsed()))
                acc = {"loss_sum": 0.0, "steps": 0, "ntoks": 0, "time": 0.0}
            if validates_at(it):
                val = validate(it)
                if val is not None:
                    if early["best_val"] is None or val < early["best_val"]:
                        early.update(best_val=val, best_iteration=it, bad_evals=0)
                        if cfg.keep_best and self.writer:
                            ckpt.save_safetensors_atomic(out / BEST_ADAPTER_FILE,
                                                         dict(tree_flatten(model.trainable_parameters())))
                    else:
                        early["bad_evals"] += 1
                    if cfg.early_stopping_patience and early["bad_evals"] >= cfg.early_stopping_patience:
                        sink(ev.Log(_("stopping early at iteration {it}: the validation loss has not improved for "
                                      "{early} validations (best {early2:.4f} at iteration "
                                      "{early3}).").format(
                                          it=it, early=early["bad_evals"], early2=early["best_val"],
                                          early3=early["best_iteration"])))
                        stopped_early = True
            if stopped_early or saves_at(it):
                save_checkpoint(it)
            if stopped_early or cancelled:
                break

        # -- the end ------------------------------------------------------------------------------------------
        if cancelled:
            if it == 0:  # no step yet (stopped while the model loaded or the data was prepared): no empty checkpoint
                raise Cancelled(STOPPED_BEFORE_FIRST_STEP)
            if it > start or not (out / ADAPTER_FILE).exists():
                save_checkpoint(it)
            raise Cancelled(_("stopped at iteration {it} of {total}; adapter saved in {out} (resume to continue)")
                .format(it=it, total=total, out=out))
        if complete and self.writer:  # what the killed run did after its last checkpoint
            ckpt.save_safetensors_atomic(out / ADAPTER_FILE, dict(tree_flatten(model.trainable_parameters())))
            ckpt.remove_stale_temps(out)
        if cfg.keep_best and self.writer and (out / BEST_ADAPTER_FILE).exists():
            ckpt.copy_file_atomic(out / BEST_ADAPTER_FILE, out / ADAPTER_FILE)
            sink(ev.Log(_("kept the adapter with the best validation loss ({early:.4f} at iteration "
                          "{early2}).").format(early=early['best_val'], early2=early['best_iteration'])))
        elif cfg.keep_best and self.writer and early["best_iteration"] not in (None, it):
            sink(ev.Log(_("{out} (iteration {early}) is missing: the final "
                          "adapter (iteration {it}) is kept instead.").format(
                              out=out / BEST_ADAPTER_FILE, early=early['best_iteration'], it=it), "warning"))
        train_time = float(totals["train_time"])
        result = {
            "adapter_path": str(out), "model": str(loaded.path), "iterations": it, "total_iterations": total,
            "train_loss": last_train_loss, "val_loss": last_val_loss, "best_val_loss": early["best_val"],
            "best_iteration": early["best_iteration"], "stopped_early": stopped_early,
            "resumed_from": int(st["iteration"]) if resume_from is not None else None,
            "trained_tokens": totals["trained_tokens"], "input_tokens": totals["input_tokens"],
            "padding_fraction": 1.0 - totals["input_tokens"] / max(totals["slots"], 1),
            "train_time": train_time, "tokens_per_second": totals["trained_tokens"] / max(train_time, 1e-9),
            "wall_time": time.perf_counter() - t_start, "peak_memory_gb": mx.get_peak_memory() / 1e9,
            "dequantized": loaded.dequantized, "backend": loaded.backend,
            "strategy": self.strategy.reason, "loss_path": mode + ("+packed" if pack else ""),
            "compiled_shapes": len(shapes), "pipelined_steps": pipelined,
        }
        if cfg.test:  # mlx-lm's test: true, on the final weights
            result.update(test_eval.test_split_loss(model, tok(rows["test"], split="test"), cfg, batch_size, pad,
                                                    self.rank, self.world, sink) or {})
        if cfg.fine_tune_type == "full" and self.writer:
            result["full_model"] = str(full_finetune.save_full_model(model, tokenizer, loaded.path, out,
                                                                     loaded.dequantized, sink,
                                                                     reasoning=self.reasoning))
        loss_text = _("final loss {loss:.3f}").format(loss=last_train_loss) if last_train_loss is not None else ""
        if "full_model" in result:  # a full fine-tune: the tuned model is a library model, not an adapter
            result["message"] = _("trained {it} iterations in {seconds:.1f} s ({tps:.0f} tok/s), {loss}; the tuned "
                                  "model is saved in the library as {model}").format(
                it=it, seconds=train_time, tps=result["tokens_per_second"], loss=loss_text,
                model=Path(result["full_model"]).name)
        else:
            result["message"] = _("trained {it} iterations in {seconds:.1f} s ({tps:.0f} tok/s), {loss}; adapter "
                                  "saved in {out}").format(it=it, seconds=train_time,
                                                           tps=result["tokens_per_second"], loss=loss_text, out=out)
        return result

    # -- helpers ---------------------------------------------------------------------------------------------------
    def _choose_loss(self, model: Any, train: TokenizedSet, order: BatchOrder, batch_size: int, total: int,
                     num_layers: int, n_layers: int, start_it: int) -> tuple[str, fastpath.PrefixCache | None]:
        """"default", "selected" or "prefix" (see :mod:`.fastpath`), checked against the full loss on a batch.

        The reference is :func:`.loss.masked_loss`: the whole model, logits at every position, then the mask — an
        independent computation of the same number. (Not mlx-lm's ``default_loss`` itself: it also trains one
        padding token per row, see :mod:`.loss`; the shortcuts select exactly the corrected mask's positions.)
        """
        from mlxstudio.core.runtime.mlxrt import mx

        cfg = self.cfg
        if not cfg.fast_loss or not self.strategy.selected_loss or fastpath.model_parts(model) is None:
            return "default", None
        b = make_batch(train, order.indices(start_it), self.pad, cfg.max_seq_length, True,
                       self.strategy.select_multiple)
        model.eval()
        try:
            reference = masked_loss(model, b.inputs, b.lengths)[0].item()
            fast = fastpath.selected_loss(model, b.inputs[:, :-1], b.sel, b.targets, b.weights)[0].item()
            rtol = 1e-4 if _float32(model) else 2e-3  # half precision: looser
            if not fastpath.verify(reference, fast, rtol):
                self.sink(ev.Log(_("the fast loss does not match the full loss on this model ({fast:.6f} vs "
                                   "{reference:.6f}): computing the full loss.").format(
                                       fast=fast, reference=reference), "warning"))
                return "default", None
            first = n_layers - num_layers
            epochs = total * batch_size / max(len(train), 1)
            dim = int(getattr(getattr(model, "args", None), "hidden_size", 0) or 0)
            need = fastpath.PrefixCache.nbytes(train.lengths, dim)
            if (not self.strategy.prefix_cache or first <= 0 or epochs < 1.1 or not dim
                    or need > PREFIX_CACHE_BUDGET):
                return "selected", None
            cache = fastpath.PrefixCache(model, first)
            cache.build(train.tokens, train.lengths, progress=lambda d, t: self.sink(
                ev.Progress(job="prepare", done=d, total=t, unit="row", message=_("frozen layers"))))
            fast = fastpath.prefix_loss(model, first, cache.batch(b.indices, b.inputs.shape[1] - 1), b.sel,
                                        b.targets, b.weights)[0].item()
            if not fastpath.verify(reference, fast, rtol):
                self.sink(ev.Log(_("the cached lower layers do not reproduce the full loss on this model ({fast:.6f} "
                                   "vs {reference:.6f}): computing them every step.").format(
                                       fast=fast, reference=reference), "warning"))
                return "selected", None
            self.sink(ev.Log(_("the {first} frozen lower layers are computed once per row "
                               "({need:.0f} MB) and reused for the {epochs:.0f} epochs.").format(
                                   first=first, need=need / 2**20, epochs=epochs)))
            mx.eval(cache.rows)
            return "prefix", cache
        finally:
            model.train()

    def _choose_pack(self, model: Any, train: TokenizedSet, order: BatchOrder, start_it: int, mode: str,
                     prefix: fastpath.PrefixCache | None) -> bool:
        """Whether to pack the rows of each batch (:mod:`.packing`): asked for, and its loss on the first batch
        matches the unpacked full loss (:func:`.loss.masked_loss`)."""
        cfg = self.cfg
        if not cfg.pack_sequences:
            return False
        if mode == "default":
            self.sink(ev.Log(_("packing rows needs the exact loss shortcuts (fast_loss), which this model does not "
                               "use: the batches are padded instead."), "warning"))
            return False
        indices = order.indices(start_it)
        b = make_batch(train, indices, self.pad, cfg.max_seq_length, True)
        pb = make_packed_batch(train, indices, self.pad, cfg.max_seq_length)
        model.eval()
        try:
            reference = masked_loss(model, b.inputs, b.lengths)[0].item()
            if prefix is not None:
                fast = packing.packed_prefix_loss(model, prefix.start, packing.packed_hidden(prefix, pb), pb.segments,
                                                  pb.sel, pb.targets, pb.weights)[0].item()
            else:
                fast = packing.packed_loss(model, pb.inputs, pb.segments, pb.sel, pb.targets, pb.weights)[0].item()
        finally:
            model.train()
        if not fastpath.verify(reference, fast, 1e-4 if _float32(model) else 2e-3):
            self.sink(ev.Log(_("packed rows do not reproduce the unpacked loss on this model ({fast:.6f} vs "
                               "{reference:.6f}; it may not use rotary positions): the batches are padded "
                               "instead.").format(
                                   fast=fast, reference=reference),
                             "warning"))
            return False
        self.sink(ev.Log(_("the rows of each batch are packed end to end (attention kept within each row): no "
                           "padding between them.")))
        return True

    def _report(self, event: ev.TrainReport | ev.ValReport) -> None:
        rec = {k: v for k, v in event.to_dict().items() if k != "event"}
        self.metrics.append(rec)
        if self.writer:
            with open(self.out / METRICS_FILE, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(rec, allow_nan=True) + "\n")
        self.sink(event)

    def _write_metrics_file(self) -> None:
        if not self.writer:
            return
        atomic_write_text(self.out / METRICS_FILE,
                          "".join(json.dumps(r, allow_nan=True) + "\n" for r in self.metrics))

    def _check_resumable(self, st: dict[str, Any], total: int, path: Path | None) -> None:
        saved = TrainConfig.from_dict(st.get("config") or {})
        diffs = [f"{k} was {getattr(saved, k)!r}, now {getattr(self.cfg, k)!r}" for k in RESUME_MUST_MATCH
                 if getattr(saved, k) != getattr(self.cfg, k)]
        if diffs:
            raise ConfigError(_("cannot resume from {path}: settings changed ({join}) — use the "
                                "checkpoint's settings or start a new run").format(path=path, join='; '.join(diffs)))
        before = int(st.get("total_iterations", total))
        if self.cfg.lr_schedule == "cosine" and not self.cfg.decay_steps and before != total:
            self.sink(ev.Log(_("the run now has {total} iterations instead of {before}: the cosine schedule is "
                               "stretched from here on.").format(total=total, before=before), "warning"))
        if int(st["iteration"]) > total:
            raise UserError(_("{path}: this run is already at iteration {st}, past the {total} iterations "
                              "asked for — ask for more than {st} iterations to continue training").format(
                                  path=path, st=st['iteration'], total=total))

    def _stopped_early(self, st: dict[str, Any]) -> bool:
        """Whether the checkpoint state ``st`` is that of a run early stopping ended (with the current patience)."""
        patience = self.cfg.early_stopping_patience
        return bool(patience) and int((st.get("early") or {}).get("bad_evals", 0)) >= patience

    def _diverged(self, it: int, loss: float, ntoks: int) -> TrainingDiverged:
        last = ckpt.latest_checkpoint(self.out)
        kept = f" The last good checkpoint (iteration {int(last.name)}) is kept." if last else ""
        if ntoks == 0:
            return TrainingDiverged(_("iteration {it}: a batch had no trained tokens (every answer was cut off by "
                                      "max_seq_length={max_seq_length}) — raise max_seq_length.{kept}").format(
                                          it=it, max_seq_length=self.cfg.max_seq_length, kept=kept))
        if it == 1:
            return TrainingDiverged(_("the training loss is {loss} at the first step, before any update: the model "
                                      "computes NaN/inf on this data — its weights may be broken (re-import or "
                                      "re-download the model).").format(loss=loss))
        lr = self.cfg.learning_rate
        return TrainingDiverged(_("the training loss became {loss} at iteration {it}: the learning rate {lr:g} is "
                                  "too high for this model and data — lower it (try {lr2:g}) and train again."
                                  "{kept}").format(loss=loss, it=it, lr=lr, lr2=lr / 10, kept=kept))
