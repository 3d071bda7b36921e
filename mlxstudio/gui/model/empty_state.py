"""What the Model page shows when the library is empty: the ways to get a model, the quickest first — including the
model someone already has (a folder, or one found on this computer)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from mlxstudio.gui import icons


class EmptyLibrary(QWidget):
    """"Your model library is empty" with [Install the demo model], [Add Folder…], [Import GGUF…] and [Find Models on
    This Computer] (download is below)."""

    demo_clicked = Signal()
    import_clicked = Signal()
    add_folder_clicked = Signal()
    found_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("empty-library")
        art = QLabel()
        art.setPixmap(icons.icon("library").pixmap(56, 56))
        art.setAlignment(Qt.AlignmentFlag.AlignCenter)
        head = QLabel(self.tr("Your model library is empty"))
        font = head.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        head.setFont(font)
        head.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.text = QLabel(
            self.tr("Start with the demo model (SmolLM2-135M-Instruct, 98 MB): it trains in minutes, even without "
            "a GPU. "
            "Already have a model? Add its folder (what `modelscope download` or Hugging Face wrote), import a "
            "GGUF file — or drop either onto this window — or look for the models already on this computer. "
            "Or download one from ModelScope or Hugging Face below.")
        )
        self.text.setWordWrap(True)
        self.text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.text.setMaximumWidth(540)
        self.demo_button = QPushButton(icons.icon("demo"), self.tr("Install the Demo Model"))
        self.demo_button.setObjectName("install-demo")
        self.demo_button.setDefault(True)
        self.demo_button.clicked.connect(self.demo_clicked)
        self.import_button = QPushButton(icons.icon("import"), self.tr("Import GGUF…"))
        self.import_button.setObjectName("empty-import-gguf")
        self.import_button.clicked.connect(self.import_clicked)
        self.add_folder_button = QPushButton(icons.icon("add-folder"), self.tr("Add Folder…"))
        self.add_folder_button.setObjectName("empty-add-folder")
        self.add_folder_button.clicked.connect(self.add_folder_clicked)
        self.found_button = QPushButton(icons.icon("found"), self.tr("Find Models on This Computer"))
        self.found_button.setObjectName("empty-find-models")
        self.found_button.setToolTip(self.tr("Look in the Hugging Face and ModelScope caches, LM Studio and Ollama"))
        self.found_button.clicked.connect(self.found_clicked)
        row = QHBoxLayout()
        row.addStretch(1)
        for button in (self.demo_button, self.add_folder_button, self.import_button, self.found_button):
            row.addWidget(button)
        row.addStretch(1)
        lay = QVBoxLayout(self)
        lay.addStretch(1)
        lay.addWidget(art)
        lay.addWidget(head)
        centre = QHBoxLayout()  # no alignment flag on a word-wrapped label: Qt would not give it its height
        centre.addStretch(1)
        centre.addWidget(self.text, 4)
        centre.addStretch(1)
        lay.addLayout(centre)
        lay.addSpacing(8)
        lay.addLayout(row)
        lay.addStretch(1)

    def set_busy(self, busy: bool) -> None:
        """Disable the buttons while an import runs."""
        for button in (self.demo_button, self.import_button, self.add_folder_button):
            button.setEnabled(not busy)
