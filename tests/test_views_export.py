"""Views that teach: `--export` on show/follow/stats (one implementation with read's), `read --details`, and
the flow view's summary of a packet carrying several frames."""
import os
import re
import xml.etree.ElementTree as ET

import pytest

from conftest import ROOT, SHARED_DIR, run_wsdissect

from wsdissect.cli.common import svg_fixups
from wsdissect.i18n import catalog
from wsdissect.model import S2C, Frame, Message
from wsdissect.render.flow import frames_summary

CAP = os.path.join(ROOT, "captures")
FRAGMENTED = os.path.join(SHARED_DIR, "zeek-fragmented-http-reply.pcap")


def wsdissect(*args):
    return run_wsdissect(*args, columns=100)


def svg_text(path) -> str:
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg")
    assert root.get("{http://www.w3.org/XML/1998/namespace}space") == "preserve"
    return "".join(root.itertext()).replace("\xa0", " ")


def html_text(path) -> str:
    """The text of an exported page as a reader sees it (wide characters are boxed one by one)."""
    import html
    page = path.read_text(encoding="utf-8")
    return html.unescape(re.sub(r"<[^>]+>", "", page[page.index("<body>"):]))


# --- --export on show, follow, stats ---------------------------------------------------------------------

VIEWS = [
    (("show", os.path.join(CAP, "echo.pcap"), "6"), "Sec-WebSocket-Accept"),
    (("follow", os.path.join(CAP, "echo.pcap")), "hello 你好"),
    (("stats", os.path.join(CAP, "fragments-ping.pcap")), "ping → pong RTT"),
]


@pytest.mark.parametrize("args,needle", VIEWS, ids=[v[0][0] for v in VIEWS])
def test_export_svg_html_txt(tmp_path, args, needle):
    for ext in ("svg", "html", "txt"):
        path = tmp_path / f"view.{ext}"
        proc = wsdissect(*args, "--export", str(path))
        assert proc.returncode == 0, proc.stderr
        assert not proc.stdout                                  # as `read --export`: the view goes to the file
        assert proc.stderr.strip() == f"wsdissect: wrote {path}"
        if ext == "svg":
            text = svg_text(path)
            assert needle.replace(" ", "") in text.replace(" ", "")
            assert f"wsdissect {args[0]} " in text               # the window title names the command
        elif ext == "html":
            assert needle in html_text(path)
        else:
            assert needle in path.read_text(encoding="utf-8")
    html = (tmp_path / "view.html").read_text(encoding="utf-8")
    assert "color:" in html or "color: " in html                 # colours included, whatever stdout is


@pytest.mark.parametrize("args,needle", VIEWS, ids=[v[0][0] for v in VIEWS])
def test_export_txt_is_what_the_terminal_shows(tmp_path, args, needle):
    path = tmp_path / "view.txt"
    assert wsdissect(*args, "--export", str(path), "--width", "100").returncode == 0
    assert path.read_text(encoding="utf-8") == wsdissect(*args, "--width", "100").stdout


@pytest.mark.parametrize("command", ["show", "follow", "stats"])
def test_export_rejects_unknown_extension(tmp_path, command):
    args = [command, os.path.join(CAP, "echo.pcap")] + (["6"] if command == "show" else [])
    proc = wsdissect(*args, "--export", str(tmp_path / "x.png"))
    assert proc.returncode == 2 and not proc.stdout
    assert proc.stderr.count("\n") == 1 and ".svg, .html or .txt" in proc.stderr
    assert not (tmp_path / "x.png").exists()


def test_export_does_not_go_with_json_or_raw(tmp_path):
    proc = wsdissect("stats", os.path.join(CAP, "echo.pcap"), "--json", "--export", str(tmp_path / "s.svg"))
    assert proc.returncode == 2 and "--json" in proc.stderr
    proc = wsdissect("follow", os.path.join(CAP, "echo.pcap"), "--raw", str(tmp_path / "r.bin"), "--side",
                     "client", "--export", str(tmp_path / "f.svg"))
    assert proc.returncode == 2 and "--raw" in proc.stderr


def test_export_to_an_unwritable_place_is_one_line(tmp_path):
    proc = wsdissect("stats", os.path.join(CAP, "echo.pcap"), "--export", str(tmp_path / "no" / "s.svg"))
    assert proc.returncode == 2 and proc.stderr.startswith("wsdissect: error: cannot write")


