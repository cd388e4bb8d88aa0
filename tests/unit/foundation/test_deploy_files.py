"""Procfile, docker-compose.yml and the supervisor's role list describe the same processes."""

from pathlib import Path

import yaml

from trading_bot.services.roles import ROLES

ROOT = Path(__file__).resolve().parents[3]


def _procfile() -> dict[str, str]:
    entries = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, command = line.split(":", 1)
            entries[name.strip()] = command.strip()
    return entries


def test_procfile_matches_roles() -> None:
    assert _procfile() == {r.name: r.command for r in ROLES if not r.embedded_only}


def test_compose_is_valid_and_runs_every_role_with_the_procfile_command() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    for name, command in _procfile().items():
        assert name in services, f"docker-compose.yml has no service {name}"
        service = services[name]
        assert service["command"] == command
        assert "healthcheck" in service
        deps = service["depends_on"]
        assert deps["timescaledb"]["condition"] == "service_healthy"
        assert deps["redis"]["condition"] == "service_healthy"
        assert deps["migrate"]["condition"] == "service_completed_successfully"


def test_compose_infrastructure() -> None:
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    assert "timescale/timescaledb" in services["timescaledb"]["image"] and "pg16" in services["timescaledb"]["image"]
    assert services["redis"]["image"].startswith("redis:7")
    assert "--appendonly" in services["redis"]["command"]
    grafana_mounts = " ".join(services["grafana"]["volumes"])
    assert "./grafana/provisioning:/etc/grafana/provisioning" in grafana_mounts
    for name in ("timescaledb", "redis", "grafana"):
        assert "healthcheck" in services[name]
    assert "FLOWER_BASIC_AUTH" in services["flower"]["environment"]
