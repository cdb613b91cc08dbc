"""Pure implementation of the ``firegov draw`` console command (双随机抽查).

    firegov draw --units UNITS.json --inspectors INSPECTORS.json --rules RULES.json --seed HEX
                 [--commitment HEX] [--output FILE]
    firegov draw verify --result RESULT.json --units … --inspectors … --rules … [--published FILE] [--json]
    firegov draw commit [--seed HEX]
    firegov draw digests --units … --inspectors … --rules …

``draw`` prints the result as JSON. ``verify`` exits 0 when the result verifies and 1 when it does
not, listing the problems; with ``--published`` it also checks the result's seed commitment and the
inputs against what was published before the draw (``seed_sha256`` and ``inputs_sha256``, as in
firegov's commitment.json). ``commit`` prints the SHA-256 commitment of a seed, or makes a new seed
and prints both. ``digests`` prints the inputs' digests (``inputs_sha256``), to publish with the
seed's commitment before the draw. Usage and input errors exit 2 with a bilingual message naming the
file, the record and the field. Any FILE may be ``-`` for standard input (at most one per call).
"""

from __future__ import annotations

import json
from typing import IO, Any

from firegov.kernels.cli_kernels import EXIT_INVALID, EXIT_OK, EXIT_USAGE, _parse, _Parser, read_json
from firegov.kernels.draw import (
    ALGORITHM,
    DrawError,
    commitment,
    draw,
    inputs_sha256,
    new_seed,
    parse_seed,
    verify,
)


class _InputError(Exception):
    """A file cannot be read or decoded; the message is bilingual and names the file."""


def _draw_parser(stdout: IO[str], stderr: IO[str]) -> _Parser:
    parser = _Parser(
        prog="firegov draw",
        description="Double-random draw (双随机抽查) of units and inspectors, verifiable from a committed seed. "
        "Sub-commands: 'verify' checks a published draw, 'commit' prints a seed's commitment, 'digests' "
        "prints the inputs' digests.",
        stdout=stdout,
        stderr=stderr,
    )
    _directory_arguments(parser)
    parser.add_argument("--seed", required=True, metavar="HEX", help="the seed, hex (at least 16 bytes)")
    parser.add_argument(
        "--commitment",
        metavar="HEX",
        help="refuse to draw unless the seed hashes to this published commitment",
    )
    parser.add_argument("--output", metavar="FILE", help="write the result to FILE instead of stdout")
    return parser


def _verify_parser(stdout: IO[str], stderr: IO[str]) -> _Parser:
    parser = _Parser(
        prog="firegov draw verify",
        description="Re-run a published draw and check its seed, commitment, input digests and assignments.",
        stdout=stdout,
        stderr=stderr,
    )
    parser.add_argument("--result", required=True, metavar="FILE", help="the published draw result (JSON)")
    _directory_arguments(parser)
    parser.add_argument(
        "--published",
        metavar="FILE",
        help="what was published before the draw: JSON object with seed_sha256 and inputs_sha256",
    )
    parser.add_argument("--json", action="store_true", help="print the verification report as JSON")
    return parser


def _digests_parser(stdout: IO[str], stderr: IO[str]) -> _Parser:
    parser = _Parser(
        prog="firegov draw digests",
        description="Check the inputs of a draw and print their SHA-256 digests (inputs_sha256), to be "
        "published with the seed's commitment before the draw.",
        stdout=stdout,
        stderr=stderr,
    )
    _directory_arguments(parser)
    return parser


def _commit_parser(stdout: IO[str], stderr: IO[str]) -> _Parser:
    parser = _Parser(
        prog="firegov draw commit",
        description="Print the SHA-256 commitment of a seed; without --seed, make a new 32-byte seed "
        "and print both (keep the seed secret until the draw).",
        stdout=stdout,
        stderr=stderr,
    )
    parser.add_argument("--seed", metavar="HEX", help="the seed, hex")
    return parser


def _directory_arguments(parser: _Parser) -> None:
    parser.add_argument("--units", required=True, metavar="FILE", help="unit directory: JSON list (or -)")
    parser.add_argument("--inspectors", required=True, metavar="FILE", help="inspector directory: JSON list")
    parser.add_argument("--rules", required=True, metavar="FILE", help="draw rules: JSON object")


def _load(name: str, stdin: IO[str], kind: type, what_zh: str, what_en: str) -> Any:
    shown = "stdin" if name == "-" else name
    try:
        value = read_json(name, stdin)
    except ValueError as exc:
        raise _InputError(str(exc)) from None
    if not isinstance(value, kind):
        shape_zh, shape_en = ("JSON 数组", "a JSON list") if kind is list else ("JSON 对象", "a JSON object")
        raise _InputError(
            f"{shown} 应为{what_zh}（{shape_zh}） / {shown} must contain {what_en} ({shape_en})"
        )
    return value


def _load_inputs(args: Any, stdin: IO[str]) -> tuple[list, list, dict]:
    names = [args.units, args.inspectors, args.rules]
    names += [getattr(args, name) for name in ("result", "published") if getattr(args, name, None)]
    if names.count("-") > 1:
        raise _InputError("标准输入只能用于一个文件 / only one file can be read from stdin")
    units = _load(args.units, stdin, list, "单位名录", "the unit directory")
    inspectors = _load(args.inspectors, stdin, list, "检查人员名录", "the inspector directory")
    rules = _load(args.rules, stdin, dict, "抽查规则", "the draw rules")
    return units, inspectors, rules


def _files(args: Any) -> dict[str, str]:
    return {"units": args.units, "inspectors": args.inspectors, "rules": args.rules, "seed": "--seed"}


