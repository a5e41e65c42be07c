"""Content sniffing (wsdissect/app/sniff.py): a connection without a decoder gets one `app-guess` note when its
first messages look like JSON-RPC 2.0, STOMP or Engine.IO, and is still not decoded unless --subprotocol says so."""
import json

import pytest

from fuzz.differential import CLI_ENV, cli_runner
from pcapbuild import pcap_bytes
from sessionbuild import Session, accept_for, analyze, upgrade_request, upgrade_response, words, KEY
from wsdissect.app.sniff import APP_SNIFF_MESSAGES, sniff
from wsdissect.cli import main
from wsdissect.model import C2S, S2C

RPC = json.dumps({"jsonrpc": "2.0", "method": "subtract", "params": [42, 23], "id": 1})
STOMP = "CONNECT\naccept-version:1.2\nhost:example.com\n\n\x00"
EIO_OPEN = '0{"sid":"abc","upgrades":[],"pingInterval":25000,"pingTimeout":20000}'


@pytest.mark.parametrize("text, name", [
    (RPC, "jsonrpc"),
    ("[" + RPC + "]", "jsonrpc"),
    (json.dumps({"jsonrpc": "2.0", "result": 19, "id": 1}), "jsonrpc"),
    (json.dumps({"jsonrpc": "1.0", "method": "m"}), None),               # not 2.0
    (json.dumps({"method": "m", "id": 1}), None),                       # no "jsonrpc" member
    ('{"jsonrpc": "2.0", "method": ', None),                            # not JSON
    (STOMP, "v12.stomp"),
    ("CONNECTED\r\nversion:1.1\r\n\r\n\x00\n", "v11.stomp"),
    ("CONNECTED\nversion:1.0\n\n\x00", "v10.stomp"),
    ("SEND\ndestination:/q\n\nhello\x00", "v12.stomp"),
    ("SEND\ndestination:/q\n\nhello", None),                           # no NUL: chat text that starts "SEND"
    ("HELLO\nx:y\n\n\x00", None),
    (EIO_OPEN, "socketio"),
    ("2probe", "socketio"),
    ("0 items", None), ("hello", None), ("", None), ('{"type":"connection_init"}', None),
])
def test_sniff(text, name):
    assert sniff(text) == name


def session(*messages, protocol=None, path="/chat"):
    """A WebSocket connection without (or with) a negotiated subprotocol carrying `messages` ((dir, text))."""
    s = Session()
    s.handshake()
    s.send(C2S, upgrade_request(KEY, path=path, protocol=protocol))
    head = upgrade_response(accept_for(KEY))
    if protocol:
        head = head.replace(b"\r\n\r\n", f"\r\nSec-WebSocket-Protocol: {protocol}\r\n\r\n".encode())
    s.send(S2C, head)
    for d, text in messages:                   # text, or bytes for a binary message
        s.send(d, (s.client if d == C2S else s.server).send_data(text))
    return s


def guesses(result):
    return [(n.no, n.args["name"]) for n in result.notes("app-guess")]


def test_a_guess_is_a_note_and_nothing_is_decoded():
    s = session((C2S, RPC), (S2C, json.dumps({"jsonrpc": "2.0", "result": 19, "id": 1})), (C2S, RPC))
    r = analyze(s.packets())
    assert guesses(r) == [(8, "jsonrpc")]                               # once, on the first message
    assert all(m.app is None for m in r.messages()) and r.conn.decoder is None
    note = r.notes("app-guess")[0]
    assert note.severity == "note" and "--subprotocol jsonrpc" in words(note) and "guess" in words(note)
    # forced, it is decoded and no guess is said; negotiated, the same
    r = analyze(s.packets(), subprotocol="jsonrpc")
    assert not guesses(r) and [m.app[0].kind for m in r.messages()] == ["request", "result", "request"]
    r = analyze(session((C2S, RPC), protocol="jsonrpc").packets())
    assert not guesses(r) and r.messages()[0].app[0].kind == "request"


def test_each_direction_first_message_is_looked_at():
    # the server speaks first (Engine.IO's open) on a path that is not Engine.IO's; STOMP from the client second
    r = analyze(session((C2S, "hello"), (S2C, EIO_OPEN)).packets())
    assert guesses(r) == [(10, "socketio")]
    r = analyze(session((S2C, "welcome"), (C2S, STOMP)).packets())
    assert guesses(r) == [(10, "v12.stomp")]
    # only the first message of a direction: a later JSON-RPC message is no guess
    r = analyze(session((C2S, "hello"), (C2S, RPC), (S2C, "hi"), (C2S, RPC)).packets())
    assert guesses(r) == []
    # at most APP_SNIFF_MESSAGES messages: a server that speaks late is not looked at
    many = [(C2S, "x")] * APP_SNIFF_MESSAGES + [(S2C, EIO_OPEN)]
    assert guesses(analyze(session(*many).packets())) == []
    # the Socket.IO path chooses the decoder: no guess
    r = analyze(session((S2C, EIO_OPEN), path="/socket.io/?EIO=4&transport=websocket").packets())
    assert not guesses(r) and r.messages()[0].app[0].kind == "open"


def test_every_view_reads_a_sniffed_connection(tmp_path):
    s = session((C2S, "hello"), (S2C, EIO_OPEN), (C2S, RPC), (S2C, "more"), (C2S, "and more"), (S2C, "end"))
    path = tmp_path / "guess.pcap"
    path.write_bytes(pcap_bytes([(p.ts, p.data) for p in s.packets()]))
    for args in (["read", "--json"], ["read"], ["stats", "--json"], ["follow"]):
        out = cli_runner().invoke(main, [args[0], str(path), *args[1:]], env=CLI_ENV)
        assert out.exit_code == 0 and "Traceback" not in out.output
    recs = [json.loads(x) for x in out_json(path)]
    assert [r["code"] for r in recs if r["type"] == "note"] == ["app-guess"]
    assert not any("app" in r for r in recs if r["type"] == "message")


def out_json(path):
    res = cli_runner().invoke(main, ["read", str(path), "--json"], env=CLI_ENV)
    return res.stdout.splitlines()
