"""The window's proportions: the canvas column, the input + F6 column and the internals column.

Qt gives every pixel a window gains to the central widget (the canvas) and takes from the docks
first when it shrinks, so shrinking and growing again used to leave the canvas with all the width
and F6 behind scrollbars. Here the docks keep *fractions* of the window's width, re-applied after
every resize; a splitter dragged by the person changes the fractions. Vertically the input takes
what its zoom needs (it scrolls if even that does not fit) and F6 everything else, never less than
all ten of its rows. Saved states are versioned and checked against the current screen.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QByteArray, QEvent, QObject, QRect, QSettings, QSize, Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDockWidget, QFrame, QMainWindow, QScrollArea, QWidget

log = logging.getLogger(__name__)

#: Saved states from another layout version are ignored (the old one saved broken layouts;
#: version 2 kept the Why? and pieces panels in columns of their own, taller than the screen).
LAYOUT_VERSION = 3
DEFAULT_SIZE = QSize(1280, 800)
#: Narrower than this (logical px), the internals share F6's place as a tab.
SIDE_BY_SIDE_WIDTH = 1180
MIN_CANVAS_WIDTH = 300
FRACTIONS_KEY = "window/dock_fractions"


def screen_area(widget: QWidget) -> QRect:
    """The available geometry of the widget's screen (tests replace this to play other screens)."""
    screen = widget.screen() or QGuiApplication.primaryScreen()
    return screen.availableGeometry()


def place_on_screen(window: QWidget) -> None:
    """A first place for a tool window, before it is shown (a window manager keeps a given place):
    at the right of the screen's available area, below its top, no larger than the area. Left to
    the window manager, Trace a Unit went under the mouse and ran off the bottom at 1024×700."""
    area = screen_area(window)
    window.resize(min(window.width(), area.width() - 16), min(window.height(), area.height() - 48))
    window.move(max(area.left(), area.right() + 1 - window.width() - 12), area.top() + 36)


def keep_on_screen(window: QWidget) -> None:
    """Within the screen's available area: narrower if need be, moved left or up if it runs off."""
    area, frame = screen_area(window), window.frameGeometry()
    if frame.width() > area.width() or frame.height() > area.height():
        window.resize(min(window.width(), area.width() - (frame.width() - window.width())),
                      min(window.height(), area.height() - (frame.height() - window.height())))
        frame = window.frameGeometry()
    x = min(max(frame.x(), area.left()), area.right() + 1 - frame.width())
    y = min(max(frame.y(), area.top()), area.bottom() + 1 - frame.height())
    if (x, y) != (frame.x(), frame.y()):
        window.move(x, y)


def scrollable(widget: QWidget) -> QScrollArea:
    """`widget` in a frameless scroll area: on a small screen a panel scrolls instead of clipping."""
    area = QScrollArea()
    area.setWidget(widget)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    return area


def make_dock(window: QMainWindow, title: str, name: str, widget: QWidget, action_text: str) -> QDockWidget:
    """A dock of `window` holding `widget`; `name` keys its place in the saved state, `action_text`
    names it in the View menu."""
    dock = QDockWidget(title, window)
    dock.setObjectName(name)
    dock.setWidget(widget)
    dock.setAllowedAreas(Qt.DockWidgetArea.AllDockWidgetAreas)
    dock.toggleViewAction().setText(action_text)
    return dock


@dataclass
class Fractions:
    """Widths as fractions of the window: the input/F6 column and the internals column."""

    middle: float = 0.36
    internals: float = 0.30

    def valid(self) -> bool:
        return 0.15 <= self.middle <= 0.75 and 0.0 <= self.internals <= 0.6 and self.middle + self.internals <= 0.85


