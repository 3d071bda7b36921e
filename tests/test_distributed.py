"""Training on several ranks through MLX's launcher (``mlx.launch``, ring backend) on 127.0.0.1 with the tiny model.

Host lists and the ssh check (with a fake ssh client), the rank helpers, CLI errors, and real 2-rank groups: the
loss matches a 1-rank run with the same global batch, only rank 0 writes, Ctrl+C stops every rank, a killed rank
stops the group and ``--resume`` continues from the last checkpoint.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from mlxstudio.cli import main
from mlxstudio.core import events as ev
from mlxstudio.core.training import distributed as dist
from mlxstudio.core.training import hosts as hostlib
from mlxstudio.core.training.config import TrainConfig
from mlxstudio.core.training.engine import run_training

SEED = Path(__file__).parent / "data" / "seed_train.jsonl"
# lr 3e-4: the tiny model trains smoothly (at 1e-3 Adam makes it chaotic: runs that differ only in float rounding
# drift apart after ~15 steps, which would hide what this file checks).
FLAGS = dict(learning_rate=3e-4, batch_size=4, num_layers=2, steps_per_report=1, steps_per_eval=6, save_every=3,
             val_batches=-1, max_seq_length=64)
TOL = 1e-3
"""Loss tolerance, 2 ranks vs 1: the maths is identical (token-weighted gradient of the same global batch); only
float32 rounding differs (each rank pads its half-batch to another width, the all-reduce sums in another order).
Measured here: 1-rank runs differing only in padding width agree to ~1e-6 over 40 steps at this learning rate, the
2-rank run to ~1e-5. A wrong combination (a rank's own gradient, or mlx-lm's mean of per-rank means with unequal
token counts) is off by >1e-2 within a few steps."""


def rows() -> list[dict[str, str]]:
    return [json.loads(x) for x in SEED.read_text(encoding="utf-8").splitlines() if x.strip()]


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "train.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows() * 4))
    (folder / "valid.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows()[:3]))
    return folder


def cfg(**kw: Any) -> TrainConfig:
    return TrainConfig(**{**FLAGS, **kw})  # type: ignore[arg-type]


def cli_flags(**kw: Any) -> list[str]:
    out = []
    for k, v in {**FLAGS, **kw}.items():
        out += ["--" + k.replace("_", "-"), str(v)]
    return out


# -- host lists ----------------------------------------------------------------------------------------------------
def test_host_lists_comma_text_and_mlx_json(tmp_path: Path) -> None:
    hs = hostlib.parse_hosts("localhost,mac-mini.local,10.0.0.7")
    assert [(h.ssh, h.ips, h.is_local) for h in hs] == [
        ("127.0.0.1", ("127.0.0.1",), True), ("mac-mini.local", (), False), ("10.0.0.7", ("10.0.0.7",), False)]
    txt = tmp_path / "hosts.txt"
    txt.write_text("# my Macs\nmac-studio.local 192.168.1.10 slots=2\n\nmac-mini.local   # the small one\n")
    hs = hostlib.parse_hosts(txt)
    assert [(h.ssh, h.ips, h.slots, h.line) for h in hs] == [
        ("mac-studio.local", ("192.168.1.10",), 2, 2), ("mac-mini.local", (), 1, 4)]
    assert hostlib.world_size(hs) == 3
    js = tmp_path / "hosts.json"
    js.write_text(json.dumps({"backend": "ring", "hosts": [{"ssh": "a.local", "ips": ["10.0.0.1"]},
                                                           {"ssh": "b.local", "ips": ["10.0.0.2"]}]}))
    assert [(h.ssh, h.ips) for h in hostlib.parse_hosts(js)] == [("a.local", ("10.0.0.1",)),
                                                                 ("b.local", ("10.0.0.2",))]
    assert hostlib.mlx_hostfile(hostlib.parse_hosts(txt)[:1]) == {
        "backend": "ring", "hosts": [{"ssh": "mac-studio.local", "ips": ["192.168.1.10"]}] * 2}


@pytest.mark.parametrize("content, message", [
    ("mac-a.local\nmac-b.local fast\n", "hosts.txt:2: 'fast' is neither an IP address"),
    ("mac-a.local slots=0\n", "hosts.txt:1: slots must be a whole number ≥ 1"),
    ("# nothing\n", "no hosts listed"),
    ("[{\"ssh\": \"a\"},\n {\"ips\": [\"1.2.3.4\"]}]\n", "host 2: each host needs an \"ssh\" name"),
    ("[{\"ssh\": \"a\"},\n {\"ssh\": \"b\",}]\n", "hosts.txt:2: not valid JSON"),
    ("a.local; rm -rf /\n", "is not a host name"),
    ("-oProxyCommand=evil\n", "is not a host name"),
])
def test_bad_host_files_name_the_line(tmp_path: Path, content: str, message: str) -> None:
    p = tmp_path / "hosts.txt"
    p.write_text(content)
    with pytest.raises(hostlib.HostsError) as exc:
        hostlib.parse_hosts(p)
    assert message in str(exc.value), str(exc.value)


def test_resolve_hosts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hostlib, "outgoing_ip", lambda peer: "192.168.1.10")
    monkeypatch.setattr(hostlib, "local_addresses", lambda: {"127.0.0.1", "192.168.1.10"})
    names = {"mac-mini.local": "192.168.1.20", "me.local": "192.168.1.10"}
    hs = hostlib.resolve_hosts(hostlib.local_hosts(2) + hostlib.parse_hosts("mac-mini.local,me.local"),
                               resolver=names.get)
    # this computer gets its network address (the other Mac cannot reach 127.0.0.1); a name of this computer
    # runs here without ssh
    assert [(h.ssh, h.ips, h.slots) for h in hs] == [("127.0.0.1", ("192.168.1.10",), 2),
                                                     ("mac-mini.local", ("192.168.1.20",), 1),
                                                     ("127.0.0.1", ("192.168.1.10",), 1)]
    with pytest.raises(hostlib.HostsError, match=r"nosuch\.local: unknown host name"):
        hostlib.resolve_hosts(hostlib.parse_hosts("nosuch.local"), resolver=names.get)
    assert [h.ips for h in hostlib.resolve_hosts(hostlib.local_hosts(2))] == [("127.0.0.1",)]


FAKE_SSH = """#!/bin/bash
# a stand-in for ssh: the host is the argument before "--", the remote command the one after
args=("$@"); for ((i=0;i<${#args[@]};i++)); do
  if [[ "${args[$i]}" == "--" ]]; then host="${args[$((i-1))]}"; cmd="${args[$((i+1))]}"; fi; done
for a in "$@"; do [[ "$a" == "BatchMode=yes" ]] && batch=1; done
[[ -z "$batch" ]] && { echo "not in BatchMode" >&2; exit 99; }
case "$host" in
  good*) exec bash -c "$cmd" ;;
  locked*) echo "user@$host: Permission denied (publickey,password)." >&2; exit 255 ;;
  newkey*) echo "Host key verification failed." >&2; exit 255 ;;
  *) echo "ssh: connect to host $host port 22: Connection timed out" >&2; exit 255 ;;
