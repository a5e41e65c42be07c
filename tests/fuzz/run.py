"""The long fuzz run: the seeded mutation loop for as long as you like, every failure saved for replay.

    python -m tests.fuzz.run --minutes 10                 # all targets, time split evenly, seed from the clock
    python -m tests.fuzz.run --minutes 30 --target pipeline --seed 7
    python -m tests.fuzz.run --replay tests/fuzz/crashes/pipeline-XXXX --target pipeline   # traceback of one

Failures are written to tests/fuzz/crashes/<target>-<sha1> (one per distinct message); exit status 1 if any.
Coverage-guided fuzzing with atheris: see tests/fuzz/atheris_entry.py and tests/fuzz/README.md.
"""
from __future__ import annotations

import argparse
import hashlib
import sys
import time
import traceback

from .harness import HERE, TARGETS, replay_pipeline_unguarded, run_loop


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.fuzz.run", description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=10.0, help="total time, split across the targets")
    ap.add_argument("--target", choices=sorted(TARGETS), action="append", help="repeatable; default all")
    ap.add_argument("--seed", type=int, default=None, help="mutation seed (default: from the clock)")
    ap.add_argument("--replay", metavar="FILE", help="run one saved input and show its traceback")
    args = ap.parse_args(argv)
    targets = args.target or sorted(TARGETS)

    if args.replay:
        data = open(args.replay, "rb").read()
        name = targets[0]
        try:
            TARGETS[name][0](data)
        except Exception:  # noqa: BLE001
            traceback.print_exc()
            if name == "pipeline":
                print("\n-- replay without Analyzer.feed's exception guard --", file=sys.stderr)
                replay_pipeline_unguarded(data)
            return 1
        print("no failure")
        return 0

    seed = args.seed if args.seed is not None else int(time.time())
    crashes = HERE / "crashes"
    per_target = args.minutes * 60 / len(targets)
    total_failures = 0
    for name in targets:
        seen: set = set()

        def save(data: bytes, exc: BaseException, name=name, seen=seen) -> None:
            key = f"{type(exc).__name__}: {str(exc)[:120]}"
            if key in seen:
                return
            seen.add(key)
            crashes.mkdir(exist_ok=True)
            path = crashes / f"{name}-{hashlib.sha1(data).hexdigest()[:16]}"
            path.write_bytes(data)
            print(f"  FAIL {name}: {key}\n       saved {path}", flush=True)

        t0 = time.monotonic()
        executed, failures = run_loop(name, seconds=per_target, seed=seed, on_failure=save, stop_on_failure=False)
        dt = time.monotonic() - t0
        total_failures += len(failures)
        print(f"{name}: {executed} inputs in {dt:.0f} s ({executed / dt:.0f}/s), seed {seed}, "
              f"{len(failures)} failing inputs, {len(seen)} distinct", flush=True)
    return 1 if total_failures else 0


if __name__ == "__main__":
    sys.exit(main())
