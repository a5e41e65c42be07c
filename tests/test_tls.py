"""wss://: TLS 1.3 decrypted with an NSS key log (wsdissect/tls/), then analysed as ws:// is.

The key schedule against RFC 8448's simple 1-RTT trace; the recorded captures (captures/wss/, one per cipher suite)
against tshark given the same key log; no key, a wrong key, a damaged record, a garbage key log line: notes and
warnings, never a traceback; every view of a TLS capture."""
from __future__ import annotations

import io
import json
import os
import shutil
import struct
import subprocess
import sys

import pytest

import tlsbuild
from conftest import needs_tshark, tshark
from sessionbuild import analyze
from wsdissect.model import C2S, S2C
from wsdissect.tls import TlsSession, parse_keylog
from wsdissect.tls.schedule import SUITES, Epoch, hkdf_expand_label, nonce, traffic_keys

SHA256_GCM = SUITES[0x1301]


# -- key schedule (RFC 8448, section 3: simple 1-RTT handshake) -----------------------------------------------
def test_handshake_traffic_keys_of_rfc8448():
    secret = bytes.fromhex("b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38")  # server hs
    key, iv = traffic_keys(SHA256_GCM, secret)
    assert key.hex() == "3fce516009c21727d0f2e4e86ee403bc"
    assert iv.hex() == "5d313eb2671276ee13000b30"


def test_application_traffic_keys_of_rfc8448():
    secret = bytes.fromhex("a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643")  # server app
    key, iv = traffic_keys(SHA256_GCM, secret)
    assert key.hex() == "9f02283b6c9c07efc26bb9f2ac92e356"
    assert iv.hex() == "cf782b88dd83549aadf1e984"


def test_expand_label_length_and_label_are_bound():
    secret = bytes(32)
    assert hkdf_expand_label(SHA256_GCM.hash, secret, "key", b"", 16) != \
        hkdf_expand_label(SHA256_GCM.hash, secret, "key", b"", 32)[:16]
    assert hkdf_expand_label(SHA256_GCM.hash, secret, "key", b"", 16) != \
        hkdf_expand_label(SHA256_GCM.hash, secret, "iv", b"", 16)


def test_nonce_is_iv_xor_sequence_number():
    iv = bytes.fromhex("5d313eb2671276ee13000b30")
    assert nonce(iv, 0) == iv
    assert nonce(iv, 1).hex() == "5d313eb2671276ee13000b31"
    assert nonce(iv, 0x0102).hex() == "5d313eb2671276ee13000a32"


def test_epoch_counts_records_and_a_failed_record_still_uses_its_number():
    from cryptography.exceptions import InvalidTag
    secret = bytes(range(32))
    key, iv = traffic_keys(SHA256_GCM, secret)
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    seal = AESGCM(key)
    header = bytes.fromhex("1703030016")
    rec0 = seal.encrypt(nonce(iv, 0), b"a\x17", header)
    rec2 = seal.encrypt(nonce(iv, 2), b"c\x17", header)
    e = Epoch(SHA256_GCM, secret)
    assert e.open(header, rec0) == b"a\x17"
    with pytest.raises(InvalidTag):
        e.open(header, rec0)                  # record 1 damaged (a copy of 0)
    assert e.open(header, rec2) == b"c\x17"


def test_tls12_prf_sha256_known_answer():
    # The P_SHA256 test vector published for TLS 1.2 implementations (secret, "test label", seed; 100 bytes).
    from cryptography.hazmat.primitives import hashes
    from wsdissect.tls.schedule import prf12
    out = prf12(hashes.SHA256, bytes.fromhex("9bbe436ba940f017b17652849a71db35"), b"test label",
                bytes.fromhex("a0ba9f936cda311827a6f796ffd5198c"), 100)
    assert out.hex().startswith("e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9")
    assert out.hex().endswith("a48082d122ee42c5a72e5a5110fff70187347b66") and len(out) == 100


# -- key log -----------------------------------------------------------------------------------------------
def test_keylog_lines_and_a_garbage_line_named_by_number():
    rnd, sec = "ab" * 32, "cd" * 32
    log = parse_keylog(f"# comment\nCLIENT_TRAFFIC_SECRET_0 {rnd} {sec}\nthis is not a key log line\n"
                       f"SERVER_TRAFFIC_SECRET_0 {rnd} zz\n")
    assert log.lookup(bytes.fromhex(rnd)) == {"CLIENT_TRAFFIC_SECRET_0": bytes.fromhex(sec)}
    assert [no for no, _ in log.warnings] == [3, 4]


def test_cli_warns_once_per_garbage_line_and_still_decrypts(tmp_path):
    keys = tmp_path / "keys"
    keys.write_text("garbage\n" + open(tlsbuild.keys("aes128gcm")).read())
    proc = _wsdissect("read", "--json", tlsbuild.pcap("aes128gcm"), "--keylog", str(keys))
    assert proc.returncode == 0
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()] and "line 1" in proc.stderr
    assert sum(r["type"] == "message" for r in _records(proc.stdout)) == 6


