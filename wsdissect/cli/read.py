"""`wsdissect read FILE`: a capture file in, every packet of its WebSocket conversations explained."""
from __future__ import annotations

import os
import sys

import click

from ..analyzer import Analyzer
from ..sources.pcap import Shortcut
from .output import block_buffered_stdout
from .progress import open_tracked
from .common import EXIT_STRICT, capture_errors, check_views, decode_as_option, export_options, filter_options, \
    lang_option, limit_options, make_limits, primed, row_filter, row_options, run, save_export, view_writer


@click.command()
@click.argument("capture", type=click.Path(dir_okay=False, path_type=str))
@click.option("--json", "as_json", is_flag=True, help="Write JSON Lines (one record per line) instead of the timeline.")
@decode_as_option
@click.option("--view", type=click.Choice(["timeline", "flow"]), default="timeline", show_default=True,
              help="timeline: one explained row per packet. flow: a ladder diagram per connection.")
@click.option("--format", "fmt", type=click.Choice(["text", "mermaid"]), default="text", show_default=True,
              help="With --view flow: mermaid writes Mermaid sequence-diagram text for documents.")
@export_options
@click.option("--details", is_flag=True, help="Each packet shown as its details tree (what `show` prints for one "
              "packet, without the hex dump), like tshark -V.")
@filter_options
@row_options
@lang_option("the row labels and explanations")
@limit_options
def read(capture: str, as_json: bool, decode_as: tuple, view: str, fmt: str, export: str, width: int,
         details: bool, conns: tuple, roles: str, grep: str, hide_acks: bool, strict: bool, explain: bool,
         lang: str, **caps) -> None:
    """Read a pcap or pcapng file (gzip-compressed too; - for standard input) and explain every packet of its
    WebSocket connections."""
    keep = row_filter(conns, roles, grep, hide_acks)
    check_views(as_json=as_json, view=view, fmt=fmt, explain=explain, export=export, details=details)
    limits = make_limits(**caps)
    analyzer = Analyzer(limits, decode_as=decode_as, lang=lang)
    with capture_errors(capture), block_buffered_stdout():
        shortcut = Shortcut()
        packets = primed(open_tracked(capture, streaming_to_terminal=True, shortcut=shortcut))
        console, out = view_writer(view, fmt, as_json, export, width, lang)
        source = analyzer
        if details:
            from ..render.details_stream import DetailsTap, DetailsWriter
            source = DetailsTap(analyzer, limits)       # one pass: the trees come from the run loop's analysis
            out = DetailsWriter(console, source, closing=out, lang=lang)
        if explain:
            from ..explain import ExplainWriter
            out = ExplainWriter(out, console, lang)
        run(source, packets, as_json=as_json, out=out, keep=keep if keep.active else None, source=capture,
            shortcut=shortcut)
        if export:
            save_export(console, export, f"wsdissect read {os.path.basename(capture)}")
    if strict and analyzer.summary.notes_by_severity.get("error"):
        sys.exit(EXIT_STRICT)

