"""``test: true`` / ``test_batches``: the loss and perplexity of the trained model on the test split.

What ``mlx_lm.lora.evaluate_model`` does (``mlx_lm.tuner.trainer.evaluate`` over ``test_batches`` batches, -1 = all,
perplexity = exp(loss)), with this engine's batches (:func:`.batching.eval_batches`, no padding token trained) so the
number is comparable with the run's validation losses.
"""

from __future__ import annotations

import math
from typing import Any

from mlxstudio.core import events as ev
from mlxstudio.core.i18n import _
from mlxstudio.core.training.batching import TokenizedSet, eval_batches, iterate_fixed
from mlxstudio.core.training.config import TrainConfig
from mlxstudio.core.training.loss import masked_loss


def test_split_loss(model: Any, test: TokenizedSet, cfg: TrainConfig, batch_size: int, pad: int,
                    rank: int = 0, world: int = 1, sink: ev.Sink = ev.null_sink) -> dict[str, Any] | None:
    """``{"test_loss", "test_ppl", "test_rows"}`` of ``model`` on ``test`` (None when it has no rows)."""
    from mlx_lm.tuner.trainer import evaluate

    if len(test) == 0:
        sink(ev.Log(_("test: true, but the data has no test split (test.jsonl) — nothing to measure."), "warning"))
        return None
    batches = eval_batches(test, batch_size, cfg.test_batches, cfg.seed, pad, cfg.max_seq_length, False)
    model.eval()
    try:
        loss = float(evaluate(model=model, dataset=None, batch_size=batch_size, num_batches=-1,
                              max_seq_length=cfg.max_seq_length, loss=masked_loss,
                              iterate_batches=iterate_fixed(batches[rank::world], False)))
    finally:
        model.train()
    rows = sum(len(b.indices) for b in batches) if batches and hasattr(batches[0], "indices") else len(test)
    ppl = math.exp(loss) if loss < 700 else math.inf
    sink(ev.Log(_("test loss {loss:.3f}, test perplexity {ppl:.3f} ({rows} test rows).").format(
        loss=loss, ppl=ppl, rows=rows)))
    return {"test_loss": loss, "test_ppl": ppl, "test_rows": rows}
