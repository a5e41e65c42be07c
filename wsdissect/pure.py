"""WSDISSECT_PURE=1: the C extension stays unused and the pure-Python path, the reference, does everything (the
fast lane, the parallel read and the C inflater all ask here). Read at each call: tests set it run by run."""
from __future__ import annotations

import os

PURE_ENV = "WSDISSECT_PURE"


def pure_requested() -> bool:
    return os.environ.get(PURE_ENV, "") not in ("", "0")
