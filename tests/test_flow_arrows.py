"""The flow view keeps each connection's arrows packed in one buffer until its ladder is drawn
(wsdissect/render/flow.py `ArrowCollector`): it gives back the arrows its rows made, and an open connection costs its
arrows' bytes, not objects per arrow."""
from __future__ import annotations

import os
import tracemalloc

import pytest

from sessionbuild import KEY, Session, accept_for, open_sessions, raw_frame, upgrade_request, upgrade_response
from test_details import CAP
from wsdissect.analyzer import Analyzer
from wsdissect.model import C2S, S2C
from wsdissect.render import flow
from wsdissect.sources.pcap import open_capture

MASK = b"\x01\x02\x03\x04"


def _rows(packets, lang: str = "en") -> list:
    a = Analyzer()
    return [row for row in map(a.feed, packets) if row is not None]


def _both_ways(rows: list, lang: str) -> tuple[dict, dict]:
    """(arrows given back by a collector that packed them, arrows made one by one), per connection."""
    packed, plain = flow.ArrowCollector(lang), flow.ArrowCollector(lang)
    made: dict = {}
    for row in rows:
        packed.add(row)
        if row.conn is not None and row.role != flow.ROLE_PAST_CAP:
            made.setdefault(row.conn, []).append(plain.arrow(row))
    return {cid: list(packed.arrows_of(buf)) for cid, buf in packed.arrows.items()}, made


def _coalesced_101() -> list:
    """The 101 and the server's first Ping in one segment: an arrow with an HTTP line at its head."""
    s = Session()
    s.handshake()
    s.send(C2S, upgrade_request(KEY))
    s.send(S2C, upgrade_response(accept_for(KEY)) + raw_frame("Zeek ✓".encode(), opcode=9))
    s.send(C2S, raw_frame(b"Zeek", opcode=10, mask=MASK))
    return s.packets()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_packed_arrows_are_the_arrows_the_rows_make(lang):
    captures = sorted(f for f in os.listdir(CAP) if f.endswith(".pcap"))
    sources = [list(open_capture(os.path.join(CAP, f))) for f in captures] + [_coalesced_101()]
    seen_head = seen_wide = False
    for packets in sources:
        given, made = _both_ways(_rows(packets, lang), lang)
        assert given == made
        arrows = [a for conn in made.values() for a in conn]
        seen_head |= any(a.head for a in arrows)
        seen_wide |= any(not a.text.isascii() for a in arrows)
    assert seen_head and seen_wide          # an HTTP line before frames; text beyond ASCII


def test_any_text_comes_back_as_it_was(monkeypatch):
    # Whatever an arrow says, lone surrogates included, comes back from the buffer unchanged.
    texts = ["", "\udcff raw", "é 漢字 \U0001F600", "x" * 70_000]
    monkeypatch.setattr(flow, "arrow_text", lambda row, t=None: texts[row.no % len(texts)])
    given, made = _both_ways(_rows(_coalesced_101()), "en")
    assert given == made and {a.text for a in made[0]} >= {"\udcff raw", "x" * 70_000}


def test_an_open_connection_costs_its_packed_bytes_and_little_more():
    n = 300
    rows = _rows(open_sessions(n + 1, reply=True))
    collector = flow.ArrowCollector()
    first = rows[0].conn
    for row in rows:                    # the first connection warms up what is made once (catalogue, roles)
        if row.conn == first:
            collector.add(row)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for row in rows:
            if row.conn != first:
                collector.add(row)
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(collector.arrows) == n + 1
    arrows = sum(1 for row in rows if row.conn != first)
    packed = sum(len(buf) for cid, buf in collector.arrows.items() if cid != first)
    assert packed <= arrows * (flow._PACKED.size + 40)
    # The buffers' bytes, their growth room, and per connection one buffer object and its entries in two dicts:
    # no object per arrow (a slotted one, with its number, time and text, is ~200 bytes).
    assert held < 1.25 * packed + 200 * n, (held / n, packed / n, arrows / n)
