"""Chart geometry for the report pages, drawn as inline SVG by the templates: no script, no library,
nothing the Content-Security-Policy has to allow. Colours come from classes in static/css/reports.css."""
from dataclasses import dataclass
from datetime import datetime, time

from django.utils.safestring import mark_safe

from ..choices import AgentState
from .html import escape

W, H = 720, 220        # the drawing's own units (viewBox); the SVG scales to its box
LEFT, RIGHT, TOP, BOTTOM = 44, 44, 12, 28


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    w: float
    h: float
    title: str
    css: str = ""


def _nice_max(value):
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000, 1000000):
        if value <= step * 4:
            return step * 4, step
    return value, value / 4


def _tick_every(n, room=8):
    return max(1, -(-n // room))


def _short(label):
    """A period label as an axis shows it: 2026-03-10T09:00:00-04:00 → 09:00, a date → 03-10."""
    return label[11:16] if "T" in label else label[5:]


def volume(rows):
    """Offered (bars, left axis) and service level (line, right axis, 0–100 %) per interval."""
    n = len(rows)
    if not n:
        return None
    top, step = _nice_max(max(r["offered"] for r in rows) or 1)
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM
    slot = plot_w / n
    bars, points, labels = [], [], []
    every = _tick_every(n)
    for i, r in enumerate(rows):
        h = plot_h * r["offered"] / top
        x = LEFT + i * slot
        sl = r.get("service_level")
        title = f"{r['period']}: {r['offered']} offered, {r['accepted']} accepted" + (f", service level {sl:.0%}" if sl is not None else "")
        bars.append(Bar(round(x + slot * 0.15, 2), round(TOP + plot_h - h, 2), round(max(slot * 0.7, 0.5), 2), round(h, 2), title))
        if sl is not None:
            points.append(f"{x + slot / 2:.2f},{TOP + plot_h * (1 - sl):.2f}")
        if i % every == 0:
            labels.append({"x": round(x + slot / 2, 2), "text": _short(r["period"])})
    yticks = [{"y": round(TOP + plot_h - plot_h * k * step / top, 2), "text": str(int(k * step))} for k in range(5)]
    sl_ticks = [{"y": round(TOP + plot_h * (1 - p / 100), 2), "text": f"{p}%"} for p in (0, 50, 100)]
    return {"w": W, "h": H, "bars": bars, "line": " ".join(points), "dots": [p.split(",") for p in points], "xlabels": labels,
            "yticks": yticks, "sl_ticks": sl_ticks, "left": LEFT, "right": W - RIGHT, "bottom": TOP + plot_h, "label_y": H - 8}


def histogram(buckets):
    """Handled rooms per handle-time bucket."""
    n = len(buckets)
    top, step = _nice_max(max((b["rooms"] for b in buckets), default=0) or 1)
    plot_w, plot_h = W - LEFT - 12, H - TOP - BOTTOM
    slot = plot_w / n
    bars = [Bar(round(LEFT + i * slot + slot * 0.1, 2), round(TOP + plot_h - plot_h * b["rooms"] / top, 2), round(slot * 0.8, 2),
                round(plot_h * b["rooms"] / top, 2), f"{b['bucket']}: {b['rooms']} rooms") for i, b in enumerate(buckets)]
    labels = [{"x": round(LEFT + i * slot + slot / 2, 2), "text": b["bucket"]} for i, b in enumerate(buckets)]
    yticks = [{"y": round(TOP + plot_h - plot_h * k * step / top, 2), "text": str(int(k * step))} for k in range(5)]
    return {"w": W, "h": H, "bars": bars, "xlabels": labels, "yticks": yticks, "left": LEFT, "right": W - 12, "bottom": TOP + plot_h,
            "label_y": H - 8}


STATE_CSS = {AgentState.AVAILABLE: "st-available", AgentState.UNAVAILABLE: "st-unavailable", AgentState.LOGGED_OUT: "st-logged-out"}
ROW_H, NAME_W = 22, 110


def timeline(data, tz):
    """One row per agent: their states across the day, as coloured spans."""
    begin, end = data["begin"], data["end"]
    total = (end - begin).total_seconds()
    plot_w = W - NAME_W - 12
    rows = []
    for i, item in enumerate(data["agents"]):
        y = TOP + i * ROW_H
        spans = []
        for start, stop, state, reason in item["segments"]:
            x = NAME_W + plot_w * (start - begin).total_seconds() / total
            w = plot_w * (stop - start).total_seconds() / total
            label = AgentState(state).label + (f" ({reason})" if reason else "")
            spans.append(Bar(round(x, 2), y, round(max(w, 0.3), 2), ROW_H - 6,
                             f"{item['agent'].username}: {label} {start.astimezone(tz):%H:%M}–{stop.astimezone(tz):%H:%M}",
                             STATE_CSS[state]))
        rows.append({"name": item["agent"].username, "y": y + ROW_H / 2, "spans": spans})
    # The rows as SVG text built here (escaped): hundreds of agents × their spans through template loops cost seconds.
    svg = []
    for r in rows:
        svg.append(f'<text class="axis name" x="{NAME_W - 6}" y="{r["y"]}" text-anchor="end" dominant-baseline="middle">'
                   f'{escape(r["name"])}</text>')
        svg.extend(f'<rect class="span {b.css}" x="{b.x}" y="{b.y}" width="{b.w}" height="{b.h}" data-testid="state-span">'
                   f'<title>{escape(b.title)}</title></rect>' for b in r["spans"])
    height = TOP + max(len(rows), 1) * ROW_H + BOTTOM
    day = begin.astimezone(tz).date()
    # Wall-clock hours: a DST day is 23 or 25 hours long, and its ticks are spaced accordingly.
    hours = [{"x": round(NAME_W + plot_w * ((datetime.combine(day, time(h), tzinfo=tz) - begin).total_seconds()) / total, 2),
              "text": f"{h:02d}"} for h in range(0, 24, 3)]
    return {"w": W, "h": height, "rows": rows, "hidden": data.get("hidden", 0), "shown": len(rows),
            "rows_svg": mark_safe("".join(svg)),  # noqa: S308 (escaped above)
            "hours": hours, "label_y": height - 8, "top": TOP, "bottom": height - BOTTOM,
            "name_x": NAME_W - 6}
