"""The feature maps of C1, S2, C3, S4 and C5, with C3's connection table and a detail view.

Each map is a small colour-mapped image on the fixed ±1.7159 scale of the squashing function.
Hovering a map shows it large (with its value range) in the detail view at the top; clicking
keeps it there while the drawing changes, so one can watch a single feature respond.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QPainter, QPaintEvent, QPalette, QPen, QShowEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from digitpad.network.architecture import C3_TABLE
from digitpad.gui.widgets.colormap import diverging_packed
from digitpad.gui.panels.f6_panel import ColourScale
from digitpad.gui.widgets.map_grid import MapGrid
from digitpad.gui.widgets.pixel_view import PixelView

if TYPE_CHECKING:
    from digitpad.reading.recognition import Recognition


@dataclass(frozen=True)
class LayerSpec:
    name: str        # attribute of Recognition
    title: str       # "C1 · 6@28×28"
    maps: int
    shape: tuple[int, int]
    cell: float      # logical pixels per unit in the tiles
    per_row: int


LAYERS = (
    LayerSpec("c1", "C1 · 6@28×28 (convolutions of the input)", 6, (28, 28), 2, 6),
    LayerSpec("s2", "S2 · 6@14×14 (subsampled C1)", 6, (14, 14), 3, 6),
    LayerSpec("c3", "C3 · 16@10×10 (convolutions of S2, wired by Table I)", 16, (10, 10), 4, 8),
    LayerSpec("s4", "S4 · 16@5×5 (subsampled C3)", 16, (5, 5), 7, 8),
    LayerSpec("c5", "C5 · 120@1×1 (shown as 10×12)", 1, (10, 12), 6, 1),
)
DETAIL_SIDE = 112  # logical pixels of the detail view's longer side


def layer_maps(recognition: Recognition, spec: LayerSpec) -> np.ndarray:
    """The layer's maps as (maps, rows, columns); C5's 120 1×1 maps become one 10×12 picture."""
    values = np.asarray(getattr(recognition, spec.name))
    return values.reshape(spec.maps, *spec.shape)


def describe_range(values: np.ndarray) -> str:
    return f"min {values.min():+.3f} · max {values.max():+.3f} · mean {values.mean():+.3f}"


def range_lines(values: np.ndarray) -> str:
    return f"min {values.min():+.3f}\nmax {values.max():+.3f}\nmean {values.mean():+.3f}"


class C3TableView(QWidget):
    """Table I of the paper: a dot where C3 map k (column) reads S2 map i (row)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._highlight: int | None = None
        self.setToolTip("Table I: which S2 maps (rows) each C3 map (columns) takes input from")

    def set_highlight(self, c3_map: int | None) -> None:
        if c3_map != self._highlight:
            self._highlight = c3_map
            self.update()

    def highlighted(self) -> int | None:
        return self._highlight

    def _metrics(self) -> tuple[float, float, float, float]:
        """Label column width, header height, cell width, cell height: all from the font, so
        the table stays legible at any scale factor."""
        fm = self.fontMetrics()
        label_width = fm.horizontalAdvance("S2 0") + 6
        cell_width = max(12.0, fm.horizontalAdvance("15") * 0.85 + 5)
        cell_height = max(11.0, fm.height() * 0.8)
        return label_width, float(fm.height() + 2), cell_width, cell_height

    def sizeHint(self) -> QSize:
        label_width, header, cell_w, cell_h = self._metrics()
        return QSize(int(label_width + 16 * cell_w + 2), int(header + 6 * cell_h + 2))

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        text = palette.color(QPalette.ColorRole.WindowText)
        label_width, header, cell_w, cell_h = self._metrics()
        if self._highlight is not None:
            column = QRectF(label_width + self._highlight * cell_w, 0, cell_w, header + 6 * cell_h)
            painter.fillRect(column, palette.color(QPalette.ColorRole.Highlight))
        small = painter.font()
        small.setPointSizeF(small.pointSizeF() * 0.85)
        painter.setFont(small)
        for k in range(16):
            selected = k == self._highlight
            painter.setPen(palette.color(QPalette.ColorRole.HighlightedText) if selected else text)
            painter.drawText(QRectF(label_width + k * cell_w, 0, cell_w, header), Qt.AlignmentFlag.AlignCenter, str(k))
        painter.setPen(text)
        for i in range(6):
            painter.drawText(QRectF(0, header + i * cell_h, label_width - 4, cell_h),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, f"S2 {i}")
        grid = QPen(palette.color(QPalette.ColorRole.Mid), 0.5)
        radius = min(cell_w, cell_h) * 0.3
        for k, inputs in enumerate(C3_TABLE):
            selected = k == self._highlight
            for i in range(6):
                centre = QPointF(label_width + (k + 0.5) * cell_w, header + (i + 0.5) * cell_h)
                painter.setPen(grid)
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawRect(QRectF(centre.x() - cell_w / 2, centre.y() - cell_h / 2, cell_w, cell_h))
                if i in inputs:
                    painter.setPen(Qt.PenStyle.NoPen)
                    role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.WindowText
                    painter.setBrush(palette.color(role))
                    painter.drawEllipse(centre, radius, radius)


