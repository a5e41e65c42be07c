"""Tables (`read --parquet`, render/parquet.py) and the Community ID (communityid.py): the tables hold the JSON
Lines records, ids stay the same across files and runs, the flow hash is the one Zeek, Suricata, Arkime and
tshark write."""
import importlib.util
import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import BUNDLED, CAPTURES, ROOT, needs_tshark, tshark

from wsdissect.communityid import community_id

BUSY = os.path.join(ROOT, "captures", "busy.pcap")
ECHO = os.path.join(ROOT, "captures", "echo.pcap")
TABLE_OF = {"packet": "packets", "frame": "frames", "message": "messages", "connection": "connections",
            "note": "notes"}


def wsdissect(*args, env_extra=None):
    env = dict(os.environ, NO_COLOR="1", COLUMNS="100", **(env_extra or {}))
    proc = subprocess.run([sys.executable, "-m", "wsdissect", *args], capture_output=True, text=True, env=env)
    assert "Traceback" not in proc.stderr
    return proc


# -- Community ID ---------------------------------------------------------------------------------------------

# The spec's published values (community-id-spec baseline, as Zeek's own test of community_id_v1 checks them).
VECTORS = [
    (("1.2.3.4", 1122, "5.6.7.8", 3344, 6, 0), "1:wCb3OG7yAFWelaUydu0D+125CLM="),
    (("1.2.3.4", 1122, "5.6.7.8", 3344, 17, 0), "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg="),
    (("1.2.3.4", 1122, "5.6.7.8", 3344, 6, 1), "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk="),
    (("1.2.3.4", 1122, "5.6.7.8", 3344, 17, 1), "1:OShq+iKDAMVouh/4bMxB9Sz4amw="),
]


@pytest.mark.parametrize("flow,expected", VECTORS)
def test_community_id_matches_the_spec_vectors_in_both_directions(flow, expected):
    sa, sp, da, dp, proto, seed = flow
    assert community_id(sa, sp, da, dp, proto, seed) == expected
    assert community_id(da, dp, sa, sp, proto, seed) == expected


def test_community_id_orders_by_port_when_the_addresses_are_equal():
    assert community_id("::1", 9000, "::1", 50000) == community_id("::1", 50000, "::1", 9000)
    assert community_id("::1", 9000, "::1", 50000) != community_id("::1", 9001, "::1", 50000)


@pytest.fixture(scope="module")
def ipv6_capture(tmp_path_factory):
    """Two IPv6 WebSocket connections, built here: one whose client address sorts first, one whose server's
    does (Community ID orders the endpoints)."""
    from sessionbuild import Session
    items = []
    for i, (client, server) in enumerate(((("2001:db8::1", 50000), ("2001:db8::2", 443)),
                                          (("2001:db8::9", 40000), ("2001:db8::3", 8080)))):
        s = Session(client=client, server=server, ipv6=True, t0=1_700_000_000.0 + i)
        s.handshake()
        s.websocket_handshake()
        s.teardown()
        items.append(s.pcap())
    paths = []
    d = tmp_path_factory.mktemp("v6")
    for i, data in enumerate(items):
        p = d / f"v6-{i}.pcap"
        p.write_bytes(data)
        paths.append(str(p))
    return paths


@needs_tshark
def test_ipv6_connections_carry_the_community_id_tshark_computes(ipv6_capture):
    for capture in ipv6_capture:
        test_connection_records_carry_the_community_id_tshark_computes(capture)


@needs_tshark
@pytest.mark.parametrize("capture", CAPTURES, ids=os.path.basename)
def test_connection_records_carry_the_community_id_tshark_computes(capture):
    recs = [json.loads(line) for line in wsdissect("read", "--json", capture).stdout.splitlines()]
    conns = [r for r in recs if r["type"] == "connection"]
    firsts = {r["no"]: r for r in recs if r["type"] == "packet"}
    got = {c["first_no"]: c["community_id"] for c in conns}
    out = tshark(["-r", capture, "--enable-protocol", "communityid", "-T", "fields", "-e", "frame.number",
                  "-e", "communityid"])
    theirs = dict(line.split("\t") for line in out.splitlines() if "\t" in line)
    assert conns
    for no, cid in got.items():
        assert theirs[str(no)] == cid, (firsts[no], cid)


# -- Parquet --------------------------------------------------------------------------------------------------

needs_pyarrow = pytest.mark.skipif(importlib.util.find_spec("pyarrow") is None,
                                   reason="pyarrow (the tables extra) is not installed")
TABLES = ("packets", "frames", "messages", "connections", "notes")


def tables(d):
    import pyarrow.parquet as pq
    return {t: pq.read_table(os.path.join(d, t)).to_pylist() for t in TABLES}


