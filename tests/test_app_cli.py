"""Subprotocols inside the messages, from the command line, on the captures recorded from real peers
(captures/jsonrpc.pcap, captures/stomp.pcap; see captures/README.md): labels, JSON Lines' `app` object, follow,
stats, --subprotocol; every view of the decoded captures."""
from __future__ import annotations

import ast
import json
import os

import pytest

from conftest import ROOT
from fuzz.differential import CLI_ENV, cli_runner
from wsdissect.cli import main
from wsdissect.sources.pcap import open_capture

CAP = os.path.join(ROOT, "captures")
JSONRPC, STOMP, GRAPHQL, ECHO, BUSY = (os.path.join(CAP, n) for n in ("jsonrpc.pcap", "stomp.pcap", "graphql.pcap",
                                                                         "echo.pcap", "busy.pcap"))
SOCKETIO, GRAPHQL_WS = os.path.join(CAP, "socketio.pcap"), os.path.join(CAP, "graphql-ws.pcap")
SOCKETIO_UPGRADE = os.path.join(CAP, "socketio-upgrade.pcap")


def run(*args):
    res = cli_runner().invoke(main, list(args), env=CLI_ENV)
    assert res.exit_code == 0, res.output
    return res


def records(*args):
    return [json.loads(line) for line in run("read", *args, "--json").stdout.splitlines()]


def apps(recs):
    return [(m["last_no"], m["dir"], m["app"]) for m in recs if m["type"] == "message" and "app" in m]


@pytest.mark.parametrize("capture, no, said", [
    ("jsonrpc.pcap", 8, "WebSocket Text [FIN] [MASKED] · JSON-RPC: request subtract id=1"),
    ("mqtt5.pcap", 8, "WebSocket Binary [FIN] [MASKED] · MQTT: CONNECT"),
    ("stomp.pcap", 11, "WebSocket Text [FIN] [MASKED] · STOMP: SUBSCRIBE /queue/lab"),
    ("socketio.pcap", 13, "WebSocket Text [FIN] [MASKED] · Socket.IO: EVENT join"),
])
def test_info_speaks_the_subprotocol_after_the_frames(capture, no, said):
    pkt = next(r for r in records(os.path.join(CAP, capture)) if r["type"] == "packet" and r["no"] == no)
    assert pkt["info"] == said
    zh = [json.loads(x) for x in run("read", os.path.join(CAP, capture), "--json", "--lang", "zh").stdout.splitlines()]
    assert next(r for r in zh if r["type"] == "packet" and r["no"] == no)["info"] == said     # Info: one language


def test_jsonrpc_capture_json_lines():
    recs = records(JSONRPC)
    assert [c["subprotocol"] for c in recs if c["type"] == "connection"] == ["jsonrpc"]
    got = apps(recs)
    assert len(got) == 9 and all(a["protocol"] == "jsonrpc" for _, _, a in got)
    kinds = [[r["kind"] for r in a["records"]] for _, _, a in got]
    assert kinds == [["request"], ["result"], ["notification"], ["request"], ["error"],
                     ["request", "notification", "request"], ["result", "result"], ["invalid"], ["error"]]
    by_no = {no: a for no, _, a in got}
    assert by_no[8]["records"][0] == {"kind": "request", "fields": {"method": "subtract", "id": 1},
                                      "awaits_reply": True}
    res = by_no[9]["records"][0]
    assert res["reply_to"] == 8 and 0 < res["latency"] < 1
    assert [r["reply_to"] for r in by_no[18]["records"]] == [17, 17]
    assert by_no[20]["records"][0]["notes"] == ["jsonrpc-parse-error"]
    packets = {r["no"]: r for r in recs if r["type"] == "packet"}
    assert packets[8]["label"] == "client sends JSON-RPC request subtract, id 1 (69 bytes)"
    assert packets[20]["notes"] == ["jsonrpc-parse-error"]
    assert recs[-1]["notes_by_code"] == {"jsonrpc-parse-error": 1}


def test_jsonrpc_messages_are_what_the_receiver_logged():
    # jsonrpcserver and jsonrpcclient's sides logged every message they sent and received while the capture was
    # recorded (captures/jsonrpc.peers.txt): each decoded message is the next one its receiver logged, and each
    # record says what that JSON-RPC object is (kind, method, id)
    check_jsonrpc_against_log(JSONRPC)


