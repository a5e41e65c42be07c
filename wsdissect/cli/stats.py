"""`wsdissect stats FILE`: numbers per WebSocket connection and totals for the capture."""
from __future__ import annotations

import importlib
import json
import os
import sys
from types import SimpleNamespace

import click

from ..i18n import note_text
from ..parallel import plan_jobs
from .fleet import captures_argument, fleet_options, is_fleet
from .common import CapturePath, capture_errors, check_export, decode_as_option, subprotocol_option, export_options, fail, \
    jobs_option, keylog_option, lang_option, limit_options, load_keylog, make_limits, save_export, view_console, warn_truncated
from .follow import analyse, pick


@click.command()
@captures_argument
@click.option("--conn", "conn", type=click.IntRange(0), metavar="N",
              help="Only connection N (the number `read` shows). Default: every WebSocket connection.")
@click.option("--json", "as_json", is_flag=True,
              help='JSON Lines: one "type":"stats" object per connection, then one "type":"stats-total".')
@decode_as_option
@subprotocol_option
@keylog_option
@export_options
@lang_option("the view's words and labels", " --json stays English.")
@limit_options
@jobs_option("on a big capture")
@fleet_options
def stats(captures: tuple, fleet_mode: str | None, conn: int | None, as_json: bool, decode_as: tuple, subprotocol: str | None,
          keylog: str | None, export: str, width: int, lang: str, jobs: int | None, **caps) -> None:
    """Per connection: duration, handshake latency, messages and bytes each way by opcode, compression,
    ping→pong round trips, largest message, how it closed, silences, notes; then totals for the capture.
    Several captures (files, directories): rotations of one capture count as one, other files apart (--separate,
    --merge); see `read`."""
    if export and as_json:
        fail("--export draws a terminal view; it does not go with --json")
    if as_json:
        lang = "en"          # JSON is data: the caps' sentences in English, whatever --lang says
    check_export(export)
    keys = load_keylog(keylog)
    keep = caps.get("max_summary_connections")
    if conn is not None and keep is not None:
        caps["max_summary_connections"] = max(keep, conn + 1)     # connection N keeps its record
    console = None if as_json else view_console(export, width)
    if is_fleet(captures):
        from . import fleet as fl
        fleet = fl.plan(captures, fleet_mode)
        if jobs and jobs > 1:
            click.echo("wsdissect: note: --jobs: several captures are read by one process", err=True)
        fl.each_group(fleet, console, lang, lambda name, context, conn_needed: _stats(
            name, conn, as_json, decode_as, subprotocol, keys, lang, 1, caps, console, context,
            conn_needed=conn_needed), export, "wsdissect stats")
        return
    capture = CapturePath().convert(captures[0], None, None)
    workers, note = plan_jobs(capture, jobs)
    if note:
        click.echo(f"wsdissect: note: {note}", err=True)
    _stats(capture, conn, as_json, decode_as, subprotocol, keys, lang, workers, caps, console, None)
    if export:
        save_export(console, export, f"wsdissect stats {os.path.basename(capture)}")


