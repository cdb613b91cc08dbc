"""GB/T 26875.3-2011 alarm transmission protocol (城市消防远程监控系统 报警传输网络通信协议), pure Python.

- :mod:`.tables`: the protocol's layouts, bit tables and code tables, read from
  ``kernels/rules/gb26875_2011.json``;
- :mod:`.codec`: frames and ADUs, decoded to the ``firegov decode`` schema and encoded back;
- :mod:`.deframer`: a streaming deframer for TCP byte streams;
- :mod:`.views`: what the layers above read off decoded objects (vendor views of component
  addresses, analog scaling, code names).

:class:`CodecError` is the only exception raised on any input.
"""

from firegov.kernels.gb26875.codec import (
    ERROR_CODES,
    CodecError,
    Frame,
    decode_adu,
    decode_frame,
    decode_result,
    encode_adu,
    encode_frame,
    format_time,
    header,
    parse_time,
    reply,
    time_tag,
)
from firegov.kernels.gb26875.deframer import Deframer, Rejected

__all__ = [
    "ERROR_CODES", "CodecError", "Deframer", "Frame", "Rejected", "decode_adu", "decode_frame",
    "decode_result", "encode_adu", "encode_frame", "format_time", "header", "parse_time", "reply", "time_tag",
]
