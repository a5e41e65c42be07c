"""A worksheet's words: questions about one capture, its answer key, and a student's marks, in Markdown or HTML.

`compose(sheet, ...)` turns the facts of worksheet.py into blocks (headings, paragraphs, numbered questions with
their answers, the teacher's TCP table), every sentence from the i18n catalogue; `markdown(blocks)` and
`html(blocks)` write them out, so both formats say the same thing.
"""
from __future__ import annotations

import html as _html
from typing import Optional

from ..http import WS_GUID
from ..i18n import DEFAULT_LANG, catalog
from ..model import C2S
from ..worksheet import Worksheet

__all__ = ["compose", "markdown", "html", "marks_text"]

TOKENS = {"seq": "SEQ", "ack": "ACK"}            # column heads that are the protocol's own names, in any language
PLAIN_CHECK = "{ack} = {seq} + {len}"            # the table's check when the peer's segment had no SYN or FIN


def compose(w: Worksheet, capture: str, lang: str = DEFAULT_LANG, answers: bool = False,
            packets: Optional[int] = None) -> list:
    """Blocks: ("h1", text), ("p", text), ("h2", text), ("q", number, id, question, [answer lines]),
    ("table", header, rows, note or None). Answer lines and the table come only with `answers`."""
    t = catalog(lang)
    c = w.conn
    key = w.answers()
    for qid in _WORDS:                                   # the key in the page's language; --check takes both
        if qid in key:
            key[qid] = _in_words(qid, key[qid], t)
    title = t["sheet.title_answers" if answers else "sheet.title"].format(capture=capture)
    blocks: list = [("h1", title), ("p", t["sheet.intro"].format(
        conn=c.id, client=c.client, server=c.server, packets=packets if packets is not None else len(w.table),
        capture=capture))]
    n = 0

    def q(qid: str, text: str, why: tuple = ()) -> None:
        nonlocal n
        n += 1
        lines = []
        if answers:
            if qid in key:
                lines.append(t["sheet.answer"].format(answer=f"`{key[qid]}`"))
            lines += list(why)
        blocks.append(("q", n, qid, text, lines))

    blocks.append(("h2", t["sheet.part_tcp"]))
    q("client", t["sheet.q.client"])
    q("server", t["sheet.q.server"])
    if w.syn is not None:
        q("syn_seq_raw", t["sheet.q.syn_seq_raw"].format(no=w.syn.no), (t["sheet.a.syn_seq_raw"],))
        q("syn_seq_relative", t["sheet.q.syn_seq_relative"], (t["sheet.a.syn_seq_relative"],))
    if w.synack is not None and w.synack.ack_raw is not None:
        why = (t["sheet.a.synack_ack_raw"].format(isn=w.syn.seq_raw, ack=w.synack.ack_raw),) if w.syn else ()
        q("synack_ack_raw", t["sheet.q.synack_ack_raw"].format(no=w.synack.no), why)
        q("synack_ack_relative", t["sheet.q.synack_ack_relative"])

    if w.request is not None:
        blocks.append(("h2", t["sheet.part_http"]))
        q("request_line", t["sheet.q.request_line"].format(no=w.request_no),
          tuple(f"`{line}`" for line in w.upgrade_headers()))
        if "upgrade" in key:
            q("upgrade", t["sheet.q.upgrade"])
        if "websocket_version" in key:
            q("websocket_version", t["sheet.q.websocket_version"])
        if c.key:
            q("sec_websocket_key", t["sheet.q.sec_websocket_key"])
        if w.accept is not None:
            joined, digest, accept = w.accept
            why = [t["sheet.a.joined"].format(joined=f"`{joined}`"), t["sheet.a.sha1"].format(hex=f"`{digest.hex()}`"),
                   t["sheet.a.base64"].format(accept=f"`{accept}`")]
            if c.accept is None:
                why.append(t["sheet.a.accept_missing"])
            else:
                ok = c.accept.strip() == accept
                why.append(t["sheet.a.accept_match" if ok else "sheet.a.accept_mismatch"].format(
                    accept=f"`{c.accept}`"))
            q("sec_websocket_accept", t["sheet.q.sec_websocket_accept"].format(
                guid=f"`{WS_GUID}`", no=w.response_no if w.response_no is not None else "?"), tuple(why))

    if w.mask_key is not None:
        blocks.append(("h2", t["sheet.part_frames"]))
        q("mask_key", t["sheet.q.mask_key"].format(no=w.frame_no))
        why = [t["sheet.a.first_bytes"].format(masked=f"`{w.masked.hex()}`", key=f"`{w.mask_key.hex()}`",
                                                unmasked=f"`{w.unmasked.hex()}`")]
        if w.unmasked.isascii() and w.unmasked.decode("ascii").isprintable():
            why.append(t["sheet.a.first_text"].format(text=f"`{w.unmasked.decode('ascii')}`"))
        q("first_bytes", t["sheet.q.first_bytes"].format(n=len(w.unmasked), masked=w.masked.hex()), tuple(why))

    if w.fin is not None:
        blocks.append(("h2", t["sheet.part_end"]))
        side = t["side.client" if w.fin.direction == C2S else "side.server"]
        q("first_fin_by", t["sheet.q.first_fin_by"].format(no=w.fin.no))
        why = (t["sheet.a.close_yes"].format(code=w.close_code if w.close_code is not None else "—"),) \
            if w.close_frames else (t["sheet.a.close_no"].format(side=side),)
        q("close_frame", t["sheet.q.close_frame"], why)
        if w.idle_data is not None:
            why = ()
            if w.idle_control is not None:
                why = (t["sheet.a.idle_control"].format(seconds=f"{w.idle_data:.3f}", control=f"{w.idle_control:.3f}",
                                                        no=w.last_control_no),)
            q("idle_seconds", t["sheet.q.idle_seconds"].format(last=w.last_data_no, fin=w.fin.no), why)
    if w.ping_ms is not None:
        q("ping_pong_ms", t["sheet.q.ping_pong_ms"].format(ping=w.ping_no, pong=w.pong_no))

    if answers and w.table:
        blocks.append(("h2", t["sheet.part_table"]))
        head = [TOKENS.get(k) or t[f"sheet.col.{k}"] for k in ("no", "time", "dir", "flags", "seq_raw", "seq",
                                                                 "ack_raw", "ack", "len", "check")]
        rows = []
        for ln in w.table:
            check = ""
            if ln.check is not None:
                ack, pseq, plen, extra, ok = ln.check
                check = (t["sheet.check_extra"] if extra else PLAIN_CHECK).format(ack=ack, seq=pseq, len=plen)
                check += " ✓" if ok else " ✗"
            rows.append([str(ln.no), f"{ln.t:.6f}", "→" if ln.direction == C2S else "←", ln.flags,
                         str(ln.seq_raw), str(ln.seq), "" if ln.ack_raw is None else str(ln.ack_raw),
                         "" if ln.ack is None else str(ln.ack), str(ln.length), check])
        cut = t["sheet.table_cut"].format(n=w.table_cut) if w.table_cut else None
        blocks.append(("table", head, rows, cut))
        blocks.append(("p", t["sheet.table_times"].format(no=w.table[0].no)))
    return blocks


