"""A progress bar for long reads: packets, MB read, rate and time left, on stderr.

Shown only when a person is watching it: stderr is a terminal, and the command's output is not streaming to
that same terminal (`read` to a terminal prints rows as it goes, which is progress enough; `read > out.txt`,
`read --json | jq`, `stats`, `follow` and `show` print at the end). It appears once a read has taken
PROGRESS_AFTER seconds, so short captures never flash a bar, and vanishes when the read ends.

The bar wraps the packet iterator at the CLI's edge; the sources and the analyzer know nothing of it.
"""
from __future__ import annotations

import io
import os
import stat
import sys
import time
from typing import Callable, Iterator, Optional

from ..model import RawPacket, Secrets
from ..sources.pcap import STDIN, iter_capture, open_path

PROGRESS_AFTER = 1.0        # seconds before a bar appears
CHECK_EVERY = 4096          # packets between two looks at the clock (a clock read per packet costs ~3 %)


def open_tracked(path: str, streaming_to_terminal: bool = False) -> Iterator[RawPacket]:
    """The packets of the capture at `path`, as `sources.pcap.open_capture` yields them, with a progress bar
    on stderr when `wants_progress(...)` says a person would see it. Errors surface on the first `next()`."""
    with open_path(path) as (stream, f):
        if not wants_progress(streaming_to_terminal):
            yield from secrets_checked(iter_capture(stream), path)
            return
        try:
            st = os.fstat(f.fileno())
            size = st.st_size if stat.S_ISREG(st.st_mode) else 0      # a pipe's size says nothing
        except (OSError, ValueError, io.UnsupportedOperation):
            size = 0
        position = f.tell
        if not size:
            # A pipe has no position either: count what the reader takes from it instead.
            stream = _Counted(stream)
            position = stream.count
        yield from tracked(secrets_checked(iter_capture(stream), path), position, size,
                           "standard input" if path == STDIN else os.path.basename(path))


def secrets_checked(packets: Iterator[RawPacket], path: str) -> Iterator[RawPacket]:
    """The records of `packets`, each Decryption Secrets Block with bad key log lines warned about on the way
    (common.warn_secrets)."""
    from .common import warn_secrets
    block = 0
    for raw in packets:
        if type(raw) is Secrets:
            block += 1
            warn_secrets(raw, "standard input" if path == STDIN else path, block)
        yield raw


class _Counted:
    """A stream's read1/readinto1 (what sources.pcap uses), counting the bytes they return."""

    def __init__(self, stream) -> None:
        self._stream = stream
        self._n = 0

    def count(self) -> int:
        return self._n

    def read1(self, n: int = -1) -> bytes:
        data = self._stream.read1(n)
        self._n += len(data)
        return data

    def readinto1(self, view) -> int:
        got = self._stream.readinto1(view)
        self._n += got
        return got


def wants_progress(streaming_to_terminal: bool) -> bool:
    if os.environ.get("WSDISSECT_NO_PROGRESS"):
        return False
    try:
        if not sys.stderr.isatty():
            return False
        # The same terminal on both: the rows themselves show the progress.
        return not (streaming_to_terminal and sys.stdout.isatty())
    except (AttributeError, ValueError):      # closed or replaced streams
        return False


def tracked(packets: Iterator[RawPacket], position: Callable[[], int], size: int, name: str,
            clock: Callable[[], float] = time.monotonic, console=None) -> Iterator[RawPacket]:
    """Yield `packets` unchanged; once PROGRESS_AFTER seconds have passed, show a rich progress bar of
    `position()` bytes out of `size` (the ETA comes from the file size) and the packet count. `clock` and
    `console` are for tests."""
    start = clock()
    bar: Optional[_Bar] = None
    n = 0
    try:
        for raw in packets:
            yield raw
            n += 1
            if n % CHECK_EVERY:
                continue
            if bar is None:
                if clock() - start < PROGRESS_AFTER:
                    continue
                bar = _Bar(name, size, console)
            bar.update(n, _safe(position), clock() - start)
    finally:
        if bar is not None:
            bar.close()


def _safe(position: Callable[[], int]) -> int:
    try:
        return position()
    except (OSError, ValueError):
        return 0


class _Bar:
    def __init__(self, name: str, size: int, console=None) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
        self.progress = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(bar_width=20), DownloadColumn(),
            TextColumn("{task.fields[packets]:,} packets, {task.fields[rate]:,.0f}/s"), TimeRemainingColumn(),
            console=console or Console(stderr=True), transient=True)
        self.task = self.progress.add_task(name, total=size or None, packets=0, rate=0.0)
        self.progress.start()

    def update(self, packets: int, position: int, elapsed: float) -> None:
        self.progress.update(self.task, completed=position, packets=packets, rate=packets / max(elapsed, 1e-9))

    def close(self) -> None:
        self.progress.stop()


def watch_parallel(path: str):
    """For parallel.Job.watch: a progress bar of a parallel read (the slowest worker's packets and bytes), in a
    thread of the parent while it merges; None when nobody would see it."""
    if not wants_progress(False):
        return None
    import threading

    def watch(status: Callable[[], Optional[tuple]]) -> Callable[[], None]:
        stopping = threading.Event()

        def run() -> None:
            start = time.monotonic()
            if stopping.wait(PROGRESS_AFTER):
                return
            bar = _Bar(os.path.basename(path), os.path.getsize(path))
            try:
                while not stopping.wait(0.25):
                    now = status()
                    if now is not None:
                        bar.update(now[0], now[1], time.monotonic() - start)
            finally:
                bar.close()

        thread = threading.Thread(target=run, name="wsdissect-progress", daemon=True)
        thread.start()

        def stop() -> None:
            stopping.set()
            thread.join()
        return stop
    return watch