esac
"""


def test_check_connection_says_what_to_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           tiny_model: Path) -> None:
    ssh = tmp_path / "ssh"
    ssh.write_text(FAKE_SSH)
    ssh.chmod(0o755)
    monkeypatch.setenv("MLXSTUDIO_SSH", str(ssh))
    seen: list[int] = []
    st = hostlib.check_hosts(["good.local", "locked.local", "newkey.local", "down.local", "127.0.0.1"],
                             paths=[tiny_model], on_result=lambda i, _s: seen.append(i))
    assert sorted(seen) == [0, 1, 2, 3, 4]
    assert [s.ok for s in st] == [True, False, False, False, True]
    assert st[0].message.startswith("ready (Python 3.") and st[0].info["mlx"]
    assert "passwordless ssh" in st[1].message and "ssh-copy-id locked.local" in st[1].message
    assert "accept the key" in st[2].message
    assert st[3].message.startswith("unreachable")
    assert st[4].host == "this computer"
    missing = hostlib.check_host("good.local", paths=[tmp_path / "no-model"])
    assert not missing.ok and "missing there" in missing.message and "no-model" in missing.message
    nopython = hostlib.check_host("good.local", python=str(tmp_path / "bin" / "python3"))
    assert not nopython.ok and "does not exist there" in nopython.message


# -- rank helpers ----------------------------------------------------------------------------------------------------
def test_shard_and_batch_size() -> None:
    batch = [7, 3, 9, 1, 4, 8]
    assert dist.shard(batch, 0, 2) + dist.shard(batch, 1, 2) == [7, 9, 4, 3, 1, 8]
    assert sorted(x for r in range(3) for x in dist.shard(batch, r, 3)) == sorted(batch)
    dist.check_batch_size(4, 2)
    dist.check_batch_size(3, 1)
    with pytest.raises(dist.BatchSizeError, match=r"batch size 6 cannot be split across 4 processes.*4 or 8"):
        dist.check_batch_size(6, 4)


class _Rank1:
    """What ``mx.distributed.init()`` returns in rank 1 of 2 (the collectives are replaced in the test)."""

    def rank(self) -> int:
        return 1

    def size(self) -> int:
        return 2


def test_a_rank_other_than_0_writes_and_reports_nothing(tiny_model: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dist, "group", lambda: _Rank1())
    monkeypatch.setattr(dist, "average_step", lambda lv, toks, grad, g=None: (lv, toks, grad))
    monkeypatch.setattr(dist, "agree", lambda flag, g=None: False)
    got: list[ev.Event] = []
    out = tmp_path / "adapter"
    result = run_training(tiny_model, {"train": rows() * 2, "valid": rows()[:2]}, out, cfg(iters=6), sink=got.append)
    assert result["iterations"] == 6
    assert got == [] and not out.exists()


# -- CLI errors -------------------------------------------------------------------------------------------------------
def test_cli_refuses_a_batch_size_the_ranks_cannot_share(tiny_model: Path, dataset: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["train", "--model", str(tiny_model), "--data", str(dataset), "--adapter-path", str(tmp_path / "a"),
                 "--nproc", "2", *cli_flags(batch_size=3)])
    assert code == 2
    assert "batch size 3 cannot be split across 2 processes" in capsys.readouterr().err
    assert not (tmp_path / "a").exists()


def test_cli_names_an_unreachable_host(tiny_model: Path, dataset: Path, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    ssh = tmp_path / "ssh"
    ssh.write_text(FAKE_SSH)
    ssh.chmod(0o755)
    monkeypatch.setenv("MLXSTUDIO_SSH", str(ssh))
    monkeypatch.setattr(hostlib, "outgoing_ip", lambda peer: "192.168.1.10")
    hostfile = tmp_path / "hosts.txt"
    hostfile.write_text("this-mac\nmac-mini.local 192.168.1.20\n")
    code = main(["train", "--model", str(tiny_model), "--data", str(dataset), "--adapter-path", str(tmp_path / "a"),
                 "--hosts", str(hostfile), *cli_flags()])
    err = capsys.readouterr().err
    assert code == 2
    assert "mac-mini.local: unreachable" in err
    code = main(["train", "--model", str(tiny_model), "--data", str(dataset), "--hosts", "nosuch.invalid",
                 *cli_flags()])
    assert code == 2 and "nosuch.invalid: unknown host name" in capsys.readouterr().err


# -- real groups of 2 ranks on 127.0.0.1 ------------------------------------------------------------------------------
def _losses(events: list[ev.Event]) -> tuple[dict[int, float], dict[int, float]]:
    train = {e.iteration: e.train_loss for e in events if isinstance(e, ev.TrainReport)}
    val = {e.iteration: e.val_loss for e in events if isinstance(e, ev.ValReport)}
    return train, val


def _params(model: Path, data: Path, out: Path, resume: bool = False, **kw: Any) -> dict[str, Any]:
    return {"model": str(model), "data": str(data), "adapter_path": str(out), "config": cfg(**kw).to_dict(),
            "resume": resume}


def _children(pid: int) -> list[int]:
    out = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                stat = (p / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(p.name))
    return out


def _rank_pids(launcher: int) -> dict[int, int]:
    """rank → pid of the rank processes under a launcher (they exec from the launcher's bash children)."""
    found = {}
    for pid in _children(launcher):
        try:
            env = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except OSError:
            continue
        for item in env:
            if item.startswith(b"MLX_RANK="):
                found[int(item[9:])] = pid
    return found


def _ranks_of(adapter: Path) -> list[int]:
    """Pids of rank processes (anywhere) training into ``adapter``."""
    found = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                cmd = (p / "cmdline").read_bytes()
            except OSError:
                continue
            if b"mlxstudio.core.training.distributed" in cmd and str(adapter).encode() in cmd and _alive(int(p.name)):
                found.append(int(p.name))
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_two_ranks_match_one_rank_with_the_same_global_batch(tiny_model: Path, dataset: Path,
                                                             tmp_path: Path) -> None:
    one = tmp_path / "one"
    ref: list[ev.Event] = []
    ref_result = run_training(tiny_model, dataset, one, cfg(iters=12), sink=ref.append)

    two = tmp_path / "two"
    with dist.GroupProcess("train", _params(tiny_model, dataset, two, iters=12), hostlib.local_hosts(2)) as proc:
        got = list(proc.events())
    assert isinstance(got[-1], ev.Finished), got[-1]
    assert [e.message for e in got if isinstance(e, ev.Log) and "2 ranks" in e.message]
    t1, v1 = _losses(ref)
    t2, v2 = _losses(got)
    assert list(t2) == list(range(1, 13)) and list(v2) == [0, 6, 12]
    for it in t1:
        assert abs(t1[it] - t2[it]) < TOL, (it, t1[it], t2[it])
    for it in v1:
        assert abs(v1[it] - v2[it]) < TOL, (it, v1[it], v2[it])
    assert t2[12] < t2[1] - 1.0  # it really trained
    # rank 0 alone reported and wrote: one final event, each metric once, no file from another process
    assert sum(isinstance(e, (ev.Finished, ev.Failed, ev.Cancelled)) for e in got) == 1
    metrics = [json.loads(x) for x in (two / "metrics.jsonl").read_text().splitlines()]
    assert [m["iteration"] for m in metrics if "train_loss" in m] == list(range(1, 13))
    assert sorted(p.name for p in two.iterdir()) == sorted(p.name for p in one.iterdir())
    assert sorted(p.name for p in (two / "checkpoints").iterdir()) == ["0000009", "0000012"]
    assert got[-1].result["trained_tokens"] == ref_result["trained_tokens"]
    from mlx_lm.utils import load

    load(str(tiny_model), adapter_path=str(two))  # mlx-lm loads the group's adapter


def test_ctrl_c_stops_every_rank_a_killed_rank_stops_the_group_and_resume_continues(
        tiny_model: Path, dataset: Path, tmp_path: Path) -> None:
    out = tmp_path / "adapter"
    iters = 30
    base = [sys.executable, "-m", "mlxstudio.cli", "--json", "train", "--model", str(tiny_model), "--data",
            str(dataset), "--adapter-path", str(out), "--nproc", "2", *cli_flags(iters=iters)]
    # 1. Ctrl+C on the CLI: every rank stops after the same step, rank 0 saves, exit 130
    cli = subprocess.Popen(base, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert cli.stdout is not None
    seen: list[dict[str, Any]] = []
    for line in cli.stdout:
        seen.append(json.loads(line))
        if seen[-1]["event"] == "TrainReport" and seen[-1]["iteration"] >= 4:
            cli.send_signal(signal.SIGINT)
            break
    seen += [json.loads(x) for x in cli.stdout]
    assert cli.wait(60) == 130, cli.stderr.read() if cli.stderr else ""
    assert seen[-1]["event"] == "Cancelled", seen[-1]
    stopped = max(e["iteration"] for e in seen if e["event"] == "TrainReport")
    assert stopped < iters
    saved = [e["iteration"] for e in seen if e["event"] == "CheckpointSaved"]
    assert saved[-1] == stopped  # the stop saved a checkpoint at the step the group stopped at
    assert not _ranks_of(out)

    # 2. resume as a group, then kill rank 1 mid-run: the launcher stops rank 0 too, the checkpoints stay valid
    proc = dist.GroupProcess("train", _params(tiny_model, dataset, out, resume=True, iters=iters),
                             hostlib.local_hosts(2))
    proc.start()
    assert proc.proc is not None
    events: list[ev.Event] = []
    pids: dict[int, int] = {}
    for e in proc.events():
        events.append(e)
        if len(pids) < 2:
            pids = _rank_pids(proc.proc.pid)
        if isinstance(e, ev.CheckpointSaved) and e.iteration >= stopped + 3:
            assert set(pids) == {0, 1}
            os.kill(pids[1], signal.SIGKILL)
            break
    rest = list(proc.events())
    assert proc.wait(30) is not None
    final = rest[-1]
    assert isinstance(final, ev.Failed) and "rank 1" in final.message and "resume" in final.message, final
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in pids.values()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(p) for p in pids.values())
    resumed = [e for e in events if isinstance(e, ev.Log) and e.message.startswith("resuming at iteration")]
    assert resumed and f"iteration {stopped} " in resumed[0].message
    last = max(e.iteration for e in events + rest if isinstance(e, ev.CheckpointSaved))

    # 3. --resume through the CLI finishes the run from the newest checkpoint; the whole curve matches one
    #    uninterrupted single-process run
    done = subprocess.run([*base, "--resume"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    final_events = [json.loads(x) for x in done.stdout.splitlines()]
    result = next(e for e in final_events if e["event"] == "Finished")["result"]
    assert result["resumed_from"] >= last and result["iterations"] == iters
    ref: list[ev.Event] = []
    run_training(tiny_model, dataset, tmp_path / "ref", cfg(iters=iters), sink=ref.append)
    t_ref, _ = _losses(ref)
    curve = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    t_group = {m["iteration"]: m["train_loss"] for m in curve if "train_loss" in m}
    assert sorted(t_group) == list(range(1, iters + 1))
    for it, loss in t_ref.items():
        assert abs(loss - t_group[it]) < TOL, (it, loss, t_group[it])


CLIENT = """
import json, sys
from mlxstudio.core.training import hosts
from mlxstudio.core.training import distributed as dist
g = dist.GroupProcess("train", json.loads(sys.argv[1]), hosts.local_hosts(2))
g.start()
for e in g.events():
    print(type(e).__name__, flush=True)
"""


def test_the_group_stops_and_saves_when_its_client_dies(tiny_model: Path, dataset: Path, tmp_path: Path) -> None:
    out = tmp_path / "adapter"
    params = _params(tiny_model, dataset, out, iters=5000, save_every=5000, steps_per_report=5)
    client = subprocess.Popen([sys.executable, "-c", CLIENT, json.dumps(params)], stdout=subprocess.PIPE, text=True)
    assert client.stdout is not None
    for line in client.stdout:
        if line.strip() == "TrainReport":
            break
    assert _ranks_of(out)
    client.kill()  # the app crashed: nobody will ever send "cancel"
    client.wait(10)
    deadline = time.monotonic() + 30
    while _ranks_of(out) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _ranks_of(out)
    st = json.loads(next((out / "checkpoints").iterdir()).joinpath("state.json").read_text())
    assert 5 <= st["iteration"] < 5000  # rank 0 stopped gracefully and saved where the group was


# -- the Train page's section -------------------------------------------------------------------------------------
def test_hosts_panel_lists_tests_and_remembers_hosts(qtbot: Any, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtCore import QSettings

    from mlxstudio.gui.train.hosts_panel import HostsPanel

    ssh = tmp_path / "ssh"
    ssh.write_text(FAKE_SSH)
    ssh.chmod(0o755)
    monkeypatch.setenv("MLXSTUDIO_SSH", str(ssh))
    panel = HostsPanel()
    qtbot.addWidget(panel)
    assert not panel.is_distributed() and panel.problems(4) == []
    panel.local_ranks.setValue(2)
    panel.add_row("good.local slots=2")
    panel.add_row("down.local")
    panel.add_row("bad;name")
    assert panel.world_size() == 6 and "6 processes" in panel.summary.text()
    assert any("cannot be split across 6 processes" in p for p in panel.problems(4))
    assert any("is not a host name" in p for p in panel.problems(6))
    panel.paths_provider = lambda: [str(tmp_path)]
    panel.test_connection()
    qtbot.waitUntil(lambda: panel.test_button.isEnabled(), timeout=30_000)
    status = [panel.table.item(r, 1).text() for r in range(3)]
    assert status[0].startswith("✔ ready") and status[1].startswith("✖ unreachable") and status[2].startswith("✖")
    assert any(p.startswith("down.local: unreachable") for p in panel.problems(6))
    s = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    panel.save_settings(s)
    other = HostsPanel()
    qtbot.addWidget(other)
    other.restore_settings(s)
    assert other.entries() == ["good.local slots=2", "down.local", "bad;name"] and other.local_ranks.value() == 2
    panel.shutdown()


def test_train_page_trains_with_two_local_processes(qtbot: Any, tiny_model: Path, dataset: Path) -> None:
    from mlxstudio.gui import qworker
    from mlxstudio.gui.pages.train_page import TrainPage
    from mlxstudio.gui.state import AppState
    from mlxstudio.gui.train.hosts_panel import GroupWorkerThread
    from mlxstudio.gui.train.run_states import FINISHED

    state = AppState()
    page = TrainPage(state)
    qtbot.addWidget(page)
    state.set_model(tiny_model)
    state.set_dataset(dataset)
    page.form.set_config(cfg(iters=8, batch_size=3))
    page.hosts_panel.local_ranks.setValue(2)
    assert not page.start()  # 3 rows per batch cannot be split across 2 processes
    assert "cannot be split across 2 processes" in page.checks_label.text()
    page.form.set_config(cfg(iters=8))
    assert page.start()
    assert isinstance(page.worker, GroupWorkerThread)
    qtbot.waitUntil(lambda: page.run_state == FINISHED, timeout=120_000)
    page.plots.flush()
    assert page.plots.train.n == 8 and list(page.plots.train.x) == list(range(1, 9))  # rank 0's reports only
    assert page.run_dir is not None and (page.run_dir / "adapters.safetensors").exists()
    page.shutdown(5)
    qworker.await_workers(10)
