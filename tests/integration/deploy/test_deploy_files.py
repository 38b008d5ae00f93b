"""The files in deploy/: what can be checked without Kubernetes, Docker or a helm binary.

* Helm chart: no `helm` binary is obtainable here (not on PyPI, Debian 12 or npm; only as Go
  source). So the templates are rendered by a deliberately tiny stand-in that understands only
  what these templates use: `.Values.x.y` / `$.Values.x.y` (optionally `| quote`) and
  `.Release.Name` are substituted from values.yaml, whole-line actions (`include`, `toYaml`,
  `if`, `range`, `end`) are dropped, and any other inline action becomes a placeholder. The
  result must be valid YAML made of Kubernetes objects, every `.Values` path a template uses
  must exist, and every block must be closed. It cannot catch Go-template runtime errors.
* Compose: parsed with PyYAML (`docker compose config` needs an engine) and checked for
  images, health checks and start order.
* systemd: `systemd-analyze verify` on the unit (ExecStart pointed at an existing binary).
* nftables: `nft -c` checks the edge firewall without loading it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

DEPLOY = Path(__file__).resolve().parents[3] / "deploy"
CHART = DEPLOY / "helm" / "vigil"
ACTION = re.compile(r"{{-?\s*(.*?)\s*-?}}")
VALUE_REF = re.compile(r"^\$?\.Values\.([\w.]+)(\s*\|\s*quote)?$")
INCLUDE = re.compile(r'{{-? include "([\w.]+)" \$?\.? \| nindent (\d+) -?}}')
BLOCK_OPEN = re.compile(r"^(if|range|with|define)\b")
PLACEHOLDER = "templated"


def values() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((CHART / "values.yaml").read_text())
    return loaded


def lookup(tree: dict[str, Any], dotted: str) -> Any:
    node: Any = tree
    for part in dotted.split("."):
        assert isinstance(node, dict) and part in node, f".Values.{dotted} is not in values.yaml"
        node = node[part]
    return node


def helpers() -> dict[str, str]:
    """The `define` blocks of _helpers.tpl, by name."""
    text = (CHART / "templates" / "_helpers.tpl").read_text()
    return dict(re.findall(r'{{-? define "([\w.]+)" -?}}\n(.*?)\n{{-? end -?}}', text, re.S))


def render(template: str, vals: dict[str, Any]) -> str:
    defined = helpers()
    out: list[str] = []
    for line in template.splitlines():
        stripped = line.strip()
        include = INCLUDE.fullmatch(stripped)
        if include:  # paste the helper, rendered, at the given indent
            body = render(defined[include.group(1)], vals)
            out += [" " * int(include.group(2)) + b for b in body.splitlines()]
            continue
        if ACTION.fullmatch(stripped):
            continue  # a whole-line action: control flow, toYaml
        out.append(ACTION.sub(lambda m: _inline(m.group(1), vals), line))
    return "\n".join(out)


def _inline(action: str, vals: dict[str, Any]) -> str:
    if action in (".Release.Name", "$.Release.Name"):
        return "vigil"
    ref = VALUE_REF.match(action)
    if ref:
        value = lookup(vals, ref.group(1))
        return f'"{value}"' if ref.group(2) else str(value)
    return PLACEHOLDER


def rendered_objects() -> list[dict[str, Any]]:
    vals = values()
    objects = []
    for path in sorted((CHART / "templates").glob("*.yaml")):
        for doc in yaml.safe_load_all(render(path.read_text(), vals)):
            if doc is not None:
                objects.append(doc)
    return objects


def test_chart_metadata_and_blocks_balance() -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert chart["apiVersion"] == "v2" and chart["name"] == "vigil" and chart["version"]
    for path in (CHART / "templates").iterdir():
        actions = [a.strip() for a in ACTION.findall(path.read_text())]
        opened = sum(1 for a in actions if BLOCK_OPEN.match(a))
        closed = sum(1 for a in actions if a == "end")
        assert opened == closed, f"{path.name}: {opened} blocks opened, {closed} closed"


def test_every_values_path_a_template_uses_exists() -> None:
    vals = values()
    for path in (CHART / "templates").iterdir():
        text = path.read_text()
        for dotted in re.findall(r"\$?\.Values\.([\w.]+)", text):
            lookup(vals, dotted)
        for dotted in re.findall(r"\$w\.([\w.]+)", text):  # fields of each worker role
            for worker in vals["workers"].values():
                lookup({"w": worker}, f"w.{dotted}")


def test_chart_renders_to_kubernetes_objects() -> None:
    objects = rendered_objects()
    for obj in objects:
        assert {"apiVersion", "kind", "metadata"} <= obj.keys(), obj
        assert obj["metadata"]["name"]
    kinds = sorted({o["kind"] for o in objects})
    assert kinds == ["Deployment", "HorizontalPodAutoscaler", "Service"]


def test_hub_has_the_three_probes_and_secrets_by_reference() -> None:
    hub = next(
        o
        for o in rendered_objects()
        if o["kind"] == "Deployment" and o["metadata"]["name"] == "vigil-hub"
    )
    container = hub["spec"]["template"]["spec"]["containers"][0]
    probes = {k: container[k]["httpGet"]["path"] for k in container if k.endswith("Probe")}
    assert probes == {
        "startupProbe": "/health/startup",
        "livenessProbe": "/health/live",
        "readinessProbe": "/health/ready",
    }
    env = {e["name"]: e for e in container["env"]}
    for name in ("VIGIL_DATABASE_URL", "AWS_SECRET_ACCESS_KEY", "VIGIL_REDIS_URL"):
        assert "secretKeyRef" in env[name]["valueFrom"], name
        assert "value" not in env[name]
    assert env["VIGIL_KAFKA_BOOTSTRAP"]["value"].startswith("kafka-0")


def test_workers_scale_on_cpu_and_consumer_lag() -> None:
    template = (CHART / "templates" / "hpa.yaml").read_text()
    hpas = [o for o in rendered_objects() if o["kind"] == "HorizontalPodAutoscaler"]
    assert len(hpas) == 2  # the hub's, and one per worker role (the range renders once here)
    worker = next(h for h in hpas if "External" in {m["type"] for m in h["spec"]["metrics"]})
    external = next(m for m in worker["spec"]["metrics"] if m["type"] == "External")
    assert external["external"]["metric"]["name"] == "kafka_consumer_lag"
    assert {m["type"] for m in worker["spec"]["metrics"]} == {"Resource", "External"}
    assert "range $role, $w := .Values.workers" in template
    assert set(values()["workers"]) == {"inference", "analytics", "notify"}


def test_triton_is_optional() -> None:
    assert values()["triton"]["enabled"] is False
    assert (
        (CHART / "templates" / "triton.yaml")
        .read_text()
        .startswith("{{- if .Values.triton.enabled }}")
    )


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "compose" / "docker-compose.yml").read_text())
    return loaded


def test_compose_cluster_has_engines_hub_and_workers_with_health_checks() -> None:
    services = compose()["services"]
    assert set(services) == {
        "kafka", "postgres", "seaweedfs", "redis",
        "hub", "worker-inference", "worker-analytics", "worker-notify",
    }  # fmt: skip
    for name, service in services.items():
        assert service.get("image"), name
        assert service["healthcheck"]["test"], name
        assert service.get("restart") == "unless-stopped", name
    for name in ("hub", "worker-inference", "worker-analytics", "worker-notify"):
        deps = services[name]["depends_on"]
        assert {d: c["condition"] for d, c in deps.items()} == dict.fromkeys(
            ("kafka", "postgres", "seaweedfs", "redis"), "service_healthy"
        )
        assert "/health/ready" in " ".join(services[name]["healthcheck"]["test"])
    assert services["hub"]["ports"] == ["8080:8080"]
    assert services["worker-analytics"]["deploy"]["replicas"] == 2
    assert [s for s in services if services[s].get("ports")] == ["hub"]  # engines stay inside


def test_compose_takes_secrets_from_the_environment_only() -> None:
    text = (DEPLOY / "compose" / "docker-compose.yml").read_text()
    env = compose()["services"]["hub"]["environment"]
    assert "${POSTGRES_PASSWORD:?" in env["VIGIL_DATABASE_URL"]
    assert env["AWS_SECRET_ACCESS_KEY"].startswith("${S3_SECRET_KEY:?")
    assert "change-me" not in text


def test_edge_unit_restarts_always_and_is_hardened(tmp_path: Path) -> None:
    unit = (DEPLOY / "systemd" / "vigil-edge.service").read_text()
    settings = dict(
        line.split("=", 1) for line in unit.splitlines() if "=" in line and line[0] != "#"
    )
    assert settings["Restart"] == "always"
    assert settings["StartLimitIntervalSec"] == "0"
    for key in ("NoNewPrivileges", "ProtectHome", "PrivateTmp", "PrivateDevices"):
        assert settings[key] == "yes", key
    assert settings["ProtectSystem"] == "strict" and settings["CapabilityBoundingSet"] == ""
    assert settings["ExecStart"].split()[1] == "edge"
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze not found (Debian systemd)"
    copy = tmp_path / "vigil-edge.service"
    copy.write_text(unit.replace(settings["ExecStart"], "/usr/bin/true"))
    result = subprocess.run([analyze, "verify", str(copy)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "Unknown key" not in result.stderr, result.stderr


def test_edge_firewall_is_valid_nftables_and_drops_by_default() -> None:
    path = DEPLOY / "firewall" / "edge.nft"
    text = path.read_text()
    assert text.count("policy drop") == 3  # input, forward, output
    assert 'iifname "wg0" ip saddr $HUB_TUNNEL' in text
    nft, unshare = shutil.which("nft"), shutil.which("unshare")
    assert nft and unshare, "nft or unshare not found (Debian nftables, util-linux)"
    # `nft -c` needs CAP_NET_ADMIN even to check: take it in a private user + net namespace.
    result = subprocess.run(
        [unshare, "-rn", nft, "-c", "-f", str(path)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("path", sorted(DEPLOY.rglob("*.y*ml")), ids=lambda p: p.name)
def test_plain_yaml_files_parse(path: Path) -> None:
    if "templates" in path.parts:
        return  # Go templates: rendered by the stand-in above
    list(yaml.safe_load_all(path.read_text()))


def _deploy_commands() -> list[tuple[str, list[str]]]:
    """Every Vigil command line in the compose file and the rendered chart."""
    found = [
        (f"compose {name}", list(service["command"]))
        for name, service in compose()["services"].items()
        if name == "hub" or name.startswith("worker-")
    ]
    for obj in rendered_objects():
        if obj["kind"] != "Deployment" or "triton" in obj["metadata"]["name"]:
            continue
        container = obj["spec"]["template"]["spec"]["containers"][0]
        found.append((f"chart {obj['metadata']['name']}", [str(a) for a in container["args"]]))
    return found


def test_deploy_command_lines_parse_with_the_real_cli() -> None:
    """A wrong or missing option in a deploy file would only show in production: parse each
    command line with Vigil's own CLI (options checked, nothing run) and check it listens
    beyond loopback and reads the mounted site.yaml."""
    import typer.main

    from vigil.cli import app

    cli = typer.main.get_command(app)
    commands = _deploy_commands()
    assert {label.split()[0] for label, _ in commands} == {"compose", "chart"}
    for label, argv in commands:
        name, *args = argv
        assert name in ("hub", "worker"), label
        sub = cli.get_command(cli.make_context("vigil", [name]), name)  # type: ignore[attr-defined]
        assert sub is not None, label
        sub_ctx = sub.make_context(name, args)  # raises on an unknown or missing option
        assert str(sub_ctx.params["config"]) == "/etc/vigil/site.yaml", label
        assert sub_ctx.params["host"] == "0.0.0.0", label
        if name == "hub":
            assert sub_ctx.params["tls_cert"] and sub_ctx.params["tls_key"], label
