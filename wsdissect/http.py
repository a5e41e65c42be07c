# cython: annotation_typing=False
"""HTTP/1.1, as far as a WebSocket analyzer needs it: the Upgrade request, the 101 reply, and whatever
keep-alive traffic comes before them.

Sans-IO. An `HttpStream` is fed the reassembled, in-order bytes of one TCP direction and returns records:
`HttpRequest` / `HttpResponse` as soon as a message's header is complete (the timeline wants to label the
packet that carried the header, not the one that ended the body), and `HttpError` when the bytes stop making
sense as HTTP. Errors are records, not exceptions: a capture is evidence, and a broken stream is a finding.

Offsets (`offset` on every record, `HttpStream.position`) count bytes fed to this stream, from 0, so the
analyzer can map a record back to the packets that carried it.

Deliberate simplifications, for a tool that reads captures rather than serving clients:
- A response with neither Content-Length nor Transfer-Encoding (and not 1xx/204/304/a reply to HEAD) has a body
  that runs until the connection closes (RFC 9112 6.3 rule 8). Every byte after its header is body.
- Bare "\\n" line endings are accepted (RFC 9112 2.2 allows it); the record's `bare_lf` says it happened.
- Empty lines before a start line are skipped (RFC 9112 2.2: some clients send CRLF after a POST body).
- Obsolete line folding is unfolded into one space, as RFC 9112 5.2 lets a recipient do.
- Bodies are skipped, never kept; trailers of a chunked body are skipped too.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import re
from typing import Optional, Union

from .limits import DEFAULT_LIMITS
from .model import DeflateParams, _fields_repr, _same_fields

__all__ = [
    "WS_GUID", "HttpRequest", "HttpResponse", "HttpError", "HttpStream", "Handshake", "ExtensionSyntaxError",
    "accept_steps", "compute_accept", "check_handshake", "parse_extensions", "parse_deflate_params",
]

# RFC 6455 1.3: the fixed GUID the server appends to the client's key before hashing.
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

_TCHAR = rb"!#$%&'*+\-.^_`|~0-9A-Za-z"
_TOKEN = re.compile(rb"[" + _TCHAR + rb"]+")
_STR_TOKEN = re.compile(_TOKEN.pattern.decode("ascii"))
# Tolerant of runs of spaces and trailing blanks (RFC 9112 3 lets a recipient split on whitespace).
_REQUEST_LINE = re.compile(rb"([" + _TCHAR + rb"]+) +([^\x00-\x20\x7f]+) +HTTP/(\d)\.(\d)[ \t]*")
# The reason phrase may be empty, and real servers even drop the space before it ("HTTP/1.1 101").
_STATUS_LINE = re.compile(rb"HTTP/(\d)\.(\d) (\d{3})(?: (.*))?", re.S)
# The same two, for a head decoded to text (ASCII: \d is 0-9 only, as in the bytes patterns).
_STR_REQUEST_LINE = re.compile(_REQUEST_LINE.pattern.decode("latin-1"), re.ASCII)
_STR_STATUS_LINE = re.compile(_STATUS_LINE.pattern.decode("latin-1"), re.S | re.ASCII)
# A head's field names joined by ":" (which no name holds): one match checks them all.
_NAMES = re.compile(_STR_TOKEN.pattern + "(?::" + _STR_TOKEN.pattern + ")*")
_BLANK_LINE = re.compile(rb"\n\r?\n")
_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,16}")
_DIGITS = re.compile(r"[0-9]{1,18}")      # 18 digits: beyond any real body, and below int-parsing limits
_WINDOW_BITS = re.compile(r"[1-9][0-9]?")  # RFC 7692 7.1.2: no leading zeros

# How much of a message's first line is checked as it arrives. Enough to see a TLS record, an SSH banner or
# binary garbage for what it is without waiting for max_header bytes.
_EARLY = 64


def _prefixes(*atoms: bytes) -> bytes:
    """A regex matching every prefix of the concatenation of `atoms`, so a partial line can be judged."""
    out = b""
    for atom in reversed(atoms):
        out = b"(?:" + atom + out + b")?"
    return out


_VERSION_ATOMS = (b"H", b"T", b"T", b"P", b"/", rb"\d", rb"\.", rb"\d")
_REQUEST_PREFIX = re.compile(
    rb"[" + _TCHAR + rb"]{1,32}" + _prefixes(rb" +", rb"[^\x00-\x20\x7f]+", rb" +", *_VERSION_ATOMS, rb"[ \t]*\r?"))
_STATUS_PREFIX = re.compile(_prefixes(*_VERSION_ATOMS, b" ", rb"\d", rb"\d", rb"\d", rb"[ \r].*"), re.S)


def _text(b: bytes) -> str:
    # Header bytes should be ASCII; UTF-8 is what misbehaving peers send in practice, and latin-1 never fails.
    try:
        return b.decode("utf-8")
    except UnicodeDecodeError:
        return b.decode("latin-1")


def _short(s: str, n: int = 80) -> str:
    return repr(s if len(s) <= n else s[:n] + "…")


def _tokens(value: Optional[str]) -> list[str]:
    """Comma-separated list elements, lowercased: for Connection/Upgrade/Transfer-Encoding matching."""
    if not value:
        return []
    return [t.strip().lower() for t in value.split(",") if t.strip()]


def _list(value: Optional[str]) -> list[str]:
    """Comma-separated list elements as sent (subprotocol names are compared exactly)."""
    if not value:
        return []
    return [t.strip() for t in value.split(",") if t.strip()]


# ----------------------------------------------------------------------------------------------------- records


class _HeaderIndex:
    """A head's fields by lowercase name, made on its first lookup: the analyzer, the handshake check and the
    labels ask one head some 30 questions, and scanning and lowercasing every field for each was the costliest
    part of a handshake packet. `joined` is get's answer per lowercase name (the values joined with ", "),
    `tokens` memoises has_token's lists per lowercase name."""
    __slots__ = ("headers", "count", "values", "joined", "tokens", "upgrade")

    def __init__(self, headers: list[tuple[str, str]]) -> None:
        self.headers = headers       # the list indexed, and its length then: see _Head._index
        self.count = len(headers)
        # values: the values of each name that repeats (None: none does); the others' are in joined alone
        self.joined, self.values = _join_fields(headers)
        self.tokens: dict[str, list[str]] = {}
        self.upgrade: Optional[bool] = None     # Upgrade names websocket and Connection names upgrade


