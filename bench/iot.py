"""Fire monitoring at 10,000 devices: storage throughput, alarm latency, memory per connection, decoding.

    FIREGOV_DATA_DIR=/tmp/fg_bench_iot python bench/iot.py                                  # SQLite
    FIREGOV_DATABASE_URL=postgres://postgres@127.0.0.1:5432/firegov_bench_iot \\
        FIREGOV_DATA_DIR=/tmp/fg_bench_iot_pg python bench/iot.py                           # PostgreSQL

The database is made anew for every run (so its name, or the SQLite data directory, must contain
"bench"): created, migrated with ``firegov manage migrate``, given the demo city's units
(``loaddemo --units 300 --no-history``) and 10,000 simulated UITDs (``firegov.iot.simulate.register``).
The devices are :class:`firegov.iot.simulate.Simulator` connections over loopback, all in this
process; the gateway runs as a separate process (``firegov gateway``, so that its memory is its own),
with the live bus on Redis (``FIREGOV_REDIS_URL``, default redis://127.0.0.1:6379/13).

(d) decoding: a stream of the simulator's frames cut into 4 KiB reads (sticky and split packets) goes
    through ``Deframer.feed`` (which decodes every frame) and through a bare deframer that only finds
    ``40 40``, reads the length and slices. Target: at least half the bare rate.
(c) memory: RSS of the gateway process after a warm-up with no connection, then with 10,000 idle
    connections (each device sent one heartbeat, so the gateway knows its device); the difference
    divided by 10,000. Target: <= 32 KiB per connection.
(a) throughput: the 10,000 devices send status, analog and alarm frames (1 % alarms) as fast as the
    gateway confirms them (a device waits for its confirm; at most ``--outstanding`` frames of all
    devices wait at once); frames confirmed per second, a confirm meaning the frame's events and
    alarms are committed. Median of the one-second rates after ``--warmup`` s; the events stored are
    checked against the readings confirmed. Target: >= 5,000 frames/s.
(b) alarm latency: while the devices send ``--background-rate`` data frames/s and a heartbeat every
    ``--heartbeat`` s when silent (10,000 devices: ~330 empty frames/s), ``--alarms-per-s`` fire alarms on
    new points from random devices; from the moment a frame is written to the socket to the
    moment the alarm's id arrives on the live bus (``firegov.iot.live.subscribe()``, Redis), and, when
    ``/monitoring/stream/`` exists, to the moment its row arrives on the server-sent event stream of a
    monitoring operator, twice: with ``firegov serve`` alone (web server and gateway in one process,
    in-process bus; the demo's and a small centre's layout), and with ``firegov gateway`` and
    ``firegov serve --no-gateway`` as two processes joined by Redis (docs/operations.md, scale-out).
    Target: p99 <= 50 ms.

Prints the figures, the verdicts and the machine. ``--py-spy S`` samples the gateway for S seconds
during the throughput phase (py-spy on PATH) and prints where its time goes.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import os
import pstats
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_FRAMES_S = 5000
TARGET_P99_MS = 50.0
TARGET_KIB = 32.0
TARGET_DECODE_RATIO = 0.5
BASE_ADDRESS = 900_000
NEW_POINTS = 1_000_000  # alarm frames of the latency phase use components from here on: each opens a new alarm
BENCH_REDIS = "redis://127.0.0.1:6379/13"


# --------------------------------------------------------------------------- the database


def make_database(keep: bool) -> None:
    """Drop and create the bench database (or remove the SQLite file), then migrate and load units."""
    url = os.environ.get("FIREGOV_DATABASE_URL", "")
    data_dir = os.environ.get("FIREGOV_DATA_DIR", "")
    if url.startswith(("postgres://", "postgresql://")):
        parts = urlsplit(url)
        name = parts.path.lstrip("/")
        if "bench" not in name:
            raise SystemExit("the PostgreSQL database is dropped and made anew: give it a name containing 'bench'")
        if not keep:
            import psycopg

            admin = urlunsplit(parts._replace(path="/postgres"))
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{name}"')
    elif url:
        raise SystemExit("FIREGOV_DATABASE_URL must be a PostgreSQL URL, or unset for SQLite")
    else:
        if "bench" not in data_dir:
            raise SystemExit("set FIREGOV_DATA_DIR to a directory whose path contains 'bench' (its database is "
                             "made anew)")
        if not keep:
            for suffix in ("", "-wal", "-shm"):
                Path(data_dir, f"firegov.sqlite3{suffix}").unlink(missing_ok=True)
    if keep:
        return
    firegov = [sys.executable, "-m", "firegov.cli", "manage"]
    subprocess.run([*firegov, "migrate", "--noinput", "--verbosity", "0"], check=True, stderr=subprocess.DEVNULL)
    subprocess.run([*firegov, "loaddemo", "--units", "300", "--no-history"], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def database_name() -> str:
    from bench import listbench  # it imports the models: only once Django is set up

    return listbench.database_name()


def machine_facts(data: list[tuple[str, str]]) -> list[tuple[str, str]]:
    from bench import listbench

    return listbench.machine_facts(data)


# --------------------------------------------------------------------------- processes


class Child:
    """A firegov process of the benchmark (gateway or web server), stopped with SIGINT."""

    def __init__(self, args: list[str], env: dict, log: Path):
        self.log = log
        with open(log, "wb") as out:
            self.process = subprocess.Popen([sys.executable, "-m", "firegov.cli", *args], env=env, stdout=out,
                                            stderr=subprocess.STDOUT, cwd=str(ROOT))

    @property
    def pid(self) -> int:
        return self.process.pid

    def rss_kib(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS")

    def wait_port(self, port: int, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"{self.log.name} exited; see {self.log}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.2)
        raise SystemExit(f"nothing listens on port {port}; see {self.log}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def thread_cpu(pid: int) -> dict[int, float]:
    """CPU seconds (user + system) of each thread of a process."""
    ticks = os.sysconf("SC_CLK_TCK")
    out = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[int(task.name)] = (int(fields[11]) + int(fields[12])) / ticks
    return out


def machine_cpu() -> tuple[int, int]:
    """(busy, total) jiffies of all the machine's cores."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def probe(pid: int, sim) -> dict:
    return {"t": time.perf_counter(), "confirmed": sim.stats.confirmed, "threads": thread_cpu(pid),
            "own": time.process_time(), "machine": machine_cpu()}


