"""Text generation with mlx-lm: base model, base model + LoRA adapter, or a fused model.

    gen = Generator("SmolLM2-135M-Instruct", adapter_path="runs/seed/adapter")
    for piece in gen.stream("蓝牙耳机坏了应该看什么科"):
        print(piece, end="")
    print(gen.last_stats.tokens_per_second)

The prompt goes through the model's chat template (as training does for prompt/completion data), decoding is greedy
unless a temperature is given, and a cancel check runs between tokens. One :class:`Generator` loads its model once;
MLX streams are bound to a thread, so create and use a Generator on one thread.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, cast

from mlxstudio.core import errors
from mlxstudio.core import events as ev
from mlxstudio.core.events import CancelCheck, is_cancelled
from mlxstudio.core.i18n import _
from mlxstudio.core.inference.adapters import check_adapter_matches
from mlxstudio.core.inference.reasoning import OPEN, ThinkSplitter, prompt_opens_thinking, tuned_thinking
from mlxstudio.core.models.library import resolve_model_path
from mlxstudio.core.runtime.blas import preload_blas


def template_supports_thinking(model_dir: str | Path) -> bool:
    """Whether a model folder's chat template has a thinking switch (``enable_thinking``), without loading it."""
    folder = Path(model_dir)
    texts = []
    for name in ("tokenizer_config.json", "chat_template.jinja", "chat_template.json"):
        try:
            texts.append((folder / name).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            continue
    return any("enable_thinking" in t for t in texts)


@dataclass
class GenerationStats:
    """Numbers about the last generation. ``finish_reason`` is "stop" (end token), "length" or "cancelled"."""

    prompt_tokens: int = 0
    generation_tokens: int = 0
    tokens_per_second: float = 0.0
    prompt_tokens_per_second: float = 0.0
    elapsed: float = 0.0
    finish_reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def load_model_and_tokenizer(model_path: Path, adapter_path: Path | None = None) -> tuple[Any, Any]:
    """Load an mlx-lm model (and LoRA adapter) with clear errors instead of tracebacks."""
    preload_blas()  # the fast BLAS must be loaded before mlx is imported
    from mlx_lm.utils import load

    if adapter_path is not None:
        check_adapter_matches(model_path, adapter_path)
    try:
        model, tokenizer = cast(tuple[Any, Any],  # mlx-lm types the result as a 2- or 3-tuple (return_config)
                                load(str(model_path), adapter_path=str(adapter_path) if adapter_path else None))
    except (FileNotFoundError, ValueError, KeyError) as exc:
        raise errors.ModelError(_("{model_path}: cannot load the model: {exc}").format(
            model_path=model_path, exc=exc)) from exc
    model.eval()
    if cpu_backend():
        widen_for_cpu(model)
    return model, tokenizer


def cpu_backend() -> bool:
    """True when MLX computes on the CPU (no Metal/CUDA device)."""
    from mlxstudio.core.runtime.mlxrt import mx

    return not mx.metal.is_available() and not (hasattr(mx, "cuda") and mx.cuda.is_available())


def widen_for_cpu(model: Any) -> None:
    """Dequantize and cast to float32 in place: on MLX's CPU backend 4-bit and float16 matmuls are 10-100x slower
    than float32 ones with OpenBLAS (measured here: SmolLM2-135M 4-bit < 0.1 tok/s, float16 1.5, float32 10+).
    Answers are the same up to rounding; the files on disk are untouched."""
    from mlx_lm.utils import dequantize_model

    from mlxstudio.core.runtime.mlxrt import mx

    dequantize_model(model)
    model.set_dtype(mx.float32)
    mx.eval(model.parameters())


class Generator:
    """A loaded model (optionally with a LoRA adapter) that answers prompts, streaming text pieces."""

    def __init__(self, model: str | Path, adapter_path: str | Path | None = None) -> None:
        self.model_path = resolve_model_path(model)
        self.adapter_path = Path(adapter_path) if adapter_path else None
        tic = time.perf_counter()
        self.model, self.tokenizer = load_model_and_tokenizer(self.model_path, self.adapter_path)
        self.load_time = time.perf_counter() - tic
        self.last_stats = GenerationStats()
        self._lora_scale: float | None = None  # None: the adapter as trained; 0.0: adapter switched off
        self._lora = [m for _, m in self.model.named_modules() if type(m).__name__ == "LoRALinear"]
        self._lora_scales = [float(m.scale) for m in self._lora]
        # the thinking setting asked for when none is given: the one the run trained with (issue 20)
        self.default_thinking = tuned_thinking(self.model_path, self.adapter_path, self.supports_thinking)

    def without_adapter(self) -> Generator:
        """A Generator for the *base* model that shares this one's weights (no second load): its LoRA layers are
        switched off (scale 0 → the exact base output) while it generates. Only for plain LoRA adapters (DoRA
        rescales the base weights); raises ValueError otherwise. Use both on the same thread."""
        if self.adapter_path is None or not self._lora or any(
                type(m).__name__ != "LoRALinear" for _, m in self.model.named_modules() if hasattr(m, "fuse")):
            raise ValueError("no plain LoRA adapter to switch off")
        twin = object.__new__(Generator)
        twin.__dict__.update(self.__dict__)
        twin.adapter_path = None
        twin.load_time = 0.0
        twin.last_stats = GenerationStats()
        twin._lora_scale = 0.0
        return twin

    def _apply_adapter_scale(self) -> None:
        """Set the shared LoRA layers' scale for this Generator (a twin from :meth:`without_adapter` uses 0)."""
        for module, trained in zip(self._lora, self._lora_scales, strict=True):
            module.scale = trained if self._lora_scale is None else self._lora_scale

    # -- prompt ------------------------------------------------------------------------------------------------
    @property
    def has_chat_template(self) -> bool:
        """Whether the tokenizer has a chat template (without one, the prompt is used as raw text)."""
        return bool(getattr(self.tokenizer, "has_chat_template", False))

    @property
    def supports_thinking(self) -> bool:
        """Whether the chat template has a thinking switch (``enable_thinking``, e.g. Qwen3)."""
        template = getattr(self.tokenizer, "chat_template", None) or ""
        return "enable_thinking" in str(template) or bool(getattr(self.tokenizer, "has_thinking", False))

    def prompt_tokens(self, prompt: str | list[dict[str, str]], system: str | None = None,
                      enable_thinking: bool | None = None) -> list[int]:
        """Token ids of ``prompt`` (a user message, or a list of chat messages) through the chat template.

        ``system`` adds a system message (when the messages have none); ``enable_thinking`` is passed to templates
        that support it (None: :attr:`default_thinking`, the setting the model was tuned with; off when none is
        recorded — :func:`.reasoning.tuned_thinking`).
        """
        messages = [{"role": "user", "content": prompt}] if isinstance(prompt, str) else [dict(m) for m in prompt]
        if system and not any(m.get("role") == "system" for m in messages):
            messages.insert(0, {"role": "system", "content": system})
        if not self.has_chat_template:
            text = "\n".join(m["content"] for m in messages)
            return list(self.tokenizer.encode(text))
        kwargs: dict[str, Any] = {}
        if enable_thinking is None:
            enable_thinking = getattr(self, "default_thinking", None)
        if enable_thinking is not None and self.supports_thinking:
            kwargs["enable_thinking"] = enable_thinking
        ids = self.tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True, **kwargs)
        return list(ids)

    # -- generation --------------------------------------------------------------------------------------------
    def stream(self, prompt: str | list[dict[str, str]], max_tokens: int = 256, temperature: float = 0.0,
               top_p: float = 1.0, system: str | None = None, cancel: CancelCheck = None,
               enable_thinking: bool | None = None) -> Iterator[str]:
        """Yield the answer to ``prompt`` piece by piece (greedy when ``temperature`` is 0).

        Stops at the end token, after ``max_tokens`` tokens, or when ``cancel`` says so (checked between tokens;
        then ``last_stats.finish_reason`` is "cancelled"). Statistics of the run are in :attr:`last_stats`.
        When the prompt ends inside a think block (a template that opens it), the stream starts with the prompt's
        ``<think>`` (and what follows it, e.g. a line break), so the text always carries both tags:
        :class:`.reasoning.ThinkSplitter` separates the answer.
        """
        from mlx_lm.generate import stream_generate
        from mlx_lm.sample_utils import make_sampler

        if max_tokens < 1:
            raise errors.UserError(_("max tokens must be at least 1 (got {max_tokens})").format(max_tokens=max_tokens))
        ids = self.prompt_tokens(prompt, system=system, enable_thinking=enable_thinking)
        sampler = make_sampler(temp=float(temperature), top_p=float(top_p) if 0 < top_p < 1 else 0.0)
        stats = GenerationStats(prompt_tokens=len(ids))
        self.last_stats = stats
        tic = time.perf_counter()
        gen = stream_generate(self.model, self.tokenizer, ids, max_tokens=max_tokens, sampler=sampler)
        try:
            tail = self.tokenizer.decode(ids[-16:]) if self.has_chat_template else ""
            if prompt_opens_thinking(tail):
                yield tail[tail.rfind(OPEN):]  # the prompt opened the think block ("<think>\n"): the text says so too
            while True:
                # the next token's graph is built inside next(): set the adapter scale this Generator needs first
                # (another Generator sharing the weights may be streaming interleaved with this one)
                self._apply_adapter_scale()
                try:
                    response = next(gen)
                except StopIteration:
                    break
                stats.generation_tokens = response.generation_tokens
                stats.tokens_per_second = float(response.generation_tps)
                stats.prompt_tokens_per_second = float(response.prompt_tps)
                stats.elapsed = time.perf_counter() - tic
                text = response.text
                if response.finish_reason:
                    stats.finish_reason = response.finish_reason
                    # cut at the token limit inside a multi-byte character: drop the half character ("�")
                    text = text.rstrip("\ufffd") if response.finish_reason == "length" else text
                if text:
                    yield text
                if response.finish_reason is None and is_cancelled(cancel):
                    stats.finish_reason = "cancelled"
                    break
        finally:
            gen.close()
            stats.elapsed = time.perf_counter() - tic

    def generate(self, prompt: str | list[dict[str, str]], max_tokens: int = 256, temperature: float = 0.0,
                 top_p: float = 1.0, system: str | None = None, cancel: CancelCheck = None,
                 enable_thinking: bool | None = None) -> str:
        """The whole answer to ``prompt`` (same arguments as :meth:`stream`)."""
        return "".join(self.stream(prompt, max_tokens=max_tokens, temperature=temperature, top_p=top_p,
                                   system=system, cancel=cancel, enable_thinking=enable_thinking))


