"""`python -m trading_bot.grafana [--check] [DIR]`: write the dashboards' JSON files (default
`grafana/dashboards` of the repository), or with --check exit 1 when any file is missing or stale."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from trading_bot.grafana.dashboards import DASHBOARDS
from trading_bot.grafana.model import render_dashboard

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "grafana" / "dashboards"


def rendered() -> dict[str, str]:
    """File name → JSON text of every dashboard."""
    return {f"{d.uid}.json": json.dumps(render_dashboard(d), indent=2, ensure_ascii=False) + "\n" for d in DASHBOARDS}


def stale_files(directory: Path) -> list[str]:
    wanted = rendered()
    stale = [name for name, text in wanted.items()
             if not (directory / name).is_file() or (directory / name).read_text(encoding="utf-8") != text]
    extra = [p.name for p in directory.glob("*.json") if p.name not in wanted]
    return sorted(stale + extra)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m trading_bot.grafana", description=__doc__)
    parser.add_argument("directory", nargs="?", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--check", action="store_true", help="only report stale files (exit 1 if any)")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_files(args.directory)
        for name in stale:
            print(f"stale: {args.directory / name}")
        return 1 if stale else 0
    args.directory.mkdir(parents=True, exist_ok=True)
    for name, text in rendered().items():
        (args.directory / name).write_text(text, encoding="utf-8")
        print(f"wrote {args.directory / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
