"""`read --explain`: before each phase of a connection, a short paragraph a student can follow.

The phases are the flow view's (render/flow.py: TCP handshake, TLS handshake for wss://, WebSocket handshake, data
transfer, closing), and a connection's phase moves the same way (`phase_after`). A paragraph cites the RFC 6455 sections at work and
answers the questions a student watching the lab's traffic tends to ask (why the client masks, what Origin,
Sec-WebSocket-Protocol and -Extensions are for, what the URI's path and query do, ws vs wss, why a teardown can lack a Close frame). Its
content depends on what the capture shows *so far* (streaming: nothing is buffered): the data paragraph names
the extension the 101 settled, the closing paragraph tells a closing handshake from a Close-less teardown.
A few asides come once per connection before the row that first shows the thing (fragmentation, ping/pong, the
TCP FINs after a closing handshake).

`Explainer.before(row, conn)` decides (no output, testable); `ExplainWriter` wraps a row writer (the timeline
printer) and prints those paragraphs on its console just before handing it the row, so `--export` records them
too. Texts live in i18n.py (ids `explain.*`), English and Chinese.
"""
from __future__ import annotations

from typing import NamedTuple, Optional

from rich.console import Console
from rich.text import Text

from .http import compute_accept
from .i18n import DEFAULT_LANG, catalog
from .model import C2S, FIN, RST, Connection, Row
from .render.flow import phase_after
from .render.linebreak import wrap
from .render.timeline import clean, clean_ascii
from .websocket.codes import BINARY, CLOSE, CONTINUATION, PING, PONG, TEXT, close_code_name

class Paragraph(NamedTuple):
    key: str                 # which explanation: "phase.0".."phase.4", "aside.frag", "aside.ping", "aside.fin"
    conn: int
    title: str
    body: tuple              # its parts (sentences on one topic), each printed as a block; () when a repeat
    repeat_of: Optional[int] = None     # the connection this very paragraph was already printed for


class _Conn:
    __slots__ = ("phase", "asides")

    def __init__(self) -> None:
        self.phase: Optional[int] = None
        self.asides: set = set()


