"""Repositories: one module per aggregate (candles, cycles, trades, llm calls, state …); each takes
a `Database` and returns domain objects or plain rows, never ORM objects outside a session."""
