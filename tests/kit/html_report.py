"""Read a generated report.html back: its sections, metric cells and inline SVG charts (stdlib parser)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class ParsedChart:
    section: str  # the section id it sits in
    label: str  # the svg's aria-label
    groups: Counter[str] = field(default_factory=Counter)  # data-series → <g> elements (bars: one per bar)
    # data-series → shapes drawn inside: <path> and <use> outside <defs> (a line: 1, markers: one each)
    marks: Counter[str] = field(default_factory=Counter)

    def drawn(self) -> dict[str, tuple[int, int]]:
        return {series: (self.groups[series], self.marks[series]) for series in self.groups}


@dataclass
class ParsedReport:
    sections: list[str] = field(default_factory=list)  # section ids in order
    cells: dict[str, tuple[str, str]] = field(default_factory=dict)  # data-metric → (data-value, text)
    charts: dict[str, ParsedChart] = field(default_factory=dict)  # data-chart → what its SVG draws
    external: list[str] = field(default_factory=list)  # any src/href that is neither inline data nor a #fragment
    scripts: int = 0
    images: int = 0  # <img> elements (charts are inline SVG)


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.report = ParsedReport()
        self._section = ""
        self._cell: tuple[str, str] | None = None
        self._text: list[str] = []
        self._chart: ParsedChart | None = None
        self._series: list[str | None] = []  # data-series of each open <g> inside the chart
        self._defs = 0  # open <defs> inside the chart

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        if tag == "section":
            self._section = attributes["id"]
            self.report.sections.append(self._section)
        self.report.scripts += tag == "script"
        self.report.images += tag == "img"
        for name in ("src", "href", "xlink:href"):
            if name in attributes and not attributes[name].startswith(("data:", "#")):
                self.report.external.append(attributes[name])
        if tag == "svg" and "data-chart" in attributes:
            name = attributes["data-chart"]
            assert name not in self.report.charts, f"chart {name} appears twice"
            self._chart = self.report.charts[name] = ParsedChart(self._section, attributes["aria-label"])
        if self._chart is not None:
            self._inside_chart(tag, attributes)
        if tag == "td" and "data-metric" in attributes:
            self._cell, self._text = (attributes["data-metric"], attributes["data-value"]), []

    def _inside_chart(self, tag: str, attributes: dict[str, str]) -> None:
        assert self._chart is not None
        current = next((s for s in reversed(self._series) if s is not None), None)
        if tag == "g":
            series = attributes.get("data-series")
            self._series.append(series)
            if series is not None:
                self._chart.groups[series] += 1
        elif tag == "defs":
            self._defs += 1
        elif tag in ("use", "path") and current is not None and not self._defs:
            self._chart.marks[current] += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in ("g", "defs"):
            self.handle_endtag(tag)

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._chart is not None and tag == "g" and self._series:
            self._series.pop()
        if self._chart is not None and tag == "defs":
            self._defs -= 1
        if tag == "svg" and self._chart is not None and not self._series:
            self._chart = None
        if tag == "td" and self._cell is not None:
            key, value = self._cell
            assert key not in self.report.cells, f"metric {key} appears twice"
            self.report.cells[key] = (value, "".join(self._text))
            self._cell = None


def parse_report(text: str) -> ParsedReport:
    parser = _Parser()
    parser.feed(text)
    parser.close()
    return parser.report