def _join_fields(headers: list[tuple[str, str]]) -> tuple[dict, Optional[dict]]:
    """(lowercase name -> its values joined with ", ", lowercase name -> its values for the names that repeat,
    None when none does)."""
    joined: dict[str, str] = {}
    values: Optional[dict[str, list[str]]] = None
    for k, v in headers:
        lk = k.lower()
        if lk in joined:
            if values is None:
                values = {}
            found = values.get(lk)
            if found is None:
                found = values[lk] = [joined[lk]]
            found.append(v)
            joined[lk] = ", ".join(found)
        else:
            joined[lk] = v
    return joined, values


class _Head:
    """Header access shared by requests and responses."""
    # The lookup index lives in a slot of this base, outside the records' fields, so that their equality and
    # repr stay exactly the headers as parsed.
    __slots__ = ("headers", "_header_index")

    def _index(self) -> _HeaderIndex:
        # Made again if `headers` was replaced or grew since, so the answers always follow the list, as a scan
        # would.
        idx = self._header_index
        headers = self.headers
        if idx is None or idx.headers is not headers or idx.count != len(headers):
            idx = self._header_index = _HeaderIndex(headers)
        return idx

    def get_all(self, name: str) -> list[str]:
        idx = self._index()
        lname = name.lower()
        if idx.values is not None and lname in idx.values:
            return list(idx.values[lname])          # a copy: the caller may change it
        value = idx.joined.get(lname)
        return [] if value is None else [value]

    def get(self, name: str) -> Optional[str]:
        """Case-insensitive; repeated fields joined with ", " (RFC 9110 5.3), which is how
        Sec-WebSocket-Extensions and Sec-WebSocket-Protocol may legitimately arrive."""
        return self._index().joined.get(name.lower())

    def has_token(self, name: str, token: str) -> bool:
        idx = self._index()
        lname = name.lower()
        tokens = idx.tokens.get(lname)
        if tokens is None:
            tokens = idx.tokens[lname] = _tokens(idx.joined.get(lname))
        return token.lower() in tokens

    def __eq__(self, other):
        return _same_fields(self, other, self._FIELDS)

    def __ne__(self, other):
        eq = _same_fields(self, other, self._FIELDS)
        return eq if eq is NotImplemented else not eq

    def __repr__(self) -> str:
        return _fields_repr(self, self._FIELDS)


class HttpRequest(_Head):
    """A request head. `header_len` counts the start line through the blank line; `body_len` is the
    Content-Length, 0 for no body, and None while a chunked body is still arriving (set on this same record
    when it ends). `offset` is where the start line began in the stream."""
    __slots__ = ("method", "target", "version", "header_len", "body_len", "first_line", "offset",
                 "body_framing", "bare_lf")
    _FIELDS = ("method", "target", "version", "headers", "header_len", "body_len", "first_line", "offset",
               "body_framing", "bare_lf")

    def __init__(self, method: str, target: str, version: str, headers: list[tuple[str, str]], header_len: int,
                 body_len: Optional[int], first_line: str, offset: int = 0, body_framing: str = "none",
                 bare_lf: bool = False) -> None:
        self.method = method
        self.target = target
        self.version = version           # "HTTP/1.1"
        self.headers = headers
        self.header_len = header_len
        self.body_len = body_len
        self.first_line = first_line
        self.offset = offset
        self.body_framing = body_framing  # none / length / chunked
        self.bare_lf = bare_lf            # some line ended in "\n" alone
        self._header_index = None         # made by the first lookup

    @property
    def path(self) -> str:
        return _split_target(self.target)[0]

    @property
    def query(self) -> Optional[str]:
        """The part after '?', "" for a bare '?', None when there is no '?'."""
        return _split_target(self.target)[1]

    @property
    def is_websocket_upgrade(self) -> bool:
        """RFC 6455 4.1: GET, Upgrade naming websocket, Connection naming upgrade (tokens, any case)."""
        return self._upgrade()

    def _upgrade(self) -> bool:
        if self.method != "GET":
            return False
        # Asked several times per request (the stream, the analyzer, the handshake check, the label): the
        # header half of the answer is kept with the index it was read from.
        idx = self._index()
        if idx.upgrade is None:
            idx.upgrade = self.has_token("Upgrade", "websocket") and self.has_token("Connection", "upgrade")
        return idx.upgrade

    def summary(self) -> str:
        return f"{self.method} {self.target} {self.version}"