def cpu_split(a: dict, b: dict, pid: int) -> dict:
    """Per frame confirmed between two probes: CPU of the gateway's event loop (its main thread), of its
    other threads (the writer), of this process (the simulator); and how busy the machine was."""
    frames = max(1, b["confirmed"] - a["confirmed"])
    main = b["threads"].get(pid, 0) - a["threads"].get(pid, 0)
    others = sum(v - a["threads"].get(tid, 0) for tid, v in b["threads"].items() if tid != pid)
    busy = (b["machine"][0] - a["machine"][0]) / max(1, b["machine"][1] - a["machine"][1])
    return {"loop_us": 1e6 * main / frames, "writer_us": 1e6 * others / frames,
            "simulator_us": 1e6 * (b["own"] - a["own"]) / frames, "machine_busy": busy,
            "cores": (b["machine"][1] - a["machine"][1]) / os.sysconf("SC_CLK_TCK") / max(1e-9, b["t"] - a["t"])}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def child_env(**extra) -> dict:
    env = dict(os.environ)
    env.setdefault("PYTHONUNBUFFERED", "1")
    for key, value in extra.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = str(value)
    return env


# --------------------------------------------------------------------------- (d) decoding


def sample_stream(frames: int) -> tuple[bytes, int]:
    from firegov.iot.simulate import POINTS, SimConfig, Traffic, local_now
    from firegov.kernels.gb26875 import encode_frame

    traffic = Traffic(SimConfig(alarm_share=0.01), random.Random(1))
    moment = local_now()
    parts = []
    for i in range(frames):
        adu, _kind = traffic.next(i % POINTS + 1, moment)
        parts.append(encode_frame(serial=i & 0xFFFF, command=2, source=BASE_ADDRESS + i % 10_000, destination=0,
                                  sent_at=moment, adu=adu))
    return b"".join(parts), frames


def bare_deframe(chunks: list[bytes]) -> int:
    """Only find the frames: ``40 40``, the length field, a slice (no check, no decoding)."""
    buf = bytearray()
    count = 0
    for chunk in chunks:
        buf += chunk
        pos = 0
        size = len(buf)
        while True:
            start = buf.find(b"@@", pos)
            if start < 0 or size - start < 27:
                break
            end = start + 30 + (buf[start + 24] | (buf[start + 25] << 8))
            if end > size:
                break
            _frame = bytes(buf[start:end])
            count += 1
            pos = end
        del buf[:pos]
    return count


