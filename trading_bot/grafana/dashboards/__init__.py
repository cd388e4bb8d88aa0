"""The seven provisioned dashboards, in the order of the Trading Bot folder."""

from trading_bot.grafana.dashboards import brain, playbook, portfolio, positions, risk, strategies, system
from trading_bot.grafana.model import Dashboard

DASHBOARDS: tuple[Dashboard, ...] = tuple(
    module.DASHBOARD for module in (portfolio, positions, strategies, brain, risk, system, playbook)
)
