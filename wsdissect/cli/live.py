"""`wsdissect live`: sniff an interface (loopback by default) and explain each packet as it arrives.

The packets go through the very loop `read` uses (common.run); only the source differs. Ctrl-C is the normal way
to end a live session: it stops the capture, prints the summary and exits 0 (a second Ctrl-C aborts at once,
exit 130).
"""
from __future__ import annotations

import os
import signal
import sys
import threading
from contextlib import contextmanager
from typing import Callable, Iterator, Optional

import click

from ..analyzer import Analyzer
from ..model import RawPacket
from ..sources.live import CaptureUnavailable, LiveCapture, PcapWriter
from .common import EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_STRICT, check_views, decode_as_option, export_options, \
    fail, filter_options, follow_keylog, keylog_option, lang_option, limit_options, make_limits, row_filter, \
    row_options, run, save_export, view_option, view_writer
from .report import SessionReport, report_option


# The help of live's and demo's --view flow and --export: both draw the view as the packets come.
LIVE_FLOW_HELP = "the ladder diagram, an arrow per packet."
LIVE_EXPORT_HELP = ("Also write the view, as it looks in a terminal with colours, to FILE.svg, .html or .txt when "
                    "the session ends: a handout of the lab.")


@contextmanager
def first_sigint_stops():
    """While inside: the first Ctrl-C sets the returned event (the capture loop stops cleanly and the summary is
    printed); a second one raises KeyboardInterrupt as usual."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def on_sigint(signum, frame):
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    old = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield stop
    finally:
        signal.signal(signal.SIGINT, old)


def open_capture_or_fail(iface: Optional[str], bpf: Optional[str]) -> LiveCapture:
    try:
        return LiveCapture(iface, bpf).open()
    except CaptureUnavailable as e:
        fail(str(e))


def open_writer(path: Optional[str], cap: LiveCapture) -> Optional[PcapWriter]:
    """The -w file, opened before any packet is read; a file error is a usage error (exit 2)."""
    if path is None:
        return None
    try:
        f = open(path, "wb")  # noqa: SIM115 -- closed by the caller through writer.out
    except OSError as e:
        cap.close()
        fail(f"cannot write {path}: {e.strerror or e}")
    return PcapWriter(f, cap.linktype, nanosecond=cap.nanosecond)


def captured(analyzer: Analyzer, cap: LiveCapture, writer: Optional[PcapWriter], **stop) -> Iterator[RawPacket]:
    """The capture's packets; when it ends, the capture statistics (kernel drops) go into the summary."""
    try:
        yield from cap.packets(writer=writer, **stop)
    finally:
        cap.close()
        if writer is not None:
            writer.out.close()
    analyzer.summary.capture_notes.append(cap.stats_note())


def analyse_live(analyzer: Analyzer, cap: LiveCapture, writer: Optional[PcapWriter], *, as_json: bool,
                 show_acks: bool, strict: bool, count: Optional[int] = None, duration: Optional[float] = None,
                 drain: Optional[Callable[[], bool]] = None, stop: Optional[Callable[[], bool]] = None,
                 out=None, keep: Optional[Callable] = None, finished: Optional[Callable[[], None]] = None,
                 tap: Optional[Callable] = None) -> None:
    """run() over a live capture with the usual error mapping; returns only when the exit code is 0.
    `out` and `keep` are run()'s writer and row filter (default: the timeline); `finished` is called once the
    summary is out (live --export and --report write their files then), before --strict decides the exit code.
    `tap(packets)`, when given, wraps the packets on their way to the analyzer (--report sees each one)."""
    packets = captured(analyzer, cap, writer, count=count, duration=duration, stop=stop, drain=drain)
    if tap is not None:
        packets = tap(packets)
    try:
        run(analyzer, packets, as_json=as_json, show_acks=show_acks, source=cap.iface, live=True, out=out, keep=keep)
        if finished is not None:
            finished()
    except KeyboardInterrupt:
        sys.exit(EXIT_INTERRUPTED)
    except Exception as e:  # noqa: BLE001 -- a bug of ours still gets one line, not a traceback
        if os.environ.get("WSDISSECT_DEBUG"):
            raise
        fail(f"internal error: {type(e).__name__}: {e} (a bug; WSDISSECT_DEBUG=1 shows the traceback)",
             EXIT_INTERNAL)
    finally:
        cap.close()
    if strict and analyzer.summary.notes_by_severity.get("error"):
        sys.exit(EXIT_STRICT)


@click.command()
@click.option("--port", type=click.IntRange(1, 65535), default=9002, show_default=True,
              help="TCP port to watch (the default filter is 'tcp port PORT').")
@click.option("-i", "--iface", metavar="NAME", help="Interface to capture on (default: loopback, lo / lo0).")
@click.option("-f", "--filter", "bpf", metavar="BPF",
              help="Capture filter in tcpdump syntax, instead of 'tcp port PORT'.")
@click.option("-w", "--write", "write", metavar="FILE", type=click.Path(dir_okay=False),
              help="Also save the captured packets to a pcap file (`wsdissect read FILE` shows the same).")
@click.option("-c", "--count", type=click.IntRange(min=1), help="Stop after N packets.")
@click.option("--duration", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
              help="Stop after this many seconds.")
