"""Which adapter to test and fuse: the one the Train page handed over, any run's final or best adapter, any
checkpoint, or a folder chosen by hand. Checkpoints become loadable adapter folders through
:func:`mlxstudio.core.training.runs.checkpoint_adapter` when picked."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFileDialog, QWidget

from mlxstudio.core import errors
from mlxstudio.core.inference import check_adapter_matches
from mlxstudio.core.training import runs
from mlxstudio.gui.i18n import translate

BEST_FILE = "best_adapters.safetensors"


@dataclass(frozen=True)
class AdapterChoice:
    """One entry: its label, the path (a run folder, a checkpoint, a best-adapter file) and its kind."""

    label: str
    path: Path
    kind: str  # "current" | "final" | "best" | "checkpoint" | "folder"
    run: Path | None = None

    def resolve(self) -> Path:
        """A folder ``mlx_lm.load(adapter_path=...)`` accepts."""
        if self.kind in {"checkpoint", "best"}:
            return runs.checkpoint_adapter(self.path, self.run)
        return self.path


def adapter_choices(current: Path | None, model: Path | None = None) -> list[AdapterChoice]:
    """Entries for the picker: ``current`` first, then each run's final/best adapter and checkpoints (newest run
    first). With ``model``, runs trained on another model are left out."""
    out: list[AdapterChoice] = []
    try:
        infos = runs.list_runs()
    except OSError:
        infos = []
    if current is not None:
        # a run's adapter is named like the run list names it ("Run 1 · final …"), not by its timestamped folder
        label = next((_final_label(i) for i in infos if i.path.resolve() == current.resolve()), _short(current))
        out.append(AdapterChoice(translate("adapter_picker", "{label} · from Train").format(
            label=label), current, "current"))
    for info in infos:
        if model is not None and info.model and Path(info.model).name != model.name:
            continue
        if info.has_adapter and (current is None or info.path.resolve() != current.resolve()):
            out.append(AdapterChoice(_final_label(info), info.path, "final", info.path))
        if (info.path / BEST_FILE).exists() and info.best_val_loss is not None:
            out.append(AdapterChoice(translate("adapter_picker", "{name} · best (val {best_val_loss:.3f})").format(
                name=info.name, best_val_loss=info.best_val_loss), info.path / BEST_FILE,
                                     "best", info.path))
        for ck in reversed(info.checkpoints):
            out.append(AdapterChoice(translate("adapter_picker", "{name} · checkpoint it {iteration}").format(
                name=info.name, iteration=ck.iteration), ck.path, "checkpoint", info.path))
    return out


def adapter_problem(model: Path | None, adapter: Path | None) -> str | None:
    """Why ``adapter`` cannot be used with ``model`` (unreadable, another model's shapes…), with what to do; None when
    it fits or either is missing. Reads file headers only (milliseconds), so it runs before any generation."""
    if model is None or adapter is None:
        return None
    try:
        check_adapter_matches(model, adapter)
    except (errors.UserError, OSError) as exc:
        return translate("adapter_picker", "The adapter {name} cannot be used: {exc}. Pick another adapter above, "
                   "or train again.").format(name=adapter.name, exc=exc)
    return None


def _final_label(info: runs.RunInfo) -> str:
    loss = translate("adapter_picker", ", loss {final_train_loss:.3f}").format(
        final_train_loss=info.final_train_loss) if info.final_train_loss is not None else ""
    return translate("adapter_picker", "{name} · final (it {last_iteration}{loss})").format(
        name=info.name, last_iteration=info.last_iteration, loss=loss)


def full_model_of(adapter: Path | None) -> Path | None:
    """The library model a full fine-tune run saved (issue 21), when ``adapter`` is such a run's folder: its
    weights are whole blocks (not an adapter to add to the base), the saved model is the tuned one."""
    if adapter is None:
        return None
    try:
        from mlxstudio.core.inference.adapters import read_adapter_config

        if str(read_adapter_config(adapter).get("fine_tune_type")) != "full":
            return None
    except (errors.UserError, OSError, ValueError):
        return None
    from mlxstudio.core.inference import find_fused_models

    found = find_fused_models(adapter)
    return found[0] if found else None


def _short(path: Path) -> str:
    if path.parent.name in {"checkpoint-adapters", "checkpoints"}:
        return translate("adapter_picker", "{name} · checkpoint {name2}").format(
            name=path.parent.parent.name, name2=path.name)
    return path.name


class AdapterPicker(QComboBox):
    """A combo box of :func:`adapter_choices` plus "Choose a folder…"; emits :attr:`adapter_chosen` (Path or None)."""

    adapter_chosen = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumContentsLength(22)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setToolTip(
            self.tr("The adapter to test and fuse: the latest run, its best adapter, any checkpoint, or a folder"))
        self.choices: list[AdapterChoice] = []
        self.current_path: Path | None = None
        self.error: str | None = None
        self.activated.connect(self._on_activated)

    def refresh(self, current: Path | None, model: Path | None = None) -> None:
        """List the choices again with ``current`` selected."""
        self.current_path = current
        self.choices = adapter_choices(current, model)
        self.blockSignals(True)
        self.clear()
        if not self.choices:
            self.addItem(self.tr("No adapter yet — train one in step 3"))
        for c in self.choices:
            self.addItem(c.label)
        self.addItem(self.tr("Choose an adapter folder…"))
        self.setCurrentIndex(0)
        self.blockSignals(False)

    def _on_activated(self, index: int) -> None:
        if index == self.count() - 1:
            title = self.tr("Adapter folder (adapters.safetensors + adapter_config.json)")
            folder = QFileDialog.getExistingDirectory(self, title, str(runs.paths.runs_dir()))
            if folder:
                self._choose(AdapterChoice(Path(folder).name, Path(folder), "folder"))
            else:
                self.setCurrentIndex(0)
            return
        if not self.choices or index >= len(self.choices):
            return
        self._choose(self.choices[index])

    def _choose(self, choice: AdapterChoice) -> None:
        try:
            path = choice.resolve()
        except (FileNotFoundError, OSError) as exc:
            self.error = str(exc)
            self.adapter_chosen.emit(None)
            return
        self.error = None
        self.adapter_chosen.emit(path)
