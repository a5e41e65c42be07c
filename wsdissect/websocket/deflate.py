# cython: annotation_typing=False, boundscheck=False, wraparound=False
"""permessage-deflate (RFC 7692) inflater for one direction, with a hard cap on output.

A compressed message is the raw DEFLATE stream of its frames' payloads, with the final 00 00 ff ff of the
sender's sync flush stripped; we put it back before finishing the message. With context takeover the LZ77
window carries over from message to message, so one decompressobj lives as long as the direction does (from
its first compressed message: a direction that sends none holds no zlib state).

Output per message never exceeds `max_output`: zlib is asked for at most the remaining room (max_length),
the unread input waits in unconsumed_tail and is never inflated further. That is what defuses a deflate bomb
(about 1000:1 at best for DEFLATE, so 200 KB on the wire can claim 200 MB).

When a message cannot be inflated completely (cap reached, bytes missing, corrupt data) and the window is
shared, later messages may point back into history we never produced. We then start over with an empty
window: zlib rejects any back-reference reaching further than the history it holds ("invalid distance too
far back"), so a later message either inflates to exactly the right bytes or fails visibly. Once a full
window of correct output has been produced again, nothing can reach past it and `lost` clears.
"""
from __future__ import annotations

import zlib
from typing import Optional

_TAIL = b"\x00\x00\xff\xff"


class Inflater:
    __slots__ = ("max_output", "context_takeover", "window", "produced", "capped", "lost", "error", "_history",
                 "_d")

    def __init__(self, *, max_output: int, context_takeover: bool = True, window_bits: int = 15) -> None:
        self.max_output = max_output
        self.context_takeover = context_takeover
        # The sender's window (client_/server_max_window_bits); only decides when lost history stops mattering.
        # We always inflate with a 32 KiB window: a larger window inflates any smaller one, and zlib refuses
        # 8 bits for raw streams anyway.
        self.window = 1 << window_bits
        self.produced = 0                # output of the current message so far
        self.capped = False              # the current message inflates to more than max_output
        self.error: Optional[str] = None # zlib rejected the current message
        self.lost = False                # history is missing: back-references into it will fail
        self._history = 0                # correct output since the window was last emptied
        # The raw DEFLATE stream (zlib's state and its 32 KiB window), made by the first inflate() after each
        # reset: a direction that sends no compressed message, or is between messages without context
        # takeover, holds none.
        self._d = None

    def reset(self) -> None:
        """Empty the window, as at the start of the connection (or of each message without takeover)."""
        self._d = None
        self._history = 0

    def stream(self) -> object:
        """The raw DEFLATE stream inflate() feeds, made now if the window is empty."""
        if self._d is None:
            self._d = zlib.decompressobj(-15)
        return self._d

    def inflate(self, chunk: bytes, final: bool = False) -> bytes:
        """Inflate the next payload of the current message; `final` for the message's last frame.

        Returns only output that fits under the cap. After the cap or an error the rest of the message is not
        inflated; `capped` / `error` say which. Call end_message() when the message is over.
        """
        if self.capped or self.error is not None:
            return b""
        out = b""
        try:
            if chunk:
                out = self._run(chunk)
            if final and not self.capped:
                more = self._run(_TAIL)
                if more:
                    out += more
        except zlib.error as exc:
            self.error = str(exc)
        return out

    def end_message(self, complete: bool = True) -> None:
        """The current message is over. `complete=False` if not all its payload was given to inflate()."""
        whole = complete and not self.capped and self.error is None
        if not self.context_takeover or self._d is not None and self._d.eof:
            # The sender starts a fresh window too (no takeover, or it ended the stream with BFINAL).
            self.reset()
            self.lost = False
        elif not whole:
            self.reset()
            self.lost = True
        else:
            self._history += self.produced
            if self.lost and self._history >= self.window:
                self.lost = False
        self.produced = 0
        self.capped = False
        self.error = None

    def _run(self, data: bytes) -> bytes:
        d = self._d
        if d is None:
            d = self.stream()
        room = self.max_output - self.produced
        out = b""
        if room > 0:
            out = d.decompress(data, room)
            self.produced += len(out)
            if len(out) < room:
                return out           # zlib stopped for lack of input, so all of it was used
            data = d.unconsumed_tail
        # Exactly at the cap: one more byte of output (from the unread input or zlib's pending match) means
        # the message is longer than the cap. Asking for a single byte keeps a bomb from expanding.
        if d.decompress(data, 1):
            self.capped = True
        return out
