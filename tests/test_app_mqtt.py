"""The MQTT decoder (wsdissect/app/mqtt.py) on crafted bytes: each direction's binary messages read as one byte
stream (packets split over messages, several in one), every control packet's fields in 3.1.1 and 5.0, pairing
with latency, and every malformed case a note, never an exception."""
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mqttbuild as mb
from wsdissect import app
from wsdissect.app import AppRecord, describe
from wsdissect.app import mqtt as mqtt_mod
from wsdissect.app.mqtt import MqttDecoder
from wsdissect.i18n import catalog, note_text
from wsdissect.model import C2S, S2C, Message

EN, ZH = catalog("en"), catalog("zh")


def msg(data, no, d=C2S, *, text=False, truncated=False):
    data = data.encode() if isinstance(data, str) else bytes(data)
    return Message(0, d, 1 if text else 2, 1, no, no, False, len(data), len(data), data,
                   data.decode("utf-8", "replace") if text else None, truncated)


def feed(dec, items):
    """items: (bytes, direction[, ts]) -> all records; packet numbers 1, 2, ... in order."""
    out = []
    for no, item in enumerate(items, 1):
        ts = item[2] if len(item) > 2 else float(no)
        out += dec.feed(msg(item[0], no, item[1]), ts)
    return out


def whole(recs):
    return [r for r in recs if r.kind != "partial"]


def codes(recs):
    return [n.code for r in recs for n in r.notes]


def said(rec):
    """The record in words, in both languages (each must work)."""
    en, zh = describe(rec, EN), describe(rec, ZH)
    assert en and zh
    return en


V3_SESSION = [
    (mb.connect("lab", will=("lab/status", b"gone", 1, True), username="bob", password="hunter2"), C2S, 1.0),
    (mb.connack(0), S2C, 1.25),
    (mb.subscribe(1, [("sensors/#", 1), ("alerts", 2)]), C2S, 2.0),
    (mb.suback(1, [1, 0x80]), S2C, 2.5),
    (mb.publish("sensors/1", "21.5", qos=1, pid=7), C2S, 3.0),
    (mb.ack(4, 7), S2C, 3.1),
    (mb.publish("alerts", b"\xff\x00hot", qos=2, pid=8, retain=True), C2S, 4.0),
    (mb.ack(5, 8), S2C, 4.1),
    (mb.ack(6, 8), C2S, 4.2),
    (mb.ack(7, 8), S2C, 4.3),
    (mb.publish("sensors/1", "22", qos=0), S2C, 5.0),
    (mb.unsubscribe(2, ["alerts"]), C2S, 6.0),
    (mb.unsuback(2), S2C, 6.5),
    (mb.PINGREQ, C2S, 7.0),
    (mb.PINGRESP, S2C, 7.01),
    (mb.disconnect(), C2S, 8.0),
]


def test_make_chooses_mqtt_by_its_names():
    assert isinstance(app.make("mqtt"), MqttDecoder) and isinstance(app.make("mqttv3.1"), MqttDecoder)
    assert {"mqtt", "mqttv3.1"} <= set(app.NAMES)


