"""RFC 6455 opcodes and close status codes, with the names the IANA registries give them."""
from __future__ import annotations

CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA

_OPCODE_NAMES = {CONTINUATION: "continuation", TEXT: "text", BINARY: "binary",
                 CLOSE: "close", PING: "ping", PONG: "pong"}

DATA_OPCODES = frozenset((TEXT, BINARY))


def is_control(opcode: int) -> bool:
    """Opcodes with the high bit set are control frames (8-15), reserved or not (RFC 6455 5.5)."""
    return opcode >= 0x8


def is_reserved_opcode(opcode: int) -> bool:
    return opcode not in _OPCODE_NAMES


def opcode_name(opcode: int) -> str:
    """'text', 'ping'...; 'reserved' for 3-7 (non-control) and 11-15 (control)."""
    return _OPCODE_NAMES.get(opcode, "reserved")


# code: (IANA name, one-line meaning, may an endpoint put it in a Close frame?)
_CLOSE_CODES = {
    1000: ("Normal Closure", "the purpose of the connection has been fulfilled", True),
    1001: ("Going Away", "the endpoint is going away (server shutdown, page navigated away)", True),
    1002: ("Protocol Error", "the endpoint received something that violates the protocol", True),
    1003: ("Unsupported Data", "the endpoint received a type of data it cannot accept", True),
    1004: ("Reserved", "reserved; meaning might be defined in the future", False),
    1005: ("No Status Rcvd", "placeholder for 'no status code present'; never sent on the wire", False),
    1006: ("Abnormal Closure", "placeholder for 'closed without a Close frame'; never sent on the wire", False),
    1007: ("Invalid frame payload data", "message data inconsistent with its type (e.g. bad UTF-8 in text)", True),
    1008: ("Policy Violation", "the endpoint received a message that violates its policy", True),
    1009: ("Message Too Big", "the endpoint received a message too big to process", True),
    1010: ("Mandatory Ext.", "the client needed an extension the server did not negotiate", True),
    1011: ("Internal Error", "the server hit an unexpected condition", True),
    1012: ("Service Restart", "the service is restarting", True),
    1013: ("Try Again Later", "temporary condition (e.g. overload); try again later", True),
    1014: ("Bad Gateway", "a gateway or proxy received an invalid response from upstream", True),
    1015: ("TLS handshake", "placeholder for 'TLS handshake failed'; never sent on the wire", False),
    # First-come-first-served registrations in the 3000 range that the IANA registry lists by name.
    3000: ("Unauthorized", "the endpoint is not authorized (registered, library/framework range)", True),
    3003: ("Forbidden", "the endpoint is authenticated but not allowed (registered, library/framework range)", True),
    3008: ("Timeout", "a timeout occurred (registered, library/framework range)", True),
}


def close_code_name(code: int) -> str:
    known = _CLOSE_CODES.get(code)
    if known:
        return known[0]
    if 3000 <= code <= 3999:
        return "Registered"
    if 4000 <= code <= 4999:
        return "Private Use"
    if 0 <= code <= 999:
        return "Invalid"
    return "Unassigned"


def close_code_meaning(code: int) -> str:
    known = _CLOSE_CODES.get(code)
    if known:
        return known[1]
    if 3000 <= code <= 3999:
        return "registered with IANA for libraries, frameworks and applications"
    if 4000 <= code <= 4999:
        return "private use, agreed between the application's endpoints"
    if 0 <= code <= 999:
        return "not used by RFC 6455; may not be sent"
    if 1016 <= code <= 2999:
        return "reserved for RFC 6455, its revisions and extensions; unassigned, may not be sent"
    return "outside every range RFC 6455 defines; may not be sent"


def close_code_sendable(code: int) -> bool:
    """May an endpoint put this status code in a Close frame? (RFC 6455 7.4 and the IANA registry.)

    Unassigned codes in 1000-2999 are reserved for future standards, so seeing one on the wire today is a
    violation even though a later RFC might define it.
    """
    known = _CLOSE_CODES.get(code)
    if known:
        return known[2]
    return 3000 <= code <= 4999
