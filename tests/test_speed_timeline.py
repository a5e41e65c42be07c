"""The timeline's shortcuts for speed change nothing in what it prints.

Widths added up from a line's parts must equal the line measured whole; a label wrapped once and remembered must
match the label wrapped in place, whatever its prefix and after the width changes, and sit beside a wrapped Info in
the wide layout; remembered message heads must match fresh ones.
"""
from __future__ import annotations

import io

import pytest
from hypothesis import assume, example, given, settings, strategies as st
from rich.cells import cell_len
from rich.console import Console

from wsdissect.model import C2S, PSH, ACK, Connection, Endpoint, Frame, Message, Row
from wsdissect.render.linebreak import wrap
from conftest import SaidWords, said
from wsdissect.render.timeline import TimelinePrinter, _cells, _fit, _fit_known

# Text that is hard to measure: wide, zero-width, combining, emoji with variation selector, controls, escapes.
PIECES = ["a", "hello", " ", "  ", "你好", "é", "e\u0301", "👍", "❤\ufe0f", "1\ufe0f", "\ufe0f", "a\u200db", "\x00",
          "\n", "\u202e", "…", "→", "ｆ", "Ω", "\u00ad", "🇫🇷", "x" * 25, '{"seq":1}']
tricky = st.lists(st.sampled_from(PIECES), max_size=30).map("".join)


def printer(width=80, lang="en", ascii_console=False) -> TimelinePrinter:
    if ascii_console:
        file = io.TextIOWrapper(io.BytesIO(), encoding="ascii", errors="backslashreplace")
    else:
        file = io.StringIO()
    return TimelinePrinter(Console(file=file, width=width, color_system=None, highlight=False), lang=lang,
                           labels=SaidWords(lang))


@settings(max_examples=300, deadline=None)
@given(payload=tricky, opcode=st.sampled_from([0, 1, 2, 8, 9, 10, 3]), rsv=st.sampled_from([0, 1, 2, 4, 7]),
       extra=st.sampled_from([0, 7]), key=st.sampled_from([None, b"\x01\x02\x03\x04"]),
       lang=st.sampled_from(["en", "zh"]), ascii_console=st.booleans(), reason=st.none() | tricky)
def test_frame_widths_add_up(payload, opcode, rsv, extra, key, lang, ascii_console, reason):
    p = printer(lang=lang, ascii_console=ascii_console)
    data = payload.encode("utf-8", "surrogatepass")
    f = Frame(no=1, first_no=1, conn=0, direction=C2S, fin=True, rsv=rsv, opcode=opcode, masked=key is not None,
              mask_key=key, length=len(data) + extra, payload=data, close_code=1000 if opcode == 8 else None,
              close_reason=reason)
    for indent in ("", "  ", " " * 17):
        head, head_w, preview, preview_w = p._frame_text(f, indent)
        assert head_w == _cells(head) == cell_len(head)
        assert preview_w == _cells(preview) == cell_len(preview)
        if preview:
            assert head_w + 1 + preview_w == _cells(f"{head} {preview}")


@settings(max_examples=300, deadline=None)
@given(text=st.none() | tricky, data=tricky, opcode=st.sampled_from([1, 2]), frames=st.sampled_from([1, 2, 5]),
       compressed=st.booleans(), truncated=st.booleans(), lang=st.sampled_from(["en", "zh"]),
       ascii_console=st.booleans())
def test_message_widths_add_up_and_remembered_heads_match(text, data, opcode, frames, compressed, truncated, lang,
                                                          ascii_console):
    p = printer(lang=lang, ascii_console=ascii_console)
    m = Message(conn=0, direction=C2S, opcode=opcode, frames=frames, first_no=1, last_no=1, compressed=compressed,
                length=1234, wire_length=99, data=data.encode("utf-8", "surrogatepass"),
                text=text if opcode == 1 else None, truncated=truncated)
    first = p._message_text(m, "  ")
    again = p._message_text(m, "  ")                 # the head now comes from the printer's memory
    assert first == again
    if first is None:
        return
    line, line_w, preview, preview_w = first
    assert line_w == _cells(line) == cell_len(line)
    assert preview_w == _cells(preview)
    if preview:
        assert line_w + 1 + preview_w == _cells(f"{line} {preview}")


@settings(max_examples=300, deadline=None)
@given(s=tricky, width=st.integers(-2, 60))
def test_fit_known_is_fit(s, width):
    assert _fit_known(s, _cells(s), width, "…") == _fit(s, width, "…")
    assert _fit_known(s, _cells(s), width, "...") == _fit(s, width, "...")


@settings(max_examples=300, deadline=None)
@given(s=st.lists(st.sampled_from(["a", "你", "\u200b", "\u0301", "→", "é"]), max_size=30).map("".join),
       width=st.integers(1, 40))
def test_fit_never_passes_the_width(s, width):
    """A wide and a zero-width character count as many cells as characters: the cut must still count cells."""
    for ellipsis in ("…", "..."):
        fitted = _fit(s, width, ellipsis)
        assert cell_len(fitted) <= width
        assert fitted == s or fitted.endswith(ellipsis) or cell_len(ellipsis) >= width   # no room: cut bare