def test_a_3_1_1_session_every_packet_and_its_pairs():
    dec = app.make("mqtt")
    recs = feed(dec, V3_SESSION)
    kinds = [r.kind for r in recs]
    assert kinds == ["connect", "connack", "subscribe", "suback", "publish", "puback", "publish", "pubrec",
                     "pubrel", "pubcomp", "publish", "unsubscribe", "unsuback", "pingreq", "pingresp", "disconnect"]
    c = recs[0].fields
    assert (c["version"], c["level"], c["client_id"], c["keep_alive"], c["clean_session"]) == \
        ("3.1.1", 4, "lab", 60, True)
    assert c["will"] == {"qos": 1, "retain": True, "topic": "lab/status", "payload_length": 4}
    assert c["username"] == "bob" and c["password_length"] == 7
    # the password is never kept nor said
    assert "hunter2" not in json.dumps(recs[0].as_dict()) and "hunter2" not in said(recs[0])
    assert "a password of 7 bytes" in said(recs[0])
    assert (recs[1].fields["reason"], recs[1].reply_to, recs[1].latency) == ("Connection Accepted", 1,
                                                                             pytest.approx(0.25))
    assert recs[2].fields["topics"] == [{"filter": "sensors/#", "qos": 1}, {"filter": "alerts", "qos": 2}]
    assert recs[3].fields["reasons"] == ["Granted QoS 1", "Failure"] and recs[3].reply_to == 3
    p = recs[4].fields
    assert (p["topic"], p["qos"], p["id"], p["retain"], p["dup"], p["payload_length"], p["preview"]) == \
        ("sensors/1", 1, 7, False, False, 4, "21.5")
    assert said(recs[4]) == 'MQTT PUBLISH sensors/1 QoS 1, id 7 (4 bytes "21.5")'
    assert recs[5].reply_to == 5 and recs[5].latency == pytest.approx(0.1)
    # QoS 2: each step answers the one before and awaits the next
    q2 = recs[6:10]
    assert recs[6].fields["preview_hex"] == "ff00686f74" and recs[6].fields["retain"]
    assert [r.reply_to for r in q2] == [None, 7, 8, 9] and [r.awaits_reply for r in q2] == [True, True, True, False]
    assert said(recs[10]) == 'MQTT PUBLISH sensors/1 QoS 0 (2 bytes "22")'
    assert recs[12].reply_to == 12 and recs[14].reply_to == 14 and recs[14].latency == pytest.approx(0.01)
    assert said(recs[15]) == "MQTT DISCONNECT"
    assert not codes(recs) and dec.unanswered() == 0 and not dec.inflight[C2S]


def _stream_records(dec, chunks):
    out = []
    for no, c in enumerate(chunks, 1):
        out += dec.feed(msg(c, no), 1.0)
    return out


def _key(recs):
    return [(r.kind, r.fields, [n.code for n in r.notes]) for r in whole(recs)]


def test_several_packets_in_one_message_are_said_as_packets():
    from wsdissect.app import describe_message
    recs = feed(app.make("mqtt"), [(mb.ack(4, 7) + mb.PINGRESP, S2C)])
    assert describe_message(recs, EN) == "2 packets: MQTT PUBACK id 7; MQTT PINGRESP"
    assert describe_message(recs, ZH).startswith("2 个报文：")


def test_packets_split_over_messages_and_several_in_one():
    stream = b"".join(p for p, d, _ in V3_SESSION if d == C2S)
    one = _key(_stream_records(app.make("mqtt"), [stream]))
    assert [k for k, _, _ in one] == ["connect", "subscribe", "publish", "publish", "pubrel", "unsubscribe",
                                      "pingreq", "disconnect"]
    for cut in range(1, len(stream)):          # every place a message boundary can fall
        assert _key(_stream_records(app.make("mqtt"), [stream[:cut], stream[cut:]])) == one, cut
    bytewise = _stream_records(app.make("mqtt"), [bytes([b]) for b in stream])
    assert _key(bytewise) == one
    partial = [r for r in bytewise if r.kind == "partial"]
    assert partial and partial[0].fields == {"buffered": 1} and said(partial[0]) == \
        "part of an MQTT packet (1 bytes so far)"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 300), max_size=12))
def test_where_messages_end_does_not_change_the_packets(cuts):
    stream = b"".join(p for p, d, _ in V3_SESSION if d == C2S)
    cuts = sorted({c % (len(stream) + 1) for c in cuts})
    pieces = [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)]) if b > a]
    assert _key(_stream_records(app.make("mqtt"), pieces)) == _key(_stream_records(app.make("mqtt"), [stream]))


