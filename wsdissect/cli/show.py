"""`wsdissect show FILE N`: one packet in detail, a tree of its headers and a hex dump with a field marked."""
from __future__ import annotations

import contextlib
import os
import sys
from typing import Iterator

import click

from ..sources.pcap import CaptureError, CaptureTruncated
from .common import EXIT_INTERNAL, EXIT_INTERRUPTED, fail, limit_options, make_limits


@contextlib.contextmanager
def capture_errors(capture: str) -> Iterator[None]:
    """The one-line messages and exit codes `read` gives for a capture that cannot be read, for the commands
    that read a whole capture before printing (show, follow, stats). A capture damaged part-way is analysed
    up to the damage, with a warning, by the command itself (see `warn_truncated`)."""
    try:
        yield
    except FileNotFoundError:
        fail(f"cannot read {capture}: no such file")
    except IsADirectoryError:
        fail(f"cannot read {capture}: it is a directory")
    except PermissionError:
        fail(f"cannot read {capture}: permission denied")
    except CaptureError as e:
        fail(f"cannot read {capture}: {e}")
    except KeyboardInterrupt:
        sys.exit(EXIT_INTERRUPTED)
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except Exception as e:  # noqa: BLE001 -- a bug of ours still gets one line, not a traceback
        if os.environ.get("WSDISSECT_DEBUG"):
            raise
        fail(f"internal error: {type(e).__name__}: {e} (a bug; WSDISSECT_DEBUG=1 shows the traceback)",
             EXIT_INTERNAL)


def until_damage(packets, capture: str, damage: list):
    """Yield packets until the file's damage; the CaptureTruncated is kept in `damage` for a warning later."""
    try:
        yield from packets
    except CaptureTruncated as e:
        damage.append(e)


def warn_truncated(capture: str, damage: list) -> None:
    if damage:
        click.echo(f"wsdissect: warning: {capture}: {damage[0]} (packets before it were analysed)", err=True)


def make_console():
    from rich.console import Console
    return Console(highlight=False, soft_wrap=False)


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
    from ..sources.pcap import open_capture
    from .common import primed

    damage: list = []
    with capture_errors(capture):
        packets = until_damage(primed(open_capture(capture)), capture, damage)
        try:
            render_details(make_console(), capture, number, field=field, limits=make_limits(**caps),
                           decode_as=decode_as, packets=packets)
        except PacketOutOfRange as e:
            if damage:
                fail(f"{capture}: {e} before the damage ({damage[0]})")
            fail(f"{capture}: {e}")
        except UnknownField as e:
            fail(str(e))
