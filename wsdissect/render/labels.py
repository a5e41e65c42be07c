# cython: annotation_typing=False
"""A row's label in words: the analyzer's model.Label (what a packet did: a catalogue id, its sender, its facts)
put in a sentence of the i18n catalogue, in one language. Every view that shows a packet's meaning (timeline,
JSON Lines' "label", show, the flow view's ACK arrows, the lab page) words it here, through one `LabelWords` per
language.

The codes and what each takes (`Label.args`; the rest comes from the row: its own direction's frames, messages
and TLS records, its length):

- sentences of the sender alone, no args: tcp.syn, tcp.syn_ack, tcp.handshake_ack, tcp.rst, tcp.retransmission,
  tcp.keepalive, tcp.dup_ack, ack.nothing, teardown.first, teardown.third, teardown.ack_and_fin, teardown.ack,
  teardown.ack_last, data.out_of_order, data.before_answer, ws.partial, http.partial, tls.partial;
- data.framing_lost, data.unparsed: the row's length;
- tcp.window_update: (window,); tcp.past_cap: (connection,);
- http.request, http.response: (the message's first line,); upgrade.refused: ("404 Not Found",);
- upgrade.request: (target, first offered extension or None, offered subprotocols or None);
- upgrade.response: (accept check True/False/None, the agreed extension or None, None/"deflate"/"extensions"
  declined, the agreed subprotocol or None);
- close.first, close.answer: the row's first Close frame of its direction;
- app.data, data.one, data.many: the row's messages of its direction; data.continuation, data.fragment_start: its
  last data frame; control.ping, control.ping_keepalive, control.pong, control.reserved: its first frame;
- tls.records: (TLS 1.3?,) and the row's TLS records of its direction;
- ack.of: (the acknowledged packet's number, its name or None): a name is ("", literal) ("SYN", a TLS Info text)
  or (catalogue id, ...): ("name.upgrade_request",), ("name.http_request",), ("name.reply", status),
  ("name.frame" or "name.frames", opcodes);
- malformed.packet, malformed.internal: (error text,), worded as the row's note (note.malformed.*);
- said after another (Label.then): tls.in_records (the row's decrypted TLS records of its direction, in
  parentheses), tcp.no_close_frame: () or ("idle", seconds) or ("pinged", seconds, seconds since the last ping,
  the keepalive's sender or None), and any sentence of a FIN (joined by "join.fin").
"""
from __future__ import annotations

from .. import app as _app
from ..i18n import DEFAULT_LANG, catalog, fill, note_text
from ..model import C2S, S2C, Label, Message, Row
from ..tls.handshake import version_name
from ..tls.session import cipher_name
from ..websocket.codes import CLOSE, opcode_name
from .words import close_name

_NAMES_KEPT = 1024             # worded ACK names kept per language (hostile input can make many)

# Codes whose sentence has no blank but the sender ({side}) and the other end ({peer}).
SIDED = frozenset({"tcp.syn", "tcp.syn_ack", "tcp.handshake_ack", "tcp.rst", "tcp.retransmission", "tcp.keepalive",
                   "tcp.dup_ack", "ack.nothing", "teardown.first", "teardown.third", "teardown.ack_and_fin",
                   "teardown.ack", "teardown.ack_last", "data.out_of_order", "data.before_answer", "ws.partial",
                   "http.partial", "tls.partial"})

_TLS_KEYS = {"change-cipher-spec": None, "encrypted-handshake": "tls.encrypted_handshake",
             "session-ticket": "tls.session_ticket", "key-update": "tls.key_update", "handshake": "tls.handshake"}


