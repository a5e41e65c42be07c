"""Standard output for commands that write a lot of it at once (`read` of a big capture to a file or a pipe)."""
from __future__ import annotations

import contextlib
import io
import os
import sys
from typing import Iterator

STDOUT_BUFFER = 256 * 1024      # bytes gathered before one write(2)


@contextlib.contextmanager
def block_buffered_stdout() -> Iterator[None]:
    """While inside, sys.stdout gathers output in a STDOUT_BUFFER-byte buffer when it is an unbuffered file
    or pipe. PYTHONUNBUFFERED=1, which many container images set, otherwise makes every row one system call
    (~5 % of `read big.pcap > out.txt`). A terminal is left alone: rows show as they come. `live` never uses
    this: its rows must leave as the packets arrive."""
    out = sys.stdout
    try:
        fd = out.fileno()
        unbuffered = out.write_through or isinstance(out.buffer, io.RawIOBase)
        terminal = os.isatty(fd)
    except (AttributeError, ValueError, OSError, io.UnsupportedOperation):
        unbuffered, terminal = False, True           # not a real file (tests' CliRunner): leave it
    if not unbuffered or terminal:
        yield
        return
    out.flush()
    buffered = io.TextIOWrapper(io.BufferedWriter(io.FileIO(fd, "w", closefd=False), STDOUT_BUFFER),
                                encoding=out.encoding, errors=out.errors)
    sys.stdout = buffered
    try:
        yield
    finally:
        sys.stdout = out
        try:
            buffered.flush()
        except BrokenPipeError:
            # The reader left (`| head`): what it did not read is not wanted. The buffer still holds it and
            # would fail again on every flush, so let it drain into /dev/null.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, fd)
            os.close(devnull)
        buffered.detach()        # the fd belongs to the real stdout; do not close it with the wrapper