def check_jsonrpc_against_log(path):
    logged = {"c2s": [], "s2c": []}
    with open(path[:-5] + ".peers.txt", encoding="utf-8") as f:
        for line in f:
            who, _, rest = line.rstrip("\n").partition(": ")
            if rest.startswith("received "):
                logged["c2s" if who == "server" else "s2c"].append(rest[len("received "):])
    got = {"c2s": [], "s2c": []}
    for m in records(path):
        if m["type"] != "message" or m["opcode_name"] != "text":
            continue
        got[m["dir"]].append(m["text"])
        try:
            doc = json.loads(m["text"])
        except ValueError:
            assert [r["kind"] for r in m["app"]["records"]] == ["invalid"]
            continue
        docs = doc if isinstance(doc, list) else [doc]
        assert len(docs) == len(m["app"]["records"])
        for d, r in zip(docs, m["app"]["records"]):
            kind = ("request" if "id" in d else "notification") if "method" in d else \
                ("error" if "error" in d else "result")
            assert (r["kind"], r["fields"].get("method"), r["fields"].get("id")) == (kind, d.get("method"),
                                                                                      d.get("id"))
    assert got == logged and len(got["c2s"]) == 5 and len(got["s2c"]) == 4


def test_stomp_capture_json_lines_and_chinese_labels():
    # RabbitMQ's web-stomp and stomp.py (captures/README.md): stomp.py connects with the STOMP command, both
    # sides send heart-beats every second, and RabbitMQ closes on DISCONNECT without the asked-for RECEIPT
    recs = records(STOMP, "--lang", "zh")
    got = apps(recs)
    frames = [(no, d, a["records"][0]) for no, d, a in got]
    commands = [(d, r["fields"]["command"]) for _, d, r in frames if r["kind"] == "frame"]
    assert commands == [("c2s", "STOMP"), ("s2c", "CONNECTED"), ("c2s", "SUBSCRIBE"), ("s2c", "RECEIPT"),
                        ("c2s", "SEND"), ("s2c", "MESSAGE"), ("c2s", "DISCONNECT")]
    beats = [d for _, d, r in frames if r["kind"] == "heartbeat"]
    assert "c2s" in beats and "s2c" in beats                     # heart-beat:1000,1000 both ways
    no = {r["fields"].get("command"): n for n, _, r in frames}
    replies = {r["fields"].get("command"): r.get("reply_to") for _, _, r in frames}
    assert replies["CONNECTED"] == no["STOMP"] and replies["RECEIPT"] == no["SUBSCRIBE"]
    send = next(r for _, _, r in frames if r["fields"].get("command") == "SEND")
    assert send["fields"]["body_length"] == len("hello 你好".encode())
    assert send["fields"]["headers"]["destination"] == "/queue/lab"
    labels = {r["no"]: r["label"] for r in recs if r["type"] == "packet"}
    assert labels[no["CONNECTED"]].startswith(f"服务端发送 STOMP CONNECTED 帧，回应 #{no['STOMP']}")
    assert not any(r["type"] == "note" for r in recs)


def stomp_log(path):
    """{direction: [(command or None for a heart-beat, headers, body bytes)]} of every frame stomp.py logged
    sending ("sending frame: [b'SEND', b'\\n', b'destination:/queue/lab\\n', ...]") and receiving ("received
    frame: 'MESSAGE', headers={...}, body='...'"), in order, from the log kept beside the capture."""
    got = {"c2s": [], "s2c": []}
    with open(path, encoding="utf-8") as f:
        for line in f:
            rest = line.rstrip("\n").partition(": ")[2]
            if rest.startswith("sending frame: "):
                raw = b"".join(ast.literal_eval(rest[len("sending frame: "):]))
                if raw == b"\n":
                    got["c2s"].append((None, {}, b""))
                    continue
                head, _, body = raw.partition(b"\n\n")
                command, *lines = head.decode().split("\n")
                got["c2s"].append((command, dict(x.split(":", 1) for x in lines), body.rstrip(b"\x00")))
            elif rest.startswith("received frame: "):
                command, headers, body = ast.literal_eval("(" + rest[len("received frame: "):]
                                                          .replace("headers=", "").replace("body=", "") + ")")
                got["s2c"].append((None if command == "heartbeat" else command, headers, (body or "").encode()))
    return got


