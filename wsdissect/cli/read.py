"""`wsdissect read FILE`: a capture file in, every packet of its WebSocket conversations explained."""
from __future__ import annotations

import os
import sys

import click

from ..analyzer import Analyzer
from ..sources.pcap import CaptureError, open_capture
from .common import EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_STRICT, primed, fail, limit_options, make_limits, run


@click.command()
@click.argument("capture", type=click.Path(dir_okay=False, path_type=str))
@click.option("--json", "as_json", is_flag=True, help="Write JSON Lines (one record per line) instead of the timeline.")
@click.option("--decode-as", "decode_as", type=click.IntRange(1, 65535), multiple=True, metavar="PORT",
              help="Decode TCP port PORT as WebSocket even when the capture lacks the handshake. Repeatable.")
@click.option("--hide-acks", is_flag=True, help="Leave out bare ACKs that carry nothing worth a note.")
@click.option("--strict", is_flag=True, help="Exit 1 when a protocol violation (an error note) was found.")
@limit_options
def read(capture: str, as_json: bool, decode_as: tuple, hide_acks: bool, strict: bool, **caps) -> None:
    """Read a pcap or pcapng file and explain every packet of its WebSocket connections."""
    analyzer = Analyzer(make_limits(**caps), decode_as=decode_as)
    try:
        packets = primed(open_capture(capture))
        run(analyzer, packets, as_json=as_json, show_acks=not hide_acks, source=capture)
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
    except Exception as e:  # noqa: BLE001 -- a bug of ours still gets one line, not a traceback
        if os.environ.get("WSDISSECT_DEBUG"):
            raise
        fail(f"internal error: {type(e).__name__}: {e} (a bug; WSDISSECT_DEBUG=1 shows the traceback)",
             EXIT_INTERNAL)
    if strict and analyzer.summary.notes_by_severity.get("error"):
        sys.exit(EXIT_STRICT)
