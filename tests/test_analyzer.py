"""The whole core driven with bytes: conversations built in memory, packet by packet, through Analyzer.feed.

Each test scripts one situation a student meets in a real capture and checks the Rows: role, label, the frames
and messages completed at each packet, and the notes.
"""
from __future__ import annotations

import zlib

import pytest

from pcapbuild import ethernet, ipv4_packet, udp_packet
from sessionbuild import ACCEPT, KEY, Session, analyze, accept_for, raw_frame, upgrade_request, upgrade_response
from wsdissect.model import C2S, S2C

VALID_OPCODES = {0, 1, 2, 8, 9, 10}


def frames_of(rows):
    return [(f.direction, f.opcode, f.fin, f.length) for r in rows for f in r.frames]


# --- 1. the classic session ----------------------------------------------------------------------------------

def test_accept_vector_from_the_seed_notes():
    assert accept_for(KEY) == ACCEPT == "W3UNJiLyRMXlwQ2lsHe8hNFegRU="


def test_classic_session_rows_from_handshake_to_teardown():
    s = Session()
    s.websocket_handshake(key=KEY)
    s.send(C2S, s.client.send_data("hello 你好"), dt=1.2)        # 8, 9
    s.send(S2C, s.server.send_data("hello 你好"))                # 10, 11
    s.send(C2S, s.client.close(1000, "bye"))                     # 12, 13
    s.send(S2C, s.server.close(1000, "bye"))                     # 14, 15
    s.teardown(first=S2C)                                        # 16-19
    r = analyze(s.packets())
    req, resp = len(upgrade_request()), len(upgrade_response())

    roles = [row.role for row in r.rows]
    assert roles[:7] == ["tcp-syn", "tcp-syn-ack", "tcp-handshake-ack", "ws-upgrade-request", "ack",
                         "ws-upgrade-response", "ack"]
    assert "ACK of #4" in r.label(5) and "upgrade request" in r.label(5)
    assert "accept key ✓" in r.label(6) and "101" in r.label(6)
    assert "ACK of #6" in r.label(7)
    assert "1/3" in r.label(1) and "2/3" in r.label(2) and "3/3" in r.label(3)
    # Relative seq/ack exactly as Wireshark shows them.
    assert [(row.seq, row.ack, row.length) for row in r.rows[:7]] == [
        (0, 0, 0), (0, 1, 0), (1, 1, 0), (1, 1, req), (1, 1 + req, 0), (1, 1 + req, resp), (1 + req, 1 + resp, 0)]

    assert r[8].role == "ws-data" and r[8].direction == C2S and "client" in r.label(8)
    assert "sends a text message (" in r.label(8)
    assert frames_of([r[8]]) == [(C2S, 1, True, len("hello 你好".encode()))]
    assert r[8].frames[0].masked and r[8].frames[0].mask_key is not None
    assert [m.text for m in r[8].messages] == ["hello 你好"]
    assert r[10].role == "ws-data" and [m.text for m in r[10].messages] == ["hello 你好"]
    assert not r[10].frames[0].masked
    assert "ACK of #8" in r.label(9) and "ACK of #10" in r.label(11)

    assert r[12].role == "ws-close" and "1/2" in r.label(12) and "1000" in r.label(12)
    assert (r[12].frames[0].close_code, r[12].frames[0].close_reason) == (1000, "bye")
    assert r[14].role == "ws-close" and "2/2" in r.label(14) and r[14].frames[0].close_code == 1000
    c = r.conn
    assert (c.close_code, c.close_reason, c.closed_by, c.state) == (1000, "bye", "client", "closed")
    assert c.accept_ok is True and c.is_websocket and c.uri == "/chat" and c.key == KEY

    # Four-packet teardown, started by the server as RFC 6455 7.1.1 wants.
    assert [row.role for row in r.rows[15:]] == ["tcp-fin", "tcp-fin-ack", "tcp-fin", "tcp-fin-ack"]
    assert r.label(16).startswith("teardown 1/4: server closes (FIN)")
    assert "no WebSocket Close frame" not in r.label(16)
    assert r.label(17).startswith("teardown 2/4")
    assert r.label(18).startswith("teardown 3/4: client closes too")
    assert r.label(19).startswith("teardown 4/4")
    assert (c.fin_by, c.end) == ("server", "fin")
    assert not r.notes() and not r.end_notes


def test_three_packet_teardown_fin_ack_form():
    s = Session()
    s.websocket_handshake()
    s.send(C2S, s.client.close(1001))
    s.send(S2C, s.server.close(1001))
    nos = s.teardown(first=C2S, three_way=True)
    r = analyze(s.packets())
    fin1, finack, last = (r[n] for n in nos)
    assert (fin1.role, finack.role, last.role) == ("tcp-fin", "tcp-fin", "tcp-fin-ack")
    assert r.label(fin1).startswith("teardown 1/4: client closes (FIN)")
    assert r.label(finack).startswith("teardown 2+3/4: server acknowledges the client's FIN and closes too")
    assert r.label(last).startswith("teardown 4/4: client acknowledges the server's FIN")
    assert r.conn.closed_by == "client" and r.conn.close_code == 1001