def test_unreadable_keylog_is_a_one_line_error(tmp_path):
    proc = _wsdissect("read", tlsbuild.pcap("aes128gcm"), "--keylog", str(tmp_path / "missing"))
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    assert "Traceback" not in proc.stderr


# -- end to end ------------------------------------------------------------------------------------------------
def _wsdissect(*args, env=None):
    return subprocess.run([sys.executable, "-m", "wsdissect", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})})


def _records(stdout: str) -> list:
    return [json.loads(line) for line in stdout.splitlines()]


def tshark_frames(suite: str, path: str = "", keys: bool = True) -> list:
    keylog = ["-o", f"tls.keylog_file:{tlsbuild.keys(suite)}"] if keys else []
    out = tshark(["-r", path or tlsbuild.pcap(suite), *keylog, "-Y", "websocket",
                  "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=;", "-e", "frame.number",
                  "-e", "websocket.opcode", "-e", "websocket.fin", "-e", "websocket.mask",
                  "-e", "websocket.payload_length"])
    frames = []
    for line in out.splitlines():
        no, ops, fins, masks, lens = line.split("\t")
        for op, fin, mask, n in zip(ops.split(";"), fins.split(";"), masks.split(";"), lens.split(";")):
            frames.append((int(no), int(op), fin in ("1", "True"), mask in ("1", "True"), int(n)))
    return frames


@needs_tshark
@pytest.mark.parametrize("suite", tlsbuild.SUITES)
def test_decrypted_frames_match_tshark_with_the_same_key_log(suite):
    expected = tshark_frames(suite)
    assert len(expected) == 8, "tshark decrypted nothing: the oracle itself is broken"
    proc = _wsdissect("read", "--json", tlsbuild.pcap(suite), "--keylog", tlsbuild.keys(suite))
    assert proc.returncode == 0 and proc.stderr == ""
    recs = _records(proc.stdout)
    assert [(r["no"], r["opcode"], r["fin"], r["masked"], r["length"]) for r in recs if r["type"] == "frame"] \
        == expected
    texts = [r["text"] for r in recs if r["type"] == "message" and r["opcode"] == 1]
    assert texts == ["hello", "hello", "hello 你好", "hello 你好"]
    [conn] = [r for r in recs if r["type"] == "connection"]
    assert conn["websocket"] and conn["uri"] == "/chat" and conn["close_code"] == 1000
    version = "TLS 1.2" if suite.startswith("tls12") else "TLS 1.3"
    assert conn["tls"]["decrypted"] and conn["tls"]["version"] == version and conn["tls"]["sni"] == "localhost"


QUICK = "the quick brown fox jumps over the lazy dog " * 8


@needs_tshark
@pytest.mark.parametrize("scene, frames", [("deflate", 10), ("tls12-deflate", 10), ("multi", 24), ("idle", 2),
                                           ("tls12-idle", 2)])
def test_deflate_several_connections_and_an_idle_drop_over_tls_match_tshark(scene, frames):
    expected = tshark_frames(scene)
    assert len(expected) == frames, "tshark decrypted nothing: the oracle itself is broken"
    proc = _wsdissect("read", "--json", tlsbuild.pcap(scene), "--keylog", tlsbuild.keys(scene))
    assert proc.returncode == 0 and proc.stderr == ""
    recs = _records(proc.stdout)
    assert [(r["no"], r["opcode"], r["fin"], r["masked"], r["length"]) for r in recs if r["type"] == "frame"] \
        == expected
    conns = [r for r in recs if r["type"] == "connection"]
    assert all(c["websocket"] and c["tls"]["decrypted"] for c in conns)
    texts = [r["text"] for r in recs if r["type"] == "message" and r["opcode"] == 1]
    drops = sum(n == "close-without-close-frame" for r in recs if r["type"] == "packet" for n in r["notes"])
    if scene.endswith("deflate"):
        [conn] = conns
        assert "permessage-deflate" in conn["extensions"] and conn["close_code"] == 1000
        assert texts == ["hello", "hello", QUICK, QUICK, QUICK, QUICK]
        msgs = [r for r in recs if r["type"] == "message"]
        assert all(m["compressed"] for m in msgs) and msgs[4]["wire_length"] < msgs[2]["wire_length"] < 352
    elif scene == "multi":
        assert sorted(c["uri"] for c in conns) == ["/room/0", "/room/1", "/room/2"]
        assert sorted(texts) == sorted(f"{w} {k}" for k in range(3) for w in ("hello from", "second") * 2)
        assert [c["close_code"] for c in conns] == [1000] * 3
    else:
        [conn] = conns
        assert texts == ["hello", "hello"] and conn["close_code"] is None and drops == 1
        assert not [f for f in recs if f["type"] == "frame" and f["opcode"] == 8]


