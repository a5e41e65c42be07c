"""`wsdissect worksheet`: the answers come from the capture, checked against independent computation (hashlib for
the accept key, tshark's raw sequence numbers), and a student's answer file is marked."""
import base64
import hashlib
import html.parser
import os
import subprocess
import sys

import pytest

from conftest import BUNDLED, ROOT, SHARED, needs_tshark, tshark
from sessionbuild import KEY, ACCEPT, Session, raw_frame
from test_live import needs_root
from wsdissect.model import C2S, S2C
from wsdissect.sources.pcap import open_capture
from wsdissect.worksheet import QUESTIONS, NoConnection, build, mark, parse_answers

WS_CAPTURES = [p for p in BUNDLED if os.path.basename(p) != "busy.pcap"]
ECHO = os.path.join(ROOT, "captures", "echo.pcap")
IDLE = os.path.join(ROOT, "captures", "idle-timeout.pcap")


def sheet_of(path):
    """The worksheet of a capture, or a skip when it holds no TCP connection."""
    try:
        return build(open_capture(path))
    except NoConnection:
        pytest.skip("no TCP connection in this capture")


def cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "wsdissect", "worksheet", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=120)


def test_accept_from_the_seed_key():
    s = Session()
    s.websocket_handshake()
    s.send(C2S, raw_frame(b"hi", mask=b"\x01\x02\x03\x04"))
    w = build(s.packets())
    assert w.accept[0] == KEY + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
    assert w.answers()["sec_websocket_accept"] == ACCEPT
    assert w.answers()["mask_key"] == "01020304"
    assert bytes.fromhex(w.answers()["first_bytes"]) == b"hi"
    assert w.masked == bytes([ord("h") ^ 1, ord("i") ^ 2])


