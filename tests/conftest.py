import glob
import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUNDLED = sorted(glob.glob(os.path.join(ROOT, "captures", "*.pcap")))
SHARED_DIR = os.path.join(os.path.dirname(ROOT), "shared", "captures")
SHARED = sorted(glob.glob(os.path.join(SHARED_DIR, "*.pcap")))
# Both formats, for tests that run every capture two ways (one process and several)
CAPTURES = [p for folder in (os.path.join(ROOT, "captures"), SHARED_DIR)
            for p in sorted(glob.glob(os.path.join(folder, "*.pcap")) + glob.glob(os.path.join(folder, "*.pcapng")))]

needs_tshark = pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark (Wireshark) is not installed")


def tshark(args: list) -> str:
    return subprocess.run(["tshark", *args], capture_output=True, text=True, check=True).stdout


def run_wsdissect(*args, columns: int = 80) -> subprocess.CompletedProcess:
    """`python -m wsdissect ARGS` as a user runs it, plain text, `columns` wide; never a traceback."""
    env = dict(os.environ, NO_COLOR="1", COLUMNS=str(columns))
    proc = subprocess.run([sys.executable, "-m", "wsdissect", *args], capture_output=True, text=True, env=env)
    assert "Traceback" not in proc.stderr
    return proc
