"""`wsdissect show FILE N`: golden files of the details view, and what it must say about chosen packets.

Golden files live in tests/golden/details/; WSDISSECT_UPDATE_GOLDEN=1 rewrites them (then read the diff).
"""
from __future__ import annotations

import difflib
import io
import os
import re

import pytest
from click.testing import CliRunner
from rich.console import Console

from conftest import ROOT
from wsdissect.cli import main
from wsdissect.render.details import PacketOutOfRange, UnknownField, render_details

GOLDEN = os.path.join(ROOT, "tests", "golden")
CAP = os.path.join(ROOT, "captures")
ENV = {"COLUMNS": "80", "LINES": "25", "NO_COLOR": "1", "TERM": "dumb"}


def cli(*args):
    return CliRunner().invoke(main, list(args), env=ENV, catch_exceptions=False)


def check_golden(name: str, text: str) -> None:
    path = os.path.join(GOLDEN, name)
    if os.environ.get("WSDISSECT_UPDATE_GOLDEN") == "1":
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return
    assert os.path.exists(path), f"no golden file {path}: run with WSDISSECT_UPDATE_GOLDEN=1 to create it"
    with open(path, encoding="utf-8") as f:
        want = f.read()
    if text != want:
        diff = "".join(difflib.unified_diff(want.splitlines(True), text.splitlines(True), f"golden/{name}",
                                            "output"))
        pytest.fail(f"output differs from golden/{name} (WSDISSECT_UPDATE_GOLDEN=1 regenerates):\n{diff}")


def details(capture: str, no: int, field: str | None = None, width: int = 80) -> str:
    con = Console(file=io.StringIO(), width=width, color_system=None)
    render_details(con, os.path.join(CAP, capture), no, field=field)
    return con.file.getvalue()


CASES = [("echo.pcap", 1), ("echo.pcap", 4), ("echo.pcap", 6), ("echo.pcap", 8), ("echo.pcap", 14),
         ("echo.pcap", 17), ("deflate.pcap", 8), ("fragments-ping.pcap", 14), ("fragments-ping.pcap", 25),
         ("fragments-ping.pcap", 34), ("idle-timeout.pcap", 11), ("jsonrpc.pcap", 17), ("stomp.pcap", 15),
         ("graphql.pcap", 11), ("mqtt5.pcap", 18), ("mqtt.pcap", 8)]


@pytest.mark.parametrize("capture,no", CASES)
def test_golden(capture, no):
    proc = cli("show", os.path.join(CAP, capture), str(no))
    assert proc.exit_code == 0, proc.output
    check_golden(f"details/{capture[:-5]}-{no}.txt", proc.output)


@pytest.mark.parametrize("capture,no", CASES)
def test_fits_80_columns(capture, no):
    from rich.cells import cell_len
    for line in details(capture, no).splitlines():
        assert cell_len(line) <= 80, line


def test_accept_computation_on_the_101():
    out = details("echo.pcap", 6)
    key = "b30sChdxCWTfQkgxyoRlMg=="
    assert "Sec-WebSocket-Key" not in out.split("Hypertext")[1].split("Bytes")[0].split("\n")[0]
    assert f"key from the request:  {key}" in out
    assert f"{key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11" in out
    assert "SHA-1:  3251ff35582d8c03fe1eb6eb63e4b4b9a7557015" in out
    assert "base64:  MlH/NVgtjAP+HrbrY+S0uadVcBU=" in out
    assert "✓ matches" in out


def test_request_explains_the_key():
    out = details("echo.pcap", 4)
    assert "16 random bytes, base64; the server proves it read the request by hashing it" in out
    assert "the server must answer: MlH/NVgtjAP+HrbrY+S0uadVcBU=" in out
    assert "Sec-WebSocket-Version: 13" in out


def test_frame_bits_masking_key_and_unmasked_payload():
    out = details("echo.pcap", 8)
    assert "1... .... = FIN: 1" in out
    assert ".... 0001 = Opcode: 1 (text" in out
    assert "1... .... = MASK: 1" in out
    assert "Payload length: 5 (7-bit form" in out
    assert "Masking key: b0 61 89 af" in out
    assert "masked (as sent):  d8 04 e5 c3 df" in out
    assert "68 65 6c 6c 6f" in out and 'as text: "hello"' in out


def test_close_code_meaning():
    out = flat(details("fragments-ping.pcap", 34))
    assert "Close code: 1000 Normal Closure — the purpose of the connection has been fulfilled" in out
    assert 'Reason: "bye"' in out


def test_compressed_frame_shows_rsv1_and_inflated_message():
    out = details("deflate.pcap", 8)
    out = flat(out)
    assert "RSV1-3: 1 0 0 — RSV1 set: the payload is compressed" in out
    assert "compressed 122 → 432 bytes" in out


def flat(s: str) -> str:
    return " ".join(s.split())