class HttpResponse(_Head):
    """A response head; fields as for HttpRequest. `body_len` is None for a chunked body until it ends and
    for a body read until close until `HttpStream.close()`."""
    __slots__ = ("version", "status", "reason", "header_len", "body_len", "first_line", "offset",
                 "body_framing", "bare_lf")
    _FIELDS = ("version", "status", "reason", "headers", "header_len", "body_len", "first_line", "offset",
               "body_framing", "bare_lf")

    def __init__(self, version: str, status: int, reason: str, headers: list[tuple[str, str]], header_len: int,
                 body_len: Optional[int], first_line: str, offset: int = 0, body_framing: str = "none",
                 bare_lf: bool = False) -> None:
        self.version = version
        self.status = status
        self.reason = reason
        self.headers = headers
        self.header_len = header_len
        self.body_len = body_len
        self.first_line = first_line
        self.offset = offset
        self.body_framing = body_framing  # none / length / chunked / close
        self.bare_lf = bare_lf
        self._header_index = None

    def summary(self) -> str:
        return f"{self.version} {self.status} {self.reason}".rstrip()


class HttpError:
    """The stream stopped making sense as HTTP; it parses nothing after this.

    code: not-http (the message does not start like HTTP/1.x at all), unsupported-version, header-too-large,
    bad-header, bad-content-length, bad-transfer-encoding, bad-chunk, truncated (stream ended mid-message),
    gap (bytes lost where the framing needed them). `offset` is where the offending message (or chunk line)
    began; `data` holds up to 16 bytes from there, as evidence. `args`: the parameters of the analyzer's note
    http-<code> (model.Note.args; its words are the catalogue's, i18n.note_text); {} for not-http, which is no
    note (the analyzer says what the stream is instead).
    """
    __slots__ = ("code", "offset", "data", "args")
    _FIELDS = __slots__

    def __init__(self, code: str = "error", offset: int = 0, data: bytes = b"", args: Optional[dict] = None) -> None:
        self.code = code
        self.offset = offset
        self.data = data
        self.args = {} if args is None else args

    def __eq__(self, other):
        return _same_fields(self, other, self._FIELDS)

    def __ne__(self, other):
        eq = _same_fields(self, other, self._FIELDS)
        return eq if eq is NotImplemented else not eq

    def __repr__(self) -> str:
        return _fields_repr(self, self._FIELDS)


HttpRecord = Union[HttpRequest, HttpResponse, HttpError]


def _split_target(target: str) -> tuple[str, Optional[str]]:
    t = target
    # absolute-form (a request through a proxy): the path starts after scheme://authority.
    if not t.startswith("/") and "://" in t:
        after = t.split("://", 1)[1]
        cuts = [i for i in (after.find("/"), after.find("?")) if i >= 0]
        t = after[min(cuts):] if cuts else ""
        if not t.startswith("/"):
            t = "/" + t
    path, sep, query = t.partition("?")
    return path, (query if sep else None)


# ------------------------------------------------------------------------------------------------------ stream

_HEAD = "head"
_LENGTH = "length"
_CHUNK_SIZE_LINE = "chunk-size"
_CHUNK_DATA = "chunk-data"
_CHUNK_END = "chunk-end"
_TRAILERS = "trailers"
_UNTIL_CLOSE = "until-close"
_PAUSED = "paused"
_DEAD = "dead"


