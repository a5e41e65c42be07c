"""`wsdissect query` (cli/query.py): the README's first queries run over tables written from the bundled
captures, and their answers are what JSON Lines and `stats --json` say; output formats; one-line errors."""
import csv
import importlib.util
import io
import json
import math
import os
import re
import subprocess
import sys
from collections import Counter

import pytest

from conftest import ROOT

pytestmark = pytest.mark.skipif(importlib.util.find_spec("pyarrow") is None or
                                importlib.util.find_spec("duckdb") is None,
                                reason="pyarrow and duckdb (the tables extra) are not installed")

CAPTURES = os.path.join(ROOT, "captures")

# The README's queries ("Tables, queries and batch runs"), word for word.
CLOSE_CODES = """SELECT server, close_code, count(*) AS connections
FROM connections WHERE websocket
GROUP BY server, close_code ORDER BY server, close_code"""
DROPPED = """SELECT client, server, uri, fin_by, "end", round(end_ts - start, 3) AS lasted_s
FROM connections
WHERE websocket AND conn_id IN (SELECT conn_id FROM notes WHERE code = 'close-without-close-frame')
ORDER BY start"""
SIZES = """SELECT dir, count(*) AS messages, quantile_cont(length, 0.5) AS p50,
       quantile_cont(length, 0.9) AS p90, quantile_cont(length, 0.99) AS p99, max(length) AS max
FROM messages GROUP BY dir ORDER BY dir"""
HANDSHAKES = """SELECT c.client, c.server, c.uri, round(res.ts - req.ts, 6) AS request_to_101
FROM connections c
JOIN packets req ON req.conn_id = c.conn_id AND req.role = 'ws-upgrade-request'
JOIN packets res ON res.conn_id = c.conn_id AND res.role = 'ws-upgrade-response'
WHERE c.status = 101
ORDER BY request_to_101 DESC, c.start LIMIT 10"""


def wsdissect(*args):
    env = dict(os.environ, NO_COLOR="1", COLUMNS="160")
    proc = subprocess.run([sys.executable, "-m", "wsdissect", *args], capture_output=True, text=True, env=env)
    assert "Traceback" not in proc.stderr
    return proc


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    d = str(tmp_path_factory.mktemp("q") / "tables")
    out = wsdissect("read", "--parquet", d, CAPTURES)
    assert out.returncode == 0, out.stderr
    recs = [json.loads(line) for line in wsdissect("read", "--json", CAPTURES).stdout.splitlines()]
    stats = [json.loads(line) for line in wsdissect("stats", "--json", CAPTURES).stdout.splitlines()]
    return d, recs, stats


def ask(d, sql):
    out = wsdissect("query", d, sql, "--json")
    assert out.returncode == 0, out.stderr
    return [json.loads(line) for line in out.stdout.splitlines()]


def test_the_readme_shows_these_queries():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        readme = " ".join(f.read().split())
    for sql in (CLOSE_CODES, DROPPED, SIZES, HANDSHAKES):
        assert " ".join(sql.split()) in readme


def test_close_codes_by_server(data):
    d, recs, _ = data
    want = Counter((c["server"], c["close_code"]) for c in recs if c["type"] == "connection" and c["websocket"])
    got = ask(d, CLOSE_CODES)
    assert {(r["server"], r["close_code"]): r["connections"] for r in got} == want
    assert len(got) == len(want) and any(r["close_code"] == 1000 for r in got)
    key = [(r["server"], 1 << 16 if r["close_code"] is None else r["close_code"]) for r in got]
    assert key == sorted(key)     # NULLS LAST within a server: None after the codes
    assert sum(r["connections"] for r in got) == \
        next(s for s in data[2] if s["type"] == "stats-total")["websocket_connections"]


def test_clients_dropped_without_a_close_frame(data):
    d, recs, _ = data
    conns = {c["conn_id"]: c for c in recs if c["type"] == "connection"}
    # JSON Lines: the note is on a connection number of the capture; that capture's record gives its id.
    ids = {c["conn"]: c["conn_id"] for c in conns.values()}
    noted = {ids[n["conn"]] for n in recs if n["type"] == "note" and n["code"] == "close-without-close-frame"}
    want = sorted((conns[i] for i in noted if conns[i]["websocket"]), key=lambda c: c["start"])
    got = ask(d, DROPPED)
    assert want and [(r["client"], r["server"], r["uri"], r["fin_by"], r["end"]) for r in got] == \
        [(c["client"], c["server"], c["uri"], c["fin_by"], c["end"]) for c in want]
    assert all(c["close_code"] is None and c["closed_by"] is None for c in want)
    assert [r["lasted_s"] for r in got] == [round(c["end_ts"] - c["start"], 3) for c in want]