def deframe_and_decode(chunks: list[bytes]) -> int:
    from firegov.kernels.gb26875 import Deframer

    deframer = Deframer()
    return sum(len(deframer.feed(chunk)) for chunk in chunks)


def decode_phase(frames: int, repeats: int) -> dict:
    data, count = sample_stream(frames)
    chunks = [data[i:i + 4096] for i in range(0, len(data), 4096)]
    times: dict[str, list[float]] = {"bare": [], "deframer": []}
    for _ in range(repeats):  # alternate, so that a noisy moment hits both alike
        for name, func in (("bare", bare_deframe), ("deframer", deframe_and_decode)):
            t0 = time.perf_counter()
            got = func(chunks)
            times[name].append(time.perf_counter() - t0)
            if got != count:
                raise SystemExit(f"{name} found {got} frames of {count}")
    profile = cProfile.Profile()
    profile.enable()
    deframe_and_decode(chunks)
    profile.disable()
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(8)
    bare, full = statistics.median(times["bare"]), statistics.median(times["deframer"])
    return {"frames": count, "bytes": len(data), "bare_s": bare, "deframer_s": full,
            "bare_rate": count / bare, "deframer_rate": count / full, "ratio": bare / full,
            "profile": out.getvalue()}


# --------------------------------------------------------------------------- listeners


class BusListener:
    """The first arrival of every alarm id on the live bus."""

    def __init__(self):
        self.first: dict[int, float] = {}
        self.task: asyncio.Task | None = None

    async def _run(self) -> None:
        from firegov.iot import live

        async for message in live.subscribe():
            now = time.perf_counter()
            for pk in message.get("alarms", ()):
                self.first.setdefault(int(pk), now)

    def start(self) -> None:
        self.task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)


class StreamListener(BusListener):
    """The first arrival of every alarm row on ``/monitoring/stream/`` (server-sent events over HTTP/1.1)."""

    def __init__(self, port: int, cookie: str):
        super().__init__()
        self.port, self.cookie = port, cookie
        self.status = ""
        self.connected = asyncio.Event()

    async def _run(self) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        writer.write((f"GET /monitoring/stream/ HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nCookie: {self.cookie}\r\n"
                      f"Accept: text/event-stream\r\n\r\n").encode())
        self.status = (await reader.readline()).decode().strip()
        headers = {}
        while (line := await reader.readline()) not in (b"\r\n", b""):
            key, _, value = line.decode().partition(":")
            headers[key.strip().lower()] = value.strip().lower()
        self.connected.set()
        if " 200 " not in f"{self.status} ":
            return
        chunked = headers.get("transfer-encoding") == "chunked"
        text = ""
        try:
            while True:
                if chunked:
                    size = int((await reader.readline()).strip() or b"0", 16)
                    if size == 0:
                        return
                    data = await reader.readexactly(size + 2)
                    data = data[:-2]
                else:
                    data = await reader.read(65536)
                    if not data:
                        return
                now = time.perf_counter()
                text += data.decode()
                *events, text = text.split("\n\n")
                for event in events:
                    fields = dict(line.split(": ", 1) for line in event.splitlines() if ": " in line)
                    if fields.get("event") == "alarm":  # the row's alarm id is in its data
                        self.first.setdefault(int(json.loads(fields["data"])["id"]), now)
        finally:
            writer.close()


