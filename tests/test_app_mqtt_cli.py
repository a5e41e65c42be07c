"""MQTT over WebSocket from the command line, on captures recorded from real peers (captures/mqtt.pcap: MQTT
3.1.1, captures/mqtt5.pcap: MQTT 5.0; mosquitto and paho-mqtt, see captures/README.md): every decoded packet
against what the client logged that it sent and received (captures/mqtt*.log), against tshark's MQTT dissector,
labels, follow, show, stats; and a fresh recording when mosquitto, paho-mqtt and tcpdump are there."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter

import pytest

from conftest import ROOT
from fuzz.differential import CLI_ENV, cli_runner
from wsdissect.cli import main
from wsdissect.sources.pcap import open_capture

CAP = os.path.join(ROOT, "captures")
MQTT, MQTT5 = os.path.join(CAP, "mqtt.pcap"), os.path.join(CAP, "mqtt5.pcap")
TYPES = {1: "CONNECT", 2: "CONNACK", 3: "PUBLISH", 4: "PUBACK", 5: "PUBREC", 6: "PUBREL", 7: "PUBCOMP",
         8: "SUBSCRIBE", 9: "SUBACK", 10: "UNSUBSCRIBE", 11: "UNSUBACK", 12: "PINGREQ", 13: "PINGRESP",
         14: "DISCONNECT", 15: "AUTH"}


def flat(text: str) -> str:
    """A view's text with its line breaks and indents as single spaces (labels wrap at any width)."""
    return " ".join(text.split())


def run(*args):
    res = cli_runner().invoke(main, list(args), env=CLI_ENV)
    assert res.exit_code == 0, res.output
    return res


def packets(path):
    """(message's last packet, dir, record) of every decoded MQTT packet, in capture order."""
    out = []
    for line in run("read", path, "--json").stdout.splitlines():
        m = json.loads(line)
        if m["type"] == "message":
            assert m["app"]["protocol"] == "mqtt"
            out += [(m["last_no"], m["dir"], r) for r in m["app"]["records"]]
    return out


# paho's log: "Sending PUBLISH (d0, q1, r0, m3), 'b'lab/q1'', ... (7 bytes)", "Received PUBACK (Mid: 3)"
_LINE = re.compile(r"(Sending|Received) (\w+)(?: \(d(\d), q(\d), r(\d), m(\d+)\), '(?:b')?([^']*)'?')?"
                   r"(?: \(Mid: (\d+)\))?")


def client_log(path):
    """What the client logged, per direction: [(type, details)] sent (c2s) and received (s2c)."""
    out = {"c2s": [], "s2c": []}
    for line in open(path.replace(".pcap", ".log"), encoding="utf-8"):
        m = _LINE.match(line)
        assert m, line
        verb, kind, dup, qos, retain, mid, topic, ack_mid = m.groups()
        details = {}
        if kind == "PUBLISH":
            details = {"dup": dup == "1", "qos": int(qos), "retain": retain == "1", "topic": topic}
            if int(qos):
                details["id"] = int(mid)
        elif ack_mid is not None:
            details = {"id": int(ack_mid)}
        out["c2s" if verb == "Sending" else "s2c"].append((kind, details))
    return out


@pytest.mark.parametrize("path", [MQTT, MQTT5], ids=["3.1.1", "5.0"])
def test_every_packet_is_what_the_client_logged(path):
    recs = packets(path)
    log = client_log(path)
    for d in ("c2s", "s2c"):
        mine = [r for _, dd, r in recs if dd == d]
        assert [r["fields"]["type"] for r in mine] == [k for k, _ in log[d]]
        for r, (kind, details) in zip(mine, log[d]):
            assert {k: r["fields"][k] for k in details} == details, (r, details)
    assert not any(r.get("notes") for _, _, r in recs)
    assert {r["kind"] for _, _, r in recs} >= {"connect", "connack", "publish", "puback", "pubrec", "pubrel",
                                               "pubcomp", "subscribe", "suback", "unsubscribe", "unsuback",
                                               "pingreq", "pingresp", "disconnect"}