class HttpStream:
    """Incremental parser for one direction of an HTTP/1.x connection.

    `feed()` accepts bytes split anywhere and returns the records completed by them. The stream pauses by
    itself after a WebSocket upgrade request (kind "request") or a 101 response (kind "response"): bytes fed
    after that are buffered unparsed. Then either `take_rest()` hands them to the WebSocket parser, or
    `resume()` goes on with HTTP because the upgrade was refused.
    """

    __slots__ = ("kind", "max_header", "messages", "error", "_buf", "_pos", "_scan", "_state", "_checked",
                 "_remaining", "_body", "_msg", "_pause_after", "_closed", "_methods")

    def __init__(self, kind: str, max_header: int = DEFAULT_LIMITS.max_header):
        if kind not in ("request", "response"):
            raise ValueError(f"kind must be 'request' or 'response', not {kind!r}")
        self.kind = kind
        self.max_header = max_header
        self.messages = 0             # heads parsed so far
        self.error: Optional[HttpError] = None
        self._buf = bytearray()
        self._pos = 0                 # stream offset of _buf[0]
        self._scan = 0                # bytes of _buf already searched for a line end, so no rescan per feed
        self._state = _HEAD
        self._checked = False         # the current message's first line passed the early plausibility check
        self._remaining = 0           # bytes left in a Content-Length body or in the current chunk
        self._body = 0                # body bytes seen for a chunked or until-close body
        self._msg: Optional[Union[HttpRequest, HttpResponse]] = None
        self._pause_after = False
        self._closed = False
        self._methods: Optional[list[str]] = None   # methods of requests awaiting their response (HEAD has no
                                                    # body), made by the first expect_response_to

    # -- public -------------------------------------------------------------------------------------------

    @property
    def paused(self) -> bool:
        return self._state == _PAUSED

    @property
    def failed(self) -> bool:
        return self.error is not None

    @property
    def position(self) -> int:
        """Stream offset of the first byte not yet parsed (or taken)."""
        return self._pos

    @property
    def buffered(self) -> int:
        return len(self._buf)

    def feed(self, data: bytes) -> list[HttpRecord]:
        if self._state == _DEAD or self._closed:
            return []
        self._buf += data
        if self._state == _PAUSED:
            return []
        return self._run()

    def resume(self) -> list[HttpRecord]:
        """Carry on parsing HTTP after a pause (the upgrade was refused). Returns the records found in the
        bytes buffered meanwhile. Does nothing on a stream that is not paused."""
        if self._state != _PAUSED:
            return []
        self._state = _HEAD
        self._pause_after = False
        return self._run()

    def take_rest(self) -> bytes:
        """The bytes fed after the message that paused the stream, handed over once: they belong to the
        WebSocket parser now. The stream stays paused. b"" when the stream is not paused."""
        if self._state != _PAUSED:
            return b""
        rest = bytes(self._buf)
        self._consume(len(rest))
        return rest

    def expect_response_to(self, method: str) -> None:
        """Tell a response stream which request each response answers, in order; only used to know that a
        reply to HEAD has no body even when it carries Content-Length. Optional."""
        if self._methods is None:
            self._methods = []
        self._methods.append(method)

    def gap(self, n: int) -> list[HttpRecord]:
        """The TCP layer lost `n` bytes of this direction. Inside a body the framing tells where the next
        message starts, so parsing carries on; anywhere else the stream is lost and an HttpError says so.
        On a paused stream take the rest first: the gap belongs to whoever parses those bytes."""
        if self._state in (_DEAD, _PAUSED) or self._closed or n <= 0:
            return []
        if self._state == _UNTIL_CLOSE:
            self._body += n
            self._pos += n
            return []
        if self._state in (_LENGTH, _CHUNK_DATA) and not self._buf and n <= self._remaining:
            self._remaining -= n
            self._pos += n
            if self._state == _CHUNK_DATA:
                self._body += n
            return self._run()
        out: list[HttpRecord] = []
        self._fail(out, "gap", self._pos, {"n": n, "state": self._state})
        return out

    def close(self) -> list[HttpRecord]:
        """This direction ended (FIN or RST). Ends a body read until close (setting its body_len) and reports a
        message cut short."""
        if self._closed or self._state == _DEAD:
            self._closed = True
            return []
        self._closed = True
        out: list[HttpRecord] = []
        st = self._state
        if st == _UNTIL_CLOSE:
            self._msg.body_len = self._body
        elif st == _HEAD and self._buf.strip(b"\r\n"):
            self._fail(out, "truncated", self._pos, {"variant": "header", "n": len(self._buf)})
        elif st == _LENGTH:
            self._fail(out, "truncated", self._pos, {"variant": "body", "n": self._remaining})
        elif st in (_CHUNK_SIZE_LINE, _CHUNK_DATA, _CHUNK_END, _TRAILERS):
            self._fail(out, "truncated", self._pos, {"variant": "chunked"})
        return out

    # -- machinery ----------------------------------------------------------------------------------------

    def _consume(self, n: int) -> None:
        del self._buf[:n]
        self._pos += n
        self._scan = 0

    def _fail(self, out: list, code: str, offset: int, args: Optional[dict] = None) -> bool:
        data = bytes(self._buf[:16]) if offset == self._pos else b""
        self.error = HttpError(code, offset, data, {} if args is None else args)
        out.append(self.error)
        self._state = _DEAD
        self._buf = bytearray()   # nothing will read it again; free it
        return False

    def _run(self) -> list[HttpRecord]:
        out: list[HttpRecord] = []
        while self._step(out):
            pass
        return out

    def _step(self, out: list) -> bool:
        """One step of the current state's parsing; False when it needs more bytes, or the stream is paused
        or dead."""
        st = self._state
        if st == _HEAD:
            return self._step_head(out)
        if st == _LENGTH:
            return self._step_length(out)
        if st == _CHUNK_SIZE_LINE:
            return self._step_chunk_size(out)
        if st == _CHUNK_DATA:
            return self._step_chunk_data(out)
        if st == _CHUNK_END:
            return self._step_chunk_end(out)
        if st == _TRAILERS:
            return self._step_trailers(out)
        if st == _UNTIL_CLOSE:
            return self._step_until_close(out)
        return False            # paused or dead

    def _end_message(self) -> bool:
        self._msg = None
        self._checked = False
        self._state = _PAUSED if self._pause_after else _HEAD
        return self._state == _HEAD

    def _find_blank_line(self) -> int:
        """End (exclusive) of the first empty line, counting one at the very start; -1 if not there yet."""
        buf = self._buf
        if buf[:1] == b"\n":
            return 1
        if buf[:2] == b"\r\n":
            return 2
        m = _BLANK_LINE.search(buf, max(0, self._scan - 2))
        if m:
            return m.end()
        self._scan = len(buf)
        return -1

    def _implausible(self) -> bool:
        """Judge the first line from its first bytes, so a TLS or binary stream is called out at once: True when
        it cannot be HTTP's."""
        buf = self._buf
        lf = buf.find(b"\n", 0, _EARLY)
        if lf >= 0:
            self._checked = True
            line = bytes(buf[:lf]).removesuffix(b"\r")
            full = _REQUEST_LINE if self.kind == "request" else _STATUS_LINE
            return not full.fullmatch(line)
        prefix = _REQUEST_PREFIX if self.kind == "request" else _STATUS_PREFIX
        if not prefix.fullmatch(bytes(buf[:_EARLY])):
            return True
        if len(buf) >= _EARLY:
            self._checked = True
        return False

    def _step_head(self, out: list) -> bool:
        buf = self._buf
        while buf[:1] == b"\n" or buf[:2] == b"\r\n":
            self._consume(1 if buf[0] == 0x0A else 2)
        if not buf or buf == b"\r":
            return False
        if not self._checked:
            if buf.find(b"\n", 0, _EARLY) >= 0:
                # The first line is all there: when the whole head is too, within the cap, and parses, the early
                # check of that line (_implausible) has nothing to add. Anything else is judged in the order below.
                end = self._find_blank_line()
                if 0 <= end <= self.max_header:
                    parsed = self._parse_head(bytes(buf[:end]), self._pos)
                    if type(parsed) is not HttpError:
                        return self._head_done(parsed, end, out)
            if self._implausible():
                return self._fail(out, "not-http", self._pos)
        end = self._find_blank_line()
        if end < 0 and len(buf) > self.max_header or end > self.max_header:
            return self._fail(out, "header-too-large", self._pos, {"variant": "header", "max": self.max_header})
        if end < 0:
            return False
        offset = self._pos
        head = bytes(buf[:end])
        parsed = self._parse_head(head, offset)
        if isinstance(parsed, HttpError):
            return self._fail(out, parsed.code, offset, parsed.args)
        return self._head_done(parsed, end, out)

    def _head_done(self, parsed, end: int, out: list) -> bool:
        """A head parsed from the first `end` bytes of the buffer: listed, and its body's framing decided."""
        self._consume(end)
        self.messages += 1
        out.append(parsed)
        return self._start_body(parsed, out)

    def _parse_head(self, head: bytes, offset: int) -> Union[HttpRequest, HttpResponse, HttpError]:
        try:
            text = head.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        bare_lf = False
        if text is not None and text.count("\n") == text.count("\r\n"):
            lines = text.split("\r\n")            # every line ends in CRLF, as nearly every head's do
            lines.pop()      # what follows the final CRLF: nothing
        else:
            if text is not None:
                lines = text.split("\n")
            else:
                # Not UTF-8 throughout: each line as _text takes it (a line that is UTF-8 stays so).
                lines = [_text(b) for b in head.split(b"\n")]
            lines.pop()      # what follows the final "\n": nothing
            for i, ln in enumerate(lines):
                if ln[-1:] == "\r":
                    lines[i] = ln[:-1]
                else:
                    bare_lf = True
        lines.pop()          # the empty line that ends the head
        headers = _parse_fields(lines, 1)
        if type(headers) is dict:
            return HttpError("bad-header", offset, args=headers)
        first = lines[0]
        if self.kind == "request":
            m = _STR_REQUEST_LINE.fullmatch(first)
            if not m:
                return HttpError("not-http", offset)
            method, target, major, minor = m.groups()
            if major != "1":
                return HttpError("unsupported-version", offset,
                                 args={"major": major, "minor": minor})
            return HttpRequest(method, target, f"HTTP/{major}.{minor}", headers, len(head), None, first, offset,
                               bare_lf=bare_lf)
        m = _STR_STATUS_LINE.fullmatch(first)
        if not m:
            return HttpError("not-http", offset)
        major, minor, status, reason = m.groups()
        if major != "1":
            return HttpError("unsupported-version", offset,
                             args={"major": major, "minor": minor})
        return HttpResponse(f"HTTP/{major}.{minor}", int(status), (reason or "").strip(), headers, len(head), None,
                            first, offset, bare_lf=bare_lf)

    def _start_body(self, msg: Union[HttpRequest, HttpResponse], out: list) -> bool:
        """Decide how the body is delimited (RFC 9112 6.3) and where parsing goes next."""
        if isinstance(msg, HttpRequest):
            self._pause_after = msg.is_websocket_upgrade
            no_body = False
        else:
            self._pause_after = msg.status == 101
            method = None
            if msg.status >= 200 and self._methods:
                method = self._methods.pop(0)
            no_body = msg.status < 200 or msg.status in (204, 304) or method == "HEAD"
        if no_body:
            msg.body_len = 0
            return self._end_message()
        te = msg.get("Transfer-Encoding")
        if te is not None:
            codings = _tokens(te)
            if codings and codings[-1] == "chunked":
                msg.body_framing = "chunked"
                self._body = 0
                self._msg = msg
                self._state = _CHUNK_SIZE_LINE
                return True
            if isinstance(msg, HttpRequest):
                # RFC 9112 6.3 rule 4: a server cannot tell where such a request ends; neither can we.
                return self._fail(out, "bad-transfer-encoding", msg.offset, {"te": te})
            return self._until_close(msg)
        cl = msg.get("Content-Length")
        if cl is not None:
            # "5, 5" is a repeated header that agrees with itself (RFC 9110 8.6); anything else is fatal.
            values = {v.strip() for v in cl.split(",")}
            value = values.pop() if len(values) == 1 else ""
            if not _DIGITS.fullmatch(value):
                return self._fail(out, "bad-content-length", msg.offset, {"value": cl})
            n = int(value)
            msg.body_len = n
            if n == 0:
                return self._end_message()
            msg.body_framing = "length"
            self._remaining = n
            self._state = _LENGTH
            return True
        if isinstance(msg, HttpRequest):
            msg.body_len = 0
            return self._end_message()
        return self._until_close(msg)

    def _until_close(self, msg: HttpResponse) -> bool:
        msg.body_framing = "close"
        self._body = 0
        self._msg = msg
        self._state = _UNTIL_CLOSE
        return True

    def _step_length(self, out: list) -> bool:
        n = min(self._remaining, len(self._buf))
        if n:
            self._consume(n)
            self._remaining -= n
        if self._remaining:
            return False
        return self._end_message()

    def _step_until_close(self, out: list) -> bool:
        self._body += len(self._buf)
        self._consume(len(self._buf))
        return False

    def _step_chunk_size(self, out: list) -> bool:
        buf = self._buf
        lf = buf.find(b"\n", self._scan)
        if lf < 0 and len(buf) > self.max_header or lf > self.max_header:
            return self._fail(out, "bad-chunk", self._pos, {"variant": "line", "max": self.max_header})
        if lf < 0:
            self._scan = len(buf)
            return False
        line = bytes(buf[:lf]).removesuffix(b"\r")
        size = line.split(b";", 1)[0].strip(b" \t")   # chunk extensions are allowed and meaningless here
        if not _CHUNK_SIZE.fullmatch(size):
            return self._fail(out, "bad-chunk", self._pos, {"variant": "size", "line": _short(_text(line))})
        self._consume(lf + 1)
        n = int(size, 16)
        if n == 0:
            self._state = _TRAILERS
        else:
            self._remaining = n
            self._state = _CHUNK_DATA
        return True

    def _step_chunk_data(self, out: list) -> bool:
        n = min(self._remaining, len(self._buf))
        if n:
            self._consume(n)
            self._remaining -= n
            self._body += n
        if self._remaining:
            return False
        self._state = _CHUNK_END
        return True

    def _step_chunk_end(self, out: list) -> bool:
        buf = self._buf
        if buf[:1] == b"\n":
            self._consume(1)
        elif buf[:2] == b"\r\n":
            self._consume(2)
        elif not buf or buf == b"\r":
            return False
        else:
            return self._fail(out, "bad-chunk", self._pos, {"variant": "crlf"})
        self._state = _CHUNK_SIZE_LINE
        return True

    def _step_trailers(self, out: list) -> bool:
        end = self._find_blank_line()
        if end < 0 and len(self._buf) > self.max_header or end > self.max_header:
            return self._fail(out, "header-too-large", self._pos, {"variant": "trailer", "max": self.max_header})
        if end < 0:
            return False
        self._consume(end)
        self._msg.body_len = self._body
        return self._end_message()