@pytest.mark.parametrize("scene", ["multi", "tls12-deflate", "idle"])
def test_without_keys_and_with_wrong_keys_exit_0_with_notes_and_no_frames(tmp_path, scene):
    # wrong: the same client randoms, each secret's last byte changed: every encrypted record fails its tag
    wrong = tmp_path / "wrong.keys"
    wrong.write_text("".join(line[:-1] + ("0" if line[-1] != "0" else "1") + "\n" if not line.startswith("#")
                             else line + "\n" for line in open(tlsbuild.keys(scene)).read().splitlines()))
    for keys, code in ((None, "tls-no-keylog"), (str(wrong), "tls-bad-tag")):
        proc = _wsdissect("read", "--json", tlsbuild.pcap(scene), *(["--keylog", keys] if keys else []))
        assert proc.returncode == 0 and proc.stderr == ""
        recs = _records(proc.stdout)
        conns = [r for r in recs if r["type"] == "connection"]
        assert conns and not [r for r in recs if r["type"] in ("frame", "message")]
        assert all(not c["websocket"] and c["tls"]["sni"] == "localhost" for c in conns)
        [summary] = [r for r in recs if r["type"] == "summary"]
        codes = summary["notes_by_code"]
        if keys is None:
            assert codes == {code: len(conns)}                    # one note per connection, nothing else
        else:
            encrypted = sum(1 for r in recs if r["type"] == "packet" for t in r.get("tls", ())
                            if t["kind"] not in ("client-hello", "server-hello", "change-cipher-spec", "handshake",
                                                 "session-ticket"))             # the records sent in the clear
            assert set(codes) == {code} and codes[code] == encrypted > 0


def test_ssl_keylog_file_from_the_environment():
    proc = _wsdissect("read", "--json", tlsbuild.pcap("chacha20"), env={"SSLKEYLOGFILE": tlsbuild.keys("chacha20")})
    assert proc.returncode == 0
    assert sum(r["type"] == "frame" for r in _records(proc.stdout)) == 8


def test_follow_and_stats_take_the_key_log_too():
    proc = _wsdissect("follow", tlsbuild.pcap("aes256gcm"), "--keylog", tlsbuild.keys("aes256gcm"))
    assert proc.returncode == 0 and "hello 你好" in proc.stdout
    proc = _wsdissect("stats", "--json", tlsbuild.pcap("aes256gcm"), "--keylog", tlsbuild.keys("aes256gcm"))
    [conn] = [r for r in _records(proc.stdout) if r["type"] == "stats"]
    assert conn["websocket"] and conn["uri"] == "/chat"
    proc = _wsdissect("stats", "--json", tlsbuild.pcap("aes256gcm"))          # no keys: no WebSocket seen
    assert not [r for r in _records(proc.stdout) if r["type"] == "stats"]


def test_a_missing_ssl_keylog_file_is_only_a_warning(tmp_path):
    proc = _wsdissect("read", "--json", tlsbuild.pcap("chacha20"), env={"SSLKEYLOGFILE": str(tmp_path / "none")})
    assert proc.returncode == 0 and len(proc.stderr.strip().splitlines()) == 1 and "SSLKEYLOGFILE" in proc.stderr
    assert "tls-no-keylog" in proc.stdout


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_show_lists_the_records_and_the_decrypted_frames(lang):
    no = 14                                     # the client's first text frame ("hello") in the recording
    proc = _wsdissect("show", tlsbuild.pcap("aes128gcm"), str(no), "--keylog", tlsbuild.keys("aes128gcm"),
                      "--lang", lang)
    assert proc.returncode == 0 and proc.stderr == ""
    assert ("Transport Layer Security" if lang == "en" else "传输层安全") in proc.stdout
    assert '"hello"' in proc.stdout and ("decrypted" if lang == "en" else "已解密") in proc.stdout
    locked = _wsdissect("show", tlsbuild.pcap("aes128gcm"), str(no), "--lang", lang)
    assert '"hello"' not in locked.stdout


def test_the_lab_page_takes_the_key_log(tmp_path):
    page = tmp_path / "lab.html"
    proc = _wsdissect("report", tlsbuild.pcap("chacha20"), "--keylog", tlsbuild.keys("chacha20"), "-o", str(page))
    assert proc.returncode == 0
    html = page.read_text()
    assert "hello 你好" in html and "TLS record" in html


def test_rows_name_their_tls_records_and_the_hellos():
    r = analyze(tlsbuild.replay(tlsbuild.payloads("aes256gcm")).packets(), keylog=tlsbuild.keylog("aes256gcm"))
    hello = next(row for row in r.rows if row.tls and row.tls[0].kind == "client-hello")
    assert hello.role == "tls-handshake" and "localhost" in r.label(hello) and "TLS 1.3" in r.label(hello)
    server = next(row for row in r.rows if any(t.kind == "server-hello" for t in row.tls))
    assert "TLS_AES_256_GCM_SHA384" in r.label(server)
    upgrade = next(row for row in r.rows if row.role == "ws-upgrade-request")
    [rec] = upgrade.tls
    assert f"TLS record #{rec.index}" in r.label(upgrade) and rec.decrypted
    zh = analyze(tlsbuild.replay(tlsbuild.payloads("aes256gcm")).packets(), keylog=tlsbuild.keylog("aes256gcm"),
                 lang="zh")
    assert "TLS 握手" in zh.label(zh.rows[3]) and "TLS 记录" in zh.label(zh.rows[3])


