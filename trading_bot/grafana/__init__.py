"""Grafana dashboards of the bot, written as Python (`dashboards/`) and rendered to the JSON files
under `grafana/dashboards/` that Grafana's file provisioning loads. Regenerate them after a change
with `python -m trading_bot.grafana`; a test fails while the files and the code disagree."""
