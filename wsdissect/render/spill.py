"""Finished connections waiting for their turn, put aside on disk.

The follow view and the flow view print connections in order (by number, or by first packet), each as soon as
it and every connection before it have finished. One connection that stays open would hold back every later
one that has finished, and their messages or arrows with them: memory would grow with the capture instead of
with the open connections. `Spill` keeps such waiting items in a temporary file instead, past
WAITING_IN_MEMORY of them, and gives each back, once, when its turn comes.
"""
from __future__ import annotations

import pickle
import tempfile
from typing import Any, Hashable, Optional

# Finished items a view keeps in memory while they wait; past this many, the next ones go to the spill file.
WAITING_IN_MEMORY = 256


class Spill:
    """Objects stored by key in an unnamed temporary file (gone when the process ends) until taken back.

    `put(key, obj)` pickles `obj` at the end of the file; `take(key)` reads it back and forgets the key (the
    file is not compacted: it holds what waited, written once). Only the index, key -> (offset, length), stays
    in memory. The objects are the views' own records, written and read by this process alone."""

    def __init__(self) -> None:
        self._file: Optional[Any] = None
        self._where: dict = {}

    def __contains__(self, key: Hashable) -> bool:
        return key in self._where

    def __len__(self) -> int:
        return len(self._where)

    def put(self, key: Hashable, obj: Any) -> None:
        f = self._file
        if f is None:
            f = self._file = tempfile.TemporaryFile(prefix="wsdissect-")
        data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
        offset = f.seek(0, 2)
        f.write(data)
        self._where[key] = (offset, len(data))

    def take(self, key: Hashable) -> Any:
        offset, size = self._where.pop(key)
        f = self._file
        f.seek(offset)
        obj = pickle.loads(f.read(size))
        if not self._where:             # nothing waits: start the file afresh
            f.close()
            self._file = None
        return obj