@pytest.mark.parametrize("path", WS_CAPTURES + SHARED, ids=os.path.basename)
def test_accept_is_base64_sha1_of_the_key(path):
    w = sheet_of(path)
    a = w.answers()
    if "sec_websocket_key" not in a:
        pytest.skip("no Sec-WebSocket-Key in this capture")
    want = base64.b64encode(hashlib.sha1((a["sec_websocket_key"] + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")
                                         .encode()).digest()).decode()
    assert a["sec_websocket_accept"] == want
    assert w.conn.accept is None or (w.conn.accept.strip() == want) == bool(w.conn.accept_ok)


@needs_tshark
@pytest.mark.parametrize("path", WS_CAPTURES + SHARED, ids=os.path.basename)
def test_sequence_numbers_are_tsharks(path):
    w = sheet_of(path)
    if w.syn is None or w.synack is None:
        pytest.skip("the capture lacks the SYN or the SYN/ACK")
    out = tshark(["-r", path, "-Y", f"frame.number == {w.syn.no} || frame.number == {w.synack.no}", "-T", "fields",
                  "-e", "frame.number", "-e", "tcp.seq_raw", "-e", "tcp.seq", "-e", "tcp.ack_raw", "-e", "tcp.ack"])
    rows = {int(f[0]): f for f in (line.split("\t") for line in out.splitlines())}
    a = w.answers()
    assert a["syn_seq_raw"] == rows[w.syn.no][1]
    assert a["syn_seq_relative"] == rows[w.syn.no][2]
    assert a["synack_ack_raw"] == rows[w.synack.no][3]
    assert a["synack_ack_relative"] == rows[w.synack.no][4]
    assert int(a["synack_ack_raw"]) == (int(a["syn_seq_raw"]) + 1) & 0xFFFFFFFF
    # every check of the teacher's table holds on a capture without loss
    assert all(ln.check[4] for ln in w.table if ln.check is not None) or path in SHARED


def test_idle_drop_after_keepalive_pings_gives_both_times():
    s = Session()
    s.websocket_handshake()
    s.send(C2S, raw_frame(b"hello", mask=b"abcd"))
    s.send(S2C, raw_frame(b"hello"))
    s.send(C2S, raw_frame(b"\x01\x02\x03\x04", opcode=0x9, mask=b"abcd"), ack=False, dt=20.0)   # keepalive
    s.send(S2C, raw_frame(b"\x01\x02\x03\x04", opcode=0xA), dt=0.0005)
    s.teardown(first=S2C, dt=10.0)
    w = build(s.packets())
    assert w.close_frames == 0
    assert w.answers()["first_fin_by"] == "server" and w.answers()["close_frame"] == "no"
    assert w.idle_data == pytest.approx(30.0, abs=0.01)
    assert w.idle_control == pytest.approx(10.0, abs=0.01)
    assert float(w.answers()["ping_pong_ms"]) == pytest.approx(0.5, abs=0.01)


def test_a_closed_connection_has_no_idle_question():
    w = build(open_capture(ECHO))
    assert w.close_frames and "idle_seconds" not in w.answers() and w.answers()["close_frame"] == "yes"


def test_marking():
    want = build(open_capture(IDLE)).answers()
    assert mark(want, dict(want)) == [(q, "right", want[q], want[q]) for q in QUESTIONS if q in want]
    given, unreadable = parse_answers(
        "# my answers\nclient: 127.0.0.1:1\nfirst_fin_by：服务端\nclose_frame: 否\n"
        f"idle_seconds: {float(want['idle_seconds']) + 0.01} s\nmask_key: 0x{want['mask_key']}\n"
        "upgrade: Upgrade: WebSocket\nwebsocket_version: 8\ncolor: blue\n"
        f"syn_seq_raw {want['syn_seq_raw']}\n")
    assert unreadable == [(10, f"syn_seq_raw {want['syn_seq_raw']}")]
    verdicts = {q: v for q, v, _, _ in mark(want, given)}
    assert verdicts["client"] == "wrong"
    assert verdicts["first_fin_by"] == verdicts["close_frame"] == verdicts["idle_seconds"] == "right"
    assert verdicts["mask_key"] == "right" and verdicts["server"] == "missing" and verdicts["color"] == "unknown"
    assert verdicts["upgrade"] == "right" and verdicts["websocket_version"] == "wrong"


@pytest.mark.parametrize("q, given", [
    ("close_frame", "No, the server timed out"), ("close_frame", "没有，服务端超时了"), ("first_fin_by", "the server"),
    ("first_fin_by", "服务端（server）"), ("synack_ack_raw", "{} (the SYN's seq + 1)"),
    ("sec_websocket_accept", "yes, it matches: {}"), ("sec_websocket_accept", "{} (yes it matches)"),
    ("mask_key", "0x{} (packet 8)"), ("idle_seconds", "about {} s"),
])
def test_an_answer_with_its_reasons_is_right(q, given):
    want = build(open_capture(IDLE)).answers()
    assert mark(want, {q: given.format(want[q])})[[m[0] for m in mark(want, {})].index(q)][1] == "right"


def test_answer_files_from_windows_editors(tmp_path):
    want = build(open_capture(IDLE)).answers()
    text = f"client: {want['client']}\r\nserver: {want['server']}\r\n"
    for name, data in (("bom.txt", b"\xef\xbb\xbf" + text.encode()), ("utf16.txt", text.encode("utf-16"))):
        (tmp_path / name).write_bytes(data)
        r = cli("--check", str(tmp_path / name), IDLE)
        assert r.returncode == 1 and "client: right" in r.stdout and "server: right" in r.stdout, r.stdout
    (tmp_path / "bin.txt").write_bytes(b"\x80\x81\x82")
    r = cli("--check", str(tmp_path / "bin.txt"), IDLE)
    assert r.returncode == 2 and "not a text file" in r.stderr and len(r.stderr.splitlines()) == 1


def test_cli_key_and_check_round_trip(tmp_path):
    want = build(open_capture(IDLE)).answers()
    r = cli(IDLE, "--answers")
    assert r.returncode == 0, r.stderr
    for q, a in want.items():
        assert f"[{q}]" in r.stdout and f"`{a}`" in r.stdout
    right = tmp_path / "right.txt"
    right.write_text("".join(f"{q}: {a}\n" for q, a in want.items()))
    r = cli("--check", str(right), IDLE)
    assert r.returncode == 0 and f"{len(want)} of {len(want)} right" in r.stdout
    wrong = tmp_path / "wrong.txt"
    wrong.write_text(right.read_text().replace(f"client: {want['client']}", "client: 10.9.9.9:1"))
    r = cli("--check", str(wrong), IDLE, "--lang", "zh")
    assert r.returncode == 1 and "client: 错误" in r.stdout


def test_student_sheet_has_no_answers_and_zh_is_chinese():
    want = build(open_capture(IDLE)).answers()
    r = cli(IDLE)
    assert r.returncode == 0
    assert want["syn_seq_raw"] not in r.stdout and want["sec_websocket_accept"] not in r.stdout
    assert "[syn_seq_raw]" in r.stdout and "TCP table" not in r.stdout
    r = cli(IDLE, "--lang", "zh")
    assert "三次握手" in r.stdout and "Which" not in r.stdout


class _Tags(html.parser.HTMLParser):
    VOID = {"meta", "br", "img", "link", "input", "hr"}

    def __init__(self):
        super().__init__()
        self.stack, self.bad, self.urls = [], [], []

    def handle_starttag(self, tag, attrs):
        self.urls += [v for k, v in attrs if k in ("src", "href") and v]
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.bad.append(tag)


def test_html_is_self_contained_and_balanced(tmp_path):
    out = tmp_path / "sheet.html"
    r = cli(ECHO, "--answers", "--lang", "zh", "-o", str(out))
    assert r.returncode == 0 and r.stdout == ""
    page = out.read_text(encoding="utf-8")
    p = _Tags()
    p.feed(page)
    assert not p.bad and not p.stack and not p.urls
    assert 'lang="zh-CN"' in page and "<table>" in page and "<code>" in page


@pytest.mark.parametrize("args, words", [
    (["nothing-here.pcap"], "no such file"),
    ([ROOT], "directory"),
    ([ECHO, "--conn", "7"], "no TCP connection 7"),
    (["--check", "no-answers.txt", ECHO], "cannot read no-answers.txt"),
])
def test_bad_input_is_one_line(args, words):
    r = cli(*args)
    assert r.returncode == 2 and words in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr


@needs_root
def test_a_students_demo_capture_names_the_student(tmp_path):
    pcap = tmp_path / "s.pcap"
    proc = subprocess.run([sys.executable, "-m", "wsdissect", "demo", "--student", "ann li", "--idle-timeout",
                           "1.2", "-w", str(pcap)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    first = build(open_capture(str(pcap))).answers()
    assert first["request_line"] == "GET /student/ann%20li HTTP/1.1"
    assert bytes.fromhex(first["first_bytes"]) == b"Hello, W"[:len(bytes.fromhex(first["first_bytes"]))]
    dropped = build(open_capture(str(pcap)), conn=1)
    assert dropped.answers()["close_frame"] == "no" and dropped.answers()["first_fin_by"] == "server"
    assert dropped.idle_data == pytest.approx(1.2, abs=0.3)
