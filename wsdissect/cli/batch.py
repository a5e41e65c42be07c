"""`wsdissect batch CAPTURE... --out DIR`: the tables of `read --parquet`, the captures analysed as tasks on Dask
(distributed): a local cluster of processes by default, or an existing cluster (`--scheduler tcp://host:8786`).

Every file is first probed on the workers (one task per file: its first and last time, link type, packet count;
cli/fleet.py's `probe`); the client then groups them by the rotation rule (or --separate/--merge), exactly as
`read` does. One task is one capture, a group of files read as one: a worker reads its files in turn, analyses
them with one Analyzer and writes that capture's part of each table (`DIR/<table>/part-NNNNN.parquet`, NNNNN the
capture's place in time order), the function `read --parquet` calls for each capture (cli/tables.py). So the
tables are those `read --parquet` writes, part for part; `conn_id` depends on the packets only.

The files and DIR are named to the workers as given (DIR made absolute): each must be at that path on every
worker (a shared file system), and the client must see the directories it lists and DIR too. A file that
cannot be read, or a task that fails (its worker died, its file changed), is reported in one line and the rest
goes on; the exit code is then common.EXIT_PARTIAL (4).
"""
from __future__ import annotations

import logging
import os
import re
import sys
import time
from typing import Optional

import click

from .. import __version__
from .common import (EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_PARTIAL, EXIT_STRICT, decode_as_option, fail, keylog_option,
                     lang_option, limit_options, load_keylog, make_limits, subprotocol_option)
from .fleet import captures_argument, fleet_options

# Worker processes of the local cluster when --workers is not given: one per CPU, at most this many.
MAX_LOCAL_WORKERS = 4
# Seconds to wait for the scheduler given by --scheduler to answer.
SCHEDULER_TIMEOUT = 10
# What --scheduler takes: Dask's address schemes (tcp by default), a host or [IPv6], a port.
_ADDRESS = re.compile(r"(?:(?:tcp|tls|ws|wss|ucx)://)?(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)(?::[0-9]{1,5})?")


@click.command()
@captures_argument
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), metavar="DIR",
              help="The directory the tables are written to (new, or without tables); every worker must be able "
                   "to write it at this path.")
@click.option("--scheduler", metavar="ADDRESS",
              help="Run the tasks on this Dask cluster (tcp://host:8786) instead of a local one. The captures "
                   "and DIR must be at the same paths on every worker.")
@click.option("--workers", type=click.IntRange(1, 256), default=None, metavar="N",
              help=f"Worker processes of the local cluster (default: one per CPU, at most {MAX_LOCAL_WORKERS}).")
@decode_as_option
@subprotocol_option
@keylog_option
@lang_option("the labels and note texts in the tables")
@limit_options
@fleet_options
@click.option("--strict", is_flag=True, help="Exit 1 when a protocol violation (an error note) was found.")
def batch(captures: tuple, out_dir: str, scheduler: Optional[str], workers: Optional[int], decode_as: tuple,
          subprotocol: Optional[str], keylog: Optional[str], lang: str, fleet_mode: Optional[str], strict: bool,
          **caps) -> None:
    """Write the tables of read --parquet for many captures, each capture (a file, or rotations read as one)
    a task on Dask: a local cluster of processes, or --scheduler ADDRESS. Needs the tables extra."""
    from . import fleet as fl
    from . import tables
    if scheduler and workers:
        fail("--workers sizes the local cluster; with --scheduler the cluster's own workers run the tasks")
    tables.need("batch", "pyarrow", "pyarrow.parquet", "distributed")
    opts = tables.Options(make_limits(**caps), decode_as, lang, subprotocol, load_keylog(keylog))
    files, failed = fl.expand(captures)
    if not files:
        fl.group_pieces([], failed, "auto")          # the one-line error, exit 2
    if scheduler and any(not os.path.isabs(f) for f in files):
        click.echo("wsdissect: note: --scheduler: relative paths are handed to the workers as written, so each "
                   "worker finds them in its own working directory (give absolute paths)", err=True)
    try:
        with tables.out_directory(out_dir) as out_dir, _client(scheduler, workers) as client:
            pieces = _probe(client, files, failed)
            groups = fl.group_pieces(pieces, failed, fleet_mode or "auto")
            totals, errors, broken = _run(client, groups, fleet_mode == "merge", out_dir, opts)
    except KeyboardInterrupt:
        sys.exit(EXIT_INTERRUPTED)
    except Exception as e:  # noqa: BLE001 -- a bug of ours, or of the cluster's: one line, not a traceback
        if os.environ.get("WSDISSECT_DEBUG"):
            raise
        fail(f"internal error: {type(e).__name__}: {_one_line(e)} (WSDISSECT_DEBUG=1 shows the traceback)",
             EXIT_INTERNAL)
    tables.wrote(out_dir, totals)
    if failed or broken:
        sys.exit(EXIT_PARTIAL)
    if strict and errors:
        sys.exit(EXIT_STRICT)