def test_fin_after_the_peers_fin_was_already_acked_is_3_of_4_not_2_plus_3():
    """A FIN,ACK sent after a separate ACK of the peer's FIN only closes: the ACK part is old news."""
    s = Session()
    s.websocket_handshake()
    nos = s.teardown(first=C2S)
    late = s.seg(C2S, "A", dt=0.5)           # a stray ACK after the teardown is no teardown step
    r = analyze(s.packets())
    assert [r.label(n).split(":")[0] for n in nos] == ["teardown 1/4", "teardown 2/4", "teardown 3/4",
                                                       "teardown 4/4"]
    assert "teardown" not in r.label(late)


# --- 2. wrong accept key -------------------------------------------------------------------------------------

def test_wrong_accept_key_is_noted_with_the_expected_value_and_frames_still_parse():
    s = Session()
    s.websocket_handshake(accept="dGhlIHNhbXBsZSBub25jZQ==")
    n1 = s.send(C2S, s.client.send_data("still"))[0]
    n2 = s.send(S2C, s.server.send_data(b"\x01\x02"))[0]
    r = analyze(s.packets())
    assert r[6].role == "ws-upgrade-response" and "✗" in r.label(6) and "✓" not in r.label(6)
    bad = r.notes("bad-accept")
    assert len(bad) == 1 and bad[0].no == 6 and ACCEPT in bad[0].text
    assert r.conn.accept_ok is False and r.conn.expected_accept == ACCEPT
    assert frames_of([r[n1]]) == [(C2S, 1, True, 5)] and frames_of([r[n2]]) == [(S2C, 2, True, 2)]


# --- 3. refused upgrade --------------------------------------------------------------------------------------

def test_refused_upgrade_parses_no_frames_in_either_direction():
    s = Session()
    s.handshake()
    s.send(C2S, upgrade_request())
    body = b"forbidden"
    n = s.send(S2C, b"HTTP/1.1 403 Forbidden\r\nContent-Length: %d\r\nContent-Type: text/plain\r\n\r\n%s"
               % (len(body), body))[0]
    # Bytes that would parse as frames if anyone looked for frames.
    later = s.send(C2S, s.client.send_data("sneaky")) + s.send(S2C, s.server.send_data("sneaky")) \
        + s.send(S2C, s.server.ping(b"x"))
    r = analyze(s.packets())
    assert r[n].role == "ws-upgrade-response"
    assert "refused" in r.label(n) and "403" in r.label(n)
    assert r.frames() == [] and r.messages() == []
    assert not any(row.role.startswith("ws-") for row in (r[k] for k in later))
    assert r.conn.is_websocket is False and r.conn.status == 403


# --- 4. segmentation -----------------------------------------------------------------------------------------

def test_101_and_first_server_frame_in_one_segment():
    s = Session()
    s.handshake()
    s.send(C2S, upgrade_request())
    n = s.send(S2C, upgrade_response() + s.server.send_data("welcome"))[0]
    r = analyze(s.packets())
    assert r[n].role == "ws-upgrade-response" and "accept key ✓" in r.label(n)
    assert frames_of([r[n]]) == [(S2C, 1, True, 7)] and [m.text for m in r[n].messages] == ["welcome"]
    assert r[n].frames[0].no == r[n].frames[0].first_no == n


def test_upgrade_request_split_over_three_segments():
    s = Session()
    s.handshake()
    a, b, c, ack = s.send(C2S, upgrade_request(), pieces=[7, 60])
    s.send(S2C, upgrade_response())
    r = analyze(s.packets())
    assert r[a].role == r[b].role == "http" and "later packet" in r.label(a)
    assert r[c].role == "ws-upgrade-request" and "/chat" in r.label(c)
    assert "ACK of #%d" % c in r.label(ack)
    assert r.conn.accept_ok is True and r.conn.is_websocket


def test_one_frame_over_many_segments():
    s = Session()
    s.websocket_handshake()
    payload = "x" * 300
    wire = s.client.send_data(payload)            # 16-bit length, masked: an 8-byte header
    nos = s.send(C2S, wire, pieces=[1, 2, 5, 8, 100, 250], ack=False)
    r = analyze(s.packets())
    assert len(nos) == 7
    assert all(r[n].frames == [] and r[n].role == "ws-data" for n in nos[:-1])
    assert all("later packet" in r.label(n) for n in nos[:-1])
    [f] = r[nos[-1]].frames
    assert (f.opcode, f.fin, f.length, f.payload, f.first_no, f.no) == (1, True, 300, payload.encode(), nos[0],
                                                                        nos[-1])
    assert [m.text for m in r[nos[-1]].messages] == [payload]


