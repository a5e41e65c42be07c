"""`wsdissect worksheet CAPTURE`: questions about one capture for a lab, its answer key, and marking."""
from __future__ import annotations

import os
import sys

import click

from .common import EXIT_STRICT, capture_errors, decode_as_option, fail, lang_option, limit_options, \
    make_limits, primed, until_damage, warn_truncated

HTML_EXTENSIONS = (".html", ".htm")


@click.command()
@click.argument("capture", type=click.Path(path_type=str))      # a directory: one line (capture_errors)
@click.option("--answers", is_flag=True, help="Write the answer key: every answer computed from this capture, "
              "how it is derived, and a filled TCP table (raw and relative SEQ/ACK, the ACK = SEQ + length "
              "check).")
@click.option("-o", "--output", metavar="FILE", help="Write to FILE: HTML for .html/.htm, Markdown otherwise "
              "(default: Markdown on standard output).")
@click.option("--conn", type=click.IntRange(0), metavar="N", help="Ask about connection N (as numbered by "
              "`read`; default: the first WebSocket connection).")
@click.option("--check", "check", metavar="ANSWERS", type=click.Path(dir_okay=False, path_type=str),
              help="Mark a student's answer file (one `id: answer` line per question) against this capture; "
                   "exit 0 when every answer is right, 1 otherwise.")
@decode_as_option
@lang_option("the questions and answers")
@limit_options(summary=False)
def worksheet(capture: str, answers: bool, output: str, conn: int, check: str, decode_as: tuple, lang: str,
              **caps) -> None:
    """Write a lab worksheet about CAPTURE: questions on its TCP handshake, HTTP Upgrade, Sec-WebSocket-Accept,
    masking, close and timing, each answered by this capture alone (another student's capture gives other
    answers). --answers adds the key; --check marks a student's answers."""
    from ..render.worksheet import compose, html, markdown, marks_text
    from ..worksheet import NoConnection, build, decode_answers, mark, parse_answers
    from .progress import open_tracked

    given = None
    if check:
        try:
            with open(check, "rb") as f:
                given, unreadable = parse_answers(decode_answers(f.read()))
        except OSError as e:
            fail(f"cannot read {check}: {e.strerror or e}")
        except ValueError as e:
            fail(f"cannot read {check}: {e}")
    damage: list = []
    with capture_errors(capture):
        try:
            sheet = build(until_damage(primed(open_tracked(capture)), capture, damage), conn=conn,
                          limits=make_limits(**caps), decode_as=decode_as)
        except NoConnection:
            fail(f"{capture}: no TCP connection {conn} in this capture" if conn is not None
                 else f"{capture}: no TCP connection in this capture")
    warn_truncated(capture, damage)
    if given is not None:
        marks = mark(sheet.answers(), given)
        click.echo("\n".join(marks_text(marks, lang, unreadable)))
        if any(m[1] != "right" for m in marks):
            sys.exit(EXIT_STRICT)      # like --strict: done, and something is not right
        return
    blocks = compose(sheet, os.path.basename(capture), lang=lang, answers=answers,
                     packets=len(sheet.table) + sheet.table_cut)
    as_html = bool(output) and output.lower().endswith(HTML_EXTENSIONS)
    text = html(blocks, lang) if as_html else markdown(blocks)
    if not output:
        click.echo(text, nl=False)
        return
    try:
        with open(output, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as e:
        fail(f"cannot write {output}: {e.strerror or e}")