class _client:
    """A distributed.Client on a new LocalCluster of processes, or on the scheduler at `address`; closed (and
    the local cluster shut down) on leaving."""

    def __init__(self, address: Optional[str], workers: Optional[int]) -> None:
        self.address, self.workers = address, workers
        self.cluster = self.client = None

    def __enter__(self):
        from distributed import Client, LocalCluster
        # A task's failure is reported by batch in one line; Dask's own log of it (with the traceback) is left
        # to the workers of a cluster, and kept off the terminal for a local one.
        logging.getLogger("distributed").setLevel(logging.CRITICAL)
        if self.address:
            if not _ADDRESS.fullmatch(self.address):
                fail(f"--scheduler {self.address}: not a scheduler address (like tcp://host:8786)")
            try:
                self.client = Client(self.address, timeout=SCHEDULER_TIMEOUT, set_as_default=False)
            except (OSError, TimeoutError) as e:
                fail(f"--scheduler {self.address}: cannot reach the scheduler ({_one_line(e)})")
            except ValueError as e:
                fail(f"--scheduler {self.address}: not a scheduler address ({_one_line(e)})")
            return self.client
        n = self.workers or max(1, min(os.cpu_count() or 1, MAX_LOCAL_WORKERS))
        # The scheduler's HTTP server (health checks; no dashboard here) takes another port when 8787 is taken,
        # with a warning that says nothing to a user of batch.
        import warnings
        warnings.filterwarnings("ignore", message="Port .* is already in use")
        self.cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                                    silence_logs=logging.CRITICAL)
        self.client = Client(self.cluster, set_as_default=False)
        return self.client

    def __exit__(self, *exc) -> None:
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def _one_line(e: BaseException) -> str:
    text = " ".join(str(e).split()) or type(e).__name__
    return text if len(text) <= 300 else text[:299] + "…"


def _probe(client, files: list, failed: list) -> list:
    """Each file probed on a worker (tables.probe): the readable files' Pieces; the others added to `failed`."""
    from . import tables
    futures = client.map(tables.probe, files, key=[f"wsdissect-probe-{i}-{_token()}" for i in range(len(files))])
    pieces = []
    for path, fut in zip(files, futures):
        try:
            got = fut.result()
        except Exception as e:  # noqa: BLE001 -- a worker lost, a file system error on it: this file failed
            failed.append((path, _one_line(e)))
            continue
        if isinstance(got, tuple):
            failed.append(got)
        else:
            pieces.append(got)
    return pieces


def _token() -> str:
    return f"{os.getpid()}-{time.monotonic_ns()}"


def _run(client, groups: list, merge: bool, out_dir: str, opts) -> tuple:
    """Each group a task (tables.task); their results as they come, failures reported in one line each.
    Returns (rows per table, error notes, the number of tasks that failed)."""
    from distributed import as_completed

    from ..render.parquet import TABLES
    from . import fleet as fl
    from . import tables
    from .progress import _Bar, wants_progress
    token = _token()
    futures = {}
    # The options (a key log may be megabytes) go to the workers once, not with every task.
    shared = client.scatter(opts, broadcast=True, hash=False)
    for i, group in enumerate(groups):
        part = tables.part_name(i)
        fut = client.submit(tables.task, group, merge, out_dir, part, shared, key=f"wsdissect-{part}-{token}",
                            retries=0)
        futures[fut] = group
    size = sum(p.size for g in groups for p in g)
    bar = _Bar(f"{sum(len(g) for g in groups)} files", size) if wants_progress(False) else None
    start = time.monotonic()
    totals = {t: 0 for t in TABLES}
    errors = broken = done_bytes = packets = 0
    versions = set()
    try:
        for fut in as_completed(list(futures), loop=client.loop):
            group = futures[fut]
            done_bytes += sum(p.size for p in group)
            try:
                got = fut.result()
            except Exception as e:  # noqa: BLE001 -- one capture failed; the others go on
                broken += 1
                click.echo(f"wsdissect: error: {fl.group_name(group)}: {type(e).__name__}: {_one_line(e)} "
                           "(its tables were not written; the other captures go on)", err=True)
                continue
            for t in TABLES:
                totals[t] += got["counts"][t]
            errors += got["errors"]
            packets += got["packets"]
            versions.add(got["version"])
            for path, why in got["damage"]:
                click.echo(f"wsdissect: warning: {path}: {why} (packets before it were analysed)", err=True)
            if bar is not None:
                bar.update(packets, done_bytes, time.monotonic() - start)
    finally:
        if bar is not None:
            bar.close()
    other = versions - {__version__}
    if other:
        click.echo(f"wsdissect: warning: workers ran wsdissect {', '.join(sorted(other))}, this is {__version__}",
                   err=True)
    return totals, errors, broken