def test_mqtt_5_properties_reason_codes_and_options():
    dec = app.make("mqtt")
    cprops = mb.props((0x11, (30).to_bytes(4, "big")), (0x21, (20).to_bytes(2, "big")),
                      (0x26, mb.s("k") + mb.s("v")), (0x15, mb.s("SCRAM")), (0x16, mb.s(b"secret-data")))
    pprops = mb.props((0x03, mb.s("text/plain")), (0x09, mb.s(b"\x01\x02")), (0x23, (3).to_bytes(2, "big")),
                      (0x0B, mb.varint(300)), (0x0B, mb.varint(5)))
    recs = feed(dec, [
        (mb.connect("v5", level=5, properties=cprops, will=("w", b"x", 0, False)), C2S),
        (mb.connack(0, session_present=True, level=5, properties=mb.props((0x22, (10).to_bytes(2, "big")))), S2C),
        (mb.subscribe(1, [("a/+", 0x2D)], level=5), C2S),      # QoS 1, no local, retain handling 2
        (mb.suback(1, [0x01], level=5), S2C),
        (mb.publish("a/b", "x", qos=1, pid=1, level=5, properties=pprops), C2S),
        (mb.publish("", "y", qos=0, level=5, properties=mb.props((0x23, (3).to_bytes(2, "big")))), C2S),
        (mb.ack(4, 1, code=0x10, level=5), S2C),
        (mb.unsubscribe(2, ["a/+", "nope"], level=5), C2S),
        (mb.unsuback(2, [0x00, 0x11], level=5), S2C),
        (mb.auth(0x18, mb.props((0x15, mb.s("SCRAM")))), S2C),
        (mb.disconnect(0x8E, level=5), S2C),
    ])
    c = recs[0].fields
    assert c["version"] == "5.0" and c["clean_start"] and "clean_session" not in c
    assert c["properties"] == {"session_expiry_interval": 30, "receive_maximum": 20, "user_property": [["k", "v"]],
                               "authentication_method": "SCRAM", "authentication_data": {"length": 11}}
    assert c["will"]["topic"] == "w"
    assert recs[1].fields["session_present"] and recs[1].fields["reason"] == "Success"
    assert recs[1].fields["properties"] == {"topic_alias_maximum": 10}
    assert recs[2].fields["topics"] == [{"filter": "a/+", "qos": 1, "no_local": True, "retain_as_published": True,
                                         "retain_handling": 2}]
    p = recs[4].fields
    assert p["properties"] == {"content_type": "text/plain", "correlation_data": "0102", "topic_alias": 3,
                               "subscription_identifier": [300, 5]}
    assert recs[5].fields["topic"] == "a/b"               # from its topic alias
    assert (recs[6].fields["code"], recs[6].fields["reason"], recs[6].reply_to) == (0x10, "No matching subscribers", 5)
    assert recs[8].fields["reasons"] == ["Success", "No subscription existed"]
    assert recs[9].kind == "auth" and recs[9].fields["reason"] == "Continue authentication"
    assert recs[10].fields["reason"] == "Session taken over" and said(recs[10]) == \
        "MQTT DISCONNECT (Session taken over)"
    assert "secret-data" not in json.dumps([r.as_dict() for r in recs])
    assert not codes(recs)


def test_the_version_comes_from_connect():
    dec = app.make("mqtt")
    assert dec.level == 4                        # 3.1.1 until a CONNECT says otherwise
    feed(dec, [(mb.connect("old", level=3), C2S)])
    assert dec.level == 3
    # in 3.1.1 a DISCONNECT has no reason and packet type 15 does not exist
    recs = feed(app.make("mqtt"), [(mb.connect("x"), C2S), (mb.auth(), S2C)])
    assert codes(recs) == ["mqtt-unknown-type"]


# -- malformed input: notes, never an exception -------------------------------------------------------------------
MALFORMED = [
    (b"\x30\xff\xff\xff\xff\x01" + b"x" * 8, C2S, "mqtt-malformed", "remaining-length"),
    (b"\x12\x00", C2S, "mqtt-malformed", "flags"),                       # CONNACK's type with flags 2
    (mb.packet(3, 6, mb.s("t") + b"\x00\x01"), C2S, "mqtt-malformed", "qos"),
    (mb.packet(8, 2, b"\x00\x01" + b"\x00\x05ab"), C2S, "mqtt-malformed", "body"),
    (mb.packet(12, 0, b"xyz"), C2S, "mqtt-malformed", "trailing"),
    (b"\x00\x00", C2S, "mqtt-unknown-type", None),
    (mb.ack(4, 9), S2C, "mqtt-unmatched-ack", None),
    ("CONNECT", C2S, "mqtt-text-message", None),
    (b"\x30\xff\xff\xff\x7f", C2S, "mqtt-packet-cap", None),             # 268 MB announced: not buffered
]


