"""MQTT 3.1.1 and 5.0 over WebSocket (subprotocols `mqtt`, `mqttv3.1`): control packets in binary messages.

MQTT packets do not line up with WebSocket messages: each direction's binary messages are one byte stream,
read packet by packet (a packet may span several messages, a message may hold several packets). A packet is a
fixed header (type and flags, then the remaining length in 1-4 bytes of 7 bits) and a body. The version comes
from CONNECT's protocol level (3: 3.1, 4: 3.1.1, 5: 5.0; 3.1.1 until a CONNECT is seen).

One record per packet, its kind the packet type in lower case (`publish`, `suback`, ...); `partial` for a
message that completes no packet (part of one), `invalid` for what cannot be read. Paired (answers with the
packet they answer, and the time since): CONNECT -> CONNACK, PUBLISH QoS 1 -> PUBACK, PUBLISH QoS 2 -> PUBREC
-> PUBREL -> PUBCOMP (each step awaits the next), SUBSCRIBE -> SUBACK, UNSUBSCRIBE -> UNSUBACK, PINGREQ ->
PINGRESP. Passwords are never kept: only that one is there and its length.

Notes: `mqtt-malformed` (variant: `remaining-length` (more than 4 bytes: reading resumes at the next message),
`flags`, `qos`, `body` (a field runs past the packet's end), `property` (an unknown property id), `trailing`),
`mqtt-unknown-type`, `mqtt-duplicate-id` (a packet id reused while in flight), `mqtt-unmatched-ack` (an
acknowledgement of no packet seen), `mqtt-text-message` (MQTT travels in binary messages only),
`mqtt-packet-cap` (a packet longer than MQTT_PACKET_MAX: skipped), `mqtt-truncated` (a packet cut by the end
of the capture).
"""
from __future__ import annotations

import struct

from . import APP_FIELD_MAX, OTHER, AppNote, AppRecord, Decoder, clip
from ..model import C2S, S2C
from .mqtt_props import (BIN, BYTE, FLAGS, PAIR, PROPERTIES, SECRET, STR, TYPES, U16, U32, VERSIONS,
                         reason_name)

# Bytes of one MQTT packet buffered while its messages arrive (MQTT allows 256 MB). A longer packet is not
# kept: its bytes are skipped (counted, never buffered) with an `mqtt-packet-cap` note, and reading goes on
# after it.
MQTT_PACKET_MAX = 16 * 1024 * 1024
# Characters of a PUBLISH payload shown as its preview (bytes in hex when it is not UTF-8).
MQTT_PREVIEW_MAX = 40
_PREVIEW_HEX = 16
# Entries of a SUBSCRIBE, SUBACK, UNSUBSCRIBE or UNSUBACK list kept in a record (`count` has them all).
MQTT_LIST_MAX = 32


class _Short(Exception):
    """A field runs past the end of the packet."""


class _Reader:
    __slots__ = ("b", "i", "end")

    def __init__(self, b: bytes, i: int = 0, end: int | None = None) -> None:
        self.b, self.i, self.end = b, i, len(b) if end is None else end

    def left(self) -> int:
        return self.end - self.i

    def take(self, n: int) -> bytes:
        if n > self.end - self.i:
            raise _Short
        v = self.b[self.i:self.i + n]
        self.i += n
        return v

    def byte(self) -> int:
        return self.take(1)[0]

    def u16(self) -> int:
        return struct.unpack(">H", self.take(2))[0]

    def u32(self) -> int:
        return struct.unpack(">I", self.take(4))[0]

    def varint(self) -> int:
        value = 0
        for k in range(4):
            b = self.byte()
            value |= (b & 0x7F) << (7 * k)
            if not b & 0x80:
                return value
        raise _Short

    def string(self) -> str:
        return clip(bytes(self.take(self.u16())).decode("utf-8", "replace"))

    def binary(self) -> bytes:
        return bytes(self.take(self.u16()))


