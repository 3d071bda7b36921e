"""``mlxstudio-cli generate``: answer a prompt with a model (optionally + adapter). stdout = the completion only."""

from __future__ import annotations

import argparse
import sys

from mlxstudio.commands.output import Output
from mlxstudio.core import events as ev
from mlxstudio.core.i18n import _


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add the ``generate`` subcommand."""
    p = sub.add_parser("generate", parents=[common], help=_("answer a prompt (base model, + adapter, or fused)"),
                       description=_("Answer a prompt with the model's chat template applied. Greedy by default. "
                                     "The completion goes to stdout, everything else to stderr."))
    p.add_argument("--model", required=True, help=_("library model name or model folder"))
    p.add_argument("--adapter-path", default=None, help=_("LoRA adapter folder (adapters.safetensors + config)"))
    p.add_argument("--prompt", required=True, help=_("the user message ('-' reads it from stdin)"))
    p.add_argument("--max-tokens", "-m", type=int, default=256, help=_("maximum number of tokens to generate"))
    p.add_argument("--temp", type=float, default=0.0, help=_("sampling temperature (0 = greedy)"))
    p.add_argument("--top-p", type=float, default=1.0, help=_("nucleus sampling threshold (1 = off)"))
    p.add_argument("--system", default=None, help=_("system prompt (default: the template's own)"))
    p.add_argument("--seed", type=int, default=None, help=_("random seed for sampling"))
    thinking = p.add_mutually_exclusive_group()
    thinking.add_argument("--thinking", dest="enable_thinking", action="store_const", const=True, default=None,
                          help=_("turn thinking on (templates that support it, e.g. Qwen3)"))
    thinking.add_argument("--no-thinking", dest="enable_thinking", action="store_const", const=False,
                          help=_("turn thinking off"))
    # default (neither): as the adapter / fused model was trained (its reasoning setting), else off — the same as
    # the Fuse & Test page
    p.add_argument("--show-thinking", action="store_true",
                   help=_("also print the model's reasoning (its <think> block) to stderr; stdout gets the answer "
                          "only"))
    p.set_defaults(func=run)


def run(args: argparse.Namespace, out: Output) -> int:
    """Load the model, stream the answer to stdout, print timings to stderr."""
    from mlxstudio.core.inference import Generator
    from mlxstudio.core.inference.reasoning import ThinkSplitter

    prompt = sys.stdin.read() if args.prompt == "-" else args.prompt
    out.info(_("loading {model}").format(model=args.model) + (f" + {args.adapter_path}" if args.adapter_path else ""))
    gen = Generator(args.model, args.adapter_path)
    if gen.supports_thinking and args.enable_thinking is None:  # say how it is asked (mlx_lm.generate: thinking on)
        from mlxstudio.core.inference.reasoning import trained_reasoning

        trained = trained_reasoning(gen.model_path, gen.adapter_path)
        out.info(_("thinking on, as the model was trained (with the reasoning in its data); --no-thinking turns it "
                   "off") if gen.default_thinking else
                 _("thinking off, as the model was trained (to answer directly); --thinking turns it on")
                 if trained else _("thinking off (no reasoning setting recorded for this model); --thinking turns "
                                   "it on"))
    if args.seed is not None:
        from mlxstudio.core.runtime.mlxrt import mx

        mx.random.seed(args.seed)
    split = ThinkSplitter()
    shown = {"answer": "", "reasoning": ""}

    def show(final: bool = False) -> None:
        """Write what is new of the answer (stdout) and, with --show-thinking, of the reasoning (stderr)."""
        for part, now in (("reasoning", split.reasoning), ("answer", split.answer)):
            if (part == "reasoning" and not args.show_thinking) or not now.startswith(shown[part]):
                continue
            piece = now[len(shown[part]):]
            if not piece:
                continue
            shown[part] = now
            if args.json:
                out.sink(ev.Token(text=piece, source=part, tokens_per_second=gen.last_stats.tokens_per_second))
            else:
                stream = sys.stdout if part == "answer" else sys.stderr
                stream.write(piece)
                stream.flush()
        if final and args.show_thinking and not args.json and shown["reasoning"]:
            sys.stderr.write("\n")
            sys.stderr.flush()

    for piece in gen.stream(prompt, max_tokens=args.max_tokens, temperature=args.temp, top_p=args.top_p,
                            system=args.system, enable_thinking=args.enable_thinking):
        split.feed(piece)
        show()
    split.finish()
    show(final=True)
    st = gen.last_stats
    if args.json:
        out.result(split.answer, data={"text": split.answer, "reasoning": split.reasoning,
                                       "load_time": gen.load_time, **st.to_dict()})
    else:
        sys.stdout.write("\n")
        sys.stdout.flush()
    if split.unfinished:
        out.info(_("the model was still thinking when it stopped (raise --max-tokens for an answer)"))
    out.info(_("load {load_time:.1f} s · prompt {prompt_tokens} tokens · {generation_tokens} tokens "
               "at {tokens_per_second:.1f} tok/s · {finish_reason}").format(
                   load_time=gen.load_time, prompt_tokens=st.prompt_tokens, generation_tokens=st.generation_tokens,
                   tokens_per_second=st.tokens_per_second, finish_reason=st.finish_reason))
    return 0
