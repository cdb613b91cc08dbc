"""The ingestion writer alone: ``ingest_batch`` on 500-frame batches of the simulator's traffic.

    FIREGOV_DATABASE_URL=postgres://postgres@127.0.0.1:5432/firegov_bench_writer \\
        FIREGOV_DATA_DIR=/tmp/fg_bench_writer_pg python bench/iot_writer.py     # PostgreSQL
    FIREGOV_DATA_DIR=/tmp/fg_bench_writer python bench/iot_writer.py            # SQLite

``bench/iot.py`` measures the whole gateway; this isolates the one thread that stores, without
sockets, the event loop or the load generator. The database is made as ``bench/iot.py`` makes it
(demo units, then ``--devices`` simulated UITDs). Frames are the simulator's (1 % alarms), from random
devices and points, decoded and normalised beforehand; only ``ingest_batch`` is timed. With few
devices every point exists after the first batches (steady state); with many, most batches also
create points (a city whose devices report for the first time). Prints µs per frame for each batch
and the median after ``--warmup`` batches.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=500)
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=4)
    parser.add_argument("--keep-database", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "firegov.settings")
    from iot import database_name, machine_facts, make_database

    make_database(args.keep_database)
    import django

    django.setup()
    from django.utils import timezone

    from firegov.iot import normalise
    from firegov.iot.models import Device
    from firegov.iot.services import Batch, ingest_batch
    from firegov.iot.simulate import POINTS, SimConfig, Traffic, local_now, register
    from firegov.kernels.gb26875 import Deframer, encode_frame

    register(args.devices, 900_000)
    devices = list(Device.objects.select_related("unit").filter(address__gte=900_000,
                                                                 address__lt=900_000 + args.devices))
    traffic, rng = Traffic(SimConfig(alarm_share=0.01), random.Random(1)), random.Random(2)
    per_frame = []
    for i in range(args.batches):
        moment, deframer, frames = local_now(), Deframer(), []
        for serial in range(args.batch):
            adu, _kind = traffic.next(rng.randrange(1, POINTS + 1), moment)
            device = devices[rng.randrange(len(devices))]
            [frame] = deframer.feed(encode_frame(serial=serial, command=2, source=device.address, destination=0,
                                                 sent_at=moment, adu=adu))
            frames.append(Batch(device, normalise.from_frame(frame), "gb26875", timezone.now()))
        start = time.perf_counter()
        ingest_batch(frames)
        per_frame.append((time.perf_counter() - start) / args.batch * 1e6)
        print(f"batch {i + 1:3d}: {per_frame[-1]:6.0f} µs per frame")
    median = statistics.median(per_frame[args.warmup:])
    print(f"\n{database_name()}, {args.devices} devices, {args.batch}-frame batches: median {median:.0f} µs per "
          f"frame after {args.warmup} batches ({1e6 / median:,.0f} frames/s for the writer alone)")
    for key, value in machine_facts([]):
        print(f"{key:13} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
