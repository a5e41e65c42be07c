"""`wsdissect batch` (cli/batch.py): the captures as tasks on Dask write the tables `read --parquet` writes, on a
local cluster and on a real scheduler with two workers started here; a file that cannot be read and a task that
fails are reported and the rest goes on, exit 4."""
import importlib.util
import json
import os
import subprocess
import sys
import time

import pytest

from conftest import ROOT

pytestmark = pytest.mark.skipif(
    any(importlib.util.find_spec(m) is None for m in ("pyarrow", "distributed")),
    reason="pyarrow and dask distributed (the tables extra) are not installed")

CAPTURES = os.path.join(ROOT, "captures")
TABLES = ("packets", "frames", "messages", "connections", "notes")


def wsdissect(*args, cwd=None):
    env = dict(os.environ, NO_COLOR="1", COLUMNS="100")
    proc = subprocess.run([sys.executable, "-m", "wsdissect", *args], capture_output=True, text=True, env=env,
                          cwd=cwd)
    assert "Traceback" not in proc.stderr
    return proc


def tables(d):
    import pyarrow.parquet as pq
    return {t: pq.read_table(os.path.join(d, t)).to_pylist() for t in TABLES}


def parts(d):
    return {t: sorted(os.listdir(os.path.join(d, t))) for t in TABLES}


@pytest.fixture(scope="module")
def local_run(tmp_path_factory):
    """read --parquet of the bundled captures, each apart (so several tasks), in this process."""
    d = str(tmp_path_factory.mktemp("local") / "t")
    out = wsdissect("read", "--parquet", d, "--separate", CAPTURES)
    assert out.returncode == 0, out.stderr
    return d


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory):
    """A real Dask scheduler and two workers on localhost, each its own process, started in another directory
    than the tests' (the paths given to batch are absolute)."""
    d = tmp_path_factory.mktemp("dask")
    info = d / "scheduler.json"
    procs = []

    def start(*args, name):
        log = open(d / f"{name}.log", "w")
        procs.append((subprocess.Popen([sys.executable, "-m", "dask", *args], stdout=log, stderr=subprocess.STDOUT,
                                       cwd=str(d)), log))

    try:
        start("scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard", "--scheduler-file", str(info),
              name="scheduler")
        deadline = time.monotonic() + 60
        while not info.exists() or not info.read_text().strip():
            assert time.monotonic() < deadline, (d / "scheduler.log").read_text()
            assert procs[0][0].poll() is None, (d / "scheduler.log").read_text()
            time.sleep(0.2)
        address = json.loads(info.read_text())["address"]
        for i in range(2):
            start("worker", address, "--nworkers", "1", "--nthreads", "1", "--no-dashboard", "--name", f"w{i}",
                  name=f"worker{i}")
        from distributed import Client
        with Client(address, timeout=30) as client:
            client.wait_for_workers(2, timeout=60)
            assert len(client.scheduler_info()["workers"]) == 2
        yield address
    finally:
        for p, log in reversed(procs):
            p.terminate()
        for p, log in reversed(procs):
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
            log.close()


def test_batch_on_a_scheduler_and_two_workers_writes_the_local_runs_tables(scheduler, local_run, tmp_path):
    d = str(tmp_path / "t")
    out = wsdissect("batch", "--separate", CAPTURES, "--out", d, "--scheduler", scheduler)
    assert out.returncode == 0, out.stderr
    assert parts(d) == parts(local_run)
    assert len(parts(d)["packets"]) > 2              # several tasks
    got, want = tables(d), tables(local_run)
    for t in TABLES:
        assert got[t] == want[t], t
    assert got["packets"] and got["connections"]
    assert "packets" in out.stderr and out.stdout == ""


def test_batch_on_a_local_cluster_writes_the_same_tables(local_run, tmp_path):
    d = str(tmp_path / "t")
    out = wsdissect("batch", "--separate", CAPTURES, "--out", d, "--workers", "2")
    assert out.returncode == 0, out.stderr
    assert parts(d) == parts(local_run)
    assert tables(d) == tables(local_run)


def test_a_file_that_cannot_be_read_and_a_task_that_fails_leave_the_rest(local_run, tmp_path):
    junk = tmp_path / "junk.pcap"
    junk.write_bytes(b"not a capture at all")
    d = tmp_path / "t"
    # The second capture's part cannot be written (a directory is where its temporary file goes): its task
    # fails on the worker.
    (d / "packets" / ".part-00001.parquet.tmp").mkdir(parents=True)
    out = wsdissect("batch", "--separate", CAPTURES, str(junk), "--out", str(d), "--workers", "1")
    assert out.returncode == 4, out.stderr
    lines = out.stderr.splitlines()
    assert any(str(junk) in line and "cannot read" in line for line in lines)
    failed = [line for line in lines if "its tables were not written" in line]
    assert len(failed) == 1
    got, want = parts(str(d)), parts(local_run)
    assert got["connections"] == [p for p in want["connections"] if p != "part-00001.parquet"]
    # the other captures' rows are all there
    assert len(tables(str(d))["packets"]) < len(tables(local_run)["packets"])


def test_batch_refusals_are_one_line(tmp_path):
    out = wsdissect("batch", CAPTURES, "--out", str(tmp_path / "t"), "--scheduler", "tcp://127.0.0.1:1",
                    "--workers", "2")
    assert out.returncode == 2 and out.stderr.count("\n") == 1
    out = wsdissect("batch", CAPTURES, "--out", str(tmp_path / "t"), "--scheduler", "nonsense://x y")
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "not a scheduler address" in out.stderr
    out = wsdissect("batch", str(tmp_path / "nope.pcap"), "--out", str(tmp_path / "t"))
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "no such file" in out.stderr
    assert not os.path.exists(tmp_path / "t")          # no empty directory left behind


def test_without_dask_batch_is_a_one_line_error(tmp_path):
    hide = tmp_path / "hide"
    hide.mkdir()
    (hide / "distributed.py").write_text("raise ImportError('hidden for the test')\n")
    env = dict(os.environ, NO_COLOR="1", PYTHONPATH=os.pathsep.join([str(hide), ROOT]))
    out = subprocess.run([sys.executable, "-m", "wsdissect", "batch", CAPTURES, "--out", str(tmp_path / "t")],
                         capture_output=True, text=True, env=env)
    assert out.returncode == 2 and out.stderr.count("\n") == 1
    assert "needs distributed" in out.stderr and "wsdissect[tables]" in out.stderr
    assert not os.path.exists(tmp_path / "t")
