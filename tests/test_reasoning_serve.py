"""Serving a thinking model (issue 20 + 24) with the Qwen3 stand-in (tests/qwen3_standin.py): mlx-lm's own server,
started as the app starts it, follows the reasoning setting the run recorded — a model trained to answer directly is
served with thinking off, so its answers carry no think block; one trained with its reasoning is served with thinking
on and mlx-lm returns the reasoning in its own field (``message.reasoning``), never as raw tags in ``content``."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from qwen3_standin import REASONING, seed_pairs, standin_folder

from mlxstudio.core.inference.serve import ServerProcess
from mlxstudio.core.training import TrainConfig
from mlxstudio.core.training.engine import run_training

PROMPT, ANSWER = "蓝牙耳机坏了应该看什么科", "耳鼻喉科"
TAGS = ("<think>", "</think>")


def _rows(with_reasoning: bool) -> list[dict[str, Any]]:
    if not with_reasoning:
        return [{"prompt": p["prompt"], "completion": p["completion"]} for p in seed_pairs()]
    return [{"messages": [{"role": "user", "content": p["prompt"]},
                          {"role": "assistant", "content": p["completion"],
                           "reasoning_content": REASONING[p["prompt"]]}]} for p in seed_pairs()]


@pytest.fixture(scope="module", params=["direct", "keep"])
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A run in one setting (chosen by "auto" from the data, as a new user gets it), served as the app serves it."""
    mode = request.param
    model = standin_folder()
    adapter = tmp_path_factory.mktemp(f"serve-{mode}") / f"run-{mode}"
    rows = _rows(mode == "keep")
    cfg = TrainConfig(iters=4, learning_rate=1e-4, batch_size=5, num_layers=1, steps_per_report=2,
                      steps_per_eval=0, save_every=0, val_batches=1, reasoning="auto")
    run_training(model, {"train": rows, "valid": rows[:2]}, adapter, cfg)
    assert json.loads((adapter / "adapter_config.json").read_text())["reasoning"] == mode
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLXSTUDIO_HOME", str(tmp_path_factory.mktemp("serve-home")))
        srv = ServerProcess(model, adapter, max_tokens=40).start()  # no thinking option: as the run trained
    try:
        srv.wait_ready(timeout=240)
        yield srv
    finally:
        srv.stop()


def _chat(srv: ServerProcess, **extra: Any) -> dict[str, Any]:
    assert srv.info is not None
    body = {"model": srv.info.model_id, "temperature": 0.0, "max_tokens": 40,
            "messages": [{"role": "user", "content": PROMPT}], **extra}
    req = urllib.request.Request(srv.info.chat_url, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=120) as resp:
        if not extra.get("stream"):
            return dict(json.loads(resp.read())["choices"][0]["message"])
        lines = [line.decode().strip() for line in resp]
    chunks = [json.loads(ln[len("data: "):]) for ln in lines if ln.startswith("data: ") and ln != "data: [DONE]"]
    deltas = [c["choices"][0].get("delta", {}) for c in chunks if c.get("choices")]
    return {"content": "".join(d.get("content") or "" for d in deltas),
            "reasoning": "".join(d.get("reasoning") or "" for d in deltas)}


def _mode(srv: ServerProcess) -> str:
    return "keep" if srv.adapter is not None and srv.adapter.name == "run-keep" else "direct"


def test_the_server_is_started_with_the_recorded_setting(served: ServerProcess) -> None:
    cmd = served.command()
    args = json.loads(cmd[cmd.index("--chat-template-args") + 1])
    assert args == {"enable_thinking": _mode(served) == "keep"}


@pytest.mark.parametrize("stream", [False, True])
def test_served_answers_have_no_raw_think_tags(served: ServerProcess, stream: bool) -> None:
    message = _chat(served, stream=stream) if stream else _chat(served)
    content = message["content"]
    assert not any(tag in content for tag in TAGS), content
    assert content.strip() == ANSWER
    reasoning = (message.get("reasoning") or "").strip()
    if _mode(served) == "direct":
        assert reasoning == ""                      # asked with thinking off, as trained: no think block at all
        assert content == ANSWER                    # and nothing before the answer
    else:
        assert reasoning == REASONING[PROMPT]       # mlx-lm's own field, apart from the answer


def test_a_client_can_still_turn_thinking_on_or_off(served: ServerProcess) -> None:
    """The recorded setting is the server's default; a request's ``chat_template_kwargs`` overrides it."""
    flip = _mode(served) == "direct"
    message = _chat(served, chat_template_kwargs={"enable_thinking": flip})
    assert (message.get("reasoning") or "").strip() == (REASONING[PROMPT] if flip else "")
    assert message["content"].strip() == ANSWER and not any(tag in message["content"] for tag in TAGS)
