"""The firegov console command, run as a real process."""

from __future__ import annotations

import json
import subprocess
import sys

from firegov.kernels.uscc import make as make_uscc


def run(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "firegov.cli", *args], input=stdin, capture_output=True,
                          text=True, timeout=60)


def test_classify_from_stdin():
    units = [{"id": "a", "place_type": "hotel", "guest_rooms": 50}, {"id": "b", "place_type": "hotel",
                                                                     "guest_rooms": 49}]
    result = run("classify", "-", stdin=json.dumps(units))
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert [u["key_unit"] for u in out] == [True, False]
    assert out[0]["reasons"] and {"rule", "clause", "text"} <= set(out[0]["reasons"][0])


def test_classify_bad_input_names_the_unit_and_field(tmp_path):
    path = tmp_path / "units.json"
    path.write_text(json.dumps([{"id": "u7", "place_type": "hotel", "guest_rooms": "many"}]), encoding="utf-8")
    result = run("classify", str(path))
    assert result.returncode == 2
    assert "u7" in result.stderr and "guest_rooms" in result.stderr
    result = run("classify", "-", stdin=json.dumps([{"id": "u8", "place_type": "castle"}]))
    assert result.returncode == 2 and "u8" in result.stderr and "place_type" in result.stderr


def test_uscc_command():
    good = make_uscc("9", "1", "370403", "MA3C12345")
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    result = run("uscc", good, bad)
    assert result.returncode == 1
    lines = result.stdout.strip().splitlines()
    assert good in lines[0] and bad in lines[1] and "校验" in lines[1]


def test_help_lists_commands():
    result = run("--help")
    assert result.returncode == 0
    for name in ("demo", "serve", "worker", "classify", "uscc"):
        assert name in result.stdout
