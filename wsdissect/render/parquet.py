"""Tables (`read --parquet DIR`, `batch`): the JSON Lines records as typed columns, one Parquet table each.

A writer like JsonLinesWriter (row / end / folded / summary): each record is built by render/jsonl.py's
`*_record()` functions, the definition of the contract, and only then put in columns, so a table's columns are
its record's fields (README "JSON Lines"), in the same order and with the same values, plus:

- `conn_id` (every table): the connection's stable id, `communityid.connection_uid` of its Community ID and
  first timestamp (the connection record carries it too, with `community_id`); null for a packet of no
  connection;
- `file` (packets): the capture file the packet came from (the JSON `file` field; here always set).

A few fields are not scalars: `notes` (packets) is a list of codes, `tls` a list of records (packets) or a
struct (connections), `messages`/`frames`/`bytes` (connections) a struct of `c2s` and `s2c`; a message's `app`
(records whose fields are the peers' own values, any JSON) is kept as its JSON text.

Each table is a directory of part files, `DIR/<table>/<part>.parquet`: one part per capture (a group of files
read as one) a run writes. A part is written as `.<part>.parquet.tmp` and renamed when complete, so a reader
never sees half a part. Rows are handed to pyarrow in batches (PARQUET_BATCH_ROWS per table, or
PARQUET_BATCH_BYTES of message bodies), so memory follows the batch, not the capture.
"""
from __future__ import annotations

import json
import os
from operator import itemgetter
from typing import Callable, Optional

from ..i18n import DEFAULT_LANG
from ..model import CaptureSummary, Connection, Row
from .jsonl import connection_ids, connection_record, frame_record, message_record, note_record, packet_record
from .labels import LabelWords

TABLES = ("packets", "frames", "messages", "connections", "notes")

# Rows of one table buffered before they are written out as a row group; and the bytes of message bodies
# (text or base64, each at most jsonl.JSON_DATA_LIMIT) buffered before the messages are, whatever their count.
PARQUET_BATCH_ROWS = 32_768
PARQUET_BATCH_BYTES = 8 * 1024 * 1024

# The fields a record of each table may leave out (JSON writes them only when they apply): null in the table.
_OPTIONAL = {"packets": ("tls",), "messages": ("text", "data_b64", "app"), "connections": ("tls",)}


def schemas() -> dict:
    """table -> pyarrow schema: the record's fields in its order (`type` left out, `conn_id` and `file` added)."""
    import pyarrow as pa
    i, f, s, b = pa.int64(), pa.float64(), pa.string(), pa.bool_()
    per_dir = pa.struct([("c2s", i), ("s2c", i)])
    tls_rec = pa.struct([("record", i), ("dir", s), ("kind", s), ("len", i), ("decrypted", b),
                         ("handshake", pa.list_(s))])
    tls_conn = pa.struct([("version", s), ("cipher", s), ("sni", s), ("alpn", s), ("client_random", s),
                          ("decrypted", b), ("handshake_latency", f)])
    cols = {
        "packets": [("no", i), ("file", s), ("ts", f), ("conn", i), ("conn_id", s), ("dir", s), ("src", s),
                    ("dst", s), ("flags", s), ("seq", i), ("ack", i), ("len", i), ("frame_len", i),
                    ("protocol", s), ("role", s), ("label", s), ("info", s), ("notes", pa.list_(s)),
                    ("tls", pa.list_(tls_rec))],
        "frames": [("no", i), ("first_no", i), ("conn", i), ("conn_id", s), ("dir", s), ("fin", b), ("rsv", i),
                   ("opcode", i), ("opcode_name", s), ("masked", b), ("mask_key", s), ("length", i),
                   ("header_len", i), ("payload_missing", i), ("close_code", i), ("close_reason", s)],
        "messages": [("conn", i), ("conn_id", s), ("dir", s), ("opcode", i), ("opcode_name", s), ("frames", i),
                     ("first_no", i), ("last_no", i), ("compressed", b), ("length", i), ("wire_length", i),
                     ("text", s), ("data_b64", s), ("truncated", b), ("app", s)],
        "connections": [("conn", i), ("conn_id", s), ("community_id", s), ("client", s), ("server", s),
                        ("first_no", i), ("start", f), ("end_ts", f), ("websocket", b), ("uri", s), ("host", s),
                        ("origin", s), ("status", i), ("accept_ok", b), ("subprotocol", s), ("extensions", s),
                        ("offered_extensions", s), ("decode_as", b), ("messages", per_dir), ("frames", per_dir),
                        ("bytes", per_dir), ("close_code", i), ("close_reason", s), ("closed_by", s),
                        ("fin_by", s), ("end", s), ("notes", i), ("tls", tls_conn)],
        "notes": [("no", i), ("conn", i), ("conn_id", s), ("severity", s), ("code", s), ("text", s)],
    }
    return {t: pa.schema(c) for t, c in cols.items()}


