"""What every command shares: the cap options, exit codes, one-line errors and the packets→renderer loop.

Exit codes: 0 analysis done (notes may exist), 1 analysis done and --strict found protocol violations,
2 usage or file error, 3 internal error (a bug in wsdissect), 4 several captures given and some could not be read
(the others analysed: cli/fleet.py), 130 interrupted.
"""
from __future__ import annotations

import contextlib
import itertools
import os
import re
import sys
from typing import Callable, Iterable, Iterator, NoReturn, Optional

import click
from rich.console import Console

from ..analyzer import Analyzer
from ..i18n import DEFAULT_LANG, LANGS
from ..limits import DEFAULT_LIMITS, Limits
from ..model import Note, RawPacket, Row
from ..sources.pcap import CaptureError, CaptureTruncated

EXIT_OK, EXIT_STRICT, EXIT_USAGE, EXIT_INTERNAL, EXIT_PARTIAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130

_SIZE = re.compile(r"(\d+)\s*([kmg]i?b?|b)?", re.I)
_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3}


class Size(click.ParamType):
    """A byte count: 65536, 64k, 16M, 1G (binary units)."""
    name = "size"

    def convert(self, value, param, ctx):
        if isinstance(value, int):
            return value
        m = _SIZE.fullmatch(str(value).strip())
        if not m:
            self.fail(f"{value!r} is not a size (examples: 65536, 64k, 16M)", param, ctx)
        return int(m.group(1)) * _UNITS[(m.group(2) or "").lower()[:1]]


class CapturePath(click.ParamType):
    """The capture to read: a file, or "-" for standard input. A directory is refused at once, in the one line
    `capture_errors` gives (click's own check would print three lines of usage)."""
    name = "capture"

    def convert(self, value, param, ctx):
        value = os.fsdecode(value)
        if value != "-" and os.path.isdir(value):
            fail(cannot_read(value, "it is a directory"))
        return value


def capture_argument(f):
    """The CAPTURE argument of read, show, follow and stats."""
    return click.argument("capture", type=CapturePath())(f)


def cannot_read(capture: str, why: str) -> str:
    return f"cannot read {capture}: {why}"


def decode_as_option(f):
    """--decode-as PORT, for every command that analyses packets."""
    return click.option("--decode-as", "decode_as", type=click.IntRange(1, 65535), multiple=True, metavar="PORT",
                        help="Decode TCP port PORT as WebSocket even without the handshake (a capture begun "
                             "mid-connection). Repeatable.")(f)


def keylog_option(f):
    """--keylog FILE: TLS secrets to decrypt wss:// (NSS key log format; SSLKEYLOGFILE when not given)."""
    return click.option("--keylog", "keylog", type=click.Path(dir_okay=False), default=None, metavar="FILE",
                        help="Decrypt TLS (wss://) with the secrets of this key log (the NSS format that "
                             "SSLKEYLOGFILE makes browsers, curl and Python's ssl write). Default: the file "
                             "SSLKEYLOGFILE names, when it is set.")(f)


def load_keylog(path: Optional[str]):
    """The tls.KeyLog of --keylog (or of SSLKEYLOGFILE), None without one. An unreadable file is a one-line error
    (exit 2), but only a warning when it is SSLKEYLOGFILE's (a shell may set it for browsers long before the file
    exists); each line that is not a key log line is a one-line warning naming its line number."""
    from ..tls import KeyLogError, load_keylog as load
    from_env = path is None
    if from_env:
        path = os.environ.get("SSLKEYLOGFILE") or None
        if path is None:
            return None
    try:
        log = load(path)
    except KeyLogError as e:
        if from_env:
            click.echo(f"wsdissect: warning: SSLKEYLOGFILE: {e}; TLS is not decrypted", err=True)
            return None
        fail(str(e))
    warn_keylog_lines(path, log.warnings)
    return log


def warn_keylog_lines(where: str, warnings: list) -> None:
    """One warning per key log line skipped ((line number, why) of KeyLog.warnings), the first few only."""
    for no, why in warnings[:KEYLOG_WARNINGS_SHOWN]:
        click.echo(f"wsdissect: warning: {where} line {no}: {why}; line ignored", err=True)
    if len(warnings) > KEYLOG_WARNINGS_SHOWN:
        click.echo(f"wsdissect: warning: {where}: {len(warnings) - KEYLOG_WARNINGS_SHOWN} more lines ignored",
                   err=True)


