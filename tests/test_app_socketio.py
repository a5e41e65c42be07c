"""The Socket.IO v5 / Engine.IO v4 decoder (wsdissect/app/socketio.py) on crafted messages: Engine.IO packets,
Socket.IO packets inside them, acks paired with their events, binary attachments, and malformed input as notes."""
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wsdissect import app
from wsdissect.app import AppRecord, describe
from wsdissect.app.socketio import SocketIODecoder, by_path
from wsdissect.i18n import catalog, note_text
from wsdissect.model import C2S, S2C

from test_app import check_records, codes, feed, msg

EN, ZH = catalog("en"), catalog("zh")
OPEN = '0{"sid":"abc","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}'


def test_chosen_by_the_path_convention_or_by_name():
    assert by_path("/socket.io/?EIO=4&transport=websocket")
    assert by_path("/socket.io/?transport=websocket&EIO=4&t=NwKb2xy")
    assert by_path("/custom/?EIO=4&transport=websocket&sid=x")          # an application's own path
    assert not by_path("/socket.io/?EIO=3&transport=websocket")          # Engine.IO 3: another packet format
    assert not by_path("/socket.io/?EIO=4&transport=polling")
    assert not by_path("/chat") and not by_path(None) and not by_path("")
    assert app.choose(None, None, "/socket.io/?EIO=4&transport=websocket") == "socketio"
    assert app.choose("jsonrpc", None, "/socket.io/?EIO=4&transport=websocket") == "jsonrpc"    # forced wins
    assert app.choose(None, "v12.stomp", "/socket.io/?EIO=4&transport=websocket") == "v12.stomp"
    assert app.choose(None, "chat", "/socket.io/?EIO=4&transport=websocket") == "socketio"
    assert app.choose(None, "chat", "/") is None
    assert isinstance(app.make("socketio"), SocketIODecoder)


def test_engineio_packets():
    recs = feed(SocketIODecoder("socketio"), [(OPEN, S2C), ("2probe", C2S), ("3probe", S2C), ("5", C2S),
                                               ("6", S2C), ("2", S2C), ("3", C2S), ("1", C2S)])
    assert [r.kind for r in recs] == ["open", "ping", "pong", "upgrade", "noop", "ping", "pong", "close"]
    assert recs[0].fields == {"sid": "abc", "ping_interval": 25000, "ping_timeout": 20000,
                              "upgrades": ["websocket"], "max_payload": 1000000}
    assert describe(recs[0], EN) == "Engine.IO open, sid abc, ping every 25000 ms, timeout 20000 ms"
    assert recs[1].fields == {"data": "probe"} and "probe" in describe(recs[1], EN)
    assert describe(recs[5], EN) == "Engine.IO ping" and not codes(recs)
    assert all(r.reply_to is None for r in recs)                   # heartbeats are not paired


def test_connect_events_and_acks_paired_with_latency():
    recs = feed(SocketIODecoder("socketio"), [
        ('40/chat,{"token":"x"}', C2S, 1.0),
        ('40/chat,{"sid":"s1"}', S2C, 1.5),
        ('42/chat,["hello","a",{"b":1}]', C2S, 2.0),
        ('42/chat,7["add",2,3]', C2S, 3.0),
        ('43/chat,7[5]', S2C, 3.25),
        ('421["ask"]', S2C, 4.0),                  # the server asks too, on the main namespace
        ('431["yes"]', C2S, 4.5),
        ('41/chat,', C2S, 5.0)])
    kinds = [(r.kind, r.fields.get("namespace")) for r in recs]
    assert kinds == [("connect", "/chat"), ("connect", "/chat"), ("event", "/chat"), ("event", "/chat"),
                     ("ack", "/chat"), ("event", "/"), ("ack", "/"), ("disconnect", "/chat")]
    assert recs[0].fields["auth"] is True and recs[0].awaits_reply
    assert (recs[1].fields["sid"], recs[1].reply_to, recs[1].latency) == ("s1", 1, pytest.approx(0.5))
    assert recs[2].fields == {"type": "EVENT", "namespace": "/chat", "event": "hello", "args": 2}
    assert not recs[2].awaits_reply
    assert recs[3].fields["id"] == 7 and recs[3].awaits_reply
    assert (recs[4].reply_to, recs[4].latency) == (4, pytest.approx(0.25))
    assert recs[6].reply_to == 6 and not codes(recs)
    assert describe(recs[3], EN) == "Socket.IO event add on /chat, ack id 7"
    assert describe(recs[4], EN) == "Socket.IO ack 7 on /chat, answers #4 after 250.0 ms"
    assert describe(recs[1], EN) == "Socket.IO CONNECT /chat accepted, sid s1, answers #1 after 500.0 ms"
    assert describe(recs[2], ZH) == "Socket.IO 事件 hello（/chat）"


