"""The local OKX v5 venue: a matching engine, market-data feeds, an OKX-compatible HTTP/WebSocket
server (`trading-bot sim`) and an in-process `Exchange` over the same engine for backtests.

Layers (each module has one job):
  instruments  contract specs (ctVal, lotSz, tickSz, max leverage, maintenance margin)
  series/files/synthetic/funding  market data: bars → intra-bar tick paths, replay files, generator
  market       candles/ticker/book/funding/open-interest queries at the market clock
  book         the synthetic order book market orders walk
  engine       the pure matching engine (Decimal money, no I/O), composed of parts that own their records:
               quotes, settings, order_store, algos, positions, account, matching, triggers, risk, events
               (records and requests: orders; request checks: validation)
  venue        engine + market + clock: advances market time and fires triggers tick by tick
  okx_format   engine state → OKX JSON (strings for numbers, "" for not applicable)
  server/rest_*/ws/auth/ratelimit/faults  the OKX v5 REST + WebSocket server
  persistence  save/restore of the engine state; credentials  generated API keys
  inprocess    the `Exchange` protocol directly over a venue with a simulated clock
"""