def _parse_fields(lines: list[str], start: int) -> Union[list[tuple[str, str]], tuple[str, dict]]:
    """Header field lines (lines[start:]) to (name, value) pairs in order, or a tuple (what is wrong, its
    HttpError.args): the first problem in line order."""
    headers: list[tuple[str, str]] = []
    for i in range(start, len(lines)):
        ln = lines[i]
        if ln[:1] in (" ", "\t"):
            if not headers:
                return {"variant": "continuation", "line": _short(ln)}
            name, value = headers[-1]
            folded = ln.strip(" \t")
            headers[-1] = (name, f"{value} {folded}".strip())
            continue
        k = ln.find(":")
        if k < 0:
            return _bad_name(headers) or {"variant": "no_colon", "line": _short(ln)}
        headers.append((ln[:k], ln[k + 1:].strip(" \t")))
    if headers and not _NAMES.fullmatch(":".join([name for name, _ in headers])):
        return _bad_name(headers)
    return headers


def _bad_name(headers: list[tuple[str, str]]) -> Optional[dict]:
    """The first field name that is not a token, as _parse_fields reports it; None if all are.

    RFC 9112 5.1: "Name : value" must be rejected; it is how request smuggling starts."""
    for name, _ in headers:
        if not _STR_TOKEN.fullmatch(name):
            return {"variant": "name", "name": _short(name)}
    return None


