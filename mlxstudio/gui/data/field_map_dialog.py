"""The "Which field is what?" dialog: when a file's fields have names the reader does not know, the person says which
field is the prompt, the completion, the chat messages or the text, and sees the first rows as they will open.

One row per field found in the file's first rows (an example value beside it) with a choice of what it is; a live
preview of the first rows converted by the engine (:func:`mlxstudio.core.data.fields.preview_mapping`, the same
conversion :func:`~mlxstudio.core.data.load_dataset` does) and a line saying why the choice does not work yet. OK
opens the file with that mapping. The choice is remembered for files with the same fields (their sorted names are
the key, in the app's settings) and offered again next time; a first guess comes from common names.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mlxstudio.core.data import COLUMNS, Dataset, FieldMap, field_map_of, guess_field_map, preview_mapping, shape_key
from mlxstudio.gui import icons, settings
from mlxstudio.gui.data.table_model import header_title, one_line
from mlxstudio.gui.elided_label import ElidedLabel
from mlxstudio.gui.i18n import QT_TRANSLATE_NOOP, translate

FIELD_MAPS = settings.Setting("data/field_maps", "{}", "Remembered “Which field is what?” choices, as JSON: "
                              "sorted field names → {feature: field}.")
MAX_REMEMBERED = 30
PREVIEW_ROWS = 5
CHOICES: list[tuple[str, str | None]] = [  # what a field can be (combo text, feature)
    (QT_TRANSLATE_NOOP("field_map_dialog", "(not used)"), None),
    (QT_TRANSLATE_NOOP("field_map_dialog", "Prompt"), "prompt"),
    (QT_TRANSLATE_NOOP("field_map_dialog", "Completion"), "completion"),
    (QT_TRANSLATE_NOOP("field_map_dialog", "System prompt"), "system"),
    (QT_TRANSLATE_NOOP("field_map_dialog", "Chat messages"), "messages"),
    (QT_TRANSLATE_NOOP("field_map_dialog", "Plain text"), "text")]


# -- remembered mappings ------------------------------------------------------------------------------------------
def _stored(s: QSettings | None) -> dict[str, dict[str, str]]:
    try:
        data = json.loads(FIELD_MAPS.get(s))
    except ValueError:
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, dict)} if isinstance(data, dict) \
        else {}


def remembered_map(fields: Sequence[str], s: QSettings | None = None) -> FieldMap | None:
    """The mapping chosen last time for files with these fields, or None."""
    got = _stored(s).get(shape_key(fields))
    if not got:
        return None
    known = set(fields)
    return FieldMap({k: v for k, v in got.items() if isinstance(v, str) and v in known}) or None


def remember_map(fields: Sequence[str], mapping: FieldMap, s: QSettings | None = None) -> None:
    """Keep ``mapping`` for files with these fields (the newest :data:`MAX_REMEMBERED` are kept)."""
    data = _stored(s)
    key = shape_key(fields)
    data.pop(key, None)
    data[key] = dict(mapping.fields)
    FIELD_MAPS.set(json.dumps(dict(list(data.items())[-MAX_REMEMBERED:]), ensure_ascii=False), s)


def _example(rows: Sequence[dict[str, Any]], fld: str) -> str:
    for row in rows:
        value = row.get(fld)
        if value not in (None, "", [], {}):
            text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            return one_line(text, 80)
    return ""


class FieldMapDialog(QDialog):
    """Which field is what (see the module docstring). :meth:`field_map` is the choice after ``exec()``."""

    def __init__(self, path: Path, fields: Sequence[str], rows: Sequence[dict[str, Any]],
                 initial: FieldMap | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("field-map-dialog")
        self.setWindowTitle(self.tr("Which field is what?"))
        self.setAccessibleName(self.tr("Which field is what?"))
        self.fields = list(fields)
        self.rows = list(rows)
        start = initial if initial else guess_field_map(self.fields)
        chosen = {fld: feature for feature, fld in start.fields.items()}

        intro = QLabel(self.tr("MLX Studio doesn't know the fields of <b>{name}</b>. Say which field "
                           "holds what; the preview shows the first rows as they will open. The "
                           "file itself is not changed.").format(name=path.name))
        intro.setObjectName("field-map-intro")
        intro.setWordWrap(True)
        intro.setTextFormat(Qt.TextFormat.RichText)

        grid_box = QWidget()
        grid = QGridLayout(grid_box)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(12)
        for col, text in enumerate((self.tr("Field"), self.tr("Use as"), self.tr("First value"))):
            grid.addWidget(QLabel(f"<b>{text}</b>"), 0, col)
        self.combos: dict[str, QComboBox] = {}
        for i, fld in enumerate(self.fields, start=1):
            name = QLabel(fld)
            name.setObjectName(f"field-name-{i}")
            combo = QComboBox()
            combo.setObjectName(f"field-role-{i}")
            combo.setAccessibleName(self.tr("What the field “{fld}” is").format(fld=fld))
            for text, feature in CHOICES:
                combo.addItem(translate("field_map_dialog", text), feature)
            combo.setCurrentIndex(combo.findData(chosen.get(fld)))
            combo.currentIndexChanged.connect(self._update)
            name.setBuddy(combo)
            example = ElidedLabel(_example(self.rows, fld))  # a long value never widens the dialog
            example.setEnabled(False)  # the palette's dimmed text
            example.setToolTip(example.text())
            grid.addWidget(name, i, 0)
            grid.addWidget(combo, i, 1)
            grid.addWidget(example, i, 2)
            self.combos[fld] = combo
        grid.setColumnStretch(2, 1)
        grid.setRowStretch(len(self.fields) + 1, 1)  # the rows stay together at the top
        scroll = QScrollArea()
        scroll.setObjectName("field-map-fields")
        scroll.setWidget(grid_box)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        row_h = max(c.sizeHint().height() for c in self.combos.values()) if self.combos else 24
        full = grid_box.sizeHint().height() + 2
        scroll.setMaximumHeight(full)  # never taller than its rows; many fields scroll
        scroll.setMinimumHeight(min(full, 7 * (row_h + grid.verticalSpacing())))

        self.preview_label = QLabel(self.tr("Preview"))
        self.preview = QTableWidget()
        self.preview.setObjectName("field-map-preview")
        self.preview.setAccessibleName(self.tr("Preview of the first rows as they will open"))
        self.preview.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.preview.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.preview.setWordWrap(False)
        self.preview.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.preview.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        self.preview.setFixedHeight((PREVIEW_ROWS + 1) * (self.fontMetrics().height() + 10) + 8)  # the rest: fields
        self.preview_label.setBuddy(self.preview)

        self.status_icon = QLabel()
        self.status_icon.setFixedSize(20, 20)
        self.status = QLabel()
        self.status.setObjectName("field-map-status")
        self.status.setWordWrap(True)
        self.status.setAccessibleName(self.tr("What the choice gives"))
        status_row = QHBoxLayout()
        status_row.addWidget(self.status_icon, 0, Qt.AlignmentFlag.AlignTop)
        status_row.addWidget(self.status, 1)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(self.tr("Open"))
        self.ok_button.setDefault(True)
        self.ok_button.setAccessibleName(self.tr("Open the file with these fields"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        lay = QVBoxLayout(self)
        lay.addWidget(intro)
        lay.addSpacing(6)
        lay.addWidget(scroll, 1)
        lay.addSpacing(6)
        lay.addWidget(self.preview_label)
        lay.addWidget(self.preview)
        lay.addStretch(0)  # a larger dialog: the room goes below the preview, not between the fields
        lay.addLayout(status_row)
        lay.addWidget(self.buttons)
        self._update()
        needed = lay.heightForWidth(720) if lay.hasHeightForWidth() else self.sizeHint().height()  # wrapped text
        self.resize(720, min(600, max(needed, self.minimumSizeHint().height())))  # few fields: no gap; many: scroll

    # -- the choice ------------------------------------------------------------------------------------------------
    def choices(self) -> dict[str, str | None]:
        """``{field: feature or None}`` as the combos say."""
        return {fld: combo.currentData() for fld, combo in self.combos.items()}

    def field_map(self) -> FieldMap:
        return field_map_of(self.choices())

    def set_choice(self, fld: str, feature: str | None) -> None:
        """Choose what ``fld`` is (``None``: not used), as the person would with the combo."""
        combo = self.combos[fld]
        combo.setCurrentIndex(combo.findData(feature))

    def _update(self, *_: Any) -> None:
        result = preview_mapping(self.rows, self.choices())
        fmt = result.format
        columns = COLUMNS[fmt] if fmt else ()
        shown = result.rows[:PREVIEW_ROWS]
        self.preview.clear()
        self.preview.setColumnCount(len(columns))
        self.preview.setHorizontalHeaderLabels([header_title(c) for c in columns])
        self.preview.setRowCount(len(shown))
        if fmt:
            ds = Dataset(fmt, list(shown))
            for r in range(len(shown)):
                for c, column in enumerate(columns):
                    text = ds.cell(r, column)
                    item = QTableWidgetItem(one_line(text))
                    item.setToolTip(text[:2000])
                    self.preview.setItem(r, c, item)
        if result.error:
            kind, text = "error", result.error[0].upper() + result.error[1:] + "."
        elif result.problems:
            more = len(result.problems) - 1
            kind = "warning"
            text = (f"{result.problems[0][0].upper()}{result.problems[0][1:]}"
                    + (self.tr(" (and {more} more in the first {n} rows)").format(
                        more=more, n=len(self.rows)) if more else "")
                    + self.tr(" — you can fix rows in the grid after opening, or choose other fields."))
        else:
            kind = "info"
            noun = {"completion": self.tr("prompt/completion pairs"), "chat": self.tr("chat rows"),
                    "text": self.tr("text rows")}[fmt or "text"]
            text = self.tr("Opens as {noun}. Fields set to “not used” are left out.").format(noun=noun)
        self.status_icon.setPixmap(icons.status_icon(kind).pixmap(18, 18))
        self.status.setText(text)
        self.ok_button.setEnabled(result.error is None)
        self.preview_label.setText(self.tr("Preview") + (self.tr(" (first {n} rows)").format(
            n=len(shown)) if shown else ""))


