"""Pure implementation of the ``firegov decode`` console command (GB/T 26875.3-2011 frames).

``firegov decode HEX…`` decodes one frame per argument, ``firegov decode -`` one frame per line of
stdin. Each frame, accepted or rejected, prints one JSON line in the schema of
``shared/reference/gb26875/protocol.md`` §11, in input order. Case and whitespace inside the hex do
not matter; an empty line prints nothing. Text that is not an even number of hex digits is not a
frame: it is reported on stderr, the other inputs are still decoded, and the exit status is 1.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import IO

from firegov.kernels.cli_kernels import EXIT_INVALID, EXIT_OK, _parse, _Parser
from firegov.kernels.gb26875 import decode_result

_SPACE = re.compile(r"\s+")
_HEX = re.compile(r"(?:[0-9a-fA-F]{2})*")


def _parser(stdout: IO[str], stderr: IO[str]) -> _Parser:
    parser = _Parser(
        prog="firegov decode",
        description="Decode GB/T 26875.3-2011 frames given as hex text: one JSON line per frame.",
        stdout=stdout,
        stderr=stderr,
    )
    parser.add_argument("frames", nargs="+", metavar="HEX", help="one frame per argument, or - for one per line of stdin")
    return parser


def _inputs(frames: list[str], stdin: IO[str]) -> Iterable[tuple[str, str, str]]:
    if frames == ["-"]:
        for number, line in enumerate(stdin, start=1):
            yield f"第 {number} 行", f"line {number}", line
    else:
        for number, text in enumerate(frames, start=1):
            yield f"第 {number} 个参数", f"argument {number}", text


def run_decode(argv: list[str], stdin: IO[str], stdout: IO[str], stderr: IO[str]) -> int:
    args = _parse(_parser(stdout, stderr), argv)
    if isinstance(args, int):
        return args
    status = EXIT_OK
    for where_zh, where_en, text in _inputs(args.frames, stdin):
        compact = _SPACE.sub("", text)
        if not compact:
            continue
        if not _HEX.fullmatch(compact):
            stderr.write(f"错误：{where_zh}不是偶数个十六进制数字 / error: {where_en} is not an even number of hex digits\n")
            status = EXIT_INVALID
            continue
        stdout.write(json.dumps(decode_result(bytes.fromhex(compact)), ensure_ascii=False) + "\n")
    return status
