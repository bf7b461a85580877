"""Pictures of the explanations, drawn with Pillow (no Qt, no torch): the attribution overlay
and the invariance sweep's plot, for `digitpad explain/sweep --out`. The class colours live here
once (the attribution map in colours.py); the GUI paints with the same ones.
"""

from __future__ import annotations


import numpy as np
from PIL import Image, ImageDraw, ImageFont

from digitpad.explain.colours import ATTRIBUTION_LUT, LUT_SIZE
from digitpad.ticks import nice_ticks
from digitpad.ink.normalise import input_greys


#: One colour per class for the sweep's lines (Paul Tol's muted set and black, told apart by
#: colour-blind readers too; each line is also labelled with its digit).
# Tableau's ten category colours (at least 27 CIE76 units apart; the earlier set's 4 and 5, 7
# and 8 were 23–26 and hard to tell apart on screen), and a line style per digit so that the
# closest pairs differ in dashes too (CLASS_LINE_STYLES: digit % 3).
CLASS_COLOURS = ((0x1F, 0x77, 0xB4), (0xFF, 0x7F, 0x0E), (0x2C, 0xA0, 0x2C), (0xD6, 0x27, 0x28),
                 (0x94, 0x67, 0xBD), (0x8C, 0x56, 0x4B), (0xE3, 0x77, 0xC2), (0x7F, 0x7F, 0x7F),
                 (0xBC, 0xBD, 0x22), (0x17, 0xBE, 0xCF))
CLASS_LINE_STYLES = tuple(("solid", "dash", "dot")[digit % 3] for digit in range(10))


def attribution_limit(attribution: np.ndarray) -> float:
    """The symmetric colour scale for one attribution map: its largest magnitude."""
    return max(float(np.abs(attribution).max()), 1e-12)


def attribution_rgba(attribution: np.ndarray, limit: float | None = None) -> np.ndarray:
    """(…) attributions -> (…, 4) uint8: the colour says supports/opposes, the opacity how much."""
    limit = attribution_limit(attribution) if limit is None else limit
    t = np.clip(np.nan_to_num(np.asarray(attribution, np.float64)) / limit, -1.0, 1.0)
    rgb = ATTRIBUTION_LUT[np.rint((t + 1) / 2 * (LUT_SIZE - 1)).astype(np.intp)]
    alpha = np.rint(255 * np.sqrt(np.abs(t))).astype(np.uint8)  # √: weak evidence stays visible
    return np.concatenate([rgb, alpha[..., None]], axis=-1)


def _font() -> ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=14)
    except TypeError:  # Pillow < 10.1 has one fixed-size default font
        return ImageFont.load_default()


