"""`show` marks the bytes of what a subprotocol decoder read: for each decoder, the bytes under a field (unmasked
with the frame's key, as the lab page shows them) are the field's value, in English and in Chinese."""
from __future__ import annotations

import io
import json
import os

import pytest
from click.testing import CliRunner
from rich.console import Console

from conftest import ROOT
from wsdissect.analyzer import Analyzer
from wsdissect.cli import main
from wsdissect.limits import DEFAULT_LIMITS
from wsdissect.render.details import View, _dissect, _in_packet, _read_to
from wsdissect.sources.pcap import open_capture

CAP = os.path.join(ROOT, "captures")
LANGS = ("en", "zh")


def dissect(capture: str, no: int, lang: str, subprotocol=None):
    raw, row, analyzer, pre = _read_to(open_capture(os.path.join(CAP, capture)), no, DEFAULT_LIMITS, (), subprotocol)
    conn = analyzer.connections[row.conn]
    view = View(Console(file=io.StringIO(), width=100, color_system=None), lang)
    return raw, row, _dissect(raw, row, conn, pre, analyzer, view)


def marked(raw, D, name: str) -> bytes:
    """The bytes of the packet under field `name`, unmasked where a masked payload covers them."""
    out = b""
    for a, b in D.fields[name]:
        chunk = bytearray(raw.data[a:b])
        for ms, me, key, offset in D.masks:
            for i in range(max(a, ms), min(b, me)):
                chunk[i - a] ^= key[(i - ms + offset) % 4]
        out += bytes(chunk)
    return out


def record(row):
    (m,) = [m for m in row.messages if m.app]
    return m.app


# capture, packet, field, how the marked bytes read, the record field they must equal (None: a given value)
CASES = [
    ("jsonrpc.pcap", 8, "app.method", json.loads, "method", None),
    ("jsonrpc.pcap", 8, "app.id", json.loads, "id", None),
    ("jsonrpc.pcap", 8, "app.params", json.loads, None, [42, 23]),
    ("jsonrpc.pcap", 9, "app.result", json.loads, None, 19),
    ("graphql.pcap", 11, "app.type", json.loads, "type", None),
    ("graphql.pcap", 11, "app.id", json.loads, "id", None),
    ("graphql.pcap", 11, "app.operation", json.loads, None, "subscription Greetings {\n  greetings\n}"),
    ("socketio.pcap", 16, "app.namespace", bytes.decode, "namespace", None),
    ("socketio.pcap", 16, "app.event", json.loads, "event", None),
    ("socketio.pcap", 16, "app.type", bytes.decode, None, "2"),
    ("stomp.pcap", 15, "app.command", bytes.decode, "command", None),
    ("stomp.pcap", 15, "app.body", bytes.decode, None, "hello 你好"),
    ("stomp.pcap", 15, "app.headers.destination", bytes.decode, None, None),
    ("mqtt5.pcap", 18, "app.topic", bytes.decode, "topic", None),
    ("mqtt5.pcap", 18, "app.id", lambda b: int.from_bytes(b, "big"), "id", None),
    ("mqtt5.pcap", 18, "app.payload", bytes.decode, "preview", None),
    ("mqtt.pcap", 8, "app.client_id", bytes.decode, "client_id", None),
]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("capture,no,name,read,field,value", CASES)
def test_marked_bytes_are_the_field(capture, no, name, read, field, value, lang):
    raw, row, D = dissect(capture, no, lang)
    assert name in D.fields, f"{name} not among {D.order}"
    got = read(marked(raw, D, name))
    rec = record(row)[0]
    if name == "app.headers.destination":
        assert got == "destination:" + rec.fields["headers"]["destination"]
    elif field is not None:
        assert got == rec.fields[field]
    else:
        assert got == value
    # the tree has the field's line, which --field highlights
    assert any(ln.field == name for ln in D.lines)


def test_batch_marks_each_record():
    raw, row, D = dissect("jsonrpc.pcap", 17, "en")
    methods = [r.fields["method"] for r in record(row)]
    assert len(D.fields["app.method"]) == len(methods) == 3
    unmasked = [json.loads(marked(raw, _only(D, "app.method", i), "app.method")) for i in range(3)]
    assert unmasked == methods


