"""`wsdissect follow FILE`: the messages of each WebSocket connection as a transcript."""
from __future__ import annotations

import os
import sys

import click

from ..analyzer import Analyzer
from ..i18n import DEFAULT_LANG, catalog
from .fleet import captures_argument, fleet_options, is_fleet
from .common import CapturePath, capture_errors, check_export, decode_as_option, subprotocol_option, export_options, fail, \
    keylog_option, lang_option, limit_options, load_keylog, make_limits, primed, save_export, until_damage, view_console, warn_truncated


def analyse(capture: str, caps: dict, decode_as: tuple, on_row, damage: list,
            lang: str = DEFAULT_LANG, on_fold=None, streaming: bool = False, collector=None,
            subprotocol: str | None = None, keylog=None, fleet=None) -> Analyzer:
    """Run a whole capture through the analyzer (rows without label or Info), handing each row
    to `on_row(row, conn)` and each connection folded into the summary's counts (--max-summary-connections) to
    `on_fold(conn)`. `streaming`: on_fold prints to stdout while the capture is read (no progress bar over it).
    `collector`: the StatsCollector on_row feeds (its end() is called with the analyzer's last notes). `keylog`: the
    tls.KeyLog that decrypts wss:// connections. `fleet`: (cli.fleet.Fleet, the group of files to read as one
    capture, the list their damage goes to) instead of the file `capture`."""
    from .progress import open_tracked
    # follow and stats print messages and numbers, never a row's label or Info: not building them saves ~16 %
    # of the analyzer's time (bench/README.md).
    analyzer = Analyzer(make_limits(**caps), decode_as=decode_as, labels=False, subprotocol=subprotocol,
                        keylog=keylog)
    analyzer.on_fold = on_fold
    conns = analyzer.connections
    if fleet is not None:
        from . import fleet as fl
        whole, group, fleet_damage = fleet
        packets = fl.packets(whole, group, fl.FileTags(), analyzer, fleet_damage, streaming)
    else:
        packets = until_damage(primed(open_tracked(capture, streaming_to_terminal=streaming)), capture, damage)
    for raw in packets:
        row = analyzer.feed(raw)
        if row is not None:
            on_row(row, conns.get(row.conn) if row.conn is not None else None)
    notes = analyzer.finish()
    if collector is not None:
        collector.end(notes)
    return analyzer


def pick(analyzer: Analyzer, conn: int | None, capture: str, websocket_only: bool = True) -> list:
    """The connections a view shows: --conn N, else every WebSocket one (exit 2 for an unknown N)."""
    conns = analyzer.summary.connections
    if conn is not None:
        for c in conns:
            if c.id == conn:
                return [c]
        ids = (f"0-{len(conns) - 1}" if len(conns) > 1 else "0") if conns else "none"
        fail(f"{capture}: no connection {conn} (connections in this capture: {ids})")
    if websocket_only:
        return [c for c in conns if c.is_websocket or c.decode_as]
    return list(conns)


@click.command()
@captures_argument
@click.option("--conn", "conn", type=click.IntRange(0), metavar="N",
              help="Only connection N (the number `read` shows). Default: every WebSocket connection.")
@click.option("--raw", "raw", type=click.Path(dir_okay=False, writable=True, allow_dash=True, path_type=str),
              metavar="FILE",
              help="Write one side's message bytes, concatenated, to FILE ('-': standard output) instead of "
                   "the transcript. Needs --side.")
@click.option("--side", type=click.Choice(["client", "server"]),
              help="With --raw: whose messages to write (client: client → server; server: server → client).")
