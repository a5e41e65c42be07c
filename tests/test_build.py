"""The compiled core (setup.py compiles wsdissect/build.py's CORE with Cython) prints the very bytes the plain
Python does: a few bundled captures through every view, each command run twice in a subprocess, as installed and
with WSDISSECT_PURE=1 (the .py sources); stdout, stderr and the exit status must be the same. Skipped when the
core modules are not compiled here (nothing to compare). Then the build check itself."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import ROOT

CAP = os.path.join(ROOT, "captures")
ENV = {"COLUMNS": "120", "LINES": "25", "NO_COLOR": "1", "TERM": "dumb", "WSDISSECT_NO_PROGRESS": "1"}


def _run(args: list, pure: bool) -> subprocess.CompletedProcess:
    env = dict(os.environ, **ENV)
    env.pop("WSDISSECT_PURE", None)
    if pure:
        env["WSDISSECT_PURE"] = "1"
    return subprocess.run([sys.executable, *args], capture_output=True, env=env, timeout=300)


def _compiled() -> subprocess.CompletedProcess:
    return _run(["-m", "wsdissect.build", "--require"], pure=False)


CHECK = _compiled()
needs_compiled = pytest.mark.skipif(
    CHECK.returncode != 0,
    reason="the core modules are not compiled here (python -m wsdissect.build: "
           f"{CHECK.stderr.decode(errors='replace').strip()[-200:] or CHECK.returncode})")

CAPTURES = ["echo.pcap", "deflate.pcap", "busy.pcap", "fragments-ping.pcap"]
COMMANDS = {
    "json": ["read", "{}", "--json"],
    "timeline": ["read", "{}"],
    "timeline-zh": ["read", "{}", "--lang", "zh"],
    "stats": ["stats", "{}"],
    "stats-json": ["stats", "{}", "--json"],
    "follow": ["follow", "{}"],
    "flow": ["read", "{}", "--view", "flow"],
    "show": ["show", "{}", "4"],
    "json-j2": ["read", "{}", "--json", "-j", "2"],
    "stats-j2": ["stats", "{}", "--json", "-j", "2"],
}


@needs_compiled
@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("capture", CAPTURES)
def test_compiled_and_plain_print_the_same_bytes(capture, command):
    args = ["-m", "wsdissect", *[a.format(os.path.join(CAP, capture)) for a in COMMANDS[command]]]
    compiled, plain = _run(args, pure=False), _run(args, pure=True)
    assert compiled.returncode == plain.returncode == 0, compiled.stderr[-500:]
    assert compiled.stdout == plain.stdout and compiled.stdout
    assert compiled.stderr == plain.stderr


@needs_compiled
def test_a_tls_capture_decrypted_the_same(tmp_path):
    import tlsbuild
    args = ["-m", "wsdissect", "read", tlsbuild.pcap("aes128gcm"), "--json", "--keylog", tlsbuild.keys("aes128gcm")]
    compiled, plain = _run(args, pure=False), _run(args, pure=True)
    assert compiled.returncode == plain.returncode == 0
    assert compiled.stdout == plain.stdout and b'"decrypted":true' in compiled.stdout


def test_the_build_check_names_what_runs_plain():
    """With WSDISSECT_PURE=1 every core module runs from its .py: the check lists each as plain, and --require
    exits 1 naming them; --version says how the core runs."""
    from wsdissect.build import module_names
    proc = _run(["-m", "wsdissect.build"], pure=True)
    assert proc.returncode == 0
    lines = proc.stdout.decode().splitlines()
    assert [line.split()[0] for line in lines[:-1]] == module_names()
    assert all(line.split(None, 1)[1] == "plain (WSDISSECT_PURE=1)" for line in lines[:-1])
    assert lines[-1] == "core run as plain Python (WSDISSECT_PURE=1)"
    req = _run(["-m", "wsdissect.build", "--require"], pure=True)
    assert req.returncode == 1 and b"not compiled: wsdissect.sources.pcap, wsdissect.decode" in req.stderr
    version = _run(["-m", "wsdissect", "--version"], pure=True)
    assert version.returncode == 0 and version.stdout.decode().strip().endswith("(core run as plain Python "
                                                                                 "(WSDISSECT_PURE=1))")


@needs_compiled
def test_the_build_check_says_compiled():
    lines = CHECK.stdout.decode().splitlines()
    assert all(line.split(None, 1)[1] == "compiled" for line in lines[:-1])
    assert lines[-1].startswith("core compiled by Cython")
    version = _run(["-m", "wsdissect", "--version"], pure=False)
    assert "core compiled by Cython" in version.stdout.decode()
