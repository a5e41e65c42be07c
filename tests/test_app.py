"""The subprotocol decoders of wsdissect/app: messages in, typed records out; malformed input gives a record of
kind "invalid" or a note, never an exception."""
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wsdissect import app
from wsdissect.app import APP_PENDING_MAX, AppRecord, describe, describe_message
from wsdissect.app.jsonrpc import JsonRpcDecoder
from wsdissect.i18n import catalog
from wsdissect.model import C2S, S2C, Message, Note
from wsdissect.i18n import note_text

EN, ZH = catalog("en"), catalog("zh")


def msg(payload, no, d=C2S, *, binary=False, truncated=False):
    data = payload.encode() if isinstance(payload, str) else payload
    text = None if binary else data.decode("utf-8", "replace")
    return Message(0, d, 2 if binary else 1, 1, no, no, False, len(data), len(data), data, text, truncated)


def feed(dec, items):
    """items: (payload, direction[, ts]) -> all records, packet numbers 1, 2, ..."""
    out = []
    for no, item in enumerate(items, 1):
        payload, d = item[0], item[1]
        ts = item[2] if len(item) > 2 else float(no)
        out += dec.feed(msg(payload, no, d), ts)
    return out


def codes(recs):
    return [n.code for r in recs for n in r.notes]


def rpc(**kw):
    return json.dumps({"jsonrpc": "2.0", **kw})


# -- the registry ----------------------------------------------------------------------------------------------
def test_make_chooses_by_subprotocol_name():
    assert isinstance(app.make("jsonrpc"), JsonRpcDecoder)
    assert app.make("v12.stomp").version == "1.2" and app.make("v10.stomp").version == "1.0"
    assert app.make("chat") is None and app.make(None) is None and app.make("") is None
    assert set(app.NAMES) == {"jsonrpc", "v10.stomp", "v11.stomp", "v12.stomp", "graphql-transport-ws", "graphql-ws",
                              "socketio", "mqtt", "mqttv3.1"}
    assert all(app.make(n) is not None for n in app.NAMES)


def test_words_for_grep():
    rec = AppRecord("stomp", "frame", {"command": "SEND", "headers": {"destination": "/q"}, "body_length": 3,
                                       "list": ["a", "b"], "flag": True, "none": None}, 1, C2S)
    got = set(app.words(rec))
    assert {"frame", "kind=frame", "protocol=stomp", "SEND", "command=SEND", "/q", "destination=/q", "3",
            "body_length=3", "list=a", "list=b", "true", "flag=true", "none=null"} <= got
    assert not any("{" in w for w in got)             # a dict is matched by its items, not its repr


# -- JSON-RPC ----------------------------------------------------------------------------------------------------
def test_jsonrpc_request_result_paired_by_id_with_latency():
    recs = feed(JsonRpcDecoder("jsonrpc"), [
        (rpc(method="subtract", params=[42, 23], id=7), C2S, 10.0),
        (rpc(result=19, id=7), S2C, 10.25)])
    req, res = recs
    assert (req.kind, req.fields, req.awaits_reply, req.no) == ("request", {"method": "subtract", "id": 7}, True, 1)
    assert (res.kind, res.reply_to, res.latency) == ("result", 1, pytest.approx(0.25))
    assert describe(req, EN) == "JSON-RPC request subtract, id 7"
    assert describe(res, EN) == "JSON-RPC result for id 7, answers #1 after 250.0 ms"
    assert "请求" in describe(req, ZH) and "毫秒" in describe(res, ZH)
    assert not codes(recs)


def test_jsonrpc_ids_compare_as_json_values_and_directions_matter():
    dec = JsonRpcDecoder("jsonrpc")
    recs = feed(dec, [(rpc(method="a", id=7), C2S), (rpc(result=1, id="7"), S2C),     # "7" is not 7
                      (rpc(method="b", id=1), S2C), (rpc(result=2, id=1), S2C)])     # server asked: client answers
    assert recs[1].reply_to is None and codes([recs[1]]) == ["jsonrpc-unmatched-response"]
    assert recs[3].reply_to is None and codes([recs[3]]) == ["jsonrpc-unmatched-response"]
    assert dec.unanswered() == 2
    rec = feed(dec, [(rpc(method="ignored", id=0), C2S)])   # numbering restarts in this helper: no matter
    assert rec[0].kind == "request"


