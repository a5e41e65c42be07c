"""Golden files of the `read` views on the bundled captures: the timeline at 80 and 160 columns,
the flow diagram, its Mermaid text and --explain, in English and Chinese. Reviewed by eye once; a change to
any of them shows as a diff here. WSDISSECT_UPDATE_GOLDEN=1 rewrites them (then read the diff)."""
from __future__ import annotations

import os

import pytest

from test_details import CAP, ENV, check_golden, cli

CAPTURES = ["echo.pcap", "deflate.pcap", "fragments-ping.pcap", "idle-timeout.pcap", "jsonrpc.pcap", "stomp.pcap",
            "graphql.pcap", "socketio.pcap", "graphql-ws.pcap",
            "socketio-upgrade.pcap", "mqtt.pcap", "mqtt5.pcap"]

VIEWS = {
    "timeline": [],
    "timeline-wide": [],                        # COLUMNS=160: the meaning in its own column
    "flow": ["--view", "flow"],
    "mermaid": ["--view", "flow", "--format", "mermaid"],
    "explain": ["--explain"],
}


@pytest.mark.parametrize("view", list(VIEWS))
@pytest.mark.parametrize("capture", CAPTURES)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_read_view_matches_its_golden_file(capture, view, lang):
    env = dict(ENV, COLUMNS="160") if view == "timeline-wide" else ENV
    args = ["read", os.path.join(CAP, capture), *VIEWS[view], "--lang", lang]
    from click.testing import CliRunner
    from wsdissect.cli import main
    proc = CliRunner().invoke(main, args, env=env, catch_exceptions=False)
    assert proc.exit_code == 0, proc.output
    suffix = "" if lang == "en" else ".zh"
    check_golden(f"read/{capture[:-5]}.{view}{suffix}.txt", proc.output)