class MapDetail(QWidget):
    """One map shown large, with its name and value range."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.view = PixelView(QSize(28, 28), 4, self)
        self.view.setFixedSize(DETAIL_SIDE + 4, DETAIL_SIDE + 4)
        self.title = QLabel("Hover or click a map to see it here", self)
        self.title.setWordWrap(True)
        # Three lines of fixed size: a label whose size can change makes the whole panel lay
        # itself out again, on every recognition (that cost more than painting every map).
        self.range = QLabel(range_lines(np.full(1, -1.7159)), self)
        self.range.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        hint = self.range.sizeHint()
        self.range.setFixedSize(hint.width() + self.range.fontMetrics().horizontalAdvance("00"), hint.height())
        self.range.setText("")
        text = QVBoxLayout()
        text.addWidget(self.title)
        text.addWidget(self.range)
        text.addStretch(1)
        text.addWidget(ColourScale(self))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)
        layout.addLayout(text, 1)

    def show_map(self, title: str, values: np.ndarray | None) -> None:
        self.title.setText(title)
        if values is None:
            self.view.set_image(None)
            self.range.setText("")
            return
        self.view.set_packed(diverging_packed(values), values)
        self.view.set_unit_description(lambda r, c, v: f"({r}, {c}) = {v:+.3f}")
        self.range.setText(range_lines(values))


class InternalsPanel(QScrollArea):
    """All hidden layers of one recognition; empty tiles when there is none."""

    unitClicked = Signal(str, int, int, int)  # layer, map, row, column (C5: unit index, 0, 0)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._recognition: Recognition | None = None
        self._stale = False
        self.grids: dict[str, MapGrid] = {}
        self._selected: tuple[str, int] | None = None
        self._hovered: tuple[str, int] | None = None

        body = QWidget(self)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(6)
        self.detail = MapDetail(body)
        self.detail.setAccessibleName("Feature map shown large")
        layout.addWidget(self.detail)
        layout.addWidget(self._separator(body))
        self.section_titles: dict[str, QLabel] = {}
        for spec in LAYERS:
            title = QLabel(self._title_html(spec), body)
            self.section_titles[spec.name] = title
            layout.addWidget(title)
            grid = MapGrid(spec.maps, QSize(spec.shape[1], spec.shape[0]), spec.cell, spec.per_row, body)
            grid.clicked.connect(lambda i, name=spec.name: self.select_map(name, i))
            grid.unitClicked.connect(lambda i, r, c, name=spec.name: self._unit_clicked(name, i, r, c))
            grid.hovered.connect(lambda i, name=spec.name: self._hover(name, i))
            grid.tooltip = lambda i, name=spec.name: self.map_tooltip(name, i)
            grid.setAccessibleName(f"{spec.title.split(' (')[0]} feature maps")  # for screen readers
            self.grids[spec.name] = grid
            layout.addWidget(grid, 0, Qt.AlignmentFlag.AlignLeft)
            if spec.name == "c3":
                self.c3_table = C3TableView(body)
                self.c3_table.setAccessibleName("C3 connection table (Table I)")
                layout.addWidget(self.c3_table, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addStretch(1)
        self.setWidget(body)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.select_map("c1", 0)  # something in the detail view from the start shows what it is for

    @staticmethod
    def _title_html(spec: LayerSpec) -> str:
        short, _, rest = spec.title.partition(" (")
        return f"<b>{short}</b>" + (f" <small>({rest}</small>" if rest else "")

    @staticmethod
    def _separator(parent: QWidget) -> QFrame:
        line = QFrame(parent)
        line.setFrameShape(QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Sunken)
        return line

    def sizeHint(self) -> QSize:
        body = self.widget().sizeHint()
        return QSize(body.width() + self.verticalScrollBar().sizeHint().width() + 4, min(body.height(), 700))

    # ---- content ---------------------------------------------------------------------------
    def show_recognition(self, recognition: Recognition | None) -> None:
        # This runs on every mouse move while drawing. While the panel is hidden (a closed dock,
        # or the tab behind the F6 panel) the maps are left stale and brought up to date when it
        # is shown or read.
        self._recognition = recognition
        self._stale = True
        if self.isVisibleTo(self.window()) or self.window() is self:
            self._refresh_tiles()

    def _refresh_tiles(self) -> None:
        # One vectorised colour mapping per layer, written into the layer's image in place;
        # per-map tooltips are written when asked for.
        self._stale = False
        for spec in LAYERS:
            if self._recognition is None:
                self.grids[spec.name].set_maps(None)
                continue
            maps = layer_maps(self._recognition, spec)
            self.grids[spec.name].set_maps(diverging_packed(maps), maps)
        self._refresh_detail()

    def showEvent(self, event: QShowEvent) -> None:
        if self._stale:
            self._refresh_tiles()
        super().showEvent(event)

    def select_map(self, layer: str, index: int) -> None:
        """Keep one map in the detail view (clicking it again releases it)."""
        self._selected = None if self._selected == (layer, index) else (layer, index)
        for name, grid in self.grids.items():
            grid.set_highlighted(self._selected[1] if self._selected and self._selected[0] == name else -1)
        self._refresh_detail()

    def selected_map(self) -> tuple[str, int] | None:
        return self._selected

    def grid(self, layer: str) -> MapGrid:
        """The layer's maps, up to date."""
        if self._stale:
            self._refresh_tiles()
        return self.grids[layer]

    def _unit_clicked(self, layer: str, index: int, row: int, col: int) -> None:
        if layer == "c5":  # C5's 120 units are drawn as one 10×12 picture
            index, row, col = row * 12 + col, 0, 0
        self.unitClicked.emit(layer, index, row, col)

    def _hover(self, layer: str, index: int) -> None:
        hovered = (layer, index) if index >= 0 else None
        if hovered is None and self._hovered is not None and self._hovered[0] != layer:
            return  # leaving one layer's maps after entering another's
        self._hovered = hovered
        self._refresh_detail()

    def _map_title(self, layer: str, index: int) -> str:
        spec = next(s for s in LAYERS if s.name == layer)
        short = spec.title.split(" (")[0]
        if layer == "c5":
            return f"<b>{short}</b><br>120 units, row by row"
        title = f"<b>{short}</b> — map {index}"
        if layer == "c3":
            title += f"<br>reads S2 maps {', '.join(map(str, C3_TABLE[index]))}"
        return title

    def _refresh_detail(self) -> None:
        shown = self._hovered or self._selected
        self.c3_table.set_highlight(shown[1] if shown and shown[0] == "c3" else None)
        if shown is None:
            self.detail.show_map("Hover over a map to see it here, large; click one to keep it here", None)
            return
        layer, index = shown
        values = None
        if self._recognition is not None:
            spec = next(s for s in LAYERS if s.name == layer)
            values = layer_maps(self._recognition, spec)[index]
        self.detail.show_map(self._map_title(layer, index), values)

    def map_tooltip(self, layer: str, index: int) -> str:
        """The tooltip of a map tile: its name and, when there is a recognition, its value range."""
        text = self._map_title(layer, index)
        if self._recognition is not None:
            spec = next(s for s in LAYERS if s.name == layer)
            text += f"<br>{describe_range(layer_maps(self._recognition, spec)[index])}"
        return text
