"""Analyzer(labels=False), for consumers that never show a row's sentence: every row, frame, message,
note and summary figure is the one Analyzer() gives; only Row.label (None) and Row.info ("") are left out."""
from __future__ import annotations

import io
import os

import pytest

from conftest import BUNDLED, SHARED
from wsdissect.analyzer import Analyzer
from wsdissect.model import Row
from wsdissect.sources.pcap import CaptureError, iter_capture

_FIELDS = list(Row.__slots__)
ROLE, LABEL, INFO = _FIELDS.index("role"), _FIELDS.index("label"), _FIELDS.index("info")


def _astuple(x):
    """A record as nested tuples of its fields (records are slotted classes), to compare two runs."""
    slots = getattr(type(x), "__slots__", None)
    if slots is not None and not isinstance(x, (list, tuple, dict)):
        return tuple([_astuple(getattr(x, k)) for k in slots])
    if isinstance(x, (list, tuple)):
        return type(x)([_astuple(v) for v in x])
    if isinstance(x, dict):
        return {k: _astuple(v) for k, v in x.items()}
    return x


def _run(data: bytes, **kw) -> tuple:
    a = Analyzer(**kw)
    rows = []
    try:
        for raw in iter_capture(io.BytesIO(data)):
            row = a.feed(raw)
            rows.append(None if row is None else _astuple(row))
    except CaptureError:
        pass
    notes = [_astuple(n) for n in a.finish()]
    s = a.summary
    rest = ([_astuple(f) for f in a.end_frames], [_astuple(m) for m in a.end_messages],
            [_astuple(c) for c in s.connections], s.notes_by_code, s.notes_by_severity, s.caps)
    return rows, notes, rest


def _blank(row: tuple | None) -> tuple | None:
    if row is None or row[ROLE] == "malformed":     # a malformed packet's row keeps its text (its note's)
        return row
    row = list(row)
    row[LABEL] = None
    row[INFO] = ""
    return tuple(row)


def _check(data: bytes, **kw) -> None:
    rows, notes, rest = _run(data, **kw)
    bare_rows, bare_notes, bare_rest = _run(data, labels=False, **kw)
    assert bare_rows == [_blank(r) for r in rows]
    assert bare_notes == notes
    assert bare_rest == rest


@pytest.mark.parametrize("path", BUNDLED + SHARED, ids=os.path.basename)
@pytest.mark.parametrize("kw", [{}, {"decode_as": (80, 8080, 9002)}], ids=["default", "decode-as"])
def test_labels_false_changes_only_label_and_info(path, kw):
    with open(path, "rb") as f:
        _check(f.read(), **kw)


def test_labels_false_on_hostile_captures():
    # Mutated captures (truncated records, bad lengths, swapped and dropped packets...) reach the rare paths.
    from fuzz.harness import hostile_captures
    n = 0
    for name, data in hostile_captures(count=1000, seed=5):
        try:
            _check(data)
        except AssertionError as e:
            raise AssertionError(f"{name}: {e}") from None
        n += 1
    assert n > 1000
