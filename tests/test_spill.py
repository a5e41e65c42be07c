"""Finished connections that wait behind an open one go to a spill file (wsdissect/render/spill.py): `follow`
and the flow view print the same bytes whether they wait in memory or on disk."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from pcapbuild import pcap_bytes
from sessionbuild import Session, raw_frame
from wsdissect.cli import main
from wsdissect.model import C2S, S2C
from wsdissect.render import flow, follow, spill

MASK = b"\x11\x22\x33\x44"


def test_spill_gives_back_each_object_once_and_lets_the_file_go():
    s = spill.Spill()
    s.put(3, {"a": [1, 2]})
    s.put(1, ("x", b"\0" * 5000))
    assert 3 in s and len(s) == 2
    assert s.take(1) == ("x", b"\0" * 5000)
    assert s.take(3) == {"a": [1, 2]}
    assert len(s) == 0 and s._file is None
    with pytest.raises(KeyError):
        s.take(3)


def _long_in_front(short: int) -> bytes:
    """One WebSocket connection open from the first packet to the last, and `short` connections that open,
    talk and close inside it: each of them waits for the first before it can be printed."""
    long = Session(client=("10.9.9.9", 5555))
    long.websocket_handshake()
    items = list(long.items)
    t = long.t
    for i in range(short):
        s = Session(client=(f"10.1.{i // 250}.{i % 250 + 1}", 40000 + i), t0=t + i)
        s.websocket_handshake()
        s.send(C2S, raw_frame(b"hello %d" % i, opcode=1, mask=MASK))
        s.send(S2C, raw_frame(b"hello %d" % i, opcode=1))
        s.teardown()
        items.extend(s.items)
    long.t = t + short + 1
    k = len(long.items)
    long.send(C2S, raw_frame(b"bye", opcode=1, mask=MASK))
    long.teardown()
    items.extend(long.items[k:])
    return pcap_bytes(items)


@pytest.mark.parametrize("args", [["follow"], ["read", "--view", "flow"], ["read", "--view", "flow", "--format",
                                                                          "mermaid"]])
def test_views_print_the_same_with_connections_spilled(tmp_path, monkeypatch, args):
    path = tmp_path / "front.pcap"
    path.write_bytes(_long_in_front(40))
    # Connections leave the tracker (and so finish, for these views) a while after their last packet.
    monkeypatch.setattr("wsdissect.tcp.LINGER_PACKETS", 5)
    run = lambda: CliRunner().invoke(main, [args[0], str(path), *args[1:]], env={"COLUMNS": "100"})  # noqa: E731
    in_memory = run()
    assert in_memory.exit_code == 0, in_memory.output
    puts = []
    real_put = spill.Spill.put
    monkeypatch.setattr(spill.Spill, "put", lambda self, k, o: (puts.append(k), real_put(self, k, o)))
    monkeypatch.setattr(follow, "WAITING_IN_MEMORY", 2)
    monkeypatch.setattr(flow, "WAITING_IN_MEMORY", 2)
    spilled = run()
    assert spilled.exit_code == 0, spilled.output
    assert len(puts) >= 20                       # most of the forty waited on disk
    assert spilled.output == in_memory.output
    assert "#" in spilled.output


def test_flow_keeps_no_record_of_a_spilled_connection_folded_at_once(tmp_path, monkeypatch):
    """A connection past --max-summary-connections is folded and finished at the same packet; its record goes to
    the spill file with its arrows, and no copy of it stays in memory."""
    path = tmp_path / "front.pcap"
    path.write_bytes(_long_in_front(40))
    monkeypatch.setattr("wsdissect.tcp.LINGER_PACKETS", 5)
    monkeypatch.setattr(flow, "WAITING_IN_MEMORY", 2)
    waiting = []
    real_remaining = flow._LadderWriter._remaining

    def remaining(self, summary):
        waiting.append((sum(cid in self._spill for cid in self._done), len(self._spill)))
        real_remaining(self, summary)
    monkeypatch.setattr(flow._LadderWriter, "_remaining", remaining)
    r = CliRunner().invoke(main, ["read", str(path), "--view", "flow", "--max-summary-connections", "3"],
                           env={"COLUMNS": "100"})
    assert r.exit_code == 0, r.output
    (twice, on_disk), = waiting
    assert on_disk >= 30 and twice == 0               # a spilled connection's record is in the file only
