"""The `vigil` command. Thin: each command parses, builds the service and calls it."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, cast

import typer

from vigil.config import SiteConfig, load_config
from vigil.errors import ConfigError, VigilError
from vigil.ops.console import Output, cli_console
from vigil.ops.logging import LOG_FORMATS, LogFormat

if TYPE_CHECKING:
    from vigil.app.demo import SimulatorProcess
    from vigil.auth.security import Role

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="Vigil: AI video surveillance for industrial sites.",
)
config_app = typer.Typer(no_args_is_help=True, help="Check site configuration files.")
app.add_typer(config_app, name="config")
vpn_app = typer.Typer(no_args_is_help=True, help="WireGuard tunnels between edges and the hub.")
app.add_typer(vpn_app, name="vpn")
keys_app = typer.Typer(no_args_is_help=True, help="API keys, e.g. one per edge on the hub.")
app.add_typer(keys_app, name="keys")
console = cli_console()
log = logging.getLogger(__name__)


def _data_dir(value: Path | None) -> Path:
    return value or Path(os.environ.get("VIGIL_DATA", "./var"))


_DATA_HELP = "Where recordings, the database and keys live [default: $VIGIL_DATA or ./var]"
ConfigOption = Annotated[Path, typer.Option("--config", "-c", help="The YAML configuration.")]
DataDirOption = Annotated[Path | None, typer.Option(help=_DATA_HELP)]
HostOption = Annotated[str, typer.Option(help="Address the dashboard listens on.")]
PortOption = Annotated[int, typer.Option(help="Dashboard/API port.")]
LogLevelOption = Annotated[str, typer.Option(help="DEBUG, INFO, WARNING")]


def _log_format(value: str) -> str:
    if value not in LOG_FORMATS:
        raise typer.BadParameter(f"{value!r}: give {', '.join(LOG_FORMATS)}")
    return value


LogFormatOption = Annotated[
    str,
    typer.Option(
        callback=_log_format,
        metavar="[auto|json|console]",
        envvar="VIGIL_LOG_FORMAT",
        help="Logs as one JSON object per line, or readable console lines (with progress "
        "steps on a terminal); auto: console on a terminal, JSON otherwise "
        "[env: VIGIL_LOG_FORMAT]",
    ),
]


def _run(
    main: Callable[[Output], Coroutine[Any, Any, None]],
    log_level: str,
    log_format: str = "auto",
) -> None:
    """Run a long-lived command; configuration and Vigil errors end it with a clear message,
    any other error with its traceback in the log."""
    from vigil.ops.logging import configure_logging

    out = Output(console, configure_logging(log_level, cast("LogFormat", log_format)))
    try:
        asyncio.run(main(out))
    except ConfigError as err:
        out.done_starting()
        out.say(f"[red]{err.detail}[/red]", logging.ERROR)
        raise typer.Exit(2) from None
    except VigilError as err:
        out.done_starting()
        out.say(f"[red]error:[/red] {err.detail}", logging.ERROR)
        raise typer.Exit(1) from None
    except Exception:
        out.done_starting()
        log.exception("stopped by an unexpected error")
        raise typer.Exit(1) from None
    finally:
        out.done_starting()


@app.command()
def up(
    config: Annotated[Path | None, typer.Option("--config", "-c", help="site.yaml")] = None,
    demo: Annotated[
        bool, typer.Option(help="Run the built-in DVR simulator (8 channels).")
    ] = False,
    host: Annotated[str, typer.Option(help="Address the dashboard listens on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Dashboard/API port.")] = 8080,
    data_dir: DataDirOption = None,
    log_level: LogLevelOption = "INFO",
    log_format: LogFormatOption = "auto",
) -> None:
    """Run everything for one site in one process."""
    if demo == (config is not None):
        raise typer.BadParameter("give either --config FILE or --demo")
    _run(lambda out: _up(out, config, demo, host, port, _data_dir(data_dir)), log_level, log_format)


@app.command()
def edge(
    config: ConfigOption,
    host: HostOption = "127.0.0.1",
    port: PortOption = 8080,
    data_dir: DataDirOption = None,
    log_level: LogLevelOption = "INFO",
    log_format: LogFormatOption = "auto",
) -> None:
    """Run one site of many: what `vigil up` runs, plus the uplink to the hub.

    Cameras, recording, detection, local alarms and the site's own dashboard run here.
    site.yaml needs `uplink:` with hub_url (https) and api_key (a hub key 'edge <site id>').
    While the hub is unreachable the edge records and alerts locally, queues for the hub on
    disk and sends it all on recovery.
    """
    _run(
        lambda out: _serve(out, load_config(config), _data_dir(data_dir), host, port, "edge"),
        log_level,
        log_format,
    )


@app.command()
def hub(
    config: ConfigOption,
    host: HostOption = "127.0.0.1",
    port: PortOption = 8443,
    data_dir: DataDirOption = None,
    tls_cert: Annotated[
        Path | None, typer.Option(help="PEM certificate: serve HTTPS (edges only send over TLS).")
    ] = None,
    tls_key: Annotated[Path | None, typer.Option(help="PEM private key of --tls-cert.")] = None,
    log_level: LogLevelOption = "INFO",
    log_format: LogFormatOption = "auto",
) -> None:
    """Run the hub of many sites: API, dashboard, alerts, notifications, edges ONLINE/OFFLINE.

    It receives the edges' uplinks (give --tls-cert/--tls-key: edges only send over HTTPS).
    No cameras of its own: its config is a site.yaml listing the cameras of all its edges
    (ids unique across sites), never connected to; used for names, scopes and recordings.
    """
    if (tls_cert is None) != (tls_key is None):
        raise typer.BadParameter("give both --tls-cert and --tls-key, or neither")
    for option, path in (("--tls-cert", tls_cert), ("--tls-key", tls_key)):
        if path is not None and not path.is_file():
            raise typer.BadParameter(f"{path}: no such file", param_hint=option)
    tls = (tls_cert, tls_key) if tls_cert and tls_key else None

    async def main(out: Output) -> None:
        if tls is None:
            out.say(
                "[yellow]warning:[/yellow] plain HTTP; edges only send over HTTPS: give "
                "--tls-cert and --tls-key, or put a TLS proxy in front of the hub",
                logging.WARNING,
            )
        await _serve(out, load_config(config), _data_dir(data_dir), host, port, "hub", tls=tls)

    _run(main, log_level, log_format)


@app.command()
def worker(
    role: Annotated[str, typer.Option(help="analytics, notify or inference.")],
    config: ConfigOption,
    host: Annotated[str, typer.Option(help="Address of the health/metrics endpoint.")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="Port of /health/* and /metrics.")] = 9400,
    data_dir: DataDirOption = None,
    log_level: LogLevelOption = "INFO",
    log_format: LogFormatOption = "auto",
) -> None:
    """Run one stage of a cluster, scaled out with others of its role over Kafka.

    Needs VIGIL_DATABASE_URL (the hub's PostgreSQL) and VIGIL_KAFKA_BOOTSTRAP (the brokers);
    the config is the hub's site.yaml. Workers of one role share a consumer group: Kafka
    spreads the cameras over them and moves a dead worker's cameras to the others.
    """
    from vigil.app.runtime import WORKER_ROLES

    if role not in WORKER_ROLES:
        raise typer.BadParameter(f"{role!r}: give {', '.join(WORKER_ROLES)}", param_hint="--role")
    _run(
        lambda out: _work(out, load_config(config), role, _data_dir(data_dir), host, port),
        log_level,
        log_format,
    )


async def _work(out: Output, site: SiteConfig, role: str, data: Path, host: str, port: int) -> None:
    from vigil.app.runtime import RuntimeOptions, Vigil, WorkerRole

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    options = RuntimeOptions(
        data_dir=data,
        host=host,
        port=port,
        database_url=os.environ.get("VIGIL_DATABASE_URL") or None,
        role=cast("WorkerRole", role),
    )
    runner = Vigil(site, options)
    try:
        await runner.start()
        out.say(
            f"worker {role} of site {site.site.id!r} is running; health and metrics on "
            f"http://{host}:{runner.bound_port}/health/ready"
        )
        await stop.wait()
    finally:
        await runner.stop()


async def _up(
    out: Output, config_path: Path | None, demo: bool, host: str, port: int, data: Path
) -> None:
    from vigil.app.demo import SimulatorProcess, demo_config, demo_password, free_port

    simulator: SimulatorProcess | None = None
    if demo:
        password = demo_password()
        sim_port = free_port(8554)
        out.say(
            "[bold]Vigil demo[/bold]: 8 simulated cameras (the first run encodes the demo "
            "footage once; this can take a minute)"
        )
        simulator = SimulatorProcess(port=sim_port, channels=8, password=password)
        await simulator.start(steps=out.steps)
        site: SiteConfig = demo_config(sim_port, password)
    else:
        assert config_path is not None
        site = load_config(config_path)
    await _serve(out, site, data, host, port, "all", simulator=simulator)


async def _serve(
    out: Output,
    site: SiteConfig,
    data: Path,
    host: str,
    port: int,
    role: Literal["all", "edge", "hub"],
    *,
    tls: tuple[Path, Path] | None = None,
    simulator: SimulatorProcess | None = None,
) -> None:
    """Start Vigil in `role`, run until SIGINT/SIGTERM, stop it (and the demo simulator)."""
    with out.steps.step("Loading Vigil (detection, video and web modules)"):  # seconds
        from vigil.app.runtime import RuntimeOptions, Vigil

    if role == "all" and site.uplink is not None:
        out.say("[yellow]warning:[/yellow] `vigil up` does not use the uplink: section; "
                "run `vigil edge` to send to the hub", logging.WARNING)  # fmt: skip

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        vigil = Vigil(
            site,
            RuntimeOptions(
                data_dir=data,
                host=host,
                port=port,
                database_url=os.environ.get("VIGIL_DATABASE_URL") or None,
                admin_password=os.environ.get("VIGIL_ADMIN_PASSWORD") or None,
                secure_cookies=tls is not None,
                role=role,
                tls_cert=tls[0] if tls else None,
                tls_key=tls[1] if tls else None,
                steps=out.steps,
            ),
        )
    except BaseException:
        if simulator is not None:
            await simulator.stop()
        raise
    try:
        await vigil.start()
        out.done_starting()
        _announce(out, vigil)
        await stop.wait()
        out.say("Stopping…")
    finally:
        await vigil.stop()
        if simulator is not None:
            await simulator.stop()


def _announce(out: Output, vigil: object) -> None:
    from vigil.app.runtime import Vigil

    assert isinstance(vigil, Vigil)
    out.say(f"\n[bold green]Vigil is running[/bold green]: open {vigil.url}")
    if vigil.generated_admin_password:
        out.secret(
            f"  first admin: user [bold]admin[/bold], password "
            f"[bold]{vigil.generated_admin_password}[/bold]  (shown only this once; "
            "set VIGIL_ADMIN_PASSWORD to choose it)"
        )
    else:
        out.say(
            "  sign in as an existing user (the admin password was shown on the "
            "first run, or comes from VIGIL_ADMIN_PASSWORD)"
        )
    out.say("  press Ctrl-C to stop\n")


@config_app.command("check")
def config_check(
    file: Annotated[Path, typer.Argument(help="site.yaml to validate")],
    probe: Annotated[
        bool, typer.Option(help="Also connect to every enabled camera and report what it sends.")
    ] = False,
) -> None:
    """Validate FILE and print every error with its path."""
    try:
        site = load_config(file)
    except ConfigError as err:
        console.print(f"[red]{err.source}: {len(err.errors)} error(s)[/red]")
        for path, message in err.errors:
            console.print(f"  [bold]{path}[/bold]: {message}", highlight=False)
        raise typer.Exit(1) from None
    rules = sum(1 for r in site.rules if r.enabled)
    console.print(
        f"[green]{file}: OK[/green] — site {site.site.id!r}, {len(site.cameras)} "
        f"camera(s), {rules} rule(s), time zone {site.site.timezone}"
    )
    if probe and not _probe_cameras(site):
        raise typer.Exit(1)


def _probe_cameras(site: SiteConfig) -> bool:
    from vigil.dvr.site import camera_url
    from vigil.edge.probe import probe_stream

    all_ok = True
    for cam in site.cameras:
        if not cam.enabled:
            continue
        result = probe_stream(camera_url(site, cam))
        mark = "[green]ok[/green]" if result.ok else "[red]FAILED[/red]"
        where = "own URL" if cam.url is not None else f"channel {cam.channel}"
        console.print(f"  camera {cam.id} ({where}): {mark} {result.detail}", highlight=False)
        all_ok &= result.ok
    return all_ok


@app.command("dvr-sim")
def dvr_sim(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8554,
    channels: Annotated[int, typer.Option(min=1, max=64)] = 8,
    user: Annotated[str, typer.Option()] = "admin",
    password: Annotated[
        str | None,
        typer.Option(envvar="VIGIL_DVR_SIM_PASSWORD", help="[env: VIGIL_DVR_SIM_PASSWORD]"),
    ] = None,
    cache_dir: Annotated[Path | None, typer.Option(help="Where encoded footage is cached.")] = None,
    duration_s: Annotated[
        float | None, typer.Option(help="Loop length [default: all footage]")
    ] = None,
    clock_channel: Annotated[
        list[int] | None,
        typer.Option(help="Channel encoded live with the wall clock burnt in (latency tests)."),
    ] = None,
    frozen_channel: Annotated[
        list[int] | None,
        typer.Option(help="Channel that loops one still picture (a stuck encoder)."),
    ] = None,
    night_channel: Annotated[
        list[int] | None,
        typer.Option(help="Channel showing a dark, static yard with sensor noise."),
    ] = None,
    log_format: LogFormatOption = "auto",
) -> None:
    """Serve N channels like a CP PLUS DVR (RTSP over TCP) from looped pre-encoded footage."""
    from vigil.dvr.simulator.server import run_simulator
    from vigil.ops.logging import configure_logging

    out = Output(console, configure_logging("INFO", cast("LogFormat", log_format)))
    if not password:
        raise typer.BadParameter("set --password or VIGIL_DVR_SIM_PASSWORD", param_hint="password")
    try:
        run_simulator(
            host,
            port,
            channels,
            user,
            password,
            cache_dir=cache_dir,
            duration_s=duration_s,
            clock_channels=tuple(clock_channel or ()),
            frozen_channels=tuple(frozen_channel or ()),
            night_channels=tuple(night_channel or ()),
        )
    except VigilError as err:
        out.say(f"[red]error:[/red] {err.detail}", logging.ERROR)
        raise typer.Exit(1) from None


@app.command("bench", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def bench(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Benchmark to run (e.g. ingest).")],
    quick: Annotated[bool, typer.Option(help="A reduced run, under two minutes.")] = False,
) -> None:
    """Run benchmark NAME; prints a table and, as the last line, one JSON object.

    Options after NAME that `vigil bench` does not know go to the benchmark itself;
    `vigil bench NAME -- --help` lists them. The benchmarks live in the source checkout's
    bench/ (they are not installed with Vigil).
    """
    checkout = Path(__file__).resolve().parents[2]
    if not (checkout / "bench" / "__init__.py").is_file():
        console.print(
            "[red]error:[/red] the benchmarks are not installed with Vigil: they live in the "
            "source checkout's bench/ folder. Clone the repository, run `make venv` and then "
            "`vigil bench` (or `python -m bench`) there."
        )
        raise typer.Exit(2)
    if str(checkout) not in sys.path:
        sys.path.insert(0, str(checkout))
    from bench import run_benchmark

    try:
        code = run_benchmark(name, quick=quick, args=list(ctx.args))
    except VigilError as err:
        console.print(f"[red]error:[/red] {err.detail}")
        raise typer.Exit(2) from None
    raise typer.Exit(code)


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Option(help="What the key is for; 'edge <site id>' for an edge.")],
    role: Annotated[str, typer.Option(help="viewer, operator or admin.")] = "operator",
    data_dir: DataDirOption = None,
) -> None:
    """Create an API key in this server's database; prints the key (shown only this once).

    Runs beside a running `vigil hub` (or up, edge) on the same data directory.
    """
    roles: dict[str, Role] = {"viewer": "viewer", "operator": "operator", "admin": "admin"}
    if role not in roles:
        raise typer.BadParameter(f"{role!r}: give viewer, operator or admin", param_hint="--role")
    if not 0 < len(name.strip()) <= 100:
        raise typer.BadParameter("give 1 to 100 characters", param_hint="--name")
    data = _data_dir(data_dir).resolve()
    _run(lambda _out: _create_key(name.strip(), roles[role], data), "WARNING")


async def _create_key(name: str, role: Role, data: Path) -> None:
    from vigil.auth.api_keys import ApiKeyService
    from vigil.auth.audit import AuditService
    from vigil.clock import SystemClock
    from vigil.db.embedded import EmbeddedPostgres
    from vigil.db.migrate import upgrade
    from vigil.db.session import Database

    url = os.environ.get("VIGIL_DATABASE_URL") or None
    pg = None if url else EmbeddedPostgres(data / "pg")  # shared with a running server
    try:
        if pg is not None:
            url = await asyncio.to_thread(pg.start)
        assert url is not None
        await asyncio.to_thread(upgrade, url)
        db = Database(url)
        try:
            clock = SystemClock()
            record, key = await ApiKeyService(db, clock).create(name, role, "cli")
            await AuditService(db, clock).record(
                "api_keys.create", actor="cli", ip=None, outcome="success",
                resource=f"api-keys/{record.id}", details={"name": name, "role": role},
            )  # fmt: skip
        finally:
            await asyncio.to_thread(db.dispose)
    finally:
        if pg is not None:
            await asyncio.to_thread(pg.stop)
    console.print(f"created API key {name!r} ({role}); store it now, it is not shown again:")
    typer.echo(key)  # alone on stdout, for scripts


@vpn_app.command("init")
def vpn_init(
    hub_endpoint: Annotated[
        str, typer.Option(help="Public HOST:PORT the edges dial (e.g. vpn.example.com:51820).")
    ],
    edges: Annotated[int, typer.Option(help="Number of edge sites.")],
    out: Annotated[Path, typer.Option(help="Folder for hub/ and edge-NN/ wg0.conf files.")],
    force: Annotated[bool, typer.Option(help="Replace existing files (and every key).")] = False,
) -> None:
    """Generate WireGuard keys and wg0.conf for the hub (10.100.0.1/24) and N edges (/32)."""
    from vigil.ops import vpn

    try:
        paths = vpn.init(hub_endpoint, edges, out, force=force)
    except VigilError as err:
        console.print(f"[red]error:[/red] {err.detail}")
        raise typer.Exit(2) from None
    console.print(f"wrote {len(paths)} WireGuard configurations under {out} (mode 0600)")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