class ParquetWriter:
    """The writer of one capture's part of each table under `out_dir` (see the module's docstring).
    `file_of(no)`: the capture file packet `no` came from; `lang`: the language of the packets' labels."""

    def __init__(self, out_dir: str, part: str, file_of: Callable[[int], Optional[str]],
                 lang: str = DEFAULT_LANG) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq
        self._pa, self._pq = pa, pq
        self.out_dir, self.part, self.file_of = out_dir, part, file_of
        self._schemas = schemas()
        # Rows are kept as tuples in column order (operator.itemgetter over the record: C speed) and handed to
        # pyarrow column by column, which is several times faster than a list of dicts.
        self._get = {t: itemgetter(*self._schemas[t].names) for t in TABLES}
        self._get_packet = self._get["packets"]
        self._rows: dict = {t: [] for t in TABLES}
        self._body_bytes = 0
        self._files: dict = {}             # table -> open pq.ParquetWriter
        self._ids: dict = {}               # connection number -> conn_id, while it may still have records
        self._late: list = []
        self.counts = {t: 0 for t in TABLES}
        self._words = LabelWords(lang)

    # -- the writer protocol (cli/common.run) ---------------------------------------------------------------
    def row(self, row: Row, conn: Optional[Connection] = None) -> None:
        uid = None
        if row.conn is not None:
            uid = self._ids.get(row.conn)
            if uid is None and conn is not None:
                uid = self._ids[row.conn] = connection_ids(conn)[1]
        rec = packet_record(row, self._words)
        rec["file"] = self.file_of(row.no)
        rec["conn_id"] = uid
        if "tls" not in rec:
            rec["tls"] = None
        rows = self._rows["packets"]               # _add's work inline: this runs for every packet
        rows.append(self._get_packet(rec))
        if len(rows) >= PARQUET_BATCH_ROWS:
            self._flush("packets")
        if row.frames or row.messages or row.notes:
            self.end(row.frames, row.messages, row.notes)

    def end(self, frames: list, messages: list, notes: list) -> None:
        for f in frames:
            self._add("frames", self._with_id(frame_record(f)))
        for m in messages:
            self._add("messages", self._message(m))
        for n in notes:
            self._add("notes", self._with_id(note_record(n)))

    def folded(self, c: Connection, at_end: bool = False) -> None:
        if at_end:
            self._late.append(c)
        else:
            self._add("connections", connection_record(c))
            self._ids.pop(c.id, None)     # its records are all written: memory follows the open connections

    def summary(self, s: CaptureSummary) -> None:
        for c in s.connections:
            self._add("connections", connection_record(c))
        for c in sorted(self._late, key=lambda c: c.id):
            self._add("connections", connection_record(c))
        self._late = []
        self.close()

    # -- the tables -----------------------------------------------------------------------------------------
    def _with_id(self, rec: dict) -> dict:
        rec["conn_id"] = self._ids.get(rec["conn"]) if rec["conn"] is not None else None
        return rec

    def _message(self, m) -> dict:
        rec = self._with_id(message_record(m))
        if "app" in rec:
            rec["app"] = json.dumps(rec["app"], ensure_ascii=False, separators=(",", ":"))
        self._body_bytes += len(rec.get("text") or rec.get("data_b64") or "")
        if self._body_bytes >= PARQUET_BATCH_BYTES:
            self._flush("messages")
        return rec

    def _add(self, table: str, rec: dict) -> None:
        for k in _OPTIONAL.get(table, ()):
            if k not in rec:
                rec[k] = None
        rows = self._rows[table]
        rows.append(self._get[table](rec))
        if len(rows) >= PARQUET_BATCH_ROWS:
            self._flush(table)

    def _tmp(self, table: str) -> str:
        return os.path.join(self.out_dir, table, f".{self.part}.parquet.tmp")

    def _flush(self, table: str) -> None:
        rows = self._rows[table]
        schema = self._schemas[table]
        w = self._files.get(table)
        if w is None:
            os.makedirs(os.path.join(self.out_dir, table), exist_ok=True)
            w = self._files[table] = self._pq.ParquetWriter(self._tmp(table), schema, compression="zstd")
        if rows:
            pa = self._pa
            arrays = [pa.array(col, type=f.type) for col, f in zip(zip(*rows), schema)]
            w.write_table(pa.Table.from_arrays(arrays, schema=schema))
            self.counts[table] += len(rows)
        self._rows[table] = []
        if table == "messages":
            self._body_bytes = 0

    def close(self) -> None:
        """Write what is buffered and put every table's part in place (an empty part for a table without rows,
        so each table exists with its columns)."""
        for table in TABLES:
            self._flush(table)
            self._files.pop(table).close()
            os.replace(self._tmp(table), os.path.join(self.out_dir, table, f"{self.part}.parquet"))

    def abort(self) -> None:
        """Remove the unfinished parts (a run that failed)."""
        for table, w in list(self._files.items()):
            try:
                w.close()
            except Exception:  # noqa: BLE001 -- the part is being thrown away
                pass
            try:
                os.remove(self._tmp(table))
            except OSError:
                pass
        self._files.clear()