def test_jsonrpc_notification_error_and_batch():
    dec = JsonRpcDecoder("jsonrpc")
    recs = feed(dec, [
        (rpc(method="update", params=[1, 2]), C2S),
        (json.dumps([json.loads(rpc(method="sum", params=[1, 2], id="a")), json.loads(rpc(method="hi")),
                     json.loads(rpc(method="x", id=2))]), C2S),
        (json.dumps([json.loads(rpc(result=3, id="a")),
                     json.loads(rpc(error={"code": -32601, "message": "Method not found"}, id=2))]), S2C)])
    kinds = [(r.kind, r.no) for r in recs]
    assert kinds == [("notification", 1), ("request", 2), ("notification", 2), ("request", 2), ("result", 3),
                     ("error", 3)]
    assert recs[5].fields["code"] == -32601 and recs[5].reply_to == 2
    assert all(r.fields.get("batch") for r in recs[1:])
    assert dec.unanswered() == 0 and not codes(recs)
    assert describe_message(recs[4:], EN).startswith("2 records: JSON-RPC result for id a")


def test_jsonrpc_error_with_null_id_is_no_unmatched_note():
    recs = feed(JsonRpcDecoder("jsonrpc"), [(rpc(error={"code": -32700, "message": "Parse error"}, id=None), S2C)])
    assert recs[0].kind == "error" and not codes(recs)
    assert describe(recs[0], EN) == "JSON-RPC error -32700 for id null"


@pytest.mark.parametrize("payload, code, variant", [
    ("{bad", "jsonrpc-parse-error", None),
    ("[]", "jsonrpc-invalid", "empty-batch"),
    ("[1]", "jsonrpc-invalid", "not-object"),
    ('"text"', "jsonrpc-invalid", "not-object"),
    ('{"method": "m"}', "jsonrpc-invalid", "version"),
    (rpc(method="m", id={"a": 1}), "jsonrpc-invalid", "id-type"),
    (rpc(method=3, id=1), "jsonrpc-invalid", "method-type"),
    (rpc(method="m", params=3), "jsonrpc-invalid", "params-type"),
    (rpc(result=1, error={}, id=None), "jsonrpc-invalid", "result-and-error"),
    (rpc(error="boom", id=None), "jsonrpc-invalid", "error-type"),
    (rpc(id=1), "jsonrpc-invalid", "no-method"),
    (rpc(result=1, id=99), "jsonrpc-unmatched-response", None),
    ("[" * 100000 + "]" * 100000, "jsonrpc-parse-error", None),
])
def test_jsonrpc_malformed_input_is_a_note(payload, code, variant):
    recs = feed(JsonRpcDecoder("jsonrpc"), [(payload, S2C if "result" in payload else C2S)])
    notes = [n for r in recs for n in r.notes]
    assert notes and notes[0].code == code and notes[0].args.get("variant") == variant
    for r in recs:                        # every record can be put in words in both languages
        assert describe(r, EN) and describe(r, ZH)


def test_jsonrpc_duplicate_id_while_pending():
    recs = feed(JsonRpcDecoder("jsonrpc"), [(rpc(method="a", id=1), C2S), (rpc(method="b", id=1), C2S)])
    assert codes(recs) == ["jsonrpc-duplicate-id"]


def test_pending_requests_are_capped():
    dec = JsonRpcDecoder("jsonrpc")
    for i in range(APP_PENDING_MAX + 10):
        dec.feed(msg(rpc(method="m", id=i), i + 1), float(i))
    assert len(dec.pending.waiting) == APP_PENDING_MAX and dec.unanswered() == APP_PENDING_MAX + 10
    # the oldest were forgotten: their answers are unmatched, the newest still pair
    late = dec.feed(msg(rpc(result=0, id=0), 99999, S2C), 1e6)[0]
    new = dec.feed(msg(rpc(result=0, id=APP_PENDING_MAX + 9), 99999, S2C), 1e6)[0]
    assert late.reply_to is None and new.reply_to == APP_PENDING_MAX + 10
    capped = JsonRpcDecoder("jsonrpc")
    notes = [n.code for i in range(APP_PENDING_MAX + 3) for r in capped.feed(msg(rpc(method="m", id=i), i + 1), 0.0)
             for n in r.notes]
    assert notes == ["app-pending-cap"]                  # once, on the first request past the cap