def test_many_frames_in_one_segment():
    s = Session()
    s.websocket_handshake()
    srv = s.server
    wire = srv.send_data("a") + srv.ping(b"p") + srv.send_data(b"\x00\x01", fin=False) + srv.pong(b"") \
        + srv.send_data(b"\x02") + srv.send_data("z" * 200)
    n = s.send(S2C, wire)[0]
    r = analyze(s.packets())
    assert frames_of([r[n]]) == [(S2C, 1, True, 1), (S2C, 9, True, 1), (S2C, 2, False, 2), (S2C, 10, True, 0),
                                 (S2C, 0, True, 1), (S2C, 1, True, 200)]
    assert [(m.opcode, m.data, m.frames) for m in r[n].messages] == [(1, b"a", 1), (2, b"\x00\x01\x02", 2),
                                                                      (1, b"z" * 200, 1)]
    assert r[n].role == "ws-data" and "3 messages" in r.label(n)


# --- 5. out of order -----------------------------------------------------------------------------------------

def test_out_of_order_segment_waits_for_the_hole_and_frame_completes_in_the_filler():
    s = Session()
    s.websocket_handshake()
    f1, f2 = s.client.send_data("first message"), s.client.send_data("second")
    s.seg(C2S, "PA", f1[:8])                  # item 7 (packet 8)
    s.seg(C2S, "PA", f1[8:])                  # item 8, will arrive last
    s.seg(C2S, "PA", f2)                      # item 9, arrives before its predecessor
    s.seg(S2C, "A")
    r = analyze(s.packets(order=[0, 1, 2, 3, 4, 5, 6, 7, 9, 8, 10]))
    assert r[8].frames == [] and r[8].role == "ws-data"
    early = r[9]
    assert early.frames == [] and early.role == "tcp-data" and "out of order" in r.label(early)
    assert [n.code for n in early.notes] == ["tcp-out-of-order"]
    filler = r[10]
    assert [(f.opcode, f.payload, f.first_no) for f in filler.frames] == [(1, b"first message", 8),
                                                                          (1, b"second", 9)]
    assert all(f.no == 10 for f in filler.frames)
    assert [m.text for m in r.messages(C2S)] == ["first message", "second"]      # each exactly once
    assert len(r.frames()) == 2


# --- 6. retransmissions --------------------------------------------------------------------------------------

def test_exact_retransmission_is_marked_and_not_parsed_again():
    s = Session()
    s.websocket_handshake()
    wire = s.client.send_data("once")
    seq = s.seq[C2S]
    first = s.seg(C2S, "PA", wire)
    again = s.seg(C2S, "PA", wire, seq=seq, dt=0.2)
    s.seg(S2C, "A")
    r = analyze(s.packets())
    assert r[again].role == "tcp-retransmission" and "retransmission" in r.label(again)
    assert r[again].frames == [] and r.notes("tcp-retransmission")
    assert len(r[first].frames) == 1 and len(r.frames()) == 1 and len(r.messages()) == 1


def test_partial_overlap_delivers_only_the_new_bytes():
    s = Session()
    s.websocket_handshake()
    wire = s.client.send_data("overlapping bytes")
    seq = s.seq[C2S]
    a = s.seg(C2S, "PA", wire[:10], seq=seq)
    b = s.seg(C2S, "PA", wire[4:], seq=seq + 4)        # 6 bytes again, then the rest
    s.seq[C2S] = seq + len(wire)
    s.seg(S2C, "A")
    nxt = s.send(C2S, s.client.send_data("next"))[0]
    r = analyze(s.packets())
    assert r[a].frames == []
    assert [(f.payload, f.first_no, f.no) for f in r[b].frames] == [(b"overlapping bytes", a, b)]
    assert "6 bytes" in r.notes("tcp-overlap")[0].text
    assert [m.text for m in r.messages()] == ["overlapping bytes", "next"]
    assert r[nxt].seq == 1 + len(upgrade_request()) + len(wire)


# --- 7. bytes missing from the capture -----------------------------------------------------------------------

def test_hole_inside_a_payload_is_skipped_and_framing_resumes():
    """The capture lost 40 bytes in the middle of a server frame; the client's ACK proves they were sent."""
    s = Session()
    s.websocket_handshake()
    big, after = s.server.send_data("A" * 100), s.server.send_data("after the hole")
    s.seg(S2C, "PA", big[:30])                         # 8
    s.seq[S2C] += 40                                   # never captured
    s.seg(S2C, "PA", big[70:] + after)                 # 9: held, a hole before it
    ack = s.seg(C2S, "A")                              # 10: acknowledges everything
    c1 = s.send(C2S, s.client.send_data("client still parsed"))[0]
    s1 = s.send(S2C, s.server.send_data("later"))[0]
    r = analyze(s.packets())
    missing = r.notes("tcp-missing-bytes")
    assert len(missing) == 1 and "40 bytes missing" in missing[0].text and missing[0].no == ack
    # The ACK stays an ACK, from the client; the server frames it completed are listed on it.
    assert r[ack].role == "ack" and r.label(ack).startswith("ACK of #9")
    assert [(f.direction, f.opcode, f.length, f.payload_missing) for f in r[ack].frames] == [
        (S2C, 1, 100, 40, ), (S2C, 1, 14, 0)]
    assert r[ack].frames[1].payload == b"after the hole"
    assert r.notes("gap-in-payload") and not r.notes("gap-in-header")
    # Both directions go on parsing: the gap went to the server's parser, not the client's.
    assert [m.text for m in r[c1].messages] == ["client still parsed"]
    assert [m.text for m in r[s1].messages] == ["later"]
    assert all(f.opcode in VALID_OPCODES for f in r.frames())


