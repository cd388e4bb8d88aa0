"""The README is a quickstart that stays true, and the docs hold together: every link in README.md
and docs/*.md reaches a file of the repository and a heading that exists there, nothing points
outside the repository, and every command the README tells a user to type exists and answers
`--help` (those that run for minutes or forever run in their own tests: `make demo` in
tests/e2e/test_demo.py, `make run` in tests/e2e/test_run_trades_and_learns.py)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.kit.cli import ROOT, clean_env

README = ROOT / "README.md"
PAGES = sorted((ROOT / "docs").glob("*.md"))
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.S | re.M)


def _anchors(path: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens."""
    text = FENCE.sub("", path.read_text())
    return {re.sub(r"[^\w\- ]", "", line.lstrip("#").strip().lower()).replace(" ", "-")
            for line in text.splitlines() if line.startswith("#")}


def _links(path: Path) -> list[str]:
    return [target for target in LINK.findall(FENCE.sub("", path.read_text()))
            if not target.startswith(("http://", "https://", "mailto:"))]


def test_the_readme_is_a_quickstart() -> None:
    text = README.read_text()
    assert len(text.splitlines()) <= 200
    for must in ("make demo", "make run", "make test", "SIM_SPEED", "OKX_API_KEY", "ANTHROPIC_API_KEY",
                 "var/flower-basic-auth", "trading-bot status", "docs/architecture.md"):
        assert must in text, must


@pytest.mark.parametrize("page", [README, *PAGES], ids=lambda p: p.name)
def test_every_link_reaches_a_file_and_heading_of_the_repository(page: Path) -> None:
    assert _links(page) or page.name != "README.md", "the README links the docs"
    for target in _links(page):
        file, _, anchor = target.partition("#")
        resolved = (page.parent / file).resolve() if file else page
        assert resolved.is_relative_to(ROOT), f"{page.name}: {target} points outside the repository"
        assert resolved.exists(), f"{page.name}: {target} does not exist"
        if anchor:
            assert anchor in _anchors(resolved), f"{page.name}: no heading #{anchor} in {resolved.name}"


def test_every_docs_page_is_linked_from_the_readme() -> None:
    linked = {(ROOT / t.partition("#")[0]).resolve() for t in _links(README)}
    assert [p.name for p in PAGES if p.resolve() not in linked] == []


def test_nothing_points_at_the_design_guide_outside_the_checkout() -> None:
    for path in [README, *PAGES, *ROOT.glob("trading_bot/**/*.py"), *ROOT.glob("alembic/**/*.py")]:
        assert "DESIGN.md" not in path.read_text(), path


def _readme_commands() -> list[list[str]]:
    """Every `make X` and `trading-bot X …` the README shows (code spans and shell blocks)."""
    text = README.read_text()
    found: list[list[str]] = []
    for command in re.findall(r"(?:^|`|\s)((?:make|(?:\.venv/bin/)?trading-bot) [a-z][\w-]*(?: --?[a-z-]+)*)", text,
                              re.M):
        words = command.split()
        words[0] = "trading-bot" if words[0].endswith("trading-bot") else words[0]
        if words not in found:
            found.append(words)
    return found


def test_the_readme_names_the_commands_it_should() -> None:
    names = {" ".join(c[:2]) for c in _readme_commands()}
    assert {"make demo", "make run", "make test", "trading-bot status", "trading-bot telegram",
            "trading-bot report", "trading-bot doctor", "trading-bot halt", "trading-bot backtest"} <= names


@pytest.mark.parametrize("command", _readme_commands(), ids=" ".join)
def test_every_readme_command_exists(command: list[str]) -> None:
    if command[0] == "make":
        dry = subprocess.run(["make", "-n", command[1]], cwd=ROOT, capture_output=True, text=True)
        assert dry.returncode == 0, dry.stderr
        return
    flags = [word for word in command[2:] if word.startswith("-")]
    shown = subprocess.run([sys.executable, "-m", "trading_bot", command[1], "--help"], cwd=ROOT,
                           env=clean_env(), capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0, shown.stderr
    for flag in flags:
        assert flag in shown.stdout, f"{' '.join(command)}: {flag} is not an option"