class MqttDecoder(Decoder):
    protocol = "mqtt"

    def __init__(self, name: str, spans: bool = False) -> None:
        super().__init__(name, spans)
        self.level = 4                                   # CONNECT's protocol level
        self.buf = {C2S: bytearray(), S2C: bytearray()}  # bytes of a packet not yet whole
        self.skip = {C2S: 0, S2C: 0}                     # bytes of a packet past MQTT_PACKET_MAX still to skip
        self.inflight = {C2S: set(), S2C: set()}         # packet ids in flight, by the side that chose them
        self.aliases = {C2S: {}, S2C: {}}                # MQTT 5 topic aliases, by the side that set them

    # -- the byte stream -------------------------------------------------------------------------------------
    def feed(self, message, ts: float) -> list:
        no, d = message.last_no, message.direction
        if message.opcode == 1:
            return [self._invalid(no, d, "warning", "mqtt-text-message", {})]
        if message.truncated:
            self.buf[d].clear()
            self.skip[d] = 0
            return [self._invalid(no, d, "warning", "app-truncated", {"protocol": self.protocol})]
        try:
            return self._stream(bytes(message.data), no, d, ts)
        except Exception as e:  # noqa: BLE001 -- a decoder bug must not stop the analysis
            self.buf[d].clear()
            return [self._invalid(no, d, "warning", "app-internal", {"protocol": self.protocol,
                                                          "error": f"{type(e).__name__}: {e}"[:APP_FIELD_MAX]})]

    def _stream(self, data: bytes, no: int, d: str, ts: float) -> list:
        message_data = data
        out = []
        if self.skip[d]:
            n = min(self.skip[d], len(data))
            self.skip[d] -= n
            data = data[n:]
            if not data:
                return [AppRecord(self.protocol, "partial", {"skipped": n}, no, d)]
        buf = self.buf[d]
        # the message offset of buf[0] is -base (spans: a packet begun in an earlier message starts before 0)
        base = len(buf) - (len(message_data) - len(data)) if self.spans else 0
        buf += data
        pos = 0
        while pos < len(buf):
            head = _header(buf, pos)
            if head is None:                     # the remaining length is not all here yet
                break
            if head == -1:
                out.append(self._invalid(no, d, "warning", "mqtt-malformed", {"variant": "remaining-length"},
                                         {"length": len(buf) - pos}))
                pos = len(buf)                   # lost: reading resumes with the next message
                break
            start, length = head
            end = start + length
            if length > MQTT_PACKET_MAX:
                ptype = TYPES.get(buf[pos] >> 4, str(buf[pos] >> 4))
                out.append(self._invalid(no, d, "warning", "mqtt-packet-cap", {"max": MQTT_PACKET_MAX,
                                         "length": length, "type": ptype}, {"type": ptype, "length": length}))
                self.skip[d] = max(0, end - len(buf))
                pos = min(end, len(buf))
                continue
            if end > len(buf):
                break
            rec = self._packet(bytes(buf[pos:end]), buf[pos], start - pos, no, d, ts)
            if self.spans:
                rec.spans = _spans(bytes(buf[pos:end]), start - pos, self.level, pos - base)
            out.append(rec)
            pos = end
        del buf[:pos]
        if not out:
            out.append(AppRecord(self.protocol, "partial", {"buffered": len(buf)}, no, d))
        return out

    def finish(self) -> list:
        """End of the capture: a packet begun and never finished is a note (AppNotes)."""
        notes = []
        for d in (C2S, S2C):
            if self.buf[d] or self.skip[d]:
                notes.append(AppNote("warning", "mqtt-truncated", {"side": "client" if d == C2S else "server",
                                                                  "n": len(self.buf[d])}))
                self.buf[d].clear()
                self.skip[d] = 0
        return notes

    # -- one packet -------------------------------------------------------------------------------------------
    def _packet(self, p: bytes, first: int, hlen: int, no: int, d: str, ts: float) -> AppRecord:
        ptype, flags = first >> 4, first & 0x0F
        name = TYPES.get(ptype)
        if name is None or (ptype == 15 and self.level < 5):
            return self._invalid(no, d, "warning", "mqtt-unknown-type", {"type": ptype}, {"type": ptype})
        fields: dict = {"type": name}
        notes: list = []
        rec = AppRecord(self.protocol, name.lower(), fields, no, d, notes=notes)
        if ptype != 3 and flags != FLAGS[ptype]:
            notes.append(AppNote("warning", "mqtt-malformed", {"variant": "flags", "type": name, "flags": flags}))
        r = _Reader(p, hlen)
        try:
            getattr(self, "_" + name.lower())(r, flags, rec, ts)
            if r.left():
                notes.append(AppNote("warning", "mqtt-malformed", {"variant": "trailing", "type": name,
                                                                   "n": r.left()}))
        except _Short:
            notes.append(AppNote("warning", "mqtt-malformed", {"variant": "body", "type": name}))
            rec.kind = "invalid"             # what was read stays in its fields; its sentence may lack some
        return rec

    def _props(self, r: _Reader, rec: AppRecord, key: str = "properties") -> dict:
        """MQTT 5 properties (a length, then id-value pairs) into rec.fields[key]; {} before 5.0."""
        if self.level < 5:
            return {}
        n = r.varint()
        end = r.i + n
        if end > r.end:
            raise _Short
        sub = _Reader(r.b, r.i, end)
        r.i = end
        props: dict = {}
        try:
            while sub.left():
                pid = sub.varint()
                spec = PROPERTIES.get(pid)
                if spec is None:
                    rec.notes.append(AppNote("warning", "mqtt-malformed", {"variant": "property", "id": pid}))
                    break
                pname, kind = spec
                value = _prop_value(sub, kind, pname)
                if kind == PAIR:
                    pairs = props.setdefault(pname, [])
                    if len(pairs) < MQTT_LIST_MAX:
                        pairs.append(value)
                elif pname == "subscription_identifier" and pname in props:
                    props[pname] = (props[pname] if isinstance(props[pname], list) else [props[pname]]) + [value]
                else:
                    props[pname] = value
        except _Short:
            rec.notes.append(AppNote("warning", "mqtt-malformed", {"variant": "body",
                                                                   "type": rec.fields.get("type", "CONNECT")}))
        if props:
            rec.fields[key] = props
        return props

    def _reason(self, r: _Reader, rec: AppRecord) -> None:
        code = r.byte()
        rec.fields["code"] = code
        rec.fields["reason"] = reason_name(code, rec.fields["type"], self.level)

    def _connect(self, r: _Reader, flags: int, rec: AppRecord, ts: float) -> None:
        f = rec.fields
        f["protocol_name"] = r.string()
        level = r.byte()
        f["level"] = level
        f["version"] = VERSIONS.get(level, "unknown")
        if level in VERSIONS:
            self.level = level
        cflags = r.byte()
        f["keep_alive"] = r.u16()
        f["clean_start" if self.level >= 5 else "clean_session"] = bool(cflags & 0x02)
        self._props(r, rec)
        f["client_id"] = r.string()
        if cflags & 0x04:
            will: dict = {"qos": (cflags >> 3) & 3, "retain": bool(cflags & 0x20)}
            self._props(r, AppRecord(self.protocol, "will", will, rec.no, rec.direction, notes=rec.notes))
            will["topic"] = r.string()
            will["payload_length"] = len(r.binary())
            f["will"] = will
        if cflags & 0x80:
            f["username"] = r.string()
        if cflags & 0x40:
            f["password_length"] = len(r.binary())      # never the password itself
        if cflags & 0x01:
            rec.notes.append(AppNote("warning", "mqtt-malformed", {"variant": "flags", "type": "CONNECT",
                                                                   "flags": cflags}))
        self._await(rec, "connect", ts)

    def _connack(self, r: _Reader, flags: int, rec: AppRecord, ts: float) -> None:
        rec.fields["session_present"] = bool(r.byte() & 1)
        self._reason(r, rec)
        self._props(r, rec)
        self.pending.answer(rec, "connect", ts)

    def _publish(self, r: _Reader, flags: int, rec: AppRecord, ts: float) -> None:
        f, d = rec.fields, rec.direction
        qos = (flags >> 1) & 3
        topic = r.string()
        f.update(topic=topic, qos=qos, retain=bool(flags & 1), dup=bool(flags & 8))
        if qos == 3:
            rec.notes.append(AppNote("warning", "mqtt-malformed", {"variant": "qos", "type": "PUBLISH"}))
        pid = r.u16() if qos in (1, 2) else None
        if pid is not None:
            f["id"] = pid
        props = self._props(r, rec)
        alias = props.get("topic_alias")
        if alias is not None:
            table = self.aliases[d]
            if topic:
                if alias in table or len(table) < 65536:
                    table[alias] = topic
            else:
                f["topic"] = table.get(alias, "")
        payload = bytes(r.take(r.left()))
        f["payload_length"] = len(payload)
        try:
            text = payload.decode("utf-8")
            f["preview"] = text if len(text) <= MQTT_PREVIEW_MAX else text[:MQTT_PREVIEW_MAX] + "…"
        except UnicodeDecodeError:
            f["preview_hex"] = payload[:_PREVIEW_HEX].hex() + ("…" if len(payload) > _PREVIEW_HEX else "")
        if pid is not None:
            self._start(rec, pid, "puback" if qos == 1 else "pubrec", ts, dup=f["dup"])

    def _start(self, rec: AppRecord, pid: int, answer: str, ts: float, dup: bool = False) -> None:
        """A packet that takes packet id `pid` into flight, awaiting `answer` from the other side."""
        d = rec.direction
        if pid in self.inflight[d] and not dup:
            rec.notes.append(AppNote("warning", "mqtt-duplicate-id", {"id": pid, "type": rec.fields["type"]}))
        self.inflight[d].add(pid)
        self._await(rec, (answer, d, pid), ts)

    def _ack(self, rec: AppRecord, pid: int, kind: str, ts: float, done: bool) -> None:
        """An answer `kind` carrying packet id `pid`: paired with what awaits it; `done` ends the id's flight."""
        sender = OTHER[rec.direction]
        if not self.pending.answer(rec, (kind, sender, pid), ts):
            rec.notes.append(AppNote("note", "mqtt-unmatched-ack", {"type": rec.fields["type"], "id": pid}))
        if done:
            self.inflight[sender].discard(pid)

    def _ack_body(self, r: _Reader, rec: AppRecord) -> int:
        pid = r.u16()
        rec.fields["id"] = pid
        if self.level >= 5 and r.left():
            self._reason(r, rec)
            if r.left():
                self._props(r, rec)
        return pid

    def _puback(self, r, flags, rec, ts):
        self._ack(rec, self._ack_body(r, rec), "puback", ts, True)

    def _pubrec(self, r, flags, rec, ts):
        pid = self._ack_body(r, rec)
        failed = rec.fields.get("code", 0) >= 0x80
        self._ack(rec, pid, "pubrec", ts, failed)
        if not failed:
            self._await(rec, ("pubrel", rec.direction, pid), ts)

    def _pubrel(self, r, flags, rec, ts):
        pid = self._ack_body(r, rec)
        self._ack(rec, pid, "pubrel", ts, False)
        self._await(rec, ("pubcomp", rec.direction, pid), ts)

    def _pubcomp(self, r, flags, rec, ts):
        self._ack(rec, self._ack_body(r, rec), "pubcomp", ts, True)

    def _subscribe(self, r, flags, rec, ts):
        f = rec.fields
        pid = f["id"] = r.u16()
        self._props(r, rec)
        topics, count = [], 0
        while r.left():
            topic = r.string()
            opts = r.byte()
            count += 1
            if len(topics) < MQTT_LIST_MAX:
                t = {"filter": topic, "qos": opts & 3}
                if self.level >= 5:
                    t.update(no_local=bool(opts & 4), retain_as_published=bool(opts & 8),
                             retain_handling=(opts >> 4) & 3)
                topics.append(t)
        f["topics"] = topics
        f["count"] = count
        self._start(rec, pid, "suback", ts)

    def _suback(self, r, flags, rec, ts):
        f = rec.fields
        pid = f["id"] = r.u16()
        self._props(r, rec)
        codes = list(r.take(r.left()))
        f["codes"] = codes[:MQTT_LIST_MAX]
        f["reasons"] = [reason_name(c, "SUBACK", self.level) for c in codes[:MQTT_LIST_MAX]]
        f["count"] = len(codes)
        self._ack(rec, pid, "suback", ts, True)

    def _unsubscribe(self, r, flags, rec, ts):
        f = rec.fields
        pid = f["id"] = r.u16()
        self._props(r, rec)
        filters, count = [], 0
        while r.left():
            topic = r.string()
            count += 1
            if len(filters) < MQTT_LIST_MAX:
                filters.append(topic)
        f["filters"] = filters
        f["count"] = count
        self._start(rec, pid, "unsuback", ts)

    def _unsuback(self, r, flags, rec, ts):
        f = rec.fields
        pid = f["id"] = r.u16()
        if self.level >= 5:
            self._props(r, rec)
            codes = list(r.take(r.left()))
            f["codes"] = codes[:MQTT_LIST_MAX]
            f["reasons"] = [reason_name(c, "UNSUBACK", 5) for c in codes[:MQTT_LIST_MAX]]
        self._ack(rec, pid, "unsuback", ts, True)

    def _pingreq(self, r, flags, rec, ts):
        self._await(rec, ("ping", rec.direction), ts)

    def _pingresp(self, r, flags, rec, ts):
        self.pending.answer(rec, ("ping", OTHER[rec.direction]), ts)

    def _disconnect(self, r, flags, rec, ts):
        if self.level >= 5 and r.left():
            self._reason(r, rec)
            if r.left():
                self._props(r, rec)

    def _auth(self, r, flags, rec, ts):
        self._disconnect(r, flags, rec, ts)

    # -- words ------------------------------------------------------------------------------------------------
    @staticmethod
    def sentence_params(rec: AppRecord, t: dict) -> dict:
        """The parameters of a record's sentence that are not plain fields: flags and details, in words."""
        f = rec.fields
        extra = []
        if rec.kind == "connect":
            extra.append(t["app.mqtt.w.keep_alive"].format(s=f.get("keep_alive")))
            if f.get("clean_start"):
                extra.append(t["app.mqtt.w.clean_start"])
            if f.get("clean_session"):
                extra.append(t["app.mqtt.w.clean_session"])
            if "will" in f:
                extra.append(t["app.mqtt.w.will"].format(topic=f["will"].get("topic", "")))
            if "username" in f:
                extra.append(t["app.mqtt.w.username"].format(name=f["username"]))
            if "password_length" in f:
                extra.append(t["app.mqtt.w.password"].format(n=f["password_length"]))
        elif rec.kind == "connack" and f.get("session_present"):
            extra.append(t["app.mqtt.w.session_present"])
        elif rec.kind == "publish":
            if f.get("retain"):
                extra.append(t["app.mqtt.w.retain"])
            if f.get("dup"):
                extra.append(t["app.mqtt.w.dup"])
            shown = f.get("preview")
            shown = f'"{shown}"' if shown is not None else f.get("preview_hex", "")
            extra.append(t["app.mqtt.w.payload"].format(n=f.get("payload_length", 0), shown=shown).rstrip())
        elif rec.kind == "subscribe":
            extra.append(t["sep.list"].join(t["app.mqtt.w.filter"].format(filter=x["filter"], qos=x["qos"])
                                            for x in f.get("topics", ())))
        elif rec.kind in ("suback", "unsuback") and "reasons" in f:
            extra.append(t["sep.list"].join(f["reasons"]))
        elif rec.kind == "unsubscribe":
            extra.append(t["sep.list"].join(f.get("filters", ())))
        elif rec.kind == "invalid" and "type" in f:
            extra.append(str(f["type"]))
        elif "reason" in f and rec.kind != "connack":
            extra.append(f["reason"])
        extra = [e for e in extra if e]
        return {"more": t["app.mqtt.w.more"].format(items=t["sep.list"].join(extra)) if extra else ""}

    @staticmethod
    def form(rec: AppRecord) -> str | None:
        """The variant of a record's sentence: a PUBLISH of QoS 0 has no packet id."""
        if rec.kind == "publish" and "id" not in rec.fields:
            return "qos0"
        if rec.kind == "partial" and "skipped" in rec.fields:
            return "skipped"
        return None


