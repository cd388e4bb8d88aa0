# One image for every role; docker-compose.yml picks the command per service.
FROM python:3.12-slim

ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 APP_ENV=production
RUN useradd --create-home --uid 10001 bot
WORKDIR /app
COPY pyproject.toml README.md celeryconfig.py alembic.ini ./
COPY trading_bot ./trading_bot
COPY alembic ./alembic
RUN pip install .
USER bot
ENV VAR_DIR=/home/bot/var
CMD ["trading-bot", "--help"]