def warn_secrets(raw, source: str, block: int) -> None:
    """The warnings of a pcapng Decryption Secrets Block (`raw`, a model.Secrets, the `block`-th of the file
    `source`) whose TLS key log has lines that are no key log lines, as --keylog's bad lines get them. The
    analyzer skips such lines silently (tls.parse_keylog); this says which."""
    from ..model import SECRETS_TLS
    from ..tls import parse_keylog
    if raw.kind == SECRETS_TLS:
        warn_keylog_lines(f"{source}: Decryption Secrets Block {block}",
                          parse_keylog(raw.data.decode("utf-8", "replace")).warnings)


def follow_keylog(path: Optional[str]):
    """The tls.KeyLog of `live --keylog FILE` (or SSLKEYLOGFILE), None without one: read now and re-read when a
    connection's keys are not in it yet (the client writes them while the capture runs: tls.GrowingKeyLog), so
    a file that does not exist yet is no error. A directory is (exit 2)."""
    from ..tls import GrowingKeyLog
    if path is None:
        path = os.environ.get("SSLKEYLOGFILE") or None
        if path is None:
            return None
    if os.path.isdir(path):
        fail(f"cannot read the key log {path}: it is a directory")
    growing = GrowingKeyLog(path)
    growing.read()
    warn_keylog_lines(path, growing.log.warnings)
    return growing.log


# A key log with many bad lines (not a key log at all) warns about the first few only.
KEYLOG_WARNINGS_SHOWN = 5


def subprotocol_option(f):
    """--subprotocol NAME: read the messages of every WebSocket connection as NAME (wsdissect/app)."""
    from ..app import NAMES
    return click.option("--subprotocol", "subprotocol", type=click.Choice(NAMES), default=None,
                        help="Decode the messages of every WebSocket connection as this subprotocol, whatever "
                             "its handshake negotiated (default: the negotiated Sec-WebSocket-Protocol, when "
                             "wsdissect has a decoder for it).")(f)


def jobs_option(what: str):
    """-j/--jobs N: worker processes for a big capture file (wsdissect/parallel.py)."""
    return click.option("-j", "--jobs", type=click.IntRange(1, 16), default=None, metavar="N",
                        help=f"Processes that share the work {what} (default 1: one process). The output is the "
                             "same; --max-connections is shared out among them. Rarely faster: see the README.")


def lang_option(what: str, also: str = ""):
    """--lang en|zh; `what` says what it translates on this command, `also` anything to add."""
    return click.option("--lang", type=click.Choice(LANGS), default=DEFAULT_LANG, show_default=True,
                        help=f"Language of {what}: en (English) or zh (Chinese, 中文).{also}")


def explain_option(f):
    """--explain: read, live and demo."""
    return click.option("--explain", is_flag=True, help="Before each phase of a connection (TCP handshake, "
                        "WebSocket handshake, data transfer, closing), print a paragraph explaining it, citing "
                        "RFC 6455.")(f)


def row_options(f):
    """--strict and --explain: what read and live say about the rows they show."""
    f = explain_option(f)
    return click.option("--strict", is_flag=True,
                        help="Exit 1 when a protocol violation (an error note) was found.")(f)


def view_option(flow: str):
    """--view timeline|flow: read, live and demo; `flow` says how this command draws the ladder."""
    return click.option("--view", type=click.Choice(["timeline", "flow"]), default="timeline", show_default=True,
                        help=f"timeline: one explained row per packet. flow: {flow}")