def _spans(p: bytes, hlen: int, level: int, at: int) -> dict:
    """Where one packet's parts lie in the message whose bytes start at -`at` of the packet (`at` < 0: the packet
    began in an earlier message, whose part is left out): `type` (the fixed header's first byte),
    `remaining_length`, and by packet type `topic`, `id`, `code`, `keep_alive`, `client_id`, `properties`,
    `payload`. Read again from the packet, only when asked (show)."""
    ptype, flags = p[0] >> 4, p[0] & 0x0F
    spans = {"type": (0, 1), "remaining_length": (1, hlen)}
    r = _Reader(p, hlen)

    def take(name: str, n: int) -> None:
        r.take(n)
        spans[name] = (r.i - n, r.i)

    def props() -> None:
        if level >= 5:
            start = r.i
            r.take(r.varint())
            spans["properties"] = (start, r.i)

    try:
        if ptype == 1:                                   # CONNECT: name, level, flags, keep alive, props, id
            r.take(r.u16())
            level = r.byte()
            r.byte()
            take("keep_alive", 2)
            props()
            take("client_id", r.u16())
        elif ptype == 2:                                 # CONNACK
            take("session_present", 1)
            take("code", 1)
            props()
        elif ptype == 3:                                 # PUBLISH
            take("topic", r.u16())
            if (flags >> 1) & 3 in (1, 2):
                take("id", 2)
            props()
            take("payload", r.left())
        elif 4 <= ptype <= 11:                           # acknowledgements, (UN)SUBSCRIBE, (UN)SUBACK
            take("id", 2)
            if ptype <= 7:
                if level >= 5 and r.left():
                    take("code", 1)
                    if r.left():
                        props()
            elif ptype != 11 or level >= 5:
                props()
        elif ptype in (14, 15) and level >= 5 and r.left():
            take("code", 1)
            if r.left():
                props()
    except _Short:
        pass
    out = {}
    for name, (a, b) in spans.items():
        a, b = max(a + at, 0), b + at
        if b > a:
            out[name] = (a, b)
    return out


def _header(buf: bytearray, pos: int):
    """(body start, remaining length) of the packet at `pos`; None when its header is not all here; -1 when
    the remaining length goes on past 4 bytes."""
    value = 0
    for k in range(4):
        i = pos + 1 + k
        if i >= len(buf):
            return None
        b = buf[i]
        value |= (b & 0x7F) << (7 * k)
        if not b & 0x80:
            return i + 1, value
    return -1


def _prop_value(r: _Reader, kind: str, name: str):
    if kind == BYTE:
        return r.byte()
    if kind == U16:
        return r.u16()
    if kind == U32:
        return r.u32()
    if kind == STR:
        return r.string()
    if kind == BIN:
        b = r.binary()
        return {"length": len(b)} if name in SECRET else b[:32].hex() + ("…" if len(b) > 32 else "")
    if kind == PAIR:
        return [r.string(), r.string()]
    return r.varint()
