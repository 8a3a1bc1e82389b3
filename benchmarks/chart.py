"""Bar charts of a benchmark's ratios, as SVG, in pure Python (no plotting library).

Every benchmark script takes ``--plot FILE.svg``: it draws the ratios it printed, with the
date, the machine (cores, CPU model, Python) and the command under the chart, and saves
the numbers beside it as ``FILE.json``. ``--plot FILE.svg --from-json RUN.json`` draws a
saved run again without running anything (the docs' charts are drawn that way from the
figures of the run their tables quote: ``docs/figures/*.json``)::

    .venv/bin/python benchmarks/chart.py docs/figures/writing-dataframes.json OUT.svg

draws one saved chart (the same as a script's ``--from-json``). The output depends on the
numbers only: the same JSON always gives the same bytes (tests/test_docs_layout.py
checks that each chart of the docs is what its JSON gives).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shlex
import sys
import textwrap
from dataclasses import asdict, dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

WIDTH = 760
LABEL_WIDTH = 330
BAR_HEIGHT = 18
ROW = 26
#: colours of the light page and, under ``prefers-color-scheme: dark``, of the dark one:
#: the chart draws its own background, so it stays readable on either
STYLE = """
.bg { fill: #ffffff; } .text { fill: #1f2328; } .muted { fill: #59636e; }
.ours { fill: #2f6f9f; } .other { fill: #9aa4ae; } .ref { stroke: #59636e; }
@media (prefers-color-scheme: dark) {
  .bg { fill: #1a1c1e; } .text { fill: #e6e6e6; } .muted { fill: #a0a8b0; }
  .ours { fill: #5fa8dc; } .other { fill: #6b747c; } .ref { stroke: #a0a8b0; }
}
text { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
"""


@dataclass
class Chart:
    """What a chart shows: bars in groups, each a (label, ratio), and what they were."""

    title: str
    #: what a ratio means, e.g. "rows/s relative to influxdb-client (1.00x)"
    measure: str
    #: (group title, [(label, ratio), ...]); a group title may be empty
    groups: list[tuple[str, list[tuple[str, float]]]]
    date: str
    machine: str
    command: str
    #: how a ratio is written: "x" (1.23x) or "%" (87%)
    unit: str = "x"
    #: where the dashed line of the reference (the ratio 1) is drawn
    reference: float = 1.0
    #: said under the chart before the date, e.g. "figures of the run of ..., as in the table"
    note: str = ""
    #: labels starting with one of these are aioinflux's own bars (drawn in colour)
    ours: list[str] = field(default_factory=lambda: ["aioinflux"])

    def to_json(self) -> str:
        data = asdict(self)
        # four decimals: more than any table prints, and no float noise in the file
        data["groups"] = [
            [title, [[label, round(value, 4)] for label, value in bars]]
            for title, bars in self.groups
        ]
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Chart:
        data = json.loads(text)
        data["groups"] = [
            (title, [(label, float(value)) for label, value in bars])
            for title, bars in data["groups"]
        ]
        return cls(**data)


def machine() -> str:
    """This machine: its cores, its CPU model and the Python running."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:  # not Linux: platform's answer
        pass
    return f"{os.cpu_count()} cores, {model}, Python {platform.python_version()}"


def this_run(
    title: str,
    measure: str,
    groups: list[tuple[str, list[tuple[str, float]]]],
    *,
    unit: str = "x",
    reference: float = 1.0,
) -> Chart:
    """A chart of the run this process just made: today's date, this machine, its command."""
    command = "python " + shlex.join([sys.argv[0], *strip_plot(sys.argv[1:])])
    return Chart(
        title=title,
        measure=measure,
        groups=groups,
        date=dt.date.today().isoformat(),
        machine=machine(),
        command=command,
        unit=unit,
        reference=reference,
    )


def strip_plot(args: list[str]) -> list[str]:
    """The arguments without ``--plot FILE`` (where the chart goes is not how it was made)."""
    out, skip = [], False
    for arg in args:
        if skip:
            skip = False
        elif arg == "--plot":
            skip = True
        elif not arg.startswith("--plot="):
            out.append(arg)
    return out


def value_text(value: float, unit: str) -> str:
    return f"{value:.0%}" if unit == "%" else f"{value:.2f}x"


def render(chart: Chart) -> str:
    """The SVG of ``chart``."""
    top = 58
    rows = sum(len(bars) + (1 if title else 0) for title, bars in chart.groups)
    bars_bottom = top + rows * ROW
    notes = [chart.note] if chart.note else []
    notes += [f"date: {chart.date}", f"machine: {chart.machine}", f"command: {chart.command}"]
    footer = [line for note in notes for line in textwrap.wrap(note, 118)]
    height = bars_bottom + 18 + 16 * len(footer) + 8
    largest = max([chart.reference] + [value for _, bars in chart.groups for _, value in bars])
    area = WIDTH - LABEL_WIDTH - 70  # room for the value after the longest bar

    def x_of(value: float) -> float:
        return LABEL_WIDTH + area * value / largest

    ref = x_of(chart.reference)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{escape(chart.title)}">',
        f"<style>{STYLE}</style>",
        f'<rect class="bg" width="{WIDTH}" height="{height}" rx="6"/>',
        f'<text class="text" x="12" y="24" font-size="15" font-weight="bold">'
        f"{escape(chart.title)}</text>",
        f'<text class="muted" x="12" y="44" font-size="12">{escape(chart.measure)}</text>',
    ]
    y = top
    for title, bars in chart.groups:
        if title:
            out.append(
                f'<text class="text" x="12" y="{y + 15}" font-size="12" font-weight="bold">'
                f"{escape(title)}</text>"
            )
            y += ROW
        for label, value in bars:
            kind = "ours" if label.startswith(tuple(chart.ours)) else "other"
            width = x_of(value) - LABEL_WIDTH
            out += [
                f'<text class="text" x="{LABEL_WIDTH - 8}" y="{y + 13}" font-size="12" '
                f'text-anchor="end">{escape(label)}</text>',
                f'<rect class="{kind}" x="{LABEL_WIDTH}" y="{y}" width="{width:.1f}" '
                f'height="{BAR_HEIGHT}" rx="2"/>',
                # after the bar, or after the dashed line when the bar is shorter
                f'<text class="text" x="{max(x_of(value), ref) + 6:.1f}" y="{y + 13}" '
                'font-size="12">'
                f"{value_text(value, chart.unit)}</text>",
            ]
            y += ROW
    out.append(
        f'<line class="ref" x1="{ref:.1f}" y1="{top - 6}" x2="{ref:.1f}" y2="{bars_bottom}" '
        'stroke-width="1" stroke-dasharray="4 3"/>'
    )
    y = bars_bottom + 18
    for line in footer:
        out.append(f'<text class="muted" x="12" y="{y}" font-size="11">{escape(line)}</text>')
        y += 16
    out.append("</svg>")
    return "\n".join(out) + "\n"


def save(chart: Chart, svg: str | Path) -> None:
    """Write the chart to ``svg`` and its numbers beside it (the same name, ``.json``)."""
    path = Path(svg)
    path.write_text(render(chart), encoding="utf-8")
    path.with_suffix(".json").write_text(chart.to_json(), encoding="utf-8")
    print(f"chart: {path} (numbers: {path.with_suffix('.json')})")


def plot_saved(run: str | Path, svg: str | Path) -> None:
    """Draw a saved chart's numbers again: what ``--plot FILE.svg --from-json RUN.json``
    does in every benchmark script."""
    chart = Chart.from_json(Path(run).read_text(encoding="utf-8"))
    Path(svg).write_text(render(chart), encoding="utf-8")
    print(f"chart: {svg} (from {run})")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--plot`` and ``--from-json``, the same in every benchmark script."""
    parser.add_argument(
        "--plot",
        metavar="FILE.svg",
        help="also draw the ratios printed as a bar chart in FILE.svg (numbers in FILE.json)",
    )
    parser.add_argument(
        "--from-json",
        metavar="RUN.json",
        help="run nothing: draw the chart of a saved run (the JSON --plot saved) in --plot",
    )


def from_json_only(args: argparse.Namespace) -> bool:
    """True when the script has nothing to run: the chart was drawn from a saved run."""
    if args.from_json is None:
        return False
    if args.plot is None:
        raise SystemExit("--from-json needs --plot FILE.svg: where to draw the chart")
    plot_saved(args.from_json, args.plot)
    return True


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", help="a chart's numbers, as a benchmark's --plot saved them")
    parser.add_argument("svg", help="where to draw it")
    arguments = parser.parse_args()
    plot_saved(arguments.run, arguments.svg)