def test_connect_error_answers_the_connect():
    recs = feed(SocketIODecoder("socketio"), [('40/admin,{"token":"bad"}', C2S),
                                               ('44/admin,{"message":"Not authorized"}', S2C)])
    assert recs[1].kind == "connect_error" and recs[1].reply_to == 1 and not codes(recs)
    assert describe(recs[1], EN).startswith("Socket.IO CONNECT_ERROR /admin: Not authorized")


def test_binary_event_and_ack_with_their_attachments():
    dec = SocketIODecoder("socketio")
    recs = dec.feed(msg('452-/up,3["file",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]', 1), 1.0)
    recs += dec.feed(msg(b"\x00\x01\x02", 2, binary=True), 2.0)
    recs += dec.feed(msg(b"\xff" * 5, 3, binary=True), 3.0)
    recs += dec.feed(msg('461-/up,3[{"_placeholder":true,"num":0}]', 4, S2C), 4.0)
    recs += dec.feed(msg(b"ok", 5, S2C, binary=True), 5.0)          # UTF-8 bytes are an attachment all the same
    assert [r.kind for r in recs] == ["event", "attachment", "attachment", "ack", "attachment"]
    ev = recs[0]
    assert ev.fields == {"type": "BINARY_EVENT", "namespace": "/up", "binary": True, "attachments": 2,
                         "event": "file", "args": 2, "id": 3}
    assert describe(ev, EN) == "Socket.IO binary event file on /up, ack id 3, attachments: 2"
    assert recs[1].fields == {"length": 3, "index": 1, "count": 2, "packet": 1}
    assert recs[2].fields["index"] == 2
    assert describe(recs[2], EN) == "Socket.IO attachment 2 of 2 for #1"
    assert recs[3].fields["type"] == "BINARY_ACK" and recs[3].reply_to == 1
    assert recs[4].fields["packet"] == 4 and not codes(recs)


def test_attachment_count_mismatch_is_a_note():
    dec = SocketIODecoder("socketio")
    recs = dec.feed(msg('452-["file",{},{}]', 1), 1.0) + dec.feed(msg(b"\x00", 2, binary=True), 2.0)
    late = dec.feed(msg('42["next"]', 3), 3.0)           # a packet before the second attachment
    assert [r.kind for r in late] == ["invalid", "event"]
    note = late[0].notes[0]
    assert note.code == "socketio-attachments" and note.args == {"variant": "missing", "expected": 2, "got": 1,
                                                                 "packet": 1}
    assert "announced 2 attachments; 1 came" in note_text(note.code, note.args, "en")
    stray = dec.feed(msg(b"\x00", 4, binary=True), 4.0)
    assert stray[0].kind == "invalid" and codes(stray) == ["socketio-attachments"]
    assert stray[0].notes[0].args["variant"] == "unexpected"
    # the other direction's attachments are not this one's
    dec = SocketIODecoder("socketio")
    dec.feed(msg('451-["f",{}]', 1), 1.0)
    assert codes(dec.feed(msg(b"\x00", 2, S2C, binary=True), 2.0)) == ["socketio-attachments"]


def test_unmatched_and_duplicate_ack_ids():
    dec = SocketIODecoder("socketio")
    assert codes(dec.feed(msg("439[1]", 1, S2C), 1.0)) == ["socketio-unmatched-ack"]
    assert codes(dec.feed(msg('421["a"]', 2), 2.0)) == []
    assert codes(dec.feed(msg('421["a"]', 3), 3.0)) == ["socketio-duplicate-id"]
    assert codes(dec.feed(msg("431[]", 4), 4.0)) == ["socketio-unmatched-ack"]      # same direction: no pair
    assert codes(dec.feed(msg('43/x,1[]', 5, S2C), 5.0)) == ["socketio-unmatched-ack"]   # another namespace
    rec = dec.feed(msg("431[]", 6, S2C), 6.0)[0]
    assert rec.reply_to == 3 and not rec.notes