def markdown(blocks: list) -> str:
    out = []
    for b in blocks:
        if b[0] == "h1":
            out += [f"# {b[1]}", ""]
        elif b[0] == "h2":
            out += [f"## {b[1]}", ""]
        elif b[0] == "p":
            out += [b[1], ""]
        elif b[0] == "q":
            _, n, qid, text, lines = b
            out.append(f"{n}. **[{qid}]** {text}")
            out += [f"    - {ln}" for ln in lines]
            out.append("")
        elif b[0] == "table":
            _, head, rows, cut = b
            out.append("| " + " | ".join(head) + " |")
            out.append("|" + "|".join("---:" if i in (0, 1, 4, 5, 6, 7, 8) else "---" for i in range(len(head))) + "|")
            out += ["| " + " | ".join(r) + " |" for r in rows]
            if cut:
                out += ["", cut]
            out.append("")
    return "\n".join(out)


_CSS = ("body{font-family:system-ui,-apple-system,'Segoe UI','Noto Sans CJK SC','PingFang SC','Microsoft YaHei',"
        "sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#222}"
        "code{font-family:ui-monospace,'DejaVu Sans Mono',monospace;background:#f3f3f3;padding:0 .2em}"
        "li{margin:.6em 0}.qid{color:#666;font-family:ui-monospace,monospace}.a{color:#075;margin:.2em 0}"
        "table{border-collapse:collapse;font-size:.85rem}td,th{border:1px solid #ccc;padding:.15em .4em}"
        "td{text-align:right;font-family:ui-monospace,monospace}td:nth-child(3){text-align:center}"
        "td:last-child{text-align:left}@media print{body{margin:0}}")