def _only(D, name, i):
    """D with field `name` narrowed to its i-th span."""
    class One:
        fields = {name: [D.fields[name][i]]}
        masks = D.masks
    return One


@pytest.mark.parametrize("lang", LANGS)
def test_compressed_message_has_no_marks_and_says_why(lang):
    raw, row, D = dissect("deflate.pcap", 8, lang, subprotocol="jsonrpc")
    assert not [n for n in D.fields if n.startswith("app.")]
    from wsdissect.i18n import catalog
    assert any(ln.text == catalog(lang)["show.app_inflated"] for ln in D.lines)


def test_part_in_this_packet():
    # message bytes 10..30 of a message whose bytes 20..40 are at packet offsets 100..120: 100..110 is marked
    assert _in_packet((10, 30), [(20, 100, 120)]) == [(100, 110)]
    assert _in_packet((0, 15), [(20, 100, 120)]) == []           # wholly in earlier packets
    assert _in_packet((35, 50), [(20, 100, 120)]) == [(115, 120)]
    # two frames in the packet (message bytes 0..10 at 50..60, 10..20 at 66..76): a span across both
    assert _in_packet((5, 15), [(10, 66, 76), (0, 50, 60)]) == [(55, 60), (66, 71)]


def test_spans_only_when_asked():
    """read's analyzer leaves AppRecord.spans unset: the decoders do no locating on the main path."""
    an = Analyzer(DEFAULT_LIMITS)
    seen = 0
    for capture in ("jsonrpc.pcap", "stomp.pcap", "graphql.pcap", "socketio.pcap", "mqtt5.pcap"):
        an = Analyzer(DEFAULT_LIMITS)
        for raw in open_capture(os.path.join(CAP, capture)):
            row = an.feed(raw)
            for m in (row.messages if row is not None else ()):
                for r in m.app or ():
                    seen += 1
                    assert r.spans is None
    assert seen > 50


