"""The recorded OKX responses and documentation examples in ../shared/okx/fixtures (read in place)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "okx" / "fixtures"


def recorded(name: str) -> Any:
    return json.loads((FIXTURES / "recorded" / name).read_text())


def recorded_names() -> list[str]:
    return sorted(p.name for p in (FIXTURES / "recorded").glob("*.json"))


def doc_example(name: str, label: str) -> Any:
    """The JSON of the example whose label contains `label` in docs/<name>."""
    examples = json.loads((FIXTURES / "docs" / name).read_text())["examples"]
    for example in examples:
        if label in example["label"]:
            return example["json"] if "json" in example else json.loads(example["raw"])
    raise KeyError(f"{name} has no example labelled {label!r}")