class WindowLayout(QObject):
    def __init__(self, window: QMainWindow, input_dock: QDockWidget, f6_dock: QDockWidget,
                 internals_dock: QDockWidget, input_content: QWidget, f6_panel: QWidget):
        super().__init__(window)
        self.main_window = window
        self.input_dock, self.f6_dock, self.internals_dock = input_dock, f6_dock, internals_dock
        self.input_content, self.f6_panel = input_content, f6_panel
        self.fractions = Fractions()
        self.side_panels: list[tuple[QDockWidget, Callable[[], bool]]] = []
        self._applied: tuple[QSize, int, int] | None = None  # window size, middle and internals widths
        self._tab_before: dict[QDockWidget, QDockWidget | None] = {}  # side panel shown -> the tab it covered
        self._default_state: QByteArray | None = None
        self._fit_timer = QTimer(self)
        self._fit_timer.setSingleShot(True)
        self._fit_timer.setInterval(0)
        self._fit_timer.timeout.connect(self.fit)
        window.installEventFilter(self)
        f6_panel.minimumHeightChanged.connect(self.fit_soon)

    # ---- arranging -----------------------------------------------------------------------------
    def arrange_default(self) -> None:
        """Input above F6 beside the canvas, the internals in a column of their own, or tabbed
        with F6 on a narrow screen. Remembered for Reset Layout."""
        w = self.main_window
        w.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.input_dock)
        w.splitDockWidget(self.input_dock, self.internals_dock, Qt.Orientation.Horizontal)
        w.splitDockWidget(self.input_dock, self.f6_dock, Qt.Orientation.Vertical)
        self._tab_if_narrow()
        self.fractions = self.default_fractions()
        self._default_state = w.saveState(LAYOUT_VERSION)

    def add_side_panels(self, panels: list[tuple[QDockWidget, Callable[[], bool]]]) -> None:
        """Panels opened on demand (the Why? panel, number mode's pieces) share the internals'
        place as tabs, raised when shown: stacked beside the other panels they made the window
        taller than the screen (983×751 at 1024×700, 1228×1035 at 1280×800). Each comes with
        whether Reset Layout shows it (number mode's pieces while number mode is on)."""
        for dock, _shown in panels:
            self.main_window.tabifyDockWidget(self.internals_dock, dock)
            dock.installEventFilter(self)
        self.side_panels = list(panels)
        self._default_state = self.main_window.saveState(LAYOUT_VERSION)

    def _in_front(self, dock: QDockWidget) -> QDockWidget:
        """`dock`, or the dock tabbed with it that is in front of it."""
        if dock.visibleRegion().isEmpty():
            return self._front_tab(dock) or dock
        return dock

    def _front_tab(self, panel: QDockWidget) -> QDockWidget | None:
        """The dock in front among those `panel` is tabbed with (None: none is)."""
        for dock in self.main_window.tabifiedDockWidgets(panel):
            if not dock.isHidden() and not dock.visibleRegion().isEmpty():
                return dock
        return None

    def _tab_if_narrow(self) -> None:
        if self.default_size().width() < SIDE_BY_SIDE_WIDTH:
            self.main_window.tabifyDockWidget(self.f6_dock, self.internals_dock)
            self.f6_dock.raise_()

    def default_fractions(self) -> Fractions:
        """Three columns on a wide screen; on a narrow one, where the internals are a tab beside
        F6, the input/F6 column takes nearly half (F6 then shows its comparison beside the rows)."""
        return Fractions(0.34, 0.33) if self.default_size().width() >= SIDE_BY_SIDE_WIDTH else Fractions(0.48, 0.30)

    def default_size(self) -> QSize:
        """~1280×800, never larger than the screen (a laptop, or 200 % scaling on 1080p)."""
        area = screen_area(self.main_window)
        return QSize(min(DEFAULT_SIZE.width(), int(area.width() * 0.96)),
                     min(DEFAULT_SIZE.height(), int(area.height() * 0.92)))

    def reset(self) -> None:
        """View → Reset Layout: the default size, arrangement and proportions, every panel shown."""
        w = self.main_window
        for dock in (self.input_dock, self.f6_dock, self.internals_dock):
            dock.setFloating(False)
            dock.show()
        if self._default_state is not None:
            w.restoreState(self._default_state, LAYOUT_VERSION)
        for dock in (self.input_dock, self.f6_dock, self.internals_dock):
            dock.show()
        for dock, shown in self.side_panels:
            dock.setVisible(shown())
        self.fractions = self.default_fractions()
        if w.isMaximized() or w.isFullScreen():
            w.showNormal()
        w.resize(self.default_size())
        self._centre()
        self.f6_dock.raise_()
        self.fit()

    def _centre(self) -> None:
        area, frame = screen_area(self.main_window), self.main_window.frameGeometry()
        frame.moveCenter(area.center())
        self.main_window.move(frame.topLeft())

    # ---- saving and restoring ------------------------------------------------------------------
    def save(self, settings: QSettings, geometry_key: str, state_key: str) -> None:
        settings.setValue(geometry_key, self.main_window.saveGeometry())
        settings.setValue(state_key, self.main_window.saveState(LAYOUT_VERSION))
        settings.setValue(FRACTIONS_KEY, f"{self.fractions.middle:.4f},{self.fractions.internals:.4f}")

    def restore(self, settings: QSettings, geometry_key: str, state_key: str) -> bool:
        """The saved geometry, arrangement and proportions, each only if valid here and now;
        anything unusable is ignored (the defaults stay). True if the saved arrangement was used."""
        w = self.main_window
        w.resize(self.default_size())
        geometry, state = settings.value(geometry_key), settings.value(state_key)
        if isinstance(geometry, QByteArray) and w.restoreGeometry(geometry) and not self._fits_screen():
            log.info("saved window geometry does not fit this screen: using the default")
            w.resize(self.default_size())
            self._centre()
        restored = isinstance(state, QByteArray) and w.restoreState(state, LAYOUT_VERSION)
        if restored:
            for dock in (self.input_dock, self.f6_dock, self.internals_dock):
                if dock.isFloating() and not screen_area(w).intersects(dock.frameGeometry()):
                    dock.setFloating(False)  # a panel left on a screen that is gone
        fractions = self._read_fractions(settings.value(FRACTIONS_KEY))
        if fractions is not None:
            self.fractions = fractions
        return restored

    @staticmethod
    def _read_fractions(value) -> Fractions | None:
        try:
            middle, internals = (float(part) for part in str(value).split(","))
        except (TypeError, ValueError):
            return None
        fractions = Fractions(middle, internals)
        return fractions if fractions.valid() else None

    def _fits_screen(self) -> bool:
        area, frame = screen_area(self.main_window), self.main_window.frameGeometry()
        return (frame.width() <= area.width() + 8 and frame.height() <= area.height() + 8
                and area.intersected(frame).width() * area.intersected(frame).height()
                >= 0.5 * frame.width() * frame.height())

    # ---- keeping the proportions ---------------------------------------------------------------
    def _separate_internals(self) -> bool:
        """The internals are a column of their own (shown, docked, not tabbed with F6)."""
        dock = self.internals_dock
        return (dock.isVisibleTo(self.main_window) and not dock.isFloating()
                and not self.main_window.tabifiedDockWidgets(dock))

    def _widths(self) -> tuple[int, int]:
        return self.input_dock.width(), self.internals_dock.width() if self._separate_internals() else 0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if any(watched is dock for dock, _ in self.side_panels):
            if event.type() == QEvent.Type.Show and watched not in self._tab_before:
                self._tab_before[watched] = self._front_tab(watched)
                QTimer.singleShot(0, watched.raise_)  # a tab shown behind another would look like nothing
            elif event.type() == QEvent.Type.Hide and watched.isHidden():  # closed, not a tab put behind
                before = self._tab_before.pop(watched, None)
                if before is not None and not before.isHidden():
                    # Back to the tab that was in front (closing Why? showed the internals, not F6).
                    QTimer.singleShot(0, before.raise_)
        if watched is self.main_window:
            if event.type() in (QEvent.Type.Resize, QEvent.Type.Show):
                self._fit_timer.start()
            elif event.type() == QEvent.Type.MouseButtonRelease:
                # The dock separators belong to the main window: a drag of one ends here.
                QTimer.singleShot(0, self._learn_fractions)
        return False

    def _learn_fractions(self) -> None:
        """The person dragged a separator: its new place is the proportion kept from now on."""
        if self._applied is None or self._applied[0] != self.main_window.size():
            return
        middle, internals = self._widths()
        if abs(middle - self._applied[1]) > 4 or abs(internals - self._applied[2]) > 4:
            width = max(1, self.main_window.width())
            dragged = Fractions(middle / width, internals / width if internals else self.fractions.internals)
            if dragged.valid():
                self.fractions = dragged
                self._applied = (self.main_window.size(), middle, internals)

    def fit_soon(self) -> None:
        """Fit once the event loop has laid out what just changed (e.g. the input's zoom)."""
        self._fit_timer.start()

    def _internals_need(self) -> int:
        """The internals dock's width at which its scrolled content needs no horizontal scroll bar."""
        area = self.internals_dock.widget()
        if not isinstance(area, QScrollArea) or area.widget() is None:
            return 0
        chrome = self.internals_dock.width() - area.viewport().width()
        return area.widget().sizeHint().width() + max(chrome, area.verticalScrollBar().sizeHint().width() + 12)

    def fit(self) -> None:
        """Apply the fractions to the window's width, and give F6 all the height the input does
        not need (at least its minimum: all ten rows)."""
        w = self.main_window
        width = w.width()
        middle = max(int(width * self.fractions.middle), self.f6_panel.minimumSizeHint().width() + 16)
        if self._separate_internals():
            # At least what the feature maps need side by side where there is room (at 1280×800
            # the fraction left them 5 px short, behind a horizontal scroll bar).
            internals = max(int(width * self.fractions.internals), self._internals_need())
            spare = width - MIN_CANVAS_WIDTH - middle - 24
            internals = max(120, min(internals, spare))
            w.resizeDocks([self.input_dock, self.internals_dock], [middle, internals], Qt.Orientation.Horizontal)
        else:
            internals = 0
            w.resizeDocks([self.input_dock], [middle], Qt.Orientation.Horizontal)
        if self.input_dock.isVisibleTo(w) and self.f6_dock.isVisibleTo(w) and not self.f6_dock.isFloating():
            # The tab in front below the input: resizing F6 behind the internals' tab did nothing,
            # so a window started with the internals in front kept the input a scrolled strip.
            below = self._in_front(self.f6_dock)
            if below is not self.f6_dock:
                self.f6_panel.fit_width(middle - 4)
            column = self.input_dock.height() + below.height()
            title = self.input_dock.height() - self.input_dock.widget().height()
            f6_needs = self.f6_panel.minimum_height_for_width(middle - 4) + title + 4
            wanted = self.input_content.sizeHint().height() + title + 4
            input_height = max(60, min(wanted, column - f6_needs))
            w.resizeDocks([self.input_dock, below], [input_height, column - input_height], Qt.Orientation.Vertical)
        # resizeDocks takes effect when the layout next runs: measure what it gave after that.
        self._applied = None
        QTimer.singleShot(0, self._record_applied)

    def _record_applied(self) -> None:
        self._applied = (self.main_window.size(), *self._widths())
