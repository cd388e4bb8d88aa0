"""The brain: turns a market snapshot into a decision, cheaply, honestly priced, safely, reproducibly.

ports (what the pipeline calls) · factory (adapters from BRAIN_MODE) · llm (the only Anthropic
client) · calls (parse, price, record) · replay · prices · budget (ledger and governor) · alerts ·
prompts + prompt_texts · answers (structured-output schemas) · screener · analyst · research
(Perplexity Agent API) · reflection · rules (the offline brain) · playbook · calendar · triggers ·
envelope (the risk limits as the brain states them) · tokens (offline token estimate).
"""
