"""Dashboards as data: a `Panel` is a title, one SQL query, the columns that query returns and
how to draw them; a `Dashboard` lays its panels out on Grafana's 24-column grid and renders the
JSON Grafana's file provisioning loads (schemaVersion 39: Grafana 10.4 and 11.x read it as is).

Every panel queries the provisioned PostgreSQL datasource (`DATASOURCE_UID`) and filters by the
dashboard variable `$run_id` where its table has a run."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

DATASOURCE_UID = "tradingbot-pg"
DATASOURCE_TYPE = "grafana-postgresql-datasource"
DATASOURCE = {"type": DATASOURCE_TYPE, "uid": DATASOURCE_UID}
SCHEMA_VERSION = 39
GRID_WIDTH = 24
RUN_VARIABLE_SQL = "SELECT DISTINCT run_id FROM account_snapshots UNION SELECT DISTINCT run_id FROM trades ORDER BY 1"

PanelType = Literal["timeseries", "stat", "gauge", "table", "barchart", "bargauge"]
Format = Literal["time_series", "table"]


@dataclass(frozen=True)
class Panel:
    """One visualisation. `columns` are the result columns in order (tests check them); a
    `time_series` query returns `time` first, then values, or `time, metric, value` (long form)."""

    title: str
    type: PanelType
    sql: str
    columns: tuple[str, ...]
    width: int = 12
    height: int = 8
    unit: str = "none"
    description: str = ""
    format: Format = "table"
    thresholds: tuple[tuple[str, float | None], ...] = (("green", None),)
    min: float | None = None
    max: float | None = None
    decimals: int | None = None
    bars: bool = False  # timeseries drawn as bars
    x_field: str | None = None  # barchart category column
    value_colours: dict[str, str] = field(default_factory=dict)  # text value → colour (value mappings)
    options: dict[str, Any] = field(default_factory=dict)  # merged over the type's defaults

    def __post_init__(self) -> None:
        if self.format == "time_series" and self.columns[0] != "time":
            raise ValueError(f"panel {self.title!r}: a time series query returns `time` first")
        if self.type == "barchart" and self.x_field not in self.columns:
            raise ValueError(f"panel {self.title!r}: a bar chart needs x_field among its columns")
        if not 1 <= self.width <= GRID_WIDTH:
            raise ValueError(f"panel {self.title!r}: width must be 1..{GRID_WIDTH}")


@dataclass(frozen=True)
class Dashboard:
    uid: str
    title: str
    description: str
    panels: tuple[Panel, ...]
    tags: tuple[str, ...] = ("trading-bot",)
    time_from: str = "now-7d"
    refresh: str = "1m"
    run_variable: bool = True


def _type_options(panel: Panel) -> dict[str, Any]:
    legend = {"displayMode": "list", "placement": "bottom", "showLegend": True, "calcs": []}
    reduce = {"calcs": ["lastNotNull"], "fields": "", "values": False}
    options: dict[str, dict[str, Any]] = {
        "timeseries": {"legend": legend, "tooltip": {"mode": "multi", "sort": "none"}},
        "stat": {"reduceOptions": reduce, "colorMode": "value", "graphMode": "none", "justifyMode": "auto",
                 "orientation": "auto", "textMode": "auto", "wideLayout": True, "showPercentChange": False},
        "gauge": {"reduceOptions": reduce, "showThresholdLabels": False, "showThresholdMarkers": True,
                  "orientation": "auto"},
        "table": {"showHeader": True, "cellHeight": "sm", "footer": {"show": False, "reducer": ["sum"],
                                                                     "fields": "", "countRows": False}},
        "barchart": {"xField": panel.x_field, "orientation": "auto", "showValue": "auto", "stacking": "none",
                     "groupWidth": 0.7, "barWidth": 0.9, "legend": legend,
                     "tooltip": {"mode": "multi", "sort": "none"}, "xTickLabelRotation": 0},
        "bargauge": {"reduceOptions": {**reduce, "values": True}, "displayMode": "gradient",
                     "orientation": "horizontal", "showUnfilled": True, "valueMode": "color",
                     "namePlacement": "auto", "sizing": "auto"},
    }
    return options[panel.type]


def _field_defaults(panel: Panel) -> dict[str, Any]:
    defaults: dict[str, Any] = {
        "unit": panel.unit,
        "color": {"mode": "palette-classic" if panel.type in ("timeseries", "barchart") else "thresholds"},
        "thresholds": {"mode": "absolute",
                       "steps": [{"color": color, "value": value} for color, value in panel.thresholds]},
        "mappings": [{"type": "value", "options": {
            value: {"color": colour, "index": index} for index, (value, colour) in enumerate(panel.value_colours.items())
        }}] if panel.value_colours else [],
    }
    for key in ("min", "max", "decimals"):
        if getattr(panel, key) is not None:
            defaults[key] = getattr(panel, key)
    if panel.type == "timeseries":
        defaults["custom"] = {"drawStyle": "bars" if panel.bars else "line", "lineWidth": 1,
                              "fillOpacity": 60 if panel.bars else 10, "showPoints": "never",
                              "lineInterpolation": "linear", "spanNulls": False,
                              "axisPlacement": "auto", "stacking": {"mode": "none", "group": "A"}}
    return defaults


def render_panel(panel: Panel, panel_id: int, x: int, y: int) -> dict[str, Any]:
    return {
        "id": panel_id,
        "type": panel.type,
        "title": panel.title,
        "description": panel.description,
        "gridPos": {"h": panel.height, "w": panel.width, "x": x, "y": y},
        "datasource": DATASOURCE,
        "targets": [{"refId": "A", "datasource": DATASOURCE, "editorMode": "code", "format": panel.format,
                     "rawQuery": True, "rawSql": panel.sql.strip()}],
        "fieldConfig": {"defaults": _field_defaults(panel), "overrides": []},
        "options": {**_type_options(panel), **panel.options},
    }


def _layout(panels: tuple[Panel, ...]) -> list[tuple[Panel, int, int]]:
    """Left to right, wrapping at 24 columns; a row is as tall as its tallest panel."""
    placed, x, y, row_height = [], 0, 0, 0
    for panel in panels:
        if x + panel.width > GRID_WIDTH:
            x, y, row_height = 0, y + row_height, 0
        placed.append((panel, x, y))
        x += panel.width
        row_height = max(row_height, panel.height)
    return placed


def _run_variable() -> dict[str, Any]:
    return {
        "name": "run_id", "label": "Run", "type": "query", "datasource": DATASOURCE,
        "query": RUN_VARIABLE_SQL, "definition": RUN_VARIABLE_SQL, "refresh": 1, "sort": 1,
        "current": {"selected": True, "text": "live", "value": "live"}, "options": [],
        "includeAll": False, "multi": False, "hide": 0, "regex": "", "skipUrlSync": False,
        "description": "'live' is the running bot; backtests written to the database have their own run id",
    }


def render_dashboard(dashboard: Dashboard) -> dict[str, Any]:
    return {
        "id": None,
        "uid": dashboard.uid,
        "title": dashboard.title,
        "description": dashboard.description,
        "tags": list(dashboard.tags),
        "timezone": "utc",
        "editable": False,
        "graphTooltip": 1,
        "fiscalYearStartMonth": 0,
        "liveNow": False,
        "weekStart": "",
        "schemaVersion": SCHEMA_VERSION,
        "version": 1,
        "refresh": dashboard.refresh,
        "time": {"from": dashboard.time_from, "to": "now"},
        "timepicker": {},
        "links": [{"title": "Trading Bot", "type": "dashboards", "tags": ["trading-bot"], "asDropdown": True,
                   "includeVars": True, "keepTime": True, "icon": "external link", "targetBlank": False,
                   "tooltip": "", "url": ""}],
        "annotations": {"list": []},
        "templating": {"list": [_run_variable()] if dashboard.run_variable else []},
        "panels": [render_panel(panel, index + 1, x, y)
                   for index, (panel, x, y) in enumerate(_layout(dashboard.panels))],
    }
