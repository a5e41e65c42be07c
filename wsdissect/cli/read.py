"""`wsdissect read FILE`: a capture file in, every packet of its WebSocket conversations explained."""
from __future__ import annotations

import contextlib
import io
import os
import shutil
import sys
import tempfile
from typing import Optional

import click

from ..analyzer import Analyzer
from ..model import CaptureSummary
from ..parallel import plan_jobs
from .output import block_buffered_stdout
from .progress import open_tracked
from .fleet import captures_argument, fleet_options, is_fleet
from .common import EXIT_PARTIAL, EXIT_STRICT, CapturePath, capture_errors, check_views, decode_as_option, subprotocol_option, export_options, \
    filter_options, jobs_option, keylog_option, load_keylog, lang_option, limit_options, make_limits, primed, row_filter, row_options, run, \
    save_export, snaplen_note, truncation_note, view_option, view_writer, warn_truncated


@click.command()
@captures_argument
@click.option("--json", "as_json", is_flag=True, help="Write JSON Lines (one record per line) instead of the timeline.")
@click.option("--parquet", "parquet", type=click.Path(file_okay=False), metavar="DIR",
              help="Write the JSON Lines records as Parquet tables (packets, frames, messages, connections, notes) "
                   "under DIR instead of a view; needs pyarrow (pip install 'wsdissect[tables]').")
@decode_as_option
@subprotocol_option
@keylog_option
@view_option("a ladder diagram per connection, each drawn once it and the connections before it have "
             "finished (finished ones waiting behind an open one go to a temporary file, so memory follows the "
             "open connections).")
@click.option("--format", "fmt", type=click.Choice(["text", "mermaid"]), default="text", show_default=True,
              help="With --view flow: mermaid writes Mermaid sequence-diagram text for documents.")
@export_options
@click.option("--details", is_flag=True, help="Each packet shown as its details tree (what `show` prints for one "
              "packet, without the hex dump), like tshark -V.")
@filter_options
@row_options
@lang_option("the row labels and explanations")
@limit_options
@jobs_option("of --json on a big capture")
@fleet_options
def read(captures: tuple, fleet_mode: Optional[str], as_json: bool, parquet: Optional[str], decode_as: tuple, subprotocol: Optional[str], keylog: Optional[str],
         view: str, fmt: str, export: str, width: int, details: bool, conns: tuple, roles: str, grep: str, hide_acks: bool, strict: bool, explain: bool,
         lang: str, jobs: Optional[int], **caps) -> None:
    """Read a pcap or pcapng file (gzip-compressed too; - for standard input) and explain every packet of its
    WebSocket connections. Several files, or directories of them: rotations of one capture are read as one,
    other files apart (--separate, --merge)."""
    keep = row_filter(conns, roles, grep, hide_acks)
    check_views(as_json=as_json, view=view, fmt=fmt, explain=explain, export=export, details=details)
    if parquet is not None:
        _check_parquet(as_json, view, explain, export, details, keep)
    limits = make_limits(**caps)
    keys = load_keylog(keylog)
    if parquet is not None:
        from .tables import Options, read_tables
        if jobs and jobs > 1:
            click.echo("wsdissect: note: --jobs: --parquet is written by one process (batch runs captures on "
                       "several)", err=True)
        read_tables(captures, fleet_mode, parquet, Options(limits, decode_as, lang, subprotocol, keys), strict)
        return
    if is_fleet(captures):
        _read_fleet(captures, fleet_mode, as_json, decode_as, subprotocol, keys, view, fmt, export, width, details,
                    keep, strict, explain, lang, limits, jobs)
        return
    capture = CapturePath().convert(captures[0], None, None)
    if as_json:
        workers, note = plan_jobs(capture, jobs)
    else:
        workers, note = 1, ("--jobs: the timeline and the flow view are read by one process; --json by several"
                            if jobs and jobs > 1 else None)
    if note:
        click.echo(f"wsdissect: note: {note}", err=True)
    if workers > 1:
        with capture_errors(capture), block_buffered_stdout():
            summary = _json_in_parallel(capture, workers, limits, decode_as, lang, keep if keep.active else None,
                                        subprotocol, keys)
        if strict and summary.notes_by_severity.get("error"):
            sys.exit(EXIT_STRICT)
        return
    analyzer = Analyzer(limits, decode_as=decode_as, subprotocol=subprotocol, keylog=keys)
    with capture_errors(capture), block_buffered_stdout():
        packets = primed(open_tracked(capture, streaming_to_terminal=True))
        console, out = view_writer(view, fmt, as_json, export, width, lang)
        source = analyzer
        if details:
            from ..render.details_stream import DetailsTap, DetailsWriter
            source = DetailsTap(analyzer, limits)       # one pass: the trees come from the run loop's analysis
            out = DetailsWriter(console, source, closing=out, lang=lang)
        if explain:
            from ..explain import ExplainWriter
            out = ExplainWriter(out, console, lang)
        run(source, packets, as_json=as_json, out=out, keep=keep if keep.active else None, source=capture)
        if export:
            save_export(console, export, f"wsdissect read {os.path.basename(capture)}")
    if strict and analyzer.summary.notes_by_severity.get("error"):
        sys.exit(EXIT_STRICT)