@pytest.mark.parametrize("suite", ["aes128gcm", "tls12-aes256gcm"])
def test_without_a_matching_key_records_stay_encrypted_with_one_note_naming_the_client_random(suite):
    wss = tlsbuild.payloads(suite)
    r = analyze(tlsbuild.replay(wss).packets(), keylog=tlsbuild.keylog("chacha20"))
    [note] = r.notes("tls-no-key")
    random = wss[0][1][11:43].hex()            # record header 5, handshake header 4, legacy version 2
    assert random in note.text and note.args["random"] == random
    assert not r.frames() and not [n for n in r.notes() if n.code == "malformed"]
    data = [row for row in r.rows if row.role == "tls-data"]
    assert data and all(row.protocol == "TLS" and "encrypted" in r.label(row) for row in data)


@pytest.mark.parametrize("suite", ["aes128gcm", "tls12-aes128gcm"])
def test_a_bad_tag_is_a_note_on_that_record_and_the_rest_is_decrypted(suite):
    wss = tlsbuild.payloads(suite)
    first_text = next(i for i, (d, p) in enumerate(wss) if d == C2S and i > 5)   # a client message record
    damaged = [(d, p[:-1] + bytes([p[-1] ^ 1])) if i == first_text else (d, p) for i, (d, p) in enumerate(wss)]
    r = analyze(tlsbuild.replay(damaged).packets(), keylog=tlsbuild.keylog(suite))
    [bad] = r.notes("tls-bad-tag")
    assert bad.severity == "error"
    assert len(r.messages()) >= 4               # what follows the damaged record still decrypts and parses


@pytest.mark.parametrize("suite", tlsbuild.CBC)
@pytest.mark.parametrize("how", ["padding", "mac", "length"])
def test_a_bad_cbc_mac_or_padding_is_a_note_on_that_record_and_the_rest_is_decrypted(suite, how):
    # MAC-then-encrypt: flipping the last byte of the next-to-last cipher block flips the padding length;
    # flipping its first byte garbles the block before, inside the MAC. Encrypt-then-MAC: the MAC fails first.
    damaged = tlsbuild.damage_cbc(tlsbuild.payloads(suite), how)
    r = analyze(tlsbuild.replay(damaged).packets(), keylog=tlsbuild.keylog(suite))
    [bad] = r.notes("tls-bad-mac")
    expected = "length" if how == "length" else "mac" if suite.endswith("etm") else how
    assert bad.severity == "error" and bad.args["variant"] == expected
    assert len(r.messages()) == 5               # the damaged "hello" is lost; the rest decrypts and parses
    zh = analyze(tlsbuild.replay(damaged).packets(), keylog=tlsbuild.keylog(suite), lang="zh")
    assert "解密失败" in zh.notes("tls-bad-mac")[0].text


def test_cbc_keys_split_the_key_block_mac_keys_first():
    from wsdissect.tls.schedule import SUITES_CBC, key_block_cbc, prf12
    suite = SUITES_CBC[0xC028]                  # AES-256, HMAC-SHA384, the PRF on SHA-384
    master, cr, sr = bytes(range(48)), b"c" * 32, b"s" * 32
    block = prf12(suite.hash, master, b"key expansion", sr + cr, 2 * 48 + 2 * 32)
    assert key_block_cbc(suite, master, cr, sr) == (block[:48], block[48:96], block[96:128], block[128:160])


def test_an_rsa_line_of_the_key_log_is_known_and_not_a_warning():
    log = parse_keylog("RSA 460c276db298d937 " + "ab" * 48 + "\nCLIENT_RANDOM " + "01" * 32 + " " + "02" * 48)
    assert not log.warnings and len(log) == 1


def test_malformed_and_truncated_streams_are_notes_never_tracebacks():
    hello = tlsbuild.client_hello()
    for items in ([(C2S, hello), (C2S, b"\xff" * 40)], [(C2S, hello[:20])],
                  [(C2S, hello), (S2C, tlsbuild.record(22, b"\x02\x00\x00\x05" + b"\x03\x03\x00"))],
                  [(C2S, hello), (S2C, tlsbuild.record(23, bytes(70000 % 16000)))]):
        r = analyze(tlsbuild.replay(items).packets(), keylog=tlsbuild.keylog("aes128gcm"))
        assert not [n for n in r.notes() if n.code == "malformed"], items