def _marked_offsets(out: str) -> set:
    """Offsets marked with ^^ under the hex rows of a plain dump."""
    lines = out.splitlines()
    marked = set()
    for i, line in enumerate(lines[:-1]):
        m = re.match(r"^([0-9a-f]{4})  ", line)
        if not m or not lines[i + 1].lstrip().startswith("^"):
            continue
        base = int(m.group(1), 16)
        carets = lines[i + 1]
        for j in range(16):
            col = 6 + 3 * j + (1 if j >= 8 else 0)
            if carets[col:col + 2] == "^^":
                marked.add(base + j)
    return marked


def test_field_marks_the_right_bytes():
    # echo.pcap #8: Ethernet 14 + IPv4 20 + TCP 32 = 66; frame header at 66 (2 bytes), masking key at 68-71,
    # payload at 72-76.
    assert _marked_offsets(details("echo.pcap", 8, "ws.mask_key")) == {68, 69, 70, 71}
    assert _marked_offsets(details("echo.pcap", 8, "ws.payload")) == {72, 73, 74, 75, 76}
    assert _marked_offsets(details("echo.pcap", 8)) == set(range(66, 72))          # default: frame header
    assert _marked_offsets(details("echo.pcap", 8, "tcp.flags")) == {14 + 20 + 13}
    assert _marked_offsets(details("echo.pcap", 8, "ip.src")) == {26, 27, 28, 29}
    data = open(os.path.join(CAP, "echo.pcap"), "rb").read()
    out = details("echo.pcap", 4, "http.header.sec-websocket-key")
    offs = sorted(_marked_offsets(out))
    from wsdissect.sources.pcap import open_capture
    pkt = [p for p in open_capture(os.path.join(CAP, "echo.pcap")) if p.no == 4][0]
    assert pkt.data[offs[0]:offs[-1] + 1] == b"Sec-WebSocket-Key: b30sChdxCWTfQkgxyoRlMg=="
    assert offs == list(range(offs[0], offs[-1] + 1))
    assert data  # the file was read


def test_field_line_is_pointed_at_in_the_tree():
    out = details("echo.pcap", 8, "ws.mask_key")
    assert "> Masking key: b0 61 89 af" in out


def test_unknown_field_lists_the_fields():
    with pytest.raises(UnknownField) as e:
        details("echo.pcap", 8, "ws.nope")
    assert "ws.mask_key" in str(e.value)
    proc = cli("show", os.path.join(CAP, "echo.pcap"), "8", "--field", "ws.nope")
    assert proc.exit_code == 2


def test_packet_out_of_range_is_one_line_exit_2():
    with pytest.raises(PacketOutOfRange):
        details("echo.pcap", 23)
    proc = cli("show", os.path.join(CAP, "echo.pcap"), "23")
    assert proc.exit_code == 2
    assert proc.output.strip().count("\n") == 0 and "out of range" in proc.output and "22 packets" in proc.output
    proc = cli("show", os.path.join(CAP, "echo.pcap"), "0")
    assert proc.exit_code == 2


@pytest.mark.parametrize("args", [["{f}", "-1"], ["{f}", "-22"], ["-1", "{f}"], ["{f}", "-1", "--field", "tcp.flags"],
                                  ["{f}", "--", "-3"], ["{f}", "0"]])
def test_zero_or_negative_packet_number_is_one_line_exit_2(args):
    """Packet numbers are Wireshark's, from 1: `show F -1` is not an unknown option -1, nor the last packet,
    but one line saying where numbers start."""
    f = os.path.join(CAP, "echo.pcap")
    proc = cli("show", *[a.format(f=f) for a in args])
    assert proc.exit_code == 2
    assert proc.output.strip().count("\n") == 0, proc.output
    assert "packet numbers start at 1" in proc.output and "No such option" not in proc.output
    assert ("no counting from the end" in proc.output) == (args != ["{f}", "0"])


def test_an_option_value_that_looks_negative_is_still_the_option_s():
    proc = cli("show", os.path.join(CAP, "echo.pcap"), "3", "--width", "-1")
    assert proc.exit_code == 2 and "--width" in proc.output


def test_missing_file_is_exit_2(tmp_path):
    proc = cli("show", str(tmp_path / "nope.pcap"), "1")
    assert proc.exit_code == 2 and "no such file" in proc.output


