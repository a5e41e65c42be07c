"""Tables at the CLI's edge: `read --parquet DIR`, and the one task `batch` runs on its workers.

One capture (a group of files read as one, cli/fleet.py) is analysed by one Analyzer into one part of each table
(render/parquet.py), `part-NNNNN`, NNNNN the capture's place in the order cli/fleet.py gives the captures (by
first packet). `read --parquet` runs the captures in turn, `batch` as tasks on Dask (cli/batch.py), the same
function (`write_group`), so both write the same tables.
"""
from __future__ import annotations

import contextlib
import glob
import importlib
import os
import shutil
from dataclasses import dataclass
from typing import Optional

import click

from .. import __version__
from ..analyzer import Analyzer
from ..limits import Limits
from ..render.parquet import TABLES
from .common import EXIT_USAGE, fail

EXTRA = "tables"      # pip install 'wsdissect[tables]'


def need(what: str, *modules: str) -> None:
    """Exit 2 with one line unless the optional packages `modules` can be imported (`what` needs them)."""
    for m in modules:
        try:
            importlib.import_module(m)
        except ImportError:
            fail(f"{what} needs {m.split('.')[0]}, which is not installed (pip install 'wsdissect[{EXTRA}]')",
                 EXIT_USAGE)


def prepare_out(path: str) -> str:
    """The absolute path of the tables' directory `path`, made if need be; exit 2 with one line when it is not
    a directory, cannot be made, or already holds tables (a run never mixes its parts with another's)."""
    path = os.path.abspath(path)
    if os.path.exists(path) and not os.path.isdir(path):
        fail(f"{path} is not a directory (the tables are written as a directory)")
    held = [t for t in TABLES if glob.glob(os.path.join(glob.escape(path), t, "*.parquet"))]
    if held:
        fail(f"{path} already holds tables ({', '.join(held)}): give a new or empty directory")
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as e:
        fail(f"cannot make {path}: {e.strerror or e}")
    return path


@contextlib.contextmanager
def out_directory(path: str):
    """prepare_out(path) for the duration of a run; when the run ends in an error before any file was written,
    the directories it made are removed again (a typo'd capture leaves no empty DIR behind)."""
    made = not os.path.exists(os.path.abspath(path))
    out = prepare_out(path)
    try:
        yield out
    except BaseException:
        if made and not any(files for _, _, files in os.walk(out)):
            shutil.rmtree(out, ignore_errors=True)
        raise


def part_name(i: int) -> str:
    return f"part-{i:05d}"


@dataclass
class Options:
    """What the analysis of every capture is given (picklable: it travels to batch's workers)."""
    limits: Limits
    decode_as: tuple = ()
    lang: str = "en"
    subprotocol: Optional[str] = None
    keys: object = None             # tls.KeyLog


def analyzer(opts: Options) -> Analyzer:
    return Analyzer(opts.limits, decode_as=opts.decode_as, subprotocol=opts.subprotocol,
                    keylog=opts.keys)


def write_group(fleet, group: list, out_dir: str, part: str, opts: Options, damage: Optional[list] = None) -> dict:
    """Analyse one capture (`group`, Pieces of `fleet`) into part `part` of each table under `out_dir`. Returns
    the rows written per table and the error notes found."""
    from ..render.parquet import ParquetWriter
    from . import fleet as fl
    from .common import run
    a = analyzer(opts)
    tags = fl.FileTags()
    packets = fl.packets(fleet, group, tags, a, damage)
    writer = ParquetWriter(out_dir, part, tags.of, opts.lang)
    try:
        run(a, packets, out=writer, source=fl.group_name(group))
    except BaseException:
        writer.abort()
        raise
    return {"counts": writer.counts, "errors": a.summary.notes_by_severity.get("error", 0)}


def task(group: list, merge: bool, out_dir: str, part: str, opts: Options) -> dict:
    """One task of `batch`: a capture (a group of probed files) into its parts, on a worker. Damage part-way
    through a file comes back as (path, why) pairs for the client to report."""
    from . import fleet as fl
    damage: list = []
    fleet = fl.Fleet([group], merge, size=sum(p.size for p in group))
    # No progress bar of its own: a local cluster's workers share the terminal of batch, which shows the one bar.
    quiet = os.environ.get("WSDISSECT_NO_PROGRESS")
    os.environ["WSDISSECT_NO_PROGRESS"] = "1"
    try:
        out = write_group(fleet, group, out_dir, part, opts, damage)
    finally:
        if quiet is None:
            del os.environ["WSDISSECT_NO_PROGRESS"]
    out["damage"] = [(path, str(e)) for path, e in damage]
    out["packets"] = sum(p.packets for p in group)
    out["version"] = __version__
    return out


def probe(path: str):
    """`fleet.probe` on a worker of `batch`: the Piece, or (path, why) when the file cannot be read."""
    from ..sources.pcap import CaptureError
    from . import fleet as fl
    try:
        return fl.probe(path)
    except (OSError, CaptureError) as e:
        return (path, fl._why(e))


def wrote(out_dir: str, counts: dict) -> None:
    """The one line on stderr that says what was written: each table by name, with its rows."""
    parts = ", ".join(f"{t} {counts[t]:,}" for t in TABLES)
    click.echo(f"wsdissect: wrote {out_dir}: {parts}", err=True)


def read_tables(captures: tuple, mode: Optional[str], out_dir: str, opts: Options, strict: bool) -> None:
    """`read --parquet DIR`: every capture of the command line into the tables, in turn, in this process."""
    import sys

    from . import fleet as fl
    from .common import (EXIT_PARTIAL, EXIT_STRICT, CapturePath, capture_errors, primed, run)
    need("--parquet", "pyarrow", "pyarrow.parquet")
    totals = {t: 0 for t in TABLES}
    errors = 0
    if not fl.is_fleet(captures):
        from ..render.parquet import ParquetWriter
        from .progress import open_tracked
        capture = CapturePath().convert(captures[0], None, None)
        a = analyzer(opts)
        with out_directory(out_dir) as out_dir, capture_errors(capture):
            writer = ParquetWriter(out_dir, part_name(0), lambda no: capture, opts.lang)
            try:
                run(a, primed(open_tracked(capture)), out=writer, source=capture)
            except BaseException:
                writer.abort()
                raise
        wrote(out_dir, writer.counts)
        if strict and a.summary.notes_by_severity.get("error"):
            sys.exit(EXIT_STRICT)
        return
    fleet = fl.plan(captures, mode)
    damage: list = []
    with out_directory(out_dir) as out_dir, capture_errors(fl.group_name(fleet.groups[0])):
        for i, group in enumerate(fleet.groups):
            got = write_group(fleet, group, out_dir, part_name(i), opts, damage)
            for t in TABLES:
                totals[t] += got["counts"][t]
            errors += got["errors"]
    fl.warn_damage(damage)
    wrote(out_dir, totals)
    if fleet.failed:
        sys.exit(EXIT_PARTIAL)
    if strict and errors:
        sys.exit(EXIT_STRICT)