# --------------------------------------------------------------------------------------------------- handshake


def accept_steps(key: str) -> tuple[str, bytes, str]:
    """RFC 6455 4.2.2 step by step: (the key with the GUID appended, its SHA-1 digest, that digest in base64:
    the Sec-WebSocket-Accept a server must answer `key` with)."""
    joined = key.strip() + WS_GUID
    digest = hashlib.sha1(joined.encode("utf-8")).digest()
    return joined, digest, binascii.b2a_base64(digest, newline=False).decode("ascii")


def compute_accept(key: str) -> str:
    """RFC 6455 4.2.2: the Sec-WebSocket-Accept a server must answer `key` with."""
    return accept_steps(key)[2]


class ExtensionSyntaxError(ValueError):
    """A Sec-WebSocket-Extensions value that does not follow RFC 6455 9.1."""

    def __init__(self, problem: str, value: str, pos: int):
        super().__init__(f"{problem} at position {pos} in {value!r}")
        self.problem = problem
        self.value = value
        self.pos = pos


def parse_extensions(value: str) -> list[tuple[str, dict[str, Optional[str]]]]:
    """`permessage-deflate; client_max_window_bits, x-foo; a="b"` →
    [("permessage-deflate", {"client_max_window_bits": None}), ("x-foo", {"a": "b"})].

    Quoted values are unquoted. A repeated parameter keeps its last value. Empty list elements are skipped,
    as the #rule allows. Raises ExtensionSyntaxError.
    """
    out: list[tuple[str, dict[str, Optional[str]]]] = []
    n = len(value)

    def skip_ws(i: int) -> int:
        while i < n and value[i] in " \t":
            i += 1
        return i

    def token(i: int, what: str) -> tuple[str, int]:
        m = _STR_TOKEN.match(value, i)
        if not m:
            raise ExtensionSyntaxError(f"expected {what}", value, i)
        return m.group(), m.end()

    i = 0
    while True:
        i = skip_ws(i)
        if i == n:
            return out
        if value[i] == ",":
            i += 1
            continue
        name, i = token(i, "an extension name")
        params: dict[str, Optional[str]] = {}
        while True:
            i = skip_ws(i)
            if i == n or value[i] == ",":
                break
            if value[i] != ";":
                raise ExtensionSyntaxError("expected ';' or ','", value, i)
            pname, i = token(skip_ws(i + 1), "a parameter name")
            i = skip_ws(i)
            pvalue = None
            if i < n and value[i] == "=":
                i = skip_ws(i + 1)
                if i < n and value[i] == '"':
                    pvalue, i = _quoted_string(value, i)
                else:
                    pvalue, i = token(i, "a parameter value")
            params[pname] = pvalue
        out.append((name, params))