def html(blocks: list, lang: str = DEFAULT_LANG) -> str:
    """A self-contained page (no external resource) saying what markdown(blocks) says."""
    title = next((b[1] for b in blocks if b[0] == "h1"), "")
    out = [f'<!DOCTYPE html>\n<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
           f"<title>{_inline(title)}</title><style>{_CSS}</style></head><body>"]
    in_list = False
    for b in blocks:
        if b[0] != "q" and in_list:
            out.append("</ol>")
            in_list = False
        if b[0] == "h1":
            out.append(f"<h1>{_inline(b[1])}</h1>")
        elif b[0] == "h2":
            out.append(f"<h2>{_inline(b[1])}</h2>")
        elif b[0] == "p":
            out.append(f"<p>{_inline(b[1])}</p>")
        elif b[0] == "q":
            _, n, qid, text, lines = b
            if not in_list:
                out.append(f'<ol start="{n}">')
                in_list = True
            answers = "".join(f'<div class="a">{_inline(ln)}</div>' for ln in lines)
            out.append(f'<li><span class="qid">[{qid}]</span> {_inline(text)}{answers}</li>')
        elif b[0] == "table":
            _, head, rows, cut = b
            out.append("<table><tr>" + "".join(f"<th>{_html.escape(h)}</th>" for h in head) + "</tr>")
            out += ["<tr>" + "".join(f"<td>{_html.escape(c)}</td>" for c in r) + "</tr>" for r in rows]
            out.append("</table>")
            if cut:
                out.append(f"<p>{_inline(cut)}</p>")
    if in_list:
        out.append("</ol>")
    out.append("</body></html>\n")
    return "\n".join(out)


def _inline(text: str) -> str:
    """Escape, then turn `code` spans into <code>."""
    parts = _html.escape(text).split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


def marks_text(marks: list, lang: str = DEFAULT_LANG, unreadable: list = ()) -> list:
    """One line per mark of worksheet.mark(), one per line of the answer file that is not "id: answer"
    (parse_answers), then the score line."""
    t = catalog(lang)
    out = []
    for qid, verdict, given, want in marks:
        line = f"{qid}: {t['sheet.mark.' + verdict]}"
        if verdict in ("wrong", "missing"):
            line += t["paren"].format(text=t["sheet.mark.expected"].format(answer=_in_words(qid, want, t)))
        out.append(line)
    out += [t["sheet.mark.unreadable"].format(n=n, line=text) for n, text in unreadable]
    total = sum(1 for m in marks if m[1] != "unknown")
    out.append(t["sheet.mark.score"].format(right=sum(1 for m in marks if m[1] == "right"), total=total))
    return out


_WORDS = {"first_fin_by": {"client": "side.client", "server": "side.server"},
          "close_frame": {"yes": "sheet.yes", "no": "sheet.no"}}


def _in_words(qid: str, answer: str, t: dict) -> str:
    """An answer as the key shows it: a side or yes/no in the page's language, the word --check takes beside it
    ("服务端（server）"); other answers as they are."""
    words = _WORDS.get(qid)
    if words is None or answer not in words or t[words[answer]] == answer:
        return answer
    return t[words[answer]] + t["paren"].format(text=answer)