def test_messages_that_cannot_be_read_are_notes():
    dec = JsonRpcDecoder("jsonrpc")
    assert codes(dec.feed(msg(b"\xff\xfe", 1, binary=True), 1.0)) == ["app-not-text"]
    assert dec.feed(msg(rpc(method="m"), 2, binary=True), 2.0)[0].kind == "notification"   # UTF-8 binary is read
    assert codes(dec.feed(msg('{"jsonrpc": "2.0", "meth', 3, truncated=True), 3.0)) == ["app-truncated"]

    class Broken(JsonRpcDecoder):
        def decode(self, text, no, d, ts):
            raise ValueError("boom")
    rec = Broken("jsonrpc").feed(msg("{}", 4), 4.0)[0]
    assert rec.kind == "invalid" and rec.notes[0].code == "app-internal" and "boom" in rec.notes[0].args["error"]


def check_records(recs: list) -> None:
    """What any input must give a decoder's feed: records, no internal error, JSON-able, said in both languages."""
    assert recs and all(isinstance(r, AppRecord) for r in recs)
    assert not any(n.code == "app-internal" for r in recs for n in r.notes), recs
    for r in recs:
        json.dumps(r.as_dict())
        assert describe(r, EN) and describe(r, ZH)
        for n in r.notes:
            assert note_text(n.code, n.args, "en") and note_text(n.code, n.args, "zh")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=60), st.binary(max_size=60),
                          st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                                       lambda c: st.lists(c, max_size=4) | st.dictionaries(
                                           st.sampled_from(["jsonrpc", "method", "id", "params", "result",
                                                            "error", "code", "type", "payload", "query"]),
                                           c, max_size=5),
                                       max_leaves=12).map(json.dumps)), max_size=8),
       st.sampled_from(list(app.NAMES)))
def test_any_message_gives_records_never_an_exception(payloads, name):
    dec = app.make(name)
    for no, p in enumerate(payloads, 1):
        binary = isinstance(p, bytes)
        check_records(dec.feed(msg(p, no, C2S if no % 2 else S2C, binary=binary), float(no)))


# -- STOMP -------------------------------------------------------------------------------------------------------
def frame(command, headers=(), body="", end="\x00"):
    return command + "\n" + "".join(f"{k}:{v}\n" for k, v in headers) + "\n" + body + end


def test_stomp_frames_receipts_and_connected():
    dec = app.make("v12.stomp")
    recs = feed(dec, [
        (frame("CONNECT", [("accept-version", "1.2"), ("host", "x"), ("heart-beat", "10000,10000")]), C2S, 1.0),
        (frame("CONNECTED", [("version", "1.2"), ("heart-beat", "0,0")]), S2C, 1.5),
        (frame("SEND", [("destination", "/q"), ("receipt", "r1"), ("content-length", "5")], "hello"), C2S, 2.0),
        (frame("RECEIPT", [("receipt-id", "r1")]), S2C, 2.1),
        ("\r\n", C2S, 3.0),
        (frame("MESSAGE", [("destination", "/q"), ("message-id", "1"), ("subscription", "s")], "hi\n"), S2C, 3.0)])
    c, cd, send, rcpt, hb, m = recs
    assert c.awaits_reply and c.fields["heart_beat"] == "10000,10000" and c.fields["command"] == "CONNECT"
    assert cd.reply_to == 1 and cd.latency == pytest.approx(0.5)
    assert send.fields["body_length"] == 5 and send.awaits_reply and send.fields["headers"]["destination"] == "/q"
    assert rcpt.reply_to == 3 and rcpt.latency == pytest.approx(0.1)
    assert hb.kind == "heartbeat" and describe(hb, EN) == "a STOMP heart-beat"
    assert m.fields["body_length"] == 3 and not codes(recs) and dec.unanswered() == 0
    assert describe(send, EN) == "STOMP SEND frame" and describe(send, ZH) == "STOMP SEND 帧"


