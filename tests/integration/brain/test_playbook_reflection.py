"""Playbook versions in PostgreSQL, post-trade reviews and deep reflection (Opus through the fake,
and the offline rules), and the factory's choice of adapters."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from tests.kit.fake_anthropic import FakeReply
from tests.kit.snapshots import AT
from trading_bot.brain.playbook import PlaybookChanged, PlaybookStore, default_playbook
from trading_bot.brain.ports import TradeRecap
from trading_bot.config import ConfigError
from trading_bot.domain.playbook import Playbook

TRADE = TradeRecap(trade_id=1, inst_id="BTC-USDT-SWAP", side="long", strategy="trend_pullback",
                   regime="trending_up", entry_ts=AT, entry_px=Decimal("67000"), exit_ts=AT + timedelta(hours=3),
                   exit_px=Decimal("66400"), net_pnl=Decimal("-6.2"), r_multiple=Decimal("-1"),
                   close_reason="stop_loss", confidence=Decimal("0.7"))


def test_store_saves_version_1_then_versions_with_change_logs(database):
    store = PlaybookStore(database)
    assert store.current(AT) == default_playbook()
    changed = default_playbook().model_copy(update={"notes": "tighter pullbacks"})
    saved = store.save(changed, changes=["notes: tighter pullbacks"], created_by="reflection", now=AT)
    assert saved.version == 2 and store.current(AT).notes == "tighter pullbacks"
    history = store.history()
    assert [(r.version, r.parent_version, r.created_by) for r in history] == [(1, None, "default"),
                                                                              (2, 1, "reflection")]
    assert history[1].change_log == ["notes: tighter pullbacks"] and history[1].created_at == AT


def test_concurrent_first_cycles_share_the_default_playbook(database):
    """The first cycles of a fresh install run side by side (one per instrument on worker-brain's
    threads); each finds no playbook and stores the default: one must not fail the others."""
    import threading

    barrier = threading.Barrier(8)
    results, failures = [], []

    def first_use() -> None:
        barrier.wait()
        try:
            results.append(PlaybookStore(database).current(AT).version)
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            failures.append(exc)

    threads = [threading.Thread(target=first_use) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == [] and results == [1] * 8
    assert [row.version for row in PlaybookStore(database).history()] == [1]


def test_two_reflections_at_once_store_one_version_and_the_late_one_is_refused(database):
    """Seen in the soak: two deep reflections (worker-brain threads) both stored "the next version"
    and one died on the primary key. Each change names the version it was made to: the second
    to arrive is refused with PlaybookChanged, and exactly one new version results."""
    import threading

    store = PlaybookStore(database)
    base = store.current(AT)
    barrier = threading.Barrier(6)
    saved, refused, failures = [], [], []

    def reflect(n: int) -> None:
        change = base.model_copy(update={"notes": f"reflection {n}"})
        barrier.wait()
        try:
            saved.append(PlaybookStore(database).save(change, [f"notes {n}"], "reflection", AT, parent=base.version))
        except PlaybookChanged as exc:
            refused.append(str(exc))
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            failures.append(exc)

    threads = [threading.Thread(target=reflect, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == [] and len(saved) == 1 and len(refused) == 5
    assert [(r.version, r.parent_version) for r in store.history()] == [(1, None), (2, 1)]
    assert store.current(AT).notes == saved[0].notes
    with pytest.raises(PlaybookChanged, match="version 2 is current, not 1"):
        store.save(base, ["stale"], "reflection", AT, parent=1)


def test_rules_reflection_collects_review_lessons_into_a_new_version(settings, make_brain, database):
    brain = make_brain(settings.model_copy(update={"brain_mode": "rules"}))
    store = PlaybookStore(database)
    review = brain.reflector.review(TRADE, store.current(AT), AT)
    assert review.model == "rules-v1" and "failed: closed by stop_loss at -1R" in review.lesson
    proposal = brain.reflector.reflect(store.current(AT), [TRADE], [review], AT)
    saved = store.save(proposal.playbook, proposal.changes, created_by="reflection", now=AT)
    assert saved.version == 2 and [lesson.text for lesson in saved.lessons] == [review.lesson]
    assert proposal.changes[0] == f"added lesson: {review.lesson}"


def reflect_answer(lesson: str) -> dict:
    playbook = default_playbook().model_dump(mode="json")
    return {"changes": ["require RSI < 60 for trend pullbacks"], "regimes": playbook["regimes"],
            "strategies": playbook["strategies"], "lessons": [{"text": lesson, "regime": "trending_up",
                                                                "strategy": "trend_pullback"}],
            "calibration": playbook["calibration"], "notes": "v2"}


def test_claude_review_and_reflection(claude_settings, make_brain, fake_anthropic):
    fake_anthropic.enqueue(
        FakeReply.answer({"lesson": "Late pullback entries with RSI near 60 got stopped", "went_well": "",
                          "went_wrong": "entry late", "mistake": "entry"}),
        FakeReply.answer(reflect_answer("Wait for RSI under 55 on trend pullbacks")),
        FakeReply.answer(reflect_answer("Use 10x leverage when the trend is strong")),
    )
    reflector = make_brain(claude_settings).reflector
    review = reflector.review(TRADE, default_playbook(), AT)
    assert (review.mistake, review.model) == ("entry", "claude-opus-4-6") and review.llm_call_id

    proposal = reflector.reflect(default_playbook(), [TRADE], [review], AT)
    assert proposal.playbook.version == 2 and proposal.changes == ["require RSI < 60 for trend pullbacks"]
    assert proposal.playbook.lessons[0].source == f"reflection:{proposal.llm_call_id}"
    assert isinstance(proposal.playbook, Playbook)
    # a proposal restating a risk limit is schema-invalid: no new version
    assert reflector.reflect(default_playbook(), [TRADE], [review], AT) is None


def test_factory_picks_adapters_from_settings(settings, make_brain):
    assert make_brain(settings).mode == "rules"  # auto without a key
    assert make_brain(settings).label == "offline rules brain (rules-v1)"
    with pytest.raises(ConfigError, match="BRAIN_MODE: claude needs ANTHROPIC_API_KEY"):
        make_brain(settings.model_copy(update={"brain_mode": "claude"}))