def test_tls_session_is_sans_io_and_cut_anywhere_gives_the_same_records():
    wss = tlsbuild.payloads("chacha20")
    log = tlsbuild.keylog("chacha20")

    def run(cut: int) -> list:
        s = TlsSession(log)
        out = []
        for no, (d, p) in enumerate(wss, 1):
            for i in range(0, len(p), cut):
                out += [(e.direction, e.index, e.kind, e.data) for e in s.feed(d, p[i:i + cut], no)
                        if not isinstance(e, tuple)]
        return out

    whole = run(1 << 20)
    assert any(k == "application-data" for _, _, k, _ in whole)
    assert run(1) == whole and run(7) == whole


# -- every view -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("args", [["read", "--json"], ["read"], ["read", "--json", "--keylog", "{keys}"],
                                  ["read", "--keylog", "{keys}"], ["read", "--view", "flow", "--keylog", "{keys}"],
                                  ["follow", "--keylog", "{keys}"], ["stats", "--keylog", "{keys}"],
                                  ["stats", "--json", "--keylog", "{keys}"]])
def test_every_view_reads_a_tls_capture(args):
    from fuzz.differential import invoke
    argv = [args[0], tlsbuild.pcap("aes128gcm")] + [a.format(keys=tlsbuild.keys("aes128gcm")) for a in args[1:]]
    out, err, status, exc = invoke(argv, {})
    assert exc is None and status == 0 and out, (argv, err)


@pytest.mark.parametrize("suite", ["aes128gcm", "tls12-chacha20", "tls12-aes256cbc-sha384-mte",
                                   "tls12-aes128cbc-sha256-etm"])
def test_damaged_tls_streams_never_raise(suite):
    # Bytes flipped, records cut, pieces dropped or repeated, anywhere: notes, never an internal error (the
    # analyzer turns an exception into a "malformed" row, which this would catch).
    import random
    rng = random.Random(1)
    wss = tlsbuild.payloads(suite)
    log = tlsbuild.keylog(suite)
    for _ in range(60):
        items = list(wss)
        for _ in range(rng.randint(1, 4)):
            i = rng.randrange(len(items))
            d, p = items[i]
            how = rng.randrange(4)
            if how == 0:
                j = rng.randrange(len(p))
                p = p[:j] + bytes([p[j] ^ (1 << rng.randrange(8))]) + p[j + 1:]
            elif how == 1:
                p = p[:rng.randrange(1, len(p) + 1)]
            elif how == 2:
                items.insert(i, (d, p))
            else:
                p = bytes(rng.randrange(256) for _ in range(rng.randint(1, 40))) + p
            items[i] = (d, p)
        r = analyze(tlsbuild.replay(items).packets(), keylog=log)
        assert not [row for row in r.rows if row is not None and row.role == "malformed"], items


@pytest.mark.parametrize("command", ["read", "stats"])
def test_parallel_workers_decrypt_as_one_process_does(command):
    args = [command, "--json", tlsbuild.pcap("tls12-aes256gcm"), "--keylog", tlsbuild.keys("tls12-aes256gcm")]
    one, two = _wsdissect(*args, "-j", "1"), _wsdissect(*args, "-j", "2")
    assert one.returncode == two.returncode == 0
    assert one.stdout == two.stdout and '"websocket":true' in one.stdout


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_explain_gives_the_tls_phase_before_the_client_hello_and_the_upgrade_at_the_get(lang):
    from wsdissect.explain import Explainer
    r = analyze(tlsbuild.replay(tlsbuild.payloads("aes128gcm")).packets(), keylog=tlsbuild.keylog("aes128gcm"))
    ex = Explainer(lang)
    said = [(row.no, p) for row in r.rows if row is not None
            for p in ex.before(row, r.analyzer.connections[row.conn])]
    keys = [p.key for _, p in said]
    assert keys[:3] == ["phase.0", "phase.4", "phase.1"] and keys.count("phase.4") == 1
    hello = next(row.no for row in r.rows if row.tls and row.tls[0].kind == "client-hello")
    get = next(row.no for row in r.rows if row.role == "ws-upgrade-request")
    [(no, tls)] = [(no, p) for no, p in said if p.key == "phase.4"]
    assert no == hello and (get, "phase.1") in [(n, p.key) for n, p in said]
    text = " ".join(tls.body)
    assert "localhost" in text and "RFC 8446" in text and "RFC 5246" in text     # the SNI it does not hide
    ws = next(p for _, p in said if p.key == "phase.1")
    assert "wss://" in " ".join(ws.body)


@pytest.mark.parametrize("suite, finished", [("aes128gcm", 6), ("tls12-aes256gcm", 9)])
def test_the_flow_view_has_a_tls_handshake_phase_with_tsharks_message_names(suite, finished):
    proc = _wsdissect("read", "--view", "flow", "--format", "mermaid", tlsbuild.pcap(suite), "--keylog",
                      tlsbuild.keys(suite))
    lines = proc.stdout.splitlines()
    notes = [line.strip() for line in lines if "Note over" in line]
    assert notes == ["Note over C,S: TCP handshake", "Note over C,S: TLS handshake",
                     "Note over C,S: WebSocket handshake", "Note over C,S: data transfer", "Note over C,S: closing"]
    arrow = next(line for line in lines if f"#{finished} " in line)
    assert "Finished" in arrow and "Server Hello" in proc.stdout and "Client Hello (SNI=localhost)" in proc.stdout
    assert "TLS 握手" in _wsdissect("read", "--view", "flow", "--lang", "zh", tlsbuild.pcap(suite)).stdout