class Explainer:
    """Which paragraphs go before each row. Keeps a few fields per connection, never the rows."""

    def __init__(self, lang: str = DEFAULT_LANG) -> None:
        self.lang = lang
        self.t = t = catalog(lang)
        self._side = {"client": t["side.client"], "server": t["side.server"]}
        self._conns: dict[int, _Conn] = {}
        self._said: dict[tuple, int] = {}           # (title, body) -> the first connection it was printed for

    def before(self, row: Row, conn: Optional[Connection]) -> list[Paragraph]:
        if row.conn is None or conn is None:
            return []
        st = self._conns.get(row.conn)
        if st is None:
            st = self._conns[row.conn] = _Conn()
        out: list[Paragraph] = []
        phase = phase_after(0 if st.phase is None else st.phase, row.role, row.tls)
        if phase != st.phase:
            st.phase = phase
            para = self._phase(phase, row, conn, st)
            if para is not None:
                out.append(para)
        out.extend(self._asides(row, conn, st))
        return [self._once(p) for p in out]

    # -- what to say ---------------------------------------------------------------------------------------

    def _phase(self, phase: int, row: Row, conn: Connection, st: _Conn) -> Optional[Paragraph]:
        t = self.t
        if phase == 0:
            if row.role in ("tcp-syn", "tcp-syn-ack", "tcp-handshake-ack"):
                body = t["explain.tcp.body"].format(client=conn.client, server=conn.server, port=conn.server.port,
                                                    cport=conn.client.port)
            else:
                body = t["explain.tcp.midway"]
            return self._para("phase.0", conn, t["explain.tcp.title"], [body])
        if phase == 4:
            return self._para("phase.4", conn, t["explain.tls.title"], self._tls(row, conn))
        if phase == 1:
            return self._para("phase.1", conn, t["explain.ws.title"], self._handshake(row, conn))
        if phase == 2:
            return self._para("phase.2", conn, t["explain.data.title"], self._data(conn))
        body = self._closing(row, conn, st)
        return self._para("phase.3", conn, t["explain.close.title"], body) if body else None

    def _tls(self, row: Row, conn: Connection) -> list[str]:
        """The TLS handshake (wss://): what the hellos do, what TLS hides and what it leaves in sight (the server
        name of this very ClientHello, sizes, timing), why a key log decrypts."""
        t = self.t
        hello = next((r.hello for r in row.tls or () if r.kind == "client-hello" and r.hello is not None), None)
        parts = [t["explain.tls.body"]]
        sni = hello.sni if hello is not None else None
        parts.append(t["explain.tls.visible"].format(
            sni=t["explain.tls.sni"].format(sni=clean(sni)) if sni else t["explain.tls.no_sni"]))
        parts.append(t["explain.tls.keylog"])
        return parts

    def _handshake(self, row: Row, conn: Connection) -> list[str]:
        t = self.t
        if row.role == "http":
            return [t["explain.ws.http"]]
        parts = [t["explain.ws.request"]]
        if conn.key:
            try:
                parts.append(t["explain.ws.key"].format(key=conn.key, accept=compute_accept(conn.key)))
            except Exception:  # noqa: BLE001 -- a key we cannot hash is noted by the analyzer; say nothing here
                pass
        if conn.uri is None:            # the capture began after the request: only the 101 is known
            return parts
        port = conn.server.port
        host = conn.host or str(conn.server)
        scheme = "wss" if conn.tls is not None else "ws"
        parts.append(t["explain.ws.uri"].format(target=conn.uri, uri=f"{scheme}://{host}{conn.uri}"))
        parts.append(t["explain.ws.scheme_tls" if conn.tls is not None else
                       "explain.ws.scheme_80" if port == 80 else "explain.ws.scheme_other"].format(port=port))
        if conn.origin:
            parts.append(t["explain.ws.origin_present"].format(origin=conn.origin))
        else:
            parts.append(t["explain.ws.origin_absent"])
        if conn.offered_subprotocols:
            parts.append(t["explain.ws.protocol_offered"].format(offered=conn.offered_subprotocols))
        else:
            parts.append(t["explain.ws.protocol_none"])
        if conn.offered_extensions:
            parts.append(t["explain.ws.ext_offered"].format(offered=conn.offered_extensions))
        else:
            parts.append(t["explain.ws.ext_none"])
        return parts

    def _data(self, conn: Connection) -> list[str]:
        t = self.t
        parts = [t["explain.data.frames"], t["explain.data.mask"]]
        if conn.decode_as:
            parts.append(t["explain.data.no_handshake"])
        elif conn.extensions:
            parts.append(t["explain.data.deflate" if conn.deflate is not None else "explain.data.extensions"]
                         .format(ext=conn.extensions))
        elif conn.offered_extensions:
            offered = conn.offered_extensions.split(",")[0].split(";")[0].strip()
            parts.append(t["explain.data.declined"].format(offered=offered))
        if conn.subprotocol:
            parts.append(t["explain.data.subprotocol"].format(name=conn.subprotocol))
        return parts

    def _closing(self, row: Row, conn: Connection, st: _Conn) -> list[str]:
        t = self.t
        side = self._side["client" if row.direction == C2S else "server"]
        if row.role == "ws-close":
            f = next((f for f in row.frames if f.opcode == CLOSE and f.direction == row.direction), None)
            if f is None:
                f = next((f for f in row.frames if f.opcode == CLOSE), None)
            if f is not None and f.close_code is not None:
                reason = t["explain.close.reason"].format(reason=f.close_reason) if f.close_reason else ""
                status = t["explain.close.status"].format(code=f.close_code, name=self._close_name(f.close_code),
                                                          reason=reason)
            else:
                status = t["explain.close.no_status"]
            return [t["explain.close.handshake"].format(side=side, status=status)]
        no_frame = next((n for n in row.notes if n.code == "close-without-close-frame"), None)
        if row.role == "tcp-rst":
            return [t["explain.close.rst"].format(side=side)] if no_frame else [t["explain.close.tcp"]]
        if no_frame:
            # The analyzer's note carries the times: since the last data, and since the last ping/pong if any
            # came after it (an idle timeout it judged worth saying).
            why = no_frame.args.get("why") or {}
            if why.get("ping") is not None:
                idle_text = t["explain.close.idle_pinged"].format(idle=why["idle"], ping=why["ping"])
            elif why.get("idle") is not None:
                idle_text = t["explain.close.idle"].format(idle=why["idle"])
            else:
                idle_text = ""
            parts = [t["explain.close.no_frame"].format(side=side, idle=idle_text)]
            if row.direction != C2S:
                parts.append(t["explain.close.no_frame_server"])
            return parts
        return [t["explain.close.tcp"]]

    def _asides(self, row: Row, conn: Connection, st: _Conn) -> list[Paragraph]:
        t = self.t
        out = []
        if row.frames:
            if "frag" not in st.asides and any(
                    f.opcode == CONTINUATION or (not f.fin and f.opcode in (TEXT, BINARY)) for f in row.frames):
                st.asides.add("frag")
                out.append(self._para("aside.frag", conn, t["explain.frag.title"], [t["explain.frag.body"]]))
            if "ping" not in st.asides and any(f.opcode in (PING, PONG) for f in row.frames):
                st.asides.add("ping")
                out.append(self._para("aside.ping", conn, t["explain.ping.title"], [t["explain.ping.body"]]))
        if row.flags & (FIN | RST) and row.role != "tcp-retransmission" and "fin" not in st.asides:
            st.asides.add("fin")
            # After a closing handshake, the FINs get their own word; a Close-less FIN was the phase's paragraph.
            if conn.closed_by is not None and not row.flags & RST:
                key = "explain.close.fin_client" if row.direction == C2S else "explain.close.fin_server"
                out.append(self._para("aside.fin", conn, t["explain.close.fin_title"], [t[key]]))
        return out

    # -- helpers -------------------------------------------------------------------------------------------

    def _close_name(self, code: int) -> str:
        name = close_code_name(code)
        if self.lang == DEFAULT_LANG:
            return name
        return self.t.get(f"closecode.{code}", name)

    def _para(self, key: str, conn: Connection, title: str, parts: list[str]) -> Paragraph:
        return Paragraph(key, conn.id, title, tuple(parts))

    def _once(self, p: Paragraph) -> Paragraph:
        """The same paragraph for a second connection becomes a one-line reminder."""
        first = self._said.setdefault((p.title, p.body), p.conn)
        return p if first == p.conn else p._replace(body=(), repeat_of=first)