class LabelWords:
    """Labels worded in one language (`lang`, see i18n.LANGS). text(row) is the row's sentence; the sentences
    of a sender alone and the pieces around a data packet's numbers are made once and kept."""

    def __init__(self, lang: str = DEFAULT_LANG) -> None:
        self.lang = lang
        self.t = t = catalog(lang)
        self.side = {C2S: t["side.client"], S2C: t["side.server"]}
        self._sided_c2s: dict = {}
        self._sided_s2c: dict = {}
        self._sized_c2s: dict = {}          # _sized's pieces per code, for each direction
        self._sized_s2c: dict = {}
        # "ack.of" as the three pieces around the packet's number and its name (in that order unless
        # _ack_no_first is False), per direction.
        marked = t["ack.of"].format(no="\0", name="\1", side="")
        self._ack_no_first = marked.index("\0") < marked.index("\1")
        self._ack_of = {d: t["ack.of"].format(no="\0", name="\1", side=s).replace("\1", "\0").split("\0")
                        for d, s in self.side.items()}
        self._paren = t["paren"].format(text="\0").split("\0")
        self._bytes_many = t["bytes.many"].format(n="\0").split("\0")
        self._names: dict = {}
        # The sentence of one single-frame message as the pieces around its numbers (length, then the
        # compressed length), per direction, text or binary, compressed or not; None until first used.
        self._one_message: list = [None] * 8
        self._words = {
            "tcp.window_update": self._window_update, "tcp.past_cap": self._past_cap,
            "http.request": self._http, "http.response": self._http, "upgrade.request": self._upgrade_request,
            "upgrade.response": self._upgrade_response, "upgrade.refused": self._refused,
            "close.first": self._close, "close.answer": self._close, "app.data": self._app_data,
            "data.one": self._data_one, "data.many": self._data_many, "data.continuation": self._fragment,
            "data.fragment_start": self._fragment, "control.ping": self._control,
            "control.ping_keepalive": self._control, "control.pong": self._control,
            "control.reserved": self._control, "data.framing_lost": self._unparsed, "data.unparsed": self._unparsed,
            "tls.records": self._tls_records, "malformed.packet": self._malformed,
            "malformed.internal": self._malformed,
        }                                   # (tls.in_records and tcp.no_close_frame come only after another: text)

    def text(self, row: Row) -> str:
        """Row.label in words; "" for a row without one (an analyzer made with labels=False)."""
        label = row.label
        if label is None:
            return ""
        code = label.code
        if code == "ack.of":
            s = self._ack(label)
        elif code == "data.one":
            s = self._data_one(label, row)
        else:
            s = self._say(label, row)
        then = label.then
        while then is not None:
            code = then.code
            if code == "tls.in_records":
                p = self._paren
                s += p[0] + self._tls_in_records(then, row) + p[1]
            elif code == "tcp.no_close_frame":
                s += self._no_close(then, row)
            else:
                s += self.t["join.fin"] + self._say(then, row)
            then = then.then
        return s

    def ack_name(self, row: Row) -> str:
        """An ACK's sentence up to its colon ("ACK of #4 (upgrade request)"), for the flow view's arrows; ""
        for any other row."""
        label = row.label
        if label is None or label.code != "ack.of":
            return ""
        s = self._ack(label)
        return s.split("：" if "：" in s else ":")[0]

    def _say(self, label: Label, row: Row) -> str:
        code = label.code
        if code in SIDED:
            return self._sided(code, label.side)
        return self._words[code](label, row)

    def _sided(self, code: str, d: str) -> str:
        cache = self._sided_c2s if d == C2S else self._sided_s2c
        text = cache.get(code)
        if text is None:
            other = S2C if d == C2S else C2S
            text = cache[code] = self.t[code].format(side=self.side[d], peer=self.side[other])
        return text

    def _bytes(self, n: int) -> str:
        if n == 1:
            return self.t["bytes.one"]
        around = self._bytes_many
        return around[0] + str(n) + around[1]

    # -- TCP --------------------------------------------------------------------------------------------------
    def _window_update(self, label: Label, row: Row) -> str:
        return self.t["tcp.window_update"].format(side=self.side[label.side], window=label.args[0])

    def _past_cap(self, label: Label, row: Row) -> str:
        return self.t["tcp.past_cap"].format(side=self.side[label.side], conn=label.args[0])

    def _unparsed(self, label: Label, row: Row) -> str:
        return self._sized(label.code, label.side, row.length)

    def _malformed(self, label: Label, row: Row) -> str:
        return note_text("malformed", {"variant": label.code.split(".")[1], "error": label.args[0]}, self.lang)

    def _no_close(self, label: Label, row: Row) -> str:
        t = self.t
        text = t["tcp.no_close_frame"]
        why = label.args
        if not why:
            return text
        side = self.side[label.side]
        if why[0] == "pinged":
            auto = why[3]
            return text + t["teardown.idle_pinged"].format(
                side=side, idle=f"{why[1]:.1f}", ping=f"{why[2]:.1f}",
                keepalive=t["teardown.keepalive"].format(side=self.side[auto]) if auto else "")
        return text + t["teardown.idle"].format(side=side, idle=f"{why[1]:.1f}")

    def _ack(self, label: Label) -> str:
        acked, name = label.args
        p = self._ack_of[label.side]
        words = ""
        if name is not None:
            words = self._names.get(name)
            if words is None:
                if len(self._names) >= _NAMES_KEPT:
                    self._names.clear()
                paren = self._paren
                words = self._names[name] = paren[0] + self._name(name) + paren[1]
        if self._ack_no_first:
            return f"{p[0]}{acked}{p[1]}{words}{p[2]}"
        return f"{p[0]}{words}{p[1]}{acked}{p[2]}"

    def _name(self, name: tuple) -> str:
        t = self.t
        key = name[0]
        if not key:
            return name[1]
        if key == "name.reply":
            return t[key].format(status=name[1])
        if key == "name.frame" or key == "name.frames":
            words = [t["opcode." + opcode_name(op)] for op in name[1]]
            return fill(t[key], names=t["sep.list"].join(dict.fromkeys(words)))
        return t[key]

    # -- HTTP -------------------------------------------------------------------------------------------------
    def _http(self, label: Label, row: Row) -> str:
        return self.t[label.code].format(side=self.side[label.side], summary=label.args[0])

    def _refused(self, label: Label, row: Row) -> str:
        return self.t["upgrade.refused"].format(status=label.args[0])

    def _upgrade_request(self, label: Label, row: Row) -> str:
        t = self.t
        target, ext, protocols = label.args
        extra = []
        if ext is not None:
            extra.append(t["upgrade.offers"].format(ext=ext))
        if protocols is not None:
            extra.append(t["upgrade.subprotocols"].format(protocols=protocols))
        more = t["paren"].format(text=t["sep.items"].join(extra)) if extra else ""
        return t["upgrade.request"].format(side=self.side[label.side], target=target, more=more)

    def _upgrade_response(self, label: Label, row: Row) -> str:
        t = self.t
        accept_ok, ext, declined, subprotocol = label.args
        check = t[{True: "upgrade.accept_ok", False: "upgrade.accept_bad", None: "upgrade.accept_none"}[accept_ok]]
        neg = []
        if ext is not None:
            neg.append(ext)
        elif declined is not None:
            neg.append(t["upgrade.deflate_declined" if declined == "deflate" else "upgrade.extensions_declined"])
        if subprotocol is not None:
            neg.append(t["upgrade.subprotocol"].format(name=subprotocol))
        sep = t["sep.list"]
        more = (sep + sep.join(neg)) if neg else ""
        return t["upgrade.response"].format(side=self.side[label.side], check=check, more=more)

    # -- WebSocket --------------------------------------------------------------------------------------------
    def _close(self, label: Label, row: Row) -> str:
        t = self.t
        d = label.side
        f = None
        for x in row.frames:
            if x.direction == d and x.opcode == CLOSE:
                f = x
                break
        code = t["close.no_code"] if f.close_code is None else \
            t["close.code"].format(code=f.close_code, name=close_name(f.close_code, t))
        reason = f' "{f.close_reason}"' if f.close_reason else ""
        return t[label.code].format(side=self.side[d], code=code, reason=reason)

    def _app_data(self, label: Label, row: Row) -> str:
        m = row.messages[0]
        return fill(self.t["app.data"], side=self.side[label.side], what=_app.describe_message(m.app, self.t),
                    detail=self._detail(m))

    def _data_one(self, label: Label, row: Row) -> str:
        d = label.side
        msgs = row.messages
        m = msgs[0]
        if len(msgs) > 1:
            for x in msgs:
                if x.direction == d:
                    m = x
                    break
        if m.app is None and m.frames == 1 and m.length != 1:
            # One message of one frame, as on nearly every data row: its sentence made once per direction, opcode
            # and compression, only its numbers per row (templates and sides hold neither "\0" nor "\1").
            text = m.opcode == 1
            slot = (4 if d == C2S else 0) + (2 if text else 0) + (1 if m.compressed else 0)
            around = self._one_message[slot]
            if around is None:
                t = self.t
                detail = t["bytes.many"].format(n="\0")
                if m.compressed:
                    detail = t["sep.list"].join([detail, t["msg.compressed"].format(n="\1")])
                sentence = t["data.one"].format(
                    side=self.side[d], message=t["msg.text" if text else "msg.binary"].format(detail=detail))
                around = self._one_message[slot] = sentence.replace("\1", "\0").split("\0")
            if m.compressed:
                return f"{around[0]}{m.length}{around[1]}{m.wire_length}{around[2]}"
            return f"{around[0]}{m.length}{around[1]}"
        return self.t["data.one"].format(side=self.side[d], message=self._message(m))

    def _data_many(self, label: Label, row: Row) -> str:
        t = self.t
        d = label.side
        parts = [self._message(m) for m in row.messages if m.direction == d]
        return t["data.many"].format(side=self.side[d], n=len(parts), messages=t["sep.items"].join(parts))

    def _message(self, m: Message) -> str:
        t = self.t
        if m.app:
            return _app.describe_message(m.app, t)
        return t["msg.text" if m.opcode == 1 else "msg.binary"].format(detail=self._detail(m))

    def _detail(self, m: Message) -> str:
        """'120 bytes, 3 fragments, compressed to 40': what a data label says about one message."""
        t = self.t
        size = self._bytes(m.length)
        if m.frames == 1 and not m.compressed:
            return size
        detail = [size]
        if m.frames > 1:
            detail.append(t["msg.fragments"].format(n=m.frames))
        if m.compressed:
            detail.append(t["msg.compressed"].format(n=m.wire_length))
        return t["sep.list"].join(detail)

    def _fragment(self, label: Label, row: Row) -> str:
        t = self.t
        d = label.side
        f = None
        for x in row.frames:
            if x.direction == d and x.opcode < 8:
                f = x
        if label.code == "data.continuation":
            return self._sized("data.continuation", d, f.length)
        return t["data.fragment_start"].format(side=self.side[d], kind=t["opcode." + opcode_name(f.opcode)],
                                               size=self._bytes(f.length))

    def _control(self, label: Label, row: Row) -> str:
        d = label.side
        f = None
        for x in row.frames:
            if x.direction == d:
                f = x
                break
        if label.code == "control.reserved":
            return self.t["control.reserved"].format(side=self.side[d], opcode=f.opcode)
        return self._sized(label.code, d, f.length)

    def _sized(self, code: str, d: str, n: int) -> str:
        """The sentence `code` of a packet of direction d whose only other blank is {size}, n bytes: the pieces
        around the size made once per code and direction."""
        cache = self._sized_c2s if d == C2S else self._sized_s2c
        around = cache.get(code)
        if around is None:
            around = cache[code] = self.t[code].format(side=self.side[d], size="\0").split("\0")
        return around[0] + self._bytes(n) + around[1]

    # -- TLS --------------------------------------------------------------------------------------------------
    def _tls_records(self, label: Label, row: Row) -> str:
        t = self.t
        d = label.side
        side = self.side[d]
        recs = [r for r in row.tls if r.direction == d]
        kinds: dict = {}                    # kind -> total bytes, in order of first appearance
        for r in recs:
            kinds[r.kind] = kinds.get(r.kind, 0) + r.length
        parts: list = []
        for kind, size in kinds.items():
            if kind == "client-hello":
                h = next(r.hello for r in recs if r.kind == kind)
                more = []
                if h.sni:
                    more.append(t["tls.sni"].format(sni=h.sni))
                if h.alpn:
                    more.append(t["tls.alpn"].format(alpn=t["sep.list"].join(h.alpn)))
                if h.versions:
                    more.append(t["tls.offers"].format(versions=t["sep.list"].join(
                        [version_name(v) for v in h.versions if v >> 8 == 3])))
                parts.append(t["tls.client_hello"].format(
                    side=side, more=t["paren"].format(text=t["sep.items"].join(more)) if more else ""))
            elif kind == "server-hello":
                h = next(r.hello for r in recs if r.kind == kind)
                parts.append(t["tls.server_hello"].format(side=side, version=version_name(h.version),
                                                          cipher=cipher_name(h.ciphers[0])))
            elif kind == "alert":
                alert = next(r.alert for r in recs if r.kind == kind) or "?"
                parts.append(t["tls.alert"].format(side=side, alert=alert))
            elif kind == "application-data":
                parts.append(t["tls.app_data_plain"].format(side=side, size=self._bytes(size)))
            else:
                key = _TLS_KEYS.get(kind, "tls.encrypted")
                if key is None:                     # ChangeCipherSpec: a relic in TLS 1.3, the switch in 1.2
                    key = "tls.ccs" if label.args[0] else "tls.ccs12"
                parts.append(t[key].format(side=side, size=self._bytes(size)))
        return t["sep.items"].join(parts) + t["paren"].format(text=t["tls.in_records"].format(
            records=t["sep.list"].join([f"#{r.index}" for r in recs])))

    def _tls_in_records(self, label: Label, row: Row) -> str:
        d = label.side
        t = self.t
        nos = [f"#{x.index}" for x in row.tls if x.direction == d and x.data is not None]
        return t["tls.in_records"].format(records=t["sep.list"].join(nos))
