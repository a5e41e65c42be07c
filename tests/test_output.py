"""block_buffered_stdout: big outputs leave in blocks even under PYTHONUNBUFFERED=1, and nothing is lost."""
import os
import shlex
import subprocess
import sys

from conftest import ROOT

SCRIPT = """
import sys
from wsdissect.cli.output import block_buffered_stdout
before = sys.stdout
try:
    with block_buffered_stdout():
        inside = sys.stdout
        for i in range(20000):
            print(i)
        buffered = inside is not before and inside.buffer.raw.fileno() == before.fileno()
    print("buffered" if buffered else "unbuffered", sys.stdout is before)
except BrokenPipeError:
    sys.stderr.write("reader left")     # as the commands' run loop does: not an error
"""


def _run(*extra_env, stdout=subprocess.PIPE):
    env = dict(os.environ, PYTHONUNBUFFERED="1", **dict(extra_env))
    return subprocess.run([sys.executable, "-c", SCRIPT], stdout=stdout, stderr=subprocess.PIPE, text=True,
                          env=env, cwd=ROOT, timeout=60)


def test_an_unbuffered_pipe_gets_a_buffer_inside_and_its_stdout_back_after():
    p = _run()
    lines = p.stdout.splitlines()
    assert p.returncode == 0, p.stderr
    assert lines[:-1] == [str(i) for i in range(20000)]
    assert lines[-1] == "buffered True"


def test_a_reader_that_leaves_early_is_not_an_error():
    p = subprocess.run(f"{sys.executable} -c {shlex.quote(SCRIPT)} | head -n 1", shell=True, capture_output=True, text=True,
                       env=dict(os.environ, PYTHONUNBUFFERED="1"), cwd=ROOT, timeout=60)
    assert p.stdout == "0\n"
    assert "Traceback" not in p.stderr and p.returncode == 0


def test_read_json_is_the_same_with_and_without_pythonunbuffered():
    cap = os.path.join(ROOT, "captures", "deflate.pcap")
    outs = []
    for flag in ("1", ""):
        env = dict(os.environ, PYTHONUNBUFFERED=flag)
        if not flag:
            env.pop("PYTHONUNBUFFERED")
        outs.append(subprocess.run([sys.executable, "-m", "wsdissect", "read", cap, "--json"], capture_output=True,
                                   env=env, timeout=60).stdout)
    assert outs[0] == outs[1] and outs[0].count(b"\n") > 20
