"""`wsdissect report`: the lab page's data (records of the analyzer and the views, both languages, the caps) and,
in headless Chromium, the page itself: offline, the right packets, details with the field's bytes highlighted,
the ladder linked to the list, the language switch."""
from __future__ import annotations

import base64
import json
import os
import re
import shutil

import pytest
from click.testing import CliRunner

from conftest import BUNDLED, ROOT
from wsdissect.cli import main
from wsdissect.http import compute_accept
from wsdissect.render.report import REPORT_PAGE_ROWS, build_report, render_page
from wsdissect.sources.pcap import open_capture

ECHO = os.path.join(ROOT, "captures", "echo.pcap")
ACCEPT = "http.header.sec-websocket-accept"


def packets_of(path: str) -> list:
    return list(open_capture(path))


def blob_of(page: str) -> dict:
    m = re.search(r'<script type="application/json" id="wsd-data">(.*?)</script>', page, re.S)
    assert m, "the page carries its data as one JSON blob"
    return json.loads(m.group(1))


def row_of_role(data: dict, role: str) -> dict:
    return next(r for r in data["rows"] if r["r"] == role)


# -- the data blob -----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def echo() -> dict:
    return build_report(open_capture(ECHO), ECHO)


def test_every_packet_is_a_row(echo):
    raws = packets_of(ECHO)
    assert echo["meta"]["packets"] == len(raws) == 22
    assert [r["n"] for r in echo["rows"]] == [p.no for p in raws]
    # both languages' labels, from the catalogue
    syn = echo["rows"][0]
    assert syn["r"] == "tcp-syn" and syn["ph"] == "handshake"
    assert "SYN" in syn["L"][0] and re.search(r"[\u4e00-\u9fff]", syn["L"][1])


def test_the_101_details_place_sec_websocket_accept(echo):
    r101 = row_of_role(echo, "ws-upgrade-response")
    d = echo["details"][r101["n"]]
    spans = d["F"][ACCEPT]
    assert len(spans) == 1
    a, b = spans[0]
    raw = base64.b64decode(d["B"])
    assert raw == packets_of(ECHO)[r101["n"] - 1].data[:len(raw)]
    header = raw[a:b].decode()
    assert header.startswith("Sec-WebSocket-Accept: ")
    request = packets_of(ECHO)[row_of_role(echo, "ws-upgrade-request")["n"] - 1].data
    key = re.search(rb"Sec-WebSocket-Key: (\S+)", request).group(1).decode()
    assert header.split(": ", 1)[1] == compute_accept(key)
    # the tree line naming that field exists in both languages, with words of its own language
    for tree in d["T"]:
        assert any(line[3] == ACCEPT for line in tree)
    assert d["T"][0] != d["T"][1]


def test_masked_payload_is_given_unmasked(echo):
    hello = next(r for r in echo["rows"] if r["r"] == "ws-data" and r["d"] == ">")
    d = echo["details"][hello["n"]]
    (a, b, key, plain), = d["M"]
    wire = base64.b64decode(d["B"])[a:b]
    assert base64.b64decode(plain) == b"hello"
    assert wire != b"hello" and len(key.split()) == 4


def test_ladder_explanations_summary_and_stats(echo):
    (conn,) = echo["conns"]
    assert [a[0] for a in conn["A"]] == [r["n"] for r in echo["rows"]]
    assert [e["k"] for e in echo["explain"] if e["k"].startswith("phase.")] == \
        ["phase.0", "phase.1", "phase.2", "phase.3"]
    en, zh = echo["summary"]
    assert en.startswith("Summary") and "摘要" in zh
    assert "handshake" in echo["stats"][0] and "握手" in echo["stats"][1]


def test_details_stop_at_the_cap():
    data = build_report(open_capture(ECHO), ECHO, detail_packets=5)
    assert sorted(data["details"]) == [1, 2, 3, 4, 5]
    assert len(data["rows"]) == 22 and data["meta"]["detail_cap"] == 5


def test_page_is_self_contained_and_data_cannot_close_its_script(echo):
    data = json.loads(json.dumps(echo))
    data["rows"][0]["i"] = "</script><script>alert(1)</script>"
    page = render_page(data)
    assert page.count("<script") == 2 and page.count("</script>") == 2
    assert blob_of(page)["rows"][0]["i"] == "</script><script>alert(1)</script>"
    outside = page.replace(re.search(r'id="wsd-data">.*?</script>', page, re.S).group(0), "")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", outside)
    assert "@import" not in outside and "url(http" not in outside
    assert "default-src 'none'" in page


