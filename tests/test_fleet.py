"""Several captures in one command (cli/fleet.py): rotations read as one capture, other files apart, --merge,
--separate, directories, unreadable and damaged files among good ones."""
import json
import os
import shutil
import struct
import subprocess
import sys

import pytest

from conftest import ROOT

BUSY = os.path.join(ROOT, "captures", "busy.pcap")
ECHO = os.path.join(ROOT, "captures", "echo.pcap")

needs_editcap = pytest.mark.skipif(shutil.which("editcap") is None, reason="editcap (Wireshark) is not installed")


def wsdissect(*args):
    env = dict(os.environ, NO_COLOR="1", COLUMNS="100")
    proc = subprocess.run([sys.executable, "-m", "wsdissect", *args], capture_output=True, text=True, env=env)
    assert "Traceback" not in proc.stderr
    return proc


def records(text):
    return [json.loads(line) for line in text.splitlines()]


def without_file(recs):
    return [{k: v for k, v in r.items() if k != "file"} for r in recs]


@pytest.fixture(scope="module")
def rotated(tmp_path_factory):
    """busy.pcap cut by editcap -c into 5 files of 300 packets, in a directory of their own."""
    if shutil.which("editcap") is None:
        pytest.skip("editcap (Wireshark) is not installed")
    d = tmp_path_factory.mktemp("rot")
    subprocess.run(["editcap", "-c", "300", BUSY, str(d / "busy.pcap")], check=True, capture_output=True)
    (d / "notes.txt").write_text("not a capture: a directory's other files are passed over")
    files = sorted(str(p) for p in d.glob("busy_*.pcap"))
    assert len(files) == 5
    return d, files


def _split_records(path):
    with open(path, "rb") as f:
        data = f.read()
    head, pos, out = data[:24], 24, []
    while pos < len(data):
        caplen = struct.unpack_from("<I", data, pos + 8)[0]
        out.append(data[pos:pos + 16 + caplen])
        pos += 16 + caplen
    return head, out


def test_rotations_read_as_the_uncut_capture(rotated):
    d, files = rotated
    whole = records(wsdissect("read", "--json", BUSY).stdout)
    cut = wsdissect("read", "--json", *reversed(files))          # given in any order: put in time order
    assert cut.returncode == 0, cut.stderr
    assert "does not continue" not in cut.stderr
    recs = records(cut.stdout)
    assert without_file(recs) == whole
    packets = [r for r in recs if r["type"] == "packet"]
    assert [p["no"] for p in packets] == list(range(1, 1501))
    # each packet says its file: 300 from each, in order
    assert [p["file"] for p in packets] == [f for f in files for _ in range(300)]
    assert not any("file" in r for r in recs if r["type"] != "packet")
    assert any(r["type"] == "connection" for r in whole)        # connection records compared too
    assert "file" not in whole[0]                                # one file: no file field


def test_a_directory_is_its_capture_files(rotated):
    d, files = rotated
    by_dir = records(wsdissect("read", "--json", str(d)).stdout)
    by_files = records(wsdissect("read", "--json", *files).stdout)
    assert by_dir == by_files


def test_every_mode_reads_several_files(rotated):
    d, files = rotated
    for extra in ((), ("--merge",), ("--separate",)):
        res = wsdissect("read", "--json", *extra, str(d))
        assert res.returncode == 0
        assert [r for r in records(res.stdout) if r["type"] == "summary"], extra
    assert wsdissect("stats", "--json", str(d)).returncode == 0


def test_stats_and_follow_of_rotations_match_the_uncut_capture(rotated):
    d, _ = rotated
    assert wsdissect("stats", "--json", str(d)).stdout == wsdissect("stats", "--json", BUSY).stdout
    assert wsdissect("stats", str(d)).stdout == wsdissect("stats", BUSY).stdout
    for view in (("--view", "timeline"), ("--view", "flow"), ("--explain",)):
        assert wsdissect("read", *view, str(d)).stdout == wsdissect("read", *view, BUSY).stdout, view
    follow = wsdissect("follow", str(d))
    assert follow.returncode == 0
    assert follow.stdout == wsdissect("follow", BUSY).stdout


def test_separate_analyses_each_file_apart(rotated):
    d, files = rotated
    recs = records(wsdissect("read", "--json", "--separate", str(d)).stdout)
    summaries = [r for r in recs if r["type"] == "summary"]
    assert [s["packets"] for s in summaries] == [300] * 5
    firsts = [r["no"] for r in recs if r["type"] == "packet" and r["no"] == 1]
    assert len(firsts) == 5                       # each numbered from 1


