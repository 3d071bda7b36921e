"""``mlxstudio-cli generate``: answer a prompt with a model (optionally + adapter). stdout = the completion only."""

from __future__ import annotations

import argparse
import sys

from mlxstudio.commands.output import Output
from mlxstudio.core import events as ev


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add the ``generate`` subcommand."""
    p = sub.add_parser("generate", parents=[common], help="answer a prompt (base model, + adapter, or fused)",
                       description="Answer a prompt with the model's chat template applied. Greedy by default. "
                                   "The completion goes to stdout, everything else to stderr.")
    p.add_argument("--model", required=True, help="library model name or model folder")
    p.add_argument("--adapter-path", default=None, help="LoRA adapter folder (adapters.safetensors + config)")
    p.add_argument("--prompt", required=True, help="the user message ('-' reads it from stdin)")
    p.add_argument("--max-tokens", "-m", type=int, default=256, help="maximum number of tokens to generate")
    p.add_argument("--temp", type=float, default=0.0, help="sampling temperature (0 = greedy)")
    p.add_argument("--top-p", type=float, default=1.0, help="nucleus sampling threshold (1 = off)")
    p.add_argument("--system", default=None, help="system prompt (default: the template's own)")
    p.add_argument("--seed", type=int, default=None, help="random seed for sampling")
    thinking = p.add_mutually_exclusive_group()
    thinking.add_argument("--thinking", dest="enable_thinking", action="store_const", const=True, default=None,
                          help="turn thinking on (templates that support it, e.g. Qwen3)")
    thinking.add_argument("--no-thinking", dest="enable_thinking", action="store_const", const=False,
                          help="turn thinking off")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, out: Output) -> int:
    """Load the model, stream the answer to stdout, print timings to stderr."""
    from mlxstudio.core.inference import Generator

    prompt = sys.stdin.read() if args.prompt == "-" else args.prompt
    out.info(f"loading {args.model}" + (f" + {args.adapter_path}" if args.adapter_path else ""))
    gen = Generator(args.model, args.adapter_path)
    if args.seed is not None:
        from mlxstudio.core.runtime.mlxrt import mx

        mx.random.seed(args.seed)
    text = ""
    for piece in gen.stream(prompt, max_tokens=args.max_tokens, temperature=args.temp, top_p=args.top_p,
                            system=args.system, enable_thinking=args.enable_thinking):
        text += piece
        if args.json:
            out.sink(ev.Token(text=piece, source="answer", tokens_per_second=gen.last_stats.tokens_per_second))
        else:
            sys.stdout.write(piece)
            sys.stdout.flush()
    st = gen.last_stats
    if args.json:
        out.result(text, data={"text": text, "load_time": gen.load_time, **st.to_dict()})
    else:
        sys.stdout.write("\n")
        sys.stdout.flush()
    out.info(f"load {gen.load_time:.1f} s · prompt {st.prompt_tokens} tokens · {st.generation_tokens} tokens "
             f"at {st.tokens_per_second:.1f} tok/s · {st.finish_reason}")
    return 0