def limit_options(f=None, *, summary: bool = True):
    """The named caps of limits.py, as options shared by every command that analyses packets. `summary=False`
    (as @limit_options(summary=False)) leaves out --max-summary-connections, for a command that decides how many
    connection records it keeps by itself (follow, show)."""
    if f is None:
        return lambda g: limit_options(g, summary=summary)
    opts = [
        click.option("--max-message", type=Size(), default=DEFAULT_LIMITS.max_message, show_default="16M",
                     help="Bytes of one message kept (and inflated) in memory; past it the message is cut. Control "
                          "frames (Close, Ping, Pong: 125 bytes at most) are always kept whole."),
        click.option("--max-reorder", type=Size(), default=DEFAULT_LIMITS.max_reorder, show_default="4M",
                     help="Out-of-order bytes buffered per TCP direction while waiting for a missing segment."),
        click.option("--max-header", type=Size(), default=DEFAULT_LIMITS.max_header, show_default="64k",
                     help="Bytes of one HTTP header accepted."),
        click.option("--max-connections", type=int, default=DEFAULT_LIMITS.max_connections, show_default=True,
                     help="Connections tracked at once; the least recently active is finished past it."),
        click.option("--max-summary-connections", type=click.IntRange(min=0),
                     default=DEFAULT_LIMITS.summary_connections, show_default=True,
                     help="Connections the summary lists in full (the first N); later ones are only counted once "
                          "finished (their --json records come as they finish), so memory stays flat. --view flow "
                          "still draws every connection."),
    ]
    if not summary:
        opts.pop()
    for opt in reversed(opts):
        f = opt(f)
    return f


def make_limits(max_message: int, max_reorder: int, max_header: int, max_connections: int,
                max_summary_connections: Optional[int] = DEFAULT_LIMITS.summary_connections) -> Limits:
    """The Limits of limit_options' values; max_summary_connections None: no cap (every record kept)."""
    return Limits(max_message=max_message, max_reorder=max_reorder, max_header=max_header,
                  max_connections=max(1, max_connections),
                  summary_connections=None if max_summary_connections is None else max(0, max_summary_connections))


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    click.echo(f"wsdissect: error: {message}", err=True)
    sys.exit(code)


def run(analyzer: Analyzer, packets: Iterable[RawPacket], *, as_json: bool = False, show_acks: bool = True,
        source: str = "", live: bool = False, out=None, keep: Optional[Callable[[Row], bool]] = None,
        lang: str = DEFAULT_LANG) -> None:
    """Feed packets through the analyzer and a renderer; the one loop `read` and `live` share.

    live=True flushes the output after every row, so rows show as the packets arrive (even through a pipe).
    Without `out`, the timeline (or JSON Lines) is written in `lang`."""
    if out is None:
        out = _writer(as_json, show_acks, live, lang)
    feed = analyzer.feed
    write_row = out.row
    if live and as_json:
        write_json_row = write_row

        def write_row(row, conn):
            write_json_row(row, conn)
            sys.stdout.flush()
    conns = analyzer.connections
    # Records of connections folded into the summary's counts (Limits.summary_connections) go to a writer that
    # takes them (JSON) after the row of the packet that finished them; the others need only the counts.
    write_folded = getattr(out, "folded", None)
    folded: list = []
    if write_folded is not None:
        getattr(analyzer, "analyzer", analyzer).on_fold = folded.append     # a DetailsTap wraps the Analyzer
    # Connections finished while the capture is read go to a writer that draws connection by connection (the
    # flow view), after the row of the packet that finished them.
    write_finished = getattr(out, "finished", None)
    finished: list = []
    if write_finished is not None:
        getattr(analyzer, "analyzer", analyzer).on_finish = finished.append
    it = iter(packets)
    truncated: Optional[CaptureTruncated] = None
    try:
        try:
            set_origin = getattr(out, "origin", None)
            for raw in it:
                if set_origin is not None and raw.ts is not None:     # a Secrets record has no time
                    set_origin(raw.ts)
                    set_origin = None
                row = feed(raw)
                if row is not None and (keep is None or keep(row)):
                    write_row(row, conns.get(row.conn) if row.conn is not None else None)
                if folded:
                    for c in folded:
                        write_folded(c)
                    folded.clear()
                    if live:
                        sys.stdout.flush()
                if finished:
                    for c in finished:
                        write_finished(c)
                    finished.clear()
        except CaptureTruncated as e:
            # Damage inside a readable file: everything before it was shown; say where it stopped.
            truncated = e
            analyzer.summary.capture_notes.append(truncation_note(source, str(e)))
        end_notes = analyzer.finish()
        out.end(analyzer.end_frames, analyzer.end_messages, end_notes)
        for c in folded:
            write_folded(c, at_end=True)
        folded.clear()
        snaplen_note(analyzer.summary)
        out.summary(analyzer.summary)
        sys.stdout.flush()
    except BrokenPipeError:
        # `wsdissect read x | head`: the reader left; that is not an error.
        _silence_stdout()
        return
    if truncated is not None:
        warn_truncated(source, [truncated])