def as_json_record(table, row):
    """A table's row as the JSON record it came from: `type` back, the added columns out, the columns JSON
    leaves out when empty (packet and connection `tls`, a TLS record's `handshake`, a message's
    `text`/`data_b64`/`app`) out when null."""
    rec = {"type": next(k for k, v in TABLE_OF.items() if v == table), **row}
    if table == "packets":
        rec.pop("file")
    if table != "connections":
        rec.pop("conn_id")
    for k in ("tls", "text", "data_b64", "app"):
        if k in rec and rec[k] is None:
            del rec[k]
    if rec.get("app") is not None:
        rec["app"] = json.loads(rec["app"])
    if table == "packets" and rec.get("tls"):         # a TLS record's `handshake`: only when it carried some
        rec["tls"] = [{k: v for k, v in r.items() if not (k == "handshake" and v is None)} for r in rec["tls"]]
    return rec


@needs_pyarrow
def test_the_columns_are_the_json_records_fields():
    from wsdissect.render.parquet import schemas
    assert tuple(schemas()) == TABLES
    recs = [json.loads(line) for line in wsdissect("read", "--json", BUSY).stdout.splitlines()]
    sch = schemas()
    for typ, table in TABLE_OF.items():
        keys = {k for r in recs if r["type"] == typ for k in r} - {"type"}
        names = set(sch[table].names)
        extra = {"packets": {"file", "conn_id", "tls"}, "connections": {"tls"},
                 "messages": {"conn_id", "data_b64", "app"}}.get(table, {"conn_id"})
        assert keys <= names and names - keys <= extra, (table, keys ^ names)


@needs_pyarrow
@pytest.mark.parametrize("capture", BUNDLED + [os.path.join(ROOT, "captures", "wss", "wss-aes128gcm.pcap"),
                                  os.path.join(ROOT, "captures", "wss", "wss-tls12-chacha20.pcap")],
                         ids=os.path.basename)
def test_the_tables_hold_the_json_lines_records(capture, tmp_path):
    if not os.path.exists(capture):
        pytest.skip(f"{capture} is not there")
    extra = []
    keylog = os.path.splitext(capture)[0] + ".keys"
    if os.path.exists(keylog):
        extra = ["--keylog", keylog]
    recs = [json.loads(line) for line in wsdissect("read", "--json", *extra, capture).stdout.splitlines()]
    out = wsdissect("read", "--parquet", str(tmp_path / "t"), *extra, capture)
    assert out.returncode == 0, out.stderr
    assert out.stdout == ""
    got = tables(tmp_path / "t")
    for typ, table in TABLE_OF.items():
        assert [as_json_record(table, r) for r in got[table]] == [r for r in recs if r["type"] == typ], table
    ids = {c["conn"]: c["conn_id"] for c in got["connections"]}
    for table in ("packets", "frames", "messages", "notes"):
        for r in got[table]:
            assert r["conn_id"] == (ids[r["conn"]] if r["conn"] is not None else None)
    assert {r["file"] for r in got["packets"]} == {capture}
    assert f"packets {len(got['packets']):,}," in out.stderr


@needs_pyarrow
def test_tables_of_a_rotated_capture_hold_the_uncut_files_records_and_ids(tmp_path):
    if shutil.which("editcap") is None:
        pytest.skip("editcap (Wireshark) is not installed")
    d = tmp_path / "rot"
    d.mkdir()
    subprocess.run(["editcap", "-c", "300", BUSY, str(d / "busy.pcap")], check=True, capture_output=True)
    files = sorted(str(p) for p in d.glob("busy_*.pcap"))
    assert wsdissect("read", "--parquet", str(tmp_path / "whole"), BUSY).returncode == 0
    assert wsdissect("read", "--parquet", str(tmp_path / "cut"), str(d)).returncode == 0
    whole, cut = tables(tmp_path / "whole"), tables(tmp_path / "cut")
    for t in TABLES:
        if t == "packets":
            assert [r["file"] for r in cut[t]] == [f for f in files for _ in range(300)]
            for rows in (whole[t], cut[t]):
                for r in rows:
                    r.pop("file")
        assert cut[t] == whole[t], t
    # the JSON Lines of the cut files say the same files
    recs = [json.loads(line) for line in wsdissect("read", "--json", str(d)).stdout.splitlines()]
    assert [r["file"] for r in recs if r["type"] == "packet"] == [f for f in files for _ in range(300)]