def attribution_overlay_rgb(array32: np.ndarray, attribution: np.ndarray) -> np.ndarray:
    """(32, 32, 3) uint8: the input in faint greys (paper white, ink light grey) with the
    attribution's colours over it."""
    greys = (192 + input_greys(array32) // 4).astype(np.float64)[..., None]  # faint: the colours on top
    rgba = attribution_rgba(attribution).astype(np.float64)
    alpha = rgba[..., 3:] / 255
    return np.rint(rgba[..., :3] * alpha + greys * (1 - alpha)).astype(np.uint8)


def attribution_picture(array32: np.ndarray, attribution: np.ndarray, digit: int, cell: int = 12) -> Image.Image:
    """The 32×32 input in faint greys with the attribution over it, and a legend underneath."""
    side = array32.shape[0] * cell
    picture = Image.fromarray(attribution_overlay_rgb(array32, attribution), "RGB").resize(
        (side, side), Image.Resampling.NEAREST)
    legend_height = 46
    sheet = Image.new("RGB", (side, side + legend_height), "white")
    sheet.paste(picture, (0, 0))
    draw = ImageDraw.Draw(sheet)
    bar = np.linspace(-1, 1, side - 20)[None, :].repeat(12, axis=0)
    rgb = attribution_rgba(bar, 1.0)[..., :3]
    sheet.paste(Image.fromarray(np.ascontiguousarray(rgb), "RGB"), (10, side + 6))
    font = _font()
    limit = attribution_limit(attribution)
    draw.text((10, side + 22), f"supports {digit} (-{limit:.2g})", fill="black", font=font)
    text = f"opposes {digit} (+{limit:.2g})"
    draw.text((side - 10 - draw.textlength(text, font=font), side + 22), text, fill="black", font=font)
    return sheet


def sweep_plot(values: list[float], penalties: np.ndarray, answers: list[int | None], title: str, x_label: str,
               breaking_points: tuple[float | None, float | None] = (None, None),
               size: tuple[int, int] = (900, 520)) -> Image.Image:
    """All ten penalties against the transform's value: a line per class, a dot on the winner at
    each step (a cross where it is "not a digit"), dashed lines at the breaking points."""
    width, height = size
    left, right, top, bottom = 70, 40, 60, 60
    sheet = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(sheet)
    font = _font()
    x_low, x_high = min(values), max(values)
    if x_high == x_low:
        x_high = x_low + 1
    y_high = max(float(np.nanmax(penalties)), 1.0)
    y_ticks = nice_ticks(0.0, y_high, 5, inside=True)
    y_high = max(y_high, y_ticks[-1])

    def px(x: float, y: float) -> tuple[float, float]:
        return (left + (x - x_low) / (x_high - x_low) * (width - left - right),
                height - bottom - y / y_high * (height - top - bottom))

    for tick in y_ticks:
        _, y = px(x_low, tick)
        draw.line([(left, y), (width - right, y)], fill=(230, 230, 230))
        label = f"{tick:g}"
        draw.text((left - 8 - draw.textlength(label, font=font), y - 7), label, fill="black", font=font)
    for tick in nice_ticks(x_low, x_high, 8, inside=True):
        x, _ = px(tick, 0)
        draw.line([(x, height - bottom), (x, height - bottom + 5)], fill="black")
        label = f"{tick:g}"
        draw.text((x - draw.textlength(label, font=font) / 2, height - bottom + 8), label, fill="black", font=font)
    draw.rectangle([left, top, width - right, height - bottom], outline="black")
    draw.text((8, 6), title, fill="black", font=font)
    for digit in range(10):  # the legend, top right
        x = width - right - (10 - digit) * 34
        draw.line([(x, top - 14), (x + 14, top - 14)], fill=CLASS_COLOURS[digit], width=3)
        draw.text((x + 17, top - 22), str(digit), fill="black", font=font)
    draw.text(((left + width - right - draw.textlength(x_label, font=font)) / 2, height - 24), x_label,
              fill="black", font=font)
    draw.text((8, top - 22), "penalty (lower = more like the class)", fill="black", font=font)
    for point in breaking_points:
        if point is not None:
            x, _ = px(point, 0)
            for y in range(top, height - bottom, 10):
                draw.line([(x, y), (x, min(y + 5, height - bottom))], fill=(200, 0, 0), width=2)
            text = f"breaks at {point:g}"
            shift = 4 if x < width / 2 else -4 - draw.textlength(text, font=font)
            draw.text((x + shift, top + 4), text, fill=(200, 0, 0), font=font)
    for digit in range(10):
        points = [px(v, float(p)) for v, p in zip(values, penalties[:, digit])]
        draw.line(points, fill=CLASS_COLOURS[digit], width=2)
        x, y = points[-1]
        draw.text((x + 5, y - 8), str(digit), fill=CLASS_COLOURS[digit], font=font)
    for value, row, answer in zip(values, penalties, answers):
        winner = int(np.argmin(row))
        x, y = px(value, float(row[winner]))
        if answer is None:
            draw.line([(x - 5, y - 5), (x + 5, y + 5)], fill="black", width=2)
            draw.line([(x - 5, y + 5), (x + 5, y - 5)], fill="black", width=2)
        else:
            draw.ellipse([x - 5, y - 5, x + 5, y + 5], fill=CLASS_COLOURS[winner], outline="black")
    return sheet
