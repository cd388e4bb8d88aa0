"""Matplotlib's SVG made fit to inline in the report page, several charts in one document:

- the XML prolog, DOCTYPE and RDF metadata go (they are for standalone files);
- a series' group (`gid` = SERIES_PREFIX + name) becomes `<g data-series="name">`, so a reader or
  a browser test finds every drawn series without knowing matplotlib's structure;
- other ids nothing refers to go, and the referenced ones (marker and glyph definitions, clip
  paths) become `<chart>-<n>` in order of appearance: unique in the page, where every chart would
  otherwise have its own `figure_1` and `DejaVuSans-30`, and the same for the same chart (matplotlib
  salts its definition ids with a random value per run);
- the root `<svg>` scales to the page's width and carries `data-chart`, `role="img"` and a label.
"""

from __future__ import annotations

import re
from html import escape

SERIES_PREFIX = "series-"

_ID = re.compile(r' id="([^"]*)"')
_REFERENCE = re.compile(r'(href="#|url\(#)([^")]+)')
_ROOT = re.compile(r'<svg [^>]*?width="([\d.]+)pt" height="([\d.]+)pt"')


def inline_svg(svg: str, chart: str, label: str, dpi: int = 100) -> str:
    svg = svg[svg.index("<svg "):]
    svg = re.sub(r"\s*<metadata>.*?</metadata>", "", svg, count=1, flags=re.S)
    referenced = {name for _, name in _REFERENCE.findall(svg)}
    renamed: dict[str, str] = {}

    def element_id(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith(SERIES_PREFIX):
            return f' data-series="{escape(name[len(SERIES_PREFIX):])}"'
        if name not in referenced:
            return ""
        renamed.setdefault(name, f"{chart}-{len(renamed) + 1}")
        return f' id="{renamed[name]}"'

    svg = _ID.sub(element_id, svg)
    svg = _REFERENCE.sub(lambda m: m.group(1) + renamed.get(m.group(2), m.group(2)), svg)
    root = _ROOT.match(svg)
    if root is None:
        raise ValueError("matplotlib's SVG root has no width and height in pt")
    width, height = float(root.group(1)), float(root.group(2))
    # the size in px the PNG has at `dpi` (a pt is 1/72 inch); CSS narrows it to the page
    svg = svg.replace(root.group(0), root.group(0).replace(
        f'width="{root.group(1)}pt" height="{root.group(2)}pt"',
        f'width="{width * dpi / 72:.0f}" height="{height * dpi / 72:.0f}" class="chart" role="img" '
        f'aria-label="{escape(label)}" data-chart="{escape(chart)}"'), 1)
    return svg.strip()
