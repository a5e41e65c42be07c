"""The one line breaker of every view (render/linebreak.py): widths in terminal cells, Chinese line-breaking
rules, and every view keeping to them on a capture whose messages are Chinese."""
from __future__ import annotations

import pytest
from click.testing import CliRunner
from hypothesis import example, given, settings, strategies as st
from rich.cells import cell_len

from sessionbuild import Session
from wsdissect.cli import main
from wsdissect.model import C2S, S2C
from wsdissect.render.linebreak import NO_LINE_END, NO_LINE_START, wrap

CLOSING = "。，、；：？！）」』】》”"
OPENING = "（「『【《“"
ZH = ("我们在实验里观察到：服务器在客户端静默三十秒后，直接关闭了（没有发送关闭帧的）TCP连接，这和书上说的“关闭握手”"
      "不一样。为什么会这样呢？请解释《RFC 6455》中的相关规定，谢谢！")
EN = ("We saw in the lab that the server, after thirty seconds of silence, closed the TCP connection (without "
      "a Close frame), unlike the closing handshake of the book. Why?")

# Chinese text as it is written: phrases of characters, each maybe in brackets or quotes and followed by a
# punctuation mark, an English word or a number now and then.
_phrase = st.tuples(st.sampled_from(["", *OPENING]),
                    st.one_of(st.text(alphabet="服务器客户端连接关闭帧数据消息握手超时静默", min_size=1, max_size=8),
                              st.sampled_from(["用 TCP 连接", "用WebSocket发", "30 秒", "等——等", "好……好",
                                               "《RFC 6455》"])),
                    st.sampled_from(["", "", *CLOSING])).map("".join)
zh_text = st.lists(_phrase, max_size=20).map("".join)


def _bad_starts(lines: list[str]) -> list[str]:
    return [line for line in lines if line.strip() and line.strip()[0] in NO_LINE_START]


def _bad_ends(lines: list[str]) -> list[str]:
    return [line for line in lines if line.strip() and line.rstrip()[-1] in NO_LINE_END]


@settings(max_examples=400, deadline=None)
@given(text=zh_text, width=st.integers(16, 90), indent=st.sampled_from(["", "    ", "  as text: "]))
@example(text=ZH, width=41, indent="")
@example(text="连接关闭了。。。好", width=16, indent="  as text: ")
def test_chinese_lines_follow_the_line_breaking_rules(text, width, indent):
    lines = wrap(text, width, indent, "    ")
    for line in lines:
        assert cell_len(line) <= width, (width, line)              # never wider, not even by a full stop
    body = [line.removeprefix(indent.rstrip()).lstrip() if i == 0 else line[4:] for i, line in enumerate(lines)]
    assert not _bad_starts(body[1:]), body                         # no line starts with a closing mark
    assert not _bad_ends(body[:-1]), body                          # none ends with an opening one
    # Nothing is lost: the lines put back together are the text (a space at a break is dropped).
    assert "".join(body).replace(" ", "") == text.replace(" ", "")
    for pair in ("——", "……"):
        assert text.count(pair) == "".join(body).count(pair)      # a two-character mark is never split


def test_chinese_wraps_where_english_does_and_at_the_same_width():
    for text in (EN, ZH):
        lines = wrap(text, 40, "      ")
        assert len(lines) > 2 and all(cell_len(line) <= 40 for line in lines)
        assert sum(cell_len(line) for line in lines) >= 0.8 * 40 * (len(lines) - 1)   # lines are filled
    # "as text: ..." : the Chinese starts on the label's line, as the English does, instead of below it.
    assert wrap(ZH, 60, "as text: ")[0].startswith("as text: 我们")
    assert wrap(EN, 60, "as text: ")[0].startswith("as text: We saw")


def test_widths_are_display_cells():
    assert wrap("你好你好你好", 6) == ["你好你", "好你好"]
    assert wrap("a b c", 3) == ["a b", "c"]
    assert wrap("好，好", 3) == ["好，", "好"]                 # the comma stays with the character before it
    assert wrap("好好（好", 5) == ["好好", "（好"]             # the bracket goes on with the character after it


def test_text_without_wide_characters_breaks_only_at_spaces():
    assert wrap("one two three", 7) == ["one two", "three"]
    assert wrap("a-very-long-word x", 8) == ["a-very-l", "ong-word", "x"]


@pytest.fixture(scope="module")
def zh_capture(tmp_path_factory):
    s = Session()
    s.websocket_handshake()
    s.send(C2S, s.client.send_data(EN))
    s.send(S2C, s.server.send_data(EN))
    s.send(C2S, s.client.send_data(ZH))
    s.send(S2C, s.server.send_data(ZH))
    s.teardown()
    path = tmp_path_factory.mktemp("zh") / "zh.pcap"
    path.write_bytes(s.pcap())
    return str(path)


VIEWS = {
    "timeline": ["read"], "explain": ["read", "--explain"], "flow": ["read", "--view", "flow"],
    "follow": ["follow"], "stats": ["stats"], "show": ["show", "{}", "12"],
}


# Narrower than 80 columns, the hex dumps (follow, show) and the two-column table of stats keep their fixed
# layout; the other views are tried at 61 too.
FIXED_LAYOUT = ("follow", "show", "stats")


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("view, width", [(v, w) for v in VIEWS for w in (61, 80, 100)
                                         if w >= 80 or v not in FIXED_LAYOUT])
def test_every_view_keeps_the_rules_and_the_width(zh_capture, view, lang, width):
    args = VIEWS[view]
    args = [a.format(zh_capture) for a in args] if "{}" in args else args + [zh_capture]
    out = CliRunner().invoke(main, [*args, "--lang", lang, "--width", str(width)],
                             env={"NO_COLOR": "1", "TERM": "dumb"}, catch_exceptions=False).output
    lines = out.splitlines()
    too_wide = [line for line in lines if cell_len(line) > width]
    assert not too_wide
    # Closing marks a line may start with only where the text itself put one after a space or at its start.
    assert not [line for line in _bad_starts(lines) if line.strip()[0] in CLOSING]
    assert not [line for line in _bad_ends(lines) if line.rstrip()[-1] in OPENING]
    if view in ("follow", "show"):
        # The Chinese message is all there, wrapped like the English one, not cut (show keeps 64 characters).
        flat = "".join(line.strip() for line in lines)
        assert ZH[:60] in flat
        assert view == "show" or EN.replace(" ", "") in flat.replace(" ", "")



def test_spaces_at_a_break_are_dropped_and_open_no_line():
    assert wrap("aaa bbb ", 7) == ["aaa bbb"]                    # a trailing space where the line is full
    assert wrap("aaa  bbb", 3) == ["aaa", "bbb"]                 # a run of spaces at the break
    assert wrap("aaa  bbb", 20, "", "", 0) == ["aaa  bbb"]       # inside a line, the spaces stay
