from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from tests.kit import risk as kit
from trading_bot.domain.decision import Decision
from trading_bot.domain.orders import Position
from trading_bot.risk.gate import check
from trading_bot.risk.verdict import Verdict


@pytest.fixture
def gate():  # noqa: ANN201
    """check() with healthy defaults for every input not given."""

    def run(decision: Decision | None = None, positions: Sequence[Position] = (), **inputs: Any) -> Verdict:
        return check(
            decision or kit.long(),
            inputs.pop("account", None) or kit.account(),
            list(positions),
            inputs.pop("status", None) or kit.status(),
            inputs.pop("market", None) or kit.market(),
            inputs.pop("now", kit.NOW),
            **inputs,
        )

    return run