def test_hole_where_a_header_was_stops_the_direction_without_misparsing():
    s = Session()
    s.websocket_handshake()
    f1, f2, f3 = (s.server.send_data(c * 10) for c in "ABC")
    s.seg(S2C, "PA", f1)                               # 8
    s.seq[S2C] += len(f2)                              # a whole frame lost
    s.seg(S2C, "PA", f3)                               # 9
    ack = s.seg(C2S, "A")                              # 10
    c1 = s.send(C2S, s.client.send_data("client side unharmed"))[0]
    s1 = s.send(S2C, s.server.send_data(b"\x81\x7f" * 20))[0]
    r = analyze(s.packets())
    assert r.notes("tcp-missing-bytes")[0].text.startswith("12 bytes missing")
    gap = r.notes("gap-in-header")
    assert len(gap) == 1 and gap[0].no == ack and gap[0].severity == "error"
    assert [(f.direction, f.payload) for f in r.frames()] == [(S2C, b"A" * 10), (C2S, b"client side unharmed")]
    assert r[s1].role == "tcp-data" and "lost" in r.label(s1) and "later packet" not in r.label(s1)
    assert [m.text for m in r[c1].messages] == ["client side unharmed"]


# --- 8. capture starting mid-connection ----------------------------------------------------------------------

def _mid_connection():
    s = Session(server=("10.0.0.2", 9002))
    s.send(C2S, s.client.send_data("hi there"))        # 1, 2
    s.send(S2C, s.server.send_data("yo"))              # 3, 4
    s.send(C2S, s.client.ping(b"x"))                   # 5, 6
    return s


def test_mid_connection_without_decode_as_is_plain_tcp_data():
    r = analyze(_mid_connection().packets())
    assert [(row.seq, row.ack) for row in r.rows[:4]] == [(1, 1), (1, 15), (1, 15), (15, 5)]
    assert r[1].role == "tcp-data" and r[3].role == "tcp-data" and r.frames() == []
    assert not r.notes("decode-as") and r.conn.is_websocket is False
    assert (r.conn.client.port, r.conn.server.port) == (51234, 9002)
    [hint] = r.notes("no-handshake")            # one hint per connection, though both directions lack HTTP
    assert hint.no == 1 and "--decode-as 9002" in hint.text


def test_tls_stream_is_named_as_such_not_offered_decode_as():
    # Joined mid-stream (no ClientHello): the records cannot be followed; one hint.
    s = Session(server=("10.0.0.2", 443))
    s.handshake()
    s.send(C2S, bytes.fromhex("1703030030") + bytes(48))     # a TLS 1.3 application data record
    r = analyze(s.packets())
    assert [n.code for n in r.notes() if n.code in ("tls", "no-handshake")] == ["tls"]
    assert "encrypted" in r.notes("tls")[0].text


def test_stream_opening_with_a_client_hello_is_taken_as_tls():
    s = Session(server=("10.0.0.2", 443))
    s.handshake()
    s.send(C2S, bytes.fromhex("160301020001000001fc0303") + bytes(40))     # a TLS ClientHello's start
    r = analyze(s.packets())
    assert not [n for n in r.notes() if n.code in ("tls", "no-handshake", "malformed")]
    assert r[4].role == "tls-data" and r[4].protocol == "TLS" and "TLS record" in r.label(4)


def test_mid_connection_with_decode_as_parses_frames():
    r = analyze(_mid_connection().packets(), decode_as=[9002])
    assert [(row.seq, row.ack) for row in r.rows[:4]] == [(1, 1), (1, 15), (1, 15), (15, 5)]
    assert [n.no for n in r.notes("decode-as")] == [1]
    assert frames_of(r.rows) == [(C2S, 1, True, 8), (S2C, 1, True, 2), (C2S, 9, True, 1)]
    assert r[5].role == "ws-control" and r[1].role == "ws-data"
    assert r.conn.decode_as is True and r.conn.is_websocket


# --- 9. IPv6, any port ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("linktype", [1, 101])
def test_ipv6_on_an_unusual_port_is_found_by_its_upgrade(linktype):
    s = Session(client=("2001:db8::1", 50000), server=("2001:db8::2", 40123), ipv6=True, linktype=linktype)
    s.websocket_handshake()
    n = s.send(C2S, s.client.send_data("over v6"))[0]
    m = s.send(S2C, s.server.send_data("back"))[0]
    s.teardown(first=C2S)
    r = analyze(s.packets())
    assert [row.role for row in r.rows[:7]] == ["tcp-syn", "tcp-syn-ack", "tcp-handshake-ack",
                                                "ws-upgrade-request", "ack", "ws-upgrade-response", "ack"]
    assert r[n].src == "[2001:db8::1]:50000" and r[n].dst == "[2001:db8::2]:40123"
    assert [m_.text for m_ in r[n].messages] == ["over v6"] and [m_.text for m_ in r[m].messages] == ["back"]
    assert r.conn.server.port == 40123 and r.conn.accept_ok


