"""The checks `trading-bot run` makes before it (re)starts a role: one line naming the variable."""

import socket

import pytest

from trading_bot.config import load_settings
from trading_bot.services import ports
from trading_bot.services.roles import ROLES, role


def test_a_taken_port_is_one_line_naming_the_setting_and_free_again_once_released() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    port = sock.getsockname()[1]
    assert ports.problem(port, "FLOWER_PORT") == f"port {port} on 127.0.0.1 is taken (FLOWER_PORT)"
    sock.close()
    assert ports.problem(port, "FLOWER_PORT") is None


@pytest.mark.parametrize(("name", "setting"), [("flower", "flower_port"), ("sim", "sim_port")])
def test_roles_that_listen_are_checked_for_their_port(held_port: int, name: str, setting: str) -> None:
    settings = load_settings(**{setting: held_port})
    assert role(name).problem(settings) == f"port {held_port} on 127.0.0.1 is taken ({setting.upper()})"


def test_telegram_needs_its_chats_before_it_is_started() -> None:
    without_chats = load_settings(telegram_bot_token="123:abc")
    assert role("telegram").problem(without_chats) == (
        "TELEGRAM_CHAT_IDS: expected at least one chat id (the bot answers no one else)")
    assert role("telegram").problem(load_settings(telegram_bot_token="123:abc", telegram_chat_ids="42")) is None


def test_roles_without_requirements_have_no_problem(held_port: int) -> None:
    settings = load_settings(flower_port=held_port, sim_port=held_port)  # ports of other roles are not theirs
    plain = [r.name for r in ROLES if r.problem(settings) is None]
    assert plain == ["beat", "worker-market", "worker-brain", "worker-trade", "ws-public", "ws-private"]