def snaplen_note(summary) -> None:
    """The summary's note, once per capture, of the TCP packets cut short by the snaplen (counted by the
    analyzer, summed over parallel workers)."""
    if summary.snaplen_cut:
        args = {"n": summary.snaplen_cut, "kept": summary.snaplen_kept}
        if summary.snaplen_cut == 1:
            args["variant"] = "one"
        summary.capture_notes.append(Note(None, None, "warning", "capture-snaplen", args))


def truncation_note(source: str, error: str) -> Note:
    """The summary's note of a capture damaged part-way (analysed up to the damage)."""
    return Note(None, None, "error", "capture-truncated", {"source": source, "error": error})


def primed(packets: Iterator[RawPacket]) -> Iterator[RawPacket]:
    """Read the first packet before any output, so a file that is no capture at all fails with one line and
    nothing else; damage found at the first record is still reported as a truncated capture."""
    try:
        first = next(packets)
    except StopIteration:
        return iter(())
    except CaptureTruncated as e:
        return _raising(e)
    return itertools.chain((first,), packets)


def _raising(error: Exception) -> Iterator[RawPacket]:
    raise error
    yield  # pragma: no cover -- makes this a generator that raises when first read


class QuietConsole(Console):
    """A rich Console whose broken pipe (`| head`) reaches our run loop, which ends with exit 0; rich's
    default handler exits 1, and 1 means "--strict found violations" here.

    On a "dumb" terminal (TERM=dumb: Emacs, some CI runners) rich lays out 80 columns whatever the width it is
    given, and ignores COLUMNS, unless it is given a height too: so --width and COLUMNS get one here."""

    def __init__(self, *args, width: Optional[int] = None, **kwargs) -> None:
        if width is None:
            columns = os.environ.get("COLUMNS", "")
            width = int(columns) if columns.isdigit() and int(columns) > 0 else None
        if width is not None:
            kwargs.setdefault("height", 25)
        super().__init__(*args, width=width, **kwargs)

    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise BrokenPipeError


def _silence_stdout() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _writer(as_json: bool, show_acks: bool, live: bool = False, lang: str = DEFAULT_LANG):
    if as_json:
        from ..render.jsonl import JsonLinesWriter
        return JsonLinesWriter(sys.stdout, lang)
    from ..render.timeline import TimelinePrinter
    return TimelinePrinter(QuietConsole(highlight=False, soft_wrap=False), show_acks=show_acks, live=live,
                           lang=lang)


@contextlib.contextmanager
def capture_errors(capture: str) -> Iterator[None]:
    """The one-line messages and exit codes `read` gives for a capture that cannot be read, for the commands
    that read a whole capture before printing (show, follow, stats). A capture damaged part-way is analysed
    up to the damage, with a warning, by the command itself (see `warn_truncated`)."""
    try:
        yield
    except FileNotFoundError:
        fail(cannot_read(capture, "no such file"))
    except IsADirectoryError:
        fail(cannot_read(capture, "it is a directory"))
    except PermissionError:
        fail(cannot_read(capture, "permission denied"))
    except CaptureError as e:
        fail(cannot_read(capture, str(e)))
    except KeyboardInterrupt:
        sys.exit(EXIT_INTERRUPTED)
    except BrokenPipeError:
        _silence_stdout()
    except Exception as e:  # noqa: BLE001 -- a bug of ours still gets one line, not a traceback
        if os.environ.get("WSDISSECT_DEBUG"):
            raise
        fail(f"internal error: {type(e).__name__}: {e} (a bug; WSDISSECT_DEBUG=1 shows the traceback)",
             EXIT_INTERNAL)


