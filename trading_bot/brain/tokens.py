"""Offline token estimate (the real counter, `POST /v1/messages/count_tokens`, needs the API).

Method: a BPE-like pre-tokenisation (words with their leading space, runs of up to three digits,
single punctuation marks, whitespace runs), where a word costs one token per started
`WORD_CHARS_PER_TOKEN` characters. Calibrated against the legacy Claude BPE tokenizer (the
`tokenizer.json` shipped in anthropic-sdk 0.x) on this bot's own prompts; see docs/brain.md's cost
section for the figures. Claude 4.x tokenizers differ, so treat results as ±15 %.
"""

from __future__ import annotations

import re
from typing import Any

WORD_CHARS_PER_TOKEN = 6
_PIECES = re.compile(r" ?[A-Za-z]+| ?\d{1,3}|\s+|[^\sA-Za-z\d]")


def estimate_tokens(text: str) -> int:
    count = 0
    for piece in _PIECES.findall(text):
        stripped = piece.strip()
        if stripped.isalpha():
            count += -(-len(stripped) // WORD_CHARS_PER_TOKEN)
        else:
            count += 1
    return count


def estimate_request_tokens(system: list[dict[str, Any]], user: str) -> int:
    """Input tokens of a request: the system blocks, the user turn and a small framing overhead."""
    framing = 8
    return framing + sum(estimate_tokens(block.get("text", "")) for block in system) + estimate_tokens(user)
