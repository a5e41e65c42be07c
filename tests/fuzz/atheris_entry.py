"""Coverage-guided fuzzing with atheris (libFuzzer for Python), same targets as the seeded loop.

    python -m tests.fuzz.atheris_entry ws       [libFuzzer flags, e.g. -max_total_time=600 -jobs=2]
    python -m tests.fuzz.atheris_entry http     ...
    python -m tests.fuzz.atheris_entry pipeline ...

The seed corpus (ws/http/pipeline seeds) is written to tests/fuzz/corpus/<target>/ on first use and passed to
libFuzzer with the working corpus directory; crashes land in tests/fuzz/crashes/ (libFuzzer's -artifact_prefix).
Replay one with `python -m tests.fuzz.run --replay FILE --target NAME`.
"""
from __future__ import annotations

import sys
from pathlib import Path

try:
    import atheris
except ImportError:  # pragma: no cover
    sys.exit("atheris is not installed (pip install atheris); use `python -m tests.fuzz.run` instead")

with atheris.instrument_imports():
    import wsdissect.analyzer  # noqa: F401
    import wsdissect.decode  # noqa: F401
    import wsdissect.http  # noqa: F401
    import wsdissect.sources.pcap  # noqa: F401
    import wsdissect.tcp  # noqa: F401
    import wsdissect.websocket.deflate  # noqa: F401
    import wsdissect.websocket.frames  # noqa: F401
    import wsdissect.websocket.messages  # noqa: F401

from .harness import HERE, TARGETS  # noqa: E402


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in TARGETS:
        sys.exit(f"usage: python -m tests.fuzz.atheris_entry {{{'|'.join(TARGETS)}}} [libFuzzer flags]")
    name = sys.argv[1]
    target, make_seeds, _ = TARGETS[name]
    corpus = HERE / "corpus" / name
    crashes = HERE / "crashes"
    corpus.mkdir(parents=True, exist_ok=True)
    crashes.mkdir(parents=True, exist_ok=True)
    if not any(corpus.iterdir()):
        for i, s in enumerate(make_seeds()):
            (corpus / f"seed-{i:03d}").write_bytes(s)
    flags = [a for a in sys.argv[2:]]
    if not any(a.startswith("-artifact_prefix=") for a in flags):
        flags.append(f"-artifact_prefix={crashes}/{name}-")
    if not any(not a.startswith("-") for a in flags):
        flags.append(str(corpus))

    def one_input(data: bytes) -> None:
        target(data)

    atheris.Setup([sys.argv[0], *flags], one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
