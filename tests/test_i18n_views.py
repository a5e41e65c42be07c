"""--lang zh: every fixed word of every view in Chinese (timeline, flow, show, follow, stats, live).

The main check is template-based: the English template of every catalog id is cut at its {fields} into literal
phrases, and no such phrase may appear in a view rendered in Chinese. A view that still printed a hard-coded
English sentence, or looked a template up in the wrong language, fails it. Protocol tokens the Chinese templates
keep (SYN, WebSocket, Close...) are not phrases of that kind, and data from the capture (payloads, headers, the
tshark-like Info column, role and note codes) stays as it came.
"""
from __future__ import annotations

import io
import json
import os
import re

import pytest
from click.testing import CliRunner
from rich.cells import cell_len
from rich.console import Console

from conftest import BUNDLED, ROOT
from test_details import check_golden
from wsdissect.analyzer import Analyzer
from wsdissect.cli import main
from wsdissect.i18n import CATALOG, catalog
from wsdissect.render.details import render_details
from wsdissect.render.styles import LEGEND
from wsdissect.render.timeline import TimelinePrinter
from wsdissect.sources.pcap import open_capture

CAP = os.path.join(ROOT, "captures")
ENV = {"COLUMNS": "100", "LINES": "25", "NO_COLOR": "1", "TERM": "dumb"}
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
WORD = re.compile(r"[A-Za-z]{2,}")

# Note sentences come from the protocol cores and are checked with them; everything else a view prints is here.
NOT_VIEW_TEXT = ("note.", "note_part.")


def cli(*args: str):
    return CliRunner().invoke(main, list(args), env=ENV, catch_exceptions=False)


def _english_phrases() -> dict:
    """phrase -> catalog id: the literal runs of each English template with at least two words, minus those a
    Chinese template keeps as they are (protocol names and header lines)."""
    zh_all = "\n".join(zh for _, zh in CATALOG.values())
    phrases = {}
    for key, (en, zh) in CATALOG.items():
        if en == zh or key.startswith(NOT_VIEW_TEXT):
            continue
        for piece in re.split(r"\{[^}]*\}", en):
            piece = piece.strip(" \t,.;:()[]—-'\"")
            if len(WORD.findall(piece)) >= 2 and piece not in zh_all:
                phrases[piece] = key
    return phrases


PHRASES = _english_phrases()
PHRASE_RE = re.compile("|".join(rf"(?<![A-Za-z]){re.escape(p)}(?![A-Za-z])"
                                for p in sorted(PHRASES, key=len, reverse=True)))


def assert_no_english_ui(text: str, what: str) -> None:
    found = {m.group(0) for m in PHRASE_RE.finditer(text)}
    assert not found, f"{what}: English UI text in the Chinese view: " + \
        "; ".join(f"{p!r} ({PHRASES[p]})" for p in sorted(found))


def test_the_phrase_check_catches_english():
    assert len(PHRASES) > 300
    assert "TCP ended with FIN" in PHRASES and "bytes on the wire" in PHRASES
    with pytest.raises(AssertionError):
        assert_no_english_ui("Summary: 3 packets over 0.1 s: 3 TCP, 0 other (not shown)", "probe")
    assert_no_english_ui("TCP 以 FIN 结束  GET / HTTP/1.1  \"fragmented text 你好\"", "probe")


VIEWS = [("read",), ("read", "--width", "160"), ("read", "--details"), ("read", "--view", "flow"),
         ("read", "--view", "flow", "--format", "mermaid"), ("read", "--explain"), ("follow",), ("stats",)]


@pytest.mark.parametrize("path", BUNDLED, ids=os.path.basename)
@pytest.mark.parametrize("view", VIEWS, ids=" ".join)
def test_views_in_chinese_have_no_english_ui_text(path, view):
    proc = cli(view[0], path, *view[1:], "--lang", "zh")
    assert proc.exit_code == 0, proc.output
    assert CJK.search(proc.output)
    assert_no_english_ui(proc.output, f"{' '.join(view)} {os.path.basename(path)}")


@pytest.mark.parametrize("path", BUNDLED, ids=os.path.basename)
def test_show_in_chinese_has_no_english_ui_text_for_any_packet(path):
    count = sum(1 for _ in open_capture(path))
    nos = range(1, count + 1)
    if os.path.basename(path) == "busy.pcap":
        # render_details reads the capture up to the packet it shows: all 1,500 would take minutes. The first
        # connections' handshakes, every 100th packet and the last packet of each message spanning segments.
        a = Analyzer()
        rows = [r for r in map(a.feed, open_capture(path)) if r is not None]
        nos = sorted({*range(1, 41), *range(100, count + 1, 100),
                      *(r.no for r in rows for m in r.messages if m.first_no != m.last_no)})
    for no in nos:
        con = Console(file=io.StringIO(), width=100, color_system=None)
        render_details(con, path, no, lang="zh")
        assert_no_english_ui(con.file.getvalue(), f"show {os.path.basename(path)} {no}")
        con = Console(file=io.StringIO(), width=100, color_system="standard", force_terminal=True)
        render_details(con, path, no, lang="zh")           # "marked in colour" instead of "with ^"
        assert_no_english_ui(con.file.getvalue(), f"show {os.path.basename(path)} {no} (colour)")


