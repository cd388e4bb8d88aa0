"""The fake Bot API's HTML check follows Telegram's rules, so tests that rely on it mean something."""

from __future__ import annotations

import pytest

from tests.kit.fake_telegram import HtmlError, parse_html


@pytest.mark.parametrize("text", [
    "<b>x</b> <i>y</i> <code>z</code> <pre>p</pre> <blockquote>q</blockquote>",
    "a &lt; b &amp;&amp; c &gt; d &quot;e&quot; &#39;f&#39;",
    '<a href="https://example.org">link</a>',
])
def test_valid_markup_is_accepted(text: str) -> None:
    parse_html(text)


@pytest.mark.parametrize("text", [
    "<b>unclosed",
    "</b>closed only",
    "<b><i>crossed</b></i>",
    "<script>alert(1)</script>",
    "a < b",
    "AT&T",
    "x > y",
])
def test_invalid_markup_is_rejected(text: str) -> None:
    with pytest.raises(HtmlError):
        parse_html(text)


def test_visible_text_unescapes_entities_and_drops_tags() -> None:
    assert parse_html("<b>1 &lt; 2</b> &amp; done") == "1 < 2 & done"
