"""A small SVG bar chart writer: panels of horizontal bars, no dependencies.

Each panel is one measurement (one unit), with a bar per contender and the
value written next to it; a contender without a value gets its status
("n/a", "failed", ...) in place of a bar. Panels are laid out in a grid.
"""

from typing import Dict, List, Optional, Sequence
from xml.sax.saxutils import escape

#: One colour per contender, in report order; the first is the project's.
PALETTE = ("#2563eb", "#f97316", "#16a34a", "#9333ea", "#a16207", "#6b7280", "#db2777", "#0891b2", "#65a30d", "#dc2626")

FONT = "font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Helvetica,Arial,sans-serif"


class Panel:
    """One small chart.

    :param title: e.g. ``"W1 small GET, inside with"``.
    :param unit: e.g. ``"µs/request"``.
    :param better: ``"lower"`` or ``"higher"``.
    :param values: contender -> value (``None`` when there is none).
    :param notes: contender -> what to write instead of a missing value.
    :param labels: contender -> the value as it should be written.
    """

    def __init__(
        self,
        title: str,
        unit: str,
        better: str,
        values: Dict[str, Optional[float]],
        notes: Optional[Dict[str, str]] = None,
        labels: Optional[Dict[str, str]] = None,
    ) -> None:
        self.title = title
        self.unit = unit
        self.better = better
        self.values = values
        self.notes = notes or {}
        self.labels = labels or {}


def _text(
    x: float, y: float, text: str, size: int = 12, anchor: str = "start", weight: str = "normal", fill: str = "#111827"
) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}"'
        f' font-weight="{weight}" fill="{fill}">{escape(text)}</text>'
    )


def _default_label(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def render(
    panels: Sequence[Panel],
    contenders: Sequence[str],
    title: str,
    subtitle: str = "",
    footer: str = "",
    columns: int = 3,
) -> str:
    """The chart as an SVG document."""
    bar_h, gap = 16, 5
    label_w, bar_w, value_w = 150, 170, 80
    panel_w = label_w + bar_w + value_w + 20
    panel_head = 40
    panel_h = panel_head + len(contenders) * (bar_h + gap) + 14
    top = 62 if subtitle else 44
    rows = (len(panels) + columns - 1) // columns
    width = columns * panel_w + 20
    height = top + rows * panel_h + (30 if footer else 10)
    colours = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(contenders)}

    out: List[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}"'
        f' viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" style="{FONT}">',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        _text(12, 28, title, 18, weight="bold"),
    ]
    if subtitle:
        out.append(_text(12, 48, subtitle, 12, fill="#4b5563"))
    for index, panel in enumerate(panels):
        px = 10 + (index % columns) * panel_w
        py = top + (index // columns) * panel_h
        out.append(
            f'<rect x="{px + 2}" y="{py}" width="{panel_w - 8}" height="{panel_h - 8}"'
            ' rx="6" fill="#f9fafb" stroke="#e5e7eb"/>'
        )
        out.append(_text(px + 12, py + 18, panel.title, 13, weight="bold"))
        out.append(_text(px + 12, py + 33, f"{panel.unit}, {panel.better} is better", 11, fill="#6b7280"))
        present = [v for v in panel.values.values() if v is not None and v > 0]
        scale = max(present) if present else 1.0
        for row, name in enumerate(contenders):
            y = py + panel_head + row * (bar_h + gap)
            weight = "bold" if row == 0 else "normal"
            out.append(_text(px + label_w, y + bar_h - 4, name, 11, anchor="end", weight=weight, fill="#374151"))
            value = panel.values.get(name)
            x0 = px + label_w + 6
            if value is None:
                note = panel.notes.get(name, "n/a")
                out.append(_text(x0, y + bar_h - 4, note, 11, fill="#9ca3af"))
                continue
            length = max(1.0, bar_w * value / scale) if value > 0 else 1.0
            label = panel.labels.get(name, _default_label(value))
            out.append(
                f'<rect x="{x0:.1f}" y="{y}" width="{length:.1f}" height="{bar_h}" rx="2" fill="{colours[name]}">'
                f"<title>{escape(name)}: {escape(label)} {escape(panel.unit)}</title></rect>"
            )
            out.append(_text(x0 + length + 4, y + bar_h - 4, label, 11, weight=weight))
    if footer:
        out.append(_text(12, height - 12, footer, 11, fill="#6b7280"))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def write(path: str, *args, **kwargs) -> None:
    """:func:`render` into the file ``path``."""
    with open(path, "w", encoding="utf-8") as f:
        f.write(render(*args, **kwargs))