def test_a_partial_tls_record_row_keeps_its_phase():
    from wsdissect.render.flow import phase_after
    assert phase_after(4, "tls-data", []) == 4 and phase_after(4, "tls-data", [object()]) == 2
    assert phase_after(1, "tls-handshake") == 1       # a session ticket after the GET does not go back


@pytest.mark.parametrize("suite", ["aes128gcm", "tls12-chacha20", "tls12-aes256cbc-sha384-mte"])
def test_handshake_latency_runs_from_the_client_hello_to_the_servers_finished_with_or_without_keys(suite):
    with_keys = _records(_wsdissect("stats", "--json", tlsbuild.pcap(suite), "--keylog", tlsbuild.keys(suite)).stdout)
    [conn] = [r for r in with_keys if r["type"] == "stats"]
    [total] = [r for r in with_keys if r["type"] == "stats-total"]
    tls = conn["tls"]
    assert tls["decrypted"] and tls["sni"] == "localhost" and tls["version"] in ("TLS 1.2", "TLS 1.3")
    # The oracle: the time from the ClientHello's packet to the packet that carries the server's Finished.
    recs = _records(_wsdissect("read", "--json", tlsbuild.pcap(suite), "--keylog", tlsbuild.keys(suite)).stdout)
    packets = [r for r in recs if r["type"] == "packet"]
    hello = next(p for p in packets if any(t["kind"] == "client-hello" for t in p.get("tls", ())))
    fin = next(p for p in packets if p["dir"] == "s2c" and any("Finished" in t.get("handshake", ())
                                                                for t in p.get("tls", ())))
    assert tls["handshake_latency"] == round(fin["ts"] - hello["ts"], 6) > 0
    assert total["tls"] == {"connections": 1, "decrypted": 1, "by_version": {tls["version"]: 1},
                            "by_cipher": {tls["cipher"]: 1},
                            "handshake_latency": {"count": 1, "min": tls["handshake_latency"],
                                                  "max": tls["handshake_latency"], "mean": tls["handshake_latency"]}}
    without = _records(_wsdissect("stats", "--json", tlsbuild.pcap(suite)).stdout)
    [total] = [r for r in without if r["type"] == "stats-total"]
    assert total["tls"]["decrypted"] == 0 and total["tls"]["handshake_latency"]["min"] == tls["handshake_latency"]
    text = _wsdissect("stats", tlsbuild.pcap(suite), "--keylog", tlsbuild.keys(suite)).stdout
    assert tls["cipher"] in text and "ClientHello" in text
    zh = _wsdissect("stats", "--lang", "zh", tlsbuild.pcap(suite), "--keylog", tlsbuild.keys(suite)).stdout
    assert "已解密" in zh


def test_cleartext_stats_have_no_tls_fields():
    proc = _wsdissect("stats", "--json", os.path.join(tlsbuild.WSS, "..", "echo.pcap"))
    assert '"tls"' not in proc.stdout


# -- keys inside the capture: pcapng Decryption Secrets Block -----------------------------------------------------
needs_editcap = pytest.mark.skipif(shutil.which("editcap") is None, reason="editcap (Wireshark) is not installed")


def _inject(tmp_path, suite: str) -> str:
    out = str(tmp_path / f"{suite}.pcapng")
    subprocess.run(["editcap", "--inject-secrets", f"tls,{tlsbuild.keys(suite)}", tlsbuild.pcap(suite), out],
                   check=True, capture_output=True)
    return out


def _pcapng_block(btype: int, body: bytes) -> bytes:
    body += b"\0" * (-len(body) % 4)
    n = 12 + len(body)
    return struct.pack("<II", btype, n) + body + struct.pack("<I", n)


def test_the_pcapng_reader_yields_a_secrets_block_beside_the_packets():
    from wsdissect.model import SECRETS_TLS, RawPacket, Secrets
    from wsdissect.sources.pcap import iter_capture
    keys = b"CLIENT_RANDOM " + b"01" * 32 + b" " + b"02" * 48 + b"\n"
    pkt = bytes(20)
    data = (_pcapng_block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
            + _pcapng_block(1, struct.pack("<HHI", 101, 0, 0))
            + _pcapng_block(6, struct.pack("<IIIII", 0, 0, 1, len(pkt), len(pkt)) + pkt)
            + _pcapng_block(0x0A, struct.pack("<II", SECRETS_TLS, len(keys)) + keys)
            + _pcapng_block(6, struct.pack("<IIIII", 0, 0, 2, len(pkt), len(pkt)) + pkt))
    got = list(iter_capture(io.BytesIO(data)))
    assert [type(r) for r in got] == [RawPacket, Secrets, RawPacket]
    assert got[1].kind == SECRETS_TLS and got[1].data == keys and got[1].no == 1 and got[2].no == 2


