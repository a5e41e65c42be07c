"""`wsdissect report FILE -o lab.html`: the lab page, one HTML file that works offline (render/report.py)."""
from __future__ import annotations

import os

import click

from .common import capture_errors, decode_as_option, fail, keylog_option, lang_option, limit_options, load_keylog, \
    make_limits, primed, truncation_note, until_damage, warn_truncated


def check_report_path(path: str, option: str = "-o") -> None:
    """Exit 2 with one line unless `path` names an .html file."""
    if os.path.splitext(path)[1].lower() not in (".html", ".htm"):
        fail(f"{option} {path}: the lab page is HTML; the name must end in .html or .htm")


def save_report(data: dict, path: str) -> None:
    """Write the page, then say so on stderr; a file that cannot be written is one line and exit 2."""
    from ..render.report import write_report
    try:
        write_report(path, data)
    except OSError as e:
        fail(f"cannot write {path}: {e.strerror or e}")
    click.echo(f"wsdissect: wrote {path}", err=True)


@click.command()
@click.argument("capture", type=click.Path(dir_okay=False, path_type=str))
@click.option("-o", "--output", "output", required=True, metavar="FILE.html",
              type=click.Path(dir_okay=False, writable=True, path_type=str),
              help="The page to write: one self-contained HTML file, no network needed to open it.")
@decode_as_option
@keylog_option
@lang_option("the page when it opens", " Both languages are in the page: a button switches them.")
@limit_options
def report(capture: str, output: str, decode_as: tuple, keylog: str | None, lang: str, **caps) -> None:
    """Write the lab page of a capture: the packet list coloured by phase, each packet's fields and bytes, the
    ladder of each connection, the explanations, the summary and the stats, in English and Chinese (a switch in
    the page)."""
    from .progress import open_tracked

    check_report_path(output)
    keys = load_keylog(keylog)
    damage: list = []
    with capture_errors(capture):
        data = report_data(until_damage(primed(open_tracked(capture)), capture, damage), capture, damage,
                           make_limits(**caps), decode_as, lang, keys)
        save_report(data, output)
    warn_truncated(capture, damage)


def report_data(packets, capture: str, damage: list, limits, decode_as: tuple = (), lang: str = "en",
                keylog=None) -> dict:
    """The page's data for `packets` (read to the end here), opening in `lang`; a damage found meanwhile
    (`damage`, filled by until_damage) becomes a note of the summary."""
    from ..render.report import ReportBuilder

    builder = ReportBuilder(limits, decode_as, keylog=keylog)
    for raw in packets:
        builder.feed(raw)
    return builder.finish(capture, [truncation_note(capture, str(damage[0]))] if damage else (), lang)


# --- --report FILE.html on live and demo: the page of the session, written when it ends ----------------------

def report_option(f):
    return click.option("--report", "report", metavar="FILE.html", type=click.Path(dir_okay=False, path_type=str),
                        help="Also write the lab page of the session (what `wsdissect report` makes of a capture) "
                             "to FILE.html when it ends. The packets are kept for it until then: for "
                             "lab-sized sessions.")(f)


class SessionReport:
    """The lab page of a live session or of demo: each packet goes through a ReportBuilder as it passes
    (`tap`), and the page is written when the session ends (`save`)."""

    def __init__(self, path: str, limits, decode_as: tuple, source: str, lang: str = "en", keylog=None) -> None:
        from ..render.report import ReportBuilder
        from .live import check_writable
        check_report_path(path, "--report")
        check_writable(path)
        self.path, self.source, self.lang = path, source, lang
        self.builder = ReportBuilder(limits, decode_as, keylog=keylog)

    def tap(self, packets):
        feed = self.builder.feed
        for raw in packets:
            feed(raw)
            yield raw

    def save(self, capture_notes: list = ()) -> None:
        """Write the page; `capture_notes`: notes about the capture (the kernel's drops...)."""
        save_report(self.builder.finish(self.source, capture_notes, self.lang), self.path)