@click.option("--json", "as_json", is_flag=True, help="Stream JSON Lines instead of the timeline.")
@view_option(LIVE_FLOW_HELP)
@export_options(export_help=LIVE_EXPORT_HELP)
@decode_as_option
@keylog_option
@filter_options
@row_options
@report_option
@lang_option("the view, its row labels and explanations")
@limit_options
def live(port: int, iface: Optional[str], bpf: Optional[str], write: Optional[str], count: Optional[int],
         duration: Optional[float], as_json: bool, view: str, export: Optional[str], width: Optional[int],
         decode_as: tuple, keylog: Optional[str], conns: tuple, roles: Optional[str], grep: Optional[str],
         hide_acks: bool, strict: bool, explain: bool, report: Optional[str], lang: str, **caps) -> None:
    """Capture live (loopback by default) and explain each packet as it arrives.

    Stops after --count packets, after --duration seconds, or on Ctrl-C, which prints the summary and exits 0.
    With --export FILE the view is shown as usual and also written to FILE when the session ends; with
    --report FILE.html, the lab page of the session too.
    With --keylog FILE (or SSLKEYLOGFILE), wss:// is decrypted as the client writes its keys: the file is
    re-read when a connection's keys are not in it yet.
    Capturing needs root or the CAP_NET_RAW capability; sudo resets PATH, so from a virtual environment run
    sudo "$(command -v wsdissect)" live ...
    """
    keep = row_filter(conns, roles, grep, hide_acks)
    check_live_views(as_json=as_json, view=view, explain=explain, export=export)
    bpf = bpf if bpf is not None else f"tcp port {port}"
    keys = follow_keylog(keylog)
    analyzer = Analyzer(make_limits(**caps), decode_as=decode_as, keylog=keys)
    page = SessionReport(report, make_limits(**caps), decode_as, write or "live", lang, keylog=keys) \
        if report else None
    cap = open_capture_or_fail(iface, bpf)
    writer = open_writer(write, cap)
    out, finished = live_views(view, as_json, export, width, lang, explain, f"wsdissect live {cap.iface} {bpf}")
    if page is not None:
        finished = at_end(finished, lambda: page.save(analyzer.summary.capture_notes))
    click.echo(f"wsdissect: capturing on {cap.iface}, filter {bpf!r}"
               + (f", saving to {write}" if write else ", not saving the packets (-w FILE does)")
               + " (Ctrl-C stops)", err=True)
    with first_sigint_stops() as stop:
        analyse_live(analyzer, cap, writer, as_json=as_json, show_acks=True, strict=strict,
                     count=count, duration=duration, stop=stop.is_set, out=out,
                     keep=keep if keep.active else None, finished=finished,
                     tap=page.tap if page is not None else None)


def at_end(*calls) -> Callable[[], None]:
    """One `finished` callback for analyse_live making each of `calls` (None: nothing) in order."""
    def finished() -> None:
        for call in calls:
            if call is not None:
                call()
    return finished


def check_live_views(*, as_json: bool, view: str, explain: bool, export: Optional[str]) -> None:
    """The view options of a live session (live, demo) that do not go together, or a file --export cannot
    write: one line, exit 2, before anything is captured."""
    check_views(as_json=as_json, view=view, explain=explain, export=export)
    if export:
        check_writable(export)


def live_views(view: str, as_json: bool, export: Optional[str], width: Optional[int], lang: str, explain: bool,
               title: str):
    """(writer, finished) of a live session (live, demo): the view drawn as the packets come, with --explain's
    paragraphs; with --export also a recording copy, and `finished` saves it (None without --export)."""
    out = explained(*view_writer(view, "text", as_json, None, width, lang, live=True), explain, lang)
    if not export:
        return out, None
    # The terminal shows the view as it happens; a recording console draws it too, saved at the end.
    record, copy = view_writer(view, "text", False, export, width, lang, live=True)
    return Tee(out, explained(record, copy, explain, lang)), lambda: save_export(record, export, title)


def explained(console, out, explain: bool, lang: str):
    """`out`, with --explain's paragraphs printed on `console` before the rows they introduce."""
    if not explain:
        return out
    from ..explain import ExplainWriter
    return ExplainWriter(out, console, lang)


def check_writable(path: str) -> None:
    """--export writes its file when the session ends: a path that cannot be written fails now (exit 2)."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        fail(f"cannot write {path}: no such directory")
    if not os.access(folder, os.W_OK) or (os.path.exists(path) and not os.access(path, os.W_OK)):
        fail(f"cannot write {path}: permission denied")


class Tee:
    """A writer handing every row to several writers (live --export: the terminal's and the recording one)."""

    def __init__(self, *writers) -> None:
        self.writers = writers

    def origin(self, ts: float) -> None:
        for w in self.writers:
            origin = getattr(w, "origin", None)
            if origin is not None:
                origin(ts)

    def row(self, row, conn) -> None:
        for w in self.writers:
            w.row(row, conn)

    def end(self, frames: list, messages: list, notes: list) -> None:
        for w in self.writers:
            w.end(frames, messages, notes)

    def summary(self, s) -> None:
        for w in self.writers:
            w.summary(s)
