"""PostgreSQL and Redis access. LIVE_RUN lives here, apart from the models, so a command's parser can
name it as a default without importing SQLAlchemy."""

LIVE_RUN = "live"  # the run_id of the live bot's rows; each backtest writes under its own
