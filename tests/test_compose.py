"""The production compose stack, checked by reading it: no Docker engine runs here.

What a `docker compose up` would prove about configuration, these tests prove from the
file: every exitflow variable is one exitflow reads, no secret is written down, every image
is pinned, workers can scale, and the Web UI reaches the codec server.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from config import Settings
from runtime import worker

ROOT = Path(__file__).resolve().parents[1]
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
PROJECT_VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]

_SECRET_NAME = re.compile(r"SECRET|PASSWORD|PASSWD|PWD|KEYS?$|TOKEN", re.IGNORECASE)
_REQUIRED_FROM_ENV = re.compile(r"^\$\{[A-Z0-9_]+(:?\?[^}]*)?\}$")
_INTERPOLATION = re.compile(r"\$\{([A-Z0-9_]+)(?::?([-?])([^}]*))?\}")
_URL_PASSWORD = re.compile(r"://[^:/@\s]+:([^@\s]+)@")


def _environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {str(key): str(value) for key, value in env.items()}


def _with_defaults(value: str) -> str:
    """``value`` as compose would expand it with an empty environment and its defaults."""
    return _INTERPOLATION.sub(lambda m: m.group(3) if m.group(2) == "-" else "", value)


ENVIRONMENTS = {name: _environment(service) for name, service in SERVICES.items()}


def test_the_stack_has_every_production_service() -> None:
    """PostgreSQL, Temporal on it, its UI, the codec server, Mailpit, API and workers."""
    assert {
        "postgresql",
        "temporal",
        "temporal-ui",
        "codec-server",
        "mailpit",
        "api",
        "worker",
    } <= SERVICES.keys()


def test_every_exitflow_variable_is_a_settings_field() -> None:
    """A misspelt EXITFLOW_ variable would be silently ignored; each one set or read here
    names a field of ``Settings``."""
    fields = set(Settings.model_fields)
    for name, env in ENVIRONMENTS.items():
        referenced = set(env) | {
            var for value in env.values() for var, *_ in _INTERPOLATION.findall(value)
        }
        for variable in referenced:
            if variable.startswith("EXITFLOW_"):
                field = variable.removeprefix("EXITFLOW_").lower()
                assert field in fields, f"{name}: {variable} is not a Settings field"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_no_secret_is_written_in_the_file(name: str) -> None:
    """Secrets come from the environment: required (``${X:?...}``), never a default."""
    for variable, value in ENVIRONMENTS[name].items():
        if _SECRET_NAME.search(variable) and value not in ("true", "false"):  # a flag's name
            assert _REQUIRED_FROM_ENV.match(value), f"{name}: {variable} is written down"
        for password in _URL_PASSWORD.findall(value):
            assert _REQUIRED_FROM_ENV.match(password), f"{name}: {variable} has a password"


def test_secret_environment_variables_must_be_set() -> None:
    """The exitflow secrets have no fallback: compose refuses to start without them."""
    worker = ENVIRONMENTS["worker"]
    for variable in (
        "EXITFLOW_PAYLOAD_KEYS",
        "EXITFLOW_API_KEYS",
        "EXITFLOW_HRIS_WEBHOOK_SECRET",
        "EXITFLOW_RESUME_TOKEN_SECRET",
    ):
        assert worker[variable].startswith(f"${{{variable}:?"), variable


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_image_is_pinned_to_a_version(name: str) -> None:
    """No ``latest`` or untagged image: a restart never changes what runs."""
    image = SERVICES[name]["image"]
    repository, _, tag = image.rpartition(":")
    assert repository and "/" not in tag, f"{name}: {image} has no tag"
    assert tag != "latest" and re.search(r"\d", tag), f"{name}: {image} is not a version"
    if "build" in SERVICES[name]:
        assert tag == PROJECT_VERSION, f"{name}: built image is not tagged {PROJECT_VERSION}"


def test_the_dockerfile_base_image_is_pinned_and_runs_unprivileged() -> None:
    """The exitflow image builds on a pinned Python and does not run as root."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    [base] = re.findall(r"^FROM\s+(\S+)", dockerfile, re.MULTILINE)
    assert re.fullmatch(r"python:\d+\.\d+\.\d+-[a-z-]+", base), base
    assert re.search(r"^USER\s+(?!root)\w+", dockerfile, re.MULTILINE)


def test_workers_scale_with_compose_scale() -> None:
    """``--scale worker=N`` needs no fixed container name and no published host port."""
    worker = SERVICES["worker"]
    assert "container_name" not in worker
    assert "ports" not in worker
    assert worker["command"] == ["exitflow", "worker"]


def test_workers_expose_prometheus_metrics_inside_the_network() -> None:
    """Each worker replica serves the SDK and exitflow metrics on the compose network."""
    bind = ENVIRONMENTS["worker"]["EXITFLOW_METRICS_BIND"]
    host, _, port = bind.rpartition(":")
    assert host == "0.0.0.0" and port.isdigit()
    assert Settings(metrics_bind=bind).metrics_bind == bind


def test_the_web_ui_is_wired_to_the_codec_server() -> None:
    """The UI sends payloads to the codec server's published address, and the codec
    server's CORS admits the UI's published origin."""
    ui, codec = ENVIRONMENTS["temporal-ui"], ENVIRONMENTS["codec-server"]
    endpoint = _with_defaults(ui["TEMPORAL_CODEC_ENDPOINT"])
    codec_port = endpoint.rsplit(":", 1)[-1].rstrip("/")
    assert f"{codec_port}:8081" in SERVICES["codec-server"]["ports"]
    assert SERVICES["codec-server"]["command"][:2] == ["exitflow", "codec-server"]
    assert "8081" in SERVICES["codec-server"]["command"]

    origin = _with_defaults(codec["EXITFLOW_WEB_UI_ORIGIN"])
    ui_port = origin.rsplit(":", 1)[-1]
    assert any(
        str(mapping).startswith(f"{ui_port}:") for mapping in SERVICES["temporal-ui"]["ports"]
    )
    assert codec["EXITFLOW_PAYLOAD_KEYS"] == ENVIRONMENTS["worker"]["EXITFLOW_PAYLOAD_KEYS"]
    assert codec["EXITFLOW_API_KEYS"] == ENVIRONMENTS["api"]["EXITFLOW_API_KEYS"]


def test_a_stopped_worker_is_given_time_to_shut_down_before_it_is_killed() -> None:
    """Docker kills a container its stop grace after SIGTERM: the worker's must outlast the
    longest shutdown the worker allows itself, or in-flight activities die mid-delivery."""
    grace = SERVICES["worker"]["stop_grace_period"]
    match = re.fullmatch(r"(\d+)s", grace)
    assert match, f"stop_grace_period {grace!r} is not in seconds"

    assert int(match.group(1)) > worker.SHUTDOWN_LIMIT.total_seconds()