@decode_as_option
@subprotocol_option
@keylog_option
@export_options
@lang_option("the view's words and labels")
@limit_options(summary=False)
@fleet_options
def follow(captures: tuple, fleet_mode: str | None, conn: int | None, raw: str | None, side: str | None, decode_as: tuple, subprotocol: str | None,
           keylog: str | None, export: str, width: int, lang: str, **caps) -> None:
    """Show the messages of WebSocket connections as a transcript: direction, time since the connection
    began, text (JSON pretty-printed), binary as hex, fragmented and compressed messages whole, control
    frames and the TCP end.

    Transcripts come in connection order, each printed once it and every lower-numbered connection have
    finished; finished ones waiting behind an open one go to a temporary file, so memory follows the open
    connections, not the capture's length.

    Several captures (files, directories): rotations of one capture are followed as one, other files apart
    (--separate, --merge); see `read`."""
    if raw is not None and side is None:
        fail("--raw needs --side client or --side server")
    if side is not None and raw is None:
        fail("--side goes with --raw FILE")
    if export and raw is not None:
        fail("--export draws the transcript; it does not go with --raw")
    check_export(export)
    keys = load_keylog(keylog)
    if is_fleet(captures):
        from . import fleet as fl
        fleet = fl.plan(captures, fleet_mode)
        if raw is not None and len(fleet.groups) > 1:
            fail(f"--raw writes one connection; these files are {len(fleet.groups)} captures (--merge reads them "
                 "as one)")
        console = None if raw is not None else view_console(export, width)
        fl.each_group(fleet, console, lang, lambda name, context, conn_needed: _follow(
            name, conn, raw, side, decode_as, subprotocol, keys, export, lang, dict(caps), console, context,
            conn_needed=conn_needed), export, "wsdissect follow")
        return
    capture = CapturePath().convert(captures[0], None, None)
    console = None if raw is not None else view_console(export, width)
    _follow(capture, conn, raw, side, decode_as, subprotocol, keys, export, lang, caps, console, None)
    if export:
        save_export(console, export, f"wsdissect follow {os.path.basename(capture)}")


def _follow(capture: str, conn: int | None, raw: str | None, side: str | None, decode_as: tuple,
            subprotocol: str | None, keys, export: str | None, lang: str, caps: dict, console, fleet,
            conn_needed: bool = True) -> None:
    """follow of one capture (a file, or a group of files: `fleet`, as analyse takes it), on `console`."""
    from ..render.follow import FollowCollector, FollowPrinter, raw_bytes, render_follow
    damage: list = []
    with capture_errors(capture):
        collector = FollowCollector(only=conn)
        if raw is None and conn is None:
            # Every connection: each transcript is printed once its connection has finished (every record
            # folds as it finishes, --max-summary-connections 0), so memory follows the open connections.
            printer = FollowPrinter(console, collector, lang)
            caps["max_summary_connections"] = 0
            analyzer = analyse(capture, caps, decode_as, collector.row, damage, lang, on_fold=printer.finished,
                               subprotocol=subprotocol, streaming=True, keylog=keys, fleet=fleet)
            printer.flush()
            if not printer.printed:
                _say_none(console, export, catalog(lang)["follow.none"].format(
                    capture=capture, n=analyzer.summary.connection_count()))
            warn_truncated(capture, damage)
            return
        # One connection: --conn N keeps the records of 0..N (pick finds N among them) and N's events only;
        # --raw without --conn needs the one WebSocket connection of the capture, so it keeps everything.
        caps["max_summary_connections"] = None if conn is None else conn + 1
        analyzer = analyse(capture, caps, decode_as, collector.row, damage, lang, subprotocol=subprotocol, keylog=keys,
                           fleet=fleet)
        if not conn_needed and conn is not None and all(c.id != conn for c in analyzer.summary.connections):
            return                  # several captures: connection N is in some of them
        conns = pick(analyzer, conn, capture)
        if raw is None:
            if not conns:
                _say_none(console, export, catalog(lang)["follow.none"].format(
                    capture=capture, n=analyzer.summary.connection_count()))
            else:
                render_follow(console, collector, conns, lang)
        else:
            if len(conns) != 1:
                fail(f"{capture}: --raw writes one connection; " +
                     ("there is no WebSocket connection" if not conns else
                      f"choose one with --conn ({', '.join(str(c.id) for c in conns)})"))
            data, count, cut = raw_bytes(collector, conns[0].id, side)
            if raw == "-":
                sys.stdout.buffer.write(data)
                sys.stdout.flush()
            else:
                try:
                    with open(raw, "wb") as f:
                        f.write(data)
                except OSError as e:
                    fail(f"cannot write {raw}: {e.strerror or e}")
            where = "standard output" if raw == "-" else raw
            click.echo(f"wsdissect: wrote {len(data)} bytes ({count} message{'s' if count != 1 else ''} from the "
                       f"{side} of conn {conns[0].id}) to {where}", err=True)
            if cut:
                click.echo(f"wsdissect: warning: {cut} message(s) were cut (--max-message or bytes missing "
                           "from the capture): the file holds what was kept", err=True)
    warn_truncated(capture, damage)


def _say_none(console, export: str, text: str) -> None:
    """'No WebSocket connection in ...': into the export when there is one, else a plain line."""
    if export:
        from rich.text import Text
        console.print(Text(text), soft_wrap=True)
    else:
        click.echo(text)