@needs_editcap
@pytest.mark.parametrize("suite", ["aes256gcm", "tls12-rsa-aes128cbc-sha-mte"])
def test_keys_in_a_decryption_secrets_block_decrypt_as_the_key_log_does(tmp_path, suite):
    ng = _inject(tmp_path, suite)
    with_file = _wsdissect("read", "--json", tlsbuild.pcap(suite), "--keylog", tlsbuild.keys(suite))
    inside = _wsdissect("read", "--json", ng)
    assert inside.returncode == 0 and inside.stderr == ""
    assert inside.stdout == with_file.stdout and '"decrypted":true' in inside.stdout
    assert sum(r["type"] == "frame" for r in _records(inside.stdout)) == 8
    for args in (["stats", "--json"], ["read", "--json"]):         # workers each read the block
        one, two = _wsdissect(*args, ng, "-j", "1"), _wsdissect(*args, ng, "-j", "2")
        assert one.stdout == two.stdout and '"websocket":true' in one.stdout
    shown = _wsdissect("show", ng, "9")
    assert shown.returncode == 0 and "decrypted" in shown.stdout
    followed = _wsdissect("follow", ng)
    assert "hello 你好" in followed.stdout
    merged = _wsdissect("read", "--json", "--merge", ng, os.path.join(tlsbuild.WSS, "..", "echo.pcap"))
    assert merged.returncode == 0 and sum(r["type"] == "frame" for r in _records(merged.stdout)) > 8


@needs_editcap
def test_garbage_lines_of_a_secrets_block_are_one_warning_each_naming_the_block_and_the_line(tmp_path):
    keys = tmp_path / "keys"
    good = open(tlsbuild.keys("aes128gcm")).read().splitlines()
    keys.write_text("\n".join(["garbage", *good, "NOPE 00 11"]) + "\n")
    ng = str(tmp_path / "bad.pcapng")
    subprocess.run(["editcap", "--inject-secrets", f"tls,{keys}", tlsbuild.pcap("aes128gcm"), ng], check=True,
                   capture_output=True)
    expected = [f"wsdissect: warning: {ng}: Decryption Secrets Block 1 line 1: not three fields (LABEL "
                "CLIENT_RANDOM SECRET); line ignored",
                f"wsdissect: warning: {ng}: Decryption Secrets Block 1 line {len(good) + 2}: unknown label 'NOPE'; "
                "line ignored"]
    for args in (["read", "--json"], ["read", "--json", "-j", "2"], ["stats", "--json"], ["follow"], ["show", "9"]):
        proc = _wsdissect(*args[:1], ng, *args[1:])
        assert proc.returncode == 0 and proc.stderr.splitlines() == expected, args
    proc = _wsdissect("read", "--json", ng)
    assert sum(r["type"] == "frame" for r in _records(proc.stdout)) == 8       # the good lines still decrypt
    two = _wsdissect("read", "--json", "--merge", ng, os.path.join(tlsbuild.WSS, "..", "echo.pcap"))
    assert two.returncode == 0 and two.stderr.splitlines() == expected


@needs_editcap
@pytest.mark.parametrize("args", [["read", "--json"], ["read"], ["stats", "--json"], ["follow"]])
def test_every_view_reads_a_capture_with_a_secrets_block(tmp_path, args):
    from fuzz.differential import invoke
    argv = [args[0], _inject(tmp_path, "chacha20")] + args[1:]
    out, err, status, exc = invoke(argv, {})
    assert exc is None and status == 0 and out, (argv, err)


# -- HTTP/2 ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_alpn_h2_chosen_is_one_note_and_the_bytes_are_not_read_as_http_1(lang):
    items = [(C2S, tlsbuild.client_hello()), (S2C, tlsbuild.server_hello(alpn="h2"))]
    r = analyze(tlsbuild.replay(items).packets(), lang=lang)
    [note] = r.notes("tls-h2")
    assert "RFC 8441" in note.text and ("HTTP/2" in note.text)
    assert r.analyzer.connections[0].tls["alpn"] == "h2"
    r = analyze(tlsbuild.replay([(C2S, tlsbuild.client_hello()), (S2C, tlsbuild.server_hello(alpn="http/1.1"))])
                .packets())
    assert not r.notes("tls-h2")


