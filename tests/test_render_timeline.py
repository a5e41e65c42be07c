"""The terminal timeline: hand-built rows in, text out (no analyzer needed)."""
from __future__ import annotations

import io

import pytest
from rich.cells import cell_len
from rich.console import Console

from wsdissect.model import (
    ACK, C2S, FIN, PSH, S2C, SYN, CaptureSummary, Connection, Endpoint, Frame, Message, Note, Row,
)
from conftest import SaidWords, said
from wsdissect.render.timeline import TimelinePrinter, clean

SAID = SaidWords()

T0 = 1_700_000_000.0


def make_conn(cid=0, client=("127.0.0.1", 57812), server=("127.0.0.1", 9002), **kw) -> Connection:
    return Connection(id=cid, client=Endpoint(*client), server=Endpoint(*server), saw_syn=True, **kw)


def make_row(no, dt, conn, direction, flags, role, label, info="", length=0, **kw) -> Row:
    if conn is None:
        src, dst = "192.0.2.1", "192.0.2.2"
    elif direction == C2S:
        src, dst = str(conn.client), str(conn.server)
    else:
        src, dst = str(conn.server), str(conn.client)
    return Row(no=no, ts=T0 + dt, conn=None if conn is None else conn.id, direction=direction, src=src, dst=dst,
               flags=flags, seq=0, ack=0, length=length, frame_len=length + 66, window=65535, role=role,
               label=said(label), info=info, **kw)


def make_frame(no, direction, opcode, payload=b"", *, fin=True, rsv=0, key=None, length=None, **kw) -> Frame:
    return Frame(no=no, first_no=no, conn=0, direction=direction, fin=fin, rsv=rsv, opcode=opcode,
                 masked=key is not None, mask_key=key, length=len(payload) if length is None else length,
                 payload=payload, **kw)


def console(width=80, **kw) -> Console:
    kw.setdefault("color_system", None)
    return Console(file=io.StringIO(), width=width, **kw)


def output(con: Console) -> str:
    return con.file.getvalue()


def handshake_rows(conn: Connection) -> list[Row]:
    return [
        make_row(1, 0.0, conn, C2S, SYN, "tcp-syn", "TCP handshake 1/3: client asks to connect (SYN)", "Seq=0"),
        make_row(2, 0.000021, conn, S2C, SYN | ACK, "tcp-syn-ack", "TCP handshake 2/3: server accepts (SYN, ACK)",
                 "Seq=0 Ack=1"),
        make_row(3, 0.000032, conn, C2S, ACK, "tcp-handshake-ack", "TCP handshake 3/3: connection open (ACK)",
                 "Seq=1 Ack=1"),
        make_row(4, 0.000182, conn, C2S, PSH | ACK, "ws-upgrade-request",
                 "WebSocket handshake 1/2: client asks to upgrade the connection", "GET /chat HTTP/1.1", length=223),
        make_row(5, 0.000194, conn, S2C, ACK, "ack", "ACK of #4 (upgrade request)", "Seq=1 Ack=224"),
        make_row(6, 0.000834, conn, S2C, PSH | ACK, "ws-upgrade-response",
                 "WebSocket handshake 2/2: server agrees (101)", "HTTP/1.1 101 Switching Protocols", length=129),
    ]


def upgrade(conn: Connection, **kw) -> None:
    """What the analyzer knows once the 101 has been parsed."""
    values = dict(is_websocket=True, method="GET", uri="/chat", host="127.0.0.1:9002", status=101,
                  offered_extensions="permessage-deflate; client_max_window_bits", accept_ok=True)
    values.update(kw)
    for name, value in values.items():
        setattr(conn, name, value)


