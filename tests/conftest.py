import glob
import os
import shutil
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUNDLED = sorted(glob.glob(os.path.join(ROOT, "captures", "*.pcap")))
SHARED_DIR = os.path.join(os.path.dirname(ROOT), "shared", "captures")
SHARED = sorted(glob.glob(os.path.join(SHARED_DIR, "*.pcap")))

needs_tshark = pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark (Wireshark) is not installed")


def tshark(args: list) -> str:
    return subprocess.run(["tshark", *args], capture_output=True, text=True, check=True).stdout
