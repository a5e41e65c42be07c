"""`wsdissect serve` (the lab's echo server) and `wsdissect demo` (the whole lab in one command)."""
from __future__ import annotations

import errno
import itertools
import os
import sys
import threading
from importlib import resources
from typing import Iterator, Optional

import click

from ..analyzer import Analyzer
from ..limits import DEFAULT_LIMITS
from ..model import RawPacket
from ..sources.live import CaptureUnavailable, LiveCapture, PcapWriter, loopback_name
from ..sources.pcap import open_capture
from .common import EXIT_INTERNAL, EXIT_INTERRUPTED, explain_option, export_options, fail, filter_options, \
    lang_option, row_filter, run, view_option
from .live import LIVE_EXPORT_HELP, LIVE_FLOW_HELP, analyse_live, at_end, check_live_views, live_views, \
    open_writer
from .report import SessionReport, report_option

# Shown by `demo` when it may not capture: recorded by captures/record.py, shipped inside the package.
BUNDLED = ("echo.pcap", "idle-timeout.pcap")


@click.command()
@click.option("--port", type=click.IntRange(0, 65535), default=9002, show_default=True,
              help="TCP port to listen on (0: any free port).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--idle-timeout", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
              help="Drop a client that sends no message for this long (default: never).")
@click.option("--idle-close", type=click.Choice(["tcp", "frame"]), default="tcp", show_default=True,
              help="How an idle client is dropped: tcp = close TCP (FIN) without a WebSocket Close frame; "
                   "frame = a close handshake with 1001 Going Away.")
@click.option("--deflate/--no-deflate", default=False, show_default=True,
              help="Accept permessage-deflate compression when the client offers it.")
@click.option("--subprotocol", "subprotocols", multiple=True, metavar="NAME",
              help="A subprotocol the server speaks (repeatable, in order of preference).")
@click.option("--tls", is_flag=True, help="Serve wss:// with a self-signed certificate made at start (its SHA-256 "
              "fingerprint is printed).")
@click.option("--cert-out", metavar="FILE", type=click.Path(dir_okay=False),
              help="With --tls: also write the certificate (PEM) to FILE, for a client to trust.")
def serve(port: int, host: str, idle_timeout: Optional[float], idle_close: str, deflate: bool,
          subprotocols: tuple, tls: bool, cert_out: Optional[str]) -> None:
    """Run a WebSocket echo server for the lab (Ctrl-C stops it).

    Every message comes back as sent. Keepalive pings are off, so the capture shows only what the client does.
    With --tls it speaks wss://: a client that writes a key log (SSLKEYLOGFILE, or Python's ssl
    keylog_filename) lets `wsdissect live --keylog` decrypt it.
    """
    import asyncio          # here, not at the top: every command imports this module, few run the lab
    try:
        from ..lab import ServerOptions, serve_forever
        import websockets  # noqa: F401 -- fail early, with one line, when it is missing
    except ImportError:
        fail("serve needs the websockets library: pip install websockets")
    if cert_out and not tls:
        fail("--cert-out goes with --tls")
    lab_tls = None
    if tls:
        from ..lab import make_tls
        lab_tls = make_tls()
        if cert_out:
            try:
                with open(cert_out, "wb") as f:
                    f.write(lab_tls.cert_pem)
            except OSError as e:
                fail(f"cannot write {cert_out}: {e.strerror or e}")
    opts = ServerOptions(host=host, port=port, idle_timeout=idle_timeout, idle_close=idle_close,
                         deflate=deflate, subprotocols=subprotocols, tls=lab_tls)

    def log(text: str) -> None:
        click.echo(f"serve: {text}", err=True)

    def ready() -> None:
        idle = ("never drops idle clients" if idle_timeout is None else
                f"drops a client silent for {idle_timeout:g} s "
                + ("with a TCP FIN, no Close frame" if idle_close == "tcp" else "with a Close frame 1001"))
        extras = ["deflate accepted" if deflate else "deflate declined"]
        if subprotocols:
            extras.append("subprotocols " + ", ".join(subprotocols))
        log(f"echo server on {_uri(host, port, tls)} ({idle}; {'; '.join(extras)}); Ctrl-C stops")
        if lab_tls is not None:
            log(f"TLS: self-signed certificate for localhost, 127.0.0.1 and ::1, SHA-256 fingerprint "
                f"{lab_tls.fingerprint}" + (f" (PEM in {cert_out})" if cert_out else ""))

    try:
        asyncio.run(serve_forever(opts, log, ready))
    except KeyboardInterrupt:
        log("stopped")
    except OSError as e:
        if e.errno == errno.EADDRINUSE:
            fail(f"cannot listen on {host}:{port}: the port is in use (choose another with --port)")
        fail(f"cannot listen on {host}:{port}: {e.strerror or e}")