@settings(max_examples=300, deadline=None)
@given(label=tricky, prefix=st.lists(st.sampled_from(["a", "你", "→", " "]), min_size=1, max_size=40).map("".join),
       width=st.integers(20, 200))
def test_a_label_wrapped_after_spaces_is_the_label_wrapped_after_its_prefix(label, prefix, width):
    first_w = _cells(prefix)
    # As the printer calls it: a label, after a prefix that leaves room (a prefix wider than the line makes
    # _pack fail on an empty word, with or without this cache).
    assume(label and first_w <= width - 8)
    p = printer(width=width)
    wrapped = p._label_lines(label, width, first_w, " " * first_w)
    assert [prefix + wrapped[0][first_w:]] + wrapped[1:] == wrap(label, width, prefix, " " * first_w, first_w)
    assert p._label_lines(label, width, first_w, " " * first_w) is wrapped         # remembered


def _row(no, label, info="Text [FIN]"):
    conn = Connection(id=0, client=Endpoint("10.0.0.1", 1024), server=Endpoint("10.0.0.2", 80), saw_syn=True)
    return Row(no=no, ts=1e9 + no, conn=0, direction=C2S, src="10.0.0.1:1024", dst="10.0.0.2:80", flags=PSH | ACK,
               seq=0, ack=0, length=10, frame_len=76, window=0, role="ws-data", label=said(label), info=info,
               protocol="WebSocket"), conn


@settings(max_examples=300, deadline=None)
@given(info=tricky, label=st.lists(st.sampled_from(PIECES + ["word"] * 8), max_size=40).map(" ".join),
       width=st.sampled_from([140, 160, 200, 240]))
@example(info="😀😀" + "x" * 60 + "\u0301\u0301", label="part of a WebSocket frame from client (completed in a later "
         "packet)", width=200)      # a zero-width character right after the cut of a long word
@example(info="GET /" + "chat/room " * 12 + "HTTP/1.1", label="WebSocket handshake 1/2", width=160)
@example(info="aaaaaaaaaaa  " + "x" * 25 + '{"seq":1}aa  a\u200db\U0001f1eb\U0001f1f7 ', label="", width=160)
def test_wide_rows_wrap_info_in_its_column_and_the_label_beside_it(info, label, width):
    """A wide row's Info is word-wrapped within its column, never cut, and its label, the remembered wrap,
    goes down beside it in the next column."""
    p = printer(width=width)
    row, conn = _row(1, label, info)
    p.origin(row.ts)
    lines = []
    p._row_lines(lines, row, conn, width, "")
    texts = [text for text, _ in lines]
    head = p._head_fmt % (row.no, 0.0, conn.client.port, p._arrows[C2S], conn.server.port, "PSH,ACK", "WS",
                          row.length)
    info_w, _ = p._wide_columns(len(head), width)
    label_col = len(head) + info_w + 2
    labels = [text[label_col:] for text in p._label_lines(p._clean(label), width, label_col, " " * label_col)] \
        if p._clean(label) else []
    assert texts[0].startswith(head.rstrip()) and all(text.startswith(" " * len(head)) for text in texts[1:])
    assert len(texts) >= len(labels)
    shown = []
    for i, text in enumerate(texts):
        assert cell_len(text) <= width
        rest = text[len(head):]
        if i < len(labels):
            assert rest.endswith("  " + labels[i]) and cell_len(rest) == info_w + 2 + cell_len(labels[i])
            rest = rest[:len(rest) - len(labels[i]) - 2]
        shown.append(rest)
    expected = p._clean(info)
    expected = expected[10:] if expected.startswith("WebSocket ") else expected
    # Every character of the Info is there, in order: wrapped at its spaces, long words cut into pieces.
    assert "".join(shown).replace(" ", "") == expected.replace(" ", "")


@pytest.mark.parametrize("widths", [(80, 50), (150, 200), (200, 90), (60, 145)])
def test_remembered_labels_follow_a_width_change(widths):
    label = "part of a WebSocket frame from client (completed in a later packet), 你好 " * 2
    rows = [_row(i, label if i % 2 else label + "!") for i in range(1, 600)]
    out = {}
    for w in widths:                              # each width alone, from a fresh printer
        p = printer(width=w)
        for row, conn in rows:
            p.row(row, conn)
        out[w] = p.console.file.getvalue()
    # One printer whose console changes width at row 300: past the next width refresh, rows look as at the
    # new width, the remembered labels of the old width forgotten.
    p = printer(width=widths[0])
    for i, (row, conn) in enumerate(rows):
        if i == 300:
            p.console.width = widths[1]
        p.row(row, conn)
    got = p.console.file.getvalue().splitlines()
    first = out[widths[0]].splitlines()
    second = out[widths[1]].splitlines()
    # Rows 1-256 and rows 513- can be compared with the single-width runs (the refresh falls at row 257 and 513).
    n_first = next(i for i, line in enumerate(first) if line.lstrip().startswith("257 "))
    assert got[:n_first] == first[:n_first]
    tail = next(i for i, line in enumerate(second) if line.lstrip().startswith("513 "))
    got_tail = next(i for i, line in enumerate(got) if line.lstrip().startswith("513 "))
    assert got[got_tail:] == second[tail:]