def test_stomp_frames_are_what_the_client_logged():
    # stomp.py logged every frame it sent and received while RabbitMQ's web-stomp and it were recorded
    # (captures/stomp.peers.txt): each decoded record is the next one logged in its direction
    check_stomp_against_log(STOMP)


def check_stomp_against_log(path):
    decoded = {"c2s": [], "s2c": []}
    for _, d, a in apps(records(path)):
        (rec,) = a["records"]
        if rec["kind"] == "heartbeat":
            decoded[d].append((None, {}, 0))
        else:
            decoded[d].append((rec["fields"]["command"], rec["fields"]["headers"], rec["fields"]["body_length"]))
    logged = {d: [(c, h, len(b)) for c, h, b in frames] for d, frames in stomp_log(path[:-5] + ".peers.txt").items()}
    assert decoded == logged
    assert len(decoded["c2s"]) >= 5 and len(decoded["s2c"]) >= 4


def test_graphql_capture():
    got = apps(records(GRAPHQL))
    kinds = [(a["records"][0]["kind"], a["records"][0]["fields"].get("type")) for _, _, a in got]
    assert kinds == [("control", "connection_init"), ("control", "connection_ack"), ("operation", "subscribe"),
                     ("result", "next"), ("result", "next"), ("complete", "complete"), ("operation", "subscribe"),
                     ("result", "next"), ("complete", "complete"), ("control", "ping"), ("control", "pong")]
    first = got[3][2]["records"][0]
    assert first["reply_to"] == got[2][0] and 0.02 < first["latency"] < 1      # the server waits ~50 ms
    assert "reply_to" not in got[4][2]["records"][0]                          # only the first answer pairs
    assert got[2][2]["records"][0]["fields"]["operation"] == "subscription Greetings"
    st = json.loads(run("stats", GRAPHQL, "--json").stdout.splitlines()[0])["app"]["graphql"]
    assert (st["requests"], st["answered"], st["unanswered"]) == (4, 4, 0)


def test_graphql_ws_legacy_capture():
    # strawberry-graphql's server and gql's client speaking subscriptions-transport-ws, with permessage-deflate
    # (captures/README.md): the messages as the client script and the server sent them.
    recs = records(GRAPHQL_WS)
    assert [c["subprotocol"] for c in recs if c["type"] == "connection"] == ["graphql-ws"]
    got = apps(recs)
    seen = [(d, r["kind"], r["fields"]["type"], r["fields"].get("id")) for _, d, a in got for r in a["records"]]
    ka = ("s2c", "control", "ka", None)
    assert [x for x in seen if x != ka] == [
        ("c2s", "control", "connection_init", None), ("s2c", "control", "connection_ack", None),
        ("c2s", "operation", "start", "1"), ("s2c", "result", "data", "1"), ("s2c", "result", "data", "1"),
        ("s2c", "complete", "complete", "1"),
        ("c2s", "operation", "start", "2"), ("s2c", "error", "error", "2"),
        ("c2s", "operation", "start", "3"), ("s2c", "result", "data", "3"), ("c2s", "complete", "stop", "3"),
        ("s2c", "complete", "complete", "3"), ("c2s", "control", "connection_terminate", None)]
    assert seen.count(ka) >= 2                                   # the server's keep-alive, every 0.5 s
    ops = {r["fields"]["id"]: (no, r) for no, _, a in got for r in a["records"] if r["kind"] == "operation"}
    assert [ops[i][1]["fields"]["operation"] for i in "123"] == ["subscription Greetings", "query Hello",
                                                                 "subscription Ticks"]
    answers = {r["fields"]["type"] + r["fields"].get("id", ""): r for _, _, a in got for r in a["records"]
               if "reply_to" in r}
    assert answers["connection_ack"]["reply_to"] == got[0][0]
    assert answers["error2"]["reply_to"] == ops["2"][0] and answers["data3"]["reply_to"] == ops["3"][0]
    assert not any(r["type"] == "note" for r in recs)
    st = json.loads(run("stats", GRAPHQL_WS, "--json").stdout.splitlines()[0])["app"]["graphql"]
    assert (st["requests"], st["answered"], st["unanswered"]) == (4, 4, 0)   # init and the three operations
    assert "» GraphQL stop 3" in run("follow", GRAPHQL_WS).stdout


@pytest.mark.parametrize("path, compressed", [(GRAPHQL_WS, True), (GRAPHQL, False)],
                         ids=["graphql-ws", "graphql"])
