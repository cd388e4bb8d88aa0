"""The risk gate (pure checks → Verdict), its hard limits, and the bot's safety states."""