def _uri(host: str, port: int, tls: bool = False) -> str:
    scheme = "wss" if tls else "ws"
    return f"{scheme}://[{host}]:{port}/" if ":" in host else f"{scheme}://{host}:{port}/"


def keys_path(capture: str) -> str:
    """Where demo --tls -w CAPTURE writes its key log: beside the capture, its extension replaced by .keys."""
    root, ext = os.path.splitext(capture)
    return (root if ext.lower() in (".pcap", ".pcapng", ".cap") else capture) + ".keys"


@click.command()
@click.option("--idle-timeout", type=click.FloatRange(min=0.1), default=2.0, show_default=True,
              metavar="SECONDS", help="How long the second connection stays silent before the server drops it.")
@click.option("-w", "--write", "write", metavar="FILE", type=click.Path(dir_okay=False),
              help="Save the capture to a pcap file.")
@click.option("--student", metavar="ID", help="Make the capture one student's: the first connection's path "
              "(/student/ID) and first message name ID, so a worksheet on it (`wsdissect worksheet`) has answers "
              "of that student's own. Use with -w.")
@click.option("--tls", is_flag=True, help="Run the session over wss:// (a self-signed certificate made at start), "
              "the client writing a key log that decrypts it; with -w the keys go beside the capture "
              "(FILE.keys) and, for FILE.pcapng, into it too (a Decryption Secrets Block).")
@click.option("--json", "as_json", is_flag=True, help="JSON Lines instead of the timeline.")
@view_option(LIVE_FLOW_HELP)
@export_options(export_help=LIVE_EXPORT_HELP)
@filter_options
@explain_option
@report_option
@lang_option("the view, its row labels and explanations")
def demo(idle_timeout: float, write: Optional[str], student: Optional[str], tls: bool, as_json: bool, view: str,
         export: Optional[str], width: Optional[int], conns: tuple, roles: Optional[str], grep: Optional[str],
         hide_acks: bool, explain: bool, report: Optional[str], lang: str) -> None:
    """Run the whole lab in one go and explain it: an echo server on an unused loopback port, a live capture,
    and a scripted client (handshake, text, binary, a fragmented message, a ping, a close handshake, then a
    second connection that stays silent until the server drops it without a Close frame).

    The views, filters, --export and --report work as for `live`. Without the privilege to capture, shows the bundled
    captures of the same lab instead.
    """
    import asyncio
    keep = row_filter(conns, roles, grep, hide_acks)
    check_live_views(as_json=as_json, view=view, explain=explain, export=export)
    try:
        from ..lab import HOST, demo_traffic, free_port
        import websockets  # noqa: F401
    except ImportError:
        fail("demo needs the websockets library: pip install websockets")
    port = free_port(HOST)
    lab_tls = keys = keylog = None
    tmp = None
    if tls:
        import tempfile

        from ..lab import make_tls
        from ..tls import GrowingKeyLog
        lab_tls = make_tls()
        if write:
            keys = keys_path(write)
        else:
            tmp = tempfile.TemporaryDirectory(prefix="wsdissect-demo-")
            keys = os.path.join(tmp.name, "demo.keys")
        try:
            open(keys, "w").close()           # the client appends: start from an empty key log
        except OSError as e:
            fail(f"cannot write {keys}: {e.strerror or e}")
        keylog = GrowingKeyLog(keys).log      # read as the client writes it (re-read for missing keys)
    analyzer = Analyzer(DEFAULT_LIMITS, keylog=keylog)
    views = dict(view=view, as_json=as_json, export=export, width=width, lang=lang, explain=explain)
    keep = keep if keep.active else None
    page = SessionReport(report, DEFAULT_LIMITS, (), write or "demo", lang, keylog=keylog) if report else None
    try:
        cap = LiveCapture(loopback_name(), f"tcp port {port}").open()
    except CaptureUnavailable as e:
        if student:
            fail(f"cannot capture for --student {student}: {e}")    # the bundled captures are nobody's own
        if tls:
            fail(f"cannot capture for --tls: {e}")                   # the bundled captures are ws://
        _bundled(analyzer, str(e), write, as_json, keep, views, page)
        return
    writer = open_writer(write, cap)
    out, finished = live_views(**views, title=f"wsdissect demo ({cap.iface}, tcp port {port})")
    if page is not None:
        finished = at_end(finished, lambda: page.save(analyzer.summary.capture_notes))

    done = threading.Event()
    errors: list = []

    def traffic() -> None:
        try:
            asyncio.run(demo_traffic(port, idle_timeout, HOST, student=student, tls=lab_tls, keylog=keys))
        except BaseException as e:  # noqa: BLE001 -- reported by the main thread
            errors.append(e)
        finally:
            done.set()

    click.echo(f"wsdissect demo: echo server on {_uri(HOST, port, tls)}, capturing {cap.iface} (tcp port {port}); "
               f"the second connection is dropped after {idle_timeout:g} s of silence", err=True)
    if lab_tls is not None:
        click.echo(f"wsdissect demo: TLS with a self-signed certificate for localhost, SHA-256 fingerprint "
                   f"{lab_tls.fingerprint}; the client writes its keys to {keys}", err=True)
    thread = threading.Thread(target=traffic, name="wsdissect-demo", daemon=True)
    thread.start()
    try:
        analyse_live(analyzer, cap, writer, as_json=as_json, show_acks=True, strict=False,
                     duration=idle_timeout + 60, drain=done.is_set, out=out, keep=keep, finished=finished,
                     tap=page.tap if page is not None else None)
        thread.join(5)
    finally:
        if tls and write and write.lower().endswith(".pcapng"):
            _embed_keys(write, keys)
        if tmp is not None:
            tmp.cleanup()
    if errors:
        e = errors[0]
        fail(f"the demo's client or server failed: {type(e).__name__}: {e}", EXIT_INTERNAL)