def _error_line(shown: str, where: str, message_zh: str, message_en: str) -> str:
    shown = "stdin" if shown == "-" else shown
    return f"错误：{shown}：{where}：{message_zh} / error: {shown}: {where}: {message_en}\n"


def _draw_error(exc: DrawError, files: dict[str, str]) -> str:
    return _error_line(files.get(exc.source, exc.source), exc.where, exc.message_zh, exc.message_en)


def format_result(result: dict[str, Any]) -> str:
    """The result as indented JSON, except that each assignment takes one line (30,000 of them stay
    readable, greppable and quick to write)."""
    text = json.dumps({**result, "assignments": []}, ensure_ascii=False, indent=2)
    lines = ",\n".join("    " + json.dumps(a, ensure_ascii=False) for a in result["assignments"])
    body = f"[\n{lines}\n  ]" if lines else "[]"
    return text.replace('\n  "assignments": []', f'\n  "assignments": {body}', 1) + "\n"


def _run_draw(argv: list[str], stdin: IO[str], stdout: IO[str], stderr: IO[str]) -> int:
    args = _parse(_draw_parser(stdout, stderr), argv)
    if isinstance(args, int):
        return args
    files = _files(args)
    try:
        seed = parse_seed(args.seed)
        if args.commitment is not None and commitment(seed) != args.commitment.strip().lower():
            stderr.write(
                "错误：种子与公布的承诺值不符，未抽取 / error: the seed does not match the published "
                "commitment; nothing was drawn\n"
            )
            return EXIT_USAGE
        units, inspectors, rules = _load_inputs(args, stdin)
        result = draw(seed, units, inspectors, rules)
    except _InputError as exc:
        stderr.write(f"错误/error: {exc}\n")
        return EXIT_USAGE
    except DrawError as exc:
        stderr.write(_draw_error(exc, files))
        return EXIT_USAGE
    text = format_result(result)
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:
            stderr.write(
                f"错误：无法写入 {args.output}：{exc.strerror} / error: cannot write {args.output}: "
                f"{exc.strerror}\n"
            )
            return EXIT_USAGE
    else:
        stdout.write(text)
    return EXIT_OK


def _run_verify(argv: list[str], stdin: IO[str], stdout: IO[str], stderr: IO[str]) -> int:
    args = _parse(_verify_parser(stdout, stderr), argv)
    if isinstance(args, int):
        return args
    try:
        units, inspectors, rules = _load_inputs(args, stdin)
        result = _load(args.result, stdin, dict, "抽取结果", "a draw result")
        published = None
        if args.published:
            published = _load(args.published, stdin, dict, "抽取前公布的承诺", "what was published before the draw")
    except _InputError as exc:
        stderr.write(f"错误/error: {exc}\n")
        return EXIT_USAGE
    report = verify(result, units, inspectors, rules, published)
    invalid = [p for p in report["problems"] if p["code"] == "input"]
    if invalid:  # the inputs themselves are bad: a usage error, not a failed verification
        files = _files(args)
        for problem in invalid:
            shown = files.get(problem["source"], problem["source"])
            stderr.write(_error_line(shown, problem["field"], problem["message_zh"], problem["message_en"]))
        return EXIT_USAGE
    if args.json:
        stdout.write(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    elif report["ok"]:
        stdout.write(
            f"验证通过 / verified: {len(result.get('assignments', []))} assignments, seed matches "
            f"commitment {result.get('seed_sha256')}\n"
        )
    else:
        stdout.write(f"验证失败 / verification failed: {len(report['problems'])} problem(s)\n")
        for problem in report["problems"]:
            stdout.write(
                f"- [{problem['code']}] {problem['field']}: {problem['message_zh']} / "
                f"{problem['message_en']}\n"
            )
    return EXIT_OK if report["ok"] else EXIT_INVALID


def _run_commit(argv: list[str], stdout: IO[str], stderr: IO[str]) -> int:
    args = _parse(_commit_parser(stdout, stderr), argv)
    if isinstance(args, int):
        return args
    if args.seed is None:
        seed = new_seed()
        stdout.write(json.dumps({"seed": seed.hex(), "seed_sha256": commitment(seed)}, indent=2) + "\n")
        return EXIT_OK
    try:
        seed = parse_seed(args.seed)
    except DrawError as exc:
        stderr.write(_draw_error(exc, {"seed": "--seed"}))
        return EXIT_USAGE
    stdout.write(commitment(seed) + "\n")
    return EXIT_OK


def _run_digests(argv: list[str], stdin: IO[str], stdout: IO[str], stderr: IO[str]) -> int:
    args = _parse(_digests_parser(stdout, stderr), argv)
    if isinstance(args, int):
        return args
    try:
        units, inspectors, rules = _load_inputs(args, stdin)
        digests = inputs_sha256(units, inspectors, rules)
    except _InputError as exc:
        stderr.write(f"错误/error: {exc}\n")
        return EXIT_USAGE
    except DrawError as exc:
        stderr.write(_draw_error(exc, _files(args)))
        return EXIT_USAGE
    stdout.write(json.dumps({"algorithm": ALGORITHM, "inputs_sha256": digests}, indent=2) + "\n")
    return EXIT_OK


def run_draw(argv: list[str], stdin: IO[str], stdout: IO[str], stderr: IO[str]) -> int:
    """``firegov draw …`` or its sub-commands ``verify``, ``commit`` and ``digests``: the exit status."""
    if argv and argv[0] == "verify":
        return _run_verify(argv[1:], stdin, stdout, stderr)
    if argv and argv[0] == "commit":
        return _run_commit(argv[1:], stdout, stderr)
    if argv and argv[0] == "digests":
        return _run_digests(argv[1:], stdin, stdout, stderr)
    return _run_draw(argv, stdin, stdout, stderr)
