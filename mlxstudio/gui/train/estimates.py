"""The Train page's time and memory estimate: dataset and model statistics (cached per model + dataset), the
estimate line under the settings and its tooltip, and the computer's physical memory the start checks compare with.

The functions take the page: they read its state and form, and keep ``memory_length``, ``memory_least`` and
``token_lengths`` on it (the start checks and the tests read them there).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import TYPE_CHECKING

from mlxstudio.core.errors import UserError
from mlxstudio.core.training import ConfigError, TrainConfig, runs
from mlxstudio.gui.i18n import translate
from mlxstudio.gui.train.progress import format_bytes, format_span
from mlxstudio.gui.train.token_stats import effective_length, measured_peak, mtime

if TYPE_CHECKING:
    from mlxstudio.gui.pages.train_page import TrainPage


def total_memory() -> int | None:
    """Physical memory in bytes (None when the platform does not say)."""
    with contextlib.suppress(ValueError, OSError, AttributeError):
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    return None


def dataset_stats(page: TrainPage) -> tuple[float, int, int | None, str] | None:
    """(mean tokens per row, train rows, model parameters, model name), cached per model + dataset."""
    model, dataset = page.state.model, page.state.dataset
    if model is None or dataset is None or not Path(dataset).exists():
        return None
    key = (str(model), str(dataset), mtime(Path(dataset)))
    if key not in page._stats_cache:
        rows = _train_rows(Path(dataset))
        params = _model_parameters(Path(model))
        page._stats_cache[key] = (runs.mean_row_tokens(rows, Path(model)), len(rows), params, Path(model).name)
    return page._stats_cache[key]


def estimate(page: TrainPage) -> runs.Estimate | None:
    """The run's time and memory with the form's settings (None without a model, a dataset or valid settings)."""
    stats = dataset_stats(page)
    if stats is None:
        return None
    mean_tokens, n_rows, params, model_name = stats
    try:
        cfg = page.form.config()
    except ConfigError:
        return None
    iters = cfg.total_iters(n_rows) if n_rows else cfg.iters
    # counted as the run will train them: the form's reasoning setting (kept equal to AppState.reasoning)
    exact = page.token_stats.request(page.state.model, page.state.dataset, cfg.reasoning)
    if exact is not None:
        mean_tokens = exact.mean  # the chat template's tokens (e.g. a default system prompt) included
    page.memory_length = effective_length(cfg.max_seq_length, exact, cfg.pad_multiple)
    page.token_lengths = exact
    model, dataset_tokens = Path(page.state.model), int(mean_tokens * n_rows)  # type: ignore[arg-type]
    memory = _memory_estimate(model, cfg, page.memory_length, dataset_tokens)
    # the least it can need: the head projects one position per row (prompt masking trains fewer than all)
    page.memory_least = _memory_estimate(model, cfg, page.memory_length, dataset_tokens, cfg.batch_size)
    from mlxstudio.core.runtime import guess_backend_name

    backend = "metal" if "metal" in guess_backend_name().lower() else "cpu"
    return runs.estimate_run(iterations=iters, batch_size=cfg.batch_size, mean_tokens=mean_tokens,
                             max_seq_length=cfg.max_seq_length, parameters=params, memory_bytes=memory,
                             tokens_per_second=runs.measured_tokens_per_second(model_name), backend=backend)


def update_estimate(page: TrainPage) -> None:
    """Show the estimate (and what it assumes, in the tooltip) under the settings."""
    est = estimate(page)
    if est is None:
        missing = []
        if page.state.model is None:
            missing.append(translate("estimates", "a model"))
        if page.state.dataset is None:
            missing.append(translate("estimates", "a dataset"))
        page.estimate_label.setText(
            translate("estimates", "Estimate: choose {join} first.").format(
                join=' and '.join(missing)) if missing else translate("estimates", "Estimate: –"))
        return
    parts = [f"≈ {format_span(est.seconds)}" if est.seconds is not None else translate("estimates", "time unknown")]
    if est.memory_bytes:
        memory = translate("estimates", "≈ {format_bytes} memory").format(format_bytes=format_bytes(est.memory_bytes))
        peak = measured_peak(Path(page.state.model).name)  # type: ignore[arg-type]
        if peak:
            memory += translate("estimates", " (measured peak of the last run: {format_bytes})").format(
                format_bytes=format_bytes(int(peak)))
        parts.append(memory)
    parts.append(translate("estimates", "{tokens:,} tokens").format(tokens=est.tokens))
    text = translate("estimates", "Estimate: ") + " · ".join(parts)
    note = _quantization_note(Path(page.state.model))  # type: ignore[arg-type]
    page.estimate_label.setText(text + (f"\n{note}" if note else ""))
    cfg_len = page.form.config().max_seq_length  # valid: there is an estimate
    lengths = page.token_lengths
    if lengths is not None:
        basis = (translate("estimates", "Memory: batches of up to {memory_length} tokens — the longest "
                     "training row has {longest} tokens with the chat template (max "
                     "sequence length {cfg_len}).").format(memory_length=page.memory_length, longest=lengths.longest,
                                                           cfg_len=cfg_len))
    elif page.token_stats.busy:
        basis = (translate("estimates", "Memory: batches of {cfg_len} tokens (the max sequence length) until "
                     "the rows are counted with the model's tokenizer.").format(cfg_len=cfg_len))
    else:
        basis = translate("estimates", "Memory: batches of {cfg_len} tokens (the max sequence length).").format(
            cfg_len=cfg_len)
    page.estimate_label.setToolTip(translate("estimates", "Speed: {basis}\n{basis2}").format(
        basis=est.basis, basis2=basis))


def n_train_rows(dataset: Path) -> int:
    """How many training rows a dataset has (0 when unreadable)."""
    return len(_train_rows(dataset))


def _train_rows(dataset: Path) -> list[dict]:
    """The training rows of a dataset (for the estimate); [] when unreadable (the start checks say why)."""
    try:
        from mlxstudio.core.data import load_training_data

        return list(load_training_data(dataset).get("train", []))
    except ImportError:
        pass
    except UserError:
        return []
    import json

    f = dataset / "train.jsonl" if dataset.is_dir() else dataset
    rows = []
    with contextlib.suppress(OSError):
        for line in f.read_text(encoding="utf-8").splitlines():
            with contextlib.suppress(ValueError):
                if line.strip():
                    rows.append(json.loads(line))
    return rows


def _model_parameters(model: Path) -> int | None:
    with contextlib.suppress(Exception):
        from mlxstudio.core.models import inspect_model

        return int(inspect_model(model).parameters) or None
    return runs.count_parameters(model)


def _quantization_note(model: Path) -> str:
    """How a quantized model is trained on this backend (QLoRA on Metal; float32 copy on the CPU)."""
    import json

    try:
        q = json.loads((model / "config.json").read_text(encoding="utf-8")).get("quantization")
    except (OSError, ValueError):
        return ""
    if not q:
        return ""
    from mlxstudio.core.runtime import guess_backend_name

    bits = q.get("bits", "?") if isinstance(q, dict) else "?"
    if guess_backend_name() == "Metal":
        return translate("estimates", "{bits}-bit model: QLoRA (the adapter trains on the quantized weights).").format(
            bits=bits)
    return (translate("estimates", "{bits}-bit model: trained on a float32 copy (quantized math is slow "
                "on the CPU); the adapter works with the original model.").format(bits=bits))


def _memory_estimate(model: Path, cfg: TrainConfig, seq_length: int | None = None, dataset_tokens: int = 0,
                     trained_tokens: int | None = None) -> int | None:
    """Peak memory of a step with batches of ``seq_length`` tokens (default: the max sequence length) on a dataset
    of ``dataset_tokens`` tokens, ``trained_tokens`` of each batch projected onto the vocabulary (None: all)."""
    with contextlib.suppress(Exception):
        from mlxstudio.core.models import estimate_training_memory, inspect_model

        info = inspect_model(model)
        full = cfg.fine_tune_type == "full"  # float weights + every trained weight's gradient and Adam moments
        extra = 0
        if full:
            from mlxstudio.core.training.full_finetune import full_state_bytes

            extra = full_state_bytes(info.config, cfg.num_layers, info.num_layers or 0)
        return extra + int(estimate_training_memory(
            info, cfg.batch_size, seq_length or cfg.max_seq_length, cfg.num_layers, cfg.rank,
            dequantize=True if full else None, dataset_tokens=dataset_tokens, trained_tokens=trained_tokens,
            grad_checkpoint=cfg.grad_checkpoint))
    return None
