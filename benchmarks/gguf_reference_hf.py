"""The transformers side of ``gguf_reference.py``: run in a Python that has torch + transformers + gguf (not the
project venv), e.g. ``/tmp/refvenv/bin/python benchmarks/gguf_reference_hf.py < request.json``.

Reads one JSON request on stdin: ``{"gguf": path, "prompts": [[token ids], ...], "texts": [str, ...], "out": dir}``.
Loads the file with transformers' own GGUF loader (``AutoModelForCausalLM.from_pretrained(dir, gguf_file=...)``,
float32, CPU), writes the next-token log-probs of each prompt as ``out/logprobs_<i>.npy`` (positions × vocab) and
prints one JSON line: ``{"ok": true, "transformers": version, "torch": version, "token_ids": [...]}`` (``token_ids``:
transformers' GGUF tokenizer on ``texts``, to compare with ours) or ``{"ok": false, "error": "..."}``.
Imports nothing from the project.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main() -> None:
    req = json.loads(sys.stdin.read())
    try:
        import numpy as np
        import torch
        import transformers
        from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

        transformers.logging.set_verbosity_error()
        src = Path(req["gguf"])
        config = AutoConfig.from_pretrained(str(src.parent), gguf_file=src.name)
        if isinstance(config.pad_token_id, int) and config.pad_token_id >= config.vocab_size:
            config.pad_token_id = None  # a config default (phi3: 32000) past a tiny test vocabulary
        model = AutoModelForCausalLM.from_pretrained(str(src.parent), gguf_file=src.name, config=config,
                                                     dtype=torch.float32)
        model.eval()
        out = Path(req["out"])
        with torch.no_grad():
            for i, ids in enumerate(req["prompts"]):
                logits = model(torch.tensor([ids])).logits[0].float()
                np.save(out / f"logprobs_{i}.npy", torch.log_softmax(logits, dim=-1).numpy())
        token_ids: list[list[int]] = []
        if req.get("texts"):
            tok = AutoTokenizer.from_pretrained(str(src.parent), gguf_file=src.name)
            token_ids = [tok(t, add_special_tokens=False)["input_ids"] for t in req["texts"]]
    except Exception as exc:  # reported to the caller as the column's text
        print(json.dumps({"ok": False, "error": f"{type(exc).__name__}: {str(exc)[:200]}"}))
        return
    print(json.dumps({"ok": True, "transformers": transformers.__version__, "torch": torch.__version__,
                      "token_ids": token_ids}))


if __name__ == "__main__":
    main()