MALFORMED = [
    ("", C2S, "socketio-invalid", "empty"),
    ("9", S2C, "socketio-invalid", "engineio-type"),
    ("0{", S2C, "socketio-parse-error", None),
    ('0{"upgrades":[]}', S2C, "socketio-invalid", "open"),
    (OPEN, C2S, "socketio-invalid", "direction"),
    ("5", S2C, "socketio-invalid", "direction"),
    ("4", C2S, "socketio-invalid", "packet-type"),
    ("4x", C2S, "socketio-invalid", "packet-type"),
    ('45["a",{}]', C2S, "socketio-invalid", "attachments"),
    ('46x-1[]', S2C, "socketio-invalid", "attachments"),
    ('42["a",', C2S, "socketio-parse-error", None),
    ('40"token"', C2S, "socketio-invalid", "connect"),
    ('44{"msg":"no"}', S2C, "socketio-invalid", "connect-error"),
    ('44{"message":"no"}', C2S, "socketio-invalid", "direction"),
    ('42{"a":1}', C2S, "socketio-invalid", "event"),
    ("42[]", C2S, "socketio-invalid", "event"),
    ("42[1]", C2S, "socketio-invalid", "event"),
    ("43[1]", S2C, "socketio-invalid", "ack-id"),
    ('431{"a":1}', S2C, "socketio-unmatched-ack", None),
]


@pytest.mark.parametrize("payload, d, code, variant", MALFORMED)
def test_malformed_packets_are_notes(payload, d, code, variant):
    recs = SocketIODecoder("socketio").feed(msg(payload, 1, d), 1.0)
    notes = [n for r in recs for n in r.notes]
    assert notes[0].code == code and notes[0].args.get("variant") == variant
    for r in recs:
        assert describe(r, EN) and describe(r, ZH)
    for n in notes:
        assert note_text(n.code, n.args, "en") and note_text(n.code, n.args, "zh")


_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=6),
                     lambda c: st.lists(c, max_size=3) | st.dictionaries(
                         st.sampled_from(["sid", "_placeholder", "num", "message", "token", "pingInterval"]), c,
                         max_size=3), max_leaves=8).map(json.dumps)
# Messages that look like Engine.IO / Socket.IO packets more often than random text does: a packet prefix, an
# attachment count, a namespace, an ack id, then JSON or anything.
_PACKET = st.builds(lambda *parts: "".join(parts),
                    st.sampled_from(["", "0", "1", "2", "3", "4", "5", "6", "7", "40", "41", "42", "43", "44", "45",
                                     "46", "47", "4x"]),
                    st.sampled_from(["", "1-", "2-", "-", "0-", "99999999999999999999-"]),
                    st.sampled_from(["", "/chat,", "/", "/x", ","]),
                    st.sampled_from(["", "0", "7", "123456789012345678901234"]),
                    _JSON | st.text(max_size=12))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_PACKET | st.binary(max_size=12), st.booleans()), max_size=10))
def test_any_packets_give_records_never_an_exception(items):
    dec = SocketIODecoder("socketio")
    for no, (p, server) in enumerate(items, 1):
        binary = isinstance(p, bytes)
        check_records(dec.feed(msg(p, no, S2C if server else C2S, binary=binary), float(no)))
    assert dec.unanswered() >= 0


def sequences_for_notes() -> list:
    """Records whose notes need more than one message (used by test_app.app_notes)."""
    out = []
    dec = SocketIODecoder("socketio")
    out += dec.feed(msg('452-["file",{},{}]', 1), 1.0) + dec.feed(msg(b"\x00", 2, binary=True), 2.0)
    out += dec.feed(msg('42["next"]', 3), 3.0) + dec.feed(msg(b"\x00", 4, binary=True), 4.0)
    out += dec.feed(msg('421["a"]', 5), 5.0) + dec.feed(msg('421["a"]', 6), 6.0)
    dec.feed(msg('451-["f",{}]', 7), 7.0)
    out.append(AppRecord("socketio", "invalid", {}, 7, C2S, notes=dec.finish()))    # the end's note
    return out


def test_attachments_missing_at_the_end_of_the_connection():
    from sessionbuild import analyze
    from test_app_sniff import session
    s = session((C2S, '452-/up,["file",{},{}]'), (C2S, b"\x00"), path="/socket.io/?EIO=4&transport=websocket")
    r = analyze(s.packets())
    notes = r.notes("socketio-attachments")
    assert [(n.no, n.args) for n in notes] == [(None, {"variant": "end", "expected": 2, "got": 1, "packet": 8})]
    assert "before the connection ended" in note_text(notes[0].code, notes[0].args)