@pytest.mark.parametrize("lang", LANGS)
def test_field_option_marks_app_field(lang):
    env = {"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"}
    r = CliRunner().invoke(main, ["show", os.path.join(CAP, "stomp.pcap"), "15", "--field", "app.command",
                                  "--lang", lang], env=env, catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert "> command: MESSAGE" in r.output
    assert "^^^^^^^" in r.output            # MESSAGE's seven characters, marked in the dump's text column


def test_lab_page_has_the_same_marks():
    """The lab page embeds show's trees: its field ranges hold the decoder's fields too, in both languages' trees."""
    from wsdissect.cli.report import report_data
    path = os.path.join(CAP, "jsonrpc.pcap")
    data = report_data(open_capture(path), path, [], DEFAULT_LIMITS)
    d = data["details"][8]
    raw, _, D = dissect("jsonrpc.pcap", 8, "en")
    assert d["F"]["app.method"] == [list(s) for s in D.fields["app.method"]]
    for tree in d["T"]:
        assert any(ln[3] == "app.method" for ln in tree)


def fragmented(pieces=None):
    """A server's JSON-RPC result sent as two frames (text, then continuation), in one packet or cut at
    `pieces` (offsets in the frames' bytes)."""
    from sessionbuild import Session, raw_frame
    from wsdissect.model import S2C
    text = b'{"jsonrpc": "2.0", "result": "sum-of-all", "id": 5}'
    cut = text.index(b"sum") + 3                     # the result's value lies across the two frames
    s = Session()
    s.websocket_handshake()
    s.send(S2C, raw_frame(text[:cut], fin=False) + raw_frame(text[cut:], opcode=0), pieces=pieces)
    return s.packets(), text, cut


def dissect_packets(packets, no):
    raw, row, analyzer, pre = _read_to(iter(packets), no, DEFAULT_LIMITS, (), "jsonrpc")
    view = View(Console(file=io.StringIO(), width=100, color_system=None), "en")
    return raw, row, _dissect(raw, row, analyzer.connections[row.conn], pre, analyzer, view)


def test_a_message_of_two_frames_in_one_packet_marks_across_them():
    packets, text, cut = fragmented()
    raw, row, D = dissect_packets(packets, 8)
    assert record(row)[0].kind == "result" and row.messages[0].frames == 2
    assert len(D.fields["app.result"]) == 2          # the value's two parts, either side of the second header
    assert json.loads(marked(raw, D, "app.result")) == "sum-of-all"
    assert json.loads(marked(raw, D, "app.id")) == 5


def test_a_message_over_two_packets_marks_the_part_in_this_packet():
    packets, text, cut = fragmented()
    start = text.index(b'"sum')
    packets, _, _ = fragmented(pieces=[2 + start + 2])   # #8: the first header and the text up to '"s'
    raw, row, D = dissect_packets(packets, 9)        # #9: the rest, which completes the message
    assert record(row)[0].kind == "result" and row.messages[0].first_no == 8
    assert json.loads(marked(raw, D, "app.id")) == 5
    assert marked(raw, D, "app.result") == b'um-of-all"'     # the part of '"sum-of-all"' in this packet
    raw, row, D = dissect_packets(packets, 8)        # #8 completes no message: nothing of the decoder's
    assert not [n for n in D.fields if n.startswith("app.")]


def test_read_details_has_shows_tree():
    """`read --details` prints show's tree: the decoder's parts with no field of their own are in it too."""
    env = {"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"}
    r = CliRunner().invoke(main, ["read", os.path.join(CAP, "jsonrpc.pcap"), "--details"], env=env,
                           catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert "params: [42, 23]" in r.output


def _mqtt_message(data: bytes, no: int):
    from wsdissect.model import Message, C2S
    return Message(0, C2S, 2, 1, no, no, False, len(data), len(data), data, None)


PUBLISH = bytes([0x32, 9, 0, 3]) + b"a/b" + bytes([0, 7]) + b"hi"     # QoS 1, topic a/b, id 7, payload hi


def test_mqtt_spans_of_packets_in_one_message_and_across_two():
    from wsdissect.app import make
    dec = make("mqtt", spans=True)
    data = bytes([0xC0, 0]) + PUBLISH                        # a PINGREQ, then the PUBLISH, in one message
    ping, pub = dec.feed(_mqtt_message(data, 1), 0.0)
    assert ping.spans == {"type": (0, 1), "remaining_length": (1, 2)}
    s = pub.spans
    assert data[slice(*s["topic"])] == b"a/b" and data[slice(*s["payload"])] == b"hi"
    assert int.from_bytes(data[slice(*s["id"])], "big") == pub.fields["id"] == 7
    assert data[slice(*s["type"])] == bytes([0x32])
    # the PUBLISH cut after its topic's length: the second message holds the rest, from the topic on
    first, second = PUBLISH[:4], PUBLISH[4:]
    (partial,) = dec.feed(_mqtt_message(first, 2), 0.0)
    assert partial.kind == "partial" and partial.spans is None
    (pub,) = dec.feed(_mqtt_message(second, 3), 0.0)
    s = pub.spans
    assert "type" not in s and "remaining_length" not in s       # in the earlier message
    assert second[slice(*s["topic"])] == b"a/b" and second[slice(*s["payload"])] == b"hi"
    assert pub.fields["topic"] == "a/b"


def test_malformed_messages_get_spans_inside_the_message_or_none():
    """Every malformed message of the decoders' tests, decoded with spans: the same records (kinds, fields,
    notes) as without, and each span within the message's bytes."""
    import test_app
    import test_app_socketio
    from wsdissect.app import make
    from wsdissect.model import Message
    cases = test_app.MALFORMED + [("socketio", p, d) for p, d, _, _ in test_app_socketio.MALFORMED]
    assert {name for name, _, _ in cases} >= {"jsonrpc", "v12.stomp", "graphql-transport-ws", "mqtt", "socketio"}
    for name, payload, d in cases:
        data = payload if isinstance(payload, bytes) else payload.encode("utf-8")
        text = None if isinstance(payload, bytes) else payload
        opcode = 2 if isinstance(payload, bytes) else 1
        got = []
        for spans in (False, True):
            msg = Message(0, d, opcode, 1, 1, 1, False, len(data), len(data), data, text)
            recs = make(name, spans).feed(msg, 0.0)
            got.append([(r.kind, r.fields, [n.code for n in r.notes]) for r in recs])
            for r in recs:
                for a, b in (r.spans or {}).values():
                    assert 0 <= a <= b <= len(data), (name, payload, r.spans)
        assert got[0] == got[1], (name, payload)