def until_damage(packets, capture: str, damage: list):
    """Yield packets until the file's damage; the CaptureTruncated is kept in `damage` for a warning later."""
    try:
        yield from packets
    except CaptureTruncated as e:
        damage.append(e)


def warn_truncated(capture: str, damage: list) -> None:
    if damage:
        click.echo(f"wsdissect: warning: {capture}: {damage[0]} (packets before it were analysed)", err=True)


# --- --export: a view saved as a terminal shows it (read, show, follow, stats share this) -------------------

EXPORT_EXTENSIONS = (".svg", ".html", ".htm", ".txt")


def export_options(f=None, *, export_help: Optional[str] = None):
    """--export FILE and --width N, the same on every command that draws a view (`@export_options`;
    `@export_options(export_help=...)` where --export does something else than replace the output)."""
    if f is None:
        return lambda f: export_options(f, export_help=export_help)
    opts = [
        click.option("--export", type=click.Path(dir_okay=False, writable=True, path_type=str), metavar="FILE",
                     help=export_help or "Write the view as it looks in a terminal, colours included, to FILE.svg, "
                          ".html or .txt (instead of printing it)."),
        click.option("--width", type=click.IntRange(60, 400), help="Columns to lay the view out for (default: "
                     "the terminal's; 100 for --export)."),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def check_export(path: Optional[str]) -> None:
    """Exit 2 with one line unless `path` (when given) names a format --export writes."""
    if path and os.path.splitext(path)[1].lower() not in EXPORT_EXTENSIONS:
        fail(f"--export {path}: the name must end in .svg, .html or .txt")


def view_console(export: Optional[str] = None, width: Optional[int] = None) -> Console:
    """The console a view is drawn on: the terminal (stdout), or, with --export, a recording one that lays the
    view out as a colour terminal `width` columns wide (100 by default) whatever stdout is."""
    if export:
        import io
        return Console(record=True, file=io.StringIO(), width=width or 100, height=25, force_terminal=True,
                       color_system="truecolor", highlight=False, soft_wrap=False)
    return QuietConsole(highlight=False, soft_wrap=False, width=width)


_SVG_TEXT = re.compile(r'<text ([^>]*?)x="([0-9.]+)" y="([0-9.]+)" textLength="([0-9.]+)"([^>]*)>([^<]*)</text>')


def svg_fixups(svg: str) -> str:
    """Rich's SVG, made to lay out as the terminal does in more renderers.

    Leading spaces carry the layout; renderers outside browsers (librsvg, hence many document tools) collapse
    them unless told to preserve whitespace. And rich gives a text run `textLength` = characters × cell
    width, so a run holding wide characters (Chinese, two cells each) is squeezed into too few cells even in a
    browser, and renderers that ignore textLength draw the wide glyphs 1 em wide instead of 2 cells. Glyphs a
    monospace font may lack (▶, ✓...) come from a proportional fallback font and push the rest of their run
    off its cells in those renderers. Such runs are split here, each of those characters placed in its own
    cells (box-drawing lines stay in their runs: monospace fonts have them)."""
    import html

    from rich.cells import cell_len

    def alone(ch: str) -> bool:
        return ch > "\x7e" and ch != "\xa0" and not "\u2500" <= ch <= "\u257f"

    def split(m: re.Match) -> str:
        pre, x, y, length, post, body = m.groups()
        text = html.unescape(body)
        if text.isascii() or not any(alone(ch) for ch in text):
            return m.group(0)
        cw = float(length) / len(text)            # rich's cell width
        out, run, at, run_at = [], "", 0, 0

        def tag(s: str, cells_at: int, cells: int) -> None:
            body = html.escape(s).replace(" ", "&#160;").replace("\xa0", "&#160;")
            out.append(f'<text {pre}x="{float(x) + cells_at * cw:g}" y="{y}" textLength="{cells * cw:g}"{post}>'
                       f'{body}</text>')

        for ch in text:
            w = cell_len(ch)
            if w and alone(ch):
                if run:
                    tag(run, run_at, at - run_at)
                    run = ""
                tag(ch, at, w)
            else:
                if not run:
                    run_at = at
                run += ch
            at += w
        if run:
            tag(run, run_at, at - run_at)
        return "".join(out)

    svg = _SVG_TEXT.sub(split, svg)
    return _svg_room(svg).replace("<svg ", '<svg xml:space="preserve" ', 1)


# Room for monospace fonts a little wider than the 0.6 em cell the SVG is laid out in (DejaVu Sans Mono and
# Menlo: 0.602 em; librsvg's usual fallback): their last column would otherwise be clipped.
SVG_FONT_SLACK = 0.03
_SVG_CLIP_WIDTH = re.compile(r'(<clipPath id="[^"]*-(?:clip-terminal|line-\d+)">\s*<rect x="0" y="[0-9.]+" width=")'
                             r'([0-9.]+)(")')
_SVG_BOX = re.compile(r'(viewBox="0 0 )([0-9.]+)( [0-9.]+")')
_SVG_CHROME = re.compile(r'(<rect fill="#[0-9a-fA-F]{6}" stroke="[^"]*" stroke-width="1" x="1" y="1" width=")'
                         r'([0-9.]+)(")')
_SVG_TITLE = re.compile(r'(text-anchor="middle" x=")([0-9.]+)(")')


def _svg_room(svg: str) -> str:
    """Rich clips each line at exactly columns × 0.6 em, and its window and viewBox leave 8 px past that: a
    renderer that ignores textLength (librsvg) draws the text at the font's own advance, so with a font wider
    than 0.6 em the last column was cut. The clip paths, window, title and viewBox are widened by
    SVG_FONT_SLACK of the text's width (whole pixels); a browser, which fits each run to its textLength,
    shows the same columns with a little more margin on the right."""
    m = _SVG_CLIP_WIDTH.search(svg)
    if m is None:
        return svg
    extra = max(12, round(float(m.group(2)) * SVG_FONT_SLACK))

    def wider(m: re.Match) -> str:
        return f"{m.group(1)}{float(m.group(2)) + extra:g}{m.group(3)}"

    def centre(m: re.Match) -> str:
        return f"{m.group(1)}{float(m.group(2)) + extra // 2:g}{m.group(3)}"

    svg = _SVG_CLIP_WIDTH.sub(wider, svg)
    svg = _SVG_BOX.sub(wider, svg, count=1)
    svg = _SVG_CHROME.sub(wider, svg, count=1)
    return _SVG_TITLE.sub(centre, svg, count=1)


_HTML_TEXT = re.compile(r">([^<]+)<")


def html_fixups(page: str) -> str:
    """Rich's HTML, made to keep the terminal's columns in a browser. The page is a <pre> in a monospace font,
    but a Chinese character comes from a CJK font, 1 em wide where its two cells are 1.2 em (2ch): a Chinese
    column head drifted left of its column, more with every character. Likewise a glyph the monospace font
    lacks (→ ✓ ⚠...) takes its fallback font's width. Each such character is put in an inline box exactly as
    many cells wide as the terminal gives it (1ch or 2ch); ASCII and box-drawing runs are left as they are."""
    import html
    import unicodedata

    from rich.cells import cell_len

    def alone(ch: str) -> bool:
        return ch > "\x7e" and ch != "\xa0" and not "\u2500" <= ch <= "\u257f"

    def fix(m: re.Match) -> str:
        body = m.group(1)
        text = html.unescape(body)
        if text.isascii() or not any(alone(ch) for ch in text):
            return m.group(0)
        out: list[str] = []
        for ch in text:
            w = cell_len(ch)
            if w and alone(ch):
                out.append(f'<span class="wsd-c{min(w, 2)}">{html.escape(ch, quote=False)}</span>')
            elif not w and out and out[-1].endswith("</span>") and unicodedata.category(ch) in ("Mn", "Me"):
                out[-1] = out[-1][:-7] + html.escape(ch, quote=False) + "</span>"   # a combining mark: in its box
            else:
                out.append(html.escape(ch, quote=False))
        return ">" + "".join(out) + "<"

    head, sep, body = page.partition("<body>")
    if not sep:
        return page
    style = ".wsd-c1, .wsd-c2 {display: inline-block}\n.wsd-c1 {width: 1ch}\n.wsd-c2 {width: 2ch}\n"
    return head.replace("</style>", style + "</style>", 1) + sep + _HTML_TEXT.sub(fix, body)


def save_export(console: Console, path: str, title: str) -> None:
    """Write what the recording `console` (from view_console) received to `path` (.svg, .html or .txt), then
    say so on stderr. Nothing of the view goes to stdout."""
    ext = os.path.splitext(path)[1].lower()
    try:
        if ext == ".svg":
            # Cells 0.6 em wide, the advance of common monospace fonts (Fira Code, DejaVu Sans Mono, Liberation
            # Mono): renderers that ignore textLength (librsvg) then keep long lines in their columns.
            svg = svg_fixups(console.export_svg(title=title, font_aspect_ratio=0.6))
            with open(path, "w", encoding="utf-8") as f:
                f.write(svg)
        elif ext in (".html", ".htm"):
            page = html_fixups(console.export_html())
            with open(path, "w", encoding="utf-8") as f:
                f.write(page)
        else:
            console.save_text(path)
    except OSError as e:
        fail(f"cannot write {path}: {e.strerror or e}")
    click.echo(f"wsdissect: wrote {path}", err=True)


# --- views and display filters: `read` and `live` share these ------------------------------------------------

def filter_options(f):
    """--conn, --role, --grep and --hide-acks: which rows a view shows (the analysis sees every packet)."""
    opts = [
        click.option("--conn", "conns", type=click.IntRange(0), multiple=True, metavar="N",
                     help="Show only connection N (repeatable). The summary still covers the whole capture."),
        click.option("--role", "roles", metavar="ROLE[,ROLE]",
                     help="Show only rows with these roles, e.g. ws-data,ws-close."),
        click.option("--grep", metavar="REGEX",
                     help="Show only rows carrying a message (or frame) whose text matches, or whose "
                          "decoded subprotocol fields do (name=value, e.g. '^event=upload$')."),
        click.option("--hide-acks", is_flag=True, help="Leave out bare ACKs that carry nothing worth a note."),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def row_filter(conns: tuple, roles: Optional[str], grep: Optional[str], hide_acks: bool):
    """The RowFilter of filter_options' values; a bad role or pattern is a usage error (one line, exit 2)."""
    from ..filters import RowFilter, parse_roles
    try:
        return RowFilter(conns, parse_roles(roles) if roles else (), grep, hide_acks)
    except ValueError as e:
        fail(str(e))
    except Exception as e:  # re.error: a bad --grep pattern
        fail(f"--grep {grep!r} is not a valid regular expression: {e}")


def check_views(*, as_json: bool, view: str = "timeline", fmt: str = "text", explain: bool = False,
                export: Optional[str] = None, details: bool = False) -> None:
    """The options that do not go together, each refused with one line (exit 2)."""
    if as_json and view != "timeline":
        fail(f"--json writes JSON Lines; it does not go with --view {view}")
    if explain and (as_json or view != "timeline"):
        fail("--explain goes with the timeline view; it does not go with --json or --view flow")
    if export and (as_json or fmt == "mermaid"):
        fail("--export draws a terminal view; it does not go with --json or --format mermaid")
    if fmt == "mermaid" and view != "flow":
        fail("--format mermaid needs --view flow")
    if details and (as_json or view != "timeline"):
        fail("--details prints each packet's tree; it does not go with --json or --view flow")
    check_export(export)


def view_writer(view: str, fmt: str, as_json: bool, export: Optional[str], width: Optional[int],
                lang: str = DEFAULT_LANG, live: bool = False, console: Optional[Console] = None):
    """(console or None, writer) for the chosen view. live=True: rows and arrows are drawn (and flushed) as
    they come, for a live capture. `console`: the one to draw on (several captures on one console)."""
    if as_json:
        from ..render.jsonl import JsonLinesWriter
        return None, JsonLinesWriter(sys.stdout, lang)
    if console is None:
        console = view_console(export, width)
    if view == "flow":
        from ..render.flow import FlowPrinter, MermaidPrinter
        if fmt == "mermaid":
            return None, MermaidPrinter(sys.stdout, lang=lang)
        return console, FlowPrinter(console, lang=lang, live=live)
    from ..render.timeline import TimelinePrinter
    return console, TimelinePrinter(console, lang=lang, live=live)