def session(con: Console, **printer_kw) -> TimelinePrinter:
    """A small echo session: handshakes, a text message each way, a ping, the client's Close, a FIN."""
    conn = make_conn()
    printer = TimelinePrinter(con, labels=SAID, **printer_kw)
    for row in handshake_rows(conn):
        if row.role == "ws-upgrade-response":
            upgrade(conn)
        printer.row(row, conn)
    key = bytes.fromhex("37fa213d")
    printer.row(make_row(7, 1.2, conn, C2S, PSH | ACK, "ws-data", "client sends a text message",
                         'Text [FIN] [MASKED] "hello"', length=11,
                         frames=[make_frame(7, C2S, 0x1, b"hello", key=key)]), conn)
    printer.row(make_row(8, 1.2001, conn, S2C, PSH | ACK, "ws-data", "server sends a text message",
                         'Text [FIN] "hello"', length=7, frames=[make_frame(8, S2C, 0x1, b"hello")]), conn)
    printer.row(make_row(9, 1.2002, conn, C2S, ACK, "ack", "ACK of #8", "Seq=236 Ack=137"), conn)
    printer.row(make_row(10, 11.2, conn, S2C, PSH | ACK, "ws-control", "server pings", "Ping [FIN]", length=6,
                         frames=[make_frame(10, S2C, 0x9, b"\x8a\x01\x02\x03")]), conn)
    close = make_frame(11, C2S, 0x8, b"\x03\xe8bye", key=key, close_code=1000, close_reason="bye")
    printer.row(make_row(11, 12.0, conn, C2S, PSH | ACK, "ws-close",
                         "closing handshake 1/2: client says goodbye (Close 1000)", "Close [FIN] [MASKED]",
                         length=11, frames=[close]), conn)
    printer.row(make_row(12, 12.0001, conn, S2C, FIN | ACK, "tcp-fin",
                         "teardown 1/4: server closes (FIN) — no WebSocket Close frame was sent back",
                         "Seq=137 Ack=247",
                         notes=[Note(12, 0, "warning", "close-unanswered",
                                     "the server closed TCP without answering the Close frame")]), conn)
    conn.close_code, conn.close_reason, conn.closed_by, conn.end, conn.fin_by = 1000, "bye", "client", "fin", "server"
    conn.messages = {C2S: 1, S2C: 1}
    conn.bytes = {C2S: 245, S2C: 142}
    conn.notes = 1
    printer.summary(CaptureSummary(packets=12, tcp_packets=12, first_ts=T0, last_ts=T0 + 12.0001,
                                   connections=[conn], notes_by_code={"close-unanswered": 1},
                                   notes_by_severity={"warning": 1}))
    return printer


def assert_fits(text: str, width: int) -> None:
    for line in text.splitlines():
        assert cell_len(line) <= width, f"{cell_len(line)} cells: {line!r}"


# --- layout ---------------------------------------------------------------------------------------------

def test_session_fits_80_columns_and_reads_as_a_timeline():
    con = console()
    session(con)
    text = output(con)
    assert_fits(text, 80)
    lines = text.splitlines()
    assert lines[0] == "conn 0  127.0.0.1:57812 → 127.0.0.1:9002"
    assert lines[1].split() == ["No.", "Time", "Client↔Server", "Flags", "Proto", "Len", "Info"]
    # The row: number, time relative to the first packet, client port on the left and a turning arrow.
    row1 = next(line for line in lines if line.lstrip().startswith("1 "))
    assert row1.split()[:6] == ["1", "0.000000", "57812", "→", "9002", "SYN"]
    row2 = next(line for line in lines if line.lstrip().startswith("2 "))
    assert row2.split()[:7] == ["2", "0.000021", "57812", "←", "9002", "SYN,ACK", "TCP"]
    # At 80 columns the label has its own indented line right under the row.
    assert lines[lines.index(row1) + 1].strip() == "TCP handshake 1/3: client asks to connect (SYN)"
    assert lines[lines.index(row1) + 1].startswith(" " * 10)


def test_label_shares_the_line_at_160_columns():
    con = console(width=160)
    session(con)
    text = output(con)
    assert_fits(text, 160)
    row1 = next(line for line in text.splitlines() if line.lstrip().startswith("1 "))
    assert "Seq=0" in row1 and row1.endswith("TCP handshake 1/3: client asks to connect (SYN)")
    assert "Meaning" in text.splitlines()[1]


def test_long_info_and_labels_are_wrapped_to_the_width():
    conn = make_conn()
    con = console()
    printer = TimelinePrinter(con, labels=SAID)
    label = "teardown 1/4: server closes after 30.0 s idle — no WebSocket Close frame was sent; " * 2
    printer.row(make_row(1, 0, conn, S2C, FIN | ACK, "tcp-fin", label.strip(), "Seq=1 " + "x" * 200), conn)
    text = output(con)
    assert_fits(text, 80)
    assert "…" not in text
    flat = "".join(text.split())
    assert "Seq=1" + "x" * 200 in flat                                      # the Info was cut into pieces, whole
    assert " ".join(text.split()).count("no WebSocket Close frame was sent;") == 2   # the label was wrapped, whole


