"""`wsdissect show FILE N`: one packet in detail, a tree of its headers and a hex dump with a field marked."""
from __future__ import annotations

import os
import re

import click

from .common import capture_argument, capture_errors, check_export, decode_as_option, subprotocol_option, export_options, fail, \
    keylog_option, lang_option, limit_options, load_keylog, make_limits, save_export, until_damage, view_console


class _ShowCommand(click.Command):
    """`show F -1` would be read as an unknown option -1: a negative number where N goes is taken as N (after
    "--"), so it gets the same one-line answer as 0, "packet numbers start at 1"."""

    def parse_args(self, ctx, args):
        takes_value = {o for p in self.params if isinstance(p, click.Option) and not p.is_flag for o in p.opts}
        moved, kept, after_dash = [], [], False
        for i, a in enumerate(args):
            if a == "--":
                after_dash = True
            if not after_dash and re.fullmatch(r"-\d+", a) and not (i and args[i - 1] in takes_value):
                moved.append(a)
            else:
                kept.append(a)
        if moved:
            args = kept + ([] if after_dash else ["--"]) + moved
        return super().parse_args(ctx, args)


@click.command(cls=_ShowCommand)
@capture_argument
@click.argument("number", type=int, metavar="N")
@click.option("--field", "field", metavar="NAME",
              help="Mark this field's bytes in the hex dump, e.g. tcp.flags, ws.mask_key, ws.payload, "
                   "http.header.sec-websocket-key, or app.method for what a subprotocol decoder read "
                   "(the packet's fields are listed under the dump). "
                   "Default: the WebSocket frame headers.")
@decode_as_option
@subprotocol_option
@keylog_option
@export_options
@lang_option("the tree's words and explanations")
@limit_options(summary=False)
def show(capture: str, number: int, field: str, decode_as: tuple, subprotocol: str | None, keylog: str | None,
         export: str, width: int, lang: str, **caps) -> None:
    """Show packet N of a capture in detail: link, IP, TCP, HTTP handshake headers and WebSocket frame bits,
    each explained, then a hex dump with the selected field's bytes marked.

    N is the packet's number as `read`, Wireshark and tshark give it: the first packet is 1 (0 and negative
    numbers are refused; there is no counting from the end)."""
    from ..render.details import PacketOutOfRange, UnknownField, render_details
    from .progress import open_tracked
    from .common import primed

    check_export(export)
    keys = load_keylog(keylog)
    damage: list = []
    with capture_errors(capture):
        packets = until_damage(primed(open_tracked(capture)), capture, damage)
        console = view_console(export, width)
        try:
            render_details(console, capture, number, field=field, limits=make_limits(**caps),
                           decode_as=decode_as, packets=packets, lang=lang, subprotocol=subprotocol, keylog=keys)
        except PacketOutOfRange as e:
            if damage:
                fail(f"{capture}: {e} before the damage ({damage[0]})")
            fail(f"{capture}: {e}")
        except UnknownField as e:
            fail(str(e))
        if export:
            save_export(console, export, f"wsdissect show {os.path.basename(capture)} {number}")
