"""Pictures of what the network learned and got wrong, drawn with Pillow (no Qt, no torch) for
`digitpad evaluate --mistakes` and `digitpad timelapse`: the Figure 8–style grid of mistakes, a
time-lapse snapshot's C1 and C3 kernels, and the training curves with the snapshot's point.

The kernel sheet is a numpy RGB array so the GUI shows the very same picture.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw

from digitpad.explain.colours import diverging_rgb
from digitpad.explain.mistakes import REFUSED, MistakeReport
from digitpad.explain.pictures import _font
from digitpad.ink.normalise import input_greys
from digitpad.ticks import nice_ticks
from digitpad.network.architecture import C3_TABLE

# ---- Figure 8 ------------------------------------------------------------------------------------

#: Cells per row of the mistakes grid, and the most mistakes drawn (a model far worse than the
#: paper's has thousands; the grid would be unreadable and huge).
GRID_COLUMNS = 12
MAX_GRID_MISTAKES = 600


def mistakes_grid(report: MistakeReport, columns: int = GRID_COLUMNS, scale: int = 2,
                  limit: int = MAX_GRID_MISTAKES) -> Image.Image:
    """Each mistake's input with "true->answer" and its margin under it, most confident first; a
    refused one reads "4->? (9)" (no answer; the closest digit in brackets)."""
    mistakes = report.mistakes[:limit]
    side = 32 * scale
    cell_w, cell_h = side + 16, side + 34
    rows = max(1, -(-len(mistakes) // columns))
    title_h = 30
    sheet = Image.new("RGB", (columns * cell_w + 8, title_h + rows * cell_h + 8), "white")
    draw = ImageDraw.Draw(sheet)
    font = _font()
    shown = f" (the first {limit:,} drawn)" if len(report.mistakes) > limit else ""
    draw.text((8, 6), report.summary() + shown, fill="black", font=font)
    for n, mistake in enumerate(mistakes):
        x, y = 8 + (n % columns) * cell_w, title_h + (n // columns) * cell_h
        greys = input_greys(report.examples.input(mistake.index))
        sheet.paste(Image.fromarray(greys, "L").resize((side, side), Image.Resampling.NEAREST), (x, y))
        label = (f"{mistake.true}->? ({mistake.answer})" if mistake.reason == REFUSED
                 else f"{mistake.true}->{mistake.answer}" + ("?" if mistake.reason != "wrong" else ""))
        colour = (150, 0, 0) if mistake.reason == "wrong" else (90, 90, 90)
        draw.text((x, y + side + 1), label, fill=colour, font=font)
        draw.text((x, y + side + 16), f"{round(mistake.margin, 1) + 0.0:.1f}", fill=(90, 90, 90), font=font)
    return sheet


# ---- the time-lapse ------------------------------------------------------------------------------

def kernel_limits(c1_stack: np.ndarray, c3_stack: np.ndarray) -> tuple[float, float]:
    """One colour scale per layer for the whole time-lapse (so growing weights look stronger):
    the largest magnitude of C1's and of C3's kernels over every snapshot."""
    return (max(float(np.abs(c1_stack).max()), 1e-6), max(float(np.abs(c3_stack).max()), 1e-6))


def kernel_sheet(c1: np.ndarray, c3: np.ndarray, limits: tuple[float, float], zoom: int = 6) -> np.ndarray:
    """(h, w, 3) uint8: C1's six 5×5 kernels in a row, then C3's as Table I — a column per C3
    map, a row per S2 map it may read, blank where the paper leaves the connection out."""
    c1 = np.asarray(c1, np.float64).reshape(6, 5, 5)
    c3 = np.asarray(c3, np.float64).reshape(-1, 5, 5)
    tile, gap = 5 * zoom, zoom
    width = 16 * (tile + gap) + gap
    c1_height = tile + 2 * gap
    height = c1_height + gap + 6 * (tile + gap) + gap
    sheet = np.full((height, width, 3), 255, np.uint8)

    def put(kernel: np.ndarray, limit: float, top: int, left: int) -> None:
        rgb = diverging_rgb(kernel, limit).repeat(zoom, 0).repeat(zoom, 1)
        sheet[top:top + tile, left:left + tile] = rgb

    for k in range(6):
        put(c1[k], limits[0], gap, gap + k * (tile + gap))
    row = 0
    for out, inputs in enumerate(C3_TABLE):
        for inp in inputs:
            put(c3[row], limits[1], c1_height + gap + inp * (tile + gap), gap + out * (tile + gap))
            row += 1
    return sheet


def kernels_picture(c1: np.ndarray, c3: np.ndarray, limits: tuple[float, float], title: str) -> Image.Image:
    """`kernel_sheet` with a title and the two layers named."""
    sheet = Image.fromarray(kernel_sheet(c1, c3, limits), "RGB")
    font = _font()
    picture = Image.new("RGB", (sheet.width + 70, sheet.height + 30), "white")
    picture.paste(sheet, (70, 30))
    draw = ImageDraw.Draw(picture)
    draw.text((8, 6), title, fill="black", font=font)
    draw.text((8, 36), "C1", fill="black", font=font)
    draw.text((8, 30 + 5 * 6 + 3 * 6 + 10), "C3", fill="black", font=font)
    draw.text((8, 30 + 5 * 6 + 3 * 6 + 28), "(Table I)", fill=(90, 90, 90), font=font)
    return picture


def curves_picture(epochs: Sequence[float], losses: Sequence[float | None], history: Sequence[dict],
                   current: int, size: tuple[int, int] = (900, 360)) -> Image.Image:
    """The training loss at each snapshot (and per epoch) and the test error per epoch, against
    epochs, with snapshot `current` marked by a line and dots."""
    width, height = size
    sheet = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(sheet)
    x_high = max([1.0, *epochs, *(h["epoch"] for h in history)])
    panels = (("training loss", [(e, v) for e, v in zip(epochs, losses) if v is not None], (0x33, 0x22, 0x88)),
              ("test error (%)", [(h["epoch"], 100 * h["test_error"]) for h in history
                                  if h.get("test_error") is not None], (0xCC, 0x66, 0x77)))
    panel_w = (width - 70) // 2  # room for the right-hand panel's last tick label
    at = epochs[current] if 0 <= current < len(epochs) else None
    for n, (name, points, colour) in enumerate(panels):
        box = (20 + n * (panel_w + 20) + 50, 30, 20 + n * (panel_w + 20) + panel_w, height - 40)
        _curve_panel(draw, box, name, points, colour, x_high, at, height)
    return sheet


def _curve_panel(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], name: str,
                 points: Sequence[tuple[float, float]], colour: tuple[int, int, int], x_high: float,
                 at: float | None, height: int) -> None:
    """One curve in `box` (its axes, ticks and name), with the point at epoch `at` marked."""
    left, top, right, bottom = box
    font = _font()
    draw.text((left - 50, 6), name, fill="black", font=font)
    # From 0 to the values, either side: eq. 9's loss goes below 0 once F6 is close to the
    # prototypes, so a fine-tuning run's curve is all negative (its top was 0: a division by zero).
    values = [v for _, v in points]
    y_low, y_high = min([0.0, *values]), max([0.0, *values])
    if y_high == y_low:
        y_high = y_low + 1.0
    ticks = nice_ticks(y_low, y_high, 4, inside=True)

    def px(x: float, y: float) -> tuple[float, float]:
        return left + x / x_high * (right - left), bottom - (y - y_low) / (y_high - y_low) * (bottom - top)

    for tick in ticks:
        _, y = px(0, tick)
        draw.line([(left, y), (right, y)], fill=(230, 230, 230))
        text = f"{tick:g}"
        draw.text((left - 6 - draw.textlength(text, font=font), y - 7), text, fill="black", font=font)
    for tick in nice_ticks(0.0, x_high, 5, inside=True):
        x, _ = px(tick, 0)
        text = f"{tick:g}"
        draw.text((x - draw.textlength(text, font=font) / 2, bottom + 4), text, fill="black", font=font)
    draw.text(((left + right) / 2 - 20, height - 20), "epoch", fill="black", font=font)
    draw.rectangle([left, top, right, bottom], outline="black")
    if len(points) > 1:
        draw.line([px(x, y) for x, y in points], fill=colour, width=2)
    elif points:
        cx, cy = px(*points[0])
        draw.ellipse([cx - 3, cy - 3, cx + 3, cy + 3], fill=colour)
    if at is not None:
        x, _ = px(at, 0)
        draw.line([(x, top), (x, bottom)], fill=(200, 0, 0), width=1)
        value = _value_at(points, at)
        if value is not None:
            cx, cy = px(at, value)
            draw.ellipse([cx - 5, cy - 5, cx + 5, cy + 5], fill=(200, 0, 0), outline="black")


def _value_at(points: Sequence[tuple[float, float]], x: float) -> float | None:
    """The curve's value at `x` (linear between points; None before the first)."""
    if not points or x < points[0][0] - 1e-9:
        return None
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        if x0 <= x <= x1:
            return y0 + (y1 - y0) * ((x - x0) / (x1 - x0) if x1 > x0 else 0)
    return points[-1][1]
