"""read --explain: a paragraph before the first row of each phase, depending on what the capture shows."""
import os
import re
import subprocess
import sys

import pytest

from conftest import BUNDLED, ROOT
from wsdissect.analyzer import Analyzer
from wsdissect.explain import Explainer
from wsdissect.render.flow import phase_after
from wsdissect.sources.pcap import open_capture

CAP = os.path.join(ROOT, "captures")
ROW = re.compile(r"^\s*(\d+)\s+\d+\.\d{6} ")
HEADING = "── conn "
CLOSE_LESS = "different from the one textbooks draw"


def read(*args):
    env = dict(os.environ, NO_COLOR="1", COLUMNS="100")
    proc = subprocess.run([sys.executable, "-m", "wsdissect", "read", *args], capture_output=True, text=True,
                          env=env)
    assert "Traceback" not in proc.stderr
    return proc


def _paragraphs(path, lang="en"):
    """[(packet no. the paragraph goes before, Paragraph)] and the rows."""
    a, ex = Analyzer(), Explainer(lang)
    out, rows = [], []
    for raw in open_capture(path):
        row = a.feed(raw)
        if row is None:
            continue
        rows.append(row)
        out.extend((row.no, p) for p in ex.before(row, a.connections.get(row.conn)))
    return out, rows


@pytest.mark.parametrize("path", BUNDLED, ids=os.path.basename)
def test_each_phase_paragraph_comes_before_the_first_row_of_its_phase(path):
    paras, rows = _paragraphs(path)
    first_of_phase = {}
    phase = {}
    for r in rows:
        p = phase_after(phase.get(r.conn, 0), r.role)
        if phase.get(r.conn) != p:
            first_of_phase[(r.conn, p)] = r.no
        phase[r.conn] = p
    got = {(p.conn, int(p.key.split(".")[1])): no for no, p in paras if p.key.startswith("phase.")}
    assert got == first_of_phase
    # busy.pcap is cut from a longer capture before any of its connections closes: it has no closing phase.
    assert sorted({k[1] for k in got}) == ([0, 1, 2] if os.path.basename(path) == "busy.pcap" else [0, 1, 2, 3])


def test_timeline_prints_each_paragraph_just_before_its_row():
    out = read(os.path.join(CAP, "echo.pcap"), "--explain").stdout.splitlines()
    headings = [i for i, line in enumerate(out) if line.startswith(HEADING)]
    titles = [out[i] for i in headings]
    assert [t for t in titles if "Closing" in t or "handshake" in t or "Data" in t][:4] == [
        next(t for t in titles if "TCP handshake" in t), next(t for t in titles if "opening handshake" in t),
        next(t for t in titles if "Data transfer" in t), next(t for t in titles if "Closing" in t)]
    firsts = {"TCP handshake": 1, "opening handshake": 4, "Data transfer": 8, "Closing": 17}
    for word, no in firsts.items():
        i = next(i for i in headings if word in out[i])
        next_row = next(int(ROW.match(line).group(1)) for line in out[i:] if ROW.match(line))
        assert next_row == no, (word, next_row)
        prev_rows = [int(ROW.match(line).group(1)) for line in out[:i] if ROW.match(line)]
        assert not prev_rows or prev_rows[-1] == no - 1
    text = "\n".join(out)
    for cite in ("§4.1", "§4.2.2", "§5.2", "§5.3", "§10.3", "§10.2", "§3", "§5.5.1", "§7.1.1", "§7.4"):
        assert cite in text, cite
    assert "1000 Normal Closure" in text


def test_close_less_teardown_is_explained_only_where_it_happens():
    idle = read(os.path.join(CAP, "idle-timeout.pcap"), "--explain").stdout
    assert CLOSE_LESS in idle and "1006" in idle and "idle timeout" in idle and "3.0 s" in idle
    # It comes before row 11, the server's FIN.
    lines = idle.splitlines()
    at = next(i for i, line in enumerate(lines) if CLOSE_LESS in line or "without any WebSocket Close" in line)
    assert int(next(ROW.match(line).group(1) for line in lines[at:] if ROW.match(line))) == 11
    for name in ("echo.pcap", "deflate.pcap", "fragments-ping.pcap"):
        assert CLOSE_LESS not in read(os.path.join(CAP, name), "--explain").stdout, name


