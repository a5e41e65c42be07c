import glob
import os
import shutil
import subprocess
import sys

import pytest

from wsdissect.model import Label
from wsdissect.render.labels import LabelWords

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


class SaidWords(LabelWords):
    """Labels as a test writes them: Label("said", None, (text,)) worded as `text` itself (for tests of how a
    view lays out whatever a label says); the analyzer's labels as LabelWords words them."""

    def text(self, row):
        if row.label is not None and row.label.code == "said":
            return row.label.args[0]
        return super().text(row)


def said(text: str) -> Label:
    return Label("said", None, (text,))