def _check_parquet(as_json: bool, view: str, explain: bool, export: Optional[str], details: bool, keep) -> None:
    """--parquet writes the tables instead of a view, of the whole capture: one line (exit 2) for what does not
    go with it."""
    from .common import fail
    clash = [name for name, on in (("--json", as_json), ("--view flow", view != "timeline"),
                                   ("--explain", explain), ("--export", export), ("--details", details),
                                   ("--conn/--role/--grep/--hide-acks", keep.active)) if on]
    if clash:
        fail(f"--parquet writes tables of the whole capture; it does not go with {clash[0]} "
             "(wsdissect query selects from the tables)")


def _read_fleet(captures: tuple, mode: Optional[str], as_json: bool, decode_as: tuple, subprotocol: Optional[str],
                keys, view: str, fmt: str, export: Optional[str], width: Optional[int], details: bool, keep,
                strict: bool, explain: bool, lang: str, limits, jobs: Optional[int] = None) -> None:
    """read of several captures (cli/fleet.py): each group of files analysed as one capture, in turn, on one
    console; JSON packet records say their file."""
    from . import fleet as fl
    from .common import view_console
    fleet = fl.plan(captures, mode)
    if jobs and jobs > 1:
        click.echo("wsdissect: note: --jobs: several captures are read by one process", err=True)
    violations = False
    console = None if as_json or fmt == "mermaid" else view_console(export, width)
    damage: list = []
    with capture_errors(fl.group_name(fleet.groups[0])), block_buffered_stdout():
        for group in fleet.groups:
            fl.heading(console, fleet, group, lang)
            analyzer = Analyzer(limits, decode_as=decode_as, subprotocol=subprotocol, keylog=keys)
            tags = fl.FileTags()
            packets = fl.packets(fleet, group, tags, analyzer, damage, streaming=True)
            if as_json:
                from ..render.jsonl import JsonLinesWriter
                out = JsonLinesWriter(fl.TaggedJson(sys.stdout, tags), lang)
            else:
                _, out = view_writer(view, fmt, as_json, export, width, lang, console=console)
            source = analyzer
            if details:
                from ..render.details_stream import DetailsTap, DetailsWriter
                source = DetailsTap(analyzer, limits)
                out = DetailsWriter(console, source, closing=out, lang=lang)
            if explain:
                from ..explain import ExplainWriter
                out = ExplainWriter(out, console, lang)
            run(source, packets, as_json=as_json, out=out, keep=keep if keep.active else None,
                source=fl.group_name(group))
            violations = violations or bool(analyzer.summary.notes_by_severity.get("error"))
        if export:
            save_export(console, export, f"wsdissect read {os.path.basename(fleet.groups[0][0].path)}")
    fl.warn_damage(damage)
    if fleet.failed:
        sys.exit(EXIT_PARTIAL)
    if strict and violations:
        sys.exit(EXIT_STRICT)