def test_frame_split_across_packets(tmp_path):
    """A frame whose bytes start in one packet and end in the next: the second packet says where it began
    and dumps only its own bytes."""
    import sys
    sys.path.insert(0, os.path.join(ROOT, "tests"))
    from pcapbuild import ethernet, pcap_bytes, tcp_packet
    C, S, cp, sp = "10.0.0.1", "10.0.0.2", 40000, 80
    key = "dGhlIHNhbXBsZSBub25jZQ=="
    req = (f"GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode()
    resp = (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")
    payload = bytes(range(200))
    frame = bytes([0x82, 126]) + len(payload).to_bytes(2, "big") + payload     # server binary, 16-bit length
    cs, ss = 1000, 5000
    pkts = [
        (0.0, tcp_packet(C, S, cp, sp, cs, 0, "S")),
        (0.1, tcp_packet(S, C, sp, cp, ss, cs + 1, "SA")),
        (0.2, tcp_packet(C, S, cp, sp, cs + 1, ss + 1, "A")),
        (0.3, tcp_packet(C, S, cp, sp, cs + 1, ss + 1, "PA", req)),
        (0.4, tcp_packet(S, C, sp, cp, ss + 1, cs + 1 + len(req), "PA", resp)),
        (0.5, tcp_packet(S, C, sp, cp, ss + 1 + len(resp), cs + 1 + len(req), "PA", frame[:100])),
        (0.6, tcp_packet(S, C, sp, cp, ss + 1 + len(resp) + 100, cs + 1 + len(req), "PA", frame[100:])),
    ]
    f = tmp_path / "split.pcap"
    f.write_bytes(pcap_bytes([(ts, ethernet(p)) for ts, p in pkts]))
    con = Console(file=io.StringIO(), width=80, color_system=None)
    render_details(con, str(f), 6)
    first = flat(con.file.getvalue())
    assert "Payload length: 126, meaning: the real length follows in 2 bytes" in first
    assert "Extended payload length: 200 (16-bit extended form" in first
    assert "96 of 200 in this packet" in first
    con = Console(file=io.StringIO(), width=80, color_system=None)
    render_details(con, str(f), 7, field="ws.payload")
    second = con.file.getvalue()
    assert "frame began in #6" in second
    assert "Payload bytes 96-199 of 200 are in this packet" in second
    offs = sorted(_marked_offsets(second))
    assert offs == list(range(54, 54 + 104))          # Ethernet 14 + IPv4 20 + TCP 20, then 104 bytes


def test_emit_writes_plain_lines_itself_and_gives_recording_consoles_to_rich():
    """emit() writes plain text straight to the console's file (the same bytes rich would print, without rich
    splitting one Text of a whole view into lines); a recording console (--export) still goes through rich."""
    import io

    from rich.console import Console

    from wsdissect.render.details import View, emit
    lines = [("conn 0  a → b", "bold"), ([("↳ Text ", "green"), ("\"hi\"", "")], ""), ("", "")]
    plain = Console(file=io.StringIO(), color_system=None, width=80)
    calls = []
    plain.print = lambda *a, **k: calls.append(a)        # rich must not be asked
    emit(View(plain), lines)
    assert plain.file.getvalue() == "conn 0  a → b\n↳ Text \"hi\"\n\n" and not calls
    raw = io.BytesIO()
    ascii_file = io.TextIOWrapper(raw, encoding="ascii")
    emit(View(Console(file=ascii_file, color_system=None, width=80)), lines[:1])
    ascii_file.flush()
    assert raw.getvalue() == b"conn 0  a -> b\n"
    recording = Console(file=io.StringIO(), color_system=None, width=80, record=True)
    emit(View(recording), lines)
    assert recording.export_text() == "conn 0  a → b\n↳ Text \"hi\"\n\n"


def test_retransmission_shows_its_resent_bytes(tmp_path):
    """A retransmitted segment (and a keep-alive) gets one line saying its bytes were sent before, marked as
    tcp.payload, in the view's language."""
    import sys
    sys.path.insert(0, os.path.join(ROOT, "tests"))
    from pcapbuild import ethernet, pcap_bytes, tcp_packet
    C, S, cp, sp, cs, ss = "10.0.0.1", "10.0.0.2", 40000, 80, 1000, 5000
    req = b"GET /chat HTTP/1.1\r\nHost: x\r\n\r\n"
    pkts = [
        (0.0, tcp_packet(C, S, cp, sp, cs, 0, "S")),
        (0.1, tcp_packet(S, C, sp, cp, ss, cs + 1, "SA")),
        (0.2, tcp_packet(C, S, cp, sp, cs + 1, ss + 1, "A")),
        (0.3, tcp_packet(C, S, cp, sp, cs + 1, ss + 1, "PA", req)),
        (0.6, tcp_packet(C, S, cp, sp, cs + 1, ss + 1, "PA", req)),
    ]
    f = tmp_path / "resent.pcap"
    f.write_bytes(pcap_bytes([(ts, ethernet(p)) for ts, p in pkts]))
    for lang in ("en", "zh"):
        con = Console(file=io.StringIO(), width=100, color_system=None)
        render_details(con, str(f), 5, field="tcp.payload", lang=lang)
        out = con.file.getvalue()
        assert "retransmission" in out.lower() or "重传" in out
        assert sorted(_marked_offsets(out)) == list(range(54, 54 + len(req)))


def test_packet_over_ip_that_is_not_tcp(tmp_path):
    """A UDP datagram: its link and IP layers, then one line saying it is counted and not analysed."""
    import sys
    sys.path.insert(0, os.path.join(ROOT, "tests"))
    from pcapbuild import ethernet, pcap_bytes, udp_packet
    f = tmp_path / "udp.pcap"
    f.write_bytes(pcap_bytes([(0.0, ethernet(udp_packet("10.0.0.1", "10.0.0.2", 5353, 53, b"query")))]))
    for lang, words in (("en", "not TCP (UDP): counted, not analysed"), ("zh", "不是 TCP（UDP）：只统计，不分析")):
        con = Console(file=io.StringIO(), width=100, color_system=None)
        render_details(con, str(f), 1, lang=lang)
        out = con.file.getvalue()
        assert words in out and "10.0.0.1" in out
