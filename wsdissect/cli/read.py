"""`wsdissect read FILE`: a capture file in, every packet of its WebSocket conversations explained."""
from __future__ import annotations

import os
import sys

import click

from ..analyzer import Analyzer
from ..filters import RowFilter, parse_roles
from ..i18n import DEFAULT_LANG, LANGS
from .output import block_buffered_stdout
from .progress import open_tracked
from .common import EXIT_STRICT, capture_errors, check_export, export_options, fail, limit_options, make_limits, \
    primed, run, save_export, view_console


@click.command()
@click.argument("capture", type=click.Path(dir_okay=False, path_type=str))
@click.option("--json", "as_json", is_flag=True, help="Write JSON Lines (one record per line) instead of the timeline.")
@click.option("--decode-as", "decode_as", type=click.IntRange(1, 65535), multiple=True, metavar="PORT",
              help="Decode TCP port PORT as WebSocket even when the capture lacks the handshake. Repeatable.")
@click.option("--view", type=click.Choice(["timeline", "flow"]), default="timeline", show_default=True,
              help="timeline: one explained row per packet. flow: a ladder diagram per connection.")
@click.option("--format", "fmt", type=click.Choice(["text", "mermaid"]), default="text", show_default=True,
              help="With --view flow: mermaid writes Mermaid sequence-diagram text for documents.")
@export_options
@click.option("--details", is_flag=True, help="Each packet shown as its details tree (what `show` prints for one "
              "packet, without the hex dump), like tshark -V.")
@click.option("--conn", "conns", type=click.IntRange(0), multiple=True, metavar="N",
              help="Show only connection N (repeatable). The summary still covers the whole capture.")
@click.option("--role", "roles", metavar="ROLE[,ROLE]", help="Show only rows with these roles, e.g. ws-data,ws-close.")
@click.option("--grep", metavar="REGEX", help="Show only rows carrying a message (or frame) whose text matches.")
@click.option("--hide-acks", is_flag=True, help="Leave out bare ACKs that carry nothing worth a note.")
@click.option("--strict", is_flag=True, help="Exit 1 when a protocol violation (an error note) was found.")
@click.option("--explain", is_flag=True, help="Before each phase of a connection (TCP handshake, WebSocket "
              "handshake, data transfer, closing), print a paragraph explaining it, citing RFC 6455.")
@click.option("--lang", type=click.Choice(LANGS), default=DEFAULT_LANG, show_default=True,
              help="Language of the row labels and explanations: en (English) or zh (Chinese, 中文).")
@limit_options
def read(capture: str, as_json: bool, decode_as: tuple, view: str, fmt: str, export: str, width: int,
         details: bool, conns: tuple, roles: str, grep: str, hide_acks: bool, strict: bool, explain: bool,
         lang: str, **caps) -> None:
    """Read a pcap or pcapng file and explain every packet of its WebSocket connections."""
    keep = _row_filter(conns, roles, grep, hide_acks)
    if explain and (as_json or view != "timeline"):
        fail("--explain goes with the timeline view; it does not go with --json or --view flow")
    if export and (as_json or fmt == "mermaid"):
        fail("--export draws a terminal view; it does not go with --json or --format mermaid")
    if fmt == "mermaid" and view != "flow":
        fail("--format mermaid needs --view flow")
    if details and (as_json or view != "timeline"):
        fail("--details prints each packet's tree; it does not go with --json or --view flow")
    check_export(export)
    limits = make_limits(**caps)
    analyzer = Analyzer(limits, decode_as=decode_as, lang=lang)
    with capture_errors(capture), block_buffered_stdout():
        packets = primed(open_tracked(capture, streaming_to_terminal=True))
        console, out = _view(view, fmt, as_json, export, width, lang)
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


def _row_filter(conns: tuple, roles: str, grep: str, hide_acks: bool) -> RowFilter:
    try:
        return RowFilter(conns, parse_roles(roles) if roles else (), grep, hide_acks)
    except ValueError as e:
        fail(str(e))
    except Exception as e:  # re.error: a bad --grep pattern
        fail(f"--grep {grep!r} is not a valid regular expression: {e}")


def _view(view: str, fmt: str, as_json: bool, export: str, width: int, lang: str = DEFAULT_LANG):
    """(console or None, writer) for the chosen view."""
    if as_json:
        from ..render.jsonl import JsonLinesWriter
        return None, JsonLinesWriter(sys.stdout)
    console = view_console(export, width)
    if view == "flow":
        from ..render.flow import FlowPrinter, MermaidPrinter
        if fmt == "mermaid":
            return None, MermaidPrinter(sys.stdout, lang=lang)
        return console, FlowPrinter(console, lang=lang)
    from ..render.timeline import TimelinePrinter
    return console, TimelinePrinter(console, lang=lang)