def _options(params: dict[str, Any]) -> dict[str, Any]:
    return {
        "max_tokens": int(params.get("max_tokens", 256)),
        "temperature": float(params.get("temperature", 0.0)),
        "top_p": float(params.get("top_p", 1.0)),
        "system": params.get("system") or None,
        "enable_thinking": params.get("enable_thinking"),
    }


def load_generators(panes: list[dict[str, Any]], sink: ev.Sink = ev.null_sink,
                    cancel: CancelCheck = None) -> dict[str, Generator]:
    """One Generator per pane (``{"source", "model", "adapter_path"}``). A base pane whose model another pane uses
    with a LoRA adapter shares that pane's weights (:meth:`Generator.without_adapter`): one load instead of two."""
    generators: dict[str, Generator] = {}
    named = [(str(p.get("source") or f"pane{i}"), p) for i, p in enumerate(panes)]
    # load adapter panes first so base panes can share their weights
    order = sorted(named, key=lambda sp: sp[1].get("adapter_path") is None)
    for i, (source, pane) in enumerate(order):
        if is_cancelled(cancel):
            raise errors.Cancelled(_("stopped while loading"))
        sink(ev.Progress(job="generate", done=i, total=len(panes), unit="model", message=_("loading {source}").format(
            source=source)))
        if pane.get("adapter_path") is None:
            twin = _shared_base(pane["model"], generators.values())
            if twin is not None:
                generators[source] = twin
                continue
        generators[source] = Generator(pane["model"], pane.get("adapter_path"))
    return {s: generators[s] for s, _ in named}


