"""Colours every room can read: JupyterLab's theme variables, with fallbacks, for every chart.

A chart's text and lines take their colour from the notebook's theme
(``--jp-content-font-color1``, ``--jp-border-color2``, ``--jp-error-color1`` …), so
they are dark on JupyterLab Light and light on Dark and Dark High Contrast; the
fallback after the comma serves the places without those variables (a bare
browser, an exported page). The four channels keep the Okabe–Ito palette, which
the common colour-vision deficiencies tell apart, as *fills*; text is never
coloured by channel, and a label drawn on a bar takes the ink with enough
contrast on that bar (``INK_ON``). State is never told by colour alone: failed
bars are hatched and marked ✗, scheduled retries ↻.

In SVG a ``var()`` works in a ``style`` attribute, not in a presentation attribute
(``fill='var(...)'`` is ignored), hence ``fill()`` and ``stroke()`` below.
"""

from __future__ import annotations

INK = "var(--jp-content-font-color1, #111111)"  # titles, labels, the done line
INK2 = "var(--jp-content-font-color2, #4d4d4d)"  # ticks, axis names, notes
GRID = "var(--jp-border-color2, #d6d6d6)"
ERROR = "var(--jp-error-color1, #c62828)"  # ✗ text and kill lines: readable on both themes
OK = "var(--jp-success-color1, #2e7d32)"
PAPER = "var(--jp-layout-color0, #ffffff)"

CHANNEL = {"email": "#0072B2", "sms": "#E69F00", "slack": "#009E73", "push": "#CC79A7"}
FAILED_FILL = "#D55E00"  # the hatch of a failed attempt (a fill, never text)
# Text drawn on a bar of that fill: the one of black and white with the higher contrast.
INK_ON = {"#0072B2": "#ffffff", "#E69F00": "#000000", "#009E73": "#000000", "#CC79A7": "#000000"}
SERIES = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9"]


def fill(colour: str) -> str:
    return f"style='fill:{colour}'"


def stroke(colour: str) -> str:
    return f"style='stroke:{colour}'"


def relative_luminance(hex_colour: str) -> float:
    """WCAG 2's relative luminance of ``#rrggbb``."""
    channels = [int(hex_colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG 2's contrast ratio of two ``#rrggbb`` colours (1 to 21)."""
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)