def test_show_cli_takes_lang():
    proc = cli("show", os.path.join(CAP, "echo.pcap"), "8", "--lang", "zh", "--field", "ws.mask_key")
    assert proc.exit_code == 0, proc.output
    assert "掩码密钥：b0 61 89 af" in proc.output and "用 ^ 标出：ws.mask_key" in proc.output
    assert cli("show", os.path.join(CAP, "echo.pcap"), "8", "--lang", "xx").exit_code == 2


@pytest.mark.parametrize("command", [("show", "6"), ("follow",), ("stats",)], ids=lambda c: c[0])
def test_english_is_the_default_and_unchanged(command):
    path = os.path.join(CAP, "fragments-ping.pcap")
    assert cli(command[0], path, *command[1:]).output == cli(command[0], path, *command[1:], "--lang", "en").output


def test_stats_json_stays_english_data():
    path = os.path.join(CAP, "fragments-ping.pcap")
    en = cli("stats", path, "--json")
    zh = cli("stats", path, "--json", "--lang", "zh")
    assert en.exit_code == zh.exit_code == 0
    assert en.output == zh.output
    assert not CJK.search(zh.output.replace("你好", ""))
    assert [json.loads(line)["type"] for line in zh.output.splitlines()] == ["stats", "stats-total"]


def test_live_takes_lang():
    proc = cli("live", "--help")
    assert "--lang [en|zh]" in proc.output
    assert cli("live", "--lang", "xx").exit_code == 2


def test_the_run_loop_prints_the_timeline_in_the_language_it_is_given(capsys):
    # Without a writer, the run loop writes the timeline in its `lang`.
    from wsdissect.cli.common import run
    run(Analyzer(), open_capture(os.path.join(CAP, "echo.pcap")), lang="zh")
    out = capsys.readouterr().out
    assert "序号" in out and "摘要：22 个数据包" in out and "客户端发起关闭：1000 正常关闭" in out
    assert_no_english_ui(out, "run loop")


# -- layout: Chinese words are two cells wide ----------------------------------------------------------------

def _at(line: str, piece: str) -> int:
    """The terminal cell where `piece` starts in `line`."""
    return cell_len(line[:line.index(piece)])


def _timeline(path: str, width: int) -> list:
    proc = cli("read", path, "--lang", "zh", "--width", str(width))
    assert proc.exit_code == 0, proc.output
    return proc.output.splitlines()


@pytest.mark.parametrize("width", [100, 160])
def test_timeline_heads_sit_over_their_columns(width):
    lines = _timeline(os.path.join(CAP, "echo.pcap"), width)
    head = next(line for line in lines if "序号" in line)
    row = next(line for line in lines if line.lstrip().startswith("1 "))
    assert not WORD.search(head)
    assert cell_len(head[:head.index("序号") + 2]) == cell_len(row[:row.index("1 ") + 1])      # right-aligned
    assert _at(head, "标志") == _at(row, "SYN ")
    assert _at(head, "协议") == _at(row, "TCP")
    assert cell_len(head[:head.index("长度") + 2]) == cell_len(row[:row.index(" 0 [SYN]") + 2])
    assert _at(head, "信息") == _at(row, "[SYN]")
    if width >= 140:
        assert _at(head, "含义") == _at(row, "TCP 三次握手")
    assert all(cell_len(line) <= width for line in lines)


def test_timeline_summary_in_chinese():
    lines = _timeline(os.path.join(CAP, "idle-timeout.pcap"), 100)
    text = "\n".join(lines)
    assert "摘要：13 个数据包，历时 3.207078 秒：TCP 13 个，其他 0 个（未显示），畸形 0 个；1 条连接" in text
    assert "提示：1 条警告" in text and "[警告]" in text and "按代码统计的提示：" in text
    assert "客户端 → 服务端：1 条消息；TCP 载荷 205 字节" in text
    assert "关闭时没有 WebSocket Close 帧；TCP 以 FIN 结束（服务端先发送）；1 条提示" in text
    assert "↳ 文本帧 [FIN] [掩码密钥 " in text and "⇒ WebSocket 已打开：GET /" in text


