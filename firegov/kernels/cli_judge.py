"""Pure implementation of the ``firegov judge`` console command (重大火灾隐患判定).

``firegov judge FILE|- [--table ID|PATH]`` reads one JSON case or a JSON list of cases, judges each with
:func:`firegov.kernels.judge.judge_case` and prints the results as JSON (an object for an object, a list
for a list). Any bad input is reported on stderr as "中文 / English", naming the case and the field, with
exit status 2 and nothing on stdout.
"""

from __future__ import annotations

import json
from typing import IO, Any

from firegov.kernels.cli_kernels import EXIT_OK, EXIT_USAGE, _parse, _Parser, read_json
from firegov.kernels.judge import JudgeError, JudgeTable, judge_case, load_table


def _judge_parser(stdout: IO[str], stderr: IO[str]) -> _Parser:
    parser = _Parser(
        prog="firegov judge",
        description=(
            "Major fire hazard determination (重大火灾隐患判定, GB 35181-2017) of one JSON case or a list of cases."
        ),
        stdout=stdout,
        stderr=stderr,
    )
    parser.add_argument(
        "file", metavar="FILE", help="JSON file with a case or a list of cases, or - for stdin"
    )
    parser.add_argument(
        "--table",
        default=None,
        metavar="ID|PATH",
        help="rule table id (e.g. gb35181/2017) or path of a table file; default: the case's standard",
    )
    return parser


def _load_cases(name: str, stdin: IO[str]) -> Any:
    """Read and decode the input; raise ValueError with a user-facing bilingual message."""
    shown = "stdin" if name == "-" else name
    data = read_json(name, stdin)
    if not isinstance(data, (dict, list)):
        raise ValueError(
            f"{shown} 应为一个案例（JSON 对象）或案例列表 / {shown} must contain a JSON object or a list of cases"
        )
    return data


def _case_error(index: int, exc: JudgeError) -> str:
    who = f"第 {index} 个案例" if exc.case_id is None else f"案例 {exc.case_id}"
    who_en = f"case #{index}" if exc.case_id is None else f"case {exc.case_id} (#{index})"
    zh = f"错误：{who} 字段 {exc.field}：{exc.message_zh}"
    return f"{zh} / error: {who_en}, field {exc.field}: {exc.message_en}\n"


def run_judge(argv: list[str], stdin: IO[str], stdout: IO[str], stderr: IO[str]) -> int:
    """``firegov judge FILE|- [--table ID|PATH]``: exit 0 on success, 2 on any bad input."""
    args = _parse(_judge_parser(stdout, stderr), argv)
    if isinstance(args, int):
        return args
    try:
        table: JudgeTable | None = None if args.table is None else load_table(args.table)
        data = _load_cases(args.file, stdin)
    except JudgeError as exc:
        stderr.write(f"错误：{exc.message_zh} / error: {exc.message_en}\n")
        return EXIT_USAGE
    except ValueError as exc:
        stderr.write(f"错误/error: {exc}\n")
        return EXIT_USAGE
    cases = data if isinstance(data, list) else [data]
    results, errors = [], []
    for index, case in enumerate(cases, start=1):
        try:
            results.append(judge_case(case, table=table).as_dict())
        except JudgeError as exc:
            errors.append(_case_error(index, exc))
    if errors:
        stderr.write("".join(errors))
        return EXIT_USAGE
    output = results if isinstance(data, list) else results[0]
    stdout.write(json.dumps(output, ensure_ascii=False, indent=2) + "\n")
    return EXIT_OK