@pytest.mark.parametrize("width", [80, 100, 139])
def test_info_wraps_under_its_column_at_its_words(width):
    conn = make_conn()
    con = console(width)
    printer = TimelinePrinter(con, labels=SAID)
    info = "HTTP/1.1 101 Switching Protocols " + " ".join(f"part{i}" for i in range(20))
    printer.row(make_row(1, 0, conn, S2C, PSH | ACK, "ws-upgrade-response", "WebSocket handshake 2/2", info,
                         length=129), conn)
    lines = output(con).splitlines()[2:]
    assert_fits("\n".join(lines), width)
    col = lines[0].index("HTTP/1.1")
    info_lines = [lines[0]] + [line for line in lines[1:] if line.startswith(" " * col) and line[col] != " "]
    assert len(info_lines) >= 2
    # Continuation lines start under the Info column, words are whole, and the label comes after them all.
    assert " ".join(line[col:] for line in info_lines) == info
    assert lines[len(info_lines)].strip() == "WebSocket handshake 2/2"


def test_info_goes_under_the_indent_when_its_column_is_too_narrow():
    conn = make_conn()
    con = console(60)
    printer = TimelinePrinter(con, labels=SAID)
    printer.row(make_row(1, 0, conn, C2S, ACK, "ack", "ACK of #6 (101 reply): client got it",
                         "[ACK] Seq=195 Ack=204 Win=65536 Len=0"), conn)
    lines = output(con).splitlines()[2:]
    assert_fits("\n".join(lines), 60)
    assert lines[0].split()[-1] == "0"                                      # the row ends at Len
    assert lines[1] == " " * 17 + "[ACK] Seq=195 Ack=204 Win=65536 Len=0"
    assert lines[2].strip() == "ACK of #6 (101 reply): client got it"


def test_info_of_the_lab_capture_is_whole_at_80_columns():
    from click.testing import CliRunner
    from wsdissect.cli import main
    from conftest import ROOT
    import os
    out = CliRunner().invoke(main, ["read", os.path.join(ROOT, "captures", "idle-timeout.pcap"), "--width", "80"],
                             env={"NO_COLOR": "1", "TERM": "dumb"}).output
    assert_fits(out, 80)
    flat = " ".join(out.split())
    assert "HTTP/1.1 101 Switching Protocols" in flat and "Protoc…" not in out
    assert "[FIN, ACK] Seq=211 Ack=206 Win=65536 Len=0" in flat


def test_row_without_connection_shows_full_addresses():
    con = console()
    TimelinePrinter(con, labels=SAID).row(make_row(1, 0, None, None, 0, "malformed", "could not decode this packet",
                                      "IPv4 header truncated"), None)
    text = output(con)
    assert "192.0.2.1 → 192.0.2.2" in text and "could not decode this packet" in text
    assert "conn " not in text


def test_time_is_relative_to_the_first_packet_even_when_hidden():
    conn = make_conn()
    con = console()
    printer = TimelinePrinter(con, labels=SAID, show_acks=False)
    printer.row(make_row(1, 0, conn, C2S, ACK, "ack", "ACK of #0", "Seq=1"), conn)
    printer.row(make_row(2, 2.5, conn, C2S, PSH | ACK, "tcp-data", "data", "Len=3", length=3), conn)
    assert " 2.500000 " in output(con)


# --- beneath the row ------------------------------------------------------------------------------------

def test_frame_line_sits_under_its_row_with_opcode_mask_and_preview():
    con = console()
    session(con)
    lines = output(con).splitlines()
    row7 = next(i for i, line in enumerate(lines) if line.lstrip().startswith("7 "))
    assert lines[row7 + 1].strip() == "client sends a text message"
    assert lines[row7 + 2].strip() == '↳ Text [FIN] [MASKED key 37fa213d] 5 bytes "hello"'
    text = "\n".join(lines)
    assert '↳ Text [FIN] 5 bytes "hello"' in text                       # server frame: not masked
    assert "↳ Ping [FIN] 4 bytes 8a 01 02 03" in text                   # binary-looking ping: hex
    # A close code is never cut: when the line is full it moves, whole, to a line of its own.
    close = next(i for i, line in enumerate(lines) if "↳ Close" in line)
    assert lines[close].strip() == "↳ Close [FIN] [MASKED key 37fa213d] 5 bytes"
    assert lines[close + 1].strip() == '1000 Normal Closure "bye"'
    assert lines[close + 1].startswith(" " * 20)