def test_svg_wide_characters_get_two_cells_each():
    # rich gives a run textLength = characters x cell width; a run with wide characters is split so each
    # piece has the cells it takes in the terminal.
    svg = ('<svg class="x"><text class="r1" x="12" y="20" textLength="60" clip-path="url(#l1)">'
           'ab&#160;你好</text></svg>')
    out = svg_fixups(svg)
    assert out.startswith('<svg xml:space="preserve" ')
    parts = re.findall(r'x="([0-9.]+)" y="20" textLength="([0-9.]+)" clip-path="url\(#l1\)">([^<]*)<', out)
    assert parts == [("12", "36", "ab&#160;"), ("48", "24", "你"), ("72", "24", "好")]
    plain = '<svg ><text class="r1" x="0" y="20" textLength="24" clip-path="url(#l1)">a─b&#160;</text></svg>'
    assert svg_fixups(plain).count("<text ") == 1


def _full_width_svg(tmp_path, lang="en") -> str:
    """A follow transcript at 100 columns whose message is a long word: its pieces fill every line to the last
    column, and end in a glyph as wide as its cell ("W", "我")."""
    from sessionbuild import C2S, Session
    s = Session()
    s.websocket_handshake()
    s.send(C2S, s.client.send_data("W" * 400 + " " + "我" * 200))
    s.teardown()
    cap = tmp_path / "wide.pcap"
    cap.write_bytes(s.pcap())
    out = tmp_path / "wide.svg"
    assert wsdissect("follow", str(cap), "--export", str(out), "--width", "100", "--lang", lang).returncode == 0
    return out.read_text(encoding="utf-8")


def test_svg_leaves_room_for_fonts_wider_than_its_cells(tmp_path):
    svg = _full_width_svg(tmp_path)
    cells = 100 * 12                     # 100 columns of 0.6 em at 20 px
    x0 = float(re.search(r'<g transform="translate\(([0-9.]+), [0-9.]+\)" clip-path=', svg).group(1))
    clips = [float(w) for w in re.findall(r'-(?:clip-terminal|line-\d+)">\s*<rect x="0" y="[0-9.]+" width="([0-9.]+)"',
                                          svg)]
    assert clips and min(clips) >= cells * 1.025           # DejaVu Sans Mono's advance is 0.602 em: 1.0033
    box = float(re.search(r'viewBox="0 0 ([0-9.]+) ', svg).group(1))
    assert box >= x0 + cells * 1.025
    window = float(re.search(r'stroke-width="1" x="1" y="1" width="([0-9.]+)"', svg).group(1))
    assert 1 + window <= box and window >= x0 + cells * 1.025


def _font_installed(name: str) -> bool:
    import shutil
    import subprocess
    if not shutil.which("fc-list"):
        return False
    return name in subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True).stdout


@pytest.mark.skipif(not __import__("shutil").which("rsvg-convert"), reason="rsvg-convert (librsvg2-bin) not installed")
@pytest.mark.skipif(not _font_installed("DejaVu Sans Mono"), reason="font DejaVu Sans Mono not installed")
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_librsvg_draws_the_last_column_whole(tmp_path, lang):
    """librsvg ignores textLength and draws at the font's own advance: with DejaVu Sans Mono (0.602 em, the
    usual fallback for "monospace") the 100th column lies past 100 x 0.6 em. Drawn with the SVG's clip paths
    and without them, the picture must be the same: nothing is clipped."""
    import subprocess
    svg = _full_width_svg(tmp_path, lang).replace("font-family: Fira Code, monospace;",
                                                  "font-family: DejaVu Sans Mono;")
    assert re.search(r"W{90,}</text>", svg)
    unclipped = re.sub(r' clip-path="url\(#[^)]*\)"', "", svg)
    pngs = []
    for name, text in (("clipped", svg), ("unclipped", unclipped)):
        path = tmp_path / f"{name}.svg"
        path.write_text(text, encoding="utf-8")
        pngs.append(subprocess.run(["rsvg-convert", str(path)], capture_output=True, check=True).stdout)
    assert pngs[0] == pngs[1]


# Measures, once the page is laid out, where a needle of line N (0-based, of the <pre>) starts, in pixels.
_MEASURE = """<script>
function leftOf(lineNo, needle) {
  const walker = document.createTreeWalker(document.querySelector("pre"), NodeFilter.SHOW_TEXT);
  let line = 0, text = "", nodes = [];
  for (let n; (n = walker.nextNode());) nodes.push(n);
  for (const n of nodes) {
    let start = 0;
    for (let i = 0; i <= n.data.length; i++) {
      if (i === n.data.length || n.data[i] === "\\n") {
        const at = line === lineNo ? n.data.slice(start, i).indexOf(needle) : -1;
        if (at >= 0) {
          const r = document.createRange();
          r.setStart(n, start + at);
          r.setEnd(n, start + at + needle.length);
          return r.getBoundingClientRect().left;
        }
        if (i < n.data.length) { line++; start = i + 1; }
      }
    }
  }
  return null;
}
document.body.setAttribute("data-measure", JSON.stringify(PAIRS.map(([a, b]) => [leftOf(1, a), leftOf(2, b)])));
</script>"""