def test_graphql_messages_are_what_the_client_logged(path, compressed):
    # gql logged every message it sent (">>> ") and received ("<<< ") while the capture was recorded
    # (captures/NAME.peers.txt): the (inflated) text of each message, in order, per direction
    check_graphql_against_log(path, compressed)


def check_graphql_against_log(path, compressed):
    logged = {"c2s": [], "s2c": []}
    with open(os.path.splitext(path)[0] + ".peers.txt", encoding="utf-8") as f:
        for line in f:
            text = line.rstrip("\n").partition(": ")[2]
            if text[:4] in (">>> ", "<<< "):
                logged["c2s" if text[:4] == ">>> " else "s2c"].append(text[4:])
    recs = records(path)
    got = {"c2s": [], "s2c": []}
    for m in recs:
        if m["type"] == "message" and m["opcode_name"] == "text":
            doc, (rec,) = json.loads(m["text"]), m["app"]["records"]
            assert m["compressed"] == compressed and rec["fields"]["type"] == doc["type"]
            assert rec["fields"].get("id") == doc.get("id")
            got[m["dir"]].append(m["text"])
    assert got == logged and len(got["s2c"]) >= 7


def test_socketio_capture_chosen_by_its_path():
    # python-socketio's client and server (captures/README.md): what the client script sent and the server
    # answered, packet by packet.
    recs = records(SOCKETIO)
    conn = next(c for c in recs if c["type"] == "connection")
    assert conn["subprotocol"] is None and "EIO=4" in conn["uri"]        # nothing negotiated: the path chose
    got = apps(recs)
    seen = [(d, r["kind"], r["fields"].get("event") or r["fields"].get("namespace")) for _, d, a in got
            for r in a["records"]]
    assert seen == [("s2c", "open", None), ("c2s", "connect", "/chat"), ("s2c", "connect", "/chat"),
                    ("c2s", "event", "join"), ("s2c", "event", "welcome"), ("c2s", "event", "chat"),
                    ("c2s", "event", "add"), ("s2c", "ack", "/chat"), ("c2s", "event", "upload"),
                    ("c2s", "attachment", None), ("s2c", "ack", "/chat"), ("s2c", "attachment", None),
                    ("s2c", "ping", None), ("c2s", "pong", None), ("c2s", "event", "bye"),
                    ("s2c", "disconnect", "/chat")]
    by_kind = {}
    for no, _, a in got:
        by_kind.setdefault(a["records"][0]["kind"], []).append((no, a["records"][0]))
    assert by_kind["open"][0][1]["fields"]["ping_interval"] == 1000
    (c_no, c), (s_no, s) = by_kind["connect"]
    assert c["fields"]["auth"] is True and s["reply_to"] == c_no and "sid" in s["fields"]
    events = {r["fields"]["event"]: (no, r) for no, r in by_kind["event"]}
    add_no, add = events["add"]
    assert add["fields"]["id"] == 1 and add["awaits_reply"] and add["fields"]["args"] == 2
    assert by_kind["ack"][0][1]["reply_to"] == add_no and 0 < by_kind["ack"][0][1]["latency"] < 1
    up_no, up = events["upload"]
    assert up["fields"]["type"] == "BINARY_EVENT" and up["fields"]["attachments"] == 1
    assert by_kind["attachment"][0][1]["fields"] == {"length": 8, "index": 1, "count": 1, "packet": up_no}
    assert by_kind["ack"][1][1]["fields"]["type"] == "BINARY_ACK" and by_kind["ack"][1][1]["reply_to"] == up_no
    assert by_kind["attachment"][1][1]["fields"]["length"] == 2
    assert not any(r["type"] == "note" for r in recs)
    labels = {r["no"]: r["label"] for r in recs if r["type"] == "packet"}
    assert labels[add_no] == "client sends Socket.IO event add on /chat, ack id 1 (20 bytes)"
    zh = {r["no"]: r["label"] for r in records(SOCKETIO, "--lang", "zh") if r["type"] == "packet"}
    assert zh[add_no].startswith("客户端发送 Socket.IO 事件 add（/chat），ack id 1")
    st = json.loads(run("stats", SOCKETIO, "--json").stdout.splitlines()[0])["app"]["socketio"]
    assert (st["requests"], st["answered"], st["unanswered"]) == (3, 3, 0)      # CONNECT, add, upload
    assert "socketio replies" in run("stats", SOCKETIO).stdout
    out = run("follow", SOCKETIO).stdout
    assert "» Socket.IO binary event upload on /chat, ack id 2, attachments: 1" in out
    # without the path, nothing chooses the decoder; --subprotocol does
    assert not apps(records(ECHO)) and apps(records(ECHO, "--subprotocol", "socketio"))