def test_cli_writes_the_page(tmp_path):
    out = tmp_path / "lab.html"
    res = CliRunner().invoke(main, ["report", ECHO, "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert f"wrote {out}" in res.output
    assert blob_of(out.read_text(encoding="utf-8"))["meta"]["packets"] == 22


@pytest.mark.parametrize("args, message", [
    (["report", ECHO, "-o", "lab.txt"], "must end in .html"),
    (["report", "no-such.pcap", "-o", "lab.html"], "no such file"),
])
def test_cli_errors_are_one_line(tmp_path, args, message):
    os.chdir(tmp_path)
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 2
    assert message in res.output and "Traceback" not in res.output
    assert not (tmp_path / "lab.html").exists()


# -- the page in a browser ---------------------------------------------------------------------------------------

def _chromium():
    path = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
    if path is None:
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install playwright)")
    return path, sync_playwright


@pytest.fixture(scope="module")
def browser():
    path, sync_playwright = _chromium()
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=["--no-sandbox"])
        yield b
        b.close()


def open_page(browser, tmp_path, capture: str, *options: str):
    out = tmp_path / (os.path.basename(capture) + ".html")
    res = CliRunner().invoke(main, ["report", capture, "-o", str(out), *options])
    assert res.exit_code == 0, res.output
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    problems, requests = [], []
    page.on("console", lambda m: problems.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("request", lambda r: requests.append(r.url))
    url = out.as_uri()
    page.goto(url)
    page.wait_for_selector("#packets tbody tr")
    return page, url, problems, requests, blob_of(out.read_text(encoding="utf-8"))


@pytest.mark.parametrize("capture", BUNDLED, ids=os.path.basename)
def test_page_offline_with_every_packet(browser, tmp_path, capture):
    page, url, problems, requests, data = open_page(browser, tmp_path, capture)
    n = len(packets_of(capture))
    assert page.locator("#packets tr[data-i]").count() == min(n, REPORT_PAGE_ROWS)
    assert f"{n} of {n} packets" in page.text_content("#count")
    assert page.locator("svg.ladder").count() == len(data["conns"]) > 0
    page.click("#packets tr[data-i='0']")
    assert page.text_content("#details h2") == "Packet 1"
    assert problems == []
    assert requests == [url]            # the page itself, nothing else
    page.close()


def test_page_101_details_highlight_and_language(browser, tmp_path):
    page, url, problems, requests, data = open_page(browser, tmp_path, ECHO)
    r101 = row_of_role(data, "ws-upgrade-response")
    no = r101["n"]
    page.click(f"#packets tr[data-no='{no}']")
    assert page.text_content("#details h2") == f"Packet {no}"
    assert "101 Switching Protocols" in page.text_content("#tree")
    page.click(f"#tree [data-field='{ACCEPT}']")
    (a, b), = data["details"][str(no)]["F"][ACCEPT]
    raw = packets_of(ECHO)[no - 1].data
    marked = page.eval_on_selector_all("#hexdump .hex .hl", "els => els.map(e => e.textContent).join(' ')")
    assert marked == raw[a:b].hex(" ")
    assert page.locator("#hexdump .asc .hl").count() == b - a
    assert ACCEPT in page.text_content("#marked")
    # the list's row is selected, and so is its arrow in the ladder
    assert "sel" in page.get_attribute(f"#packets tr[data-no='{no}']", "class")
    assert "sel" in page.get_attribute(f"#arrow-{no}", "class")
    # an arrow selects its packet
    page.click("#arrow-8")
    assert page.text_content("#details h2") == "Packet 8"
    assert "sel" in page.get_attribute("#packets tr[data-no='8']", "class")
    assert page.locator("#details .masked").count() == 1
    # keyboard: down twice, Enter
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    assert page.text_content("#details h2") == "Packet 10"
    # the language switch: column labels and the details change, the selection stays
    heads = page.eval_on_selector_all("#packets th", "els => els.map(e => e.textContent)")
    assert "Time" in heads
    page.click("#lang")
    heads_zh = page.eval_on_selector_all("#packets th", "els => els.map(e => e.textContent)")
    assert "时间" in heads_zh and "Time" not in heads_zh
    assert page.text_content("#details h2") == "数据包 10"
    assert page.get_attribute("html", "lang") == "zh-CN"
    page.click("#lang")
    assert page.text_content("#details h2") == "Packet 10"
    assert problems == [] and requests == [url]
    page.close()


def test_page_opens_in_the_language_asked(browser, tmp_path):
    page, url, problems, requests, data = open_page(browser, tmp_path, ECHO, "--lang", "zh")
    assert "时间" in page.eval_on_selector_all("#packets th", "els => els.map(e => e.textContent)")
    assert page.get_attribute("html", "lang") == "zh-CN"
    page.click("#lang")
    assert "Time" in page.eval_on_selector_all("#packets th", "els => els.map(e => e.textContent)")
    assert problems == []
    page.close()


def test_page_filters(browser, tmp_path):
    page, url, problems, requests, data = open_page(browser, tmp_path, ECHO)
    page.select_option("#f-role", "ws-data")
    want = sum(r["r"] == "ws-data" for r in data["rows"])
    assert page.locator("#packets tr[data-i]").count() == want > 0
    page.select_option("#f-role", "")
    page.fill("#f-text", "Switching")
    assert page.locator("#packets tr[data-i]").count() == 1
    page.keyboard.press("ArrowDown")           # from the search box to the list, then open
    page.keyboard.press("Enter")
    assert page.text_content("#details h2") == f"Packet {row_of_role(data, 'ws-upgrade-response')['n']}"
    assert problems == []
    page.close()


# -- --report on live and demo -----------------------------------------------------------------------------------

def test_demo_report_without_capture(monkeypatch, tmp_path):
    """demo's fallback (no privilege): the page of the bundled captures, as `report` makes it of the -w file."""
    from wsdissect.sources import live

    def refuse(self):
        raise live.CaptureUnavailable("capturing on lo needs the CAP_NET_RAW privilege (or root): run it with sudo")

    monkeypatch.setattr(live.LiveCapture, "open", refuse)
    pcap, page = tmp_path / "fallback.pcap", tmp_path / "demo.html"
    res = CliRunner().invoke(main, ["demo", "--json", "-w", str(pcap), "--report", str(page)])
    assert res.exit_code == 0, res.output
    assert f"wrote {page}" in res.stderr
    data = blob_of(page.read_text(encoding="utf-8"))
    assert data["meta"]["packets"] == 35 and len(data["conns"]) == 2
    assert data["rows"] == build_report(open_capture(str(pcap)), str(pcap))["rows"]


@pytest.mark.skipif(os.geteuid() != 0, reason="live capture needs root (or CAP_NET_RAW)")
def test_demo_report_live(tmp_path):
    import subprocess
    import sys
    pcap, page = tmp_path / "demo.pcap", tmp_path / "demo.html"
    proc = subprocess.run([sys.executable, "-m", "wsdissect", "demo", "--idle-timeout", "1", "-w", str(pcap),
                           "--report", str(page)], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    data = blob_of(page.read_text(encoding="utf-8"))
    assert data["rows"] == build_report(open_capture(str(pcap)), str(pcap))["rows"]
    assert "capture-stats" in data["summary"][0] and "capture-stats" in data["summary"][1]
    assert "抓包" in data["summary"][1]


@pytest.mark.parametrize("command", [["live"], ["demo"]])
def test_report_option_refuses_a_name_before_capturing(tmp_path, command):
    res = CliRunner().invoke(main, [*command, "--report", str(tmp_path / "lab.txt")])
    assert res.exit_code == 2
    assert "must end in .html" in res.output and len(res.output.strip().splitlines()) == 1


def test_mutated_captures_never_break_the_page(tmp_path):
    """Hostile captures (the fuzz harness's mutations of the seed captures) through `report`: the page is
    written (exit 0) or the file is refused in one line (exit 2); never an internal error."""
    import random
    from fuzz.harness import mutate_capture, pipeline_seeds
    rng, seeds, out = random.Random(11), pipeline_seeds(), tmp_path / "page.html"
    written = 0
    for i in range(300):
        data = rng.choice(seeds)
        for _ in range(rng.choice((1, 1, 2, 3, 5))):
            data = mutate_capture(data, rng, seeds)
        p = tmp_path / f"m{i}.pcap"
        p.write_bytes(data)
        res = CliRunner().invoke(main, ["report", str(p), "-o", str(out)])
        assert res.exit_code in (0, 2) and "internal error" not in res.output, (p, res.output)
        written += res.exit_code == 0
    assert written > 100