@pytest.mark.skipif(not __import__("shutil").which("chromium"), reason="chromium not installed (apt-get install chromium)")
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_html_column_heads_stand_over_their_columns_in_a_browser(tmp_path, lang):
    """The timeline's column heads (line 1) over the first row (line 2), as headless Chromium lays the page
    out: a Chinese head is two cells a character, which the CJK font alone does not give."""
    import json
    import subprocess
    page = tmp_path / "t.html"
    assert wsdissect("read", os.path.join(CAP, "idle-timeout.pcap"), "--lang", lang, "--export", str(page),
                     "--width", "100").returncode == 0
    t = catalog(lang)
    pairs = [(t["tl.col.info"], "[SYN]"), (t["tl.col.proto"], "TCP"), (t["tl.col.flags"], "SYN "),
             (t["tl.col.ports"].format(both="↔"), "46210")]
    # A head's first character (the page boxes each Chinese character alone) is unique on its line.
    script = _MEASURE.replace("PAIRS", json.dumps([(head[0], cell) for head, cell in pairs], ensure_ascii=False))
    page.write_text(page.read_text(encoding="utf-8").replace("</body>", script + "</body>"), encoding="utf-8")
    dom = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom",
                          page.as_uri()], capture_output=True, text=True, timeout=120).stdout
    found = re.search(r'data-measure="([^"]*)"', dom)
    assert found, dom[-500:]
    lefts = json.loads(found.group(1).replace("&quot;", '"'))
    for (head, cell), (x_head, x_cell) in zip(pairs, lefts):
        assert x_head is not None and x_cell is not None, (head, cell)
        assert abs(x_head - x_cell) < 1.0, f"{head!r} at {x_head:.1f} px, its column {cell!r} at {x_cell:.1f} px"


# --- read --details ----------------------------------------------------------------------------------------

def _trees(out: str) -> dict:
    """{packet number: its tree lines} from `read --details` output."""
    trees, cur = {}, None
    for line in out.splitlines():
        m = re.match(r"Frame (\d+): ", line)
        if m:
            cur = trees[int(m.group(1))] = []
        elif line.startswith(("Summary:", "at the end of the capture")):
            cur = None
        if cur is not None:
            cur.append(line)
    for lines in trees.values():
        while lines and not lines[-1]:
            lines.pop()
    return trees


@pytest.mark.parametrize("name", ["echo.pcap", "fragments-ping.pcap", "deflate.pcap", "idle-timeout.pcap"])
def test_details_gives_every_packet_its_tree(name):
    path = os.path.join(CAP, name)
    proc = wsdissect("read", path, "--details")
    assert proc.returncode == 0
    trees = _trees(proc.stdout)
    count = int(re.search(r"Summary: (\d+) packets", proc.stdout).group(1))
    assert sorted(trees) == list(range(1, count + 1))
    for no, lines in trees.items():
        assert any(line.startswith("Transmission Control Protocol: ") for line in lines), no
        assert not any(line.startswith("Bytes (") for line in lines)      # the tree, not the hex dump


def test_details_trees_are_shows_trees():
    # One pass over the capture gives the same tree `show N` gives after analysing up to N.
    path = os.path.join(CAP, "fragments-ping.pcap")
    trees = _trees(wsdissect("read", path, "--details").stdout)
    for no in (1, 6, 8, 11, 14, 25, 34, 39):
        shown = wsdissect("show", path, str(no)).stdout.split("\nBytes (")[0].rstrip("\n").splitlines()
        assert trees[no] == shown, no


def test_details_follows_the_filters():
    path = os.path.join(CAP, "fragments-ping.pcap")
    out = wsdissect("read", path, "--details", "--role", "ws-control").stdout
    trees = _trees(out)
    assert len(trees) == 4 and all(any("Opcode: 9" in ln or "Opcode: 10" in ln for ln in t) for t in trees.values())
    assert "Summary: 39 packets" in out                     # the summary still covers the whole capture
    grep = _trees(wsdissect("read", os.path.join(CAP, "echo.pcap"), "--details", "--grep", "你好").stdout)
    assert sorted(grep) == [11, 12]
    acks = _trees(wsdissect("read", os.path.join(CAP, "echo.pcap"), "--details", "--hide-acks").stdout)
    assert 5 not in acks and 6 in acks
    assert not _trees(wsdissect("read", os.path.join(CAP, "echo.pcap"), "--details", "--conn", "3").stdout)