@pytest.mark.parametrize("payload", ["SEND\r\ndestination:/q\r\n\r\nhi\x00", "SEND\ndestination:/q\n\r\nhi\x00",
                                     "\r\n\nSEND\ndestination:/q\n\nhi\x00\r\n"])
def test_stomp_12_lines_end_with_lf_or_crlf(payload):
    r = feed(app.make("v12.stomp"), [(payload, C2S)])[0]
    assert (r.fields["command"], r.fields["headers"], r.fields["body_length"]) == ("SEND", {"destination": "/q"}, 2)
    assert not r.notes


def test_stomp_header_escapes_by_version():
    line = [("destination", "/a\\cb\\nc\\\\d")]
    assert feed(app.make("v12.stomp"), [(frame("SEND", line), C2S)])[0].fields["headers"]["destination"] == \
        "/a:b\nc\\d"
    assert feed(app.make("v10.stomp"), [(frame("SEND", line), C2S)])[0].fields["headers"]["destination"] == \
        "/a\\cb\\nc\\\\d"
    # \r is 1.2 only; the first of a repeated header wins
    assert codes(feed(app.make("v11.stomp"), [(frame("SEND", [("x", "a\\rb")]), C2S)])) == ["stomp-malformed"]
    r = feed(app.make("v12.stomp"), [(frame("MESSAGE", [("k", "1"), ("k", "2")]), S2C)])[0]
    assert r.fields["headers"] == {"k": "1"} and r.fields["headers_total"] == 2


@pytest.mark.parametrize("payload, d, code, variant", [
    ("SEND\ndestination:/q\n", C2S, "stomp-malformed", "no-blank-line"),
    ("SEND\nnocolon\n\n\x00", C2S, "stomp-malformed", "header"),
    ("SEND\nx:\\q\n\n\x00", C2S, "stomp-malformed", "escape"),
    ("SEND\ncontent-length:abc\n\nhi\x00", C2S, "stomp-malformed", "content-length"),
    ("SEND\ncontent-length:10\n\nhi\x00", C2S, "stomp-malformed", "no-nul"),
    ("SEND\n\nno end", C2S, "stomp-malformed", "no-nul"),
    ("SEND\n\nbody\x00junk", C2S, "stomp-malformed", "trailing"),
    ("RECEIPT\n\n\x00", S2C, "stomp-malformed", "no-receipt-id"),
    ("FLY\n\n\x00", C2S, "stomp-unknown-command", None),
    ("MESSAGE\n\n\x00", C2S, "stomp-unknown-command", None),          # a server's command from the client
    ("RECEIPT\nreceipt-id:nope\n\n\x00", S2C, "stomp-unmatched-receipt", None),
])
def test_stomp_malformed_frames_are_notes(payload, d, code, variant):
    recs = feed(app.make("v12.stomp"), [(payload, d)])
    notes = [n for r in recs for n in r.notes]
    assert notes[0].code == code and notes[0].args.get("variant") == variant
    assert describe(recs[0], EN) and describe(recs[0], ZH)


def test_stomp_error_answers_the_connect():
    recs = feed(app.make("v12.stomp"), [(frame("CONNECT", [("accept-version", "1.2")]), C2S),
                                        (frame("ERROR", [("message", "bad login")], "no"), S2C)])
    assert recs[1].reply_to == 1


# -- GraphQL over WebSocket -------------------------------------------------------------------------------------
def gql(**kw):
    return json.dumps(kw)


