"""A mutated-capture corpus of 1,000+ files through the real `read --json` command: never a traceback, exit 0
(analysed, maybe with a truncation warning) or 2 (not a capture / unreadable header), every time.

All files go through the click command in-process (CliRunner: the same code path minus interpreter start-up,
~3 ms a file instead of ~300 ms); 50 of them also through `python -m wsdissect` as real subprocesses.
"""
from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
from click.testing import CliRunner

from wsdissect.cli import main

from .harness import mutate_capture, pipeline_seeds

CORPUS_SIZE = int(os.environ.get("WSDISSECT_CORPUS_SIZE", "1000"))
SUBPROCESS_COUNT = 50
NG_MAGIC = b"\x0a\x0d\x0d\x0a"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    d = tmp_path_factory.mktemp("mutated-captures")
    rng = random.Random(6)
    seeds = pipeline_seeds()
    files = []
    for i in range(CORPUS_SIZE):
        data = rng.choice(seeds)
        for _ in range(rng.choice((1, 1, 2, 3, 5))):
            data = mutate_capture(data, rng, seeds)
        ext = "pcapng" if data[:4] == NG_MAGIC else "pcap"
        p = d / f"m{i:04d}.{ext}"
        p.write_bytes(data)
        files.append(p)
    # A few that are not captures at all, or barely: the exit-2 side of the contract.
    for name, data in (("empty.pcap", b""), ("tiny.pcap", b"\xd4\xc3"), ("gz.pcap", b"\x1f\x8b\x08\0" * 8),
                       ("html.pcap", b"<!DOCTYPE html>\n"), ("hdr-only.pcap", seeds[0][:24]),
                       ("ng-hdr-cut.pcapng", b"\x0a\x0d\x0d\x0a\x1c\0\0\0\x4d\x3c\x2b\x1a")):
        p = d / name
        p.write_bytes(data)
        files.append(p)
    return files


def _check(path, code: int, stdout: str, stderr: str) -> None:
    where = f"{path.name} ({path})"
    assert "Traceback" not in stderr and "Traceback" not in stdout, f"{where}: traceback\n{stderr[-3000:]}"
    assert code in (0, 2), f"{where}: exit {code}\n{stderr[-2000:]}"
    if code == 2:
        lines = stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("wsdissect: error:"), f"{where}: {stderr!r}"
        assert stdout == "", f"{where}: output before a file error"
        return
    # A JSON Lines record ends at "\n" only: a string may hold U+0085 or U+2028 as they are (valid JSON, written
    # unescaped), where str.splitlines() would cut the record in two.
    recs = [json.loads(line) for line in stdout.split("\n") if line]
    assert recs and recs[-1]["type"] == "summary", f"{where}: no summary record"
    for r in recs:
        assert r["type"] in ("packet", "frame", "message", "note", "connection", "summary"), f"{where}: {r}"
    for line in stderr.strip().splitlines():
        assert line.startswith("wsdissect: warning:"), f"{where}: unexpected stderr {line!r}"


def test_corpus_in_process(corpus, monkeypatch):
    monkeypatch.delenv("WSDISSECT_DEBUG", raising=False)
    runner = CliRunner()
    codes = {0: 0, 2: 0}
    for path in corpus:
        res = runner.invoke(main, ["read", "--json", str(path)])
        if res.exception is not None and not isinstance(res.exception, SystemExit):
            raise AssertionError(f"{path.name}: {type(res.exception).__name__} escaped") from res.exception
        _check(path, res.exit_code, res.stdout, res.stderr)
        codes[res.exit_code] += 1
    assert len(corpus) >= 1000
    assert codes[0] > len(corpus) // 2, codes      # the corpus is mostly analysable captures, not junk


def test_corpus_timeline_in_process(corpus, monkeypatch):
    """The default (rich timeline) renderer on a slice of the corpus: it is what most users see."""
    monkeypatch.delenv("WSDISSECT_DEBUG", raising=False)
    runner = CliRunner()
    for path in corpus[::10]:
        res = runner.invoke(main, ["read", str(path)])
        if res.exception is not None and not isinstance(res.exception, SystemExit):
            raise AssertionError(f"{path.name}: {type(res.exception).__name__} escaped") from res.exception
        assert "Traceback" not in res.stderr and res.exit_code in (0, 2), f"{path.name}: {res.exit_code} {res.stderr}"


def test_corpus_through_real_subprocesses(corpus):
    env = {k: v for k, v in os.environ.items() if k != "WSDISSECT_DEBUG"}
    picked = corpus[:: max(1, len(corpus) // SUBPROCESS_COUNT)][:SUBPROCESS_COUNT - 3] + corpus[-3:]

    def one(path):
        p = subprocess.run([sys.executable, "-m", "wsdissect", "read", "--json", str(path)],
                           capture_output=True, text=True, env=env, timeout=60)
        return path, p

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        results = list(pool.map(one, picked))
    assert len(results) >= SUBPROCESS_COUNT
    for path, p in results:
        _check(path, p.returncode, p.stdout, p.stderr)