def test_tls13_h2_from_the_encrypted_extensions_and_the_decrypted_bytes_go_to_no_http_1_parser():
    # A real TLS 1.3 session whose server chose h2 (in EncryptedExtensions, so only with keys); its client still
    # sent an HTTP/1.1 upgrade, which wsdissect must not read as one: HTTP/2 is not decoded.
    recs = _records(_wsdissect("read", "--json", tlsbuild.pcap("alpn-h2"), "--keylog", tlsbuild.keys("alpn-h2")).stdout)
    notes = [n for r in recs if r["type"] == "packet" for n in r["notes"]]
    assert notes.count("tls-h2") == 1 and not [n for n in notes if n.startswith("http")]
    assert not [r for r in recs if r["type"] in ("frame", "message")]
    [conn] = [r for r in recs if r["type"] == "connection"]
    assert conn["tls"]["alpn"] == "h2" and conn["tls"]["decrypted"] and not conn["websocket"]
    data = [r for r in recs if r["type"] == "packet" and r["role"] == "tls-data"]
    assert data and all(t["decrypted"] for r in data for t in r["tls"])


# -- a key log still being written (live --keylog, demo --tls) ------------------------------------------------------
def test_a_growing_key_log_is_re_read_when_a_connections_keys_are_missing(tmp_path):
    from wsdissect.tls import GrowingKeyLog
    path = tmp_path / "keys.log"
    lines = open(tlsbuild.keys("aes128gcm")).read()
    path.write_text(lines[:len(lines) // 2] + "CLIENT_RAN")        # half the lines, the last one cut short
    growing = GrowingKeyLog(str(path), pause=0)
    growing.read()
    assert not growing.log.warnings                 # the cut line waits for its end
    calls = []

    def writer_catches_up():
        calls.append(1)
        if len(calls) == 3:                         # the client writes the rest a moment later
            path.write_text(lines)
        growing.read()
    growing.log.reread = writer_catches_up
    r = analyze(tlsbuild.replay(tlsbuild.payloads("aes128gcm")).packets(), keylog=growing.log)
    assert len(calls) == 3 and len(r.frames()) == 8 and not r.notes("tls-no-key")


def test_a_key_log_that_never_gets_the_keys_is_re_read_a_bounded_number_of_times(tmp_path):
    from wsdissect.tls import GrowingKeyLog
    from wsdissect.tls.keylog import KEYLOG_REREADS
    growing = GrowingKeyLog(str(tmp_path / "not-yet"), pause=0)
    calls = []
    growing.log.reread = lambda: calls.append(1)
    r = analyze(tlsbuild.replay(tlsbuild.payloads("tls12-chacha20")).packets(), keylog=growing.log)
    assert len(calls) == KEYLOG_REREADS and len(r.notes("tls-no-key")) == 1


def test_live_takes_keylog():
    proc = _wsdissect("live", "--help")
    assert "--keylog" in proc.stdout


@pytest.mark.parametrize("args", [["stats", "--json"], ["stats"], ["read", "--json"]])
def test_tls_and_cleartext_connections_together(args):
    from fuzz.differential import invoke
    argv = [args[0], "--merge", tlsbuild.pcap("tls12-aes128cbc-sha256-etm"),
            os.path.join(tlsbuild.WSS, "..", "echo.pcap"), *args[1:], "--keylog",
            tlsbuild.keys("tls12-aes128cbc-sha256-etm")]
    out, err, status, exc = invoke(argv, {})
    assert exc is None and status == 0 and out, (argv, err)



@needs_tshark
def test_the_lab_over_wss_with_its_keys_inside_matches_tshark():
    # demo --tls -w wss-lab.pcapng: two connections, a fragmented message, a ping, a close handshake and an idle
    # drop, the keys in a Decryption Secrets Block that both tools read.
    path = os.path.join(tlsbuild.WSS, "wss-lab.pcapng")
    expected = tshark_frames("lab", path, keys=False)
    assert len(expected) == 17, "tshark decrypted nothing: the oracle itself is broken"
    proc = _wsdissect("read", "--json", path)
    recs = _records(proc.stdout)
    assert [(r["no"], r["opcode"], r["fin"], r["masked"], r["length"]) for r in recs if r["type"] == "frame"] \
        == expected
    conns = [r for r in recs if r["type"] == "connection"]
    assert [c["close_code"] for c in conns] == [1000, None] and all(c["tls"]["decrypted"] for c in conns)
    assert sum(n == "close-without-close-frame" for r in recs if r["type"] == "packet" for n in r["notes"]) == 1


def test_a_secrets_block_after_the_client_hello_still_serves_its_connection():
    # pcapng allows a Decryption Secrets Block anywhere before the packets it decrypts: here between the
    # ClientHello and the ServerHello of a connection the analyzer had begun without any key log.
    from wsdissect.analyzer import Analyzer
    from wsdissect.model import SECRETS_TLS, Secrets
    packets = tlsbuild.replay(tlsbuild.payloads("aes128gcm")).packets()
    hello = next(i for i, p in enumerate(packets) if len(p.data) > 100)
    a = Analyzer()
    for i, raw in enumerate(packets):
        if i == hello + 1:
            assert a.feed(Secrets(raw.no - 1, SECRETS_TLS, open(tlsbuild.keys("aes128gcm"), "rb").read())) is None
        a.feed(raw)
    a.finish()
    assert a.connections[0].tls["decrypted"] and a.connections[0].is_websocket
    assert a.summary.packets == len(packets)                 # the block is no packet