def test_graphql_transport_ws_operations_paired_with_their_first_answer():
    dec = app.make("graphql-transport-ws")
    recs = feed(dec, [
        (gql(type="connection_init"), C2S, 1.0), (gql(type="connection_ack"), S2C, 1.5),
        (gql(type="subscribe", id="1", payload={"query": "subscription OnMsg { m }"}), C2S, 2.0),
        (gql(type="next", id="1", payload={"data": {}}), S2C, 2.25),
        (gql(type="next", id="1", payload={"data": {}}), S2C, 3.0),
        (gql(type="complete", id="1"), S2C, 3.5),
        (gql(type="subscribe", id="2", payload={"query": "query { a }", "operationName": "A"}), C2S, 4.0),
        (gql(type="complete", id="2"), C2S, 4.5),                       # the client cancels it
        (gql(type="ping"), S2C, 5.0), (gql(type="pong"), C2S, 5.25)])
    assert [r.kind for r in recs] == ["control", "control", "operation", "result", "result", "complete",
                                      "operation", "complete", "control", "control"]
    assert recs[1].reply_to == 1 and recs[3].reply_to == 3 and recs[3].latency == pytest.approx(0.25)
    assert recs[4].reply_to is None and recs[7].reply_to == 7 and recs[9].reply_to == 9
    assert recs[2].fields["operation"] == "subscription OnMsg" and recs[6].fields["operation"] == "query A"
    assert describe(recs[2], EN) == "GraphQL subscribe 1: subscription OnMsg"
    assert describe(recs[3], EN) == "GraphQL next for 1, answers #3 after 250.0 ms"
    assert not codes(recs) and dec.unanswered() == 0 and not dec.running


def test_graphql_legacy_protocol():
    dec = app.make("graphql-ws")
    recs = feed(dec, [(gql(type="connection_init", payload={}), C2S), (gql(type="connection_ack"), S2C),
                      (gql(type="ka"), S2C), (gql(type="start", id="1", payload={"query": "{ a }"}), C2S),
                      (gql(type="data", id="1", payload={"data": {"a": 1}}), S2C), (gql(type="stop", id="1"), C2S),
                      (gql(type="connection_terminate"), C2S)])
    assert [r.kind for r in recs] == ["control", "control", "control", "operation", "result", "complete", "control"]
    assert recs[4].reply_to == 4 and not codes(recs)
    # a modern type is unknown to the legacy protocol, and the other way round
    assert codes(feed(app.make("graphql-ws"), [(gql(type="subscribe", id="1", payload={"query": "{a}"}), C2S)])) \
        == ["graphql-unknown-type"]
    assert codes(feed(app.make("graphql-transport-ws"), [(gql(type="ka"), S2C)])) == ["graphql-unknown-type"]


@pytest.mark.parametrize("payload, d, code, variant", [
    ("{", C2S, "graphql-parse-error", None),
    ("[]", C2S, "graphql-invalid", "not-object"),
    ("{}", C2S, "graphql-invalid", "no-type"),
    (gql(type="subscribe", payload={"query": "{ a }"}), C2S, "graphql-invalid", "id"),
    (gql(type="subscribe", id="1", payload={}), C2S, "graphql-invalid", "query"),
    (gql(type="error", id="1", payload="boom"), S2C, "graphql-invalid", "payload"),
    (gql(type="next", id="1", payload={}), C2S, "graphql-unknown-type", None),     # a server's type from the client
    (gql(type="next", id="7", payload={}), S2C, "graphql-unknown-id", None),
])
def test_graphql_malformed_messages_are_notes(payload, d, code, variant):
    recs = feed(app.make("graphql-transport-ws"), [(payload, d)])
    notes = [n for r in recs for n in r.notes]
    assert notes[0].code == code and notes[0].args.get("variant") == variant
    assert describe(recs[0], EN) and describe(recs[0], ZH)


def test_graphql_subscribe_before_the_ack():
    init, ack = gql(type="connection_init"), gql(type="connection_ack")
    sub = gql(type="subscribe", id="1", payload={"query": "subscription { a }"})
    assert codes(feed(app.make("graphql-transport-ws"), [(init, C2S), (sub, C2S)])) == ["graphql-before-ack"]
    assert codes(feed(app.make("graphql-transport-ws"), [(init, C2S), (ack, S2C), (sub, C2S)])) == []
    assert codes(feed(app.make("graphql-transport-ws"), [(sub, C2S)])) == []          # the init was not captured
    start = gql(type="start", id="1", payload={"query": "subscription { a }"})
    assert codes(feed(app.make("graphql-ws"), [(init, C2S), (start, C2S)])) == []     # legacy: allowed


