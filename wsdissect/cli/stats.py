"""`wsdissect stats FILE`: numbers per WebSocket connection and totals for the capture."""
from __future__ import annotations

import json
import os
import sys

import click

from .common import capture_errors, check_export, decode_as_option, export_options, fail, lang_option, \
    limit_options, save_export, view_console, warn_truncated
from .follow import analyse, pick


@click.command()
@click.argument("capture", type=click.Path(dir_okay=False, path_type=str))
@click.option("--conn", "conn", type=click.IntRange(0), metavar="N",
              help="Only connection N (the number `read` shows). Default: every WebSocket connection.")
@click.option("--json", "as_json", is_flag=True,
              help='JSON Lines: one "type":"stats" object per connection, then one "type":"stats-total".')
@decode_as_option
@export_options
@lang_option("the view's words and labels", " --json stays English.")
@limit_options
def stats(capture: str, conn: int | None, as_json: bool, decode_as: tuple, export: str, width: int, lang: str,
          **caps) -> None:
    """Per connection: duration, handshake latency, messages and bytes each way by opcode, compression,
    ping→pong round trips, largest message, how it closed, silences, notes; then totals for the capture."""
    from ..render.stats import StatsCollector, conn_stats, render_stats, total_stats

    if export and as_json:
        fail("--export draws a terminal view; it does not go with --json")
    check_export(export)
    damage: list = []
    with capture_errors(capture):
        collector = StatsCollector()
        keep = caps.get("max_summary_connections")
        if conn is not None and keep is not None:
            caps["max_summary_connections"] = max(keep, conn + 1)     # connection N keeps its record
        # Connections past --max-summary-connections are counted in the totals when they finish
        # (collector.fold), and not listed.
        analyzer = analyse(capture, caps, decode_as, collector.row, damage, lang, on_fold=collector.fold,
                           collector=collector)
        everyone = [conn_stats(c, collector.acc.get(c.id)) for c in analyzer.summary.connections]
        total = total_stats(analyzer.summary, everyone, collector.folded)
        conns = pick(analyzer, conn, capture)
        # By id: list.index() compared whole Connection records, quadratic in the number of connections.
        by_id = {c.id: st for c, st in zip(analyzer.summary.connections, everyone)}
        chosen = [by_id[c.id] for c in conns]
        if as_json:
            out = sys.stdout
            for rec in chosen + [total]:
                out.write(json.dumps(rec, ensure_ascii=False, separators=(",", ":")) + "\n")
            out.flush()
        else:
            console = view_console(export, width)
            render_stats(console, conns, chosen, total, lang)
            if export:
                save_export(console, export, f"wsdissect stats {os.path.basename(capture)}")
    warn_truncated(capture, damage)