def test_paragraphs_follow_what_the_capture_shows():
    deflate = read(os.path.join(CAP, "deflate.pcap"), "--explain").stdout
    assert "permessage-deflate was negotiated" in deflate and "RFC 7692" in deflate
    echo = read(os.path.join(CAP, "echo.pcap"), "--explain").stdout
    assert "was negotiated" not in echo
    frag = read(os.path.join(CAP, "fragments-ping.pcap"), "--explain").stdout
    assert "Fragmentation — RFC 6455 §5.4" in frag and "§5.5.2, §5.5.3" in frag
    assert "Fragmentation" not in echo and "Ping and pong" not in echo


def test_explain_in_chinese_and_with_export(tmp_path):
    zh = read(os.path.join(CAP, "idle-timeout.pcap"), "--explain", "--lang", "zh").stdout
    assert "和教科书上画的关闭过程不一样" in zh and "1006" in zh and "§10.3" in zh and "缓存投毒" in zh
    assert "TCP 三次握手 1/3：客户端请求建立连接（SYN）" in zh
    svg = tmp_path / "x.svg"
    proc = read(os.path.join(CAP, "idle-timeout.pcap"), "--explain", "--export", str(svg))
    assert proc.returncode == 0
    body = svg.read_text(encoding="utf-8")
    assert "Sec-WebSocket-Accept" in body and "1006" in body


def test_explain_refuses_views_it_does_not_fit():
    for extra in (["--json"], ["--view", "flow"]):
        proc = read(os.path.join(CAP, "echo.pcap"), "--explain", *extra)
        assert proc.returncode == 2 and "--explain" in proc.stderr


def test_without_explain_nothing_changes():
    path = os.path.join(CAP, "echo.pcap")
    assert HEADING not in read(path).stdout



@pytest.mark.parametrize("lang", ["en", "zh"])
def test_close_less_teardown_after_keepalive_pings_gives_both_times(tmp_path, lang):
    # The paragraph takes its times from the analyzer's note: since the last data message (what the server's
    # idle timeout counted) and since the last ping/pong (the client library's keepalive).
    from test_analyzer import _idle_drop_after_keepalive
    s = _idle_drop_after_keepalive(b"\x8a\x13\xfe\x02")[0]
    path = tmp_path / "keepalive.pcap"
    path.write_bytes(s.pcap())
    words = " ".join(read(str(path), "--explain", "--lang", lang).stdout.split())
    if lang == "en":
        assert "30.0 s after the last data message; since then only pings and pongs crossed the connection, the " \
               "last 11.8 s before: an idle timeout that counts messages, not pings" in words
    else:
        assert "距最后一条数据消息已经30.0秒；此后连接上只有Ping和Pong，最后一次在11.8秒之前" in words.replace(" ", "")


def _app_paragraphs(path, lang="en", **kw):
    a, ex = Analyzer(**kw), Explainer(lang)
    out = []
    for raw in open_capture(path):
        row = a.feed(raw)
        if row is not None:
            out += [(row.no, p) for p in ex.before(row, a.connections.get(row.conn)) if p.key == "aside.app"]
    return out


def test_a_subprotocol_gets_its_paragraph_before_its_first_decoded_message():
    # once per connection, before the first message a decoder read (the Socket.IO open at #8), saying how the
    # decoder was chosen: by the path (Socket.IO), by the negotiated name, or by --subprotocol
    (no, p), = _app_paragraphs(os.path.join(CAP, "socketio.pcap"))
    assert no == 8 and p.title == "Socket.IO over Engine.IO inside the messages"
    assert "EIO=4" in p.body[0] and "/socket.io/?transport=websocket" in p.body[0] and "CONNECT_ERROR" in p.body[1]
    (no, p), = _app_paragraphs(os.path.join(CAP, "graphql-ws.pcap"), "zh")
    assert no == 8 and "旧的 graphql-ws" in p.title and "握手确定了子协议 graphql-ws" in p.body[0]
    assert "connection_terminate" in p.body[1]
    (no, p), = _app_paragraphs(os.path.join(CAP, "stomp.pcap"))
    assert "settled the subprotocol v12.stomp" in p.body[0] and "RECEIPT" in p.body[1]
    (no, p), = _app_paragraphs(os.path.join(CAP, "echo.pcap"), subprotocol="jsonrpc")
    assert p.body[0].startswith("--subprotocol jsonrpc says") and "notification" in p.body[1]
    assert _app_paragraphs(os.path.join(CAP, "echo.pcap")) == []          # nothing decoded, nothing said