def _quoted_string(value: str, i: int) -> tuple[str, int]:
    start = i
    i += 1
    chars = []
    while i < len(value):
        c = value[i]
        if c == '"':
            return "".join(chars), i + 1
        if c == "\\" and i + 1 < len(value):
            i += 1
            c = value[i]
        chars.append(c)
        i += 1
    raise ExtensionSyntaxError("unterminated quoted string", value, start)


def parse_deflate_params(params: dict[str, Optional[str]], *,
                         response: bool = True) -> tuple[DeflateParams, list[str]]:
    """permessage-deflate parameters (RFC 7692 7.1) → DeflateParams plus the problems found.

    Problems don't stop the parse: the frames that follow are compressed as the peers understood it, and the
    analyzer still wants to inflate them. In an offer client_max_window_bits may have no value; in a
    response every *_max_window_bits needs one.
    """
    d = DeflateParams()
    problems = []
    for name, v in params.items():
        key = name.lower()
        if key in ("server_no_context_takeover", "client_no_context_takeover"):
            if v is not None:
                problems.append(f"{name} takes no value (got {v!r})")
            setattr(d, key, True)
        elif key in ("server_max_window_bits", "client_max_window_bits"):
            if v is None:
                if response or key == "server_max_window_bits":
                    problems.append(f"{name} needs a value from 8 to 15")
            elif not _WINDOW_BITS.fullmatch(v) or not 8 <= int(v) <= 15:
                problems.append(f"{name}={v!r} is not a number from 8 to 15")
            else:
                setattr(d, key, int(v))
        else:
            problems.append(f"unknown parameter {name!r}")
    return d, problems


class Handshake:
    """What the upgrade request and its response negotiated, and what is wrong with them.

    `accepted`: status 101 with Upgrade: websocket and Connection: upgrade (the accept key is judged apart, in
    `accept_ok`: None when there is no key or no accept to compare). `notes`: (severity, code, args),
    args being the parameters of the note's sentence in the i18n catalog (model.Note.args).
    """
    __slots__ = ("accepted", "status", "reason", "key", "version", "accept", "expected_accept", "accept_ok",
                 "subprotocol", "offered_subprotocols", "extensions", "offered_extensions", "deflate", "notes")
    _FIELDS = __slots__

    def __init__(self, accepted: bool, status: int, reason: str, key: Optional[str] = None,
                 version: Optional[str] = None, accept: Optional[str] = None, expected_accept: Optional[str] = None,
                 accept_ok: Optional[bool] = None, subprotocol: Optional[str] = None,
                 offered_subprotocols: Optional[str] = None, extensions: Optional[str] = None,
                 offered_extensions: Optional[str] = None, deflate: Optional[DeflateParams] = None,
                 notes: Optional[list] = None) -> None:
        self.accepted = accepted
        self.status = status
        self.reason = reason
        self.key = key
        self.version = version
        self.accept = accept
        self.expected_accept = expected_accept
        self.accept_ok = accept_ok
        self.subprotocol = subprotocol
        self.offered_subprotocols = offered_subprotocols
        self.extensions = extensions
        self.offered_extensions = offered_extensions
        self.deflate = deflate
        self.notes: list[tuple[str, str, dict]] = [] if notes is None else notes

    def __eq__(self, other):
        return _same_fields(self, other, self._FIELDS)

    def __ne__(self, other):
        eq = _same_fields(self, other, self._FIELDS)
        return eq if eq is NotImplemented else not eq

    def __repr__(self) -> str:
        return _fields_repr(self, self._FIELDS)