def test_details_usage_errors_and_export(tmp_path):
    path = os.path.join(CAP, "echo.pcap")
    for extra in (["--json"], ["--view", "flow"]):
        proc = wsdissect("read", path, "--details", *extra)
        assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "--details" in proc.stderr
    svg = tmp_path / "d.svg"
    assert wsdissect("read", path, "--details", "--role", "ws-close", "--export", str(svg)).returncode == 0
    text = svg_text(svg)
    assert "Frame 17:" in text and "Frame 18:" in text and "Frame 8:" not in text


# --- flow: a packet carrying several frames ------------------------------------------------------------------

def _frame(opcode, fin, length=4, direction=S2C, close_code=None):
    return Frame(13, 13, 0, direction, fin, 0, opcode, False, None, length, close_code=close_code)


def test_frames_summary_wording():
    en, zh = catalog("en"), catalog("zh")
    one = [_frame(2, False, 1)] + [_frame(0, False, 10)] * 3 + [_frame(0, True, 5)]
    assert frames_summary(one, [], en) == "binary message, 5 fragments, 36 bytes"
    assert frames_summary(one, [], zh) == "二进制消息，5 个分片，36 字节"
    start = [_frame(1, False), _frame(0, False)]
    assert frames_summary(start, [], en) == "2 fragments of a text message, 8 bytes"
    ending = [_frame(0, False), _frame(0, True)]
    done = Message(0, S2C, 1, 4, 10, 13, False, 16, 16)
    assert frames_summary(ending, [done], en) == "2 fragments of a text message, 8 bytes"
    assert frames_summary(ending, [], en) == "2 continuation fragments, 8 bytes"
    mixed = [_frame(1, True), _frame(1, True), _frame(9, True), _frame(8, True, 2, close_code=1000)]
    assert frames_summary(mixed, [], en) == "4 frames: text ×2, ping, close 1000"
    assert frames_summary(mixed, [], zh) == "4 个帧：文本 ×2，Ping，Close 1000"
    interleaved = [_frame(1, False), _frame(9, True), _frame(0, True)]
    assert frames_summary(interleaved, [], en) == "3 frames: text, ping, continuation"


@pytest.mark.skipif(not os.path.exists(FRAGMENTED), reason="../shared/captures is not present")
def test_flow_sums_up_a_packet_of_five_fragments(tmp_path):
    out = wsdissect("read", FRAGMENTED, "--view", "flow").stdout
    line = next(ln for ln in out.splitlines() if "#13 " in ln)
    assert "binary message, 5 fragments, 56 bytes" in line and "…" not in line
    assert "二进制消息，5 个分片，56 字节" in wsdissect("read", FRAGMENTED, "--view", "flow", "--lang", "zh").stdout
    mermaid = wsdissect("read", FRAGMENTED, "--view", "flow", "--format", "mermaid").stdout
    assert "S->>C: #13 binary message, 5 fragments, 56 bytes (" in mermaid
    svg = tmp_path / "flow.svg"
    assert wsdissect("read", FRAGMENTED, "--view", "flow", "--export", str(svg)).returncode == 0
    assert "binary message, 5 fragments, 56 bytes" in svg_text(svg)


@pytest.mark.parametrize("how", ["--width", "COLUMNS", "--export"])
def test_width_holds_on_a_dumb_terminal(tmp_path, how):
    # rich lays out 80 columns on TERM=dumb (Emacs, some CI runners) whatever width it is told, unless it is
    # told a height too; --width, COLUMNS and the export's 100 columns must hold there all the same.
    import subprocess
    import sys
    env = dict(os.environ, TERM="dumb", NO_COLOR="1")
    env.pop("COLUMNS", None)
    args = [sys.executable, "-m", "wsdissect", "show", os.path.join(CAP, "echo.pcap"), "6"]
    if how == "--width":
        args += ["--width", "120"]
    elif how == "COLUMNS":
        env["COLUMNS"] = "120"
    else:
        args += ["--export", str(tmp_path / "v.txt")]
    out = subprocess.run(args, capture_output=True, text=True, env=env).stdout
    if how == "--export":
        out = (tmp_path / "v.txt").read_text(encoding="utf-8")
    widest = max(len(line) for line in out.splitlines())
    assert 80 < widest <= (100 if how == "--export" else 120)
