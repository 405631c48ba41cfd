"""`diemcau bench ...`: each benchmark prints one JSON object."""

from __future__ import annotations

import json
from typing import Annotated

import typer

bench_app = typer.Typer(no_args_is_help=True)


@bench_app.command("api")
def bench_api(
    endpoints: Annotated[int, typer.Option(min=1, max=1000)] = 250,
    cameras: Annotated[int, typer.Option(min=0, max=200)] = 50,
    rps: Annotated[int, typer.Option(min=1, max=2000, help="Requests a second, open loop")] = 200,
    duration: Annotated[float, typer.Option(min=2, max=600, help="Seconds of load per route")] = 30,
    shared_cpu: Annotated[
        bool,
        typer.Option(
            "--shared-cpu",
            help="Let the simulators and the load generator share the controller's cores "
            "(by default each side gets half the machine)",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON only (the default output)")] = True,
) -> None:
    """The status routes at RPS from a load generator in its own process, the controller and
    its monitors running: p50/p99, CPU, RSS, poll period; against the tables-per-request way."""
    from controller.bench.api_bench import run

    typer.echo(
        json.dumps(
            run(endpoints, cameras, rps, duration, shared_cpu=shared_cpu), indent=1 if as_json else None
        )
    )


@bench_app.command("import")
def bench_import(
    rows: Annotated[int, typer.Option(min=1, max=5000)] = 250,
    repeats: Annotated[int, typer.Option(min=1, max=20)] = 3,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON only (the default output)")] = True,
) -> None:
    """Time a CSV import of ROWS endpoints through the API vs one POST per row; controller RSS."""
    from controller.bench.import_bench import run

    typer.echo(json.dumps(run(rows=rows, repeats=repeats), indent=1 if as_json else None))


@bench_app.command("provision")
def bench_provision(
    endpoints: Annotated[int, typer.Option(min=1, max=1000)] = 250,
    latency_ms: Annotated[int, typer.Option(min=0, max=1000)] = 20,
    sample: Annotated[int, typer.Option(min=1, max=20, help="Endpoints the naive baseline runs on")] = 3,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON only (the default output)")] = True,
) -> None:
    """Plan + apply + verify 8 settings on ENDPOINTS simulated endpoints vs the sequential way."""
    from controller.bench.provision_bench import run

    typer.echo(
        json.dumps(run(endpoints, latency_ms, sample), indent=1 if as_json else None, ensure_ascii=False)
    )


@bench_app.command("monitor")
def bench_monitor(
    endpoints: Annotated[int, typer.Option(min=1, max=1000)] = 250,
    interval: Annotated[float, typer.Option(min=1, max=600)] = 10,
    duration: Annotated[float, typer.Option(min=5, max=3600, help="Seconds of each measured phase")] = 60,
    kill: Annotated[int, typer.Option(min=1, max=100)] = 10,
    flaky_pct: Annotated[float, typer.Option(min=0, max=50)] = 2.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON only (the default output)")] = True,
) -> None:
    """Monitor CPU, poll latency, detection times and false alarms vs a connection per poll."""
    from controller.bench.monitor_bench import run

    typer.echo(json.dumps(run(endpoints, interval, duration, kill, flaky_pct), indent=1 if as_json else None))


@bench_app.command("session")
def bench_session(
    endpoints: Annotated[int, typer.Option(min=1, max=1000)] = 250,
    latency_ms: Annotated[int, typer.Option(min=0, max=1000)] = 20,
    ring_ms: Annotated[int, typer.Option(min=0, max=30000, help="Simulated dialling -> ringing")] = 500,
    answer_ms: Annotated[int, typer.Option(min=0, max=30000, help="Simulated ringing -> connected")] = 1500,
    drop_pct: Annotated[float, typer.Option(min=0, max=100, help="Calls dropped to measure redial")] = 10,
    sample: Annotated[int, typer.Option(min=0, max=20, help="Endpoints the naive baseline runs on")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON only (the default output)")] = True,
) -> None:
    """Start a session on ENDPOINTS: time to all dials acknowledged, all connected, all redialled."""
    from controller.bench.session_bench import run

    result = run(endpoints, latency_ms, ring_ms, answer_ms, drop_pct, sample)
    typer.echo(json.dumps(result, indent=1 if as_json else None, ensure_ascii=False))


@bench_app.command("readiness")
def bench_readiness(
    endpoints: Annotated[int, typer.Option(min=1, max=1000)] = 250,
    latency_ms: Annotated[int, typer.Option(min=0, max=1000)] = 20,
    ring_ms: Annotated[int, typer.Option(min=0, max=30000, help="Simulated dialling -> ringing")] = 500,
    answer_ms: Annotated[int, typer.Option(min=0, max=30000, help="Simulated ringing -> connected")] = 1500,
    test_calls: Annotated[int, typer.Option(min=1, max=250, help="Test calls at once")] = 50,
    window_s: Annotated[float, typer.Option(min=1, max=120, help="Each test call's statistics window")] = 10,
    sample: Annotated[int, typer.Option(min=0, max=20, help="Endpoints the naive baseline runs on")] = 3,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON only (the default output)")] = True,
) -> None:
    """Check ENDPOINTS before a meeting (device checks + a test call each): time until every
    endpoint has a verdict, controller CPU, vs one endpoint after another."""
    from controller.bench.readiness_bench import run

    result = run(endpoints, latency_ms, ring_ms, answer_ms, test_calls, window_s, sample)
    typer.echo(json.dumps(result, indent=1 if as_json else None, ensure_ascii=False))


@bench_app.command("metrics")
def bench_metrics(
    endpoints: Annotated[int, typer.Option(min=1, max=2000)] = 250,
    cameras: Annotated[int, typer.Option(min=0, max=2000)] = 50,
    scrapes: Annotated[int, typer.Option(min=10, max=2000)] = 200,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON only (the default output)")] = True,
) -> None:
    """Scrape time and size of /metrics for a province, vs one query per device."""
    from controller.bench.metrics_bench import run

    typer.echo(
        json.dumps(run(endpoints, cameras, scrapes), indent=1 if as_json else None, ensure_ascii=False)
    )


@bench_app.command("camera-provision")
def bench_camera_provision(
    cameras: Annotated[int, typer.Option(min=1, max=200)] = 50,
    naive: Annotated[int, typer.Option(min=1, max=50, help="Cameras the one-at-a-time apply runs on")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON only (the default output)")] = True,
) -> None:
    """Plan and apply (with verify) the stream standard on N simulated ONVIF cameras, vs one at a time."""
    from controller.bench.camera_provision_bench import run

    typer.echo(json.dumps(run(cameras, naive), indent=1 if as_json else None, ensure_ascii=False))


@bench_app.command("analytics")
def bench_analytics(
    cameras: Annotated[int, typer.Option(min=1, max=500)] = 50,
    interval: Annotated[float, typer.Option(min=1, max=600, help="Sample interval during the run")] = 10,
    duration: Annotated[float, typer.Option(min=5, max=3600)] = 40,
    naive: Annotated[
        int, typer.Option(min=0, max=10, help="Cameras the decode-everything baseline runs on")
    ] = 2,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON only (the default output)")] = True,
) -> None:
    """Camera health CPU per sample and per camera at the default interval, vs decoding every frame."""
    from controller.bench.analytics_bench import run
    from controller.settings import Settings

    default = Settings.model_fields["camera_sample_interval_s"].default
    result = run(cameras, interval, duration, default, naive)
    typer.echo(json.dumps(result, indent=1 if as_json else None, ensure_ascii=False))


@bench_app.command("relay")
def bench_relay(
    viewers: Annotated[int, typer.Option(min=2, max=200)] = 40,
    measure_s: Annotated[float, typer.Option(min=3, max=120, help="Seconds of each CPU measurement")] = 10,
    width: Annotated[int, typer.Option(min=160, max=3840)] = 1280,
    height: Annotated[int, typer.Option(min=90, max=2160)] = 720,
    fps: Annotated[int, typer.Option(min=1, max=60)] = 25,
    kbps: Annotated[int, typer.Option(min=100, max=20000)] = 1500,
    baseline: Annotated[int, typer.Option(min=0, max=10, help="Viewers of the transcoding baseline")] = 3,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON only (the default output)")] = True,
) -> None:
    """WHEP relay CPU per viewer, late joiner's first frame, added latency vs decode-and-re-encode."""
    from controller.bench.relay_bench import run

    result = run(viewers, measure_s, width, height, fps, kbps, baseline)
    typer.echo(json.dumps(result, indent=1 if as_json else None, ensure_ascii=False))


@bench_app.command("webhook")
def bench_webhook(
    events: Annotated[int, typer.Option(min=10, max=200_000)] = 10_000,
    entities: Annotated[int, typer.Option(min=1, max=10_000)] = 250,
    naive_events: Annotated[int, typer.Option(min=10, max=10_000)] = 200,
    delay_ms: Annotated[float, typer.Option(min=0, max=2000, help="Receiver's time per request")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON only (the default output)")] = True,
) -> None:
    """Outbox events/s delivered (signed) to a local receiver, vs one POST at a time."""
    from controller.bench.sink_bench import run_webhook

    result = run_webhook(events, entities, naive_events, delay_ms)
    typer.echo(json.dumps(result, indent=1 if as_json else None))


@bench_app.command("mqtt")
def bench_mqtt(
    events: Annotated[int, typer.Option(min=10, max=200_000)] = 10_000,
    entities: Annotated[int, typer.Option(min=1, max=10_000)] = 250,
    naive_events: Annotated[int, typer.Option(min=10, max=10_000)] = 500,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON only (the default output)")] = True,
) -> None:
    """Outbox events/s published at QoS 1 to a local mosquitto, vs one publish-and-PUBACK at a time."""
    from controller.bench.sink_bench import run_mqtt

    typer.echo(json.dumps(run_mqtt(events, entities, naive_events), indent=1 if as_json else None))


@bench_app.command("login-flood")
def bench_login_flood(
    endpoints: Annotated[int, typer.Option(min=1, max=500)] = 50,
    seconds: Annotated[float, typer.Option(min=2, max=120, help="Length of each phase")] = 10,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Concurrent guessers")] = 8,
) -> None:
    """Liveness latency and monitor polls while logins are flooded, throttled vs not."""
    from controller.bench.login_flood_bench import run

    typer.echo(json.dumps(run(endpoints, seconds, workers), indent=1))