def test_binary_fragment_and_compression_details():
    conn = make_conn()
    con = console()
    frames = [make_frame(1, C2S, 0x2, bytes(range(20)), fin=False, key=b"\x01\x02\x03\x04"),
              make_frame(1, C2S, 0x0, b"\xff\xfe", key=b"\x05\x06\x07\x08")]
    whole = Message(conn=0, direction=C2S, opcode=0x2, frames=2, first_no=1, last_no=1, compressed=False,
                    length=22, wire_length=22, data=bytes(range(20)) + b"\xff\xfe")
    deflated = make_frame(1, S2C, 0x1, b"\xaa" * 12, rsv=4)
    inflated = Message(conn=0, direction=S2C, opcode=0x1, frames=1, first_no=1, last_no=1, compressed=True,
                       length=96, wire_length=12, data=b"{" + b"a" * 94 + b"}", text="{" + "a" * 94 + "}")
    TimelinePrinter(con, labels=SAID).row(make_row(1, 0, conn, C2S, PSH | ACK, "ws-data", "two frames", "Binary",
                                      frames=frames + [deflated], messages=[whole, inflated]), conn)
    text = output(con)
    assert_fits(text, 80)
    flat = " ".join(text.split())
    assert "↳ Binary [no FIN] [MASKED key 01020304] 20 bytes 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f …" in flat
    assert "↳ Continuation [FIN] [MASKED key 05060708] 2 bytes ff fe" in flat
    assert "⇒ message complete: binary, 2 frames, 22 bytes: 00 01 02" in flat
    assert "↳ Text [FIN] [COMPRESSED] 12 bytes (deflated payload)" in flat
    assert '⇒ text message inflated 12 → 96 bytes: "{aaaa' in flat


def test_single_frame_message_is_not_repeated():
    conn = make_conn()
    con = console()
    message = Message(conn=0, direction=C2S, opcode=0x1, frames=1, first_no=1, last_no=1, compressed=False,
                      length=5, wire_length=5, data=b"hello", text="hello")
    TimelinePrinter(con, labels=SAID).row(make_row(1, 0, conn, C2S, PSH | ACK, "ws-data", "client message", "Text",
                                      frames=[make_frame(1, C2S, 0x1, b"hello")], messages=[message]), conn)
    text = output(con)
    assert text.count("hello") == 1 and "⇒" not in text


def test_payload_markup_and_control_characters_are_shown_literally():
    conn = make_conn()
    payload = "[bold]hi[/bold]\x1b[31m\x07\n\u202e!".encode()
    for kw in ({}, {"record": True}, {"color_system": "truecolor", "force_terminal": True}):
        con = console(**kw)
        note = Note(1, 0, "warning", "odd", "reason [red]x[/red]\r")
        TimelinePrinter(con, labels=SAID).row(make_row(1, 0, conn, C2S, PSH | ACK, "ws-data", "[italic]label",
                                                       "[b]info", frames=[make_frame(1, C2S, 0x1, payload)],
                                                       notes=[note]), conn)
        text = output(con)
        assert r'"[bold]hi[/bold]\x1b[31m\x07\n\u202e!"' in text
        assert "[italic]label" in text and "[b]info" in text and r"reason [red]x[/red]\r" in text
        assert "\x07" not in text and "\u202e" not in text and "\r" not in text
        if "force_terminal" not in kw:
            assert "\x1b" not in text


def test_clean_escapes_only_what_is_not_printable():
    assert clean("héllo 你好 {\"a\": 1}") == "héllo 你好 {\"a\": 1}"
    assert clean("a\tb\x00\x7f\u200b") == r"a\tb\x00\x7f\u200b"


