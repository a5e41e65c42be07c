"""--lang: the i18n catalog is complete in both languages, and `read --lang zh` labels every row in Chinese."""
import glob
import os
import re
import subprocess
import sys

import pytest

from conftest import BUNDLED, ROOT
from wsdissect.analyzer import Analyzer
from wsdissect.render.labels import LabelWords
from wsdissect.i18n import CATALOG, LANGS, T, catalog, fields
from wsdissect.sources.pcap import open_capture

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
# A label made only of protocol tokens, numbers and punctuation needs no Chinese.
PROTOCOL_ONLY = re.compile(r"^[A-Z0-9 ,#/+()._:-]*$")


def test_every_entry_has_english_and_chinese_with_the_same_parameters():
    assert LANGS == ("en", "zh")
    for key, texts in CATALOG.items():
        assert len(texts) == len(LANGS), f"{key}: one text per language"
        en, zh = texts
        assert en.strip() or key.startswith(("sep.", "join.")), f"{key}: empty English entry"
        assert zh.strip() or key.startswith(("sep.", "join.")), f"{key}: no Chinese entry"
        assert fields(en) == fields(zh), f"{key}: English {fields(en)} vs Chinese {fields(zh)}"


def test_chinese_entries_are_chinese():
    # Every sentence-like entry of the Chinese catalog carries Chinese characters; tokens may stay as they are.
    same_ok = {k for k, (en, zh) in CATALOG.items() if en == zh}
    assert same_ok <= {"join.fin"}, same_ok
    for key, (en, zh) in CATALOG.items():
        if key.startswith(("sep.", "join.", "paren")) or key.startswith("opcode.") and zh.istitle():
            continue
        assert CJK.search(zh), f"{key}: {zh!r} has no Chinese"


def test_catalog_lookup():
    assert catalog("en")["tcp.syn"].format(side="client") == "TCP handshake 1/3: client asks to connect (SYN)"
    assert T("tcp.syn", "zh", side=T("side.client", "zh")) == "TCP 三次握手 1/3：客户端请求建立连接（SYN）"
    assert catalog("zh") is catalog("zh")            # built once
    with pytest.raises(ValueError):
        catalog("fr")
    with pytest.raises(ValueError):
        LabelWords("fr")


@pytest.mark.parametrize("path", BUNDLED, ids=os.path.basename)
def test_one_analysis_is_worded_in_every_language(path):
    # The analyzer speaks no language: its rows are worded by the views, each row's label in Chinese as well.
    a = Analyzer()
    rows = [r for r in map(a.feed, open_capture(path)) if r is not None]
    a.finish()
    en, zh = LabelWords("en"), LabelWords("zh")
    for row in rows:
        assert row.label is not None
        said, zh_said = en.text(row), zh.text(row)
        assert said and zh_said and said != zh_said, (row.no, said)
        assert re.search(r"[\u4e00-\u9fff]", zh_said), (row.no, zh_said)


def _read(*args):
    env = dict(os.environ, NO_COLOR="1", COLUMNS="100")
    proc = subprocess.run([sys.executable, "-m", "wsdissect", "read", *args], capture_output=True, text=True,
                          env=env)
    assert "Traceback" not in proc.stderr
    return proc


@pytest.mark.parametrize("path", sorted(glob.glob(os.path.join(ROOT, "captures", "*.pcap"))),
                         ids=os.path.basename)
def test_read_lang_zh_labels_every_row_in_chinese(path):
    import json
    proc = _read(path, "--lang", "zh", "--json")
    assert proc.returncode == 0
    packets = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith('{"type":"packet"')]
    assert packets
    for p in packets:
        label = p["label"]
        assert label, p
        assert CJK.search(label) or PROTOCOL_ONLY.match(label), f"#{p['no']}: {label!r}"
    # The timeline shows those labels.
    out = _read(path, "--lang", "zh", "--width", "160").stdout
    flat = "".join(out.split())          # a label wraps at its spaces (a long URI goes on the next line)
    for p in packets:
        assert "".join(p["label"].split("（")[0][:20].split()) in flat