@pytest.mark.parametrize("path, version", [(MQTT, "3.1.1"), (MQTT5, "5.0")], ids=["3.1.1", "5.0"])
def test_fields_pairs_and_latencies(path, version):
    recs = packets(path)
    by_no = {}
    for no, d, r in recs:
        by_no.setdefault(no, []).append(r)
    connect = recs[0][2]["fields"]
    assert connect["version"] == version and connect["will"]["topic"] == "lab/status"
    assert connect["username"] == "lab" and connect["password_length"] == len("not-a-real-password")
    assert "not-a-real-password" not in json.dumps(recs)
    # every answer names the packet it answers, whose record awaited it, of the matching kind
    answers = {"connack": "connect", "puback": "publish", "pubrec": "publish", "pubrel": "pubrec",
               "pubcomp": "pubrel", "suback": "subscribe", "unsuback": "unsubscribe", "pingresp": "pingreq"}
    paired = 0
    for no, d, r in recs:
        if r["kind"] in answers:
            asked = [q for q in by_no[r["reply_to"]] if q["kind"] == answers[r["kind"]]]
            assert asked and asked[0].get("awaits_reply") and 0 <= r["latency"] < 1
            assert asked[0]["fields"].get("id") == r["fields"].get("id")
            paired += 1
    assert paired == sum(1 for _, _, r in recs if r.get("awaits_reply")) == 15
    retained = [r["fields"] for _, d, r in recs if r["kind"] == "publish" and r["fields"]["retain"]]
    assert [(f["topic"], f["preview"], d) for f, d in zip(retained, ["c2s", "s2c"])] == \
        [("lab/retained", "kept 你好", "c2s"), ("lab/retained", "kept 你好", "s2c")]
    if version == "5.0":
        pub = next(r["fields"] for _, _, r in recs if r["kind"] == "publish" and r["fields"]["qos"] == 1)
        assert pub["properties"]["content_type"] == "text/plain"
        assert pub["properties"]["user_property"] == [["unit", "celsius"]]
        assert recs[0][2]["fields"]["properties"]["session_expiry_interval"] == 30


def _tshark_types(path, tmp_path):
    """{frame number: [MQTT message types]} from tshark's MQTT dissector (Wireshark 4.0 does not hand a
    WebSocket's payload to MQTT by its subprotocol: a one-line Lua script adds mqtt to the ws.protocol table)."""
    lua = tmp_path / "ws-mqtt.lua"
    lua.write_text('DissectorTable.get("ws.protocol"):add("mqtt", Dissector.get("mqtt"))\n')
    out = subprocess.run(["tshark", "-X", f"lua_script:{lua}", "-r", path, "-d", "tcp.port==9001,http",
                          "-Y", "mqtt", "-T", "fields", "-e", "frame.number", "-e", "mqtt.msgtype"],
                         capture_output=True, text=True, timeout=120)
    if out.returncode != 0 and "lua" in out.stderr.lower():
        return {}                                   # a tshark built without Lua (or refusing it as root)
    assert out.returncode == 0, out.stderr
    return {int(no): [TYPES[int(t)] for t in types.split(",")]
            for no, types in (line.split("\t") for line in out.stdout.splitlines() if line)}


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed")
@pytest.mark.parametrize("path", [MQTT, MQTT5], ids=["3.1.1", "5.0"])
def test_the_same_packets_as_tshark(path, tmp_path):
    theirs = _tshark_types(path, tmp_path)
    if not theirs:
        pytest.skip("this tshark has no Lua: it cannot be told that the WebSocket carries MQTT")
    mine: dict = {}
    for no, _, r in packets(path):
        mine.setdefault(no, []).append(r["fields"]["type"])
    assert mine == theirs
    assert Counter(t for v in mine.values() for t in v) == Counter(t for v in theirs.values() for t in v)


def test_labels_follow_and_show():
    text = flat(run("read", MQTT, "--role", "ws-data").stdout)
    assert "client sends MQTT CONNECT lab-311, MQTT 3.1.1 (keep-alive 60 s, clean session, will on lab/status, " \
           "user lab, a password of 19 bytes)" in text
    assert re.search(r'client sends MQTT PUBLISH lab/q1 QoS 1, id \d+ \(7 bytes "hello 1"\)', text)
    assert re.search(r"server sends MQTT PUBCOMP id \d+, answers #\d+ after [\d.]+ ms", text)
    zh = flat(run("read", MQTT5, "--role", "ws-data", "--lang", "zh").stdout)
    assert "客户端发送 MQTT CONNECT lab-5，MQTT 5.0（保活 60 秒，全新会话" in zh
    follow = flat(run("follow", MQTT5).stdout)
    assert "» MQTT SUBSCRIBE id 1 (lab/q0 QoS 0, lab/q1 QoS 1, lab/q2 QoS 2)" in follow
    assert "» MQTT UNSUBACK id 7 (Success, Success)" in follow
    show = flat(run("show", MQTT5, "18").stdout)
    assert "Inside the message (mqtt):" in show and "content_type: text/plain" in show
    flow = flat(run("read", MQTT, "--view", "flow").stdout)
    assert "MQTT PINGRESP, answers #" in flow


def test_grep_matches_decoded_fields():
    # MQTT's bytes do not say "PUBCOMP": its records do
    text = flat(run("read", MQTT, "--grep", "^type=PUBCOMP$|^retain=true$", "--role", "ws-data").stdout)
    said = re.findall(r"(?:client|server) sends MQTT (\w+)", text)
    assert sorted(said) == ["CONNECT", "PUBCOMP", "PUBCOMP", "PUBLISH", "PUBLISH"]     # the will is retained too