def peer_log(path):
    """{direction: [(Engine.IO packet type, data)]} of every packet a peer logged receiving, in order, from the
    log the recording kept beside the capture (python-engineio's "Received packet TYPE data DATA" lines; the
    open packet as the client's "WebSocket connection accepted with {...}")."""
    got = {"c2s": [], "s2c": []}
    with open(path, encoding="utf-8") as f:
        for line in f:
            who, _, rest = line.rstrip("\n").partition(": ")
            if who == "server":
                rest = rest.partition(": ")[2]                        # after the session id
            if rest.startswith("Received packet "):
                ptype, _, data = rest[len("Received packet "):].partition(" data ")
                got["c2s" if who == "server" else "s2c"].append((ptype, data))
            elif who == "client" and rest.startswith("WebSocket connection accepted with "):
                got["s2c"].append(("OPEN", ast.literal_eval(rest.split(" with ", 1)[1])))
    return got


@pytest.mark.parametrize("path", [SOCKETIO, SOCKETIO_UPGRADE], ids=os.path.basename)
def test_socketio_decoded_packets_are_what_the_peers_received(path):
    # Each decoded message, put back as the Engine.IO packet python-engineio logs, is the next one its receiver
    # logged. The upgrade's probe and upgrade packets are not logged as packets by python-engineio: left out.
    engine = {"open": "OPEN", "close": "CLOSE", "ping": "PING", "pong": "PONG", "noop": "NOOP"}
    decoded = {"c2s": [], "s2c": []}
    for m in records(path):
        if m["type"] != "message" or m["opcode_name"] not in ("text", "binary"):
            continue
        rec = m["app"]["records"][-1]
        if rec["kind"] == "upgrade" or rec["fields"].get("data") == "probe":
            continue
        if m["opcode_name"] == "binary":
            assert rec["kind"] == "attachment"
            decoded[m["dir"]].append(("MESSAGE", "<binary>"))
        elif rec["kind"] == "open":
            decoded[m["dir"]].append(("OPEN", json.loads(m["text"][1:])))
        else:
            decoded[m["dir"]].append((engine.get(rec["kind"], "MESSAGE"), m["text"][1:]))
    assert decoded == peer_log(os.path.splitext(path)[0] + ".peers.txt")
    assert len(decoded["c2s"]) >= 3 and len(decoded["s2c"]) >= 4


def test_socketio_upgrade_from_polling_capture():
    # python-socketio's client with its default transports: long-polling over HTTP first (not decoded: HTTP
    # bodies are skipped), then on the same TCP connection the WebSocket with the session's sid, its probe
    # and the upgrade, and the namespace's CONNECT over it.
    recs = records(SOCKETIO_UPGRADE)
    roles = [r["role"] for r in recs if r["type"] == "packet" and r["role"] in ("http", "ws-upgrade-request")]
    assert roles == ["http", "http", "ws-upgrade-request"]             # the polling GET and its 200
    conn = next(c for c in recs if c["type"] == "connection")
    assert "transport=websocket" in conn["uri"] and "sid=" in conn["uri"]
    seen = [(d, r["kind"], r["fields"].get("data") or r["fields"].get("event") or r["fields"].get("namespace"))
            for _, d, a in apps(recs) for r in a["records"]]
    assert seen[:3] == [("c2s", "ping", "probe"), ("s2c", "pong", "probe"), ("c2s", "upgrade", None)]
    rest = [x for x in seen[3:] if x[1] != "noop"]        # the server's noop ends a waiting poll: timing decides
    assert rest == [("c2s", "connect", "/chat"), ("s2c", "connect", "/chat"), ("c2s", "event", "add"),
                    ("s2c", "ack", "/chat"), ("c2s", "event", "bye"), ("s2c", "disconnect", "/chat")]
    assert not any(r["type"] == "note" for r in recs)
    labels = [r["label"] for r in recs if r["type"] == "packet"]
    assert any(x.startswith("client sends Engine.IO ping probe") for x in labels)


