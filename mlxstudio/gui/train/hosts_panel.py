"""The Train page's optional "Several processes or computers" section: local ranks, other Macs, test connection.

Thin: parsing, resolving and the ssh check are :mod:`mlxstudio.core.training.hosts`; the launch is
:class:`mlxstudio.core.training.distributed.GroupProcess`, supervised by :class:`GroupWorkerThread` exactly like a
single worker (the live plot shows rank 0's events, which are the group's).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, cast

from PySide6.QtCore import QSettings, Qt, QThread, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from superqt import QCollapsible

from mlxstudio.core.runtime import WorkerProcess
from mlxstudio.core.training import GroupProcess
from mlxstudio.core.training import hosts as hostlib
from mlxstudio.gui import icons, quitting, settings
from mlxstudio.gui.i18n import QT_TRANSLATE_NOOP, translate
from mlxstudio.gui.qworker import WorkerThread

REQUIREMENTS = QT_TRANSLATE_NOOP(
    "hosts_panel",
    "Train with several processes on this computer, or on several Macs at once (MLX's <i>ring</i> backend over "
    "Ethernet or Thunderbolt). Every process takes an equal share of each batch, so the batch size must be a "
    "multiple of the number of processes; this computer is rank 0 and writes the adapter.<br>"
    "Each other Mac needs: <b>Remote Login</b> on and <b>passwordless ssh</b> from this computer "
    "(<code>ssh-copy-id name</code>); the <b>same Python environment</b> at <code>{python}</code>; the <b>model and "
    "data at the same paths</b> as here."
)


class _CheckThread(QThread):
    """Runs :func:`hosts.check_hosts` off the GUI thread; ``result(row, HostStatus)`` as each host answers."""

    result = Signal(int, object)

    def __init__(self, entries: list[str], paths: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.entries = entries
        self.paths = paths

    def run(self) -> None:
        hosts: list[hostlib.Host | str] = []
        for i, text in enumerate(self.entries):
            try:
                parsed = hostlib.parse_hosts(text, source="")[0]
            except hostlib.HostsError as exc:
                self.result.emit(i, hostlib.HostStatus(text, False, str(exc)))
                hosts.append("")
                continue
            hosts.append(parsed)
        todo = [(i, h) for i, h in enumerate(hosts) if h != ""]
        hostlib.check_hosts([h for _, h in todo], paths=self.paths,
                            on_result=lambda j, st: self.result.emit(todo[j][0], st))


class HostsPanel(QWidget):
    """Collapsed by default. ``is_distributed()``, ``hosts()`` (for the launch), ``problems(batch_size)``."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.section = QCollapsible(self.tr("Several processes or computers"))
        self.section.setCollapsedIcon(icons.icon("mdi6.chevron-right"))
        self.section.setExpandedIcon(icons.icon("mdi6.chevron-down"))
        self.section.setToolTip(self.tr("Optional: split every batch across processes on this computer or other Macs"))
        self.about = QLabel(translate("hosts_panel", REQUIREMENTS).format(python=_esc(sys.executable)))
        self.about.setWordWrap(True)
        self.about.setTextFormat(Qt.TextFormat.RichText)

        self.local_ranks = QSpinBox()
        self.local_ranks.setRange(1, max(8, os.cpu_count() or 1))
        self.local_ranks.setValue(1)
        self.local_ranks.setToolTip(self.tr("How many training processes run on this computer (rank 0 is one of them). "
                                    "More than one only helps when a single process cannot use all cores or GPU."))
        self.local_ranks.valueChanged.connect(self._on_changed)

        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels([self.tr("Other computer (name or IP)"), self.tr("Status")])
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setMinimumHeight(90)
        self.table.setToolTip(
            self.tr("One Mac per row: a name such as mac-mini.local or an IP address; add 'slots=2' after "
                              "it to run two processes there"))
        self.table.itemChanged.connect(self._on_item_changed)

        self.add_button = QPushButton(self.tr("Add"))
        self.add_button.setToolTip(self.tr("Add another computer"))
        self.add_button.clicked.connect(self.add_row)
        self.remove_button = QPushButton(self.tr("Remove"))
        self.remove_button.setToolTip(self.tr("Remove the selected computer"))
        self.remove_button.clicked.connect(self.remove_selected)
        self.test_button = QPushButton(self.tr("Test connection"))
        self.test_button.setToolTip(self.tr("Check ssh (without a password), the Python environment and the model/data "
                                    "paths on every computer"))
        self.test_button.clicked.connect(self.test_connection)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        buttons.addWidget(self.test_button)

        self.summary = QLabel()
        self.summary.setWordWrap(True)

        inner = QWidget()
        lay = QVBoxLayout(inner)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.about)
        form = QFormLayout()
        form.addRow(self.tr("Processes on this computer"), self.local_ranks)
        lay.addLayout(form)
        lay.addWidget(self.table)
        lay.addLayout(buttons)
        lay.addWidget(self.summary)
        self.section.addWidget(inner)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.section)
        self._check: _CheckThread | None = None
        self.paths_provider: Callable[[], list[str]] = lambda: []
        """The model and data paths the connection test looks for on every computer (set by the page)."""
        self._refresh()

    # -- the list ------------------------------------------------------------------------------------------------
    def add_row(self, text: str = "") -> None:
        """Append a host row (and start editing it when empty)."""
        row = self.table.rowCount()
        self.table.insertRow(row)
        host = QTableWidgetItem(str(text or ""))
        self.table.setItem(row, 0, host)
        status = QTableWidgetItem("")
        status.setFlags(status.flags() & ~Qt.ItemFlag.ItemIsEditable)
        self.table.setItem(row, 1, status)
        if not text:
            self.table.editItem(host)
        self._on_changed()

    def remove_selected(self) -> None:
        rows = sorted({i.row() for i in self.table.selectedIndexes()}, reverse=True)
        for r in rows or ([self.table.rowCount() - 1] if self.table.rowCount() else []):
            self.table.removeRow(r)
        self._on_changed()

    def entries(self) -> list[str]:
        """The other computers as typed (empty rows skipped)."""
        out = []
        for r in range(self.table.rowCount()):
            item = self.table.item(r, 0)
            if item is not None and item.text().strip():
                out.append(item.text().strip())
        return out

    def _host_text(self, row: int, missing: str) -> str:
        """The host cell of ``row`` as typed, or ``missing`` when the row has none."""
        item = self.table.item(row, 0)
        return item.text() if item is not None else missing

    def set_entries(self, entries: Sequence[str]) -> None:
        self.table.setRowCount(0)
        for e in entries:
            self.add_row(e)

    def world_size(self) -> int:
        """Processes in total (invalid rows count as one each, for the batch-size hint)."""
        n = self.local_ranks.value()
        for e in self.entries():
            try:
                n += hostlib.world_size(hostlib.parse_hosts(e, source=""))
            except hostlib.HostsError:
                n += 1
        return n

    def is_distributed(self) -> bool:
        return self.world_size() > 1

    def hosts(self) -> list[hostlib.Host]:
        """The resolved host list for :class:`GroupProcess` (this computer first). Raises ``HostsError``."""
        listed = [hostlib.Host(hostlib.LOCALHOST, (hostlib.LOCALHOST,), self.local_ranks.value())]
        for e in self.entries():
            listed += hostlib.parse_hosts(e, source="")
        return hostlib.resolve_hosts(listed)

    def problems(self, batch_size: int | None) -> list[str]:
        """Why a run with these hosts cannot start (plain text, each saying what to do)."""
        out = []
        for e in self.entries():
            try:
                hostlib.parse_hosts(e, source="")
            except hostlib.HostsError as exc:
                out.append(self.tr("Other computer: {exc}").format(exc=exc))
        n = self.world_size()
        if batch_size is not None and n > 1 and batch_size % n:
            out.append(self.tr("The batch size {batch_size} cannot be split across {n} processes — "
                           "use a multiple of {n2}.").format(batch_size=batch_size, n=n, n2=n))
        for r in range(self.table.rowCount()):
            status = self.table.item(r, 1)
            if status is not None and status.text().startswith("✖"):
                name = self._host_text(r, "?")
                out.append(self.tr("{name}: {value} (Test connection again after fixing it)").format(
                    name=name, value=status.text()[1:].strip()))
        return out

    # -- testing -------------------------------------------------------------------------------------------------
    def test_connection(self) -> None:
        """Check every listed computer in the background; each row's status fills in as it answers."""
        if self._check is not None and self._check.isRunning():
            return
        entries = [self._host_text(r, "").strip() for r in range(self.table.rowCount())]
        for r, e in enumerate(entries):
            self._set_status(r, self.tr("… checking") if e else "")
        todo = [e for e in entries if e]
        if not todo:
            self.summary.setText(self.tr("Add another computer first (a name like mac-mini.local or an IP address)."))
            return
        rows = [r for r, e in enumerate(entries) if e]
        self.test_button.setEnabled(False)
        self._check = _CheckThread(todo, [str(p) for p in self.paths_provider()], self)
        self._check.result.connect(lambda i, st: self._on_result(rows[i], st))
        self._check.finished.connect(self._on_check_done)
        self._check.start()

    def _on_result(self, row: int, st: hostlib.HostStatus) -> None:
        self._set_status(row, ("✔ " if st.ok else "✖ ") + st.message, st.detail)

    def _on_check_done(self) -> None:
        self.test_button.setEnabled(True)
        self._refresh()

    def _set_status(self, row: int, text: str, tip: str = "") -> None:
        item = self.table.item(row, 1)
        if item is None:
            return
        self.table.blockSignals(True)
        item.setText(text)
        item.setToolTip(f"{text}\n\n{tip}".strip() if tip else text)
        self.table.blockSignals(False)

    def wait_for_check(self, ms: int = 30_000) -> None:
        """Block until a running connection test ends (tests and shutdown)."""
        if self._check is not None:
            quitting.stop_thread(self._check, ms)  # at quit: a check still waiting for ssh is kept, not destroyed

    # -- state ---------------------------------------------------------------------------------------------------
    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        if item.column() == 0:
            self._set_status(item.row(), "")
            self._on_changed()

    def _on_changed(self, *_: Any) -> None:
        self._refresh()
        self.changed.emit()

    def _refresh(self) -> None:
        n = self.world_size()
        others = len(self.entries())
        if n <= 1:
            self.summary.setText(self.tr("One process on this computer (the normal way to train)."))
            self.section.setText(self.tr("Several processes or computers"))
        else:
            where = self.tr("this computer and {others} other{value}").format(
                others=others, value='s' if others != 1 else '') if others else self.tr("this computer")
            self.summary.setText(self.tr("{n} processes on {where}: the batch size must be a multiple of {n2}.").format(
                n=n, where=where, n2=n))
            self.section.setText(self.tr("Several processes or computers — {n} processes").format(n=n))
        self.remove_button.setEnabled(self.table.rowCount() > 0)

    def set_editable(self, editable: bool) -> None:
        """Locked while a run trains."""
        for w in (self.local_ranks, self.table, self.add_button, self.remove_button, self.test_button):
            w.setEnabled(editable)
        if editable:
            self._refresh()

    def save_settings(self, s: QSettings) -> None:
        s.setValue("train/hosts", "\n".join(self.entries()))
        s.setValue("train/local_ranks", self.local_ranks.value())

    def restore_settings(self, s: QSettings) -> None:
        text = settings.typed_value(s, "train/hosts", "")
        self.set_entries([ln for ln in text.splitlines() if ln.strip()])
        with contextlib.suppress(TypeError, ValueError):
            self.local_ranks.setValue(int(cast("int | str", s.value("train/local_ranks", 1))))  # INI text or int

    def shutdown(self) -> None:
        self.wait_for_check(10_000)


class GroupWorkerThread(WorkerThread):
    """A :class:`WorkerThread` whose process is a group of ranks started by ``mlx.launch`` (same signals)."""

    def __init__(self, hosts: Sequence[hostlib.Host], job: str, params: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(job, params, **kwargs)
        self.hosts = list(hosts)

    def make_process(self) -> WorkerProcess:
        return GroupProcess(self.job, self.params, self.hosts, env=self.env)


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
