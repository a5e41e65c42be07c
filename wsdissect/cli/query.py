"""`wsdissect query DIR "SQL"`: SQL (DuckDB, in this process) over the tables `read --parquet` and `batch`
write. Each table directory of DIR is a view of that name over its part files (packets, frames, messages,
connections, notes); the answer is printed as a table, or as JSON Lines (--json) or CSV (--csv)."""
from __future__ import annotations

import csv
import json
import os
import sys
from typing import Optional

import click

from ..render.parquet import TABLES
from .common import EXIT_USAGE, fail, lang_option

# Rows the readable table shows; past it a line says how many more there are (--json and --csv write all).
QUERY_TABLE_ROWS = 1000


@click.command()
@click.argument("directory", type=click.Path(file_okay=False), metavar="DIR")
@click.argument("sql", metavar="SQL")
@click.option("--json", "as_json", is_flag=True, help="Write the answer as JSON Lines, one object per row.")
@click.option("--csv", "as_csv", is_flag=True, help="Write the answer as CSV, a header line first.")
@lang_option("the line under the table")
def query(directory: str, sql: str, as_json: bool, as_csv: bool, lang: str) -> None:
    """Run SQL (DuckDB) over the tables that read --parquet or batch wrote in DIR: packets, frames, messages,
    connections, notes. Needs duckdb (pip install 'wsdissect[tables]')."""
    from .tables import need
    if as_json and as_csv:
        fail("--json and --csv: choose one")
    need("query", "duckdb")
    import duckdb
    con = connect(directory)
    try:
        cur = con.execute(sql)
        names = [d[0] for d in cur.description] if cur.description else []
        rows = cur.fetchall() if names else []
    except duckdb.Error as e:
        fail(f"SQL: {_one_line(e)}")
    except KeyboardInterrupt:
        from .common import EXIT_INTERRUPTED
        sys.exit(EXIT_INTERRUPTED)
    try:
        if as_json:
            for r in rows:
                sys.stdout.write(json.dumps(dict(zip(names, r)), ensure_ascii=False, default=str) + "\n")
        elif as_csv:
            w = csv.writer(sys.stdout, lineterminator="\n")
            w.writerow(names)
            w.writerows([[_csv_cell(v) for v in r] for r in rows])
        else:
            _print_table(names, rows, lang)
        sys.stdout.flush()
    except BrokenPipeError:
        from .common import _silence_stdout
        _silence_stdout()


def connect(directory: str):
    """A DuckDB connection (in memory) with a view per table of `directory`; exit 2 with one line when the
    directory holds none."""
    import duckdb
    if not os.path.isdir(directory):
        fail(f"cannot read {directory}: " + ("no such directory" if not os.path.exists(directory)
                                             else "it is not a directory"))
    con = duckdb.connect()
    found = []
    for t in TABLES:
        parts = os.path.join(directory, t)
        names = sorted(n for n in os.listdir(parts) if n.endswith(".parquet")) if os.path.isdir(parts) else []
        if names:
            # The part files by name, not a glob: a directory's name may hold * or [ ].
            files = ", ".join("'" + os.path.join(os.path.abspath(parts), n).replace("'", "''") + "'" for n in names)
            con.execute(f"CREATE VIEW {t} AS SELECT * FROM read_parquet([{files}])")
            found.append(t)
    if not found:
        fail(f"{directory} holds no tables (wsdissect read --parquet {directory} CAPTURE... writes them)",
             EXIT_USAGE)
    return con


def _one_line(e: Exception) -> str:
    text = " ".join(str(e).split())
    return text if len(text) <= 300 else text[:299] + "…"


def _cell(v) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False, default=str)
    if isinstance(v, float):
        return repr(round(v, 6))        # microseconds, like the timestamps; --json and --csv keep every digit
    return str(v)


def _csv_cell(v) -> Optional[str]:
    if v is None:
        return ""
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False, default=str)
    if isinstance(v, bool):
        return "true" if v else "false"
    return v


def _print_table(names: list, rows: list, lang: str) -> None:
    from rich import box
    from rich.cells import cell_len
    from rich.table import Table
    from rich.text import Text

    from ..i18n import catalog
    from .common import QuietConsole
    words = catalog(lang)
    console = QuietConsole(highlight=False, soft_wrap=False)
    shown = [[_cell(v) for v in r] for r in rows[:QUERY_TABLE_ROWS]]
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    need = 0
    for n, name in enumerate(names):
        numeric = any(isinstance(r[n], (int, float)) and not isinstance(r[n], bool) for r in rows[:100])
        cells = [r[n] for r in shown]
        # A column of words without spaces (addresses, codes, numbers) is kept on one line where it fits;
        # columns of sentences wrap.
        solid = not any(" " in c for c in cells)
        width = min(max([cell_len(name), *map(cell_len, cells)]), 40 if solid else 24)
        need += width + (1 if n else 0)
        table.add_column(name, justify="right" if numeric else "left", overflow="fold", min_width=width)
    if need > console.width and len(names) > 1:
        # Too wide for the terminal: each row as a block of "column  value" lines (psql's expanded display).
        label = max(map(cell_len, names))
        for i, r in enumerate(shown):
            console.print(Text(f"── {i + 1} ──", style="bold"))
            grid = Table.grid(padding=(0, 2))
            grid.add_column(min_width=label, no_wrap=True, style="dim")
            grid.add_column(overflow="fold")
            for name, c in zip(names, r):
                grid.add_row(name, Text(c))
            console.print(grid)
    else:
        for r in shown:
            table.add_row(*(Text(c) for c in r))
        console.print(table)
    if len(rows) > QUERY_TABLE_ROWS:
        line = words["query.rows.more"].format(n=f"{len(rows):,}", shown=f"{QUERY_TABLE_ROWS:,}")
    else:
        line = words["query.rows.one"] if len(rows) == 1 else words["query.rows.many"].format(n=f"{len(rows):,}")
    console.print(Text(line, style="dim"))