def kept(*args):
    """The packet numbers `read --json` keeps with these filters."""
    return [r["no"] for r in records(*args) if r["type"] == "packet"]


def test_grep_matches_decoded_fields():
    up = 22                                               # captures/socketio.pcap: the binary event "upload"
    assert kept(SOCKETIO, "--grep", "^event=upload$") == [up]
    assert kept(SOCKETIO, "--grep", "^upload$") == [up]   # the value alone; no message's text is just "upload"
    assert kept(SOCKETIO, "--grep", "^kind=attachment$") == [23, 27]
    assert kept(SOCKETIO, "--grep", "^type=BINARY_") == [up, 25]
    assert kept(SOCKETIO, "--grep", "^kind=ack$") == [20, 25]
    # STOMP headers by their own names, JSON-RPC kinds, GraphQL operations
    assert kept(STOMP, "--grep", "^destination=/queue/lab$") == [11, 14, 15]      # SUBSCRIBE, SEND, MESSAGE
    assert kept(JSONRPC, "--grep", "^kind=error$") == [15, 21]
    assert kept(GRAPHQL_WS, "--grep", "^operation=subscription Ticks$") == [26]
    # the raw text still matches, and a message no decoder read has only its text
    assert kept(SOCKETIO, "--grep", "你好") == [] and kept(SOCKETIO, "--grep", r"\\u4f60") == [16]
    assert kept(ECHO, "--grep", "^kind=") == []


def test_follow_prints_the_decoded_line():
    out = run("follow", JSONRPC).stdout
    assert "» JSON-RPC request subtract, id 1" in out
    assert "» 2 records: JSON-RPC result for id 3, answers #17" in out
    out = run("follow", STOMP, "--lang", "zh").stdout
    assert "» STOMP 心跳" in out


def test_stats_latency_and_unanswered():
    lines = [json.loads(x) for x in run("stats", JSONRPC, "--json").stdout.splitlines()]
    app = lines[0]["app"]["jsonrpc"]
    assert (app["requests"], app["answered"], app["unanswered"]) == (4, 4, 0)
    lat = app["latency"]
    assert lat["count"] == 4 and 0 < lat["min"] <= lat["mean"] <= lat["max"] < 1
    assert lines[-1]["type"] == "stats-total" and lines[-1]["app"] == lines[0]["app"]
    text = run("stats", STOMP).stdout
    assert "stomp replies" in text and "3 awaited, 2 answered" in text     # RabbitMQ: no RECEIPT for DISCONNECT
    assert "1 request(s) never answered" in text
    # no decoder: no "app" key, the other captures' stats are as before
    assert "app" not in json.loads(run("stats", ECHO, "--json").stdout.splitlines()[0])


def test_unanswered_requests_are_counted(tmp_path):
    # The jsonrpc capture cut before the last answers: the requests of #17 (batch: 2) and #20 are unanswered.
    from pcapbuild import pcap_bytes
    packets = [p for p in open_capture(JSONRPC) if p.no <= 17]
    path = tmp_path / "cut.pcap"
    path.write_bytes(pcap_bytes([(p.ts, p.data) for p in packets]))
    st = json.loads(run("stats", str(path), "--json").stdout.splitlines()[0])["app"]["jsonrpc"]
    assert (st["requests"], st["answered"], st["unanswered"]) == (4, 2, 2)
    assert "2 request(s) never answered" in run("stats", str(path)).stdout


def test_forced_subprotocol_and_unknown_name():
    recs = records(ECHO, "--subprotocol", "jsonrpc")
    notes = [r["code"] for r in recs if r["type"] == "note"]
    assert notes == ["jsonrpc-parse-error"] * 6        # 3 messages echoed; bytes 0..15 are UTF-8 too
    # forcing overrides what was negotiated
    assert {a["protocol"] for _, _, a in apps(records(JSONRPC, "--subprotocol", "v12.stomp"))} == {"stomp"}
    res = cli_runner().invoke(main, ["read", ECHO, "--subprotocol", "nope"], env=CLI_ENV)
    assert res.exit_code == 2 and "nope" in res.output and "Traceback" not in res.output
    for cmd in (["follow", ECHO], ["stats", ECHO], ["show", JSONRPC, "8"]):
        assert run(*cmd, "--subprotocol", "jsonrpc").exit_code == 0
    assert "JSON-RPC request subtract, id 1" in run("show", JSONRPC, "8").stdout