def _stats(capture: str, conn: int | None, as_json: bool, decode_as: tuple, subprotocol: str | None, keys, lang: str,
           workers: int, caps: dict, console, fleet, conn_needed: bool = True) -> None:
    """stats of one capture (a file, or a group of files: `fleet`, as follow.analyse takes it), on `console`."""
    from ..stats import StatsCollector, conn_stats, total_stats
    damage: list = []
    with capture_errors(capture):
        blocks: dict = {}              # connection -> its output, made by a parallel read's workers
        if workers > 1:
            summary, by_id, blocks, folded = _in_parallel(capture, workers, caps, decode_as, lang, damage,
                                                          "json" if as_json else console, subprotocol, keys)
            analyzer = SimpleNamespace(summary=summary)
            everyone = [by_id[c.id] for c in summary.connections]
        else:
            collector = StatsCollector()
            # Connections past --max-summary-connections are counted in the totals when they finish
            # (collector.fold), and not listed.
            analyzer = analyse(capture, caps, decode_as, collector.row, damage, lang, on_fold=collector.fold,
                               subprotocol=subprotocol, collector=collector, keylog=keys, fleet=fleet)
            folded = collector.folded
            everyone = [conn_stats(c, collector.acc.get(c.id)) for c in analyzer.summary.connections]
            # By id: list.index() compared whole Connection records, quadratic in the number of connections.
            by_id = {c.id: st for c, st in zip(analyzer.summary.connections, everyone)}
        total = total_stats(analyzer.summary, everyone, folded)
        if not conn_needed and conn is not None and all(c.id != conn for c in analyzer.summary.connections):
            return                  # several captures: connection N is in some of them
        conns = pick(analyzer, conn, capture)
        chosen = [by_id[c.id] for c in conns]
        ready = blocks and all(c.id in blocks for c in conns)
        if as_json:
            out = sys.stdout
            for c, rec in zip(conns, chosen):
                out.write(blocks[c.id] if ready else _json_line(rec))
            out.write(_json_line(dict(total, caps=[note_text(n.code, n.args) for n in total["caps"]])))
            out.flush()
        else:
            from ..render.details import View
            from ..render.stats import render_stats, render_stats_end
            if ready:
                for c in conns:
                    console.file.write(blocks[c.id])
                render_stats_end(View(console, lang), total)
            else:
                render_stats(console, conns, chosen, total, lang)
    warn_truncated(capture, damage)


def _json_line(rec: dict) -> str:
    return json.dumps(rec, ensure_ascii=False, separators=(",", ":")) + "\n"


def _in_parallel(capture: str, workers: int, caps: dict, decode_as: tuple, lang: str, damage: list, out,
                 subprotocol: str | None = None, keys=None) -> tuple:
    """The analysis `stats` needs, by `workers` processes (wsdissect/parallel.py): (the summary, the numbers of
    each connection it lists by id, what each WebSocket one prints, the running totals of those folded), as one
    process finds them. What a connection prints (its JSON line for out="json", or its text block when the
    console `out` is written plainly) is made by the worker that has the connection, or not at all ({})."""
    from .. import parallel
    from ..stats import StatsCollector, conn_stats, merge_totals
    from .progress import watch_parallel

    limits = make_limits(**caps)

    def work(w: parallel.Worker) -> dict:
        a = w.analyzer(parallel.ShardAnalyzer(limits, decode_as=decode_as, labels=False,
                                                  subprotocol=subprotocol, keylog=keys))
        collector = StatsCollector()
        a.on_fold = collector.fold
        truncated = parallel.analyse(w, a, collector.row)
        end_notes = a.finish()
        numbers = w.numbering()
        collector.acc = {numbers[cid]: acc for cid, acc in collector.acc.items()}
        pairs = a.renumber(numbers, end_notes)
        collector.end([n for _, n in pairs])
        listed = a.summary.connections
        numbers = [conn_stats(c, collector.acc.get(c.id)) for c in listed]
        shown = [(c, p) for c, p in zip(listed, numbers) if c.is_websocket or c.decode_as]     # as pick() does
        if out == "json":
            made = [_json_line(p) for _, p in shown]
        else:
            from ..render.stats import plain_blocks
            made = plain_blocks(out, lang, [c for c, _ in shown], [p for _, p in shown]) or []
        return {**a.ends([]), "stats": {c.id: p for c, p in zip(listed, numbers)},
                "blocks": {c.id: b for (c, _), b in zip(shown, made)}, "totals": collector.folded,
                "truncated": truncated}

    parts = parallel.run(parallel.Job(capture, workers, work, watch=watch_parallel(capture),
                                      meanwhile=lambda: importlib.import_module("wsdissect.render.stats")))
    summary = parallel.merge_summary(parts)
    truncated = next((p["truncated"] for p in parts if p["truncated"]), None)
    if truncated:
        damage.append(truncated)        # as analyse() keeps it: a warning at the end, nothing in the numbers
    by_id = {k: v for p in parts for k, v in p["stats"].items()}
    blocks = {k: v for p in parts for k, v in p["blocks"].items()}
    return summary, by_id, blocks, merge_totals([p["totals"] for p in parts])