def _quantile(values, q):
    """Linear interpolation between the closest ranks (DuckDB's quantile_cont, numpy's default)."""
    v = sorted(values)
    pos = q * (len(v) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (pos - lo)


def test_message_size_percentiles(data):
    d, recs, stats = data
    got = {r["dir"]: r for r in ask(d, SIZES)}
    total = next(s for s in stats if s["type"] == "stats-total")
    for dr in ("c2s", "s2c"):
        sizes = [m["length"] for m in recs if m["type"] == "message" and m["dir"] == dr]
        r = got[dr]
        assert r["messages"] == len(sizes) == total["messages"][dr]
        assert r["max"] == max(sizes)
        for q, col in ((0.5, "p50"), (0.9, "p90"), (0.99, "p99")):
            assert r[col] == pytest.approx(_quantile(sizes, q))


def test_slowest_handshakes(data):
    d, recs, stats = data
    got = ask(d, HANDSHAKES)
    per_conn = [s for s in stats if s["type"] == "stats" and s.get("handshake")
                and s["handshake"].get("request_to_101") is not None]
    want = sorted(per_conn, key=lambda s: (-s["handshake"]["request_to_101"], s["start"]))[:10]
    assert len(got) == len(want) > 0
    assert [(r["client"], r["server"], r["uri"]) for r in got] == [(s["client"], s["server"], s["uri"]) for s in want]
    assert [r["request_to_101"] for r in got] == \
        [pytest.approx(s["handshake"]["request_to_101"], abs=2e-6) for s in want]


def test_the_table_csv_and_json_say_the_same(data):
    d = data[0]
    sql = "SELECT server, close_code, messages FROM connections ORDER BY start LIMIT 5"
    as_json = ask(d, sql)
    as_csv = list(csv.DictReader(io.StringIO(wsdissect("query", d, sql, "--csv").stdout)))
    text = wsdissect("query", d, sql).stdout
    assert [r["server"] for r in as_csv] == [r["server"] for r in as_json]
    assert [r["close_code"] for r in as_csv] == ["" if r["close_code"] is None else str(r["close_code"])
                                                 for r in as_json]
    assert json.loads(as_csv[0]["messages"]) == as_json[0]["messages"]
    lines = text.splitlines()
    assert re.split(r"\s+", lines[0].strip()) == ["server", "close_code", "messages"]
    for r, line in zip(as_json, lines[2:]):
        assert line.split()[0] == r["server"]
    assert lines[-1].strip() == "5 rows"


def test_every_table_is_there(data):
    d = data[0]
    got = ask(d, "SELECT (SELECT count(*) FROM packets) p, (SELECT count(*) FROM frames) f, "
                 "(SELECT count(*) FROM messages) m, (SELECT count(*) FROM connections) c, "
                 "(SELECT count(*) FROM notes) n")[0]
    recs = data[1]
    assert got == {k: sum(r["type"] == t for r in recs) for k, t in
                   (("p", "packet"), ("f", "frame"), ("m", "message"), ("c", "connection"), ("n", "note"))}


@pytest.mark.parametrize("args,says", [
    (["SELEC nothing"], "SQL: Parser Error"),
    (["SELECT * FROM nope"], "SQL: Catalog Error"),
    (["SELECT 1", "--json", "--csv"], "choose one"),
])
def test_bad_queries_are_one_line_errors(data, args, says):
    out = wsdissect("query", data[0], *args)
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and says in out.stderr, out.stderr


def test_a_directory_without_tables(tmp_path):
    out = wsdissect("query", str(tmp_path), "SELECT 1")
    assert out.returncode == 2 and "holds no tables" in out.stderr and out.stderr.count("\n") == 1
    out = wsdissect("query", str(tmp_path / "nope"), "SELECT 1")
    assert out.returncode == 2 and "no such directory" in out.stderr


def test_without_duckdb_query_is_a_one_line_error(data, tmp_path):
    hide = tmp_path / "hide"
    hide.mkdir()
    (hide / "duckdb.py").write_text("raise ImportError('hidden for the test')\n")
    env = dict(os.environ, NO_COLOR="1", PYTHONPATH=os.pathsep.join([str(hide), ROOT]))
    out = subprocess.run([sys.executable, "-m", "wsdissect", "query", data[0], "SELECT 1"], capture_output=True,
                         text=True, env=env)
    assert out.returncode == 2 and out.stderr.count("\n") == 1
    assert "needs duckdb" in out.stderr and "wsdissect[tables]" in out.stderr


def test_the_table_shows_the_first_rows_and_says_how_many_more(data):
    from wsdissect.cli.query import QUERY_TABLE_ROWS
    n = QUERY_TABLE_ROWS + 5
    out = wsdissect("query", data[0], f"SELECT range AS i FROM range({n})")
    lines = out.stdout.splitlines()
    assert lines[-2].strip() == str(QUERY_TABLE_ROWS - 1)
    assert f"{n:,} rows" in lines[-1] and f"first {QUERY_TABLE_ROWS:,}" in lines[-1]
    zh = wsdissect("query", data[0], f"SELECT range AS i FROM range({n})", "--lang", "zh").stdout.splitlines()
    assert f"{n:,} 行" in zh[-1] and zh[:-1] == lines[:-1]
    assert len(ask(data[0], f"SELECT range AS i FROM range({n})")) == n


def test_a_directory_whose_name_looks_like_a_glob(data, tmp_path):
    d = str(tmp_path / "a [b] *c's")
    assert wsdissect("read", "--parquet", d, os.path.join(CAPTURES, "echo.pcap")).returncode == 0
    assert ask(d, "SELECT count(*) AS n FROM packets") == [{"n": 22}]


def test_rows_too_wide_for_the_terminal_are_shown_as_blocks(data):
    sql = "SELECT * FROM connections ORDER BY start LIMIT 2"
    want = ask(data[0], sql)
    lines = [line.rstrip() for line in wsdissect("query", data[0], sql).stdout.splitlines()]
    assert lines[0] == "── 1 ──" and "── 2 ──" in lines
    fields = dict(re.split(r"\s{2,}", line, maxsplit=1) for line in lines[1:lines.index("── 2 ──")])
    assert fields["conn_id"] == want[0]["conn_id"] and fields["community_id"] == want[0]["community_id"]
    assert fields["websocket"] == "true" and fields["origin"] == "null"
    assert lines[-1] == "2 rows"