def test_stats_publishes_by_topic_and_qos():
    text = flat(run("stats", MQTT).stdout)
    assert "mqtt replies 15 awaited, 15 answered" in text
    for line in ("lab/q0: QoS 0 ×2", "lab/q1: QoS 1 ×2", "lab/q2: QoS 2 ×2", "lab/retained: QoS 1 ×2"):
        assert line in text
    lines = [json.loads(x) for x in run("stats", MQTT5, "--json").stdout.splitlines()]
    conn, total = lines[0]["app"]["mqtt"], lines[-1]["app"]["mqtt"]
    assert conn["publishes"] == [{"topic": t, "qos": q, "count": 2} for t, q in
                                 [("lab/q0", [2, 0, 0]), ("lab/q1", [0, 2, 0]), ("lab/q2", [0, 0, 2]),
                                  ("lab/retained", [0, 2, 0])]]
    assert conn["unacknowledged"] == [] and conn["unacknowledged_total"] == 0
    assert total["publishes"] == conn["publishes"]


def test_stats_packet_ids_never_acknowledged(tmp_path):
    # The capture cut just after the client's QoS 2 PUBLISH: it awaits its PUBREC for ever.
    from pcapbuild import pcap_bytes
    recs = packets(MQTT)
    q2 = next((no, r) for no, d, r in recs if r["kind"] == "publish" and r["fields"]["qos"] == 2 and d == "c2s")
    path = tmp_path / "cut.pcap"
    path.write_bytes(pcap_bytes([(p.ts, p.data) for p in open_capture(MQTT) if p.no <= q2[0]]))
    st = json.loads(run("stats", str(path), "--json").stdout.splitlines()[0])["app"]["mqtt"]
    assert st["unacknowledged"] == [{"id": q2[1]["fields"]["id"], "type": "PUBLISH", "no": q2[0]}]
    assert st["unacknowledged_total"] == 1 and st["unanswered"] == 1
    text = flat(run("stats", str(path)).stdout)
    assert f"1 packet id(s) never acknowledged: {q2[1]['fields']['id']} (PUBLISH #{q2[0]})" in text


def test_forced_on_a_connection_that_did_not_name_it():
    # echo.pcap agreed no subprotocol: forced, its text messages are notes, its binary one is read as a stream
    recs = [json.loads(x) for x in run("read", os.path.join(CAP, "echo.pcap"), "--json", "--subprotocol",
                                       "mqtt").stdout.splitlines()]
    codes = Counter(r["code"] for r in recs if r["type"] == "note")
    assert codes["mqtt-text-message"] == 4
    kinds = [a["kind"] for r in recs if r["type"] == "message" for a in r["app"]["records"]]
    assert "invalid" in kinds or "partial" in kinds


# -- recording again from real peers -------------------------------------------------------------------------
def _cannot_record() -> str | None:
    if sys.platform != "linux" or os.geteuid() != 0:
        return "recording on lo needs root on Linux"
    for tool in ("tcpdump", "mosquitto"):
        if shutil.which(tool) is None and not os.path.exists(f"/usr/sbin/{tool}"):
            return f"{tool} is not installed"
    try:
        import paho.mqtt  # noqa: F401
    except ImportError:
        return "paho-mqtt is not installed"
    import socket
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)     # a connection in TIME-WAIT is no listener
        try:
            s.bind(("127.0.0.1", 9001))
        except OSError:
            return "port 9001 is busy"
    return None


@pytest.mark.skipif(_cannot_record() is not None, reason=str(_cannot_record()))
def test_a_fresh_recording_decodes_as_the_client_logged(tmp_path):
    out = subprocess.run([sys.executable, os.path.join(CAP, "record.py"), "--only", "mqtt5", "--out",
                          str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    fresh = str(tmp_path / "mqtt5.pcap")
    log = client_log(fresh)
    recs = packets(fresh)
    for d in ("c2s", "s2c"):
        assert [r["fields"]["type"] for _, dd, r in recs if dd == d] == [k for k, _ in log[d]]
    assert not any(r.get("notes") for _, _, r in recs)


@pytest.mark.parametrize("command", [["read", "--json"], ["stats", "--json"]])
def test_several_processes_give_the_same_bytes(command):
    def cli(jobs):
        return subprocess.run([sys.executable, "-m", "wsdissect", command[0], MQTT5, *command[1:], "--jobs", jobs],
                              capture_output=True, env=dict(os.environ, **CLI_ENV), timeout=300)
    one, two = cli("1"), cli("2")
    assert one.returncode == two.returncode == 0, two.stderr
    assert one.stdout == two.stdout and b'"mqtt"' in one.stdout


@pytest.mark.parametrize("lang, title", [("en", "MQTT over WebSocket"), ("zh", "WebSocket 上的 MQTT")])
def test_explain_says_what_mqtt_does_once_before_its_first_packet(lang, title):
    out = run("read", MQTT, "--explain", "--lang", lang).stdout
    assert out.count(title) == 1
    first_row = re.search(r"^ +(\d+) +\d+\.\d+ ", out[out.index(title):], re.M)
    assert first_row.group(1) == "8"                                    # just before the CONNECT's row
    # a subprotocol without a paragraph of its own gets none
    assert "over WebSocket —" not in run("read", os.path.join(CAP, "jsonrpc.pcap"), "--explain").stdout