def session_cookie() -> str:
    """A logged-in session of the demo monitoring operator (or the administrator)."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    from firegov.core.models import User
    from firegov.core.roles import can

    user = next(u for u in (User.objects.filter(username=n).first() for n in ("jiankong", "admin"))
                if u is not None and can(u, "view", "iot.alarm"))
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"


def stream_exists() -> bool:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse("iot:stream") == "/monitoring/stream/"
    except NoReverseMatch:
        return False


# --------------------------------------------------------------------------- the phases against a gateway


def event_count() -> int:
    from firegov.iot.models import Event

    return Event.objects.count()


def alarm_latencies(sent: dict[tuple[int, int], object], first: dict[int, float]) -> tuple[list[float], int]:
    """Latency of each alarm of the phase (written -> first seen); and how many were never seen."""
    from firegov.iot.models import Alarm

    comp_addrs = [comp for _, comp in sent]
    rows = Alarm.objects.filter(point__comp_addr__gte=min(comp_addrs), point__comp_addr__lte=max(comp_addrs),
                                type="fire").values_list("pk", "device__address", "point__comp_addr")
    latencies, unseen = [], 0
    for pk, address, comp in rows:
        out = sent.get((address, comp))
        if out is None:
            continue
        if pk in first:
            latencies.append(first[pk] - out.sent_at)
        else:
            unseen += 1
    unseen += len(sent) - len(rows)
    return latencies, unseen


async def sample_rates(sim, every: float, into: list[int]) -> None:
    while True:
        into.append(sim.stats.confirmed)
        await asyncio.sleep(every)


async def latency_phase(sim, listener: BusListener, args, first_point: int) -> dict:
    from firegov.iot.simulate import percentile

    loop = asyncio.get_running_loop()
    rng = random.Random(9)
    listener.start()
    await asyncio.sleep(1.0)  # subscribed before the first alarm
    sim.start_heartbeats(args.heartbeat)
    sim.reset_stats()
    background = asyncio.ensure_future(sim.load(rate=args.background_rate, duration=args.alarm_seconds))
    sent = {}
    point = first_point
    next_at = loop.time()
    while not background.done():
        device = sim.devices[rng.randrange(len(sim.devices))]
        point += 1
        sent[(device.address, point)] = await sim.send_alarm(device.index, "fire", comp_addr=point)
        next_at += 1.0 / args.alarms_per_s
        await asyncio.sleep(max(0.0, next_at - loop.time()))
    await background
    await sim.drain(15)
    await asyncio.sleep(2.0)  # the last rows
    await listener.stop()
    summary = sim.summary()
    latencies, unseen = await asyncio.to_thread(alarm_latencies, sent, listener.first)
    confirms = [o.confirmed_at - o.sent_at for o in sent.values() if o.confirmed_at]
    ms = [x * 1000 for x in latencies]
    return {"alarms": len(sent), "seen": len(latencies), "unseen": unseen, "p50": percentile(ms, 50),
            "p99": percentile(ms, 99), "max": max(ms) if ms else None,
            "confirm_p50": percentile([c * 1000 for c in confirms], 50),
            "confirm_p99": percentile([c * 1000 for c in confirms], 99),
            "background": summary.stats.confirmed / summary.seconds, "last_point": point,
            "heartbeats": summary.stats.heartbeats / summary.seconds}


def summarize_collapsed(path: Path, top: int = 18) -> str:
    """Inclusive share of the gateway's samples per function (py-spy raw output), largest first."""
    inclusive: Counter = Counter()
    own: Counter = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = stack.split(";")
        for frame in set(frames):
            inclusive[frame] += n
        own[frames[-1]] += n
    if not total:
        return "(no samples)"
    lines = [f"{total} samples; inclusive share (self share) per function:"]
    for frame, n in inclusive.most_common(top):
        lines.append(f"  {100 * n / total:5.1f}% ({100 * own[frame] / total:4.1f}%)  {frame}")
    lines.append("largest self shares:")
    for frame, n in own.most_common(12):
        lines.append(f"  {100 * n / total:5.1f}%  {frame}")
    return "\n".join(lines)


