"""One TLS connection, sans-IO: record framing per direction over the reassembled TCP stream, the clear
handshake, and TLS 1.3 decryption with the secrets of a key log.

`TlsSession.feed(direction, data, origin)` takes stream bytes (origin: the packet they came in) and returns the
records they completed, as `TlsRecord`s, and notes as (severity, code, args) tuples (words: the i18n catalogue,
`note.<code>`). Decrypted application data is in `TlsRecord.data`, in order; the caller parses it as it would a
cleartext stream. Nothing here raises on bad input: a malformed record is a note and stops that direction.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from cryptography.exceptions import InvalidTag

from .handshake import (CLIENT_HELLO, ENCRYPTED_EXTENSIONS, FINISHED, KEY_UPDATE, NEW_SESSION_TICKET, SERVER_HELLO,
                        HandshakeError, Hello, parse_alpn_extensions, parse_hello, split_messages, version_name)
from .keylog import KeyLog
from .schedule import (SUITES, SUITES_12, SUITES_CBC, BadRecord, Epoch, Epoch12, EpochCBC, key_block12, key_block_cbc,
                       next_secret)

C2S, S2C = "c2s", "s2c"          # as model.C2S / model.S2C
CT_CCS, CT_ALERT, CT_HANDSHAKE, CT_APPDATA = 20, 21, 22, 23
CONTENT_TYPES = {CT_CCS: "change_cipher_spec", CT_ALERT: "alert", CT_HANDSHAKE: "handshake",
                 CT_APPDATA: "application_data"}
# RFC 8446 5.2: a TLSCiphertext fragment is at most 2^14 + 256 bytes; a longer record is malformed. This bounds
# what one direction buffers to 5 + 2^14 + 256 bytes.
MAX_RECORD = 2 ** 14 + 256
HEADER = 5
ALERTS = {0: "close_notify", 10: "unexpected_message", 20: "bad_record_mac", 40: "handshake_failure",
          42: "bad_certificate", 43: "unsupported_certificate", 46: "certificate_unknown", 47: "illegal_parameter",
          48: "unknown_ca", 50: "decode_error", 51: "decrypt_error", 70: "protocol_version", 80: "internal_error",
          90: "user_canceled", 109: "missing_extension", 112: "unrecognized_name", 116: "certificate_required",
          120: "no_application_protocol"}


def looks_like_client_hello(data: bytes) -> bool:
    """The first bytes of a stream that opens with a TLS handshake record holding a ClientHello."""
    return len(data) >= 6 and data[0] == CT_HANDSHAKE and data[1] == 3 and data[5] == CLIENT_HELLO


def cipher_name(code: Optional[int]) -> str:
    if code is None:
        return "?"
    s = SUITES.get(code) or SUITES_12.get(code) or SUITES_CBC.get(code)
    return s.name if s is not None else f"0x{code:04x}"


@dataclass
class TlsRecord:
    direction: str
    no: int                          # the packet holding the record's first byte
    index: int                       # 1-based number of the record in its direction
    outer_type: int                  # content type on the wire
    length: int                      # fragment length
    kind: str                        # client-hello, server-hello, change-cipher-spec, alert, handshake,
    #                                  encrypted-handshake, application-data, encrypted, session-ticket, key-update
    decrypted: bool = False
    hello: Optional[Hello] = None
    data: Optional[bytes] = None     # decrypted application data
    alert: Optional[str] = None
    messages: list = None            # handshake message types the record completed (clear or decrypted), or None


class _Dir:
    __slots__ = ("buf", "origin", "index", "stopped", "epoch", "app_secret", "hs_buf", "encrypted", "pending", "ccs")

    def __init__(self) -> None:
        self.buf = bytearray()
        self.origin = 0              # the packet of buf's first byte
        self.index = 0
        self.stopped = False
        self.epoch: Optional[Epoch] = None
        self.app_secret: Optional[bytes] = None      # the application traffic secret that follows the handshake
        self.hs_buf = bytearray()                    # decrypted handshake messages not yet whole
        self.encrypted = 0                           # encrypted records seen
        self.pending: Optional[Epoch12] = None       # TLS 1.2: the keys its ChangeCipherSpec turns on
        self.ccs = False                             # its ChangeCipherSpec was seen


class TlsSession:
    def __init__(self, keylog: Optional[KeyLog]) -> None:
        self.keylog = keylog
        self.dirs = {C2S: _Dir(), S2C: _Dir()}
        self.client_random: Optional[bytes] = None
        self.server_random: Optional[bytes] = None
        self.sni: Optional[str] = None
        self.alpn: list = []
        self.version: Optional[int] = None
        self.cipher: Optional[int] = None
        self.etm = False                               # TLS 1.2 CBC: encrypt-then-MAC agreed (RFC 7366)
        self.h2 = False                                # the server chose HTTP/2 (ALPN h2): not parsed as HTTP/1.1
        self.keys = False                              # a key of the key log matched
        # Handshake latency: the time of the ClientHello and of the end of the handshake (the server's Finished:
        # decrypted in TLS 1.3, the record after its ChangeCipherSpec in TLS 1.2; else the first application data
        # record seen), both as handed to feed() (`ts`); done_no is the packet that completed the end.
        self.hello_ts: Optional[float] = None
        self.done_ts: Optional[float] = None
        self.done_no: Optional[int] = None
        self._ts: Optional[float] = None
        self._last_s2c: Optional[tuple] = None         # TLS 1.3 without keys: (ts, no) of the server's last record
        self.told = False                              # the note about keys was given
        self._summary_key: Optional[tuple] = None      # summary(): its fields when it was made, and it
        self._summary: Optional[dict] = None

    def summary(self) -> dict:
        """What a Connection record says about the TLS layer (JSON's connection "tls"). The analyzer asks after
        every packet: the same dict comes back until one of its fields changes (a new dict then)."""
        key = (self.version, self.cipher, self.sni, self.alpn[0] if self.alpn else None, self.client_random,
               self.keys, self.done_ts, self.hello_ts)
        if key != self._summary_key:
            self._summary_key, self._summary = key, self._make_summary()
        return self._summary

    def _make_summary(self) -> dict:
        return {"version": version_name(self.version) if self.version is not None else None,
                "cipher": cipher_name(self.cipher) if self.cipher is not None else None,
                "sni": self.sni, "alpn": self.alpn[0] if self.alpn else None,
                "client_random": self.client_random.hex() if self.client_random is not None else None,
                "decrypted": self.keys,
                "handshake_latency": (round(self.done_ts - self.hello_ts, 6)
                                      if self.done_ts is not None and self.hello_ts is not None else None)}

    # -- stream bytes ---------------------------------------------------------------------------------------
    def feed(self, d: str, data: bytes, origin: int, ts: Optional[float] = None) -> list:
        """`ts`: the time of the packet `origin` (for the handshake latency; None: not measured)."""
        self._ts = ts
        st = self.dirs[d]
        if st.stopped:
            return []
        held = st.buf
        if held:
            # A record begun in earlier segments: wait, without copying, until it is whole.
            held += data
            if len(held) >= HEADER and held[0] in CONTENT_TYPES and held[1] == 3:
                length = held[3] << 8 | held[4]
                if length <= MAX_RECORD and len(held) < HEADER + length:
                    return []
            buf = bytes(held)
            held.clear()
        else:
            st.origin = origin
            buf = data if type(data) is bytes else bytes(data)
        # The records are cut from `buf` (bytes) where they stand; what is left of an unfinished one is held.
        out: list = []
        i, n = 0, len(buf)
        while n - i >= HEADER and not st.stopped:
            ctype, major, length = buf[i], buf[i + 1], buf[i + 3] << 8 | buf[i + 4]
            if ctype not in CONTENT_TYPES or major != 3 or length > MAX_RECORD:
                why = (f"content type {ctype}" if ctype not in CONTENT_TYPES else
                       f"version {major}.{buf[i + 2]}" if major != 3 else f"length {length} > {MAX_RECORD}")
                out.append(("error", "tls-malformed", {"side": _side(d), "record": st.index + 1, "why": why}))
                st.stopped = True
                break
            end = i + HEADER + length
            if n < end:
                break
            header, fragment = buf[i:i + HEADER], buf[i + HEADER:end]
            i = end
            st.index += 1
            no = st.origin
            st.origin = origin
            self._record(d, st, no, header, fragment, out)
        if i < n and not st.stopped:
            held += buf[i:] if i else buf
        return out

    def gap(self, d: str, size: int) -> list:
        """Bytes the capture lost: the records cannot be framed past them."""
        st = self.dirs[d]
        if st.stopped:
            return []
        st.stopped = True
        return [("warning", "tls-gap", {"side": _side(d), "size": size})]

    # -- one record ------------------------------------------------------------------------------------------
    def _record(self, d: str, st: _Dir, no: int, header: bytes, fragment: bytes, out: list) -> None:
        ctype = header[0]
        rec = TlsRecord(d, no, st.index, ctype, len(fragment), "encrypted")
        out.append(rec)
        if self.done_ts is None and self.server_random is not None:
            self._done(d, st, ctype, no)
        if ctype == CT_CCS:
            rec.kind = "change-cipher-spec"
            st.ccs = True
            if st.pending is not None:
                st.epoch, st.pending = st.pending, None
            return
        if type(st.epoch) is Epoch12 or type(st.epoch) is EpochCBC:
            self._decrypt12(d, st, rec, header, fragment, out)
            return
        if ctype == CT_APPDATA and st.epoch is None:
            st.encrypted += 1
            return                       # no key: an encrypted record, its size is all there is to say
        if ctype == CT_APPDATA:
            st.encrypted += 1
            self._decrypt(d, st, rec, header, fragment, out)
            return
        if st.ccs and self.version != 0x0304:
            # TLS 1.2 after ChangeCipherSpec, without keys: the record (Finished, an alert) is encrypted.
            rec.kind = "alert" if ctype == CT_ALERT else "encrypted-handshake"
            return
        if ctype == CT_ALERT:
            rec.kind = "alert"
            self._alert(d, rec, fragment, out)
            return
        rec.kind = "handshake"           # a clear handshake record (the hellos)
        st.hs_buf += fragment
        self._handshake_messages(d, st, rec, out, clear=True)

    def _done(self, d: str, st: _Dir, ctype: int, no: int) -> None:
        """Does this record (before it is read) end the handshake? TLS 1.2: the server's record after its
        ChangeCipherSpec (its Finished). TLS 1.3 with keys: the decrypted server Finished (_handshake_messages).
        TLS 1.3 without: the server's last encrypted record before the client's first one (its Finished, which
        the client's Finished answers)."""
        if self.version is not None and self.version <= 0x0303:
            if d == S2C and st.ccs and ctype != CT_CCS:
                self.done_ts, self.done_no = self._ts, no
        elif not self.keys and ctype == CT_APPDATA:
            if d == S2C:
                self._last_s2c = (self._ts, no)
            else:
                self.done_ts, self.done_no = self._last_s2c or (self._ts, no)

    def _decrypt(self, d: str, st: _Dir, rec: TlsRecord, header: bytes, fragment: bytes, out: list) -> None:
        epoch = st.epoch
        try:
            inner = epoch.open(header, fragment)
        except InvalidTag:
            inner = None
            if st.app_secret is not None:
                # A record of the handshake epoch that does not open may be the first of the application
                # epoch (a handshake message we could not follow): try that key before giving up.
                app = Epoch(epoch.suite, st.app_secret)
                try:
                    inner = app.open(header, fragment)
                    st.epoch, st.app_secret = app, None
                except InvalidTag:
                    pass
            if inner is None:
                out.append(("error", "tls-bad-tag", {"side": _side(d), "record": rec.index}))
                return
        end = len(inner)
        while end and inner[end - 1] == 0:
            end -= 1
        if not end:
            out.append(("error", "tls-malformed", {"side": _side(d), "record": rec.index,
                                                   "why": "no content type in the decrypted record"}))
            return
        rec.decrypted = True
        itype, body = inner[end - 1], inner[:end - 1]
        if itype == CT_APPDATA:
            rec.kind = "application-data"
            rec.data = body
        elif itype == CT_ALERT:
            rec.kind = "alert"
            self._alert(d, rec, body, out)
        elif itype == CT_HANDSHAKE:
            rec.kind = "encrypted-handshake"
            st.hs_buf += body
            self._handshake_messages(d, st, rec, out, clear=False)
        else:
            rec.kind = "encrypted"
            out.append(("warning", "tls-malformed", {"side": _side(d), "record": rec.index,
                                                     "why": f"inner content type {itype}"}))

    def _decrypt12(self, d: str, st: _Dir, rec: TlsRecord, header: bytes, fragment: bytes, out: list) -> None:
        """TLS 1.2: the outer content type is the real one; each record is sealed with its sequence number."""
        ctype = header[0]
        rec.kind = {CT_APPDATA: "encrypted", CT_ALERT: "alert"}.get(ctype, "encrypted-handshake")
        try:
            plain = st.epoch.open(header, fragment)
        except BadRecord as e:
            out.append(("error", "tls-bad-mac", {"side": _side(d), "record": rec.index, "variant": e.why}))
            return
        except (InvalidTag, ValueError):
            out.append(("error", "tls-bad-tag", {"side": _side(d), "record": rec.index}))
            return
        rec.decrypted = True
        if ctype == CT_APPDATA:
            rec.kind, rec.data = "application-data", plain
        elif ctype == CT_ALERT:
            self._alert(d, rec, plain, out)
        elif ctype == CT_HANDSHAKE:              # Finished (and, after a renegotiation, more): named, not read
            st.hs_buf += plain
            self._handshake_messages(d, st, rec, out, clear=False)

    def _alert(self, d: str, rec: TlsRecord, body: bytes, out: list) -> None:
        if len(body) >= 2:
            rec.alert = ALERTS.get(body[1], str(body[1]))
            out.append(("note" if body[1] == 0 else "warning", "tls-alert",
                        {"side": _side(d), "alert": rec.alert, "level": "fatal" if body[0] == 2 else "warning"}))

    def _handshake_messages(self, d: str, st: _Dir, rec: TlsRecord, out: list, clear: bool) -> None:
        if len(st.hs_buf) > MAX_RECORD * 4:          # a message longer than this is never a hello we need
            st.hs_buf.clear()
            return
        for mtype, body in split_messages(st.hs_buf):
            if rec.messages is None:
                rec.messages = [mtype]
            else:
                rec.messages.append(mtype)
            if mtype in (CLIENT_HELLO, SERVER_HELLO) and clear:
                try:
                    hello = parse_hello(mtype, body)
                except HandshakeError as e:
                    out.append(("warning", "tls-malformed", {"side": _side(d), "record": rec.index, "why": str(e)}))
                    continue
                rec.hello = hello
                rec.kind = "client-hello" if mtype == CLIENT_HELLO else "server-hello"
                if mtype == CLIENT_HELLO:
                    if self.client_random is None:
                        self.client_random = hello.random
                        self.hello_ts = self._ts
                        self.sni, self.alpn = hello.sni, hello.alpn
                elif not hello.hrr:
                    self.version, self.cipher = hello.version, hello.ciphers[0]
                    self.server_random = hello.random
                    self.etm = hello.etm
                    if hello.alpn:
                        self._alpn_chosen(hello.alpn, out)
                    self._keys(out)
            elif mtype == ENCRYPTED_EXTENSIONS and d == S2C:      # TLS 1.3: the server's ALPN choice
                try:
                    alpn = parse_alpn_extensions(body)
                except HandshakeError as e:
                    out.append(("warning", "tls-malformed", {"side": _side(d), "record": rec.index, "why": str(e)}))
                    continue
                if alpn:
                    self._alpn_chosen(alpn, out)
            elif mtype == FINISHED and st.app_secret is not None:
                st.epoch, st.app_secret = Epoch(st.epoch.suite, st.app_secret), None
                if d == S2C and self.done_ts is None:
                    self.done_ts, self.done_no = self._ts, rec.no
            elif mtype == NEW_SESSION_TICKET:
                rec.kind = "session-ticket"
            elif mtype == KEY_UPDATE and st.epoch is not None and st.app_secret is None:
                rec.kind = "key-update"
                st.epoch = Epoch(st.epoch.suite, next_secret(st.epoch.suite, st.epoch.secret))

    def _alpn_chosen(self, alpn: list, out: list) -> None:
        self.alpn = alpn
        if alpn[0] == "h2" and not self.h2:
            self.h2 = True
            out.append(("note", "tls-h2", {}))

    def _keys(self, out: list) -> None:
        """At the ServerHello: look the client random up in the key log and set up both directions' keys."""
        if self.told:
            return
        self.told = True
        random = self.client_random.hex() if self.client_random is not None else "?"
        if self.keylog is None:
            out.append(("note", "tls-no-keylog", {}))
            return
        if self.version == 0x0303 and (self.cipher in SUITES_12 or self.cipher in SUITES_CBC):
            self._keys12(out, random)
            return
        suite = SUITES.get(self.cipher)
        if self.version != 0x0304 or suite is None:
            out.append(("warning", "tls-unsupported", {"version": version_name(self.version),
                                                       "cipher": cipher_name(self.cipher)}))
            return
        need = ("CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET", "CLIENT_TRAFFIC_SECRET_0",
                "SERVER_TRAFFIC_SECRET_0")
        secrets = self.keylog.find(self.client_random, need) if self.client_random is not None else None
        if not secrets or not all(k in secrets for k in need):
            out.append(("warning", "tls-no-key", {"random": random}))
            return
        self.keys = True
        for d, who in ((C2S, "CLIENT"), (S2C, "SERVER")):
            st = self.dirs[d]
            st.epoch = Epoch(suite, secrets[f"{who}_HANDSHAKE_TRAFFIC_SECRET"])
            st.app_secret = secrets[f"{who}_TRAFFIC_SECRET_0"]

    def _keys12(self, out: list, random: str) -> None:
        secrets = self.keylog.find(self.client_random, ("CLIENT_RANDOM",)) if self.client_random is not None \
            else None
        master = secrets.get("CLIENT_RANDOM") if secrets else None
        if master is None:
            out.append(("warning", "tls-no-key", {"random": random}))
            return
        self.keys = True
        cbc = SUITES_CBC.get(self.cipher)
        if cbc is not None:
            cm, sm, ck, sk = key_block_cbc(cbc, master, self.client_random, self.server_random)
            self.dirs[C2S].pending = EpochCBC(cbc, cm, ck, self.etm)
            self.dirs[S2C].pending = EpochCBC(cbc, sm, sk, self.etm)
            return
        suite = SUITES_12[self.cipher]
        ck, sk, civ, siv = key_block12(suite, master, self.client_random, self.server_random)
        self.dirs[C2S].pending = Epoch12(suite, ck, civ)
        self.dirs[S2C].pending = Epoch12(suite, sk, siv)


def _side(d: str) -> str:
    return "client" if d == C2S else "server"
