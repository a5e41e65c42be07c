"""Line breaking by terminal cells, for every view: the one word-wrap of the timeline, --explain, flow, follow,
stats and show.

Widths are terminal cells: an East Asian wide character (Chinese, Japanese, Korean, full-width forms) counts two.
A line may break
- at a space between words (the space is dropped at the break), and only there in text without wide characters;
- between two characters of which one is wide, since Chinese has no spaces between words,
following the Chinese line-breaking rules (GB/T 15834, W3C "Requirements for Chinese Text Layout"): no line starts
with closing punctuation (。，、；：？！）」』】》 …) and none ends with opening punctuation (（「『【《 …); a dash or an
ellipsis of two characters (—— ……) stays whole. Such a mark stays with the character next to it, and when the two
do not fit at the end of a line they go to the next one together: a line never gets wider than the width to keep
a mark in place. Only a run longer than a whole line with no break allowed in it (a long URL, a hex string) is
cut, into pieces as wide as the line.
"""
from __future__ import annotations

from typing import Optional

from rich.cells import cell_len, chop_cells, get_character_cell_size

__all__ = ["cells", "fill", "one_cell_only", "wrap", "NO_LINE_START", "NO_LINE_END"]

# Characters one terminal cell wide, checked against rich's own measure at import: Latin-1 and Latin Extended,
# Greek, Cyrillic, and the glyphs and punctuation our lines and the analyzer's labels use (↳ ⇒ → — …). A line
# made only of these is as wide as it is long. Every frame and message line starts with ↳ or ⇒, so without
# this set rich's cell_len measured them character by character: 17 % of a timeline run (bench/README.md).
_ONE_CELL = frozenset(ch for ch in (
    [chr(c) for c in range(0x20, 0x7F)] + [chr(c) for c in range(0xA0, 0x300) if c != 0xAD]
    + [chr(c) for c in range(0x370, 0x483)] + list("→←↔↳⇒✖⚠•·✓✗…—–×‘’“”")) if cell_len(ch) == 1)
one_cell_only = _ONE_CELL.issuperset


def cells(s: str) -> int:
    """Terminal cells of `s`: its length when every character is known to be one cell wide."""
    return len(s) if s.isascii() or one_cell_only(s) else cell_len(s)


# Closing punctuation: never at the start of a line (full-width forms, CJK brackets, the quotes Chinese text
# uses, and the ASCII ones, which may follow a Chinese character directly).
# ASCII quotes may open or close: no break on either side of one.
NO_LINE_START = frozenset("。，、；：？！）」』】》〉〕〗〙〛｝］〞〟”’．｡､・ー…‥～%‰)]},.;:?!\"'")
# Opening punctuation: never at the end of a line.
NO_LINE_END = frozenset("（「『【《〈〔〖〘〚｛［〝“‘([{\"'")
# The same two of these in a row (—— ……) are one mark.
_PAIRED = frozenset("—…‥")
# At a space, only the full-width marks move (an ASCII one after a space is rare, and text without wide
# characters must wrap at its spaces alone: the C lane wraps the timeline's Info that way).
_WIDE_NO_START = frozenset(ch for ch in NO_LINE_START if not ch.isascii())
_WIDE_NO_END = frozenset(ch for ch in NO_LINE_END if not ch.isascii())


def _pieces(word: str) -> list[str]:
    """A word without spaces, split where a line may break inside it (next to a wide character)."""
    if word.isascii() or one_cell_only(word):
        return [word]
    pieces, start = [], 0
    size = [get_character_cell_size(ch) for ch in word]
    for i in range(1, len(word)):
        a, b = word[i - 1], word[i]
        if ((size[i - 1] == 2 or size[i] == 2) and size[i - 1] and size[i] and b not in NO_LINE_START
                and a not in NO_LINE_END and not (a == b and a in _PAIRED)):
            pieces.append(word[start:i])
            start = i
    pieces.append(word[start:])
    return pieces


