"""Read a generated report.html back: its sections, metric cells and inline images (stdlib parser)."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class ParsedReport:
    sections: list[str] = field(default_factory=list)  # section ids in order
    cells: dict[str, tuple[str, str]] = field(default_factory=dict)  # data-metric → (data-value, text)
    images: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # data-chart → (section id, PNG bytes)
    external: list[str] = field(default_factory=list)  # any src/href that is not inline data
    scripts: int = 0


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.report = ParsedReport()
        self._section = ""
        self._cell: tuple[str, str] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        if tag == "section":
            self._section = attributes["id"]
            self.report.sections.append(self._section)
        if tag == "script":
            self.report.scripts += 1
        for name in ("src", "href"):
            if name in attributes and not attributes[name].startswith("data:"):
                self.report.external.append(attributes[name])
        if tag == "img" and attributes.get("src", "").startswith("data:image/png;base64,"):
            png = base64.b64decode(attributes["src"].split(",", 1)[1])
            self.report.images[attributes["data-chart"]] = (self._section, png)
        if tag == "td" and "data-metric" in attributes:
            self._cell, self._text = (attributes["data-metric"], attributes["data-value"]), []

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
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