COMMANDS = {
    "read-json": ["read", "{}", "--json"],
    "read-json-zh": ["read", "{}", "--json", "--lang", "zh"],
    "read": ["read", "{}"],
    "read-80": ["read", "{}", "--width", "80"],
    "stats": ["stats", "{}"],
    "stats-json": ["stats", "{}", "--json"],
    "follow": ["follow", "{}"],
    "flow": ["read", "{}", "--view", "flow"],
    "filtered": ["read", "{}", "--json", "--hide-acks"],
}


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("path, extra", [(JSONRPC, []), (STOMP, []), (GRAPHQL, []), (SOCKETIO, []), (GRAPHQL_WS, []),
                                         (SOCKETIO_UPGRADE, []),
                                         (ECHO, ["--subprotocol", "jsonrpc"]),
                                         (BUSY, ["--subprotocol", "v12.stomp"]),
                                         (BUSY, ["--subprotocol", "graphql-ws"])],
                         ids=["jsonrpc", "stomp", "graphql", "socketio", "graphql-ws", "socketio-upgrade", "echo-forced", "busy-forced", "busy-forced-graphql"])
def test_every_view_reads_the_decoded_captures(path, extra, command):
    args = [a.format(path) for a in COMMANDS[command]] + extra
    res = run(*args)
    assert "Traceback" not in res.stderr
    if command == "read-json":
        assert '"app":' in res.stdout


@pytest.mark.parametrize("command", [["read", "--json"], ["stats", "--json"], ["stats"]])
@pytest.mark.parametrize("path, extra", [(JSONRPC, []), (BUSY, ["--subprotocol", "jsonrpc"]), (SOCKETIO, [])],
                         ids=["jsonrpc", "busy-forced", "socketio"])
def test_several_processes_give_the_same_bytes(path, extra, command):
    import subprocess
    import sys

    def cli(jobs):
        return subprocess.run([sys.executable, "-m", "wsdissect", command[0], path, *command[1:], *extra,
                               "--jobs", jobs], capture_output=True, env=dict(os.environ, **CLI_ENV), timeout=300)
    one, two = cli("1"), cli("2")
    assert one.returncode == two.returncode == 0, two.stderr
    assert one.stdout == two.stdout
    if command[0] == "read":
        assert b'"app":' in one.stdout


# -- recording again from real peers -------------------------------------------------------------------------
RECORDED = {  # scenario: (modules, executables, port, check of the fresh capture against its peers' log)
    "graphql": (["strawberry", "gql", "aiohttp"], [], 9002, lambda p: check_graphql_against_log(p, False)),
    "graphql-ws": (["strawberry", "gql", "aiohttp"], [], 9002, lambda p: check_graphql_against_log(p, True)),
    "jsonrpc": (["jsonrpcserver", "jsonrpcclient"], [], 9002, check_jsonrpc_against_log),
    "stomp": (["stomp", "websocket"], ["/usr/lib/rabbitmq/bin/rabbitmq-server"], 15674, check_stomp_against_log),
}


def _cannot_record(name):
    import importlib.util
    import shutil
    import socket
    import sys
    modules, exes, port, _ = RECORDED[name]
    if sys.platform != "linux" or os.geteuid() != 0:
        return "recording on lo needs root on Linux"
    for exe in ["tcpdump", *exes]:
        if shutil.which(exe) is None and not os.path.exists(exe):
            return f"{os.path.basename(exe)} is not installed"
    for mod in modules:
        if importlib.util.find_spec(mod) is None:
            return f"{mod} is not installed (the recording's peers, see captures/README.md)"
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)     # a connection in TIME-WAIT is no listener
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return f"port {port} is busy"
    return None


@pytest.mark.parametrize("name", list(RECORDED))
def test_a_fresh_recording_decodes_as_the_peers_logged(name, tmp_path):
    why = _cannot_record(name)
    if why:
        pytest.skip(why)
    import subprocess
    import sys
    out = subprocess.run([sys.executable, os.path.join(CAP, "record.py"), "--only", name, "--out", str(tmp_path)],
                         capture_output=True, text=True, timeout=240)
    assert out.returncode == 0, out.stderr
    fresh = str(tmp_path / f"{name}.pcap")
    RECORDED[name][3](fresh)
    assert not any(r["type"] == "note" for r in records(fresh) if r.get("code") != "jsonrpc-parse-error")