def _units(text: str) -> list[tuple[str, str]]:
    """`text` as (separator before it, unit) pairs: a line may break between two units, dropping the separator
    (" " or ""); never inside a unit."""
    units: list[tuple[str, str]] = []
    for word in text.split(" "):
        pieces = _pieces(word)
        if units and word and (word[0] in _WIDE_NO_START or units[-1][1][-1:] in _WIDE_NO_END):
            sep, prev = units[-1]
            units[-1] = (sep, prev + " " + pieces[0])      # a mark does not go to the other line alone
        else:
            units.append((" ", pieces[0]))
        units.extend(("", p) for p in pieces[1:])
    return units


def wrap(text: str, width: int, first: str = "", rest: Optional[str] = None,
         first_w: Optional[int] = None) -> list[str]:
    """`text` broken into lines of at most `width` cells (see the module's rules): the first line starts with
    `first` (`first_w` cells wide, when the caller knows), the others with `rest` (by default as many spaces as
    `first` is wide). A unit that does not fit even on a fresh line is cut into pieces, the first on that line;
    a prefix wider than the line still leaves 8 cells a piece. The common case, where it all fits, costs one
    width check."""
    if first_w is None:
        first_w = cells(first)
    if rest is None:
        rest = " " * first_w
    if first_w + cells(text) <= width:
        return [first + text]
    # Text without wide characters breaks at its spaces only, and its width is its length.
    narrow = (text.isascii() or one_cell_only(text)) and (rest.isascii() or one_cell_only(rest)) \
        and (first.isascii() or one_cell_only(first))
    if narrow:
        measure, units = len, [(" ", word) for word in text.split(" ")]
    else:
        measure, units = cells, _units(text)
    return fill(units, width, first, rest, first_w, measure, _cut, first_alone=True)


def fill(units: list, width: int, first: str, rest: str, first_w: int, measure, too_long,
         first_alone: bool = False) -> list[str]:
    """The loop of every line breaker: `units` are (separator, unit) pairs put on lines of at most `width`
    (by `measure`), a separator only between two units of a line; the first line starts with `first`
    (`first_w` wide), the others with `rest`. A unit that does not fit even on a fresh line goes to
    `too_long(unit, line so far, its width, width, rest)`, which returns the lines it makes, the last one still
    open. `first_alone`: a unit that fits a fresh line but not the first one past a long `first` ("as text: ")
    goes to the next line whole, `first` alone on its line."""
    lines: list[str] = []
    rest_w = measure(rest)
    cur, cur_w, empty = first, first_w, True
    for sep, unit in units:
        unit_w = measure(unit)
        sep_w = measure(sep)
        if not empty and cur_w + sep_w + unit_w <= width:
            cur, cur_w = cur + sep + unit, cur_w + sep_w + unit_w
            continue
        if not empty:
            if not unit:            # a run of spaces, or a trailing one, at the break: dropped, no line opened
                continue
            lines.append(cur)
            cur, cur_w, empty = rest, rest_w, True
        if cur_w + unit_w <= width:
            cur, cur_w, empty = cur + unit, cur_w + unit_w, False
            continue
        if first_alone and not lines and rest_w + unit_w <= width and first.strip():
            lines.append(first.rstrip())
            cur, cur_w, empty = rest + unit, rest_w + unit_w, False
            continue
        made = too_long(unit, cur, cur_w, width, rest)
        lines.extend(made[:-1])
        cur, empty = made[-1], False
        cur_w = measure(cur)
    if not empty:
        lines.append(cur)
    return lines


def _cut(unit: str, cur: str, cur_w: int, width: int, rest: str) -> list[str]:
    """A unit too long for a fresh line, cut into pieces as wide as the line, the first after `cur`. An empty
    unit (a double space) chops to no piece: it is kept as one."""
    pieces = chop_cells(unit, max(width - cur_w, 8)) or [""]
    return [cur + pieces[0]] + [rest + p for p in pieces[1:]]