def _json_in_parallel(capture: str, workers: int, limits, decode_as: tuple, lang: str, keep,
                      subprotocol: Optional[str] = None, keys=None) -> CaptureSummary:
    """read --json by `workers` processes (wsdissect/parallel.py), the same lines as one would write; the
    merged summary is returned (for --strict)."""
    import copy
    from .. import parallel
    from ..render.jsonl import JsonLinesWriter
    from .progress import watch_parallel

    # --conn names the capture's numbers, which the worker does not know: the parent chooses those rows.
    show, row_place, only = keep, parallel.only_conn() if keep is not None and keep.conns else 1, None
    if keep is not None and keep.conns:
        only, show = keep.conns, copy.copy(keep)
        show.conns = frozenset()

    def work(w: parallel.Worker) -> dict:
        a = w.analyzer(parallel.ShardAnalyzer(limits, decode_as=decode_as, subprotocol=subprotocol, keylog=keys))
        writer = JsonLinesWriter(w.sink, lang)
        sink = w.sink
        folded: list = []
        a.on_fold = lambda rec: folded.append((a.key, rec))
        # A connection this worker lists (its own number under the cap) may be past the cap by the capture's
        # number: its record goes out as a piece the parent writes only then (parallel.py).
        maybe: list = []
        cap = limits.summary_connections
        if cap is not None:
            a.on_finish = lambda rec: rec.id < cap and maybe.append((a.key, rec))

        def write_row(row, conn) -> None:
            if show is None or show(row):
                sink.begin(row.no, row_place)
                writer.row(row, conn)
                sink.end()
        def after(no: int) -> None:
            # Records of connections folded at this packet, after its row, as a single reader writes them.
            if maybe:
                folded.extend(maybe)
                folded.sort(key=lambda x: x[0])
                maybe.clear()
            for key, rec in folded:
                minor = parallel.folded_minor(key)
                sink.begin(no, minor if rec.id >= cap else parallel.if_folded(minor))
                writer.folded(rec)
                sink.end()
            folded.clear()
        truncated = parallel.analyse(w, a, write_row, after)
        end_notes = a.finish()
        numbers = w.numbering()
        for _, rec in folded:              # folded at the end, under this worker's numbers
            rec.id = numbers[rec.id]
        pairs = a.renumber(numbers, end_notes)
        return {**a.ends(pairs), "late": [rec for key, rec in folded if key[0] == parallel.END],
                "truncated": truncated}

    sys.stdout.flush()
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, ValueError, io.UnsupportedOperation):
        fd = None                                  # not a file (click's CliRunner in tests): through a temporary one
    with contextlib.ExitStack() as stack:
        if fd is None:
            spool = stack.enter_context(tempfile.TemporaryFile())
        parts = parallel.run(parallel.Job(capture, workers, work, merge_into=fd if fd is not None else spool.fileno(),
                                          fold_at=limits.summary_connections, only_conns=only, watch=watch_parallel(capture)))
        if fd is None:
            spool.seek(0)
            shutil.copyfileobj(spool, getattr(sys.stdout, "buffer", sys.stdout))
    summary = parallel.merge_summary(parts)
    truncated = next((p["truncated"] for p in parts if p["truncated"]), None)
    if truncated:
        summary.capture_notes.append(truncation_note(capture, truncated))
    snaplen_note(summary)             # after the damage's note, as run() writes them
    out = JsonLinesWriter(sys.stdout, lang)
    out.end(parallel.merge_keyed(parts, "end_frames"), parallel.merge_keyed(parts, "end_messages"),
            parallel.merge_end_notes(parts))
    for rec in sorted((rec for p in parts for rec in p["late"]), key=lambda c: c.id):
        out.folded(rec, at_end=True)
    out.summary(summary)
    sys.stdout.flush()
    if truncated:
        warn_truncated(capture, [truncated])
    return summary
