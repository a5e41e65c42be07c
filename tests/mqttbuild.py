"""MQTT control packets as bytes, for the decoder's tests and fuzz seeds (MQTT 3.1.1 and 5.0 encodings)."""
from __future__ import annotations

import struct


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b, n = n % 128, n // 128
        out.append(b | 0x80 if n else b)
        if not n:
            return bytes(out)


def s(text) -> bytes:
    """A UTF-8 string (or bytes) with its two-byte length."""
    b = text.encode() if isinstance(text, str) else text
    return struct.pack(">H", len(b)) + b


def u16(n: int) -> bytes:
    return struct.pack(">H", n)


def packet(ptype: int, flags: int, body: bytes) -> bytes:
    return bytes([ptype << 4 | flags]) + varint(len(body)) + body


def props(*pairs) -> bytes:
    """MQTT 5 properties from (id, encoded value) pairs, with their length."""
    body = b"".join(varint(pid) + value for pid, value in pairs)
    return varint(len(body)) + body


def connect(client_id="lab", level=4, keep_alive=60, clean=True, will=None, username=None, password=None,
            properties=b"\x00") -> bytes:
    flags = (0x02 if clean else 0) | (0x80 if username is not None else 0) | (0x40 if password is not None else 0)
    body_tail = s(client_id)
    if will is not None:
        topic, payload, qos, retain = will
        flags |= 0x04 | (qos << 3) | (0x20 if retain else 0)
        body_tail += (b"\x00" if level >= 5 else b"") + s(topic) + s(payload)
    if username is not None:
        body_tail += s(username)
    if password is not None:
        body_tail += s(password)
    name = "MQIsdp" if level == 3 else "MQTT"
    head = s(name) + bytes([level, flags]) + u16(keep_alive) + (properties if level >= 5 else b"")
    return packet(1, 0, head + body_tail)


def connack(code=0, session_present=False, level=4, properties=b"\x00") -> bytes:
    return packet(2, 0, bytes([1 if session_present else 0, code]) + (properties if level >= 5 else b""))


def publish(topic, payload=b"", qos=0, pid=None, retain=False, dup=False, level=4, properties=b"\x00") -> bytes:
    payload = payload.encode() if isinstance(payload, str) else payload
    flags = (qos << 1) | (1 if retain else 0) | (8 if dup else 0)
    body = s(topic) + (u16(pid) if qos else b"") + (properties if level >= 5 else b"") + payload
    return packet(3, flags, body)


def ack(ptype: int, pid: int, code=None, level=4) -> bytes:
    """PUBACK (4), PUBREC (5), PUBREL (6), PUBCOMP (7); with a reason code in 5.0 when given."""
    body = u16(pid) + (bytes([code, 0]) if code is not None and level >= 5 else b"")
    return packet(ptype, 2 if ptype == 6 else 0, body)


def subscribe(pid: int, topics, level=4) -> bytes:
    body = u16(pid) + (b"\x00" if level >= 5 else b"") + b"".join(s(t) + bytes([o]) for t, o in topics)
    return packet(8, 2, body)


def suback(pid: int, codes, level=4) -> bytes:
    return packet(9, 0, u16(pid) + (b"\x00" if level >= 5 else b"") + bytes(codes))


def unsubscribe(pid: int, topics, level=4) -> bytes:
    return packet(10, 2, u16(pid) + (b"\x00" if level >= 5 else b"") + b"".join(s(t) for t in topics))


def unsuback(pid: int, codes=(), level=4) -> bytes:
    return packet(11, 0, u16(pid) + ((b"\x00" + bytes(codes)) if level >= 5 else b""))


PINGREQ = packet(12, 0, b"")
PINGRESP = packet(13, 0, b"")


def disconnect(code=None, level=4) -> bytes:
    return packet(14, 0, bytes([code, 0]) if code is not None and level >= 5 else b"")


def auth(code=0x18, properties=b"\x00") -> bytes:
    return packet(15, 0, bytes([code]) + properties)