def _embed_keys(capture: str, keys: str) -> None:
    """demo --tls -w FILE.pcapng: the capture, written as pcap while it ran, rewritten as pcapng with the key log
    in a Decryption Secrets Block before the packets (as `editcap --inject-secrets tls,KEYS` would)."""
    from ..sources.live import pcap_to_pcapng
    try:
        with open(keys, "rb") as f:
            secrets = f.read()
        tmp = capture + ".part"
        with open(capture, "rb") as src, open(tmp, "wb") as dst:
            pcap_to_pcapng(src, dst, secrets)
        os.replace(tmp, capture)
    except OSError as e:
        click.echo(f"wsdissect: warning: could not embed the keys in {capture}: {e.strerror or e}; they are in "
                   f"{keys}", err=True)


def _bundled_packets() -> Iterator[RawPacket]:
    """The bundled captures one after the other, renumbered as one capture (they were recorded in this order)."""
    no = itertools.count(1)
    data = resources.files("wsdissect") / "data"
    for name in BUNDLED:
        with resources.as_file(data / name) as path:
            for raw in open_capture(str(path)):
                raw.no = next(no)
                yield raw


def _bundled(analyzer: Analyzer, why: str, write: Optional[str], as_json: bool, keep, views: dict,
             page: Optional[SessionReport] = None) -> None:
    names = " and ".join(BUNDLED)
    saved = " and ".join(x for x, given in (("-w", write), ("--report", page)) if given)
    click.echo(f"wsdissect: no live capture ({why}); showing the bundled captures {names} instead"
               + (f" ({saved}: those captures, not a session of yours)" if saved else ""), err=True)
    packets = _bundled_packets()
    f = None
    if write:
        try:
            f = open(write, "wb")  # noqa: SIM115
        except OSError as e:
            fail(f"cannot write {write}: {e.strerror or e}")
        packets = _saving(packets, PcapWriter(f, 1, nanosecond=False))
    out, finished = live_views(**views, title=f"wsdissect demo (bundled captures {names})")
    if page is not None:
        packets = page.tap(packets)
        finished = at_end(finished, lambda: page.save(analyzer.summary.capture_notes))
    try:
        run(analyzer, packets, as_json=as_json, source="bundled captures", out=out, keep=keep)
        if finished is not None:
            finished()
    except KeyboardInterrupt:
        sys.exit(EXIT_INTERRUPTED)
    except Exception as e:  # noqa: BLE001
        if os.environ.get("WSDISSECT_DEBUG"):
            raise
        fail(f"internal error: {type(e).__name__}: {e} (a bug; WSDISSECT_DEBUG=1 shows the traceback)",
             EXIT_INTERNAL)
    finally:
        if f is not None:
            f.close()


def _saving(packets: Iterator[RawPacket], writer: PcapWriter) -> Iterator[RawPacket]:
    for raw in packets:
        usec = round(raw.ts * 1_000_000)
        writer.write(usec // 1_000_000, usec % 1_000_000, raw.data, raw.wirelen)
        yield raw