@needs_pyarrow
def test_ids_are_stable_across_runs_and_captures_analysed_apart(tmp_path):
    a = tmp_path / "a"
    b = tmp_path / "b"
    assert wsdissect("read", "--parquet", str(a), ECHO).returncode == 0
    # echo.pcap analysed with another capture, apart: its connection is numbered 0 again, its id is the same
    out = wsdissect("read", "--parquet", str(b), "--separate", BUSY, ECHO)
    assert out.returncode == 0, out.stderr
    one = tables(a)["connections"]
    both = tables(b)["connections"]
    assert len(one) == 1
    same = [c for c in both if c["conn_id"] == one[0]["conn_id"]]
    assert len(same) == 1 and same[0] == one[0]
    assert len({c["conn_id"] for c in both}) == len(both)          # unique over both captures
    assert len([c for c in both if c["conn"] == 0]) == 2             # while the numbers repeat
    assert sorted(os.listdir(b / "connections")) == ["part-00000.parquet", "part-00001.parquet"]


@needs_pyarrow
def test_parquet_refuses_a_directory_with_tables_and_options_that_make_views(tmp_path):
    d = str(tmp_path / "t")
    assert wsdissect("read", "--parquet", d, ECHO).returncode == 0
    again = wsdissect("read", "--parquet", d, ECHO)
    assert again.returncode == 2
    assert again.stderr.count("\n") == 1 and "already holds tables" in again.stderr
    for opt in (["--json"], ["--view", "flow"], ["--explain"], ["--role", "ws-data"]):
        out = wsdissect("read", "--parquet", str(tmp_path / "u"), *opt, ECHO)
        assert out.returncode == 2 and out.stderr.count("\n") == 1, (opt, out.stderr)
        assert "does not go with" in out.stderr
    assert not os.path.exists(tmp_path / "u")


def test_without_pyarrow_parquet_is_a_one_line_error(tmp_path):
    # A module directory that hides pyarrow, first on the path.
    hide = tmp_path / "hide"
    hide.mkdir()
    (hide / "pyarrow.py").write_text("raise ImportError('hidden for the test')\n")
    env = {"PYTHONPATH": os.pathsep.join([str(hide), ROOT])}
    out = wsdissect("read", "--parquet", str(tmp_path / "t"), ECHO, env_extra=env)
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1
    assert "needs pyarrow" in out.stderr and "wsdissect[tables]" in out.stderr
    assert not os.path.exists(tmp_path / "t")


@needs_pyarrow
def test_connections_folded_past_the_summary_cap_are_in_the_table_as_in_json(tmp_path):
    args = ["--max-summary-connections", "3", BUSY]
    recs = [json.loads(line) for line in wsdissect("read", "--json", *args).stdout.splitlines()]
    assert wsdissect("read", "--parquet", str(tmp_path / "t"), *args).returncode == 0
    got = tables(tmp_path / "t")
    want = [r for r in recs if r["type"] == "connection"]
    assert len(want) > 3
    assert [as_json_record("connections", r) for r in got["connections"]] == want
    # the packets of every connection, folded or not, carry its id
    ids = {c["conn"]: c["conn_id"] for c in got["connections"]}
    assert all(p["conn_id"] == ids[p["conn"]] for p in got["packets"] if p["conn"] is not None)


@needs_pyarrow
def test_mutated_captures_give_the_json_records_or_the_same_one_line_error(tmp_path, monkeypatch):
    """Hostile input (the fuzz corpus's mutations of real captures): the tables hold what JSON Lines says, or
    both refuse the file alike; never a traceback, never a half-written DIR."""
    import random

    from click.testing import CliRunner
    from fuzz.harness import mutate_capture, pipeline_seeds

    from wsdissect.cli import main
    monkeypatch.delenv("WSDISSECT_DEBUG", raising=False)
    rng = random.Random(19)
    seeds = pipeline_seeds()
    runner = CliRunner()
    analysed = 0
    for i in range(120):
        data = rng.choice(seeds)
        for _ in range(rng.choice((1, 2, 3))):
            data = mutate_capture(data, rng, seeds)
        path = tmp_path / f"m{i:03d}.pcap"
        path.write_bytes(data)
        js = runner.invoke(main, ["read", "--json", str(path)])
        out = tmp_path / f"t{i:03d}"
        pq_run = runner.invoke(main, ["read", "--parquet", str(out), str(path)])
        for res in (js, pq_run):
            assert res.exception is None or isinstance(res.exception, SystemExit), (path, res.exception)
        assert pq_run.exit_code == js.exit_code, (path, pq_run.stderr)
        if js.exit_code == 2:
            assert not out.exists()
            continue
        analysed += 1
        recs = [json.loads(line) for line in js.stdout.splitlines()]
        got = tables(out)
        for typ, table in TABLE_OF.items():
            assert [as_json_record(table, r) for r in got[table]] == [r for r in recs if r["type"] == typ], \
                (path, table)
    assert analysed > 60
