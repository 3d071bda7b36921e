"""Events round-trip through JSON lines, as the worker process streams them."""

import math

from mlxstudio.core import events as ev


def test_every_event_round_trips() -> None:
    samples = [
        ev.Progress(job="import", done=3, total=10, unit="it", message="blk.3"),
        ev.TrainReport(iteration=10, train_loss=1.5, learning_rate=1e-5, iterations_per_second=2.0,
                       tokens_per_second=300.0, trained_tokens=1000, peak_memory=0.5, total_iterations=60),
        ev.ValReport(iteration=10, val_loss=float("nan"), val_time=0.1),
        ev.Finished(job="train", message="done", result={"adapter": "/x", "中文": "耳鼻喉科"}),
        ev.Failed(job="train", message="bad", detail="tb"),
        ev.Cancelled(job="train"),
        ev.Token(text="耳", source="tuned"),
    ]
    for e in samples:
        back = ev.from_json(ev.to_json(e))
        assert type(back) is type(e)
        if isinstance(e, ev.ValReport):
            assert math.isnan(back.val_loss)  # type: ignore[attr-defined]
        else:
            assert back == e


def test_unknown_keys_are_ignored_and_unknown_events_rejected() -> None:
    e = ev.from_dict({"event": "Log", "message": "hi", "level": "info", "newer_field": 1})
    assert e == ev.Log("hi")
    try:
        ev.from_dict({"event": "Nope"})
    except ValueError as exc:
        assert "Nope" in str(exc)
    else:
        raise AssertionError("unknown event accepted")