# --- 10. the end of a connection without a Close frame ------------------------------------------------------

def test_server_drops_an_idle_connection_without_close_frame():
    s = Session()
    s.websocket_handshake()
    s.send(S2C, s.server.send_data("last words"))
    fin = s.teardown(first=S2C, dt=30.0)[0]
    r = analyze(s.packets())
    assert r[fin].role == "tcp-fin"
    assert r.label(fin) == ("teardown 1/4: server closes (FIN) — no WebSocket Close frame was sent: "
                            "the server dropped an idle connection after 30.0 s")
    [note] = r.notes("close-without-close-frame")
    assert note.no == fin and "30.0 s" in note.text and "server" in note.text
    assert r.conn.closed_by is None and r.conn.fin_by == "server"
    assert (r.conn.end, r.conn.state, r.conn.close_code) == ("fin", "closed", None)


def _idle_drop_after_keepalive(ping_payload: bytes):
    """The lab with `python -m websockets` as the client: a message and its echo, then the client library's
    keepalive ping 20 s after the opening, its pong, and the server's idle drop 30 s after the message."""
    s = Session()
    s.websocket_handshake()
    s.send(C2S, s.client.send_data("hello"), dt=1.8)
    s.send(S2C, s.server.send_data("hello"))
    ping = s.send(C2S, s.client.ping(ping_payload), dt=18.2, ack=False)[0]
    pong = s.send(S2C, s.server.pong(ping_payload))[0]
    fin = s.teardown(first=S2C, dt=11.8)[0]
    return s, ping, pong, fin


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_idle_drop_counts_from_the_last_message_and_names_the_keepalive(lang):
    s, ping, pong, fin = _idle_drop_after_keepalive(b"\x8a\x13\xfe\x02")
    r = analyze(s.packets(), lang=lang)
    [note] = r.notes("close-without-close-frame")
    why = note.args["why"]
    assert (why["idle"], why["ping"]) == ("30.0", "11.8")        # both times, as arguments of the record
    assert why["keepalive"] == {"id": "note_part.keepalive", "side": "client"}
    assert r[ping].role == r[pong].role == "ws-control" and r[fin].role == "tcp-fin"
    if lang == "en":
        assert r.label(ping) == "client pings (payload: 4 bytes): by its pattern, the client library's automatic " \
                                "keepalive"
        assert r.label(fin).endswith("the server dropped an idle connection 30.0 s after the last data message "
                                     "(11.8 s after the last ping/pong, the client library's automatic keepalive)")
        assert note.text.startswith("server closed TCP without a WebSocket Close frame 30.0 s after the last data "
                                    "message (11.8 s after the last ping/pong, the client library's automatic")
    else:
        assert r.label(ping) == "客户端发送 Ping（载荷：4 字节）：从模式看，是客户端 WebSocket 库自动发送的保活 Ping"
        assert "最后一条数据消息之后 30.0 秒" in r.label(fin) and "距最后一次 Ping/Pong 11.8 秒" in r.label(fin)
        assert "客户端 WebSocket 库自动发送的保活" in r.label(fin)
        assert "30.0 秒" in note.text and "11.8 秒" in note.text
    assert r.conn.fin_by == "server" and r.conn.closed_by is None


def test_a_chosen_ping_is_not_called_a_keepalive_but_still_timed():
    # "ping" is 4 bytes a person chose, not a timer's random ones: an ordinary ping, yet the times stay apart.
    s, ping, pong, fin = _idle_drop_after_keepalive(b"ping")
    r = analyze(s.packets())
    assert r.label(ping) == "client pings (payload: 4 bytes) to check the peer is alive"
    assert r.label(fin).endswith("30.0 s after the last data message (11.8 s after the last ping/pong)")
    assert r.notes("close-without-close-frame")[0].args["why"]["keepalive"] == ""


def test_keepalive_pings_at_a_regular_interval_only():
    # websockets pings every 20 s from the opening; a 4-byte ping off that beat is not called a keepalive.
    s = Session()
    s.websocket_handshake()
    s.send(C2S, s.client.send_data("hi"))
    beats = [s.send(C2S, s.client.ping(bytes([0x90 + i, 0, 0xff, i])), dt=20.0)[0] for i in range(3)]
    off = s.send(C2S, s.client.ping(b"\x01\x02\x03\x04"), dt=3.0)[0]
    r = analyze(s.packets())
    assert all("automatic keepalive" in r.label(no) for no in beats)
    assert "automatic keepalive" not in r.label(off)


def test_rst_instead_of_fin():
    s = Session()
    s.websocket_handshake()
    s.send(S2C, s.server.send_data("bye?"))
    rst = s.seg(C2S, "R")
    r = analyze(s.packets())
    assert r[rst].role == "tcp-rst" and "RST" in r.label(rst) and "no WebSocket Close frame" in r.label(rst)
    assert (r.conn.end, r.conn.state) == ("rst", "reset")
    assert [n.code for n in r[rst].notes] == ["close-without-close-frame"]


