"""`wsdissect show FILE N`: one packet in detail, a tree of its headers and a hex dump with a field marked."""
from __future__ import annotations

import click

from .common import capture_errors, fail, limit_options, make_console, make_limits, until_damage


@click.command()
@click.argument("capture", type=click.Path(dir_okay=False, path_type=str))
@click.argument("number", type=int, metavar="N")
@click.option("--field", "field", metavar="NAME",
              help="Mark this field's bytes in the hex dump, e.g. tcp.flags, ws.mask_key, ws.payload, "
                   "http.header.sec-websocket-key (the packet's fields are listed under the dump). "
                   "Default: the WebSocket frame headers.")
@click.option("--decode-as", "decode_as", type=click.IntRange(1, 65535), multiple=True, metavar="PORT",
              help="Decode TCP port PORT as WebSocket even when the capture lacks the handshake. Repeatable.")
@limit_options
def show(capture: str, number: int, field: str, decode_as: tuple, **caps) -> None:
    """Show packet N of a capture in detail: link, IP, TCP, HTTP handshake headers and WebSocket frame bits,
    each explained, then a hex dump with the selected field's bytes marked."""
    from ..render.details import PacketOutOfRange, UnknownField, render_details
    from .progress import open_tracked
    from .common import primed

    damage: list = []
    with capture_errors(capture):
        packets = until_damage(primed(open_tracked(capture)), capture, damage)
        try:
            render_details(make_console(), capture, number, field=field, limits=make_limits(**caps),
                           decode_as=decode_as, packets=packets)
        except PacketOutOfRange as e:
            if damage:
                fail(f"{capture}: {e} before the damage ({damage[0]})")
            fail(f"{capture}: {e}")
        except UnknownField as e:
            fail(str(e))
