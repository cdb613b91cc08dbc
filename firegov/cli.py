"""The ``firegov`` console command.

    firegov demo        migrate the embedded database, load the demo city once, serve on :8000
    firegov serve       serve the web UI and API (ASGI, uvicorn) with device ingestion and a worker
    firegov worker      run the background and periodic jobs (Huey consumer) alone
    firegov gateway     run device ingestion alone: the GB/T 26875.3 gateway, MQTT, the alarm clock
    firegov simulate    simulate N devices sending to the gateway (GB/T 26875.3 over TCP, or MQTT) and report
    firegov classify    classify premises from a JSON file (no database needed)
    firegov uscc        check unified social credit codes (no database needed)
    firegov judge       judge major fire hazards by GB 35181 (no database needed)
    firegov draw        run or verify a double-random draw (no database needed)
    firegov decode      decode GB/T 26875.3 frames given as hex (no database needed)
    firegov manage ...  any Django management command (migrate, createsuperuser, loaddemo, ...)
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys

KERNEL_COMMANDS = {"classify", "uscc", "judge", "draw", "decode"}


def _django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "firegov.settings")
    import django

    django.setup()


def _manage(*args: str) -> None:
    from django.core.management import call_command

    call_command(*args)


def _start(*argv: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "firegov.cli", *argv])


def _serve(host: str, port: int, worker: bool, banner: str = "", gateway: bool = True,
           extra: tuple[list[str], ...] = ()) -> int:
    import uvicorn

    _manage("collectstatic", "--noinput", "--verbosity", "0")
    children = [_start("worker")] if worker else []
    children += [_start(*argv) for argv in extra]
    # uvicorn re-raises SIGTERM after its graceful shutdown; turning it into SystemExit lets the
    # finally block below stop the worker instead of leaving it orphaned.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    if banner:
        print(banner, flush=True)
    try:
        from firegov.asgi import application

        if gateway:  # the gateway, MQTT ingestion and the alarm clock run in this process (live bus in-process)
            from firegov.iot.runtime import WithMonitoring

            application = WithMonitoring(application)
        # Consoles hold server-sent event streams open: do not wait for them on shutdown.
        uvicorn.run(application, host=host, port=port, log_level="info", lifespan="on" if gateway else "off",
                    timeout_graceful_shutdown=3)
    finally:
        for child in children:
            child.send_signal(signal.SIGINT)
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
    return 0


def cmd_demo(args) -> int:
    _django()
    from django.conf import settings

    _manage("migrate", "--noinput", "--verbosity", "1")
    _manage("loaddemo")
    url = f"http://{args.host}:{args.port}/"
    banner = (
        f"\nfiregov demo: open {url} and log in as admin / Firegov-2026\n"
        f"  other demo accounts (same password): zhidui, xuecheng, tengzhou, jiaoyu, danwei, jiankong\n"
        f"  data directory: {settings.DATA_DIR}\n"
    )
    extra = ()
    if not args.no_simulator and not args.no_gateway:
        from firegov.demo.monitoring import UITD_BASE_ADDRESS
        from firegov.iot.models import Device

        uitds = Device.objects.filter(kind="uitd", address__gte=UITD_BASE_ADDRESS).count()
        if uitds:  # the demo's transmission devices report over GB/T 26875.3 while the demo runs
            banner += f"  simulator: {uitds} transmission devices reporting to the gateway (off: --no-simulator)\n"
            extra = (["simulate", "--devices", str(uitds), "--base-address", str(UITD_BASE_ADDRESS),
                      "--rate", "2", "--alarm-share", "0.005", "--heartbeat", "60"],)
    return _serve(args.host, args.port, not args.no_worker, banner, gateway=not args.no_gateway, extra=extra)


def cmd_serve(args) -> int:
    _django()
    return _serve(args.host, args.port, not args.no_worker, gateway=not args.no_gateway)


def cmd_gateway(args) -> int:
    _django()
    import asyncio
    import logging

    from django.conf import settings

    from firegov.iot.runtime import Monitoring, Options

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if not settings.REDIS_URL:
        logging.getLogger("firegov.monitoring").warning(
            "FIREGOV_REDIS_URL is not set: consoles of other processes see this gateway's alarms only "
            "through their catch-up every few seconds (docs/operations.md)")
    options = Options(tcp=not args.no_tcp, mqtt=not args.no_mqtt, host=args.host, port=args.port)
    try:
        asyncio.run(Monitoring(options).serve_forever())
    except KeyboardInterrupt:
        pass
    return 0


def cmd_simulate(args) -> int:
    _django()
    import asyncio

    from django.conf import settings

    from firegov.iot.simulate import SimConfig, SimulationError, Simulator, register

    topic = settings.MQTT_TOPIC
    root = args.topic_root or (topic.split("/up/")[0] if "/up/" in topic else "firegov")
    config = SimConfig(devices=args.devices, rate=args.rate, host=args.host or settings.GATEWAY_HOST,
                       port=settings.GATEWAY_PORT if args.port is None else args.port,
                       base_address=args.base_address, alarm_share=args.alarm_share, window=args.window,
                       timeout=args.timeout, heartbeat_s=args.heartbeat, centre_address=settings.GATEWAY_CENTRE_ADDRESS,
                       clock_skew_s=args.clock_skew, mqtt_url=args.mqtt, topic_root=root)

    async def simulate():
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):  # Ctrl-C stops the load and prints the summary
            loop.add_signal_handler(signum, stop.set)
        return await Simulator(config).run(args.duration, stop)

    try:
        if args.register:
            created, updated = register(args.devices, args.base_address, kind="smoke" if args.mqtt else "uitd")
            print(f"registered {created} simulated devices ({updated} were there already)", flush=True)
        summary = asyncio.run(simulate())
    except SimulationError as exc:
        print(f"firegov simulate: {exc}", file=sys.stderr)
        return 2
    print("\n".join(summary.lines()))
    return 0


def cmd_worker(args) -> int:
    _django()
    _manage("run_huey")
    return 0


def cmd_manage(args) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "firegov.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["firegov manage", *args.rest])
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="firegov", description="firegov fire-safety governance platform")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, func, help_text in (("demo", cmd_demo, "run the demo city on the embedded database"),
                                  ("serve", cmd_serve, "serve the web UI and API")):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("--host", default=os.environ.get("FIREGOV_HOST", "127.0.0.1"))
        p.add_argument("--port", type=int, default=int(os.environ.get("FIREGOV_PORT", "8000")))
        p.add_argument("--no-worker", action="store_true", help="do not start the background worker")
        p.add_argument("--no-gateway", action="store_true",
                       help="do not run device ingestion (GB/T 26875.3 gateway, MQTT, alarm clock) in this process")
        if name == "demo":
            p.add_argument("--no-simulator", action="store_true",
                           help="do not feed the demo's devices with simulated traffic")
        p.set_defaults(func=func)
    sub.add_parser("worker", help="run background and periodic jobs").set_defaults(func=cmd_worker)
    p = sub.add_parser("gateway", help="run device ingestion: GB/T 26875.3 gateway, MQTT, alarm clock")
    p.add_argument("--host", default=None, help="address to listen on (FIREGOV_GATEWAY_HOST)")
    p.add_argument("--port", type=int, default=None, help="TCP port (FIREGOV_GATEWAY_PORT, default 30119)")
    p.add_argument("--no-tcp", action="store_true", help="no GB/T 26875.3 TCP server (MQTT only)")
    p.add_argument("--no-mqtt", action="store_true", help="no MQTT ingestion even if FIREGOV_MQTT_URL is set")
    p.set_defaults(func=cmd_gateway)
    p = sub.add_parser("simulate", help="simulate devices sending to the gateway or over MQTT, and report")
    p.add_argument("--devices", type=int, default=10, help="number of simulated devices (default 10)")
    p.add_argument("--rate", type=float, default=10.0,
                   help="frames (MQTT: messages) per second, all devices together; 0: connect and idle (default 10)")
    p.add_argument("--host", default=None, help="gateway address (FIREGOV_GATEWAY_HOST)")
    p.add_argument("--port", type=int, default=None, help="gateway port (FIREGOV_GATEWAY_PORT)")
    p.add_argument("--mqtt", default=None, metavar="URL",
                   help="publish the JSON payload to this broker (mqtt://host:1883) instead of GB/T 26875.3 over TCP")
    p.add_argument("--topic-root", default=None,
                   help="MQTT topic root: publish to ROOT/up/<code> (default: from FIREGOV_MQTT_TOPIC)")
    p.add_argument("--duration", type=float, default=None, help="seconds to run (default: until Ctrl-C)")
    p.add_argument("--alarm-share", type=float, default=0.01, help="share of frames raising an alarm (default 0.01)")
    p.add_argument("--base-address", type=int, default=900_000,
                   help="GB/T 26875.3 address of the first device; codes are SIM-<address> (default 900000)")
    p.add_argument("--register", action="store_true",
                   help="create the simulated devices (and their MQTT tokens) on existing units first")
    p.add_argument("--window", type=int, default=1, help="frames a device may have waiting for confirm (default 1)")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds before a device sends again (default 10)")
    p.add_argument("--heartbeat", type=float, default=30.0, help="empty frame after this many silent seconds")
    p.add_argument("--clock-skew", type=float, default=0.0, help="seconds the devices' clocks are off")
    p.set_defaults(func=cmd_simulate)
    p = sub.add_parser("manage", help="run a Django management command")
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_manage)
    sub.add_parser("classify", help="classify premises: firegov classify FILE|-", add_help=False)
    sub.add_parser("uscc", help="check credit codes: firegov uscc CODE…", add_help=False)
    sub.add_parser("judge", help="judge major fire hazards: firegov judge FILE|-", add_help=False)
    sub.add_parser("draw", help="double-random draw: firegov draw … | firegov draw verify …", add_help=False)
    sub.add_parser("decode", help="decode GB/T 26875.3 frames: firegov decode HEX…|-", add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in KERNEL_COMMANDS:
        from firegov.kernels import cli_kernels

        if argv[0] == "classify":
            return cli_kernels.run_classify(argv[1:], sys.stdin, sys.stdout, sys.stderr)
        if argv[0] == "judge":
            from firegov.kernels.cli_judge import run_judge

            return run_judge(argv[1:], sys.stdin, sys.stdout, sys.stderr)
        if argv[0] == "draw":
            from firegov.kernels.cli_draw import run_draw

            return run_draw(argv[1:], sys.stdin, sys.stdout, sys.stderr)
        if argv[0] == "decode":
            from firegov.kernels.cli_decode import run_decode

            return run_decode(argv[1:], sys.stdin, sys.stdout, sys.stderr)
        return cli_kernels.run_uscc(argv[1:], sys.stdout, sys.stderr)
    args = build_parser().parse_args(argv)
    return args.func(args) or 0


if __name__ == "__main__":
    sys.exit(main())
