"""Property test: random and adversarial decisions, accounts, books and markets (see worlds.py).
The gate never raises, HOLD/CLOSE always pass, and every approved order satisfies every limit as
re-computed independently by `oracle.violations`. A hundred times the Hypothesis profile's count
(dev 10,000 examples, ci 2,000; tests/conftest.py): the gate is pure and fast."""

from __future__ import annotations

from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.kit import risk as kit
from tests.unit.risk import worlds
from tests.unit.risk.oracle import violations
from trading_bot.risk.gate import check
from trading_bot.risk.verdict import Rule

EXAMPLES = 100 * settings().max_examples
# The worlds reach every rule in 10,000 examples (the rarest, such as `margin`, in about one world
# of a thousand): checked at that count, not in the ci profile's shorter run.
EVERY_RULE_AT = 10_000

world_strategy = st.builds(
    worlds.build,
    seed=st.integers(0, 2**32 - 1),
    roughness=st.sampled_from(worlds.ROUGHNESS),
    flaw=st.one_of(st.none(), st.none(), st.sampled_from(worlds.FLAWS)),
    bad=st.sampled_from(worlds.ADVERSARIAL),
)


def test_every_approved_order_satisfies_every_limit():
    outcomes: Counter[str] = Counter()

    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(world_strategy)
    def run(world: worlds.World) -> None:
        decision = world.decision
        verdict = check(decision, world.account, world.positions, world.status, world.market, kit.NOW)
        outcomes[verdict.rule] += 1
        if not decision.action.opens:
            assert verdict.approved and verdict.order is None
            return
        if not verdict.approved:
            assert verdict.order is None and verdict.rule not in (Rule.ALL_LIMITS, Rule.HOLD, Rule.CLOSE)
            return
        assert verdict.rule is Rule.ALL_LIMITS
        problems = violations(verdict, decision, world.account, world.positions, world.status, world.market, kit.NOW)
        assert not problems, problems

    run()
    total = sum(outcomes.values())
    assert total >= EXAMPLES
    assert outcomes[Rule.ALL_LIMITS] >= total * 0.02, outcomes  # the property is not vacuous
    assert outcomes[Rule.INTERNAL_ERROR] == 0, outcomes  # adversarial inputs are caught by name, not by accident
    if total >= EVERY_RULE_AT:
        unseen = set(Rule) - {rule for rule, n in outcomes.items() if n} - {Rule.INTERNAL_ERROR, Rule.LIQUIDATION}
        assert not unseen, unseen  # liquidation cannot trip within the hard limits (see test_gate_order)