@pytest.mark.parametrize("how", ["bad-accept", "missing-accept", "refused", "refused-rst"])
def test_a_failed_handshake_ends_without_a_close_frame_warning(how):
    """A wrong or missing Sec-WebSocket-Accept makes the client drop the connection (RFC 6455 4.1), a non-101
    answer opens nothing: no WebSocket was ever open, so no Close frame is missing at the teardown."""
    s = Session()
    s.handshake()
    s.send(C2S, upgrade_request())
    if how == "bad-accept":
        s.send(S2C, upgrade_response(accept="AAAAAAAAAAAAAAAAAAAAAAAAAAA="))
    elif how == "missing-accept":
        s.send(S2C, upgrade_response().replace(b"Sec-WebSocket-Accept: " + ACCEPT.encode() + b"\r\n", b""))
    else:
        s.send(S2C, b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
    end = s.seg(C2S, "R") if how.endswith("rst") else s.teardown(C2S)[0]
    r = analyze(s.packets())
    assert r.notes(how) if how.endswith("accept") else r.notes("upgrade-refused")
    assert not r.notes("close-without-close-frame")
    assert "Close frame" not in r.label(end)
    assert not r.conn.close_expected


def test_a_good_handshake_still_expects_a_close_frame():
    s = Session()
    s.websocket_handshake()
    fin = s.teardown(C2S)[0]
    r = analyze(s.packets())
    assert r.conn.close_expected and [n.code for n in r[fin].notes] == ["close-without-close-frame"]


def _switch_not_requested(request: bytes) -> tuple:
    s = Session()
    s.handshake()
    s.send(C2S, request)
    switch = s.send(S2C, upgrade_response(accept_for(KEY)) + b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")[0]
    s.send(C2S, b"GET /next HTTP/1.1\r\nHost: example.com\r\n\r\n")
    later = s.send(S2C, b"HTTP/1.1 204 No Content\r\n\r\n")[0]
    s.teardown(C2S)
    return s, switch, later


@pytest.mark.parametrize("request_", [
    b"POST /submit HTTP/1.1\r\nHost: example.com\r\nContent-Length: 5\r\n\r\nhello",
    b"GET /page HTTP/1.1\r\nHost: example.com\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n",
], ids=["post", "get-h2c"])
def test_a_101_to_a_request_without_upgrade_websocket_switches_nothing(request_):
    """A server must not switch to a protocol the request did not name (RFC 9110 7.8): the 101 is an error
    note, and the connection is read on as HTTP (the response after it, the next request and its answer)."""
    s, switch, later = _switch_not_requested(request_)
    r = analyze(s.packets())
    [note] = r.notes("upgrade-not-requested")
    assert note.no == switch and note.severity == "error"
    assert note.text.startswith("101 Switching Protocols answers " + request_.split(b"\r\n")[0].decode())
    assert not r.conn.is_websocket and not r.frames() and not r.notes("request-not-captured")
    assert r[switch].role == "http" and r[later].role == "http" and "204 No Content" in r.label(later)
    assert not r.notes("close-without-close-frame")


def test_a_101_with_no_request_captured_is_still_taken_at_its_word():
    """The request answered before (200), then a 101 whose request the capture lost: taken as it stands."""
    s = Session()
    s.handshake()
    s.send(C2S, b"GET /a HTTP/1.1\r\nHost: example.com\r\n\r\n")
    s.send(S2C, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    s.send(S2C, upgrade_response(accept_for(KEY)))
    s.send(S2C, s.server.send_data("hi"))
    r = analyze(s.packets())
    assert r.notes("request-not-captured") and not r.notes("upgrade-not-requested")
    assert r.conn.is_websocket and [m.text for m in r.messages(S2C)] == ["hi"]


# --- 11. permessage-deflate ----------------------------------------------------------------------------------

def _deflate(comp, text: str) -> bytes:
    out = comp.compress(text.encode()) + comp.flush(zlib.Z_SYNC_FLUSH)
    assert out.endswith(b"\x00\x00\xff\xff")
    return out[:-4]                          # RFC 7692 7.2.1: the sender strips the empty block's tail


def test_permessage_deflate_with_context_takeover():
    s = Session()
    s.websocket_handshake(extensions_offer="permessage-deflate; client_max_window_bits",
                          extensions="permessage-deflate")
    srv = zlib.compressobj(wbits=-15)
    first, second = "hello hello hello hello", "hello hello hello hello again"
    n1 = s.send(S2C, raw_frame(_deflate(srv, first), rsv1=True))[0]
    # The second message only makes sense with the first one's history (context takeover).
    n2 = s.send(S2C, raw_frame(_deflate(srv, second), rsv1=True))[0]
    cli = zlib.compressobj(wbits=-15)
    n3 = s.send(C2S, raw_frame(_deflate(cli, "héllo ✓"), rsv1=True, mask=b"\x11\x22\x33\x44"))[0]
    r = analyze(s.packets())
    assert "permessage-deflate" in r.label(6) and r.conn.extensions == "permessage-deflate"
    assert r.conn.deflate is not None
    msgs = [(m.direction, m.text, m.compressed, m.length) for n in (n1, n2, n3) for m in r[n].messages]
    assert msgs == [(S2C, first, True, len(first)), (S2C, second, True, len(second)),
                    (C2S, "héllo ✓", True, len("héllo ✓".encode()))]
    assert all(f.rsv == 0b100 for f in r.frames())
    assert "compressed" in r.label(n2)
    assert not r.notes()


# --- 12. packets that are not TCP, or broken ----------------------------------------------------------------

def test_malformed_packet_gets_a_row_and_analysis_continues():
    s = Session()
    s.websocket_handshake()
    bad = s.raw(ethernet(ipv4_packet("10.0.0.1", "10.0.0.2", 6, b"")[:12]))   # IPv4 header cut at 12 bytes
    n = s.send(C2S, s.client.send_data("still here"))[0]
    r = analyze(s.packets())
    assert r[bad].role == "malformed" and r[bad].conn is None
    [note] = r[bad].notes
    assert note.code == "malformed" and "IPv4" in note.text
    assert r.analyzer.summary.malformed == 1
    assert [m.text for m in r[n].messages] == ["still here"]


def test_udp_is_counted_but_gets_no_row():
    s = Session()
    s.websocket_handshake()
    udp = s.raw(ethernet(udp_packet("10.0.0.1", "10.0.0.53", 5353, 53, b"\x81\x05hello")))
    s.send(C2S, s.client.send_data("after udp"))
    r = analyze(s.packets())
    assert r[udp] is None
    summary = r.analyzer.summary
    assert (summary.other_packets, summary.packets, summary.tcp_packets) == (1, 10, 9)
    assert [m.text for m in r.messages()] == ["after udp"]


# --- 13. keep-alive HTTP first -------------------------------------------------------------------------------

def test_plain_http_exchange_before_the_upgrade_on_the_same_connection():
    s = Session()
    s.handshake()
    get = s.send(C2S, b"GET /index.html HTTP/1.1\r\nHost: example.com\r\n\r\n")[0]
    ok = s.send(S2C, b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello")[0]
    up = s.send(C2S, upgrade_request(path="/ws"))[0]
    sw = s.send(S2C, upgrade_response())[0]
    n = s.send(C2S, s.client.send_data("upgraded"))[0]
    r = analyze(s.packets())
    assert r[get].role == "http" and "GET /index.html" in r.label(get)
    assert r[ok].role == "http" and "200" in r.label(ok)
    assert r[up].role == "ws-upgrade-request" and "/ws" in r.label(up)
    assert r[sw].role == "ws-upgrade-response" and "✓" in r.label(sw)
    assert [m.text for m in r[n].messages] == ["upgraded"]
    assert r.conn.uri == "/ws"


# --- more situations the tests above brushed against --------------------------------------------------------

def test_client_frames_sent_before_the_101_are_parsed_once_it_arrives():
    """A client that does not wait for the 101: its frames are held, then listed at the 101 that made them
    WebSocket frames (the packet whose arrival completed them as frames)."""
    s = Session()
    s.handshake()
    req = s.send(C2S, upgrade_request() + s.client.send_data("eager"))[0]      # request and a frame together
    early = s.send(C2S, s.client.send_data("eager 2"))[0]
    sw = s.send(S2C, upgrade_response())[0]
    r = analyze(s.packets())
    assert r[req].role == "ws-upgrade-request" and r[req].frames == []
    assert r[early].role == "tcp-data" and "before the server answered" in r.label(early)
    assert r[sw].role == "ws-upgrade-response"
    assert [(f.direction, f.payload, f.first_no, f.no) for f in r[sw].frames] == [
        (C2S, b"eager", req, sw), (C2S, b"eager 2", early, sw)]


@pytest.mark.parametrize("end", ["fin-4", "fin-3", "fin-last-ack-missing", "rst"])
def test_port_reuse_starts_a_new_connection(end):
    s = Session()
    s.websocket_handshake()
    s.send(C2S, s.client.send_data("one"))
    if end == "rst":
        s.seg(C2S, "R")
    else:
        s.teardown(first=C2S, three_way=end == "fin-3")
        if end == "fin-last-ack-missing":
            s.items.pop()
    again = Session(isn=(777, 888), t0=s.t + 1)          # same addresses and ports, new ISNs
    again.websocket_handshake()
    again.send(C2S, again.client.send_data("two"))
    first_new = len(s.items) + 1
    s.items += again.items
    r = analyze(s.packets())
    assert r[first_new].role == "tcp-syn" and r[first_new].conn == 1 and r[first_new].seq == 0
    assert [(m.conn, m.text) for m in r.messages()] == [(0, "one"), (1, "two")]
    assert len(r.analyzer.summary.connections) == 2
    assert not r.notes("cap-connections")         # reusing a port is no sign of the connection cap


def test_one_ack_over_two_holes_declares_both():
    s = Session()
    s.websocket_handshake()
    f1, f2 = s.server.send_data("1" * 50), s.server.send_data("2" * 50)
    s.seg(S2C, "PA", f1[:10])
    s.seq[S2C] += 10                                   # hole 1, inside f1's payload
    s.seg(S2C, "PA", f1[20:30])
    s.seq[S2C] += 10                                   # hole 2, inside f1's payload too
    s.seg(S2C, "PA", f1[40:] + f2)
    ack = s.seg(C2S, "A")
    r = analyze(s.packets())
    assert [n.text.split(" (")[0] for n in r.notes("tcp-missing-bytes")] == ["10 bytes missing"] * 2
    assert [(f.length, f.payload_missing, f.no) for f in r[ack].frames] == [(50, 20, ack), (50, 0, ack)]
    assert r[ack].frames[1].payload == b"2" * 50


def test_hole_just_before_a_fin_is_declared_by_the_ack_of_the_fin():
    s = Session()
    s.websocket_handshake()
    wire = s.server.send_data("tail end " * 5)
    s.seg(S2C, "PA", wire[:20])
    s.seq[S2C] += len(wire) - 20                       # the last data segment never made it to the capture
    fin = s.seg(S2C, "FA")
    ack = s.seg(C2S, "A")                              # acknowledges all data and the FIN
    r = analyze(s.packets())
    [missing] = r.notes("tcp-missing-bytes")
    assert missing.no == ack and missing.text.startswith(f"{len(wire) - 20} bytes missing")
    [f] = r[ack].frames
    assert (f.direction, f.length, f.payload_missing) == (S2C, 45, len(wire) - 20)
    assert r[fin].role == "tcp-fin" and r[ack].role == "tcp-fin-ack"
    assert not r.end_notes


def test_frames_completed_only_at_the_end_of_the_capture_are_kept():
    """Data held behind a hole that no ACK ever declared: finish() gives up waiting, and the frames it then
    completes land in Analyzer.end_frames / end_messages instead of vanishing."""
    s = Session()
    s.websocket_handshake()
    big, after = s.server.send_data("A" * 100), s.server.send_data("after the hole")
    s.seg(S2C, "PA", big[:30])
    s.seq[S2C] += 40
    held = s.seg(S2C, "PA", big[70:] + after)
    r = analyze(s.packets())
    assert r.frames() == []
    a = r.analyzer
    assert [(f.length, f.payload_missing, f.no) for f in a.end_frames] == [(100, 40, held), (14, 0, held)]
    assert [m.data for m in a.end_messages][1:] == [b"after the hole"]
    assert [n.code for n in r.end_notes] == ["gap-in-payload"]
    assert r.conn.frames[S2C] == 2


def test_a_101_to_a_post_reads_in_every_view(tmp_path):
    import json
    from click.testing import CliRunner
    from wsdissect.cli import main
    s, _, _ = _switch_not_requested(b"POST /submit HTTP/1.1\r\nHost: example.com\r\nContent-Length: 0\r\n\r\n")
    path = tmp_path / "post101.pcap"
    path.write_bytes(s.pcap())
    for args in (["read", str(path), "--json"], ["read", str(path)], ["stats", str(path), "--json"]):
        res = CliRunner().invoke(main, args, env={"COLUMNS": "120"})
        assert res.exit_code == 0 and "Traceback" not in res.output, args
    recs = [json.loads(x) for x in CliRunner().invoke(main, ["read", str(path), "--json"]).output.splitlines()]
    assert recs[-1]["notes_by_code"] == {"upgrade-not-requested": 1}
    assert not any(r["type"] == "frame" for r in recs)


def test_a_broken_101_leaves_the_response_stream_reading_http():
    """A 101 without Upgrade: websocket opens nothing; the server's later bytes are HTTP again, not held back
    unparsed behind the 101 (which kept them in memory and promised 'completed in a later packet')."""
    s = Session()
    s.handshake()
    s.send(C2S, upgrade_request())
    s.send(S2C, b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n\r\n")
    s.send(C2S, b"GET /next HTTP/1.1\r\nHost: example.com\r\n\r\n")
    later = s.send(S2C, b"HTTP/1.1 204 No Content\r\n\r\n")[0]
    r = analyze(s.packets())
    assert r.notes("missing-upgrade-header") and not r.conn.is_websocket
    assert r[later].role == "http" and "204 No Content" in r.label(later)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_ping_s_gloss_explains_and_does_not_read_as_its_payload(lang):
    # The payload is whatever the peer chose (the demo's is "are you there?"); the label gives its size as the
    # payload's and explains what a ping is for, with no quoted question that could pass for the payload.
    s = Session()
    s.websocket_handshake()
    ping = s.send(C2S, s.client.ping(b"are you there?"), ack=False)[0]
    pong = s.send(S2C, s.server.pong(b"are you there?"))[0]
    r = analyze(s.packets(), lang=lang)
    label = r.label(ping)
    assert r[ping].role == "ws-control" and [f.payload for f in r[ping].frames] == [b"are you there?"]
    assert ("(payload: 14 bytes)" in label) if lang == "en" else ("（载荷：14 字节）" in label)
    assert "?" not in label and "？" not in label and "“" not in label and '"' not in label
    assert r[pong].role == "ws-control"
