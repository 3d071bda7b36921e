"""The machines of a multi-Mac training run: parse and validate a host list, test the ssh connection to each.

Training on several machines uses MLX's own launcher (``mlx.launch``, ring backend; see
:mod:`mlxstudio.core.training.distributed`). It starts one process ("rank") per entry of the host list: on
``127.0.0.1`` directly, on any other host through ``ssh``. Rank 0 is the first entry; it writes the adapter.

Accepted host lists (:func:`parse_hosts`):

- a comma-separated list: ``mac-studio.local,192.168.1.20``;
- a text file, one host per line: ``name [ip] [slots=N]`` (``#`` starts a comment; ``slots`` = ranks on that host);
- MLX's JSON hostfile (``mlx.distributed_config`` writes it): ``[{"ssh": "name", "ips": ["10.0.0.2"]}, ...]`` or
  ``{"hosts": [...]}``.

The ring backend connects by IP address, so a name without an IP is resolved here (``.local`` names through
Bonjour/mDNS on a Mac). :func:`check_host` tests what a launch needs: passwordless ssh (``BatchMode``, with a
timeout), the same Python interpreter path with MLX Studio importable, and optionally the model/data paths.
Qt-free; the Train page's Hosts section and the CLI both use it.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import shlex
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mlxstudio.core.errors import UserError
from mlxstudio.core.i18n import N_, _

LOCALHOST = "127.0.0.1"
LOCAL_NAMES = {"127.0.0.1", "localhost", "::1", "local", "this-mac"}
SSH_TIMEOUT = 5.0
"""Seconds ssh may take to connect (``ConnectTimeout``) before a host counts as unreachable."""


class HostsError(UserError):
    """A host list is unusable (syntax, unknown name, bad mix of hosts); the message names the entry and the fix."""


@dataclass(frozen=True)
class Host:
    """One machine: ``ssh`` is how to reach it (``127.0.0.1`` = this machine, no ssh), ``ips`` the ring addresses.

    ``slots``: how many ranks run on it. ``line``: where it came from in a host file (for messages).
    """

    ssh: str
    ips: tuple[str, ...] = ()
    slots: int = 1
    line: int | None = None

    @property
    def is_local(self) -> bool:
        """Started without ssh (MLX's launcher treats exactly ``127.0.0.1`` as this machine)."""
        return self.ssh == LOCALHOST

    @property
    def label(self) -> str:
        return _("this computer") if self.is_local and (not self.ips or self.ips[0] == LOCALHOST) else self.ssh


@dataclass
class HostStatus:
    """The result of :func:`check_host`: ``ok`` and one sentence for the user (``detail``: raw output)."""

    host: str
    ok: bool
    message: str
    detail: str = ""
    info: dict[str, object] = field(default_factory=dict)


# -- parsing -----------------------------------------------------------------------------------------------------
def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _positive(text: str, where: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise HostsError(_("{where}: slots must be a whole number ≥ 1, got {text!r}").format(where=where, text=text))
    return n


def _parse_entry(text: str, where: str, line: int | None) -> Host:
    parts = text.split()
    name, ips, slots = parts[0], [], 1
    if name.startswith("-") or any(c in name for c in "'\"`$;|&<>(){}\\"):
        raise HostsError(_("{where}: {name!r} is not a host name").format(where=where, name=name))
    for extra in parts[1:]:
        if extra.startswith("slots="):
            slots = _positive(extra[len("slots="):], where)
        elif _is_ip(extra):
            ips.append(extra)
        else:
            raise HostsError(_("{where}: {extra!r} is neither an IP address nor slots=N — write one host per line as "
                               "'name [ip] [slots=N]'").format(where=where, extra=extra))
    if name.lower() in LOCAL_NAMES:
        return Host(LOCALHOST, tuple(ips) or (LOCALHOST,), slots, line)
    if _is_ip(name) and not ips:
        ips = [name]
    return Host(name, tuple(ips), slots, line)


def _parse_json(data: object, source: str) -> list[Host]:
    entries = data.get("hosts") if isinstance(data, dict) else data
    if not isinstance(entries, list):
        raise HostsError(_("{source}: a JSON host file is a list of hosts or {{\"hosts\": [...]}}").format(
            source=source))
    hosts = []
    for i, h in enumerate(entries):
        where = f"{source}: host {i + 1}"
        if isinstance(h, str):
            hosts.append(_parse_entry(h, where, None))
            continue
        if not isinstance(h, dict) or not isinstance(h.get("ssh"), str) or not h["ssh"].strip():
            raise HostsError(_("{where}: each host needs an \"ssh\" name, e.g. {{\"ssh\": \"mac-mini.local\", "
                               "\"ips\": [\"192.168.1.20\"]}}").format(where=where))
        ips = h.get("ips") or []
        if not isinstance(ips, list) or not all(isinstance(x, str) and _is_ip(x) for x in ips):
            raise HostsError(_("{where}: \"ips\" must be a list of IP addresses").format(where=where))
        text = " ".join([h["ssh"].strip(), *ips] + ([f"slots={h['slots']}"] if "slots" in h else []))
        hosts.append(_parse_entry(text, where, None))
    return hosts


def parse_hosts(spec: str | Path, source: str = "--hosts") -> list[Host]:
    """Hosts from a host file (text or MLX JSON) or a comma-separated list. Raises :class:`HostsError`.

    ``source`` names the list in messages about a comma-separated list (e.g. the flag it came from).
    """
    text = str(spec)
    path = Path(str(spec)).expanduser()
    is_file = False
    with contextlib.suppress(OSError):
        is_file = path.is_file()
    if is_file:
        source = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise HostsError(_("{path}: cannot read the host file ({exc})").format(path=path, exc=exc)) from None
        if text.lstrip().startswith(("[", "{")):
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                raise HostsError(_("{path}:{lineno}: not valid JSON ({msg})").format(
                    path=path, lineno=exc.lineno, msg=exc.msg)) from None
            return _check_nonempty(_parse_json(data, source), source)
        hosts = []
        for n, raw in enumerate(text.splitlines(), 1):
            entry = raw.split("#", 1)[0].strip()
            if entry:
                hosts.append(_parse_entry(entry, f"{path}:{n}", n))
        return _check_nonempty(hosts, source)
    if os.sep in text or text.endswith((".json", ".txt")):
        raise HostsError(_("{text}: host file not found — give a file, or host names separated by commas").format(
            text=text))
    entries = [e.strip() for e in text.split(",")]
    if any(not e for e in entries):
        raise HostsError(f"{source} {text!r}: an empty host name (two commas in a row?)".strip())
    return _check_nonempty([_parse_entry(e, f"{source} {e!r}".strip(), None) for e in entries], source or text)


def _check_nonempty(hosts: list[Host], source: str) -> list[Host]:
    if not hosts:
        raise HostsError(_("{source}: no hosts listed").format(source=source))
    return hosts


def local_hosts(n: int) -> list[Host]:
    """``n`` ranks on this machine (the ring runs over the loopback interface, no ssh)."""
    return [Host(LOCALHOST, (LOCALHOST,), max(1, n))]


def world_size(hosts: Sequence[Host]) -> int:
    """How many ranks the host list starts."""
    return sum(h.slots for h in hosts)


# -- addresses ---------------------------------------------------------------------------------------------------
def resolve(name: str, timeout: float = 3.0) -> str | None:
    """The IPv4 address of ``name`` (None if it does not resolve within ``timeout``)."""
    result: list[str] = []

    def work() -> None:
        with contextlib.suppress(OSError, UnicodeError):
            infos = socket.getaddrinfo(name, None, socket.AF_INET, socket.SOCK_STREAM)
            if infos:
                result.append(str(infos[0][4][0]))

    t = threading.Thread(target=work, daemon=True)
    t.start()
    t.join(timeout)
    return result[0] if result else None


def local_addresses() -> set[str]:
    """IP addresses of this machine (loopback, the host name's, the default route's)."""
    found = {LOCALHOST}
    with contextlib.suppress(OSError):
        found.update(socket.gethostbyname_ex(socket.gethostname())[2])
    route = outgoing_ip("192.0.2.1")  # TEST-NET: no packet is sent, the kernel only picks the interface
    if route:
        found.add(route)
    return found


def outgoing_ip(peer: str) -> str | None:
    """This machine's address on the interface that reaches ``peer`` (what other hosts connect to)."""
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect((peer, 9))
        return str(s.getsockname()[0])
    return None


def resolve_hosts(hosts: Sequence[Host], resolver: Callable[[str], str | None] = resolve) -> list[Host]:
    """Validate the list and give every host a ring IP; a name of this machine becomes a local (no-ssh) entry.

    Raises :class:`HostsError` for an unknown name or for ``127.0.0.1`` mixed with other machines (they could
    not connect to it: the ring needs this machine's network address then — it is filled in automatically).
    """
    if not hosts:
        raise HostsError(_("no hosts given"))
    mine = local_addresses()
    out: list[Host] = []
    for h in hosts:
        where = f"line {h.line}: " if h.line else ""
        ips = h.ips
        if not ips:
            ip = resolver(h.ssh)
            if ip is None:
                raise HostsError(_("{where}{ssh}: unknown host name — check the spelling, or write its IP address "
                                   "after the name (e.g. 'mac-mini.local 192.168.1.20')").format(
                                       where=where, ssh=h.ssh))
            ips = (ip,)
        ssh = LOCALHOST if (h.is_local or ips[0] in mine or ips[0].startswith("127.")) else h.ssh
        out.append(Host(ssh, ips, h.slots, h.line))
    remote = [h for h in out if not h.is_local]
    if remote:
        peer = remote[0].ips[0]
        here = outgoing_ip(peer)
        fixed = []
        for h in out:
            if h.is_local and h.ips[0].startswith("127."):
                if here is None or here.startswith("127."):
                    raise HostsError(_("this computer has no network address that reaches {ssh} ({peer})"
                                       " — connect both machines to the same network (Ethernet or Thunderbolt)").format(
                                           ssh=remote[0].ssh, peer=peer))
                h = Host(LOCALHOST, (here,), h.slots, h.line)
            fixed.append(h)
        out = fixed
    return out


def mlx_hostfile(hosts: Sequence[Host]) -> dict[str, object]:
    """MLX's JSON hostfile for ``mlx.launch --hostfile`` (one entry per rank, ring backend)."""
    entries = []
    for h in hosts:
        for _slot in range(h.slots):
            entries.append({"ssh": h.ssh, "ips": list(h.ips)})
    return {"backend": "ring", "hosts": entries}


# -- testing a connection ----------------------------------------------------------------------------------------
CHECK_SCRIPT = (
    "import json, os, sys\n"
    "info = {'python': sys.version.split()[0], 'platform': sys.platform}\n"
    "try:\n"
    "    import mlx.core as mx, mlxstudio\n"
    "    info['mlx'] = getattr(mx, '__version__', '?')\n"
    "    info['mlxstudio'] = getattr(mlxstudio, '__version__', '?')\n"
    "except Exception as exc:\n"
    "    info['import_error'] = f'{type(exc).__name__}: {exc}'\n"
    "info['missing'] = [p for p in sys.argv[1:] if not os.path.exists(p)]\n"
    "print('MLXSTUDIO-CHECK ' + json.dumps(info))\n"
)

_SSH_PROBLEMS = (
    ("permission denied", N_("ssh asked for a password or key: set up passwordless ssh to it (ssh-copy-id {host}) and "
                          "turn on Remote Login on that Mac (System Settings → General → Sharing)")),
    ("host key verification failed", N_("its ssh host key is not known yet: connect once in a terminal (ssh {host}) "
                                     "and accept the key")),
    ("could not resolve", N_("unknown host name — check the spelling or use its IP address")),
    ("name or service not known", N_("unknown host name — check the spelling or use its IP address")),
    ("connection refused", N_("it refuses ssh connections: turn on Remote Login on that Mac (System Settings → General "
                           "→ Sharing)")),
    ("timed out", N_("unreachable (no answer within {timeout:.0f} s): is it switched on and on the same network?")),
    ("no route to host", N_("unreachable (no route to host): is it on the same network?")),
    ("network is unreachable", N_("unreachable (network is unreachable)")),
)


def ssh_command() -> list[str]:
    """The ssh client to use (``MLXSTUDIO_SSH`` may name another one, e.g. in tests)."""
    return shlex.split(os.environ.get("MLXSTUDIO_SSH", "ssh"))


def check_host(host: Host | str, python: str | None = None, paths: Sequence[str | Path] = (),
               timeout: float = SSH_TIMEOUT) -> HostStatus:
    """Test whether a training rank can start on ``host``: ssh without a password (BatchMode), the same Python
    (``python``, default this interpreter's path) with MLX and MLX Studio importable, and ``paths`` present.

    Never raises; the status says what is wrong and what to do.
    """
    if isinstance(host, str):
        host = _parse_entry(host, host, None)
    python = python or sys.executable
    remote = [python, "-c", CHECK_SCRIPT, *map(str, paths)]
    if host.is_local:
        cmd = remote
    else:
        cmd = [*ssh_command(), "-o", "BatchMode=yes", "-o", f"ConnectTimeout={max(1, int(timeout))}",
               "-o", "LogLevel=ERROR", host.ssh, "--", shlex.join(remote)]
    name = host.label
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout + 20, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return HostStatus(name, False, _("unreachable (no answer within {seconds:.0f} s)").format(seconds=timeout + 20))
    except OSError as exc:
        return HostStatus(name, False, _("cannot run ssh ({exc}) — install an ssh client").format(exc=exc))
    out, err = proc.stdout, proc.stderr.strip()
    marker = next((ln for ln in out.splitlines() if ln.startswith("MLXSTUDIO-CHECK ")), None)
    if marker is None:
        low = err.lower()
        for needle, text in _SSH_PROBLEMS:
            if needle in low:
                return HostStatus(name, False, _(text).format(host=host.ssh, timeout=timeout), err)
        if proc.returncode == 127 or "no such file" in low or "not found" in low:
            return HostStatus(name, False, _("{python} does not exist there — install MLX Studio at the same path on "
                                             "every machine (same user name and folder)").format(python=python), err)
        last = err.splitlines()[-1] if err else _("exit code {code}").format(code=proc.returncode)
        return HostStatus(name, False, _("the check failed: {last}").format(last=last), err)
    try:
        info = json.loads(marker[len("MLXSTUDIO-CHECK "):])
    except ValueError:
        return HostStatus(name, False, _("the check printed something unexpected"), out)
    if "import_error" in info:
        return HostStatus(name, False, _("{python} there cannot import MLX Studio ({error}) — install the same "
                                         "environment on every machine").format(python=python,
                                                                                 error=info["import_error"]), err, info)
    if info.get("missing"):
        return HostStatus(name, False, _("missing there: {paths} — copy them to the same path on every machine").format(
            paths=", ".join(map(str, info["missing"]))), err, info)
    return HostStatus(name, True, _("ready (Python {python}, MLX {mlx})").format(python=info.get("python"),
                                                                                mlx=info.get("mlx")), err, info)


def check_hosts(hosts: Sequence[Host | str], python: str | None = None, paths: Sequence[str | Path] = (),
                timeout: float = SSH_TIMEOUT, on_result: Callable[[int, HostStatus], None] | None = None,
                ) -> list[HostStatus]:
    """:func:`check_host` for every host in parallel (``on_result(i, status)`` as each one ends); in order."""
    results: list[HostStatus | None] = [None] * len(hosts)

    def one(i: int, h: Host | str) -> None:
        results[i] = check_host(h, python, paths, timeout)
        if on_result is not None:
            on_result(i, results[i])  # type: ignore[arg-type]

    threads = [threading.Thread(target=one, args=(i, h), daemon=True) for i, h in enumerate(hosts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [r for r in results if r is not None]
