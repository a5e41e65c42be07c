"""wsdissect._fastlane.Decompressor against zlib.decompressobj(-15), the object it stands in for.

The Inflater (websocket/deflate.py) and the fast lane inflate through the C stream; WSDISSECT_PURE=1 keeps zlib's
own. Both must give the same bytes, the same unconsumed_tail / unused_data / eof after every call and the same
zlib.error text, since that text is what a note shows. Each case drives both objects with one script of calls.
"""
from __future__ import annotations

import random
import zlib

import pytest

from wsdissect.websocket import deflate
from wsdissect.websocket.deflate import Inflater

try:
    from wsdissect._fastlane import Decompressor
except ImportError:
    Decompressor = None

pytestmark = pytest.mark.skipif(Decompressor is None, reason="C extension not built; pure-Python path only")

WORDS = b"bid ask volume trade close status update ticker gamma order open online message price chat ok".split()


def _text(rng: random.Random, n: int) -> bytes:
    return b" ".join(rng.choice(WORDS) for _ in range(n))


def _stream(rng: random.Random, messages: int, final: bool = False) -> list:
    """Compressed messages of one direction, as a permessage-deflate sender makes them (sync flush each)."""
    c = zlib.compressobj(rng.choice([1, 6, 9]), zlib.DEFLATED, -rng.choice([9, 12, 15]))
    out = []
    for i in range(messages):
        body = _text(rng, rng.choice([1, 5, 40, 400, 5000]))
        if rng.random() < 0.2:
            body += rng.randbytes(rng.randrange(1, 300))
        last = final and i == messages - 1
        out.append(c.compress(body) + c.flush(zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH))
    return out


def _damage(rng: random.Random, data: bytes) -> bytes:
    if not data:
        return bytes([rng.randrange(256)])
    b = bytearray(data)
    how = rng.randrange(4)
    if how == 0:                                      # a flipped byte
        i = rng.randrange(len(b))
        b[i] ^= 1 << rng.randrange(8)
    elif how == 1:                                    # cut short
        del b[rng.randrange(len(b)):]
    elif how == 2:                                    # junk in the middle
        i = rng.randrange(len(b) + 1)
        b[i:i] = rng.randbytes(rng.randrange(1, 20))
    else:                                             # a piece lost
        i = rng.randrange(len(b))
        del b[i:i + rng.randrange(1, 50)]
    return bytes(b)


def _call(d, data: bytes, max_length: int) -> tuple:
    try:
        out = ("ok", d.decompress(data, max_length))
    except zlib.error as exc:
        out = ("zlib.error", str(exc))
    return out + (d.unconsumed_tail, d.unused_data, d.eof)


def _script(rng: random.Random) -> list:
    """(data, max_length) calls: whole messages, pieces, the tail the Inflater adds, one-byte probes, and what
    zlib left in unconsumed_tail fed again (marked by None)."""
    calls = []
    for msg in _stream(rng, rng.randrange(1, 6), final=rng.random() < 0.2):
        if rng.random() < 0.25:
            msg = _damage(rng, msg)
        body = msg[:-4] if msg.endswith(b"\x00\x00\xff\xff") and rng.random() < 0.7 else msg
        cuts = sorted(rng.sample(range(len(body) + 1), min(len(body) + 1, rng.randrange(0, 3))))
        pieces = [body[a:b] for a, b in zip([0] + cuts, cuts + [len(body)])]
        for piece in pieces + [b"\x00\x00\xff\xff"]:
            limit = rng.choice([0, 0, 1, 2, 7, 100, 4096, 1 << 20])
            calls.append((piece, limit))
            if limit and rng.random() < 0.5:
                calls.append((None, rng.choice([0, 1, 50])))
    if rng.random() < 0.3:
        calls.append((rng.randbytes(rng.randrange(0, 8)), 0))          # after the end: unused_data
    return calls


@pytest.mark.parametrize("seed", range(300))
def test_same_as_zlib(seed):
    rng = random.Random(seed)
    ours, theirs = Decompressor(), zlib.decompressobj(-15)
    for step, (data, limit) in enumerate(_script(rng)):
        a = _call(ours, ours.unconsumed_tail if data is None else data, limit)
        b = _call(theirs, theirs.unconsumed_tail if data is None else data, limit)
        assert a == b, f"seed {seed}, call {step}: decompress(..., {limit})"


def test_reset_is_a_fresh_stream():
    rng = random.Random(7)
    first, second = _stream(rng, 2)
    d = Decompressor()
    d.decompress(first + b"junk")
    d.reset()
    assert (d.unconsumed_tail, d.unused_data, d.eof) == (b"", b"", False)
    # the second message refers back into the first: a fresh window refuses it, as a new zlib object does
    assert _call(d, second, 0) == _call(zlib.decompressobj(-15), second, 0)


def test_bad_arguments():
    with pytest.raises(TypeError):
        Decompressor(-15)
    with pytest.raises(ValueError):
        Decompressor().decompress(b"", -1)
    with pytest.raises(TypeError):
        Decompressor().decompress("text")


def test_inflater_takes_the_c_stream_unless_pure(monkeypatch):
    monkeypatch.delenv("WSDISSECT_PURE", raising=False)
    assert type(Inflater(max_output=100).stream()) is Decompressor
    monkeypatch.setenv("WSDISSECT_PURE", "1")
    inf = Inflater(max_output=100, context_takeover=False)
    assert type(inf.stream()) is type(zlib.decompressobj(-15))
    inf.reset()                                # stays with the kind it was made with
    assert type(inf.stream()) is type(zlib.decompressobj(-15))
    assert deflate.stream_factory() is not Decompressor


@pytest.mark.parametrize("seed", range(40))
def test_inflater_same_on_both_streams(monkeypatch, seed):
    """The Inflater's caps and error texts come out the same whichever stream it was given."""
    rng = random.Random(1000 + seed)
    messages = [_damage(rng, m) if rng.random() < 0.2 else m for m in _stream(rng, 6)]
    cap = rng.choice([1, 10, 300, 1 << 20])
    takeover = rng.random() < 0.8
    seen = []
    for pure in ("", "1"):
        monkeypatch.setenv("WSDISSECT_PURE", pure)
        inf = Inflater(max_output=cap, context_takeover=takeover, window_bits=12)
        run = []
        for m in messages:
            body = m[:-4] if m.endswith(b"\x00\x00\xff\xff") else m
            out = inf.inflate(body[: len(body) // 2]) + inf.inflate(body[len(body) // 2:], final=True)
            run.append((out, inf.capped, inf.error, inf.lost))
            inf.end_message()
        seen.append(run)
    assert seen[0] == seen[1]