def test_notes_carry_their_severity():
    conn = make_conn()
    con = console()
    notes = [Note(1, 0, "warning", "unmasked-client-frame", "client frame is not masked"),
             Note(1, 0, "error", "bad-opcode", "reserved opcode 0x3"),
             Note(1, 0, "chat", "ping", "keep-alive ping"),
             Note(1, 0, "note", "idle", "idle for 30.0 s")]
    TimelinePrinter(con, labels=SAID).row(make_row(1, 0, conn, C2S, PSH | ACK, "ws-data", "client message", "Text",
                                      notes=notes), conn)
    text = output(con)
    assert "⚠ [warning] client frame is not masked (unmasked-client-frame)" in text
    assert "✖ [error] reserved opcode 0x3 (bad-opcode)" in text
    assert "· [chat] keep-alive ping" in text
    assert "• [note] idle for 30.0 s" in text


def test_handshake_line_says_what_was_negotiated():
    con = console()
    conn = make_conn()
    printer = TimelinePrinter(con, labels=SAID)
    for row in handshake_rows(conn):
        if row.role == "ws-upgrade-response":
            upgrade(conn, origin="http://localhost:8000", subprotocol="chat")
        printer.row(row, conn)
    text = output(con)
    assert_fits(text, 80)
    flat = " ".join(text.split())
    for part in ("WebSocket open: GET /chat", "Host: 127.0.0.1:9002", "Origin: http://localhost:8000",
                 "subprotocol: chat", "deflate offered, declined", "accept key ✓"):
        assert part in flat
    lines = text.splitlines()
    label6 = next(i for i, line in enumerate(lines) if "WebSocket handshake 2/2" in line)
    assert "WebSocket open" in lines[label6 + 1]               # right after the row and its label