@pytest.mark.parametrize("data, d, code, variant", MALFORMED)
def test_malformed_input_is_a_note(data, d, code, variant):
    dec = app.make("mqtt")
    text = isinstance(data, str)
    recs = dec.feed(msg(data, 1, d, text=text), 1.0)
    notes = [n for r in recs for n in r.notes]
    assert notes and notes[0].code == code and notes[0].args.get("variant") == variant
    for r in recs:
        said(r)
        json.dumps(r.as_dict())
        for n in r.notes:
            assert note_text(n.code, n.args, "en") and note_text(n.code, n.args, "zh")


def test_an_unknown_v5_property_skips_the_rest_of_them():
    dec = app.make("mqtt")
    feed(dec, [(mb.connect("x", level=5), C2S)])
    bad = mb.publish("t", "payload", level=5, properties=mb.props((0x7F, b"\x01"), (0x03, mb.s("a"))))
    rec = dec.feed(msg(bad, 2), 2.0)[0]
    assert codes([rec]) == ["mqtt-malformed"] and rec.notes[0].args == {"variant": "property", "id": 0x7F}
    assert rec.fields["preview"] == "payload"            # the packet's end is known: the payload is still read


def test_a_bad_remaining_length_resumes_at_the_next_message():
    dec = app.make("mqtt")
    recs = feed(dec, [(b"\x30\x80\x80\x80\x80\x01" + mb.PINGREQ, C2S), (mb.PINGREQ + mb.PINGREQ, C2S)])
    assert [r.kind for r in recs] == ["invalid", "pingreq", "pingreq"]


def test_a_packet_id_reused_while_in_flight():
    dec = app.make("mqtt")
    recs = feed(dec, [(mb.publish("t", "a", qos=1, pid=3), C2S), (mb.publish("t", "b", qos=2, pid=3), C2S),
                      (mb.publish("t", "a", qos=1, pid=3, dup=True), C2S)])   # a resend says so: no note
    assert codes(recs) == ["mqtt-duplicate-id"] and recs[1].notes[0].args == {"id": 3, "type": "PUBLISH"}
    # once acknowledged the id is free again; the ids of each side are their own
    dec = app.make("mqtt")
    recs = feed(dec, [(mb.publish("t", qos=1, pid=3), C2S), (mb.ack(4, 3), S2C), (mb.subscribe(3, [("a", 0)]), C2S),
                      (mb.publish("t", qos=1, pid=3), S2C)])
    assert not codes(recs)


def test_a_packet_cut_by_the_end_of_the_capture():
    dec = app.make("mqtt")
    pub = mb.publish("sensors/1", "21.5", qos=1, pid=1)
    recs = feed(dec, [(pub[:6], C2S)])
    assert [r.kind for r in recs] == ["partial"]
    notes = dec.finish()
    assert [(n.code, n.args) for n in notes] == [("mqtt-truncated", {"side": "client", "n": 6})]
    assert note_text("mqtt-truncated", notes[0].args, "zh").startswith("客户端")
    assert dec.finish() == []


def test_a_packet_past_the_cap_is_skipped_and_reading_goes_on(monkeypatch):
    monkeypatch.setattr(mqtt_mod, "MQTT_PACKET_MAX", 100)
    dec = app.make("mqtt")
    big = mb.publish("t", b"x" * 300)
    recs = feed(dec, [(big[:50], C2S), (big[50:200], C2S), (big[200:] + mb.PINGREQ, C2S)])
    assert [r.kind for r in recs] == ["invalid", "partial", "pingreq"]
    assert recs[0].notes[0].code == "mqtt-packet-cap" and recs[0].notes[0].args["length"] == len(big) - 3
    assert said(recs[1]) == "150 bytes of an MQTT packet too long to keep"
    assert max(len(b) for b in dec.buf.values()) == 0 and dec.finish() == []