class ExplainWriter:
    """A row writer (TimelinePrinter) with the explanations printed before the rows they introduce."""

    INDENT = "   "

    def __init__(self, inner, console: Console, lang: str = DEFAULT_LANG) -> None:
        self.inner = inner
        self.console = console
        self.explainer = Explainer(lang)
        self.t = self.explainer.t
        encoding = (console.encoding or "").lower().replace("_", "-")
        self._ascii = encoding not in ("utf-8", "utf8")
        self._clean = clean_ascii if self._ascii else clean
        self._plain = console.color_system is None or console.no_color
        self._rule = "--" if self._ascii else "──"
        self._printed = False

    def origin(self, ts: float) -> None:
        origin = getattr(self.inner, "origin", None)
        if origin is not None:
            origin(ts)

    def row(self, row: Row, conn: Optional[Connection]) -> None:
        paras = self.explainer.before(row, conn)
        if paras:
            self._print(paras)
        self._printed = True
        self.inner.row(row, conn)

    def end(self, frames: list, messages: list, notes: list) -> None:
        self.inner.end(frames, messages, notes)

    def summary(self, s) -> None:
        self.inner.summary(s)

    def __getattr__(self, name):            # flush() and anything else the inner writer offers
        return getattr(self.inner, name)

    def lines(self, paras: list[Paragraph]) -> list[tuple[str, str]]:
        """(text, style) lines for `paras`, wrapped to the console's width."""
        t, cl, rule = self.t, self._clean, self._rule
        width = max(40, self.console.width)
        out: list[tuple[str, str]] = [("", "")] if self._printed else []
        self._printed = True
        for p in paras:
            # A heading too long for the line goes on under its words, past the rule.
            if p.repeat_of is not None:
                head = t["explain.seen"].format(conn=p.conn, title=p.title, first=p.repeat_of)
                out.extend((line, "bold cyan") for line in wrap(cl(head), width, f"{rule} ", " " * (len(rule) + 1)))
                continue
            head = t["explain.heading"].format(conn=p.conn, title=p.title) + f" {rule}"
            out.extend((line, "bold cyan") for line in wrap(cl(head), width, f"{rule} ", " " * (len(rule) + 1)))
            for part in p.body:
                out.extend((line, "cyan") for line in wrap(cl(part), width, self.INDENT))
        out.append(("", ""))
        return out

    def _print(self, paras: list[Paragraph]) -> None:
        console = self.console
        text = Text()
        for i, (line, style) in enumerate(self.lines(paras)):
            if i:
                text.append("\n")
            text.append(line, None if self._plain or not style else style)
        console.print(text, soft_wrap=True, highlight=False, markup=False)
