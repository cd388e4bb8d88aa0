"""The python-telegram-bot types this package shares: the Application as `ApplicationBuilder().build()`
makes it (default context types, a job queue) and the shape of a callback."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from telegram.ext import Application, ContextTypes, ExtBot, JobQueue

BotApplication = Application[ExtBot[Any], ContextTypes.DEFAULT_TYPE, dict[Any, Any], dict[Any, Any],
                             dict[Any, Any], JobQueue[ContextTypes.DEFAULT_TYPE]]
Callback = Callable[[Any, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]
