"""The Telegram control and alert bot (python-telegram-bot 22): an adapter over the same services
as the CLI; no trading logic lives here. See app.py for the lifecycle, commands.py for the command
table, views/ for what each command shows and alerts/ for the stream consumer."""

import os

# PTB 22 opt-in: time periods (RetryAfter.retry_after …) as timedelta, the type of its next major version.
os.environ.setdefault("PTB_TIMEDELTA", "1")