def test_read_lang_en_is_the_default():
    path = os.path.join(ROOT, "captures", "echo.pcap")
    assert _read(path).stdout == _read(path, "--lang", "en").stdout
    assert _read(path, "--lang", "xx").returncode == 2


def test_flow_in_chinese_keeps_its_shape():
    out = _read(os.path.join(ROOT, "captures", "idle-timeout.pcap"), "--lang", "zh", "--view", "flow").stdout
    for phase in ("TCP 三次握手", "WebSocket 握手", "数据传输", "关闭连接"):
        assert phase in out
    assert "ACK 确认 #4（升级请求）" in out and "没有 Close 帧" in out


def test_no_sentence_speaks_of_one_reader_s_notes():
    # The words are for any student: none may point at someone's notes, their project or "the book" they used.
    personal = re.compile(r"\bnotes'|\bthe notes\b|lab's notes|the book\b|笔记|(?<!科)书上", re.I)
    for key, texts in CATALOG.items():
        for text in texts:
            assert not personal.search(text), f"{key}: {text!r}"


# -- one form for each term in Chinese: "Ping 帧" (a space between Latin and Chinese), and 秒/毫秒 for time --------
HAN = "\u4e00-\u9fff"
LATIN_HAN_UNSPACED = re.compile(rf"[A-Za-z0-9][{HAN}]|[{HAN}][A-Za-z0-9]")
LATIN_UNIT = re.compile(r"(?:\d|\})\s*m?s\b")            # "3.0 s", "{seconds} s", "0.2 ms"
OPCODE_WORDS = ("continuation", "text", "binary", "close", "ping", "pong", "reserved")


def test_zh_catalogue_writes_each_term_one_way():
    zh = catalog("zh")
    for key, text in zh.items():
        literal = re.sub(r"\{[^}]*\}", "\0", text)
        assert not LATIN_HAN_UNSPACED.search(literal), f"{key}: Latin and Chinese without a space: {text!r}"
        assert not LATIN_UNIT.search(text), f"{key}: a time in s/ms, not 秒/毫秒: {text!r}"
    for unit, word in (("unit.s", "秒"), ("unit.ms", "毫秒")):
        assert zh[unit].format(n="1.5") == f"1.5 {word}"


@pytest.mark.parametrize("opcode", OPCODE_WORDS)
def test_zh_frame_names_put_a_space_between_an_opcode_and_帧(opcode):
    """'{opcode}帧' and '{names}帧' take a Chinese word (文本帧) or a Latin one (Ping 帧); filled as the analyzer and
    note_text fill them, both read as Chinese technical writing spells them."""
    from wsdissect.i18n import fill, note_text
    zh = catalog("zh")
    word = zh["opcode." + opcode]
    name = fill(zh["name.frame"], names=word)
    assert name == (f"{word} 帧" if word.isascii() else f"{word}帧")
    for key, text in zh.items():
        if key.startswith("note.") and "{opcode}" in text:
            args = {f: 1 for f in fields(text)}
            args.update(opcode=opcode, side="client", prev_opcode="text")
            code = key[5:].split(".")[0].replace("_", "-")
            if "." in key[5:]:
                args["variant"] = key[5:].split(".", 1)[1]
            out = note_text(code, args, "zh")
            assert not LATIN_HAN_UNSPACED.search(re.sub(r"\d", "", out)), f"{key}: {out!r}"


@pytest.mark.parametrize("path", BUNDLED, ids=os.path.basename)
def test_zh_views_write_each_term_one_way(path):
    from click.testing import CliRunner
    from wsdissect.cli import main
    runner = CliRunner()
    for args in (["read"], ["read", "--explain"], ["read", "--view", "flow"],
                 ["read", "--view", "flow", "--format", "mermaid"], ["follow"], ["stats"]):
        out = runner.invoke(main, [*args, path, "--lang", "zh"], env={"NO_COLOR": "1", "COLUMNS": "100"}).output
        assert not re.search(r"[A-Za-z]帧", out), (args, re.search(r".{20}[A-Za-z]帧.{5}", out))
        assert not re.search(r"\d m?s\b", out), (args, re.search(r".{20}\d m?s\b.{5}", out))
