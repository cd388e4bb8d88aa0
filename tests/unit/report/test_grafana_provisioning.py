"""Grafana's provisioning files agree with docker-compose.yml, the migration's reader role and the
dashboards: the datasource Grafana creates is the one every panel names."""

from pathlib import Path

import yaml

from trading_bot.grafana.model import DATASOURCE_TYPE, DATASOURCE_UID

ROOT = Path(__file__).resolve().parents[3]
PROVISIONING = ROOT / "grafana" / "provisioning"


def _yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def _compose() -> dict:
    return _yaml(ROOT / "docker-compose.yml")["services"]


def test_datasource_is_the_read_only_role_on_the_compose_database() -> None:
    (source,) = _yaml(PROVISIONING / "datasources" / "trading-bot.yml")["datasources"]
    database = _compose()["timescaledb"]["environment"]["POSTGRES_DB"]
    assert source["uid"] == DATASOURCE_UID and source["type"] == DATASOURCE_TYPE
    assert source["url"] == "timescaledb:5432" and "timescaledb" in _compose()
    assert source["user"] == "grafana_reader"
    assert source["jsonData"]["database"] == database
    assert source["jsonData"]["timescaledb"] is False  # keeps $__timeGroup plain SQL on every server
    assert source["secureJsonData"]["password"] == "${GRAFANA_READER_PASSWORD}"
    assert "GRAFANA_READER_PASSWORD" in _compose()["grafana"]["environment"]
    assert "password" not in source  # never a literal password in the repository


def test_dashboard_provider_reads_the_mounted_directory_into_one_folder() -> None:
    (provider,) = _yaml(PROVISIONING / "dashboards" / "trading-bot.yml")["providers"]
    mounts = dict(volume.rsplit(":", 2)[:2] for volume in _compose()["grafana"]["volumes"] if volume.startswith("./"))
    assert mounts["./grafana/dashboards"] == provider["options"]["path"]
    assert mounts["./grafana/provisioning"] == "/etc/grafana/provisioning"
    assert provider["folder"] == "Trading Bot" and provider["type"] == "file"
    assert provider["allowUiUpdates"] is False  # the files are generated; edits belong in the code