def test_handshake_line_flags_a_bad_accept_key_and_shows_extensions():
    con = console()
    conn = make_conn()
    printer = TimelinePrinter(con, labels=SAID)
    for row in handshake_rows(conn):
        if row.role == "ws-upgrade-response":
            upgrade(conn, extensions="permessage-deflate", accept_ok=False, accept="AAAA",
                    expected_accept="s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        printer.row(row, conn)
    text = " ".join(output(con).split())
    assert "extensions: permessage-deflate" in text and "declined" not in text
    assert "accept key ✗" in text and "expected s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" in text and "got AAAA" in text


def test_refused_upgrade_says_so():
    con = console()
    conn = make_conn()
    printer = TimelinePrinter(con, labels=SAID)
    for row in handshake_rows(conn):
        if row.role == "ws-upgrade-response":
            conn.status = 403
        printer.row(row, conn)
    assert "not upgraded: the server answered HTTP 403" in output(con)


# --- filtering and headers -------------------------------------------------------------------------------

def test_hide_acks_skips_bare_acks_but_keeps_acks_with_notes():
    conn = make_conn()
    con = console()
    printer = TimelinePrinter(con, labels=SAID, show_acks=False)
    printer.row(make_row(1, 0, conn, C2S, ACK, "ack", "ACK of #0 (bare)", "Seq=1 Ack=1"), conn)
    printer.row(make_row(2, 0.1, conn, S2C, ACK, "ack", "ACK of #1 (noted)", "Seq=1 Ack=1",
                         notes=[Note(2, 0, "warning", "dup-ack", "duplicate ACK")]), conn)
    printer.row(make_row(3, 0.2, conn, C2S, PSH | ACK, "ws-data", "client message", "Text", length=7), conn)
    text = output(con)
    assert "(bare)" not in text
    assert "ACK of #1 (noted)" in text and "duplicate ACK" in text and "client message" in text

    shown = console()
    TimelinePrinter(shown, labels=SAID).row(make_row(1, 0, conn, C2S, ACK, "ack", "ACK of #0 (bare)", "Seq=1"), conn)
    assert "(bare)" in output(shown)


def test_connection_header_appears_once_per_connection():
    a = make_conn(0)
    b = make_conn(1, client=("10.0.0.5", 40000), server=("10.0.0.9", 80))
    con = console()
    printer = TimelinePrinter(con, labels=SAID)
    for i, conn in enumerate([a, b, a, b, a]):
        printer.row(make_row(i + 1, i, conn, C2S, ACK, "ack", f"ACK {i}", "Seq=1"), conn)
    text = output(con)
    assert text.count("conn 0  127.0.0.1:57812 → 127.0.0.1:9002") == 1
    assert text.count("conn 1  10.0.0.5:40000 → 10.0.0.9:80") == 1
    assert text.count("No.") == 1
    assert text.index("conn 1") > text.index("ACK 0")        # introduced just before its first row


def test_mid_connection_start_is_pointed_out():
    conn = make_conn()
    conn.saw_syn = False
    con = console()
    TimelinePrinter(con, labels=SAID).row(make_row(1, 0, conn, C2S, PSH | ACK, "tcp-data", "data", "Len=3",
                                                   length=3), conn)
    assert "capture began mid-connection" in output(con)


# --- summary --------------------------------------------------------------------------------------------

def test_summary_names_close_codes_and_missing_close_frames():
    con = console()
    clean_close = make_conn(0, is_websocket=True, uri="/chat", close_code=1001, closed_by="server", end="fin")
    abrupt = make_conn(1, client=("10.0.0.5", 40000), server=("10.0.0.9", 80), is_websocket=True, uri="/",
                       end="fin", fin_by="client", notes=2)
    reset = make_conn(2, client=("10.0.0.6", 40001), server=("10.0.0.9", 80), is_websocket=True, uri="/",
                      end="rst")
    still_open = make_conn(3, client=("10.0.0.7", 40002), server=("10.0.0.9", 80), is_websocket=True, uri="/")
    abrupt.messages = {C2S: 3, S2C: 4}
    abrupt.bytes = {C2S: 300, S2C: 400}
    summary = CaptureSummary(packets=40, tcp_packets=38, other_packets=1, malformed=1, first_ts=T0,
                             last_ts=T0 + 31.5, connections=[clean_close, abrupt, reset, still_open],
                             notes_by_code={"gap": 1, "unmasked-client-frame": 3},
                             notes_by_severity={"warning": 4},
                             caps=["kept the first 64 KiB of each message"],
                             capture_notes=[Note(None, None, "warning", "truncated-file", "file ends mid-record")])
    TimelinePrinter(con, labels=SAID).summary(summary)
    text = output(con)
    assert_fits(text, 80)
    flat = " ".join(text.split())
    assert "40 packets over 31.500000 s: 38 TCP, 1 other (not shown), 1 malformed; 4 connections" in flat
    assert "closed by server: 1001 Going Away" in flat
    assert "closed without a WebSocket Close frame" in flat
    assert "TCP ended with FIN (first from the client)" in flat
    assert "client → server: 3 messages; 300 bytes of TCP payload" in flat
    assert "server → client: 4 messages; 400 bytes of TCP payload" in flat
    assert "2 notes" in flat
    assert "TCP ended with RST" in flat
    assert "TCP still open at the end of the capture" in flat
    assert text.index("unmasked-client-frame") < text.index("gap")       # most frequent first
    assert "kept the first 64 KiB of each message" in flat
    assert "⚠ [warning] file ends mid-record (truncated-file)" in flat
    # Ended connections without a Close frame get the remark; the one still open does not.
    assert flat.count("without a WebSocket Close frame") == 2             # abrupt + reset (no Close either)


def test_session_summary_mentions_the_close():
    con = console()
    session(con)
    flat = " ".join(output(con).split())
    assert "closed by client: 1000 Normal Closure \"bye\"" in flat
    assert "without a WebSocket Close frame" not in flat.split("Summary:")[1]


# --- colour, encodings, output paths --------------------------------------------------------------------

def test_colour_only_on_a_colour_terminal(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    coloured = console(color_system="truecolor", force_terminal=True)
    session(coloured)
    assert "\x1b[" in output(coloured)
    assert "colours:" in output(coloured)                     # the legend, only when there are colours

    piped = Console(file=io.StringIO(), width=80)             # a StringIO is not a terminal
    session(piped)
    assert "\x1b" not in output(piped) and "colours:" not in output(piped)

    monkeypatch.setenv("NO_COLOR", "1")
    no_color = Console(file=io.StringIO(), width=80, force_terminal=True, color_system="truecolor")
    session(no_color)
    assert "\x1b" not in output(no_color)


@pytest.mark.parametrize("colour", [None, "256", "truecolor"])
def test_fast_path_writes_what_rich_would(colour):
    """Writing straight to the file must give the same bytes as going through rich."""
    direct = console(color_system=colour, force_terminal=colour is not None)
    session(direct)
    through_rich = console(color_system=colour, force_terminal=colour is not None, record=True)
    session(through_rich)
    assert output(direct) == output(through_rich)


def test_capture_and_quiet_are_respected():
    con = console()
    with con.capture() as captured:
        session(con)
    assert "conn 0" in captured.get() and output(con) == ""

    quiet = console(quiet=True)
    session(quiet)
    assert output(quiet) == ""


def test_ascii_console_gets_ascii_only():
    raw = io.BytesIO()
    file = io.TextIOWrapper(raw, encoding="ascii", newline="\n")
    con = Console(file=file, width=80, color_system=None)
    conn = make_conn()
    printer = TimelinePrinter(con, labels=SAID)
    for row in handshake_rows(conn):
        if row.role == "ws-upgrade-response":
            upgrade(conn)
        printer.row(row, conn)
    printer.row(make_row(7, 1, conn, C2S, PSH | ACK, "ws-data", "client says hi — politely", "Text",
                         frames=[make_frame(7, C2S, 0x1, "hello 你好".encode(), key=b"\x01\x02\x03\x04")],
                         notes=[Note(7, 0, "error", "x", "bad ✗")]), conn)
    file.flush()
    text = raw.getvalue().decode("ascii")                     # it did encode: nothing outside ASCII
    assert_fits(text, 80)
    assert "57812 -> 9002" in text and "57812 <- 9002" in text
    assert "accept key ok" in text
    assert r'-> Text [FIN] [MASKED key 01020304] 12 bytes "hello \u4f60\u597d"' in " ".join(text.split())
    assert "client says hi -- politely" in text
    assert "x [error] bad BAD (x)" in text


def test_rows_are_printed_as_they_come_and_live_flushes():
    class CountingFile(io.StringIO):
        flushes = 0

        def flush(self):
            CountingFile.flushes += 1
            super().flush()

    conn = make_conn()
    file = CountingFile()
    con = Console(file=file, width=80, color_system=None)
    printer = TimelinePrinter(con, labels=SAID, live=True)
    printer.row(handshake_rows(conn)[0], conn)
    assert "client asks to connect" in file.getvalue()       # no waiting for the end of the capture
    assert CountingFile.flushes >= 1


def test_rows_go_through_rich_while_a_live_display_runs():
    """A spinner (console.status) redraws itself: rows must reach it through console.print, not around it."""
    con = console(force_terminal=True, color_system="standard")
    printed = []
    original = con.print

    def spy(*args, **kwargs):
        printed.extend(str(a) for a in args)
        return original(*args, **kwargs)

    conn = make_conn()
    printer = TimelinePrinter(con, labels=SAID)
    with con.status("capturing"):
        con.print = spy
        printer.row(handshake_rows(conn)[0], conn)
        con.print = original
    assert any("client asks to connect" in p for p in printed)
    printed.clear()
    con.print = spy
    printer.row(handshake_rows(conn)[1], conn)               # no display any more: straight to the file
    assert printed == [] and "server accepts" in output(con)


def test_protocol_column_as_tshark_names_it_and_info_without_a_repeated_prefix():
    from wsdissect.analyzer import Analyzer
    from wsdissect.sources.pcap import open_capture
    from conftest import ROOT
    import os
    con = console()
    printer = TimelinePrinter(con, labels=SAID)
    a = Analyzer()
    for raw in open_capture(os.path.join(ROOT, "captures", "echo.pcap")):
        row = a.feed(raw)
        printer.row(row, a.connections[row.conn])
    rows = {int(line.split()[0]): line for line in output(con).splitlines() if line[:5].strip().isdigit()}
    # No. Time client-port arrow server-port Flags Proto Len Info
    assert rows[1].split()[6] == "TCP" and rows[4].split()[6] == "HTTP" and rows[6].split()[6] == "HTTP"
    assert rows[8].split()[6] == "WS"
    assert " Text [FIN] [MASKED]" in rows[8] and "WebSocket Text" not in rows[8]


def test_wrapping_under_an_indent_wider_than_the_line_keeps_empty_words():
    # A label with a double space, under the 17-cell indent on a terminal narrower than that indent: the empty
    # "word" between the spaces used to chop into no piece at all (IndexError, a traceback). At a break it is
    # dropped, as the spaces are: no line of its own.
    from wsdissect.render.timeline import _pack
    lines = _pack(["ab", "", "cd"], 10, " " * 17, " " * 17, " ")
    assert [line.strip() for line in lines] == ["ab", "cd"]
    assert _pack([""], 10, " " * 17, " " * 17, " ") == [" " * 17]