def test_overlapping_files_are_analysed_apart_or_merged(tmp_path):
    a, b = tmp_path / "a.pcap", tmp_path / "b.pcap"
    shutil.copy(ECHO, a)
    shutil.copy(ECHO, b)
    apart = wsdissect("read", "--json", str(a), str(b))
    assert apart.returncode == 0
    notes = [line for line in apart.stderr.splitlines() if "does not continue" in line]
    assert len(notes) == 1 and "b.pcap" in notes[0] and "--merge" in notes[0]
    recs = records(apart.stdout)
    one = records(wsdissect("read", "--json", ECHO).stdout)
    summaries = [r for r in recs if r["type"] == "summary"]
    assert len(summaries) == 2 and summaries[0] == summaries[1] == one[-1]
    assert "──" not in apart.stdout                           # JSON: the file field says it
    text = wsdissect("stats", str(a), str(b)).stdout.splitlines()
    heads = [line for line in text if line.startswith("── capture")]
    assert heads == [f"── capture 1 of 2: {a} ──", f"── capture 2 of 2: {b} ──"]
    zh = wsdissect("read", "--lang", "zh", str(a), str(b)).stdout
    assert f"── 第 2 个抓包（共 2 个）：{b} ──" in zh
    merged = records(wsdissect("read", "--json", "--merge", str(a), str(b)).stdout)
    assert len([r for r in merged if r["type"] == "summary"]) == 1
    packets = [r for r in merged if r["type"] == "packet"]
    assert [p["no"] for p in packets] == list(range(1, 45))
    assert [p["ts"] for p in packets] == sorted(p["ts"] for p in packets)
    assert {p["file"] for p in packets} == {str(a), str(b)}


def test_merge_interleaves_files_by_time(tmp_path):
    """busy.pcap dealt into two files packet by packet: --merge puts it back together (the rule alone would
    analyse them apart, since they overlap)."""
    head, recs = _split_records(BUSY)
    # Dealt by runs of packets of one timestamp (busy.pcap has such runs): packets of equal time keep their order
    # only within one file, as in any merge by time.
    runs, last = [], None
    for rec in recs:
        ts = rec[:8]
        if ts != last:
            runs.append([])
            last = ts
        runs[-1].append(rec)
    odd, even = tmp_path / "odd.pcap", tmp_path / "even.pcap"
    odd.write_bytes(head + b"".join(r for run in runs[0::2] for r in run))
    even.write_bytes(head + b"".join(r for run in runs[1::2] for r in run))
    whole = records(wsdissect("read", "--json", BUSY).stdout)
    merged = records(wsdissect("read", "--json", "--merge", str(even), str(odd)).stdout)
    assert without_file(merged) == whole
    files = [r["file"] for r in merged if r["type"] == "packet"]
    assert files[0] == str(odd) and files.count(str(even)) > 500
    apart = wsdissect("read", "--json", str(even), str(odd))
    assert len([r for r in records(apart.stdout) if r["type"] == "summary"]) == 2


def test_a_bad_file_among_good_ones_is_reported_and_the_rest_analysed(rotated, tmp_path):
    _, files = rotated
    bad = tmp_path / "bad.pcap"
    bad.write_bytes(b"this is no capture at all")
    proc = wsdissect("read", "--json", files[0], str(bad), files[1], str(tmp_path / "missing.pcap"))
    assert proc.returncode == 4, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("wsdissect: error:")]
    assert len(errors) == 2
    assert any("bad.pcap" in e and "not a pcap" in e for e in errors)
    assert any("missing.pcap" in e and "no such file" in e for e in errors)
    summary = records(proc.stdout)[-1]
    assert summary["type"] == "summary" and summary["packets"] == 600
    for cmd in ("stats", "follow"):
        assert wsdissect(cmd, files[0], str(bad)).returncode == 4
    # nothing readable: a usage/file error, exit 2
    none = wsdissect("read", str(bad), str(tmp_path / "missing.pcap"))
    assert none.returncode == 2 and "no capture could be read" in none.stderr


def test_a_damaged_file_is_read_up_to_its_damage(rotated, tmp_path):
    _, files = rotated
    data = open(files[1], "rb").read()
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(data[:len(data) // 2])
    proc = wsdissect("read", "--json", files[0], str(cut), files[2])
    assert proc.returncode == 0, proc.stderr            # as for one damaged capture: analysed, with a warning
    warnings = [line for line in proc.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1 and "cut.pcap" in warnings[0]
    recs = records(proc.stdout)
    summary = recs[-1]
    assert any("cut.pcap" in n for n in summary["capture_notes"])
    nos = [r["no"] for r in recs if r["type"] == "packet"]
    assert nos == list(range(1, len(nos) + 1)) and 600 < len(nos) < 900
    assert recs[[r.get("type") for r in recs].index("packet")]["file"] == files[0]


def test_a_directory_without_captures_and_stdin(tmp_path):
    (tmp_path / "readme.txt").write_text("x")
    proc = wsdissect("read", str(tmp_path))
    assert proc.returncode == 2 and "no capture files" in proc.stderr and len(proc.stderr.splitlines()) == 1
    proc = wsdissect("read", "-", ECHO)
    assert proc.returncode == 2 and "standard input" in proc.stderr


def test_one_progress_bar_over_all_files(rotated, monkeypatch):
    """The bar's position runs over the bytes of every file, once, in order, up to their total size."""
    from wsdissect.cli import fleet as fl
    from wsdissect.cli import progress
    d, files = rotated
    bars = []

    def tracked(packets, position, size, name, **kw):
        bars.append((name, size, []))
        for raw in packets:
            bars[-1][2].append(position())
            yield raw
    monkeypatch.setattr(progress, "wants_progress", lambda streaming: True)
    monkeypatch.setattr(progress, "tracked", tracked)
    fleet = fl.plan((str(d),), None)
    n = sum(1 for _ in fl.packets(fleet, fleet.groups[0], fl.FileTags()))
    assert n == 1500 and len(bars) == 1
    name, size, seen = bars[0]
    assert name == "5 files" and size == sum(os.path.getsize(f) for f in files)
    assert seen == sorted(seen) and seen[-1] == size
