"""The progress bar of long reads: shown after PROGRESS_AFTER seconds, never changes the packets."""
import io
import os

from rich.console import Console

from wsdissect.cli import progress
from wsdissect.model import RawPacket
from wsdissect.sources.pcap import open_capture

from conftest import ROOT


def _packets(n):
    return (RawPacket(i + 1, float(i), 1, b"", 0) for i in range(n))


def _console():
    buf = io.StringIO()
    # A terminal that can redraw: on TERM=dumb (which CI may have) rich draws no transient display at all.
    return buf, Console(file=buf, force_terminal=True, width=120, height=25, _environ={"TERM": "xterm"})


def test_a_slow_read_shows_packets_bytes_and_rate_then_clears():
    ticks = iter(range(0, 10_000_000))            # each look at the clock: one more second
    buf, console = _console()
    n = progress.CHECK_EVERY * 3
    out = list(progress.tracked(_packets(n), lambda: 1_500_000, 3_000_000, "big.pcap",
                                clock=lambda: float(next(ticks)), console=console))
    assert [p.no for p in out] == list(range(1, n + 1))
    text = buf.getvalue()
    assert "big.pcap" in text
    assert f"{n:,} packets" in text or f"{progress.CHECK_EVERY * 2:,} packets" in text
    assert "1.5" in text and "3.0 MB" in text         # DownloadColumn: 1.5/3.0 MB


def test_a_fast_read_shows_nothing():
    buf, console = _console()
    n = progress.CHECK_EVERY * 3
    out = list(progress.tracked(_packets(n), lambda: 0, 100, "small.pcap", clock=lambda: 0.0, console=console))
    assert len(out) == n
    assert buf.getvalue() == ""


def test_no_bar_when_stderr_is_not_a_terminal(capsys):
    # Under pytest stderr is captured, not a terminal: the tracked reader is the plain reader.
    path = os.path.join(ROOT, "captures", "echo.pcap")
    assert not progress.wants_progress(False)
    got = [(p.no, p.ts, p.data) for p in progress.open_tracked(str(path))]
    assert got == [(p.no, p.ts, p.data) for p in open_capture(str(path))]
    assert capsys.readouterr().err == ""


def test_no_bar_when_the_rows_stream_to_the_same_terminal(monkeypatch):
    monkeypatch.setattr(progress.sys, "stderr", _Tty())
    monkeypatch.setattr(progress.sys, "stdout", _Tty())
    assert progress.wants_progress(False)
    assert not progress.wants_progress(True)
    monkeypatch.setenv("WSDISSECT_NO_PROGRESS", "1")
    assert not progress.wants_progress(False)


class _Tty(io.StringIO):
    def isatty(self):
        return True
