"""The short fuzz run that is part of the suite: at least 10,000 inputs per target, zero failures.

Volume comes from the seeded mutation loop (reproducible: a fixed seed, so a failure here fails every time);
hypothesis adds a few hundred shrinking examples per target on top. The long run is `python -m tests.fuzz.run`
(see tests/fuzz/README.md). WSDISSECT_FUZZ_COUNT raises (or, for a quick local run, lowers) the count.
"""
from __future__ import annotations

import os
import random
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .harness import (TARGETS, mutate_capture, pipeline_seeds, run_loop, target_http, target_mqtt, target_pipeline,
                      target_tls, target_ws)

COUNT = int(os.environ.get("WSDISSECT_FUZZ_COUNT", "10000"))
SEED = 20240601


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_short_fuzz_run(name):
    t0 = time.monotonic()
    executed, failures = run_loop(name, count=COUNT, seed=SEED, stop_on_failure=True)
    dt = time.monotonic() - t0
    if failures:
        data, exc = failures[0]
        pytest.fail(f"{name}: {type(exc).__name__}: {exc}\nreproduce: target_{name}({data!r:.2000})")
    assert executed == COUNT
    print(f"\nfuzz {name}: {executed} inputs in {dt:.1f} s ({executed / dt:.0f}/s)")


_fast = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), database=None)


@_fast
@given(st.binary(max_size=600))
def test_ws_arbitrary_bytes(data):
    target_ws(data)


@_fast
@given(st.sampled_from([0x00, 0x01, 0x02, 0x03, 0x0B, 0x07, 0x21, 0xE2, 0x43]), st.integers(0, 255),
       st.integers(0, 255), st.lists(st.sampled_from([b"\x81", b"\x01", b"\x80", b"\x88", b"\x89", b"\x7e", b"\x7f",
                                                      b"\xfe", b"\xff", b"\x00", b"\x05", b"\x02\x00\x00\xff\xff",
                                                      b"abcd", b"\x03\xe8"]), max_size=40))
def test_ws_frame_shaped_bytes(b0, b1, b2, atoms):
    target_ws(bytes([b0, b1, b2]) + b"".join(atoms))


@_fast
@given(st.binary(max_size=600))
def test_http_arbitrary_bytes(data):
    target_http(data)


_HTTP_ATOMS = [b"GET / HTTP/1.1\r\n", b"HTTP/1.1 101 OK\r\n", b"HTTP/1.1 200 OK\r\n", b"Upgrade: websocket\r\n",
               b"Connection: upgrade\r\n", b"Content-Length: 3\r\n", b"Transfer-Encoding: chunked\r\n", b"\r\n",
               b"\n", b"3\r\nabc\r\n", b"0\r\n", b"abc", b" folded\r\n", b"X:", b"HEAD / HTTP/1.1\r\n", b"\r"]


@_fast
@given(st.integers(0, 255), st.integers(0, 255), st.lists(st.sampled_from(_HTTP_ATOMS), max_size=30))
def test_http_message_shaped_bytes(b0, b1, atoms):
    target_http(bytes([b0, b1]) + b"".join(atoms))


_SEEDS = pipeline_seeds()


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(st.sampled_from(range(len(_SEEDS))), st.integers(0, 2 ** 32 - 1), st.integers(1, 4))
def test_pipeline_mutated_captures(which, seed, rounds):
    rng = random.Random(seed)
    data = _SEEDS[which]
    for _ in range(rounds):
        data = mutate_capture(data, rng, _SEEDS)
    target_pipeline(data)


_MQTT_ATOMS = [b"\x10", b"\x20\x02\x00\x00", b"\x30", b"\x32", b"\x34", b"\x40\x02\x00\x01", b"\x62\x02\x00\x01",
               b"\x82", b"\xc0\x00", b"\xe0\x00", b"\xf0", b"\x00\x04MQTT\x04\x02\x00\x3c", b"\x00\x04MQTT\x05",
               b"\x00\x01", b"\x00\x03a/b", b"\xff", b"\x80", b"\x7f", b"\x05", b"\x00", b"\x26\x00\x01k\x00\x01v"]


@_fast
@given(st.integers(0, 255), st.lists(st.sampled_from(_MQTT_ATOMS), max_size=40))
def test_mqtt_packet_shaped_bytes(b0, atoms):
    target_mqtt(bytes([b0]) + b"".join(atoms))


@_fast
@given(st.integers(0, 255), st.lists(st.tuples(st.integers(0, 7), st.sampled_from(
    [b"\x16\x03\x01\x00\x05", b"\x17\x03\x03\x00\x20", b"\x15\x03\x03\x00\x02\x01\x00", b"\x14\x03\x03\x00\x01\x01",
     b"\x17\x03\x03\x40\x00", b"\x01\x00\x00\x30\x03\x03", b"\x02\x00\x00\x30\x03\x03", b"\x00" * 32, b"\xff" * 7])),
    max_size=30))
def test_tls_record_shaped_chunks(b0, chunks):
    target_tls(bytes([b0]) + b"".join(bytes([d]) + len(c).to_bytes(2, "big") + c for d, c in chunks))
