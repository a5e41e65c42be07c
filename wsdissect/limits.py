"""Every cap wsdissect applies to untrusted input, in one place.

Each cap is named, has a documented default and a command-line option. Reaching one is reported as a Note
(and in the summary), never a crash and never silently.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

MiB = 1024 * 1024


@dataclass(slots=True, frozen=True)
class Limits:
    # Bytes of one message kept in memory after inflating (--max-message). Past it the message is cut and
    # noted; inflating stops there too, which is what defuses a deflate bomb.
    max_message: int = 16 * MiB
    # Bytes of out-of-order data buffered per TCP direction while waiting for a hole to fill
    # (--max-reorder). Past it the hole is declared missing and reassembly moves on.
    max_reorder: int = 4 * MiB
    # Bytes of HTTP header accepted for one request or response (--max-header).
    max_header: int = 64 * 1024
    # Connections tracked at once (--max-connections); the oldest idle one is finished when a new one comes.
    max_connections: int = 100_000
    # Connections whose full record the summary keeps (--max-summary-connections): those numbered 0..N-1. A
    # connection numbered N or more is, once finished, only counted (CaptureSummary.folded) and its record
    # dropped (written to --json when it is folded), so memory follows the open connections, not the capture's
    # length. None: no cap (the flow view, which draws every connection under its record, runs so).
    summary_connections: Optional[int] = 10_000


DEFAULT_LIMITS = Limits()