async def gateway_phases(args, gateway: Child, port: int, work: Path) -> dict:
    from firegov.iot.simulate import SimConfig, Simulator, percentile

    results: dict = {}
    warm = Simulator(SimConfig(devices=20, rate=400, port=port, base_address=BASE_ADDRESS, heartbeat_s=0,
                               alarm_share=0.05, window=2))
    await warm.run(duration=3)
    await asyncio.sleep(3)
    rss_idle = gateway.rss_kib()

    config = SimConfig(devices=args.devices, rate=0, port=port, base_address=BASE_ADDRESS, heartbeat_s=0,
                       alarm_share=0.01, window=1, max_outstanding=args.outstanding, connect_concurrency=200,
                       connect_timeout=300)
    sim = Simulator(config)
    t0 = time.perf_counter()
    await sim.start()
    await sim.drain(120)
    connect_s = time.perf_counter() - t0
    hello = sim.summary()
    await asyncio.sleep(5)
    rss_connected = gateway.rss_kib()
    results["memory"] = {"idle_kib": rss_idle, "connected_kib": rss_connected, "connections": sim.connected,
                         "hello_confirmed": hello.stats.confirmed, "connect_s": connect_s,
                         "per_connection_kib": (rss_connected - rss_idle) / max(1, sim.connected)}
    print(f"(c) {sim.connected} connections in {connect_s:.1f} s; gateway RSS {rss_idle / 1024:.1f} MiB -> "
          f"{rss_connected / 1024:.1f} MiB", flush=True)

    # (a) throughput
    before = await asyncio.to_thread(event_count)
    sim.reset_stats()
    counts: list[int] = []
    sampler = asyncio.ensure_future(sample_rates(sim, 1.0, counts))
    spy = None
    spy_bin = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if args.py_spy and Path(spy_bin).exists():
        spy_out = work / "gateway.collapsed"
        spy = subprocess.Popen([spy_bin, "record", "-p", str(gateway.pid), "-d", str(args.py_spy), "-r", "50",
                                "--format", "raw", "-o", str(spy_out), "--threads", "--nonblocking"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    marks: dict = {}

    async def mark_after_warmup():
        await asyncio.sleep(args.warmup)
        marks["a"] = probe(gateway.pid, sim)

    marker = asyncio.ensure_future(mark_after_warmup())
    await sim.load(rate=args.rate, duration=args.seconds)
    marks["b"] = probe(gateway.pid, sim)
    marker.cancel()
    sampler.cancel()
    loaded = sim.summary()
    await sim.drain(60)
    after_drain = sim.summary()
    stored = await asyncio.to_thread(event_count) - before
    rates = [b - a for a, b in zip(counts, counts[1:], strict=False)][args.warmup:]
    results["throughput"] = {
        "median": statistics.median(rates) if rates else 0.0, "min": min(rates, default=0),
        "max": max(rates, default=0), "seconds": len(rates), "sent": loaded.stats.sent,
        "confirmed": after_drain.stats.confirmed, "readings": after_drain.stats.readings, "events": stored,
        "denied": after_drain.stats.denied, "retransmitted": after_drain.stats.retransmitted,
        "p50": loaded.p50_ms, "p99": loaded.p99_ms, "alarms": loaded.stats.alarms,
        "mean": loaded.stats.confirmed / loaded.seconds,
        "cpu": cpu_split(marks["a"], marks["b"], gateway.pid) if "a" in marks else None,
    }
    print(f"(a) {results['throughput']['median']:.0f} frames/s confirmed (median of {len(rates)} s), "
          f"{stored} events for {after_drain.stats.readings} readings confirmed", flush=True)
    if spy is not None:
        spy.wait()
        results["profile"] = summarize_collapsed(spy_out) if spy_out.exists() else "(py-spy wrote nothing)"

    # (b) alarm latency on the live bus
    results["bus"] = await latency_phase(sim, BusListener(), args, NEW_POINTS)
    print(f"(b) live bus: alarm p50 {results['bus']['p50']:.1f} ms, p99 {results['bus']['p99']:.1f} ms", flush=True)
    await sim.stop()
    results["hello_p99"] = percentile(hello.stats.latencies, 99)
    return results


async def stream_phase(args, web_port: int, gateway_port: int, first_point: int) -> dict:
    from firegov.iot.simulate import SimConfig, Simulator

    cookie = await asyncio.to_thread(session_cookie)
    config = SimConfig(devices=args.devices, rate=0, port=gateway_port, base_address=BASE_ADDRESS, heartbeat_s=0,
                       alarm_share=0.01, window=1, connect_concurrency=200, connect_timeout=300)
    sim = Simulator(config)
    await sim.start()
    await sim.drain(120)
    listener = StreamListener(web_port, cookie)
    result = await latency_phase(sim, listener, args, first_point)
    result["status"] = listener.status
    await sim.stop()
    return result


# --------------------------------------------------------------------------- report


def verdict(ok: bool) -> str:
    return "pass" if ok else "FAIL"


def report(results: dict, facts: list[tuple[str, str]]) -> None:
    print()
    for key, value in facts:
        print(f"{key:<13} {value}")
    print()
    print("| measure | figure | target | verdict |")
    print("|---|---|---|---|")
    d = results.get("decode")
    t = results.get("throughput")
    m = results.get("memory")
    if t:
        print(f"| (a) frames stored per second, rules applied (median of {t['seconds']} s) | {t['median']:,.0f} "
              f"(min {t['min']:,}, max {t['max']:,}) | >= {TARGET_FRAMES_S:,} | "
              f"{verdict(t['median'] >= TARGET_FRAMES_S)} |")
    for key, name in (("bus", "live bus (Redis), gateway process"), ("stream", "/monitoring/stream/ (SSE), one process"),
                      ("stream_apart", "/monitoring/stream/ (SSE), gateway apart + Redis")):
        b = results.get(key)
        if b and b.get("p99") is not None:
            print(f"| (b) alarm latency, {name}: p50 / p99 | {b['p50']:.1f} / {b['p99']:.1f} ms | p99 <= "
                  f"{TARGET_P99_MS:.0f} ms | {verdict(b['p99'] <= TARGET_P99_MS and not b['unseen'])} |")
        elif b:
            print(f"| (b) alarm latency, {name} | no alarm seen ({b.get('status', '')}) | | FAIL |")
    if m:
        print(f"| (c) memory per idle connection ({m['connections']:,} connections) | {m['per_connection_kib']:.1f} KiB | "
              f"<= {TARGET_KIB:.0f} KiB | {verdict(m['per_connection_kib'] <= TARGET_KIB)} |")
    if d:
        print(f"| (d) Deframer.feed + decode vs bare deframing | {d['ratio']:.2f}x ({d['deframer_rate']:,.0f} vs "
              f"{d['bare_rate']:,.0f} frames/s) | >= {TARGET_DECODE_RATIO}x | {verdict(d['ratio'] >= TARGET_DECODE_RATIO)} |")
    print()
    if t:
        print(f"throughput: {t['sent']:,} frames sent ({t['alarms']:,} alarms), mean {t['mean']:,.0f}/s confirmed; "
              f"{t['confirmed']:,} confirmed with {t['readings']:,} readings -> {t['events']:,} events stored; "
              f"{t['denied']} denied, {t['retransmitted']} sent again; confirm latency at saturation p50 "
              f"{t['p50']:.0f} ms, p99 {t['p99']:.0f} ms")
        if t["cpu"]:
            c = t["cpu"]
            print(f"CPU per frame stored: gateway event loop {c['loop_us']:.0f} us, gateway writer thread "
                  f"{c['writer_us']:.0f} us, simulator {c['simulator_us']:.0f} us; machine {100 * c['machine_busy']:.0f} % "
                  f"busy ({c['cores']:.0f} cores)")
    for key in ("bus", "stream", "stream_apart"):
        b = results.get(key)
        if b:
            print(f"{key}: {b['alarms']} alarms over {b['background']:,.0f} frames/s of background "
                  f"({b['heartbeats']:,.0f}/s of them heartbeats), {b['seen']} seen, "
                  f"{b['unseen']} never seen; max {b['max'] or 0:.1f} ms; their confirms p50 "
                  f"{b['confirm_p50'] or 0:.1f} ms, p99 {b['confirm_p99'] or 0:.1f} ms")
    if m:
        print(f"memory: gateway RSS {m['idle_kib'] / 1024:.1f} MiB idle, {m['connected_kib'] / 1024:.1f} MiB with "
              f"{m['connections']:,} connections ({m['hello_confirmed']:,} heartbeats confirmed; connected in "
              f"{m['connect_s']:.1f} s)")
    if d:
        print(f"decoding: {d['frames']:,} frames, {d['bytes'] / d['frames']:.0f} bytes each, 4 KiB reads; "
              f"bare {d['bare_s'] * 1000:.1f} ms, Deframer {d['deframer_s'] * 1000:.1f} ms")
        print(d["profile"].strip())
    if results.get("profile"):
        print("gateway during the throughput phase (py-spy):")
        print(results["profile"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=50_000, help="offered frames/s in (a) (default: more than taken)")
    parser.add_argument("--outstanding", type=int, default=2000, help="frames of all devices waiting at once in (a)")
    parser.add_argument("--seconds", type=float, default=30, help="length of (a)")
    parser.add_argument("--warmup", type=int, default=5, help="first seconds of (a) left out of the median")
    parser.add_argument("--background-rate", type=float, default=100,
                        help="data frames/s sent during (b), besides the heartbeats")
    parser.add_argument("--heartbeat", type=float, default=30, help="heartbeat interval of the devices in (b)")
    parser.add_argument("--alarms-per-s", type=float, default=10)
    parser.add_argument("--alarm-seconds", type=float, default=30)
    parser.add_argument("--decode-frames", type=int, default=20_000)
    parser.add_argument("--decode-repeats", type=int, default=7)
    parser.add_argument("--only", default="abcd", help="phases to run, e.g. 'd' or 'acd'")
    parser.add_argument("--keep-database", action="store_true", help="do not make the database anew")
    parser.add_argument("--no-stream", action="store_true", help="skip (b) through /monitoring/stream/")
    parser.add_argument("--py-spy", type=int, default=0, metavar="S", help="sample the gateway S seconds in (a)")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "firegov.settings")
    if os.environ.get("FIREGOV_DATABASE_URL", "").startswith("postgres") and not os.environ.get("FIREGOV_DATA_DIR"):
        os.environ["FIREGOV_DATA_DIR"] = tempfile.mkdtemp(prefix="fg_bench_iot_")  # static files, the job queue
    os.environ.setdefault("FIREGOV_REDIS_URL", BENCH_REDIS)
    from firegov.iot.simulate import raise_open_files, register

    limit = raise_open_files(args.devices + 2048)  # inherited by the gateway process
    if limit < args.devices + 512:
        raise SystemExit(f"the open-files limit is {limit}; {args.devices} devices need more")
    results: dict = {}
    if "d" in args.only:
        results["decode"] = decode_phase(args.decode_frames, args.decode_repeats)
        print(f"(d) Deframer {results['decode']['deframer_rate']:,.0f} frames/s, bare "
              f"{results['decode']['bare_rate']:,.0f} frames/s", flush=True)
    if not set(args.only) & set("abc"):
        import django

        django.setup()
        report(results, machine_facts([]))
        return 0

    make_database(args.keep_database)
    import django

    django.setup()
    created, kept = register(args.devices, BASE_ADDRESS)
    work = Path(tempfile.mkdtemp(prefix="fg_bench_iot_logs_"))
    port = free_port()
    gateway = Child(["gateway", "--port", str(port), "--no-mqtt"], child_env(FIREGOV_MQTT_URL=None), work / "gateway.log")
    try:
        gateway.wait_port(port)
        results.update(asyncio.run(gateway_phases(args, gateway, port, work)))
    finally:
        gateway.stop()
    if "b" in args.only and not args.no_stream and stream_exists():
        web_port, gateway_port = free_port(), free_port()
        env = child_env(FIREGOV_REDIS_URL=None, FIREGOV_MQTT_URL=None, FIREGOV_GATEWAY_PORT=gateway_port)
        web = Child(["serve", "--no-worker", "--host", "127.0.0.1", "--port", str(web_port)], env, work / "serve.log")
        try:
            web.wait_port(web_port, 180)
            web.wait_port(gateway_port)
            first = results.get("bus", {}).get("last_point", NEW_POINTS) + 1000
            results["stream"] = asyncio.run(stream_phase(args, web_port, gateway_port, first))
            s = results["stream"]
            print(f"(b) SSE: {s['status']}; alarm p50 {s['p50'] or 0:.1f} ms, p99 {s['p99'] or 0:.1f} ms", flush=True)
        finally:
            web.stop()
        # The scale-out layout: the gateway on its own, the web process reading the bus from Redis.
        web_port, gateway_port = free_port(), free_port()
        env = child_env(FIREGOV_MQTT_URL=None)
        apart = Child(["gateway", "--port", str(gateway_port), "--no-mqtt"], env, work / "gateway-apart.log")
        web = Child(["serve", "--no-worker", "--no-gateway", "--host", "127.0.0.1", "--port", str(web_port)], env,
                    work / "serve-apart.log")
        try:
            apart.wait_port(gateway_port)
            web.wait_port(web_port, 180)
            first = results["stream"].get("last_point", NEW_POINTS) + 1000
            results["stream_apart"] = asyncio.run(stream_phase(args, web_port, gateway_port, first))
            s = results["stream_apart"]
            print(f"(b) SSE, gateway apart: {s['status']}; alarm p50 {s['p50'] or 0:.1f} ms, "
                  f"p99 {s['p99'] or 0:.1f} ms", flush=True)
        finally:
            web.stop()
            apart.stop()
    from firegov.iot.models import Device, Point

    data = [("devices", f"{Device.objects.count():,} ({created:,} registered now, {kept:,} kept)"),
            ("points", f"{Point.objects.count():,}"), ("events", f"{event_count():,}"), ("logs", str(work))]
    report(results, machine_facts(data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
