"""The demo city (枣庄市, Shandong) for trying firegov out.

``zaozhuang.json`` holds the real part (province, city, counties with their GB/T 2260 codes, streets
and towns with approximate central points, fire brigades and their document prefixes);
:mod:`firegov.demo.loader` generates the rest (communities, grids, agencies, demo accounts, units,
buildings, residential communities, fire lanes and micro fire stations) deterministically from a seed.

Load it with ``python -m django loaddemo`` (see :func:`firegov.demo.loader.load_demo`).
"""

from pathlib import Path

DATA_FILE = Path(__file__).resolve().parent / "zaozhuang.json"
DEMO_PASSWORD = "Firegov-2026"