def test_timeline_rows_do_no_catalog_lookups(monkeypatch):
    """Templates are looked up once, in __init__: a data row only pastes prepared words."""
    class Counting(dict):
        lookups = 0

        def __getitem__(self, key):
            Counting.lookups += 1
            return super().__getitem__(key)

        def get(self, key, default=None):
            Counting.lookups += 1
            return super().get(key, default)

    con = Console(file=io.StringIO(), width=100, color_system=None)
    printer = TimelinePrinter(con, lang="zh")
    printer._t = Counting(printer._t)
    analyzer = Analyzer()
    for raw in open_capture(os.path.join(CAP, "fragments-ping.pcap")):
        row = analyzer.feed(raw)
        if row is None:
            continue
        before = Counting.lookups
        printer.row(row, analyzer.connections.get(row.conn))
        if row.no > 1 and row.role != "ws-upgrade-response":     # the heading and the handshake line may look up
            assert Counting.lookups == before, f"#{row.no} ({row.role}) looked up the catalog"


def test_legend_words_follow_the_legend():
    en = catalog("en")
    assert [en[f"tl.legend.{i}"] for i in range(len(LEGEND))] == [what for what, _ in LEGEND]
    con = Console(file=io.StringIO(), width=60, color_system="standard", force_terminal=True)
    printer = TimelinePrinter(con, lang="zh")
    lines: list = []
    printer._legend_lines(lines, 60)
    text = "".join(p for spans, _ in lines for p, _ in spans)
    assert text.startswith("颜色：") and "纯 ACK" in text
    assert all(cell_len("".join(p for p, _ in spans)) <= 60 for spans, _ in lines)


def test_stats_columns_line_up_in_chinese():
    proc = cli("stats", os.path.join(CAP, "fragments-ping.pcap"), "--lang", "zh")
    lines = proc.output.splitlines()
    head = next(line for line in lines if line.strip().startswith("客户端 → 服务端"))
    assert _at(head, "客户端") == 21 and _at(head, "服务端 → 客户端") == 49
    for label in ("文本", "Ping 帧", "全部消息", "TCP 载荷"):
        line = next(line for line in lines if line.startswith("  " + label))
        value = line[len("  " + label):].lstrip()
        assert _at(line, value) == 21, line
        second = value.split("  ")[-1].strip()
        assert cell_len(line[:line.rindex(second)]) == 49, line
    for line in lines:                     # every field's value starts in the same column
        if line.startswith("  ") and not line.startswith("   ") and line.strip():
            label = line[2:].split("  ")[0]
            assert not re.search(r"(?<![A-Za-z])[a-z]{2,}", label), f"English label: {line!r}"
            assert _at(line, line[2 + len(label):].lstrip()) == 21, line


# -- reviewed goldens of the Chinese views (WSDISSECT_UPDATE_GOLDEN=1 regenerates them) -------------------------

@pytest.mark.parametrize("name,args", [
    ("details/echo-8.zh.txt", ("show", "echo.pcap", "8")),
    ("details/echo-6.zh.txt", ("show", "echo.pcap", "6")),
    ("follow/fragments-ping.zh.txt", ("follow", "fragments-ping.pcap")),
    ("stats/fragments-ping.zh.txt", ("stats", "fragments-ping.pcap")),
], ids=lambda x: x if isinstance(x, str) else None)
def test_chinese_golden(name, args):
    proc = CliRunner().invoke(main, [args[0], os.path.join(CAP, args[1]), *args[2:], "--lang", "zh"],
                              env=dict(ENV, COLUMNS="80"), catch_exceptions=False)
    assert proc.exit_code == 0, proc.output
    check_golden(name, proc.output)


@pytest.mark.parametrize("path", BUNDLED, ids=os.path.basename)
def test_lab_page_chinese_side_has_no_english_ui_text(path):
    """Everything the lab page shows in Chinese: row labels, trees, arrows, explanations, summary, stats and
    the page's own words."""
    from wsdissect.render.report import build_report
    data = build_report(open_capture(path), path)
    zh = [r["L"][1] for r in data["rows"]]
    zh += [line[1] for d in data["details"].values() for line in d["T"][1]]
    zh += [a[2][1] for c in data["conns"] for a in c["A"]]
    zh += [e["T"][1] + "\n" + "\n".join(e["B"][1]) for e in data["explain"]]
    zh += [data["summary"][1], data["stats"][1], *data["ui"]["zh"].values()]
    text = "\n".join(zh)
    assert CJK.search(text)
    assert_no_english_ui(text, f"report {os.path.basename(path)} (zh)")
