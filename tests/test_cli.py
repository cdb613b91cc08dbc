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
    for name in ("demo", "serve", "worker", "classify", "uscc", "judge", "draw"):
        assert name in result.stdout


def test_judge_command():
    case = {"standard": "GB 35181-2017", "place_kind": "crowded", "items": ["7.3.1", "7.3.2", "7.5"]}
    result = run("judge", "-", stdin=json.dumps(case))
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["major"] is True and out["rule"] == "5.3.3 a)" and out["procedure"]
    result = run("judge", "-", stdin=json.dumps({**case, "items": ["7.3.99"]}))
    assert result.returncode == 2 and "items" in result.stderr


def test_draw_command_and_its_verification(tmp_path):
    units = [{"id": f"u{i}", "key_unit": i % 3 == 0, "crowded": i % 2 == 0} for i in range(40)]
    inspectors = [{"id": f"p{i}"} for i in range(6)]
    rules = {"as_of": "2026-03-01", "strata": [{"code": "key", "filter": {"key_unit": True}, "count": 3},
                                               {"code": "rest", "filter": {}, "ratio": 0.1}]}
    files = {}
    for name, value in (("units", units), ("inspectors", inspectors), ("rules", rules)):
        files[name] = tmp_path / f"{name}.json"
        files[name].write_text(json.dumps(value), encoding="utf-8")
    args = ["--units", str(files["units"]), "--inspectors", str(files["inspectors"]), "--rules", str(files["rules"])]
    result = run("draw", *args, "--seed", "00" * 31 + "01")
    assert result.returncode == 0, result.stderr
    drawn = json.loads(result.stdout)
    # 14 key units (3 drawn); the other 26 at a ratio of 0.1, rounded up: 3
    assert len(drawn["assignments"]) == 3 + 3 and all(len(a["inspectors"]) == 2 for a in drawn["assignments"])
    (tmp_path / "result.json").write_text(result.stdout, encoding="utf-8")
    assert run("draw", "verify", "--result", str(tmp_path / "result.json"), *args).returncode == 0
    drawn["seed"] = "00" * 31 + "02"
    (tmp_path / "result.json").write_text(json.dumps(drawn), encoding="utf-8")
    assert run("draw", "verify", "--result", str(tmp_path / "result.json"), *args).returncode == 1


def test_serve_answers_http_and_stops_with_its_worker(tmp_path):
    """firegov serve: the ASGI server answers, and SIGTERM stops it together with its worker."""
    import os
    import signal
    import socket
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "FIREGOV_DATA_DIR": str(tmp_path), "FIREGOV_DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3"}
    subprocess.run([sys.executable, "-m", "firegov.cli", "manage", "migrate", "--noinput", "-v", "0"], env=env,
                   check=True, timeout=120)
    server = subprocess.Popen([sys.executable, "-m", "firegov.cli", "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=2) as response:
                    assert response.status == 200
                    assert b"firegov" in response.read()
                break
            except OSError:
                assert time.monotonic() < deadline, "server did not answer"
                time.sleep(0.5)
        children = subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True, text=True).stdout.split()
        assert children, "no worker process was started"
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        time.sleep(1)
        for pid in children:
            assert not os.path.exists(f"/proc/{pid}") or "zombie" in open(f"/proc/{pid}/status").read().lower()
    finally:
        if server.poll() is None:
            server.kill()
