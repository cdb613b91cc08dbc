"""Pure implementations of the ``firegov classify`` and ``firegov uscc`` console commands.

Both take argv (without the program and sub-command names) and the streams to use, and return the
exit status, so that the console entry point stays a thin wrapper and tests can use ``io.StringIO``.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
from typing import IO, Any

from firegov.kernels import uscc
from firegov.kernels.classify import (
    DEFAULT_HIGH_RISK_TABLE,
    DEFAULT_KEY_TABLE,
    ClassifyError,
    RuleTable,
    TableError,
    classify,
    resolve_table,
)

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2


class _Exit(Exception):
    def __init__(self, status: int):
        super().__init__(status)
        self.status = status


class _Parser(argparse.ArgumentParser):
    """ArgumentParser that writes to the given streams and raises instead of exiting."""

    def __init__(self, *args: Any, stdout: IO[str], stderr: IO[str], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._out = stdout
        self._err = stderr

    def _print_message(self, message: str, file: IO[str] | None = None) -> None:
        if message:
            (self._err if file is sys.stderr else self._out).write(message)

    def exit(self, status: int = 0, message: str | None = None) -> None:  # type: ignore[override]
        if message:
            self._err.write(message)
        raise _Exit(status)


def _parse(parser: _Parser, argv: list[str]) -> argparse.Namespace | int:
    try:
        return parser.parse_args(argv)
    except _Exit as exc:
        return exc.status


# --------------------------------------------------------------------------- classify


def _classify_parser(stdout: IO[str], stderr: IO[str]) -> _Parser:
    parser = _Parser(
        prog="firegov classify",
        description="Classify units (key unit, crowded place, high-rise, high-risk…) from a JSON list.",
        stdout=stdout,
        stderr=stderr,
    )
    parser.add_argument("file", metavar="FILE", help="JSON file with a list of units, or - for stdin")
    parser.add_argument(
        "--key-table", default=DEFAULT_KEY_TABLE, metavar="ID|PATH", help="key-unit rule table"
    )
    parser.add_argument(
        "--high-risk-table",
        default=DEFAULT_HIGH_RISK_TABLE,
        metavar="ID|PATH|none",
        help="fire high-risk rule table; 'none' leaves high_risk null",
    )
    return parser


def _read_input(name: str, stdin: IO[str]) -> str:
    if name == "-":
        return stdin.read()
    with open(name, encoding="utf-8") as fh:
        return fh.read()


def read_json(name: str, stdin: IO[str]) -> Any:
    """Read and decode the JSON in file ``name`` (``-``: stdin); raise ValueError with a bilingual
    message naming the file. Garbage collection pauses while a large directory is decoded (300,000
    dicts: collecting meanwhile only wastes time)."""
    shown = "stdin" if name == "-" else name
    try:
        text = _read_input(name, stdin)
    except (OSError, ValueError) as exc:  # ValueError: undecodable bytes or a NUL in the path
        detail = getattr(exc, "strerror", None) or str(exc)
        raise ValueError(f"无法读取 {shown}：{detail} / cannot read {shown}: {detail}") from None
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"{shown} 不是有效的 JSON（第 {exc.lineno} 行第 {exc.colno} 列：{exc.msg}）"
            f" / {shown} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    finally:
        if was_enabled:
            gc.enable()


def _load_units(name: str, stdin: IO[str]) -> list[Any]:
    """Read and decode the unit list; raise ValueError with a user-facing message."""
    shown = "stdin" if name == "-" else name
    units = read_json(name, stdin)
    if not isinstance(units, list):
        raise ValueError(f"{shown} 应为单位列表（JSON 数组） / {shown} must contain a JSON list of units")
    return units


def _tables(args: argparse.Namespace) -> tuple[RuleTable | None, RuleTable | None]:
    key = resolve_table(args.key_table, "key_unit")
    high_risk_spec = None if args.high_risk_table.lower() == "none" else args.high_risk_table
    return key, resolve_table(high_risk_spec, "high_risk")


def _unit_error(index: int, exc: ClassifyError) -> str:
    who = f"第 {index} 个单位" if exc.unit_id is None else f"单位 {exc.unit_id}"
    who_en = f"unit #{index}" if exc.unit_id is None else f"unit {exc.unit_id} (#{index})"
    zh = f"错误：{who} 字段 {exc.field}：{exc.message_zh}"
    return f"{zh} / error: {who_en}, field {exc.field}: {exc.message_en}\n"


def run_classify(argv: list[str], stdin: IO[str], stdout: IO[str], stderr: IO[str]) -> int:
    """``firegov classify FILE|- [--key-table ID|PATH] [--high-risk-table ID|PATH|none]``."""
    args = _parse(_classify_parser(stdout, stderr), argv)
    if isinstance(args, int):
        return args
    try:
        key, high_risk = _tables(args)
        units = _load_units(args.file, stdin)
    except (TableError, ValueError) as exc:
        stderr.write(f"错误/error: {exc}\n")
        return EXIT_USAGE
    results, errors = [], []
    for index, unit in enumerate(units, start=1):
        try:
            results.append(classify(unit, key_table=key, high_risk_table=high_risk))
        except ClassifyError as exc:
            errors.append(_unit_error(index, exc))
    if errors:
        stderr.write("".join(errors))
        return EXIT_USAGE
    stdout.write(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
    return EXIT_OK


# --------------------------------------------------------------------------- uscc


def _uscc_parser(stdout: IO[str], stderr: IO[str]) -> _Parser:
    parser = _Parser(
        prog="firegov uscc",
        description="Check unified social credit codes (统一社会信用代码, GB 32100-2015).",
        stdout=stdout,
        stderr=stderr,
    )
    parser.add_argument("codes", metavar="CODE", nargs="+", help="code(s) to check")
    parser.add_argument("--json", action="store_true", help="print a JSON list instead of text lines")
    return parser


def _uscc_line(result: uscc.Result, given: str) -> str:
    shown = result.code or given
    if result.valid:
        return f"{shown}  有效/valid\n"
    return f"{shown}  无效: {result.reason_zh} / invalid: {result.reason_en}\n"


def _uscc_record(result: uscc.Result, given: str) -> dict[str, Any]:
    return {
        "input": given,
        "code": result.code,
        "valid": result.valid,
        "reason_zh": result.reason_zh,
        "reason_en": result.reason_en,
        "expected_check_char": result.expected_check_char,
    }


def run_uscc(argv: list[str], stdout: IO[str], stderr: IO[str]) -> int:
    """``firegov uscc [--json] CODE…``: exit 0 if all valid, 1 if any invalid, 2 on usage error."""
    args = _parse(_uscc_parser(stdout, stderr), argv)
    if isinstance(args, int):
        return args
    results = [(code, uscc.check(code)) for code in args.codes]
    if args.json:
        records = [_uscc_record(result, given) for given, result in results]
        stdout.write(json.dumps(records, ensure_ascii=False, indent=2) + "\n")
    else:
        stdout.write("".join(_uscc_line(result, given) for given, result in results))
    return EXIT_OK if all(result.valid for _, result in results) else EXIT_INVALID