def _shared_base(model: str | Path, loaded: Any) -> Generator | None:
    try:
        path = resolve_model_path(model).resolve()
    except errors.UserError:
        return None
    for gen in loaded:
        if gen.adapter_path is not None and gen.model_path.resolve() == path:
            try:
                return gen.without_adapter()
            except ValueError:
                continue
    return None


def generate_job(params: dict[str, Any], sink: ev.Sink, cancel: Callable[[], bool]) -> dict[str, Any]:
    """Worker job "generate": answer one prompt with one or more models, streaming :class:`~events.Token` events.

    ``params``: ``prompt`` (text or chat messages), ``panes`` — a list of ``{"source": "base", "model": M,
    "adapter_path": A | None}`` (or a single ``model`` / ``adapter_path`` / ``source``) — and the generation options
    ``max_tokens``, ``temperature``, ``top_p``, ``system``, ``enable_thinking``. The panes' models are loaded first,
    then their tokens are generated interleaved (one token per pane in turn) so side-by-side panes fill together.
    Returns ``{"answers": {source: answer}, "reasoning": {source: text in the think block}, "text": {source: the
    whole generated text}, "stats": {source: GenerationStats}, "load_time": {source: s}}``; the Token events carry
    the whole text (a pane separates the reasoning with :class:`.reasoning.ThinkSplitter`).
    """
    panes = params.get("panes") or [{"source": params.get("source", "answer"), "model": params["model"],
                                     "adapter_path": params.get("adapter_path")}]
    prompt = params["prompt"]
    options = _options(params)
    generators = load_generators(panes, sink, cancel)
    load_time = {s: g.load_time for s, g in generators.items()}
    sink(ev.Progress(job="generate", done=len(panes), total=len(panes), unit="model", message="generating"))
    answers = {s: "" for s in generators}
    streams = {s: g.stream(prompt, cancel=cancel, **options) for s, g in generators.items()}
    while streams:
        for source in list(streams):
            try:
                piece = next(streams[source])
            except StopIteration:
                del streams[source]
                continue
            answers[source] += piece
            sink(ev.Token(text=piece, source=source,
                          tokens_per_second=generators[source].last_stats.tokens_per_second))
    stats = {s: g.last_stats.to_dict() for s, g in generators.items()}
    if is_cancelled(cancel):
        raise errors.Cancelled(_("generation stopped"))
    split = {s: ThinkSplitter().feed(text).finish() for s, text in answers.items()}
    return {"answers": {s: p.answer for s, p in split.items()}, "reasoning": {s: p.reasoning for s, p in split.items()},
            "text": answers, "stats": stats, "load_time": load_time}