def test_graphql_duplicate_operation_id():
    sub = gql(type="subscribe", id="1", payload={"query": "subscription { a }"})
    assert codes(feed(app.make("graphql-transport-ws"), [(sub, C2S), (sub, C2S)])) == ["graphql-duplicate-id"]


# -- the notes' sentences: used by tests/test_i18n_notes.py ---------------------------------------------------
from test_app_mqtt import MALFORMED as MQTT_MALFORMED, app_notes_mqtt  # noqa: E402
MALFORMED = [("jsonrpc", p, C2S) for p in ["{bad", "[]", "[1]", '{"method": "m"}', rpc(method="m", id=[1]),
                                           rpc(method=3, id=1), rpc(method="m", params=3), rpc(id=1)]] + \
    [("jsonrpc", p, S2C) for p in [rpc(result=1, error={}, id=None), rpc(error="x", id=None), rpc(result=1, id=5)]] + \
    [("v12.stomp", p, d) for p, d, _, _ in test_stomp_malformed_frames_are_notes.pytestmark[0].args[1]] + \
    [("graphql-transport-ws", p, d) for p, d, _, _ in test_graphql_malformed_messages_are_notes.pytestmark[0].args[1]] + \
    [("mqtt", p, d) for p, d, _, _ in MQTT_MALFORMED]


def app_notes() -> list:
    """model.Notes for every app note code and variant, as the analyzer writes them."""
    import test_app_socketio         # imported here: it imports this module's helpers
    out = []
    for name, payload, d in MALFORMED + [("socketio", p, d) for p, d, _, _ in test_app_socketio.MALFORMED]:
        binary = name == "mqtt" and isinstance(payload, bytes)        # MQTT travels in binary messages
        for r in app.make(name).feed(msg(payload, 1, d, binary=binary), 1.0):
            out += [Note(1, 0, n.severity, n.code, n.args) for n in r.notes]
    dec = JsonRpcDecoder("jsonrpc")
    dec.feed(msg(rpc(method="a", id=1), 1), 1.0)
    more = dec.feed(msg(rpc(method="a", id=1), 2), 2.0) + dec.feed(msg(b"\xff", 3, binary=True), 3.0) + \
        dec.feed(msg("x", 4, truncated=True), 4.0)

    class Broken(JsonRpcDecoder):
        def decode(self, text, no, d, ts):
            raise ValueError("boom")
    more += Broken("jsonrpc").feed(msg("{}", 5), 5.0)
    sub = gql(type="subscribe", id="1", payload={"query": "subscription { a }"})
    g = app.make("graphql-transport-ws")
    more += g.feed(msg(sub, 7), 7.0) + g.feed(msg(sub, 8), 8.0)
    g = app.make("graphql-transport-ws")
    more += g.feed(msg(gql(type="connection_init"), 9), 9.0) + g.feed(msg(sub, 10), 10.0)
    more += test_app_socketio.sequences_for_notes()
    capped = JsonRpcDecoder("jsonrpc")
    for i in range(APP_PENDING_MAX + 1):
        more += capped.feed(msg(rpc(method="m", id=i), 6), 6.0)
    out += [Note(1, 0, n.severity, n.code, n.args) for r in more for n in r.notes]
    from sessionbuild import analyze
    from test_app_sniff import RPC, session
    out += analyze(session((C2S, RPC)).packets()).notes("app-guess")      # the analyzer's guess (app/sniff.py)
    out += [Note(1, 0, n.severity, n.code, n.args) for n in app_notes_mqtt()]
    return out


def test_app_notes_cover_every_app_sentence():
    from wsdissect.i18n import CATALOG, note_id
    ids = {k for k in CATALOG if k.startswith(("note.app_", "note.jsonrpc_", "note.stomp_", "note.graphql_",
                                               "note.socketio_", "note.mqtt_"))}
    assert ids <= {note_id(n.code, n.args) for n in app_notes()}