def check_handshake(req: HttpRequest, resp: HttpResponse) -> Handshake:
    """Judge a WebSocket opening handshake (RFC 6455 4, RFC 7692 5) as a client would."""
    notes: list[tuple[str, str, dict]] = []
    key = req.get("Sec-WebSocket-Key")
    version = req.get("Sec-WebSocket-Version")
    offered_sub = req.get("Sec-WebSocket-Protocol") or None
    offered_ext = req.get("Sec-WebSocket-Extensions") or None
    hs = Handshake(accepted=False, status=resp.status, reason=resp.reason, key=key, version=version,
                   offered_subprotocols=offered_sub, offered_extensions=offered_ext,
                   expected_accept=compute_accept(key) if key else None)

    if not req.is_websocket_upgrade:
        notes.append(("warning", "not-websocket-request", {"request": req.summary()}))
    if key is None:
        notes.append(("error", "missing-key", {}))
    elif not _is_16_byte_base64(key):
        notes.append(("warning", "bad-key", {"key": key}))
    if version != "13":
        notes.append(("warning", "bad-websocket-version",
                      {"variant": "missing"} if version is None else {"variant": "value", "version": version}))

    if resp.status != 101:
        severity = "warning" if resp.status >= 400 else "chat"
        args = {"status": f"{resp.status} {resp.reason}".rstrip()}
        server_versions = resp.get("Sec-WebSocket-Version")
        if server_versions:
            args.update(variant="versions", versions=server_versions)
        notes.append((severity, "upgrade-refused", args))
        hs.notes = notes
        return hs

    upgrade_ok = resp.has_token("Upgrade", "websocket")
    connection_ok = resp.has_token("Connection", "upgrade")
    if not upgrade_ok:
        notes.append(("error", "missing-upgrade-header", {"value": resp.get("Upgrade")}))
    if not connection_ok:
        notes.append(("error", "missing-connection-header", {"value": resp.get("Connection")}))
    hs.accepted = upgrade_ok and connection_ok

    hs.accept = resp.get("Sec-WebSocket-Accept")
    if hs.accept is None:
        notes.append(("error", "missing-accept", {}))
    elif hs.expected_accept is not None:
        hs.accept_ok = hs.accept == hs.expected_accept
        if not hs.accept_ok:
            notes.append(("error", "bad-accept",
                          {"accept": hs.accept, "expected": hs.expected_accept, "key": key, "guid": WS_GUID}))

    sub = resp.get("Sec-WebSocket-Protocol") or None
    hs.subprotocol = sub
    offered = _list(offered_sub)
    if sub is not None and sub not in offered:
        notes.append(("error", "subprotocol-not-offered",
                      {"variant": ("several" if "," in sub else "one") + ("" if offered_sub else "_none"),
                       "sub": sub, "offered": offered_sub}))
    elif sub is None and offered:
        notes.append(("chat", "subprotocol-declined", {"offered": offered_sub}))

    _check_extensions(hs, resp.get("Sec-WebSocket-Extensions") or None, notes)
    hs.notes = notes
    return hs


def _check_extensions(hs: Handshake, ext: Optional[str], notes: list) -> None:
    hs.extensions = ext
    offers: list[tuple[str, dict]] = []
    if hs.offered_extensions:
        try:
            offers = parse_extensions(hs.offered_extensions)
        except ExtensionSyntaxError as e:
            notes.append(("warning", "bad-extensions", {"variant": "offered", "error": str(e)}))
    offered_names = {name.lower() for name, _ in offers}
    if ext is None:
        if offered_names:
            notes.append(("chat", "extensions-declined", {"names": ", ".join(sorted(offered_names))}))
        return
    try:
        accepted = parse_extensions(ext)
    except ExtensionSyntaxError as e:
        notes.append(("error", "bad-extensions", {"variant": "accepted", "error": str(e)}))
        return
    for name, params in accepted:
        lname = name.lower()
        if lname not in offered_names:
            notes.append(("error", "extension-not-offered", {"name": name}))
        if lname != "permessage-deflate":
            continue
        if hs.deflate is not None:
            notes.append(("error", "bad-deflate-params", {"variant": "twice"}))
            continue
        hs.deflate, problems = parse_deflate_params(params, response=True)
        client_bits_offered = any(n.lower() == "permessage-deflate" and
                                  any(k.lower() == "client_max_window_bits" for k in p) for n, p in offers)
        if any(k.lower() == "client_max_window_bits" for k in params) and not client_bits_offered:
            # RFC 7692 7.1.2.2: a client that did not offer it may not be able to limit its window.
            problems.append("client_max_window_bits in the response, but the client did not offer it")
        for p in problems:
            notes.append(("error", "bad-deflate-params", {"variant": "problem", "problem": p}))


def _is_16_byte_base64(key: str) -> bool:
    try:
        return len(base64.b64decode(key, validate=True)) == 16
    except (binascii.Error, ValueError):
        return False