def test_truncated_and_internal_errors():
    dec = app.make("mqtt")
    dec.feed(msg(mb.publish("t", "x")[:3], 1), 1.0)
    rec = dec.feed(msg(b"\x30", 2, truncated=True), 2.0)[0]
    assert rec.notes[0].code == "app-truncated" and not dec.buf[C2S]     # the stream starts again after it

    class Broken(MqttDecoder):
        def _packet(self, *a):
            raise ValueError("boom")
    assert codes(Broken("mqtt").feed(msg(mb.PINGREQ, 1), 1.0)) == ["app-internal"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=80), max_size=10), st.booleans())
def test_any_bytes_give_records_never_an_exception(chunks, v5):
    dec = app.make("mqtt")
    if v5:
        dec.feed(msg(mb.connect("x", level=5), 1), 0.0)
    for no, c in enumerate(chunks, 2):
        recs = dec.feed(msg(c, no, C2S if no % 2 else S2C), float(no))
        assert recs and all(isinstance(r, AppRecord) for r in recs)
        assert "app-internal" not in codes(recs), recs
        for r in recs:
            json.dumps(r.as_dict())
            said(r)
            for n in r.notes:
                assert note_text(n.code, n.args, "en") and note_text(n.code, n.args, "zh")
    for n in dec.finish():
        assert note_text(n.code, n.args, "zh")


def app_notes_mqtt() -> list:
    """AppNotes of the MQTT codes MALFORMED does not make: an id reused in flight, a packet cut by the end of the
    capture, an unknown property (tests/test_app.py's app_notes adds them to the others)."""
    dec = app.make("mqtt")
    out = [n for r in feed(dec, [(mb.publish("t", qos=1, pid=3), C2S), (mb.publish("t", qos=1, pid=3), C2S),
                                 (mb.publish("t")[:2], C2S)]) for n in r.notes]
    out += dec.finish()
    dec = app.make("mqtt")
    feed(dec, [(mb.connect("x", level=5), C2S)])
    out += dec.feed(msg(mb.publish("t", level=5, properties=mb.props((0x7F, b""))), 2), 2.0)[0].notes
    return out


# -- through the analyzer ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_analyzer_notes_a_packet_cut_by_the_end_and_labels_rows(lang):
    from sessionbuild import Session, analyze, raw_frame
    s = Session()
    s.websocket_handshake()
    mask = b"\x11\x22\x33\x44"
    pub = mb.publish("sensors/1", "21.5", qos=1, pid=7)
    s.send(C2S, raw_frame(mb.connect("lab") + pub[:4], opcode=2, mask=mask))       # CONNECT and part of a PUBLISH
    s.send(C2S, raw_frame(pub[4:] + mb.publish("x", "y")[:3], opcode=2, mask=mask))  # the rest, and 3 bytes more
    s.send(S2C, raw_frame(mb.connack(0), opcode=2))
    s.teardown()
    r = analyze(s.packets(), subprotocol="mqtt", lang=lang)
    labels = [r.label(row) for row in r.rows if row.role == "ws-data"]
    if lang == "en":
        assert "MQTT CONNECT lab, MQTT 3.1.1" in labels[0] and "MQTT PUBLISH sensors/1 QoS 1, id 7" in labels[1]
        assert "MQTT CONNACK Connection Accepted, answers #" in labels[2]
    assert len(labels) == 3 and "PUBLISH" not in labels[0]        # the PUBLISH begun in #8 is said where it ends
    [note] = r.notes("mqtt-truncated")
    assert note.args == {"side": "client", "n": 3} and note in r.end_notes
    assert note.text == note_text("mqtt-truncated", note.args, lang)


def test_the_packet_cap_is_a_limit_reached_in_the_summary():
    from sessionbuild import Session, analyze, raw_frame
    s = Session()
    s.websocket_handshake()
    s.send(C2S, raw_frame(b"\x30\xff\xff\xff\x7f" + b"x" * 50, opcode=2, mask=b"\x01\x02\x03\x04"))
    r = analyze(s.packets(), subprotocol="mqtt")
    [note] = r.notes("mqtt-packet-cap")
    assert note.args["length"] == 268435455 and note.args["max"] == mqtt_mod.MQTT_PACKET_MAX
    assert r.analyzer.summary.caps == [note.text]
