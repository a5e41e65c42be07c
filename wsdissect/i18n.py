"""Every sentence wsdissect composes for a student, in English and Chinese side by side.

The lab wsdissect grew from is Chinese, so `--lang zh` gives every row label (and every `--explain` paragraph) in
Chinese. Texts are `str.format` templates keyed by a stable id; the catalog holds each id's English and Chinese
template as a pair, so a missing translation is a missing tuple element, and tests check that both templates of
an id take the same parameters.

Cheap by design, for the analyzer's hot path: `catalog(lang)` is a plain dict id -> template, built once per
language; composing a label is one dict lookup and one `str.format`. No gettext machinery per packet.

    t = catalog("zh")
    t["tcp.syn"].format(side=t["side.client"])        # 'TCP 三次握手 1/3：客户端请求建立连接（SYN）'
    T("tcp.syn", "zh", side="客户端")                   # the same, for code off the hot path
"""
from __future__ import annotations

from functools import lru_cache
from string import Formatter

LANGS = ("en", "zh")
DEFAULT_LANG = "en"

# id: (English, Chinese)
CATALOG: dict[str, tuple[str, str]] = {
    # -- the two ends of a connection ---------------------------------------------------------------------
    "side.client": ("client", "客户端"),
    "side.server": ("server", "服务端"),

    # -- pieces shared by labels --------------------------------------------------------------------------
    "bytes.one": ("1 byte", "1 字节"),
    "bytes.many": ("{n} bytes", "{n} 字节"),
    "unit.s": ("{n} s", "{n} 秒"),
    "unit.ms": ("{n} ms", "{n} 毫秒"),
    "sep.list": (", ", "，"),
    "sep.items": ("; ", "；"),
    "paren": (" ({text})", "（{text}）"),
    "join.fin": (" + ", " + "),
    "opcode.continuation": ("continuation", "后续"),
    "opcode.text": ("text", "文本"),
    "opcode.binary": ("binary", "二进制"),
    "opcode.close": ("close", "Close"),
    "opcode.ping": ("ping", "Ping"),
    "opcode.pong": ("pong", "Pong"),
    "opcode.reserved": ("reserved", "保留"),

    # -- TCP ----------------------------------------------------------------------------------------------
    "tcp.syn": ("TCP handshake 1/3: {side} asks to connect (SYN)", "TCP 三次握手 1/3：{side}请求建立连接（SYN）"),
    "tcp.syn_ack": ("TCP handshake 2/3: {side} accepts (SYN, ACK)", "TCP 三次握手 2/3：{side}同意建立连接（SYN, ACK）"),
    "tcp.handshake_ack": ("TCP handshake 3/3: connection open (ACK)", "TCP 三次握手 3/3：连接已建立（ACK）"),
    "tcp.rst": ("{side} aborts the connection (RST)", "{side}中止连接（RST）"),
    "tcp.no_close_frame": (" — no WebSocket Close frame was sent", "——没有发送 WebSocket Close 帧"),
    "tcp.retransmission": ("retransmission: {side} sends data already sent", "重传：{side}再次发送已经发过的数据"),
    "tcp.keepalive": ("TCP keep-alive from {side}", "{side}发送的 TCP 保活包（keep-alive）"),
    "tcp.window_update": ("window update: {side} can now receive {window} bytes",
                          "窗口更新：{side}现在可以接收 {window} 字节"),
    "tcp.dup_ack": ("duplicate ACK from {side}", "{side}发送的重复 ACK"),
    "tcp.past_cap": ("not analysed: {side} packet of connection {conn}, dropped at the --max-connections cap",
                     "未分析：连接 {conn} 已因 --max-connections 上限被放弃，这是其{side}的数据包"),
    "data.out_of_order": ("{side} data arriving out of order (held until the missing bytes come)",
                          "{side}的数据乱序到达（先暂存，等缺失的字节到达）"),
    "data.before_answer": ("{side} data sent before the server answered the upgrade",
                           "{side}在服务端答复升级请求之前就发送的数据"),
    "data.framing_lost": ("{side} data ({size}) not parsed: WebSocket framing in this direction was lost at an "
                          "earlier gap", "{side}的数据（{size}）未解析：这个方向的 WebSocket 帧边界在之前的数据缺口处丢失了"),
    "data.unparsed": ("{side} data ({size}) not parsed as HTTP or WebSocket",
                      "{side}的数据（{size}）无法解析为 HTTP 或 WebSocket"),

    # -- ACKs and teardown --------------------------------------------------------------------------------
    "ack.nothing": ("ACK from {side} (nothing new acknowledged)", "{side}的 ACK（没有确认新的数据）"),
    "ack.of": ("ACK of #{no}{name}: {side} got it", "ACK 确认 #{no}{name}：{side}已收到"),
    "teardown.first": ("teardown 1/4: {side} closes (FIN)", "四次挥手 1/4：{side}关闭连接（FIN）"),
    "teardown.idle": (": the {side} dropped an idle connection after {idle} s",
                      "：{side}在空闲 {idle} 秒后断开了连接"),
    "teardown.idle_pinged": (": the {side} dropped an idle connection {idle} s after the last data message "
                             "({ping} s after the last ping/pong{keepalive})",
                             "：{side}在最后一条数据消息之后 {idle} 秒断开了空闲连接（距最后一次 Ping/Pong {ping} 秒"
                             "{keepalive}）"),
    "teardown.keepalive": (", the {side} library's automatic keepalive", "，那是{side} WebSocket 库自动发送的保活"),
    "teardown.ack": ("teardown 2/4: {side} acknowledges the {peer}'s FIN", "四次挥手 2/4：{side}确认{peer}的 FIN"),
    "teardown.ack_last": ("teardown 4/4: {side} acknowledges the {peer}'s FIN — connection closed",
                          "四次挥手 4/4：{side}确认{peer}的 FIN——连接已关闭"),
    "teardown.ack_and_fin": ("teardown 2+3/4: {side} acknowledges the {peer}'s FIN and closes too (FIN, ACK)",
                             "四次挥手 2+3/4：{side}确认{peer}的 FIN，同时也关闭连接（FIN, ACK）"),
    "teardown.third": ("teardown 3/4: {side} closes too (FIN)", "四次挥手 3/4：{side}也关闭连接（FIN）"),

    # -- how a later "ACK of #N" names the packet it acknowledges -------------------------------------------
    "name.upgrade_request": ("upgrade request", "升级请求"),
    "name.http_request": ("HTTP request", "HTTP 请求"),
    "name.reply": ("{status} reply", "{status} 响应"),
    "name.frame": ("{names} frame", "{names}帧"),
    "name.frames": ("{names} frames", "{names}帧"),

    # -- HTTP and the WebSocket handshake -----------------------------------------------------------------
    "upgrade.offers": ("offers {ext}", "提议扩展 {ext}"),
    "upgrade.subprotocols": ("subprotocols {protocols}", "子协议 {protocols}"),
    "upgrade.request": ("WebSocket handshake 1/2: {side} asks to upgrade the connection to WebSocket, for "
                        "{target}{more}",
                        "WebSocket 握手 1/2：{side}请求把连接升级为 WebSocket，资源为 {target}{more}"),
    "upgrade.accept_ok": ("accept key ✓", "accept 密钥 ✓"),
    "upgrade.accept_bad": ("accept key ✗ WRONG", "accept 密钥 ✗ 错误"),
    "upgrade.accept_none": ("no accept key check", "未校验 accept 密钥"),
    "upgrade.deflate_declined": ("deflate declined", "拒绝了 deflate 压缩"),
    "upgrade.extensions_declined": ("extensions declined", "拒绝了扩展"),
    "upgrade.subprotocol": ("subprotocol {name}", "子协议 {name}"),
    "upgrade.response": ("WebSocket handshake 2/2: {side} agrees (101 Switching Protocols, {check}{more})",
                         "WebSocket 握手 2/2：{side}同意升级（101 Switching Protocols，{check}{more}）"),
    "upgrade.refused": ("WebSocket handshake refused: {status} — no WebSocket frames will follow",
                        "WebSocket 握手被拒绝：{status}——之后不会有 WebSocket 帧"),
    "http.request": ("HTTP request from {side}: {summary}", "{side}的 HTTP 请求：{summary}"),
    "http.response": ("HTTP response from {side}: {summary}", "{side}的 HTTP 响应：{summary}"),
    "http.partial": ("part of an HTTP message from {side} (completed in a later packet)",
                     "{side}发送的 HTTP 消息的一部分（在后面的数据包里才完整）"),

    # -- WebSocket frames and messages --------------------------------------------------------------------
    "tls.partial": ("part of a TLS record from {side} (completed in a later packet)",
                    "{side}发送的 TLS 记录的一部分（在后面的数据包里才完整）"),
    "tls.client_hello": ("TLS handshake: {side} says ClientHello{more}", "TLS 握手：{side}发送 ClientHello{more}"),
    "tls.sni": ("server name {sni}", "服务器名 {sni}"),
    "tls.alpn": ("ALPN {alpn}", "应用层协议 {alpn}"),
    "tls.offers": ("offers {versions}", "支持 {versions}"),
    "tls.server_hello": ("TLS handshake: {side} says ServerHello, {version} with {cipher}",
                         "TLS 握手：{side}发送 ServerHello，{version}，密码套件 {cipher}"),
    "tls.ccs": ("{side} sends ChangeCipherSpec (kept for compatibility, {size})",
                "{side}发送 ChangeCipherSpec（为了兼容，{size}）"),
    "tls.ccs12": ("{side} switches to the agreed keys (ChangeCipherSpec, {size})",
                  "{side}切换到协商好的密钥（ChangeCipherSpec，{size}）"),
    "tls.handshake": ("{side} sends a TLS handshake record ({size})", "{side}发送 TLS 握手记录（{size}）"),
    "tls.encrypted_handshake": ("{side} sends encrypted TLS handshake messages ({size})",
                                "{side}发送加密的 TLS 握手消息（{size}）"),
    "tls.session_ticket": ("{side} sends a TLS session ticket ({size})", "{side}发送 TLS 会话票据（{size}）"),
    "tls.key_update": ("{side} updates its TLS keys (KeyUpdate, {size})", "{side}更新 TLS 密钥（KeyUpdate，{size}）"),
    "tls.encrypted": ("{side} sends encrypted TLS application data ({size})",
                      "{side}发送加密的 TLS 应用数据（{size}）"),
    "tls.app_data_plain": ("{side} sends TLS application data ({size} decrypted, the rest of the message follows)",
                           "{side}发送 TLS 应用数据（解密后 {size}，消息的其余部分在后面）"),
    "tls.alert": ("{side} sends a TLS alert: {alert}", "{side}发送 TLS 警报：{alert}"),
    "tls.in_records": ("TLS record {records}", "TLS 记录 {records}"),
    "ws.partial": ("part of a WebSocket frame from {side} (completed in a later packet)",
                   "{side}发送的 WebSocket 帧的一部分（在后面的数据包里才完整）"),
    "close.no_code": ("no status code", "无状态码"),
    "close.code": ("{code} ({name})", "{code}（{name}）"),
    "close.first": ("closing handshake 1/2: {side} sends Close {code}{reason}",
                    "关闭握手 1/2：{side}发送 Close {code}{reason}"),
    "close.answer": ("closing handshake 2/2: {side} answers with Close {code}{reason}",
                     "关闭握手 2/2：{side}回复 Close {code}{reason}"),
    "msg.fragments": ("in {n} fragments", "分成 {n} 个分片"),
    "msg.compressed": ("compressed to {n}", "压缩为 {n} 字节"),
    "msg.text": ("text message ({detail})", "文本消息（{detail}）"),
    "msg.binary": ("binary message ({detail})", "二进制消息（{detail}）"),
    "data.one": ("{side} sends a {message}", "{side}发送一条{message}"),
    "data.many": ("{side} sends {n} messages: {messages}", "{side}发送 {n} 条消息：{messages}"),
    "data.continuation": ("{side} sends a continuation fragment ({size}), message not yet complete",
                          "{side}发送一个后续分片（{size}），消息还没有结束"),
    "data.fragment_start": ("{side} starts a fragmented {kind} message ({size})",
                            "{side}开始发送一条分片的{kind}消息（{size}）"),
    "control.ping": ("{side} pings (payload: {size}) to check the peer is alive",
                     "{side}发送 Ping（载荷：{size}），确认对方是否还在"),
    "control.ping_keepalive": ("{side} pings (payload: {size}): by its pattern, the {side} library's automatic "
                               "keepalive",
                               "{side}发送 Ping（载荷：{size}）：从模式看，是{side} WebSocket 库自动发送的保活 Ping"),
    "control.pong": ("{side} answers with a pong ({size})", "{side}回复 Pong（{size}）"),
    "control.reserved": ("{side} sends a reserved-opcode frame ({opcode})", "{side}发送保留操作码的帧（{opcode}）"),

    # -- close status codes (RFC 6455 7.4.1 and the IANA registry) ----------------------------------------
    "closecode.1000": ("Normal Closure", "正常关闭"),
    "closecode.1001": ("Going Away", "离开"),
    "closecode.1002": ("Protocol Error", "协议错误"),
    "closecode.1003": ("Unsupported Data", "不支持的数据"),
    "closecode.1004": ("Reserved", "保留"),
    "closecode.1005": ("No Status Rcvd", "未收到状态码"),
    "closecode.1006": ("Abnormal Closure", "异常关闭"),
    "closecode.1007": ("Invalid frame payload data", "无效的帧载荷数据"),
    "closecode.1008": ("Policy Violation", "违反策略"),
    "closecode.1009": ("Message Too Big", "消息过大"),
    "closecode.1010": ("Mandatory Ext.", "缺少必需的扩展"),
    "closecode.1011": ("Internal Error", "内部错误"),
    "closecode.1012": ("Service Restart", "服务重启"),
    "closecode.1013": ("Try Again Later", "稍后重试"),
    "closecode.1014": ("Bad Gateway", "网关错误"),
    "closecode.1015": ("TLS handshake", "TLS 握手失败"),
    "closecode.3000": ("Unauthorized", "未授权"),
    "closecode.3003": ("Forbidden", "禁止访问"),
    "closecode.3008": ("Timeout", "超时"),
    "closecode.registered": ("Registered", "已注册"),
    "closecode.private": ("Private Use", "私有用途"),
    "closecode.invalid": ("Invalid", "无效"),
    "closecode.unassigned": ("Unassigned", "未分配"),

    # -- notes the analyzer itself writes (ids: see note_id below; note_part.*: pieces of a note) ----------
    "note.malformed.packet": ("malformed packet: {error}", "畸形数据包：{error}"),
    "note.malformed.internal": ("malformed: internal error analysing this packet: {error}",
                                "畸形：分析此数据包时发生内部错误：{error}"),
    "note.close_without_close_frame.rst": ("{side} aborted TCP (RST) without a WebSocket Close frame",
                                           "{side}没有发送 WebSocket Close 帧就中止了 TCP（RST）"),
    "note.close_without_close_frame.fin": ("{side} closed TCP without a WebSocket Close frame{why}",
                                           "{side}没有发送 WebSocket Close 帧就关闭了 TCP{why}"),
    "note_part.idle_drop": (" after {idle} s of silence: the {side} dropped an idle connection",
                            "（静默 {idle} 秒之后：{side}断开了空闲连接）"),
    "note.upgrade_not_requested": ("{status} answers {request}, which asked for no WebSocket upgrade (no Upgrade: "
                                   "websocket): a server must not switch to a protocol the request did not name "
                                   "(RFC 9110 7.8); read on as HTTP",
                                   "{status} 回应的是 {request}，而这个请求并没有要求升级到 WebSocket（没有 Upgrade: "
                                   "websocket）：服务端不得切换到请求没有指明的协议（RFC 9110 7.8）；继续按 HTTP 解析"),
    "note_part.idle_drop_pinged": (" {idle} s after the last data message ({ping} s after the last ping/pong"
                                   "{keepalive}): the {side} dropped an idle connection",
                                   "（最后一条数据消息之后 {idle} 秒，距最后一次 Ping/Pong {ping} 秒{keepalive}："
                                   "{side}断开了空闲连接）"),
    "note_part.keepalive": (", the {side} library's automatic keepalive", "，那是{side} WebSocket 库自动发送的保活"),
    "note.request_not_captured": ("the upgrade request is not in the capture; the 101 is taken as it stands",
                                  "抓包里没有升级请求；按原样采信这个 101 响应"),
    "note.no_handshake": ("no HTTP handshake in this stream (the capture may have begun after it); if port {port} "
                          "carries WebSocket, --decode-as {port} decodes its frames",
                          "这条流里没有 HTTP 握手（抓包可能在握手之后才开始）；如果端口 {port} 上是 WebSocket，"
                          "用 --decode-as {port} 解码它的帧"),
    "note.tls": ("this stream is TLS (wss:// or https://): its WebSocket frames are encrypted and cannot be shown "
                 "without the session keys",
                 "这条流是 TLS（wss:// 或 https://）：其中的 WebSocket 帧是加密的，没有会话密钥就无法显示"),
    "note.tls_no_keylog": ("this connection is TLS (wss:// or https://): give its key log (--keylog FILE, or "
                           "SSLKEYLOGFILE) to decrypt it; without one only the records' sizes are shown",
                           "这个连接是 TLS（wss:// 或 https://）：提供它的密钥日志（--keylog FILE 或 SSLKEYLOGFILE）"
                           "才能解密；没有密钥日志只能显示记录的大小"),
    "note.tls_no_key": ("no key in the key log matched this TLS connection (client random {random} looked up): "
                        "its records stay encrypted",
                        "密钥日志里没有与这个 TLS 连接匹配的密钥（查找的 client random 为 {random}）：它的记录保持加密"),
    "note.tls_unsupported": ("{version} with {cipher}: wsdissect decrypts TLS 1.3 and TLS 1.2's AES-GCM, "
                             "ChaCha20-Poly1305 and AES-CBC suites only; the records stay encrypted",
                             "{version}，密码套件 {cipher}：wsdissect 只能解密 TLS 1.3 以及 TLS 1.2 的 AES-GCM、"
                             "ChaCha20-Poly1305 和 AES-CBC 套件；记录保持加密"),
    "note.tls_bad_tag": ("TLS record #{record} from {side} did not decrypt (authentication tag mismatch: a wrong "
                         "key or a damaged record)",
                         "{side}的 TLS 记录 #{record} 解密失败（认证标签不符：密钥错误或记录损坏）"),
    "note.tls_bad_mac.padding": ("TLS record #{record} from {side} did not decrypt (bad CBC padding: a wrong key "
                                 "or a damaged record)",
                                 "{side}的 TLS 记录 #{record} 解密失败（CBC 填充错误：密钥错误或记录损坏）"),
    "note.tls_bad_mac.mac": ("TLS record #{record} from {side} did not decrypt (MAC mismatch: a wrong key or a "
                             "damaged record)",
                             "{side}的 TLS 记录 #{record} 解密失败（MAC 不符：密钥错误或记录损坏）"),
    "note.tls_bad_mac.length": ("TLS record #{record} from {side} did not decrypt (its length is not whole CBC "
                                "blocks with an IV and a MAC)",
                                "{side}的 TLS 记录 #{record} 解密失败（长度不是带 IV 和 MAC 的整数个 CBC 分组）"),
    "note.tls_malformed": ("malformed TLS record #{record} from {side}: {why}",
                           "{side}的 TLS 记录 #{record} 格式错误：{why}"),
    "note.tls_gap": ("{size} bytes of the TLS stream from {side} are missing from the capture: its later records "
                     "cannot be framed",
                     "抓包缺少{side}的 TLS 字节流中的 {size} 字节：之后的记录无法切分"),
    "note.tls_h2": ("the server chose HTTP/2 (ALPN h2): WebSocket over HTTP/2 (RFC 8441, an extended CONNECT on "
                    "a stream) is not decoded; the decrypted bytes are shown as TLS application data only",
                    "服务端选择了 HTTP/2（ALPN h2）：不解码 HTTP/2 上的 WebSocket（RFC 8441，在一个流上的扩展 CONNECT）；"
                    "解密后的字节只显示为 TLS 应用数据"),
    "note.tls_alert": ("TLS alert from {side}: {level} {alert}", "{side}发送 TLS 警报：{level} {alert}"),
    "note.decode_as": ("no handshake seen: port {port} decoded as WebSocket (--decode-as), no extensions assumed",
                       "没有看到握手：端口 {port} 按 WebSocket 解码（--decode-as），假定没有协商扩展"),
    "note.cap_connections": ("more than {max} connections open at once (--max-connections): connection {conn} "
                             "finished early", "同时打开的连接超过 {max} 个（--max-connections）：连接 {conn} 被提前结束"),
    "note.past_cap": ("connection {conn} goes on after it was dropped at the --max-connections cap ({max}): its "
                      "later packets are counted, not analysed",
                      "连接 {conn} 在因 --max-connections 上限（{max}）被放弃后仍在继续：其后续数据包只计数、不分析"),
    "note.cap_summary_connections": ("more than {max} connections in the capture (--max-summary-connections): the "
                                     "summary lists the first {max}; the others are counted once finished",
                                     "抓包里的连接超过 {max} 条（--max-summary-connections）：摘要只列出前 {max} 条，"
                                     "其余的连接结束后只计入总数"),

    # -- notes (expert info) ------------------------------------------------------------------------------
    # The notes of the language-free cores (tcp, http, websocket) and of the capture sources, by code: id
    # note.<code> (with "_" for "-"), or note.<code>.<variant> when one code has several sentences. The
    # English template gives exactly the text the core writes; Note.args fills it (see note_text below).
    # note_part.*: a piece of a note's sentence ({"id": ..., params} in args). Parameters that carry an error
    # message from elsewhere (zlib, a parser, the capture file) stay in English inside the Chinese sentence.
    # TCP (tcp.py)
    "note.tcp_retransmission.syn": ("SYN sent again", "SYN 被再次发送（重传）"),
    "note.tcp_retransmission.data": ("retransmission of {n} bytes already seen", "重传：这 {n} 字节之前已经出现过"),
    "note.tcp_retransmission.fin": ("FIN sent again", "FIN 被再次发送（重传）"),
    "note.tcp_retransmission.out_of_order": ("retransmission of an out-of-order segment", "重传了一个乱序到达的报文段"),
    "note.tcp_overlap": ("{n} bytes overlap data already seen", "有 {n} 字节与已经收到的数据重叠"),
    "note.tcp_out_of_order": ("out of order: {n} bytes before it not yet seen; held until they arrive",
                              "乱序：它前面还有 {n} 字节没有收到；先暂存，等它们到达"),
    "note.cap_reorder": ("more than {max} bytes waiting behind a hole (--max-reorder); treating the hole as missing",
                         "缺口后面等待的数据超过 {max} 字节（--max-reorder）：把这个缺口当作丢失处理"),
    "note.tcp_missing_bytes.acked": ("{n} bytes missing (acknowledged by the receiver but not in the capture)",
                                     "缺少 {n} 字节（接收方已确认收到，但抓包里没有）"),
    "note.tcp_missing_bytes.lost": ("{n} bytes missing (not in the capture)", "缺少 {n} 字节（抓包里没有）"),
    # the opening handshake (http.check_handshake)
    "note.not_websocket_request": ("{request} is not a WebSocket upgrade request (needs GET, Upgrade: websocket and "
                                   "Connection: Upgrade)",
                                   "{request} 不是 WebSocket 升级请求（需要 GET、Upgrade: websocket 和 "
                                   "Connection: Upgrade）"),
    "note.missing_key": ("the request has no Sec-WebSocket-Key", "请求里没有 Sec-WebSocket-Key"),
    "note.bad_key": ("Sec-WebSocket-Key {key!r} is not 16 random bytes in base64 (RFC 6455 4.1)",
                     "Sec-WebSocket-Key {key!r} 不是 16 个随机字节的 base64 编码（RFC 6455 4.1）"),
    "note.bad_websocket_version.missing": ("Sec-WebSocket-Version is missing; RFC 6455 is 13",
                                           "缺少 Sec-WebSocket-Version；RFC 6455 的版本是 13"),
    "note.bad_websocket_version.value": ("Sec-WebSocket-Version is {version!r}; RFC 6455 is 13",
                                         "Sec-WebSocket-Version 是 {version!r}；RFC 6455 的版本是 13"),
    "note.upgrade_refused": ("the server refused the upgrade: {status}", "服务端拒绝了升级：{status}"),
    "note.upgrade_refused.versions": ("the server refused the upgrade: {status} (it speaks Sec-WebSocket-Version "
                                      "{versions})",
                                      "服务端拒绝了升级：{status}（它支持的 Sec-WebSocket-Version 是 {versions}）"),
    "note.missing_upgrade_header": ("101 without Upgrade: websocket (Upgrade is {value!r})",
                                    "101 响应缺少 Upgrade: websocket（Upgrade 是 {value!r}）"),
    "note.missing_connection_header": ("101 without Connection: upgrade (Connection is {value!r})",
                                       "101 响应缺少 Connection: upgrade（Connection 是 {value!r}）"),
    "note.missing_accept": ("the 101 has no Sec-WebSocket-Accept; a client must fail the connection",
                            "101 响应里没有 Sec-WebSocket-Accept；客户端必须让连接失败"),
    "note.bad_accept": ("Sec-WebSocket-Accept is {accept}, expected {expected} (base64 of SHA-1 of the key {key} + "
                        "{guid})",
                        "Sec-WebSocket-Accept 是 {accept}，应当是 {expected}（密钥 {key} + {guid} 的 SHA-1 再做 "
                        "base64）"),
    "note.subprotocol_not_offered.one": ("the server chose a subprotocol {sub!r} the client did not offer (offered: "
                                         "{offered})",
                                         "服务端选择了客户端没有提议的子协议 {sub!r}（客户端提议的是：{offered}）"),
    "note.subprotocol_not_offered.several": ("the server chose several subprotocols {sub!r} the client did not "
                                             "offer (offered: {offered})",
                                             "服务端选择了客户端没有提议的多个子协议 {sub!r}（客户端提议的是："
                                             "{offered}）"),
    "note.subprotocol_not_offered.one_none": ("the server chose a subprotocol {sub!r} the client did not offer "
                                              "(offered: none)",
                                              "服务端选择了子协议 {sub!r}，但客户端没有提议任何子协议"),
    "note.subprotocol_not_offered.several_none": ("the server chose several subprotocols {sub!r} the client did "
                                                  "not offer (offered: none)",
                                                  "服务端选择了多个子协议 {sub!r}，但客户端没有提议任何子协议"),
    "note.subprotocol_declined": ("the client offered subprotocols {offered}; the server chose none",
                                  "客户端提议了子协议 {offered}；服务端一个也没有选"),
    "note.bad_extensions.offered": ("offered Sec-WebSocket-Extensions: {error}",
                                    "客户端提议的 Sec-WebSocket-Extensions 有语法错误：{error}"),
    "note.bad_extensions.accepted": ("Sec-WebSocket-Extensions: {error}", "Sec-WebSocket-Extensions 有语法错误：{error}"),
    "note.extensions_declined": ("the client offered {names}; the server accepted none, so frames are not "
                                 "compressed or otherwise transformed",
                                 "客户端提议了 {names}；服务端一个也没有接受，所以帧不会被压缩，也不会做其他变换"),
    "note.extension_not_offered": ("the server enabled extension {name!r}, which the client did not offer",
                                   "服务端启用了客户端没有提议的扩展 {name!r}"),
    "note.bad_deflate_params.twice": ("permessage-deflate accepted twice", "permessage-deflate 被接受了两次"),
    "note.bad_deflate_params.problem": ("permessage-deflate: {problem}", "permessage-deflate 参数有误：{problem}"),
    # an HTTP stream that stopped making sense (http.HttpError, note code http-<its code>)
    "note.http_gap": ("HTTP: {n} bytes missing from the stream in the {state} state; HTTP parsing cannot "
                      "resynchronise", "HTTP：数据流在 {state} 状态下缺少 {n} 字节；HTTP 解析无法重新同步"),
    "note.http_truncated.header": ("HTTP: stream ended inside a message header ({n} bytes)",
                                   "HTTP：数据流在消息头中间结束（{n} 字节）"),
    "note.http_truncated.body": ("HTTP: stream ended {n} bytes before the end of the body",
                                 "HTTP：数据流在离消息体结尾还有 {n} 字节时结束"),
    "note.http_truncated.chunked": ("HTTP: stream ended inside a chunked body", "HTTP：数据流在分块（chunked）消息体中间结束"),
    "note.http_header_too_large.header": ("HTTP: header larger than {max} bytes (--max-header)",
                                          "HTTP：消息头超过 {max} 字节（--max-header）"),
    "note.http_header_too_large.trailer": ("HTTP: trailer section larger than {max} bytes (--max-header)",
                                           "HTTP：trailer 部分超过 {max} 字节（--max-header）"),
    "note.http_bad_transfer_encoding": ("HTTP: request with Transfer-Encoding {te!r} not ending in chunked",
                                        "HTTP：请求的 Transfer-Encoding {te!r} 不是以 chunked 结尾"),
    "note.http_bad_content_length": ("HTTP: bad Content-Length {value!r}", "HTTP：无效的 Content-Length {value!r}"),
    "note.http_bad_chunk.line": ("HTTP: chunk-size line larger than {max} bytes", "HTTP：chunk-size 行超过 {max} 字节"),
    "note.http_bad_chunk.size": ("HTTP: bad chunk size {line}", "HTTP：无效的分块大小 {line}"),
    "note.http_bad_chunk.crlf": ("HTTP: chunk data not followed by CRLF (chunk size wrong?)",
                                 "HTTP：分块数据后面没有 CRLF（分块大小不对？）"),
    "note.http_bad_header.continuation": ("HTTP: continuation line before any header: {line}",
                                          "HTTP：在任何头部字段之前出现了续行：{line}"),
    "note.http_bad_header.no_colon": ("HTTP: header line without ':': {line}", "HTTP：头部行里没有 ':'：{line}"),
    "note.http_bad_header.name": ("HTTP: bad header name {name}", "HTTP：无效的头部字段名 {name}"),
    "note.http_unsupported_version": ("HTTP: HTTP/{major}.{minor} is not HTTP/1.x",
                                      "HTTP：HTTP/{major}.{minor} 不是 HTTP/1.x"),
    # WebSocket framing (websocket/frames.py)
    "note.gap_in_payload": ("{n} bytes missing from the capture inside the payload of a {opcode} frame ({length} "
                            "bytes); skipped, framing continues after this frame",
                            "抓包里缺少 {n} 字节，位于一个{opcode}帧（{length} 字节）的载荷中间；已跳过，"
                            "帧边界在这个帧之后继续"),
    "note.gap_in_header.past_frame": ("{n} bytes missing from the capture: the end of a {opcode} frame's payload "
                                      "and {rest} bytes after it, where at least one frame header was: stopped "
                                      "parsing this direction",
                                      "抓包里缺少 {n} 字节：一个{opcode}帧载荷的末尾，以及其后的 {rest} 字节，"
                                      "其中至少有一个帧头：停止解析这个方向"),
    "note.gap_in_header.in_header": ("{n} bytes missing from the capture inside a frame header: stopped parsing "
                                     "this direction", "抓包里缺少 {n} 字节，位于一个帧头中间：停止解析这个方向"),
    "note.gap_in_header.at_header": ("{n} bytes missing from the capture where a frame header was due: stopped "
                                     "parsing this direction",
                                     "抓包里缺少 {n} 字节，正好在应当出现帧头的位置：停止解析这个方向"),
    "note.incomplete_frame.payload": ("capture ended inside a {opcode} frame: {got} of {length} payload bytes seen",
                                      "抓包在一个{opcode}帧中间结束：{length} 字节的载荷只看到了 {got} 字节"),
    "note.incomplete_frame.header": ("capture ended inside a frame header ({n} bytes seen)",
                                     "抓包在一个帧头中间结束（看到了 {n} 字节）"),
    "note.non_minimal_length.form16": ("payload length {length} sent in the 16-bit form; RFC 6455 5.2 requires the "
                                       "shortest form (7-bit)",
                                       "载荷长度 {length} 用 16 位的形式发送；RFC 6455 5.2 要求用最短的形式（7 位）"),
    "note.non_minimal_length.form64": ("payload length {length} sent in the 64-bit form; RFC 6455 5.2 requires the "
                                       "shortest form ({bits}-bit)",
                                       "载荷长度 {length} 用 64 位的形式发送；RFC 6455 5.2 要求用最短的形式"
                                       "（{bits} 位）"),
    "note.invalid_length": ("64-bit payload length 0x{length:016x} has its most significant bit set (RFC 6455 "
                            "5.2): stopped parsing this direction",
                            "64 位载荷长度 0x{length:016x} 的最高位是 1（RFC 6455 5.2）：停止解析这个方向"),
    "note.frame_truncated": ("{opcode} frame payload of {length} bytes is longer than the --max-message cap ({cap} "
                             "bytes): keeping only the first {cap}",
                             "{opcode}帧的载荷有 {length} 字节，超过了 --max-message 上限（{cap} 字节）：只保留前 "
                             "{cap} 字节"),
    # WebSocket messages (websocket/messages.py)
    "note.incomplete_message": ("{side} {opcode} message unfinished at end of capture: {frames} frame(s), {bytes} "
                                "payload bytes, no final frame",
                                "{side}的{opcode}消息在抓包结束时还没有完成：{frames} 个帧，{bytes} 字节载荷，"
                                "没有最后一帧"),
    "note.invalid_utf8.message": ("{side} text message is not valid UTF-8 (byte {pos} of {size}) (RFC 6455 8.1)",
                                  "{side}的文本消息不是有效的 UTF-8（{size} 字节中的第 {pos} 字节，从 0 数起）"
                                  "（RFC 6455 8.1）"),
    "note.invalid_utf8.close_reason": ("Close frame reason is not valid UTF-8 (byte {pos}) (RFC 6455 5.5.1)",
                                       "Close 帧的原因不是有效的 UTF-8（第 {pos} 字节，从 0 数起）（RFC 6455 5.5.1）"),
    "note.unmasked_client_frame": ("client {opcode} frame is not masked (RFC 6455 5.1)",
                                   "客户端的{opcode}帧没有加掩码（RFC 6455 5.1）"),
    "note.masked_server_frame": ("server {opcode} frame is masked (RFC 6455 5.1)",
                                 "服务端的{opcode}帧加了掩码（RFC 6455 5.1）"),
    "note.data_after_close": ("{side} sent a {opcode} frame after its Close frame (#{close_no}) (RFC 6455 5.5.1)",
                              "{side}在自己的 Close 帧（#{close_no}）之后又发送了{opcode}帧（RFC 6455 5.5.1）"),
    "note.reserved_opcode.control": ("{side} frame uses reserved opcode 0x{op:x} (control); no extension defines it",
                                     "{side}的帧使用了保留的操作码 0x{op:x}（控制帧）；没有扩展定义它"),
    "note.reserved_opcode.non_control": ("{side} frame uses reserved opcode 0x{op:x} (non-control); no extension "
                                         "defines it", "{side}的帧使用了保留的操作码 0x{op:x}（非控制帧）；没有扩展定义它"),
    "note.control_frame_too_long": ("{opcode} frame carries {n} payload bytes; control frames allow at most 125 "
                                    "(RFC 6455 5.5)",
                                    "{opcode}帧携带了 {n} 字节载荷；控制帧最多只允许 125 字节（RFC 6455 5.5）"),
    "note.fragmented_control_frame": ("{opcode} frame has FIN=0; control frames must not be fragmented (RFC 6455 "
                                      "5.5)", "{opcode}帧的 FIN=0；控制帧不能分片（RFC 6455 5.5）"),
    "note.unexpected_continuation": ("{side} continuation frame with no fragmented message in progress",
                                     "{side}发送了后续帧，但当前没有正在进行的分片消息"),
    "note.interleaved_data_frame": ("{side} {opcode} frame starts a new message while a fragmented {prev_opcode} "
                                    "message ({frames} frame(s) so far) is unfinished; the unfinished one is dropped",
                                    "{side}的{opcode}帧开始了一条新消息，而之前分片的{prev_opcode}消息（目前 {frames} "
                                    "个帧）还没有结束；没有结束的那条被丢弃"),
    "note.rsv_not_negotiated": ("{side} {opcode} frame sets {bits}; no negotiated extension defines it (RFC 6455 "
                                "5.2)", "{side}的{opcode}帧设置了 {bits}；没有哪个协商过的扩展定义了它（RFC 6455 5.2）"),
    "note_part.rsv1_no_extension": ("RSV1 (no extension negotiated)", "RSV1（没有协商任何扩展）"),
    "note_part.rsv1_not_first": ("RSV1 (permessage-deflate allows it only on the first frame of a data message)",
                                 "RSV1（permessage-deflate 只允许它出现在数据消息的第一帧上）"),
    "note.bad_close_payload": ("Close frame payload is 1 byte; it must be empty or start with a 2-byte status code "
                               "(RFC 6455 5.5.1)",
                               "Close 帧的载荷只有 1 字节；它必须为空，或者以 2 字节的状态码开头（RFC 6455 5.5.1）"),
    "note.close_payload_missing": ("{n} bytes of this Close frame are missing from the capture: its status code "
                                   "and reason are unknown", "抓包里缺少这个 Close 帧的 {n} 字节：无从得知它的状态码和原因"),
    "note.bad_close_code": ("close status code {code} ({close_name}) may not be sent in a Close frame (RFC 6455 7.4)",
                            "关闭状态码 {code}（{close_name}）不允许出现在 Close 帧里（RFC 6455 7.4）"),
    "note.inflate_gap": ("{n} bytes of a compressed {side} message are missing from the capture: the rest of the "
                         "message cannot be inflated",
                         "抓包里缺少{side}一条压缩消息的 {n} 字节：这条消息的其余部分无法解压"),
    "note.inflate_error": ("compressed {side} message cannot be inflated: {error}", "{side}的压缩消息无法解压：{error}"),
    "note.message_truncated": ("{side} {opcode} message is longer than the --max-message cap ({cap} bytes): keeping "
                               "only the first {cap}",
                               "{side}的{opcode}消息超过了 --max-message 上限（{cap} 字节）：只保留前 {cap} 字节"),
    "note.message_truncated.compressed": ("{side} {opcode} message is longer than the --max-message cap ({cap} "
                                          "bytes): keeping only the first {cap} and not inflating the rest",
                                          "{side}的{opcode}消息超过了 --max-message 上限（{cap} 字节）：只保留前 "
                                          "{cap} 字节，其余部分不再解压"),
    "note.inflate_context_lost": ("a compressed {side} message was not fully inflated and the window is shared "
                                  "(context takeover): later messages that refer back to it cannot be inflated and "
                                  "will be marked truncated",
                                  "{side}的一条压缩消息没有完全解压，而压缩窗口是共享的（context takeover）：之后引用"
                                  "它的消息都无法解压，会被标记为截断"),
    # the capture itself (cli/common.py, sources/live.py)
    "note.capture_snaplen.one": ("1 TCP packet was cut short by the capture's snaplen ({kept} bytes kept): its "
                                 "bytes past it are missing, so what it carried is analysed only in part (capture "
                                 "again with a bigger snaplen, e.g. tcpdump -s 0)",
                                 "1 个 TCP 数据包被抓包的截断长度（snaplen）截短了（只保留了 {kept} 字节）：超出部分的"
                                 "字节缺失，它携带的内容只能部分分析（请用更大的 snaplen 重新抓包，例如 tcpdump -s 0）"),
    "note.capture_snaplen": ("{n} TCP packets were cut short by the capture's snaplen (at most {kept} bytes kept "
                             "of a packet): their bytes past it are missing, so what they carried is analysed only "
                             "in part (capture again with a bigger snaplen, e.g. tcpdump -s 0)",
                             "{n} 个 TCP 数据包被抓包的截断长度（snaplen）截短了（每个包最多只保留 {kept} 字节）："
                             "超出部分的字节缺失，它们携带的内容只能部分分析（请用更大的 snaplen 重新抓包，例如 "
                             "tcpdump -s 0）"),
    "note.capture_truncated": ("{source}: {error}", "{source}：文件在这里损坏或中断，之前的数据包都已分析：{error}"),
    "note.capture_stats": ("{where}: {shown}, none dropped by the kernel", "{where}：{shown}，内核没有丢弃任何数据包"),
    "note.capture_stats.unknown": ("{where}: {shown}; this platform does not say how many the kernel dropped",
                                   "{where}：{shown}；这个平台不报告内核丢弃了多少数据包"),
    "note.capture_drops": ("{where}: {shown}, {dropped} dropped by the kernel (capture buffer full): the timeline "
                           "has gaps", "{where}：{shown}，内核丢弃了 {dropped} 个（抓包缓冲区已满）：时间线上有缺口"),
    "note_part.live_capture": ("live capture on {iface}", "在 {iface} 上实时抓包"),
    "note_part.live_capture_filter": ("live capture on {iface} (filter {filter!r})",
                                      "在 {iface} 上实时抓包（过滤器 {filter!r}）"),
    "note_part.packets_captured.one": ("{n} packet captured", "抓到 {n} 个数据包"),
    "note_part.packets_captured.many": ("{n} packets captured", "抓到 {n} 个数据包"),

    # -- phases (render/flow.py's PHASES, in order) -------------------------------------------------------
    "phase.0": ("TCP handshake", "TCP 三次握手"),
    "phase.1": ("WebSocket handshake", "WebSocket 握手"),
    "phase.2": ("data transfer", "数据传输"),
    "phase.3": ("closing", "关闭连接"),
    "phase.4": ("TLS handshake", "TLS 握手"),

    # -- the lab page (render/report.py, report.js) -------------------------------------------------------
    "report.title": ("Lab page: {capture}", "实验页面：{capture}"),
    "report.made_by": ("made by wsdissect {version}; works offline", "由 wsdissect {version} 生成；可离线使用"),
    "report.switch": ("中文", "English（英文）"),
    "report.switch_title": ("Show this page in Chinese", "用英文显示本页面"),
    "report.print": ("Print", "打印"),
    "report.caps": ("The list has all {rows} packets, {page} per page. Details and bytes are embedded for the first "
                    "{cap} packets; for a later one, \"wsdissect show {capture} N\" prints them. Ladders are drawn "
                    "for the first {ladders} connections, at most {arrows} arrows each.",
                    "列表包含全部 {rows} 个数据包，每页 {page} 个。只嵌入了前 {cap} 个数据包的详情和字节；之后的数据包"
                    "请用 “wsdissect show {capture} N” 查看。只为前 {ladders} 个连接画流程图，每个最多 {arrows} 个箭头。"),
    "report.packets": ("Packets", "数据包"),
    "report.legend": ("Colour = phase:", "颜色 = 阶段："),
    "report.phase.handshake": ("TCP handshake", "TCP 握手"),
    "report.phase.upgrade": ("HTTP upgrade", "HTTP 升级"),
    "report.phase.data": ("data", "数据"),
    "report.phase.control": ("control (ping/pong)", "控制帧（ping/pong）"),
    "report.phase.close": ("closing handshake", "关闭握手"),
    "report.phase.teardown": ("TCP teardown", "TCP 断开"),
    "report.phase.other": ("other", "其他"),
    "report.phase.problem": ("problem", "问题"),
    "report.filter.role": ("Role", "角色"),
    "report.filter.all_roles": ("all roles", "所有角色"),
    "report.filter.conn": ("Connection", "连接"),
    "report.filter.all_conns": ("all connections", "所有连接"),
    "report.filter.no_conn": ("no connection", "不属于连接"),
    "report.filter.text": ("Search", "搜索"),
    "report.filter.placeholder": ("words in Info or Meaning, a port…", "信息或含义中的文字、端口……"),
    "report.shown": ("{shown} of {total} packets", "显示 {shown} 个，共 {total} 个数据包"),
    "report.page": ("page {page} of {pages}", "第 {page} 页，共 {pages} 页"),
    "report.prev": ("‹ previous", "‹ 上一页"),
    "report.next": ("next ›", "下一页 ›"),
    "report.keys": ("Keys: ↑/↓ move, Enter opens the packet, PgUp/PgDn turn the page, Home/End; from the search "
                    "box, ↓ or Enter goes to the list.",
                    "按键：↑/↓ 移动，Enter 打开数据包，PgUp/PgDn 翻页，Home/End 到首尾；在搜索框中按 ↓ 或 Enter 回到列表。"),
    "report.none": ("No packet matches the filters.", "没有符合筛选条件的数据包。"),
    "report.col.ports": ("Client ⇄ Server", "客户端 ⇄ 服务端"),
    "report.col.conn": ("Conn", "连接"),
    "report.details": ("Packet {no}", "数据包 {no}"),
    "report.details_none": ("Packet details", "数据包详情"),
    "report.pick": ("Click a packet (or move to it and press Enter) to see its fields and bytes.",
                    "点击一个数据包（或移到它上面按 Enter），查看它的字段和字节。"),
    "report.no_details": ("Packet {no} is past the first {cap} packets, so its details and bytes are not in this "
                          "page: \"wsdissect show {capture} {no}\" prints them.",
                          "数据包 {no} 在前 {cap} 个数据包之后，本页没有它的详情和字节：用 "
                          "“wsdissect show {capture} {no}” 查看。"),
    "report.tree": ("Fields (click one to highlight its bytes)", "字段（点击一行，高亮它的字节）"),
    "report.bytes": ("The packet's {n} bytes", "数据包的 {n} 个字节"),
    "report.bytes_cut": ("the first {shown} of {n} bytes are embedded", "只嵌入了 {n} 字节中的前 {shown} 字节"),
    "report.marked": ("(highlighted: the bytes of {field})", "（高亮：{field} 的字节）"),
    "report.mask.title": ("Masked payload", "掩码载荷"),
    "report.mask.key": ("mask key {key}: each payload byte is XORed with key byte (i mod 4)",
                        "掩码密钥 {key}：载荷的每个字节与密钥的第 (i mod 4) 个字节异或"),
    "report.mask.wire": ("on the wire (masked)", "线路上（已掩码）"),
    "report.mask.plain": ("unmasked", "去掩码后"),
    "report.phase_now": ("This packet's phase", "该数据包所处的阶段"),
    "report.flow": ("Connections, step by step", "逐步查看每个连接"),
    "report.flow.conn": ("Connection {id}: {client} ⇄ {server}", "连接 {id}：{client} ⇄ {server}"),
    "report.flow.more": ("… {n} more packets of this connection are not drawn (a ladder stops at {cap} arrows).",
                         "……该连接还有 {n} 个数据包没有画出（流程图最多画 {cap} 个箭头）。"),
    "report.flow.more_conns": ("… and {n} more connections, not drawn (the page draws the first {cap}); "
                               "`wsdissect read {capture} --view flow --conn N` draws one.",
                               "……还有 {n} 个连接没有画出（本页只画前 {cap} 个）；用 "
                               "`wsdissect read {capture} --view flow --conn N` 画出其中一个。"),
    "report.flow.hint": ("Click an arrow to open its packet.", "点击箭头打开对应的数据包。"),
    "report.explain.at": ("before packet #{no}", "从数据包 #{no} 开始"),
    "report.explain.seen": ("as for connection {first}: {title}", "与连接 {first} 相同：{title}"),
    "report.summary": ("Summary", "摘要"),
    "report.stats": ("Statistics", "统计"),

    # -- the flow view's own words ------------------------------------------------------------------------
    "flow.ack_of_fin": ("ACK of FIN", "确认 FIN 的 ACK"),
    "flow.no_close": ("{flags} (no Close frame!)", "{flags}（没有 Close 帧！）"),
    "flow.retransmission": ("retransmission ({n} bytes)", "重传（{n} 字节）"),
    "flow.data": ("{flags} {n} bytes", "{flags} {n} 字节"),
    "flow.silence": ("{seconds} s of silence", "静默 {seconds} 秒"),

    # -- words several views share (render/words.py; timeline, show, follow, stats) ----------------------
    "view.conn": ("conn {id}", "连接 {id}"),
    "view.no_handshake": ("WebSocket (no handshake seen)", "WebSocket（未看到握手）"),
    "view.not_upgraded": ("not upgraded (HTTP {status})", "未升级（HTTP {status}）"),
    "view.not_websocket": ("not WebSocket", "不是 WebSocket"),
    "view.dir": ("client {arrow} server", "客户端 {arrow} 服务端"),
    "view.dir_back": ("server {arrow} client", "服务端 {arrow} 客户端"),
    "view.subprotocol": ("subprotocol: {name}", "子协议：{name}"),
    "view.extensions": ("extensions: {ext}", "扩展：{ext}"),
    "view.no_extensions": ("no extensions", "没有扩展"),
    "view.none": ("none", "无"),
    "view.unknown": ("unknown", "未知"),
    "view.other": ("other", "其他"),
    "view.messages.one": ("{n} message", "{n} 条消息"),
    "view.messages.many": ("{n} messages", "{n} 条消息"),
    "view.frames.one": ("{n} frame", "{n} 个帧"),
    "view.frames.many": ("{n} frames", "{n} 个帧"),
    "view.packets.one": ("{n} packet", "{n} 个数据包"),
    "view.packets.many": ("{n} packets", "{n} 个数据包"),
    "view.connections.one": ("{n} connection", "{n} 条连接"),
    "view.connections.many": ("{n} connections", "{n} 条连接"),
    "view.notes.one": ("{n} note", "{n} 条提示"),
    "view.notes.many": ("{n} notes", "{n} 条提示"),

    # -- note severities (Wireshark's expert info levels) ---------------------------------------------------
    "sev.error": ("error", "错误"),
    "sev.warning": ("warning", "警告"),
    "sev.note": ("note", "注意"),
    "sev.chat": ("chat", "信息"),

    # -- what a close status code means (show) --------------------------------------------------------------
    "closemeaning.1000": ("the purpose of the connection has been fulfilled", "连接的目的已经达成"),
    "closemeaning.1001": ("the endpoint is going away (server shutdown, page navigated away)",
                          "端点要离开了（服务端关闭，或浏览器离开了页面）"),
    "closemeaning.1002": ("the endpoint received something that violates the protocol", "端点收到了违反协议的内容"),
    "closemeaning.1003": ("the endpoint received a type of data it cannot accept", "端点收到了它无法接受的数据类型"),
    "closemeaning.1004": ("reserved; meaning might be defined in the future", "保留；含义可能在将来定义"),
    "closemeaning.1005": ("placeholder for 'no status code present'; never sent on the wire",
                          "表示“没有状态码”的占位值；从不在线路上发送"),
    "closemeaning.1006": ("placeholder for 'closed without a Close frame'; never sent on the wire",
                          "表示“没有 Close 帧就关闭了”的占位值；从不在线路上发送"),
    "closemeaning.1007": ("message data inconsistent with its type (e.g. bad UTF-8 in text)",
                          "消息数据与其类型不符（例如文本里有非法的 UTF-8）"),
    "closemeaning.1008": ("the endpoint received a message that violates its policy", "端点收到了违反其策略的消息"),
    "closemeaning.1009": ("the endpoint received a message too big to process", "端点收到的消息太大，无法处理"),
    "closemeaning.1010": ("the client needed an extension the server did not negotiate",
                          "客户端需要的扩展服务端没有协商"),
    "closemeaning.1011": ("the server hit an unexpected condition", "服务端遇到了意外情况"),
    "closemeaning.1012": ("the service is restarting", "服务正在重启"),
    "closemeaning.1013": ("temporary condition (e.g. overload); try again later", "临时状况（例如过载）；请稍后重试"),
    "closemeaning.1014": ("a gateway or proxy received an invalid response from upstream",
                          "网关或代理从上游收到了无效的响应"),
    "closemeaning.1015": ("placeholder for 'TLS handshake failed'; never sent on the wire",
                          "表示“TLS 握手失败”的占位值；从不在线路上发送"),
    "closemeaning.3000": ("the endpoint is not authorized (registered, library/framework range)",
                          "端点未获授权（已注册，库和框架使用的范围）"),
    "closemeaning.3003": ("the endpoint is authenticated but not allowed (registered, library/framework range)",
                          "端点已通过认证但不被允许（已注册，库和框架使用的范围）"),
    "closemeaning.3008": ("a timeout occurred (registered, library/framework range)",
                          "发生了超时（已注册，库和框架使用的范围）"),
    "closemeaning.registered": ("registered with IANA for libraries, frameworks and applications",
                                "在 IANA 注册，供库、框架和应用使用"),
    "closemeaning.private": ("private use, agreed between the application's endpoints", "私有用途，由应用的两端自行约定"),
    "closemeaning.invalid": ("not used by RFC 6455; may not be sent", "RFC 6455 不使用；不得发送"),
    "closemeaning.reserved": ("reserved for RFC 6455, its revisions and extensions; unassigned, may not be sent",
                              "保留给 RFC 6455 及其修订和扩展；尚未分配，不得发送"),
    "closemeaning.outside": ("outside every range RFC 6455 defines; may not be sent",
                             "不在 RFC 6455 定义的任何范围内；不得发送"),

    # -- the timeline (render/timeline.py): column heads, headings, frame lines, summary --------------------
    "tl.col.no": ("No.", "序号"),
    "tl.col.time": ("Time", "时间"),
    "tl.col.ports": ("Client{both}Server", "客户端{both}服务端"),
    "tl.col.flags": ("Flags", "标志"),
    "tl.col.proto": ("Proto", "协议"),
    "tl.col.len": ("Len", "长度"),
    "tl.col.info": ("Info", "信息"),
    "tl.col.meaning": ("Meaning", "含义"),
    "tl.mid_connection": ("(no SYN seen: the capture began mid-connection)",
                          "（未看到 SYN：抓包开始时连接已经建立）"),
    "tl.decode_as": ("(no handshake seen: WebSocket framing assumed by --decode-as)",
                     "（未看到握手：按 --decode-as 假定为 WebSocket 帧）"),
    "tl.not_upgraded": ("{glyph} not upgraded: the server answered HTTP {status}",
                        "{glyph} 未升级：服务端回复了 HTTP {status}"),
    "tl.ws_open": ("{glyph} WebSocket open: {method} {uri}", "{glyph} WebSocket 已打开：{method} {uri}"),
    "tl.subprotocol_none": ("subprotocol: none (offered: {offered})", "子协议：无（客户端提议了 {offered}）"),
    "tl.deflate_declined": ("deflate offered, declined", "提议了 deflate，被拒绝"),
    "tl.extensions_declined": ("extensions offered ({ext}), declined", "提议了扩展（{ext}），被拒绝"),
    "tl.accept_ok": ("accept key {ok}", "accept 密钥 {ok}"),
    "tl.accept_bad": ("{glyph} accept key {bad}: expected {expected}, got {got}",
                      "{glyph} accept 密钥 {bad}：应为 {expected}，实际为 {got}"),
    "tl.frame.continuation": ("Continuation", "后续帧"),
    "tl.frame.text": ("Text", "文本帧"),
    "tl.frame.binary": ("Binary", "二进制帧"),
    "tl.frame.close": ("Close", "Close 帧"),
    "tl.frame.ping": ("Ping", "Ping 帧"),
    "tl.frame.pong": ("Pong", "Pong 帧"),
    "tl.frame.reserved": ("Reserved opcode 0x{opcode}", "保留操作码 0x{opcode} 的帧"),
    "tl.tag.no_fin": ("[no FIN]", "[无 FIN]"),
    "tl.tag.compressed": ("[COMPRESSED]", "[已压缩]"),
    "tl.tag.masked": ("[MASKED]", "[已掩码]"),
    "tl.tag.masked_key": ("[MASKED key {key}]", "[掩码密钥 {key}]"),
    "tl.tag.missing": ("[{n} missing]", "[缺失 {n} 字节]"),
    "tl.no_status": ("(no status code)", "（无状态码）"),
    "tl.deflated": ("(deflated payload)", "（压缩的载荷）"),
    "tl.inflated": ("inflated {wire} {arrow} {size}", "解压 {wire} {arrow} {size}"),
    "tl.msg_complete": ("message complete: {kind}, {frames} frames, {size}", "完整消息：{kind}，{frames} 个帧，{size}"),
    "tl.msg": ("{kind} message {size}", "{kind}消息，{size}"),
    "tl.colon": (":", "："),
    "tl.at_end": ("at the end of the capture:", "抓包结束时："),
    "tl.end_frame": ("{head} (conn {conn}, from #{no})", "{head}（连接 {conn}，从 #{no} 开始）"),
    "tl.end_note": ("conn {conn}: {text}", "连接 {conn}：{text}"),
    "tl.summary": ("Summary: {packets} {span}: {tcp} TCP, {other} other (not shown), {malformed} malformed; "
                   "{connections}",
                   "摘要：{packets}，{span}：TCP {tcp} 个，其他 {other} 个（未显示），畸形 {malformed} 个；{connections}"),
    "tl.over": ("over {seconds} s", "历时 {seconds} 秒"),
    "tl.empty": ("(empty capture)", "（空抓包）"),
    "tl.notes": ("notes: ", "提示："),
    "tl.sev_count.one": ("{n} {severity}", "{n} 条{severity}"),
    "tl.sev_count.many": ("{n} {severity}s", "{n} 条{severity}"),
    # A connection's bytes are TCP payload (the HTTP upgrade included), not the messages' sizes: say so.
    "tl.traffic_ws": ("{dir}: {messages}; {bytes} of TCP payload", "{dir}：{messages}；TCP 载荷 {bytes}"),
    "tl.traffic": ("{dir}: {bytes} of TCP payload", "{dir}：TCP 载荷 {bytes}"),
    "tl.closed_by": ("closed by {side}: {code} {name}", "{side}发起关闭：{code} {name}"),
    "tl.close_no_code": ("Close frame from the {side} without a status code", "{side}发送的 Close 帧没有状态码"),
    "tl.no_close_frame": ("closed without a WebSocket Close frame", "关闭时没有 WebSocket Close 帧"),
    "tl.end.fin": ("TCP ended with FIN", "TCP 以 FIN 结束"),
    "tl.end.rst": ("TCP ended with RST (reset)", "TCP 以 RST 结束（重置）"),
    "tl.end.open": ("TCP still open at the end of the capture", "抓包结束时 TCP 仍然打开"),
    "tl.end.other": ("TCP ended: {end}", "TCP 结束：{end}"),
    "tl.first_from": (" (first from the {side})", "（{side}先发送）"),
    "tl.notes_by_code": ("notes by code:", "按代码统计的提示："),
    "tl.caps": ("limits reached (some data was not kept):", "达到了上限（有些数据没有保留）："),
    "tl.past_cap": ("{n} packets of connections dropped at --max-connections were counted, not analysed",
                    "{n} 个数据包属于因 --max-connections 被放弃的连接：只计数，未分析"),
    # The connections past --max-summary-connections, in one entry after the listed ones (CaptureSummary.folded).
    "tl.folded.one": ("… and {n} more connection ({ws} WebSocket), counted but not listed "
                      "(see --max-summary-connections)",
                      "……另有 {n} 条连接（其中 WebSocket {ws} 条）只计数、不逐条列出（见 --max-summary-connections）"),
    "tl.folded.many": ("… and {n} more connections ({ws} WebSocket), counted but not listed "
                       "(see --max-summary-connections)",
                       "……另有 {n} 条连接（其中 WebSocket {ws} 条）只计数、不逐条列出（见 --max-summary-connections）"),
    "tl.folded_ended": ("TCP ended: {fin} FIN, {rst} RST, {open} still open",
                        "TCP 结束方式：FIN {fin} 条，RST {rst} 条，仍然打开 {open} 条"),
    "tl.folded_closes": ("Close codes: {codes}", "关闭状态码：{codes}"),
    "tl.folded_other": ("other", "其他"),
    "tl.capture_file": ("about the capture:", "关于这次抓包："),
    "tl.colours": ("colours:", "颜色："),
    "tl.legend.0": ("TCP handshake/teardown", "TCP 握手/挥手"),
    "tl.legend.1": ("WebSocket handshake", "WebSocket 握手"),
    "tl.legend.2": ("data", "数据"),
    "tl.legend.3": ("ping/pong", "Ping/Pong 帧"),
    "tl.legend.4": ("close", "关闭"),
    "tl.legend.5": ("reset", "重置"),
    "tl.legend.6": ("bare ACK", "纯 ACK"),

    # -- the flow view: frame words on the arrows, Mermaid names (render/flow.py) ---------------------------
    "flow.frame.continuation": ("Continuation", "后续"),
    "flow.frame.text": ("Text", "文本"),
    "flow.frame.binary": ("Binary", "二进制"),
    "flow.frame.reserved": ("Reserved", "保留"),
    "flow.fragment": (" (fragment)", "（分片）"),
    "flow.deflated": (" [deflated {n} B]", " [压缩 {n} B]"),
    "flow.mm_connection": ("connection {id}", "连接 {id}"),
    "flow.mm_client": ("Client", "客户端"),
    "flow.mm_server": ("Server", "服务端"),
    "flow.mm_time": (" ({seconds} s)", "（{seconds} 秒）"),

    # -- `show`: the details tree of one packet (render/details.py) -----------------------------------------
    "show.frame": ("Frame {no}: {wirelen} bytes on the wire, {n} captured", "帧 {no}：线路上 {wirelen} 字节，捕获 {n} 字节"),
    "show.time": ("Time: {ts} (epoch), {rel} s since the first packet", "时间：{ts}（Unix 纪元时间），距第一个数据包 {rel} 秒"),
    "show.connection": ("Connection {id}: {client} (client) {arrow} {server} (server), {rel} s since its first packet",
                        "连接 {id}：{client}（客户端）{arrow} {server}（服务端），距该连接的第一个数据包 {rel} 秒"),
    "show.snaplen": ("only {n} of {wirelen} bytes were captured (snaplen)", "{wirelen} 字节中只捕获了 {n} 字节（snaplen）"),
    "show.not_ip": ("not IP: wsdissect counts this packet and does not analyse it",
                    "不是 IP：wsdissect 只统计这个数据包，不分析它"),
    "show.not_tcp": ("not TCP ({proto}): counted, not analysed", "不是 TCP（{proto}）：只统计，不分析"),
    "show.resent": ("Payload ({n} bytes): already sent in an earlier packet, not analysed again",
                    "载荷（{n} 字节）：之前的数据包已经发送过，不再重复分析"),
    "show.short_header": ("{what}: short header ({n} of {need} bytes)", "{what}：首部不完整（只有 {n} 字节，应为 {need} 字节）"),
    "show.loopback": ("Loopback", "环回"),
    "show.eth": ("Ethernet II: {src} {arrow} {dst}", "以太网 Ethernet II：{src} {arrow} {dst}"),
    "show.eth_dst": ("Destination: {mac}", "目的地址：{mac}"),
    "show.eth_src": ("Source: {mac}", "源地址：{mac}"),
    "show.vlan": ("VLAN tag ({kind}): ID {id}, priority {prio}", "VLAN 标签（{kind}）：ID {id}，优先级 {prio}"),
    "show.eth_type": ("Type: {etype} ({name})", "类型：{etype}（{name}）"),
    "show.sll": ("Linux cooked capture (SLL): the capture was taken on 'any' interface",
                 "Linux cooked capture（SLL）：在 “any” 接口上抓取"),
    "show.sll2": ("Linux cooked capture v2 (SLL2)", "Linux cooked capture v2（SLL2）"),
    "show.pkttype": ("Packet type: {ptype} ({name})", "包类型：{ptype}（{name}）"),
    "show.pkttype.0": ("to us", "发给本机"),
    "show.pkttype.1": ("broadcast", "广播"),
    "show.pkttype.2": ("multicast", "组播"),
    "show.pkttype.3": ("to another host", "发给其他主机"),
    "show.pkttype.4": ("sent by us", "本机发出"),
    "show.lladdr": ("Link-layer address: {mac}", "链路层地址：{mac}"),
    "show.protocol": ("Protocol: {proto} ({name})", "协议：{proto}（{name}）"),
    "show.ifindex": ("Interface index: {i}", "接口索引：{i}"),
    "show.bsd_loop": ("BSD loopback ({kind}): family {fam} ({name})", "BSD 环回（{kind}）：地址族 {fam}（{name}）"),
    "show.raw_ip": ("Raw IP: no link-layer header in this capture", "原始 IP：这个抓包没有链路层首部"),
    "show.linktype": ("Link type {lt}: not supported by wsdissect", "链路类型 {lt}：wsdissect 不支持"),
    "show.ipv4": ("Internet Protocol version 4: {src} {arrow} {dst}", "网际协议 IPv4：{src} {arrow} {dst}"),
    "show.ipv4_version": ("Version: 4, header length: {n} bytes", "版本：4，首部长度：{n} 字节"),
    "show.ip_len": ("Total length: {n} bytes (header + TCP segment)", "总长度：{n} 字节（首部 + TCP 报文段）"),
    "show.ip_id": ("Identification: {id}", "标识：{id}"),
    "show.ip_df": ("Don't Fragment", "不分片（DF）"),
    "show.ip_mf": ("More Fragments", "还有分片（MF）"),
    "show.ip_flags": ("Flags: {flags}; fragment offset {off}", "标志：{flags}；片偏移 {off}"),
    "show.ttl": ("Time to live: {ttl} (routers left before the packet is dropped)",
                 "生存时间（TTL）：{ttl}（数据包被丢弃之前还能经过的路由器数）"),
    "show.ip_checksum": ("Header checksum: {sum}", "首部校验和：{sum}"),
    "show.src_addr": ("Source address: {addr}", "源地址：{addr}"),
    "show.dst_addr": ("Destination address: {addr}", "目的地址：{addr}"),
    "show.bad_hlen": ("bad header length {n}", "首部长度 {n} 无效"),
    "show.ip_fragment": ("an IP fragment: wsdissect does not reassemble IP fragments",
                         "这是一个 IP 分片：wsdissect 不重组 IP 分片"),
    "show.ipv6": ("Internet Protocol version 6: {src} {arrow} {dst}", "网际协议 IPv6：{src} {arrow} {dst}"),
    "show.ipv6_version": ("Version: 6, traffic class {tc}, flow label {fl}", "版本：6，流量类别 {tc}，流标签 {fl}"),
    "show.ipv6_plen": ("Payload length: {n} bytes", "载荷长度：{n} 字节"),
    "show.ipv6_next": ("Next header: {nxt} ({name})", "下一个首部：{nxt}（{name}）"),
    "show.ipv6_ext_name": ("extension header", "扩展首部"),
    "show.hop_limit": ("Hop limit: {hop} (routers left before the packet is dropped)",
                       "跳数限制：{hop}（数据包被丢弃之前还能经过的路由器数）"),
    "show.ipv6_ext": ("Extension header {nxt}: {n} bytes", "扩展首部 {nxt}：{n} 字节"),
    "show.tcp": ("Transmission Control Protocol: port {sport} {arrow} {dport}",
                 "传输控制协议 TCP：端口 {sport} {arrow} {dport}"),
    "show.sport": ("Source port: {port}", "源端口：{port}"),
    "show.dport": ("Destination port: {port}", "目的端口：{port}"),
    "show.seq_rel": ("Sequence number: {seq} (relative), raw {raw}: counts the bytes this side sent; the SYN counts "
                     "as one, so data starts at 1",
                     "序列号：{seq}（相对值），原始值 {raw}：为这一方发送的字节编号；SYN 本身占一个序号，所以数据从 1 开始"),
    "show.next_seq": ("next sequence number: {n} (relative): what the peer will acknowledge",
                      "下一个序列号：{n}（相对值）：对方将要确认的值"),
    "show.ack_rel": ("Acknowledgment number: {ack} (relative), raw {raw}: the next byte expected from the other side",
                     "确认号：{ack}（相对值），原始值 {raw}：期望从对方收到的下一个字节"),
    "show.ack_invalid": ("Acknowledgment number: raw {raw} (not valid: ACK not set)",
                         "确认号：原始值 {raw}（无效：没有设置 ACK）"),
    "show.seq_raw": ("Sequence number: {seq} (raw)", "序列号：{seq}（原始值）"),
    "show.ack_raw": ("Acknowledgment number: {ack} (raw)", "确认号：{ack}（原始值）"),
    "show.tcp_hlen": ("Header length: {n} bytes ({words} × 4)", "首部长度：{n} 字节（{words} × 4）"),
    "show.tcp_flags": ("Flags: {hex} ({names})", "标志：{hex}（{names}）"),
    "show.flag_set": ("{bits} = {name}: set — {meaning}", "{bits} = {name}：已设置——{meaning}"),
    "show.flag_unset": ("{bits} = {name}: not set", "{bits} = {name}：未设置"),
    "show.flag.cwr": ("congestion window reduced (ECN)", "拥塞窗口已减小（ECN）"),
    "show.flag.ece": ("ECN echo: congestion seen on the path", "ECN 回显：路径上出现了拥塞"),
    "show.flag.urg": ("urgent pointer is significant", "紧急指针有效"),
    "show.flag.ack": ("the acknowledgment number is valid", "确认号有效"),
    "show.flag.psh": ("push: hand the data to the application now", "推送：立即把数据交给应用程序"),
    "show.flag.rst": ("reset: abort the connection", "复位：中止连接"),
    "show.flag.syn": ("synchronize sequence numbers: open a connection", "同步序列号：建立连接"),
    "show.flag.fin": ("finished: the sender will send no more data", "结束：发送方不会再发送数据"),
    "show.window_scaled": ("Window: {win} (raw); {scaled} bytes after window scaling: how much more the sender can "
                           "receive", "窗口：{win}（原始值）；按窗口扩大因子换算后为 {scaled} 字节：发送方还能接收多少数据"),
    "show.window": ("Window: {win} bytes: how much more the sender can receive",
                    "窗口：{win} 字节：发送方还能接收多少数据"),
    "show.window_syn": (" (never scaled in a SYN)", "（SYN 中的窗口从不缩放）"),
    "show.checksum": ("Checksum: {sum}", "校验和：{sum}"),
    "show.urgent": ("Urgent pointer: {n}", "紧急指针：{n}"),
    "show.not_captured": (" ({n} more not captured)", "（另有 {n} 字节未捕获）"),
    "show.payload": ("Payload: {n} bytes{more}", "载荷：{n} 字节{more}"),
    "show.role": ("Role: {role}", "角色：{role}"),
    "show.note": ("[{severity}] {text} ({code})", "[{severity}] {text}（{code}）"),
    "show.options": ("Options: {n} bytes", "选项：{n} 字节"),
    "show.opt_end": ("End of options", "选项结束"),
    "show.opt_bad": ("malformed option", "畸形选项"),
    "show.opt_mss": ("Maximum segment size: {n} bytes", "最大报文段长度（MSS）：{n} 字节"),
    "show.opt_wscale": ("Window scale: shift {shift} (multiply windows by {factor})",
                        "窗口扩大因子：左移 {shift} 位（窗口值乘以 {factor}）"),
    "show.opt_sack_perm": ("SACK permitted", "允许 SACK"),
    "show.opt_sack": ("SACK: {n} block(s)", "SACK：{n} 个块"),
    "show.opt_ts": ("Timestamps: TSval {tsval}, TSecr {tsecr}", "时间戳：TSval {tsval}，TSecr {tsecr}"),
    "show.opt_other": ("Option {kind}: {n} bytes", "选项 {kind}：{n} 字节"),
    "show.http_request": ("Hypertext Transfer Protocol: request", "超文本传输协议 HTTP：请求"),
    "show.http_response": ("Hypertext Transfer Protocol: response", "超文本传输协议 HTTP：响应"),
    "show.http_continues": (" (head continues in the next packet)", "（首部在下一个数据包中继续）"),
    "show.http_get": ("GET {target}: the resource (path and query) the WebSocket is opened on",
                      "GET {target}：WebSocket 要打开的资源（path 和 query）"),
    "show.http_101": ("101 Switching Protocols: from the next byte on, this connection speaks WebSocket",
                      "101 Switching Protocols：从下一个字节起，这条连接改说 WebSocket"),
    "show.http_refused": ("status {code}: the upgrade was refused; no WebSocket frames will follow",
                          "状态码 {code}：升级被拒绝；之后不会有 WebSocket 帧"),
    "show.hdr.host": ("the server's name and port, as the client addressed it (required in HTTP/1.1)",
                      "服务端的名字和端口，按客户端访问时写的那样（HTTP/1.1 要求必须有）"),
    "show.hdr.upgrade": ("asks to switch this TCP connection from HTTP to another protocol: websocket",
                         "请求把这条 TCP 连接从 HTTP 切换到另一个协议：websocket"),
    "show.hdr.connection": ("'Upgrade' marks the Upgrade header as meant for this hop: the switch is requested",
                            "“Upgrade” 表示 Upgrade 头是给这一跳的：请求切换协议"),
    "show.hdr.sec-websocket-key": ("16 random bytes, base64; the server proves it read the request by hashing it",
                                   "16 个随机字节的 base64 编码；服务端对它做哈希，以证明自己读过这个请求"),
    "show.hdr.sec-websocket-accept": ("base64(SHA-1(key + {guid})): the server's proof it understood",
                                      "base64(SHA-1(key + {guid}))：服务端证明自己理解了请求"),
    "show.hdr.sec-websocket-version": ("the WebSocket protocol version; 13 is RFC 6455, the only one in use",
                                       "WebSocket 协议版本；13 即 RFC 6455，也是唯一在用的版本"),
    "show.hdr.sec-websocket-extensions": ("extensions offered (request) or accepted (response), e.g. "
                                          "permessage-deflate",
                                          "提议的扩展（请求）或接受的扩展（响应），例如 permessage-deflate"),
    "show.hdr.sec-websocket-protocol": ("application subprotocols offered (request) or the one chosen (response)",
                                        "提议的应用层子协议（请求）或选定的那一个（响应）"),
    "show.hdr.origin": ("the web page's origin, sent by browsers so the server can refuse foreign sites",
                        "网页的源，由浏览器发送，以便服务端拒绝外来的网站"),
    "show.hdr.user-agent": ("the client software", "客户端软件"),
    "show.hdr.server": ("the server software", "服务端软件"),
    "show.hdr.date": ("when the server answered", "服务端应答的时间"),
    "show.hdr.content-length": ("bytes of body after the header", "首部之后的正文字节数"),
    "show.hdr.cookie": ("cookies the client holds for this site", "客户端为这个网站保存的 cookie"),
    "show.hdr.authorization": ("credentials sent with the request", "随请求发送的身份凭据"),
    "show.hdr_resp.upgrade": ("the protocol the connection switches to: websocket", "连接要切换到的协议：websocket"),
    "show.hdr_resp.connection": ("'Upgrade' confirms that this hop switches protocols",
                                 "“Upgrade” 确认这一跳切换协议"),
    "show.bad_version": ("version {v} is not 13: RFC 6455 servers refuse it", "版本 {v} 不是 13：RFC 6455 服务端会拒绝"),
    "show.key_decodes": ("decodes to {n} bytes: {hex}", "解码后为 {n} 字节：{hex}"),
    "show.key_bad": ("not valid base64", "不是合法的 base64"),
    "show.key_answer": ("the server must answer: {accept}", "服务端必须回复：{accept}"),
    "show.accept_no_key": ("the request's key is not in the capture: cannot check it", "抓包里没有请求的密钥：无法校验"),
    "show.accept_key": ("key from the request:  {key}", "请求中的密钥：  {key}"),
    "show.accept_key_guid": ("key + GUID:  {key}{guid}", "密钥 + GUID：  {key}{guid}"),
    "show.accept_match": ("{ok} matches: the server read this very handshake", "{ok} 匹配：服务端确实读过这次握手"),
    "show.accept_mismatch": ("{bad} does NOT match: a client must fail the connection (RFC 6455 4.1)",
                             "{bad} 不匹配：客户端必须让连接失败（RFC 6455 4.1）"),
    "show.tls": ("Transport Layer Security: {n} record(s) completed in this packet",
                 "传输层安全 TLS：这个数据包完成了 {n} 条记录"),
    "show.tls_partial": ("Transport Layer Security: part of a record (completed in a later packet)",
                         "传输层安全 TLS：一条记录的一部分（在后面的数据包里才完整）"),
    "show.tls_record": ("record #{index} ({dir}): {kind}, {n} bytes{how}", "记录 #{index}（{dir}）：{kind}，{n} 字节{how}"),
    "show.tls_decrypted": (", decrypted", "，已解密"),
    "show.tls_encrypted": (", encrypted", "，已加密"),
    "show.tls_client_hello": ("up to {version}; server name {sni}; {n} cipher suites offered, first {cipher}",
                              "最高 {version}；服务器名 {sni}；提供 {n} 个密码套件，第一个是 {cipher}"),
    "show.tls_server_hello": ("{version} with {cipher}", "{version}，密码套件 {cipher}"),
    "show.tls_messages": ("handshake messages: {names}", "握手消息：{names}"),
    "show.tls_plain": ("decrypted application data, {n} bytes: {hex}", "解密后的应用数据，{n} 字节：{hex}"),
    "show.ws_decrypted": ("WebSocket: frames completed here, decrypted from TLS records",
                          "WebSocket：在这里完成的帧，从 TLS 记录解密而来"),
    "show.ws_unknown": ("WebSocket: frames completed here (their byte positions are unknown)",
                        "WebSocket：在这里完成的帧（它们的字节位置未知）"),
    "show.ws_parts": ("WebSocket ({n} frames or parts in this packet, {dir})",
                      "WebSocket（这个数据包里有 {n} 个帧或帧的片段，{dir}）"),
    "show.ws_dir": ("WebSocket ({dir})", "WebSocket（{dir}）"),
    "show.ws_dir.c2s": ("client {arrow} server", "客户端 {arrow} 服务端"),
    "show.ws_dir.s2c": ("server {arrow} client", "服务端 {arrow} 客户端"),
    "show.partial_header": ("start of a frame header ({n} bytes): it continues in the next packet",
                            "帧头的开头（{n} 字节）：在下一个数据包中继续"),
    "show.frame.continuation": ("Continuation frame", "后续帧"),
    "show.frame.text": ("Text frame", "文本帧"),
    "show.frame.binary": ("Binary frame", "二进制帧"),
    "show.frame.close": ("Close frame", "Close 帧"),
    "show.frame.ping": ("Ping frame", "Ping 帧"),
    "show.frame.pong": ("Pong frame", "Pong 帧"),
    "show.frame.reserved": ("Reserved frame", "保留操作码的帧"),
    "show.frame_title": ("{frame} ({tags}), payload {n} bytes", "{frame}（{tags}），载荷 {n} 字节"),
    "show.not_fin": ("not FIN", "无 FIN"),
    "show.rsv1_compressed": ("RSV1=compressed", "RSV1=已压缩"),
    "show.masked": ("masked", "已掩码"),
    "show.ws_header": ("Header: {n} bytes", "帧头：{n} 字节"),
    "show.fin": ("{bits} = FIN: {fin} — {meaning}", "{bits} = FIN：{fin}——{meaning}"),
    "show.fin_last": ("the last (or only) frame of its message", "这是消息的最后一帧（或唯一的一帧）"),
    "show.fin_more": ("more fragments of this message follow", "这条消息后面还有分片"),
    "show.rsv": ("{bits} = RSV1-3: {bits3} — {meaning}", "{bits} = RSV1-3：{bits3}——{meaning}"),
    "show.rsv_compressed": ("RSV1 set: the payload is compressed (permessage-deflate)",
                            "RSV1 置位：载荷经过压缩（permessage-deflate）"),
    "show.rsv_bad": ("reserved bits set without an extension that defines them: a protocol error",
                     "保留位被置位，却没有定义它们的扩展：这是协议错误"),
    "show.rsv_none": ("no extension bits", "没有扩展位"),
    "show.opcode": ("{bits} = Opcode: {op} ({name}, {kind})", "{bits} = 操作码：{op}（{name}，{kind}）"),
    "show.control_frame": ("control frame", "控制帧"),
    "show.data_frame": ("data frame", "数据帧"),
    "show.mask_1": ("MASK: 1 — payload XORed with the masking key (clients must mask)",
                    "MASK：1——载荷与掩码密钥做了异或（客户端必须掩码）"),
    "show.mask_0_server": ("MASK: 0 — payload sent as is (servers never mask)", "MASK：0——载荷按原样发送（服务端从不掩码）"),
    "show.mask_0_client": ("MASK: 0 — payload sent as is: a client must mask every frame!",
                           "MASK：0——载荷按原样发送：客户端必须对每个帧掩码！"),
    "show.len7": ("{bits} = Payload length: {n} (7-bit form: 0-125 fit in these 7 bits)",
                  "{bits} = 载荷长度：{n}（7 位形式：0-125 直接放在这 7 位里）"),
    "show.len_ext": ("{bits} = Payload length: {n}, meaning: the real length follows in {size} bytes",
                     "{bits} = 载荷长度：{n}，表示真正的长度在后面的 {size} 字节里"),
    "show.len16": ("Extended payload length: {n} (16-bit extended form: 126-65535 bytes)",
                   "扩展载荷长度：{n}（16 位扩展形式：126-65535 字节）"),
    "show.len64": ("Extended payload length: {n} (64-bit extended form: 65536 bytes and more)",
                   "扩展载荷长度：{n}（64 位扩展形式：65536 字节及以上）"),
    "show.mask_key": ("Masking key: {key}", "掩码密钥：{key}"),
    "show.payload_empty": ("Payload: empty", "载荷：空"),
    "show.payload_later": (" ({here} of {n} in this packet; the rest comes later)",
                           "（{n} 字节中有 {here} 字节在这个数据包里，其余的在后面）"),
    "show.masked_wire": ("masked (as sent):  {hex}", "掩码后（线路上发送的）：  {hex}"),
    "show.unmasked_how": ("unmasked (byte i XOR key[i mod 4]):  {hex}", "解掩码后（第 i 字节 XOR key[i mod 4]）：  {hex}"),
    "show.unmasked": ("unmasked:  {hex}", "解掩码后：  {hex}"),
    "show.not_masked": ("bytes (not masked):  {hex}", "字节（未掩码）：  {hex}"),
    "show.earlier_packet": ("an earlier packet", "更早的数据包"),
    "show.continuation": ("Continuation of a frame that began in {began} ({n} bytes here)",
                          "从 {began} 开始的帧的延续（这里有 {n} 字节）"),
    "show.began_in": (" — frame began in {began}", "——帧从 {began} 开始"),
    "show.header_tail": ("Header: its last {n} bytes are here", "帧头：它的最后 {n} 字节在这里"),
    "show.payload_part": ("Payload bytes {a}-{b} of {n} are in this packet", "载荷（共 {n} 字节）的第 {a}-{b} 字节在这个数据包里"),
    "show.whole_payload": ("whole payload: ", "完整载荷："),
    "show.close_code": ("Close code: {code} {name} — {meaning}", "关闭状态码：{code} {name}——{meaning}"),
    "show.reason": ("Reason: \"{reason}\"", "原因：\"{reason}\""),
    "show.deflate_bytes": ("compressed bytes (DEFLATE): the message below shows them inflated",
                           "压缩的字节（DEFLATE）：下面的消息显示解压后的内容"),
    "show.as_text": ("{pre}as text: \"{text}\"", "{pre}按文本：\"{text}\""),
    "show.unmasked_payload": ("unmasked payload: {hex}", "解掩码后的载荷：{hex}"),
    "show.msg_fragments": ("{n} fragments, #{first}-#{last}", "{n} 个分片，#{first}-#{last}"),
    "show.msg_compressed": ("compressed {wire} {arrow} {n} bytes", "压缩 {wire} {arrow} {n} 字节"),
    "show.app": ("Inside the message ({protocol}):", "消息内容（{protocol}）："),
    "show.app_inflated": ("(its fields lie in the inflated message, not in this packet's compressed bytes: no marks)",
                          "（字段位于解压后的消息中，不在本包压缩过的字节里：不作标记）"),
    "show.msg_complete": ("Message complete: {kind}, {n} bytes{extra}", "完整消息：{kind}，{n} 字节{extra}"),
    "show.msg_cut": ("cut: the message was not kept whole (cap or missing bytes)",
                     "已截断：消息没有完整保留（达到上限或缺少字节）"),
    "show.ws_header_field": ("ws.header (the WebSocket frame headers)", "ws.header（WebSocket 帧头）"),
    "show.bytes": ("Bytes ({n})", "字节（{n}）"),
    "show.marked_colour": (", marked in colour: {what}", "，用颜色标出：{what}"),
    "show.marked_caret": (", marked with ^: {what}", "，用 ^ 标出：{what}"),
    "show.fields": ("Fields for --field: ", "--field 可用的字段："),

    # -- several captures in one command (cli/fleet.py) ---------------------------------------------------------
    "fleet.capture": ("── capture {i} of {n}: {files} ──", "── 第 {i} 个抓包（共 {n} 个）：{files} ──"),
    "fleet.more": ("{first} and {more} more files", "{first} 及另外 {more} 个文件"),
    # -- `query`: the line under the answer's table (cli/query.py) ----------------------------------------
    "query.rows.one": ("1 row", "1 行"),
    "query.rows.many": ("{n} rows", "{n} 行"),
    "query.rows.more": ("{n} rows, the first {shown} shown (--json or --csv write them all)",
                        "共 {n} 行，显示前 {shown} 行（--json 或 --csv 输出全部）"),

    # -- `follow`: a connection's messages as a transcript (render/follow.py, cli/follow.py) ----------------
    "follow.none": ("{capture}: no WebSocket connection found ({n} TCP connections)",
                    "{capture}：没有找到 WebSocket 连接（共 {n} 条 TCP 连接）"),
    "follow.never_ws": ("    no WebSocket messages: this connection never switched to WebSocket",
                        "    没有 WebSocket 消息：这条连接从未切换到 WebSocket"),
    "follow.fin": ("TCP FIN from the {side}: it will send no more data", "{side}发送 TCP FIN：它不会再发送数据"),
    "follow.rst": ("TCP RST from the {side}: the connection is aborted", "{side}发送 TCP RST：连接被中止"),
    "follow.close_no_code": ("close (no status code)", "Close（无状态码）"),
    "follow.close": ("close {code} {name}", "Close {code}（{name}）"),
    "follow.empty_control": (" (empty)", "（空）"),
    "follow.reserved": ("reserved control frame 0x{opcode}, {size}", "保留的控制帧 0x{opcode}，{size}"),
    "follow.fragments": ("{n} fragments, from #{no}", "{n} 个分片，从 #{no} 开始"),
    "follow.compressed": ("compressed {wire} {arrow} {n}", "压缩 {wire} {arrow} {n}"),
    "follow.cut": ("cut: {n} bytes kept", "已截断：保留了 {n} 字节"),
    "follow.message": ("{kind}, {size}{more}", "{kind}，{size}{more}"),
    "follow.empty_text": ("(empty text)", "（空文本）"),
    "follow.bad_utf8": ("(not valid UTF-8; shown with \\x escapes)", "（不是合法的 UTF-8；用 \\x 转义显示）"),
    "follow.empty": ("(empty)", "（空）"),
    "follow.no_messages": ("    (no messages)", "    （没有消息）"),
    "follow.more_bytes": ("{ell} {n} more bytes", "{ell} 还有 {n} 字节"),
    "follow.end.fin": ("the TCP connection ended (FIN)", "TCP 连接已结束（FIN）"),
    "follow.end.rst": ("the TCP connection was reset (RST)", "TCP 连接被重置（RST）"),
    "follow.end.open": ("the capture ends with the connection still open", "抓包结束时连接仍然打开"),
    "follow.no_close_frame": (" without a WebSocket Close frame", "，没有 WebSocket Close 帧"),

    # -- `worksheet`: questions about one capture, the answer key, marking (render/worksheet.py) -------------
    "sheet.title": ("WebSocket lab worksheet: {capture}", "WebSocket 实验练习：{capture}"),
    "sheet.title_answers": ("WebSocket lab worksheet: {capture} (answer key)",
                            "WebSocket 实验练习：{capture}（答案）"),
    "sheet.intro": ("Connection {conn}: {client} → {server}, {packets} packets. Write each answer in a text file "
                    "as a line `id: answer`, the id being the word in brackets; "
                    "`wsdissect worksheet --check FILE {capture}` marks it.",
                    "连接 {conn}：{client} → {server}，共 {packets} 个数据包。请把答案写进一个文本文件，每题一行："
                    "`编号: 答案`（编号是方括号里的词）；用 `wsdissect worksheet --check 文件 {capture}` 批改。"),
    "sheet.part_tcp": ("The TCP three-way handshake", "TCP 三次握手"),
    "sheet.part_http": ("The HTTP Upgrade", "HTTP 升级（Upgrade）"),
    "sheet.part_frames": ("Frames and masking", "帧与掩码"),
    "sheet.part_end": ("How the connection ended", "连接如何结束"),
    "sheet.part_table": ("TCP table for the teacher", "教师用 TCP 表"),
    "sheet.q.client": ("Which IP address and port did the client use? (`ip:port`)",
                       "客户端使用的 IP 地址和端口是什么？（`ip:port`）"),
    "sheet.q.server": ("Which IP address and port did the server listen on? (`ip:port`)",
                       "服务端监听的 IP 地址和端口是什么？（`ip:port`）"),
    "sheet.q.syn_seq_raw": ("Packet #{no} is the SYN. What is its raw sequence number, as sent on the wire?",
                            "第 {no} 号包是 SYN。它的原始序列号（线上实际发送的值）是多少？"),
    "sheet.q.syn_seq_relative": ("What is the same packet's relative sequence number, as Wireshark shows it?",
                                 "同一个包的相对序列号（Wireshark 显示的值）是多少？"),
    "sheet.q.synack_ack_raw": ("Packet #{no} is the SYN/ACK. What is its raw acknowledgment number? "
                               "How is it derived from the SYN?",
                               "第 {no} 号包是 SYN/ACK。它的原始确认号是多少？它是怎样由 SYN 得出的？"),
    "sheet.q.synack_ack_relative": ("What is the SYN/ACK's relative acknowledgment number?",
                                    "SYN/ACK 的相对确认号是多少？"),
    "sheet.q.request_line": ("Packet #{no} holds the client's HTTP request. What is its request line?",
                             "第 {no} 号包是客户端的 HTTP 请求。它的请求行是什么？"),
    "sheet.q.upgrade": ("Which protocol does the request's Upgrade header ask for? (Its Connection header says "
                        "Upgrade too: both are needed.)",
                        "请求的 Upgrade 头要求切换到哪个协议？（它的 Connection 头也写着 Upgrade：两者缺一不可。）"),
    "sheet.q.websocket_version": ("Which WebSocket protocol version does Sec-WebSocket-Version ask for?",
                                  "Sec-WebSocket-Version 要求的 WebSocket 协议版本是多少？"),
    "sheet.q.sec_websocket_key": ("What Sec-WebSocket-Key did the client send?",
                                  "客户端发送的 Sec-WebSocket-Key 是什么？"),
    "sheet.q.sec_websocket_accept": ("Compute the Sec-WebSocket-Accept the server must answer that key with, step "
                                     "by step: append the GUID {guid}, take the SHA-1, encode it in base64. Does "
                                     "the answer in packet #{no} match?",
                                     "请逐步计算服务端应当回复的 Sec-WebSocket-Accept：在密钥后拼接 GUID {guid}，"
                                     "求 SHA-1，再做 base64 编码。第 {no} 号包里的回复与之一致吗？"),
    "sheet.q.mask_key": ("Packet #{no} carries the client's first data frame. What is its masking key (hex)?",
                         "第 {no} 号包携带客户端的第一个数据帧。它的掩码密钥（十六进制）是什么？"),
    "sheet.q.first_bytes": ("Its first {n} payload bytes as sent (masked) are `{masked}`. Unmask them (hex).",
                            "它发送时（已掩码）的前 {n} 个载荷字节是 `{masked}`。请去掩码（十六进制）。"),
    "sheet.q.first_fin_by": ("Packet #{no} is the first FIN. Who sent it: the client or the server?",
                             "第 {no} 号包是第一个 FIN。是谁发送的：客户端还是服务端？"),
    "sheet.q.close_frame": ("Was a WebSocket Close frame sent (yes or no)? If not, why would a peer close TCP "
                            "without one?",
                            "是否发送了 WebSocket Close 帧（是或否）？如果没有，一端为什么会不发 Close 帧就直接关闭 TCP？"),
    "sheet.q.idle_seconds": ("How many seconds passed between the last data message (packet #{last}) and the "
                             "FIN (packet #{fin})?",
                             "从最后一条数据消息（第 {last} 号包）到 FIN（第 {fin} 号包）之间过了多少秒？"),
    "sheet.q.ping_pong_ms": ("Packet #{ping} is a ping and packet #{pong} its pong. How many milliseconds "
                             "passed between them?",
                             "第 {ping} 号包是 Ping，第 {pong} 号包是它的 Pong。两者之间相隔多少毫秒？"),
    "sheet.answer": ("Answer: {answer}", "答案：{answer}"),
    "sheet.a.syn_seq_raw": ("the client's initial sequence number (ISN), chosen at random for this connection",
                            "客户端的初始序列号（ISN），为这条连接随机选取"),
    "sheet.a.syn_seq_relative": ("Wireshark counts from the ISN, so the SYN shows as 0",
                                 "Wireshark 从 ISN 开始计数，所以 SYN 显示为 0"),
    "sheet.a.synack_ack_raw": ("the SYN's sequence number plus one: {isn} + 1 = {ack} (a SYN takes one sequence "
                               "number although it carries no data)",
                               "SYN 的序列号加一：{isn} + 1 = {ack}（SYN 不携带数据，但占用一个序列号）"),
    "sheet.a.joined": ("key + GUID: {joined}", "密钥 + GUID：{joined}"),
    "sheet.a.sha1": ("SHA-1: {hex}", "SHA-1：{hex}"),
    "sheet.a.base64": ("base64: {accept}", "base64：{accept}"),
    "sheet.a.accept_match": ("the server answered {accept}: it matches", "服务端回复 {accept}：一致"),
    "sheet.a.accept_mismatch": ("the server answered {accept}: it does not match, so the client must fail the "
                                "connection", "服务端回复 {accept}：不一致，客户端必须断开连接"),
    "sheet.a.accept_missing": ("the capture holds no Sec-WebSocket-Accept", "抓包中没有 Sec-WebSocket-Accept"),
    "sheet.a.first_bytes": ("each byte XOR the key's byte at the same place modulo 4: {masked} XOR {key}… = {unmasked}",
                            "每个字节与掩码密钥中（位置对 4 取模）对应的字节做异或：{masked} XOR {key}… = {unmasked}"),
    "sheet.a.first_text": ("as text: {text}", "作为文本：{text}"),
    "sheet.a.close_yes": ("a Close frame was sent (close code {code}): the WebSocket closing handshake, then TCP's "
                          "FINs", "发送了 Close 帧（关闭码 {code}）：先完成 WebSocket 关闭握手，再由 TCP 的 FIN 结束连接"),
    "sheet.a.close_no": ("no Close frame: the {side} closed TCP directly, as a server does when it drops an idle "
                         "client (an idle timeout) or a process exits",
                         "没有 Close 帧：{side}直接关闭了 TCP，例如服务端因空闲超时断开客户端，或进程退出"),
    "sheet.a.idle_control": ("{seconds} s since the last data message, what an idle timeout counts; {control} s "
                             "since the last ping or pong (packet #{no}), which a client library sends on its own",
                             "距最后一条数据消息 {seconds} 秒，这是空闲超时计算的时间；距最后一个 Ping 或 Pong"
                             "（第 {no} 号包）{control} 秒，它们由客户端库自动发送"),
    "sheet.table_times": ("Times are seconds since the connection's first packet (#{no}); `read` counts from the "
                          "capture's first.", "时间是从此连接的第一个数据包（第 {no} 号）算起的秒数；`read` 从整个抓包的"
                          "第一个数据包算起。"),
    "sheet.table_cut": ("… {n} more packets of this connection", "……此连接还有 {n} 个数据包"),
    "sheet.col.no": ("No.", "序号"),
    "sheet.col.time": ("Time", "时间"),
    "sheet.col.dir": ("Dir", "方向"),
    "sheet.col.flags": ("Flags", "标志"),
    "sheet.col.seq_raw": ("SEQ (raw)", "SEQ（原始）"),
    "sheet.col.ack_raw": ("ACK (raw)", "ACK（原始）"),
    "sheet.col.len": ("Len", "长度"),
    "sheet.col.check": ("ACK = SEQ + Len", "ACK = SEQ + 长度"),
    "sheet.check_extra": ("{ack} = {seq} + {len} + 1 (SYN/FIN)", "{ack} = {seq} + {len} + 1（SYN/FIN）"),
    "sheet.mark.right": ("right", "正确"),
    "sheet.mark.wrong": ("wrong", "错误"),
    "sheet.mark.missing": ("missing", "未作答"),
    "sheet.mark.unknown": ("not a question of this worksheet", "不是本练习的题目"),
    "sheet.mark.expected": ("expected {answer}", "应为 {answer}"),
    "sheet.mark.unreadable": ("line {n} is not `id: answer`: {line}", "第 {n} 行不是 `编号: 答案` 的形式：{line}"),
    "sheet.mark.score": ("{right} of {total} right", "共 {total} 题，答对 {right} 题"),
    "sheet.yes": ("yes", "是"),
    "sheet.no": ("no", "否"),

    # -- `stats`: numbers per connection and totals (render/stats.py) ---------------------------------------
    "stats.duration": ("duration", "时长"),
    "stats.duration_value": ("{seconds} s, {n} packets (#{first} to #{last})",
                             "{seconds} 秒，{n} 个数据包（#{first} 到 #{last}）"),
    "stats.handshake": ("handshake", "握手"),
    "stats.tls": ("TLS", "TLS 加密"),
    "stats.tls_value": ("{version}, {cipher}, server name {sni}; handshake {latency} (ClientHello to the server's "
                        "Finished); {decrypted}",
                        "{version}，{cipher}，服务器名 {sni}；握手 {latency}（ClientHello 到服务端的 Finished）；{decrypted}"),
    "stats.tls_decrypted": ("decrypted", "已解密"),
    "stats.tls_encrypted": ("not decrypted (no key)", "未解密（没有密钥）"),
    "stats.tls_total": ("{n}, {decrypted} decrypted; {versions}; {ciphers}",
                        "{n}，{decrypted} 条已解密；{versions}；{ciphers}"),
    "stats.tls_latency": ("handshake: min {min}, mean {mean}, max {max}", "握手：最小 {min}，平均 {mean}，最大 {max}"),
    "stats.request_101": ("request {arrow} 101: {time} (#{a} {arrow} #{b})",
                          "请求 {arrow} 101：{time}（#{a} {arrow} #{b}）"),
    "stats.syn_101": ("SYN {arrow} 101: {time} (#{a} {arrow} #{b})", "SYN {arrow} 101：{time}（#{a} {arrow} #{b}）"),
    "stats.not_captured": ("not in the capture", "不在抓包里"),
    "stats.extensions": ("extensions", "扩展"),
    "stats.kind.text": ("text", "文本"),
    "stats.kind.binary": ("binary", "二进制"),
    "stats.kind.ping": ("ping", "Ping 帧"),
    "stats.kind.pong": ("pong", "Pong 帧"),
    "stats.kind.close": ("close", "Close 帧"),
    "stats.count": ("{count}, {size}", "{count}，{size}"),
    "stats.all_messages": ("all messages", "全部消息"),
    "stats.tcp_payload": ("TCP payload", "TCP 载荷"),
    "stats.compression": ("compression", "压缩"),
    "stats.dir_value": ("{dir}: {value}", "{dir}：{value}"),      # a table value too wide for its column
    "stats.compression_value": ("{sent} {arrow} {inflated} B, {ratio}x smaller",
                                "{sent} {arrow} {inflated} B，缩小到 1/{ratio}"),
    "stats.largest": ("largest message", "最大消息"),
    "stats.largest_value": ("{n} B {kind}, {dir} ({where})", "{n} B {kind}，{dir}（{where}）"),
    "stats.rtt": ("ping → pong RTT", "Ping 往返时间"),
    "stats.rtt_value": ("{time}: {side} ping #{ping} {arrow} pong #{pong}{how}",
                        "{time}：{side}的 Ping #{ping} {arrow} Pong #{pong}{how}"),
    "stats.rtt_next": (" (matched: next pong)", "（匹配方式：下一个 Pong）"),
    "stats.rtt_none": ("no ping answered", "没有 Ping 得到回复"),
    "stats.unanswered": ("{n} ping(s) never answered", "{n} 个 Ping 始终没有回复"),
    "stats.close": ("close", "关闭"),
    "stats.close_value": ("{code} {name}{reason}, sent first by the {side} (#{no})",
                          "{code} {name}{reason}，由{side}先发送（#{no}）"),
    "stats.close_no_code": ("Close frame without a status code, from the {side} (#{no})",
                            "{side}发送的 Close 帧没有状态码（#{no}）"),
    "stats.no_close": ("no WebSocket Close frame", "没有 WebSocket Close 帧"),
    "stats.tcp_end": ("TCP end", "TCP 结束"),
    "stats.end_fin": ("FIN, first from the {side} (#{no})", "FIN，{side}先发送（#{no}）"),
    "stats.end_rst": ("RST from the {side}: aborted", "{side}发送 RST：连接中止"),
    "stats.end_open": ("still open at the end of the capture", "抓包结束时仍然打开"),
    "stats.longest_gap": ("longest silence", "最长静默"),
    "stats.gap_value": ("{time} (#{a} {arrow} #{b})", "{time}（#{a} {arrow} #{b}）"),
    "stats.gap_item": ("{seconds} s (#{a} {arrow} #{b})", "{seconds} 秒（#{a} {arrow} #{b}）"),
    "stats.gaps": ("silences ≥ {seconds} s", "静默 ≥ {seconds} 秒"),
    "stats.notes": ("notes", "提示"),
    "stats.totals": ("Totals", "总计"),
    "stats.capture": ("capture", "抓包"),
    "stats.capture_value": ("{packets} packets ({tcp} TCP, {other} other, {malformed} malformed) over {span}",
                            "{packets} 个数据包（TCP {tcp} 个，其他 {other} 个，畸形 {malformed} 个），历时 {span}"),
    "stats.span": ("{seconds} s", "{seconds} 秒"),
    "stats.empty": ("empty capture", "空抓包"),
    "stats.connections": ("connections", "连接"),
    "stats.connections_value": ("{tcp} TCP, {ws} WebSocket", "TCP {tcp} 条，WebSocket {ws} 条"),
    "stats.counted_only.one": ("… and {n} more connection ({ws} WebSocket): counted in the totals, not listed "
                               "(see --max-summary-connections)",
                               "……另有 {n} 条连接（其中 WebSocket {ws} 条）计入总计，但不逐条列出"
                               "（见 --max-summary-connections）"),
    "stats.counted_only.many": ("… and {n} more connections ({ws} WebSocket): counted in the totals, not listed "
                                "(see --max-summary-connections)",
                                "……另有 {n} 条连接（其中 WebSocket {ws} 条）计入总计，但不逐条列出"
                                "（见 --max-summary-connections）"),
    "stats.messages": ("messages", "消息"),
    "stats.by_opcode": ("by opcode", "按操作码"),
    "stats.app": ("{protocol} replies", "{protocol} 回应"),
    "stats.app_value": ("{requests} awaited, {answered} answered: min {min}, mean {mean}, max {max}",
                        "{requests} 个等待回应，{answered} 个得到回应：最小 {min}，平均 {mean}，最大 {max}"),
    "stats.app_none": ("{requests} awaited, none answered", "{requests} 个等待回应，没有一个得到回应"),
    "stats.app_unanswered": ("{n} request(s) never answered", "{n} 个请求始终没有回应"),
    "stats.mqtt_publishes": ("MQTT publishes", "MQTT 发布"),
    "stats.mqtt_topic": ("{topic}: {counts}", "{topic}：{counts}"),
    "stats.mqtt_qos": ("QoS {qos} ×{n}", "QoS {qos} ×{n} 条"),
    "stats.mqtt_more_topics": ("and {n} more topics ({k} publishes)", "另有 {n} 个主题（{k} 条发布）"),
    "stats.mqtt_unacked": ("MQTT unacked", "MQTT 未确认"),
    "stats.mqtt_unacked_value": ("{n} packet id(s) never acknowledged: {ids}", "{n} 个报文标识符始终没有确认：{ids}"),
    "stats.mqtt_id": ("{id} ({type} #{no})", "{id}（{type} #{no}）"),
    "stats.rtt_total": ("{n} answered: min {min}, mean {mean}, max {max}", "{n} 次有回复：最小 {min}，平均 {mean}，最大 {max}"),
    "stats.endings": ("endings", "结束方式"),
    "stats.endings_value": ("{close} with a Close frame; TCP: {fin} FIN, {rst} RST, {open} still open",
                            "{close} 条有 Close 帧；TCP：{fin} 条 FIN，{rst} 条 RST，{open} 条仍然打开"),
    "stats.na": ("n/a", "无"),

    # -- the flow view: one arrow for a packet carrying several frames (render/flow.py, frames_summary) ------
    "flow.frames.message": ("{kind} message, {n} fragments, {size}", "{kind}消息，{n} 个分片，{size}"),
    "flow.frames.part": ("{n} fragments of a {kind} message, {size}", "{kind}消息的 {n} 个分片，{size}"),
    "flow.frames.more": ("{n} continuation fragments, {size}", "{n} 个后续分片，{size}"),
    "flow.frames.list": ("{n} frames: {list}", "{n} 个帧：{list}"),

    # -- the flow view: an HTTP packet that also carries frames; live's arrows as they come (render/flow.py) --
    "flow.http_and_frames": ("{http} + {frames}", "{http}，附带 {frames}"),
    "flow.continued": ("{conn} (continued): {phase}", "{conn}（续）：{phase}"),

    # -- --explain: paragraphs before each phase (explain.py) --------------------------------------------
    "explain.heading": ("conn {conn} · {title}", "连接 {conn} · {title}"),
    "explain.seen": ("conn {conn} · {title}: as explained above for conn {first}",
                     "连接 {conn} · {title}：同上（见连接 {first} 的说明）"),

    "explain.tcp.title": ("TCP handshake — RFC 9293 §3.5", "TCP 三次握手——RFC 9293 §3.5"),
    "explain.tcp.body": (
        "WebSocket runs inside one ordinary TCP connection, so nothing WebSocket-specific happens yet. The "
        "client ({client}) sends SYN, the server ({server}) answers SYN, ACK and the client confirms with ACK: "
        "each side has chosen its initial sequence number (shown relative, counting from 0, as Wireshark does) "
        "and the connection is open in both directions. Port {port} is where this server listens; the client's "
        "port {cport} is a temporary one its operating system picked. From here on TCP acknowledges the bytes "
        "it receives: an \"ACK of #N\" row carries no data, only that receipt.",
        "WebSocket 运行在一条普通的 TCP 连接里，所以这里还没有任何 WebSocket 特有的内容。客户端（{client}）发送 "
        "SYN，服务端（{server}）回复 SYN, ACK，客户端再用 ACK 确认：双方各自选定了初始序列号（和 Wireshark "
        "一样，这里显示从 0 开始的相对序号），连接在两个方向上都打开了。端口 {port} 是服务端监听的端口；客户端的"
        "端口 {cport} 是它的操作系统临时分配的。此后 TCP 会确认收到的字节：“ACK 确认 #N” 这样的行不带数据，"
        "只表示“收到了”。"),
    "explain.tcp.midway": (
        "The capture began after this TCP connection was opened: its 3-way handshake (SYN, SYN-ACK, ACK) is "
        "not in the file, so the rows start in the middle of the conversation.",
        "抓包开始时这条 TCP 连接已经建立：它的三次握手（SYN、SYN-ACK、ACK）不在文件里，所以各行从对话的中途开始。"),

    "explain.ws.title": ("WebSocket opening handshake — RFC 6455 §4.1, §4.2.2",
                         "WebSocket 握手——RFC 6455 §4.1、§4.2.2"),
    "explain.ws.request": (
        "The client asks, in one HTTP/1.1 GET request (§4.1), to switch this TCP connection from HTTP to "
        "WebSocket: \"Upgrade: websocket\" and \"Connection: Upgrade\" ask for the switch, "
        "\"Sec-WebSocket-Version: 13\" names the protocol version and \"Sec-WebSocket-Key\" is 16 random bytes "
        "in base64. The server proves that it really speaks WebSocket (and is not, say, a cache replaying an "
        "old answer) by replying \"101 Switching Protocols\" with Sec-WebSocket-Accept = base64(SHA-1(key + "
        "\"258EAFA5-E914-47DA-95CA-C5AB0DC85B11\")) (§4.2.2). Any other status means no WebSocket.",
        "客户端用一个 HTTP/1.1 GET 请求（§4.1）要求把这条 TCP 连接从 HTTP 切换到 WebSocket：“Upgrade: "
        "websocket” 和 “Connection: Upgrade” 表示要求切换，“Sec-WebSocket-Version: 13” 指明协议版本，"
        "“Sec-WebSocket-Key” 是 16 个随机字节的 base64 编码。服务端回复 “101 Switching Protocols”，并带上 "
        "Sec-WebSocket-Accept = base64(SHA-1(key + \"258EAFA5-E914-47DA-95CA-C5AB0DC85B11\"))（§4.2.2），"
        "以证明自己确实懂 WebSocket（而不是比如某个缓存在重放旧的应答）。其他任何状态码都表示没有升级成功。"),
    "explain.ws.key": ("Here the key {key} must give {accept}.", "这里密钥 {key} 应当得到 {accept}。"),
    "explain.ws.uri": (
        "The request target {target} is the path and query of the URI {uri} (§3, the \"resource name\"). The "
        "path names an endpoint on the server (one server can offer /chat and /prices), the query carries "
        "parameters such as a token or a room number; reverse proxies and load balancers can route "
        "connections on them too.",
        "请求目标 {target} 就是 URI {uri} 的 path 和 query（§3，“资源名”）。path 指定服务端上的一个端点"
        "（一个服务端可以同时提供 /chat 和 /prices），query 传递参数，比如令牌或房间号；反向代理和负载均衡器"
        "也可以按它们来分发连接。"),
    "explain.ws.scheme_other": (
        "ws:// is WebSocket over plain TCP, default port 80; wss:// is WebSocket over TLS, default port 443 "
        "(§3; TLS gives confidentiality, §10.6, and a wss capture shows only encrypted records, which no tool "
        "can explain without the keys). This server listens on port {port}, not a default one, so the URI "
        "must spell it out.",
        "ws:// 是跑在普通 TCP 上的 WebSocket，默认端口 80；wss:// 是跑在 TLS 上的 WebSocket，默认端口 443"
        "（§3；TLS 提供机密性，§10.6，wss 的抓包里只有加密记录，没有密钥就无法解读）。这个服务端监听的是端口 "
        "{port}，不是默认端口，所以 URI 里必须写明端口。"),
    "explain.ws.scheme_tls": (
        "wss:// is WebSocket over TLS, default port 443 (§3, §10.6); this connection uses port {port}. The "
        "upgrade below is the same HTTP as on ws://, sent inside TLS records after the TLS handshake.",
        "wss:// 是跑在 TLS 上的 WebSocket，默认端口 443（§3、§10.6）；这个连接用的是端口 {port}。下面的升级请求"
        "和 ws:// 上的 HTTP 完全一样，只是在 TLS 握手之后放在 TLS 记录里发送。"),
    "explain.ws.scheme_80": (
        "ws:// is WebSocket over plain TCP, default port 80 — this server's port, so the URI may leave it out; "
        "wss:// is WebSocket over TLS, default port 443 (§3, §10.6), and its capture would show only encrypted "
        "records.",
        "ws:// 是跑在普通 TCP 上的 WebSocket，默认端口 80——正是这个服务端的端口，所以 URI 里可以省略；wss:// "
        "是跑在 TLS 上的 WebSocket，默认端口 443（§3、§10.6），它的抓包里只会有加密记录。"),
    "explain.ws.origin_present": (
        "Origin: {origin} — a browser sends the origin of the page that opens the WebSocket (§4.1, §10.2). The "
        "browser's same-origin policy does not stop a page from connecting to any server, so it is the server "
        "that must check Origin and refuse pages it does not trust (§1.6). Clients that are not browsers may "
        "send anything here, or nothing.",
        "Origin: {origin}——浏览器会发送打开这个 WebSocket 的网页的源（§4.1、§10.2）。浏览器的同源策略并不阻止"
        "网页连接任何服务端，所以要由服务端检查 Origin，拒绝它不信任的网页（§1.6）。非浏览器客户端可以在这里"
        "填任何值，或者不发送。"),
    "explain.ws.origin_absent": (
        "No Origin header: the client is not a browser (Postman, a script, a native app). A browser always "
        "sends Origin (§10.2): its same-origin policy does not stop a page from connecting to any server, so "
        "the server checks Origin to refuse pages of sites it does not trust (§1.6).",
        "没有 Origin 头：客户端不是浏览器（Postman、脚本或原生应用）。浏览器总会发送 Origin（§10.2）：浏览器的"
        "同源策略并不阻止网页连接任何服务端，所以由服务端检查 Origin，拒绝它不信任的网站的网页（§1.6）。"),
    "explain.ws.protocol_offered": (
        "Sec-WebSocket-Protocol: {offered} offers subprotocols, the application-level language spoken over the "
        "frames (graphql-ws, mqtt, ...); the server picks one it supports and names it in the 101 (§1.9, "
        "§4.2.2, §11.3.4).",
        "Sec-WebSocket-Protocol: {offered} 提议子协议，即在帧之上使用的应用层“语言”（graphql-ws、mqtt 等）；"
        "服务端从中挑选一个它支持的，并在 101 响应里写明（§1.9、§4.2.2、§11.3.4）。"),
    "explain.ws.protocol_none": (
        "No Sec-WebSocket-Protocol: no subprotocol (an application-level language such as graphql-ws or mqtt, "
        "§1.9) is asked for; the messages follow whatever convention client and server share.",
        "没有 Sec-WebSocket-Protocol：没有请求子协议（graphql-ws、mqtt 这类应用层“语言”，§1.9）；消息的格式"
        "由客户端和服务端自己约定。"),
    "explain.ws.ext_offered": (
        "Sec-WebSocket-Extensions: {offered} offers extensions, which change the framing itself (§9.1); "
        "permessage-deflate (RFC 7692) compresses each message. The server accepts an extension by echoing it "
        "in the 101 and declines it by leaving it out.",
        "Sec-WebSocket-Extensions: {offered} 提议扩展，扩展会改变帧本身（§9.1）；permessage-deflate（RFC 7692）"
        "会压缩每条消息。服务端在 101 响应里原样回显某个扩展就表示接受，不回显就表示拒绝。"),
    "explain.ws.ext_none": (
        "No Sec-WebSocket-Extensions: no extension (§9.1) is offered, so the frames will be exactly as §5.2 "
        "describes.",
        "没有 Sec-WebSocket-Extensions：没有提议扩展（§9.1），所以帧的格式就是 §5.2 所描述的那样。"),
    "explain.ws.http": (
        "HTTP on this connection, not (yet) a WebSocket upgrade: WebSocket starts only with a GET carrying "
        "\"Upgrade: websocket\" answered by 101 (§4.1, §4.2.2).",
        "这条连接上是普通 HTTP，还不是 WebSocket 升级：只有带 “Upgrade: websocket” 的 GET 请求得到 101 "
        "响应之后才开始 WebSocket（§4.1、§4.2.2）。"),

    "explain.data.title": ("Data transfer — RFC 6455 §5", "数据传输——RFC 6455 §5"),
    "explain.data.frames": (
        "After the 101 the same TCP connection carries WebSocket frames in both directions at once; HTTP is "
        "over. Each frame (§5.2) starts with a header of 2 to 14 bytes: FIN (last frame of a message), RSV1-3 "
        "(reserved for extensions), the opcode (1 text, 2 binary, 0 continuation; 8 Close, 9 Ping and 10 Pong "
        "are control frames), the MASK bit, the payload length (7 bits; or 126 then 16 bits; or 127 then 64 "
        "bits) and, in frames from the client, a 4-byte masking key. A text message must be valid UTF-8 (§5.6). "
        "TCP may cut a frame across packets or put several frames in one; a row lists the frames its packet "
        "completed.",
        "101 之后，同一条 TCP 连接在两个方向上同时传送 WebSocket 帧，HTTP 到此结束。每个帧（§5.2）以 2 到 14 "
        "字节的帧头开始：FIN（消息的最后一帧）、RSV1-3（留给扩展使用）、操作码（1 文本、2 二进制、0 后续分片；"
        "8 Close、9 Ping、10 Pong 是控制帧）、MASK 位、载荷长度（7 位；或 126 加 16 位；或 127 加 64 位），"
        "客户端发出的帧还有 4 字节的掩码密钥。文本消息必须是合法的 UTF-8（§5.6）。TCP 可能把一个帧拆到多个数据包"
        "里，也可能把几个帧放进一个数据包；每行列出的是该数据包完成的帧。"),
    "explain.data.mask": (
        "Every frame from the client is masked (§5.3): its payload is XORed with a fresh random key carried in "
        "the frame, and the server unmasks it; the server's frames are never masked. It is not encryption (the "
        "key is right there). It exists because a script in a web page could otherwise choose the exact bytes "
        "on the wire and make them look like an HTTP request to a proxy or cache on the way that does not "
        "understand WebSocket, tricking it into storing a forged answer for other users: cache poisoning "
        "(§10.3). With random masking the script cannot predict its bytes.",
        "客户端发出的每个帧都经过掩码处理（§5.3）：载荷与帧里携带的一个新的随机密钥做异或，服务端再解掩码；"
        "服务端发出的帧从不掩码。这不是加密（密钥就在帧里）。之所以要掩码，是因为否则网页里的脚本就能精确控制线路"
        "上的字节，让它们在途中某个不懂 WebSocket 的代理或缓存看来像一个 HTTP 请求，骗它为其他用户缓存一个伪造的"
        "应答：缓存投毒（§10.3）。有了随机掩码，脚本就无法预测自己发出的字节。"),
    "explain.data.deflate": (
        "permessage-deflate was negotiated ({ext}; RFC 7692): RSV1 marks a compressed message whose payload is "
        "DEFLATE data; wsdissect inflates it to show the text.",
        "协商了 permessage-deflate（{ext}；RFC 7692）：RSV1 位表示这条消息被压缩，载荷是 DEFLATE 数据；"
        "wsdissect 会把它解压后再显示。"),
    "explain.data.declined": (
        "The client offered {offered} but the server's 101 did not echo it, so it was declined (§9.1): every "
        "payload travels uncompressed and readable.",
        "客户端提议了 {offered}，但服务端的 101 响应没有回显它，所以被拒绝了（§9.1）：所有载荷都不压缩，可以直接读。"),
    "explain.data.extensions": ("Extensions in use: {ext} (§9.1).", "正在使用的扩展：{ext}（§9.1）。"),
    "explain.data.subprotocol": ("Subprotocol chosen by the server: {name}.", "服务端选定的子协议：{name}。"),
    "explain.app.mqtt.title": ("MQTT over WebSocket — MQTT 3.1.1 §2-§3, MQTT 5.0 §2-§4",
                               "WebSocket 上的 MQTT —— MQTT 3.1.1 §2-§3，MQTT 5.0 §2-§4"),
    "explain.app.mqtt.body": (
        "The subprotocol mqtt carries MQTT control packets in binary messages. Each packet starts with a fixed "
        "header: its type (CONNECT, PUBLISH, SUBSCRIBE...) and four flag bits, then the remaining length in 1 to 4 "
        "bytes of 7 bits each. MQTT sees a byte stream, not messages: a packet may span several WebSocket messages "
        "and one message may hold several packets, so each direction's messages are read as one stream. The client "
        "opens with CONNECT, whose protocol level names the version (4 is MQTT 3.1.1, 5 is MQTT 5.0, which adds "
        "properties and reason codes), and the broker answers CONNACK. PUBLISH sends a message on a topic: QoS 0 "
        "is sent once and never acknowledged, QoS 1 is acknowledged by PUBACK, QoS 2 by the exchange PUBREC, "
        "PUBREL, PUBCOMP, each carrying the packet id the publisher chose. SUBSCRIBE names topic filters and the "
        "QoS wanted, and SUBACK grants them; PINGREQ and PINGRESP keep a quiet connection alive within the "
        "keep-alive CONNECT set.",
        "子协议 mqtt 在二进制消息中传送 MQTT 控制报文。每个报文以固定报头开始：报文类型（CONNECT、PUBLISH、"
        "SUBSCRIBE 等）和 4 个标志位，然后是剩余长度，占 1 到 4 个字节，每字节 7 位。MQTT 看到的是字节流而不是消息："
        "一个报文可以跨越多条 WebSocket 消息，一条消息也可以装下多个报文，所以每个方向的消息被当作一条字节流来读。"
        "客户端先发 CONNECT，其中的协议级别说明版本（4 是 MQTT 3.1.1，5 是 MQTT 5.0，后者增加了属性和原因码），"
        "代理回复 CONNACK。PUBLISH 向一个主题发送消息：QoS 0 只发送一次、没有确认；QoS 1 由 PUBACK 确认；"
        "QoS 2 由 PUBREC、PUBREL、PUBCOMP 三步交换确认，每一步都带着发布者选定的报文标识符。SUBSCRIBE 列出主题过滤器"
        "和想要的 QoS，SUBACK 给予确认；PINGREQ 和 PINGRESP 在 CONNECT 设定的保活时间内维持空闲的连接。"),
    "explain.data.no_handshake": (
        "No handshake was seen, so nothing is known of extensions: frames are read as plain §5.2 frames.",
        "没有看到握手，所以不知道协商了哪些扩展：帧按普通的 §5.2 帧来解析。"),

    "explain.tls.title": ("TLS handshake (wss://) — RFC 8446 §4, RFC 5246 §7.4",
                          "TLS 握手（wss://）——RFC 8446 §4、RFC 5246 §7.4"),
    "explain.tls.body": (
        "This connection is wss://: the WebSocket runs inside TLS. Before any HTTP, the client's ClientHello and the "
        "server's ServerHello agree on a TLS version and a cipher suite and exchange keys (RFC 8446 §4.1.2, "
        "§4.1.3; TLS 1.2: RFC 5246 §7.4.1). In TLS 1.3 everything after the ServerHello is encrypted, the "
        "server's certificate too (§4.3, §4.4.2), and each side ends its part with a Finished message (§4.4.4); "
        "TLS 1.2 sends the Certificate in the clear (RFC 5246 §7.4.2) and turns encryption on with "
        "ChangeCipherSpec (§7.1) just before each Finished (§7.4.9). From then on every byte travels in TLS "
        "records, each encrypted and sealed with its own sequence number (RFC 8446 §5.2, §5.3; RFC 5246 §6.2.3).",
        "这个连接是 wss://：WebSocket 跑在 TLS 里面。在任何 HTTP 之前，客户端的 ClientHello 和服务端的 ServerHello "
        "商定 TLS 版本和密码套件并交换密钥（RFC 8446 §4.1.2、§4.1.3；TLS 1.2：RFC 5246 §7.4.1）。TLS 1.3 在 "
        "ServerHello 之后的一切都加密，连服务端的证书也是（§4.3、§4.4.2），双方各以一条 Finished 消息结束自己的部分"
        "（§4.4.4）；TLS 1.2 明文发送 Certificate（RFC 5246 §7.4.2），在各自的 Finished（§7.4.9）之前用 "
        "ChangeCipherSpec（§7.1）开启加密。此后每个字节都放在 TLS 记录里传输，每条记录都用它自己的序号加密和认证"
        "（RFC 8446 §5.2、§5.3；RFC 5246 §6.2.3）。"),
    "explain.tls.visible": (
        "What TLS hides: the HTTP upgrade (URI, headers, cookies), every frame and message. What it does not: "
        "the IP addresses and ports, {sni}, the ALPN protocols offered, the size of every record (a message "
        "of n bytes makes a record of about n plus a fixed overhead; padding is optional, RFC 8446 §5.4), and "
        "the time and direction of every packet — enough to tell a chat from a file transfer.",
        "TLS 隐藏的：HTTP 升级请求（URI、头部、cookie）、每个帧和每条消息。它不隐藏的：IP 地址和端口、{sni}、"
        "提供的 ALPN 协议、每条记录的大小（n 字节的消息产生大约 n 加上固定开销大小的记录；填充是可选的，"
        "RFC 8446 §5.4），以及每个包的时间和方向——足以分辨聊天和文件传输。"),
    "explain.tls.sni": ("the server name in the ClientHello (SNI, RFC 6066 §3: here {sni})",
                        "ClientHello 里的服务器名（SNI，RFC 6066 §3：这里是 {sni}）"),
    "explain.tls.no_sni": ("the server name in the ClientHello when there is one (SNI, RFC 6066 §3; none here)",
                           "ClientHello 里的服务器名（如果有的话；SNI，RFC 6066 §3；这里没有）"),
    "explain.tls.keylog": (
        "Why a key log decrypts: both ends derive the same secrets from the key exchange, and a client told to "
        "(SSLKEYLOGFILE, or Python's ssl keylog_filename) writes them down — TLS 1.3's traffic secrets (RFC 8446 "
        "§7.1), TLS 1.2's master secret (RFC 5246 §8.1), next to the ClientHello's random that names the "
        "connection. wsdissect derives the record keys from them (RFC 8446 §7.3; RFC 5246 §6.3) as the ends "
        "did; nothing is broken. Without the key log the capture alone cannot be decrypted: the (EC)DHE key "
        "exchange never sends the secret.",
        "为什么密钥日志能解密：双方从密钥交换中推导出相同的秘密，而被要求这样做的客户端（SSLKEYLOGFILE，或 Python ssl "
        "的 keylog_filename）会把它们写下来——TLS 1.3 的流量秘密（RFC 8446 §7.1）、TLS 1.2 的主密钥（RFC 5246 "
        "§8.1），旁边是标识这个连接的 ClientHello 随机数。wsdissect 像两端一样由它们推导出记录密钥（RFC 8446 §7.3；"
        "RFC 5246 §6.3）；没有破解任何东西。没有密钥日志，单凭抓包无法解密：(EC)DHE 密钥交换从不发送这个秘密。"),
    "explain.frag.title": ("Fragmentation — RFC 6455 §5.4", "分片——RFC 6455 §5.4"),
    "explain.frag.body": (
        "A message may be sent as several frames: the first carries the opcode (text or binary) with FIN=0, "
        "the next ones are continuation frames (opcode 0), and the last one has FIN=1. Control frames (ping, "
        "pong, close) may come between the fragments but are never fragmented themselves (§5.5). wsdissect "
        "joins the fragments and shows the whole message under its last frame.",
        "一条消息可以分成几个帧发送：第一个帧带操作码（文本或二进制），FIN=0；后面是后续帧（操作码 0）；最后一个帧"
        " FIN=1。控制帧（ping、pong、close）可以插在分片之间，但自身不能分片（§5.5）。wsdissect 会把分片拼起来，"
        "在最后一帧下面显示完整的消息。"),
    "explain.ping.title": ("Ping and pong — RFC 6455 §5.5.2, §5.5.3", "Ping 和 Pong——RFC 6455 §5.5.2、§5.5.3"),
    "explain.ping.body": (
        "A Ping (opcode 9) checks that the peer is still there; the peer must answer with a Pong (opcode 10) carrying the "
        "same application data, as soon as it can. Either side may ping, as a keepalive or to measure the "
        "round trip; control frames carry at most 125 bytes and are never fragmented (§5.5).",
        "Ping（操作码 9）用来确认对方还在；对方必须尽快回复一个 Pong（操作码 10），带上相同的应用数据。"
        "双方都可以发送 ping，用作保活或测量往返时间；控制帧的载荷最多 125 字节，并且不能分片（§5.5）。"),

    # -- a subprotocol decoder at work (explain.py: the first decoded message of a connection) ----------------
    "explain.app.by_name": (
        "The handshake settled the subprotocol {name} (Sec-WebSocket-Protocol: the client offered it, the server "
        "chose it), so each message is read as {name}: the label says what it is, and an answer is paired with "
        "the request it answers, with the time between them.",
        "握手确定了子协议 {name}（Sec-WebSocket-Protocol：客户端提出，服务端选定），所以每条消息都按 {name} 解读："
        "标签说明它是什么，回应与它所回应的请求配对，并给出两者之间的时间。"),
    "explain.app.by_path": (
        "No subprotocol was negotiated (Socket.IO names none), but the request target {uri} follows Engine.IO's "
        "convention: EIO=4 is Engine.IO's protocol version 4 and transport=websocket says this connection is its "
        "WebSocket transport, so the messages are read as Socket.IO v5 over Engine.IO v4.",
        "握手没有协商子协议（Socket.IO 不使用它），但请求目标 {uri} 符合 Engine.IO 的约定：EIO=4 表示 Engine.IO 协议"
        "第 4 版，transport=websocket 表示这条连接是它的 WebSocket 传输方式，所以消息按基于 Engine.IO v4 的 "
        "Socket.IO v5 来解读。"),
    "explain.app.forced": (
        "--subprotocol {name} says to read this connection's messages as {name}, whatever the handshake settled.",
        "--subprotocol {name} 指定按 {name} 解读这条连接的消息，不管握手确定了什么。"),
    "explain.app.jsonrpc.title": ("JSON-RPC 2.0 inside the messages", "消息里的 JSON-RPC 2.0"),
    "explain.app.jsonrpc.body": (
        "Each message is a JSON object (or a batch: an array of them). A request names a method and carries an "
        "id; the peer answers with a result or an error carrying the same id. A notification has no id and gets "
        "no answer. Either side may send requests.",
        "每条消息是一个 JSON 对象（或者批量：这些对象组成的数组）。请求给出方法名并带有 id；对方用带同一个 id 的 "
        "result 或 error 回应。通知没有 id，也不会得到回应。双方都可以发送请求。"),
    "explain.app.stomp.title": ("STOMP inside the messages", "消息里的 STOMP"),
    "explain.app.stomp.body": (
        "Each message is one STOMP frame: a command line (CONNECT, SUBSCRIBE, SEND, MESSAGE...), header lines, an "
        "empty line, a body and a NUL byte. CONNECT is answered by CONNECTED; a frame with a receipt header is "
        "answered by a RECEIPT naming it; a message of line ends only is a heart-beat.",
        "每条消息是一个 STOMP 帧：一行命令（CONNECT、SUBSCRIBE、SEND、MESSAGE……）、若干头部行、一个空行、正文和一个 "
        "NUL 字节。CONNECT 由 CONNECTED 回应；带 receipt 头部的帧由指明它的 RECEIPT 回应；只有换行的消息是心跳。"),
    "explain.app.graphql-transport-ws.title": ("GraphQL over WebSocket (graphql-transport-ws)",
                                               "WebSocket 上的 GraphQL（graphql-transport-ws）"),
    "explain.app.graphql-transport-ws.body": (
        "Each message is a JSON object with a type. The client opens with connection_init and waits for "
        "connection_ack; it runs an operation with subscribe (an id and the query), the server sends each result "
        "as next with that id and ends with complete (or error). ping and pong keep the connection alive.",
        "每条消息是一个带 type 的 JSON 对象。客户端先发 connection_init，等待 connection_ack；用 subscribe 运行一个"
        "操作（带 id 和查询），服务端把每个结果作为带同一 id 的 next 发送，最后以 complete（或 error）结束。"
        "ping 和 pong 用来保持连接。"),
    "explain.app.graphql-ws.title": ("GraphQL over WebSocket (legacy graphql-ws)",
                                     "WebSocket 上的 GraphQL（旧的 graphql-ws）"),
    "explain.app.graphql-ws.body": (
        "The protocol of the older subscriptions-transport-ws library. Each message is a JSON object with a "
        "type: connection_init, answered by connection_ack; start runs an operation (an id and the query), the "
        "server sends data with that id and then complete (or error); the client's stop ends it early. The "
        "server's ka is a keep-alive; connection_terminate ends the session.",
        "较早的 subscriptions-transport-ws 库的协议。每条消息是一个带 type 的 JSON 对象：connection_init 由 "
        "connection_ack 回应；start 运行一个操作（带 id 和查询），服务端发送带同一 id 的 data，然后是 complete"
        "（或 error）；客户端的 stop 提前结束它。服务端的 ka 用来保活；connection_terminate 结束会话。"),
    "explain.app.socketio.title": ("Socket.IO over Engine.IO inside the messages",
                                   "消息里基于 Engine.IO 的 Socket.IO"),
    "explain.app.socketio.body": (
        "Each text message is an Engine.IO packet, its first digit the type: 0 open (the server gives the "
        "session id and how often it pings), 2 ping and 3 pong (the heartbeat; \"probe\" while a transport is "
        "being upgraded to), 4 message, 5 upgrade, 1 close. A message carries a Socket.IO packet: CONNECT to a "
        "namespace (such as /chat) and DISCONNECT, EVENT with its name and JSON arguments, ACK answering an event "
        "that carried an id, CONNECT_ERROR. A binary event or ack is followed by its attachments, one binary "
        "message each.",
        "每条文本消息是一个 Engine.IO 数据包，第一个数字是类型：0 open（服务端给出会话 id 和 ping 的间隔）、2 ping 和 "
        "3 pong（心跳；升级传输方式时带 \"probe\"）、4 message、5 upgrade、1 close。message 里装着一个 Socket.IO "
        "数据包：连接到某个命名空间（例如 /chat）的 CONNECT 和 DISCONNECT、带事件名和 JSON 参数的 EVENT、回应带 id "
        "的事件的 ACK、CONNECT_ERROR。二进制事件或 ack 之后跟着它的附件，每个附件是一条二进制消息。"),

    "explain.close.title": ("Closing — RFC 6455 §5.5.1, §7", "关闭连接——RFC 6455 §5.5.1、§7"),
    "explain.close.handshake": (
        "The {side} starts the closing handshake (§5.5.1, §7.1.2) with a Close frame (opcode 8){status}. The "
        "peer answers with its own Close frame, and after a Close no more data frames may be sent. Then TCP "
        "closes with its four-way FIN exchange (RFC 9293 §3.6); §7.1.1 says the server should close TCP "
        "first, so that the TIME_WAIT state stays on the server rather than on the client.",
        "{side}用一个 Close 帧（操作码 8）发起关闭握手（§5.5.1、§7.1.2）{status}。对方回复自己的 Close 帧；"
        "发送 Close 之后就不能再发送数据帧。接着 TCP 用四次挥手（FIN）关闭（RFC 9293 §3.6）；§7.1.1 规定"
        "应由服务端先关闭 TCP，这样 TIME_WAIT 状态留在服务端而不是客户端。"),
    "explain.close.status": (", carrying status code {code} {name}{reason} (§7.4)",
                             "，携带状态码 {code} {name}{reason}（§7.4）"),
    "explain.close.no_status": (
        " with no status code (the peer's API then reports 1005, No Status Rcvd, §7.1.5)",
        "，没有携带状态码（对方的 API 会报告 1005 “未收到状态码”，§7.1.5）"),
    "explain.close.reason": (", reason \"{reason}\"", "，原因 “{reason}”"),
    "explain.close.fin_title": ("TCP teardown — RFC 9293 §3.6, RFC 6455 §7.1.1",
                                "TCP 四次挥手——RFC 9293 §3.6、RFC 6455 §7.1.1"),
    "explain.close.fin_server": (
        "After the Close frames TCP itself closes: each side sends FIN when it has nothing more to send and "
        "the other acknowledges it (four packets, or three when an ACK and a FIN travel together). The server "
        "sends the first FIN, as §7.1.1 recommends.",
        "Close 帧之后是 TCP 本身的关闭：每一方在没有数据要发时发送 FIN，另一方确认（四个数据包；如果 ACK 和 FIN "
        "合在一起发送就是三个）。这里由服务端先发送 FIN，符合 §7.1.1 的建议。"),
    "explain.close.fin_client": (
        "After the Close frames TCP itself closes: each side sends FIN when it has nothing more to send and "
        "the other acknowledges it (four packets, or three when an ACK and a FIN travel together). Here the "
        "client sends the first FIN; §7.1.1 prefers the server to go first, so that the client does not keep "
        "the TIME_WAIT state.",
        "Close 帧之后是 TCP 本身的关闭：每一方在没有数据要发时发送 FIN，另一方确认（四个数据包；如果 ACK 和 FIN "
        "合在一起发送就是三个）。这里是客户端先发送 FIN；§7.1.1 更希望由服务端先关闭，免得客户端留在 TIME_WAIT "
        "状态。"),
    "explain.close.no_frame": (
        "The {side} closes TCP (FIN) without any WebSocket Close frame{idle} — a teardown that looks "
        "different from the one textbooks draw. They show the closing handshake (§1.4, §7.1.2): a Close frame, a "
        "Close frame in answer, then TCP's FINs. Here the {side}'s program simply closed its socket without "
        "running the closing handshake, so only TCP's four-way teardown appears (FIN, ACK, FIN, ACK; RFC 9293 "
        "§3.6). That is valid TCP but not a clean WebSocket close: the peer's WebSocket API reports code 1006 "
        "(Abnormal Closure, §7.1.5, §7.4.1), a code that is never sent on the wire. A cleaner {side} would "
        "send Close 1001 (Going Away) or 1000 first: `wsdissect serve --idle-close frame` does.",
        "{side}没有发送任何 WebSocket Close 帧就关闭了 TCP（FIN）{idle}——这和教科书上画的关闭过程不一样。"
        "教科书讲的是关闭握手（§1.4、§7.1.2）：一个 Close 帧，对方回复 Close 帧，然后才是 TCP 的 FIN。这里"
        "{side}的程序没有执行关闭握手，直接关闭了套接字，所以只出现了 TCP 的四次挥手（FIN、ACK、FIN、ACK；"
        "RFC 9293 §3.6）。这在 TCP 层面完全合法，但不是干净的 WebSocket 关闭：对方的 WebSocket API 会报告状态码 "
        "1006（异常关闭，§7.1.5、§7.4.1），这个状态码从不在线路上发送。更规范的{side}会先发送 Close 1001"
        "（离开）或 1000：`wsdissect serve --idle-close frame` 就是这样做的。"),
    "explain.close.idle": (
        ", after {idle} s in which no data crossed the connection: an idle timeout, like the lab server's, "
        "which drops a client that sent nothing for 30 s",
        "，此前连接上已经 {idle} 秒没有任何数据：这是空闲超时，就像实验里的服务端会断开 30 秒没有发消息的客户端"),
    "explain.close.idle_pinged": (
        ", {idle} s after the last data message; since then only pings and pongs crossed the connection, the "
        "last {ping} s before: an idle timeout that counts messages, not pings, like the lab server's, which "
        "drops a client that sent no message for 30 s whatever keepalive pings its library sends",
        "，距最后一条数据消息已经 {idle} 秒；此后连接上只有 Ping 和 Pong，最后一次在 {ping} 秒之前：这是只计算消息、"
        "不计算 Ping 的空闲超时，就像实验里的服务端：客户端 30 秒没有发消息就会被断开，不管它的库发送了多少保活 Ping"),
    "explain.close.no_frame_server": (
        "The server closing TCP first is itself what §7.1.1 recommends; only the Close frames are missing. "
        "Keepalive pings (§5.5.2) would keep the connection busy, but whether they count as activity is up to "
        "the server.",
        "由服务端先关闭 TCP 本身符合 §7.1.1 的建议；缺少的只是 Close 帧。保活的 ping（§5.5.2）能让连接保持有流量，"
        "但服务端是否把它们算作活动，要看服务端自己的实现。"),
    "explain.close.rst": (
        "The {side} aborts the connection with a TCP RST, without a WebSocket Close frame: no closing handshake "
        "(§7.1.2), no FIN exchange; the connection is simply gone and the peer's WebSocket API reports 1006 "
        "(Abnormal Closure, §7.1.5, §7.4.1). Programs do this when they crash, are killed, or close a socket "
        "that still has unread data.",
        "{side}用 TCP RST 中止了连接，没有发送 WebSocket Close 帧：没有关闭握手（§7.1.2），也没有 FIN 交换；"
        "连接直接消失，对方的 WebSocket API 会报告 1006（异常关闭，§7.1.5、§7.4.1）。程序崩溃、被杀掉，或者在还有"
        "未读数据时关闭套接字，都会这样。"),
    "explain.close.tcp": (
        "TCP teardown (RFC 9293 §3.6): each side sends FIN when it has nothing more to send and the other "
        "acknowledges it; four packets, or three when an ACK and a FIN travel together.",
        "TCP 四次挥手（RFC 9293 §3.6）：每一方在没有数据要发时发送 FIN，另一方确认；共四个数据包，如果 ACK 和 FIN "
        "合在一起发送就是三个。"),
    # -- subprotocols inside the messages (app/): a record in words, and its notes ------------------------
    "app.data": ("{side} sends {what} ({detail})", "{side}发送{what}（{detail}）"),
    "app.many": ("{n} records: {items}", "{n} 条记录：{items}"),
    "app.reply": (", answers #{no} after {ms} ms", "，回应 #{no}（{ms} 毫秒后）"),
    "app.unknown": ("a {protocol} record ({kind})", "{protocol} 记录（{kind}）"),
    "app.jsonrpc.request": ("JSON-RPC request {method}, id {id}", "JSON-RPC 请求 {method}，id {id}"),
    "app.jsonrpc.notification": ("JSON-RPC notification {method}", "JSON-RPC 通知 {method}"),
    "app.jsonrpc.result": ("JSON-RPC result for id {id}", "JSON-RPC 结果，id {id}"),
    "app.jsonrpc.error": ("JSON-RPC error {code} for id {id}", "JSON-RPC 错误 {code}，id {id}"),
    "app.jsonrpc.invalid": ("an invalid JSON-RPC message", "无效的 JSON-RPC 消息"),
    "app.graphql.control": ("GraphQL {type}", "GraphQL {type} 消息"),
    "app.graphql.operation": ("GraphQL {type} {id}: {operation}", "GraphQL {type} {id}：{operation}"),
    "app.graphql.result": ("GraphQL {type} for {id}", "GraphQL {type}，id {id}"),
    "app.graphql.error": ("GraphQL error for {id}", "GraphQL 错误，id {id}"),
    "app.graphql.complete": ("GraphQL {type} {id}", "GraphQL {type}，id {id}"),
    "app.graphql.invalid": ("an invalid GraphQL message", "无效的 GraphQL 消息"),
    "app.stomp.frame": ("STOMP {command} frame", "STOMP {command} 帧"),
    "app.stomp.heartbeat": ("a STOMP heart-beat", "STOMP 心跳"),
    "app.stomp.invalid": ("a malformed STOMP frame", "格式错误的 STOMP 帧"),
    "app.socketio.open": ("Engine.IO open, sid {sid}, ping every {ping_interval} ms, timeout {ping_timeout} ms",
                          "Engine.IO open，sid {sid}，每 {ping_interval} 毫秒 ping 一次，超时 {ping_timeout} 毫秒"),
    "app.socketio.close": ("Engine.IO close", "Engine.IO close（关闭）"),
    "app.socketio.ping": ("Engine.IO ping", "Engine.IO ping（心跳）"),
    "app.socketio.ping.probe": ("Engine.IO ping probe (tries the WebSocket before the upgrade)",
                                "Engine.IO ping probe（升级前试探 WebSocket）"),
    "app.socketio.pong": ("Engine.IO pong", "Engine.IO pong（心跳回应）"),
    "app.socketio.pong.probe": ("Engine.IO pong probe (the WebSocket works)",
                                "Engine.IO pong probe（WebSocket 可用）"),
    "app.socketio.upgrade": ("Engine.IO upgrade (the transport is now this WebSocket)",
                             "Engine.IO upgrade（传输方式换成这个 WebSocket）"),
    "app.socketio.noop": ("Engine.IO noop", "Engine.IO noop（空操作）"),
    "app.socketio.connect": ("Socket.IO CONNECT {namespace}", "Socket.IO CONNECT（连接）{namespace}"),
    "app.socketio.connect.auth": ("Socket.IO CONNECT {namespace} with auth",
                                  "Socket.IO CONNECT {namespace}，带认证数据"),
    "app.socketio.connect.sid": ("Socket.IO CONNECT {namespace} accepted, sid {sid}",
                                 "Socket.IO CONNECT {namespace} 已接受，sid {sid}"),
    "app.socketio.disconnect": ("Socket.IO DISCONNECT {namespace}",
                                "Socket.IO DISCONNECT（断开）{namespace}"),
    "app.socketio.connect_error": ("Socket.IO CONNECT_ERROR {namespace}: {message}",
                                   "Socket.IO CONNECT_ERROR {namespace}：{message}"),
    "app.socketio.event": ("Socket.IO event {event} on {namespace}", "Socket.IO 事件 {event}（{namespace}）"),
    "app.socketio.event.plain": ("Socket.IO event {event} on {namespace}", "Socket.IO 事件 {event}（{namespace}）"),
    "app.socketio.event.id": ("Socket.IO event {event} on {namespace}, ack id {id}",
                              "Socket.IO 事件 {event}（{namespace}），ack id {id}"),
    "app.socketio.event.binary-plain": ("Socket.IO binary event {event} on {namespace}, attachments: {attachments}",
                                        "Socket.IO 二进制事件 {event}（{namespace}），{attachments} 个附件"),
    "app.socketio.event.binary-id": ("Socket.IO binary event {event} on {namespace}, ack id {id}, "
                                     "attachments: {attachments}",
                                     "Socket.IO 二进制事件 {event}（{namespace}），ack id {id}，{attachments} 个附件"),
    "app.socketio.ack": ("Socket.IO ack {id} on {namespace}", "Socket.IO ack {id}（{namespace}）"),
    "app.socketio.ack.binary": ("Socket.IO binary ack {id} on {namespace}, attachments: {attachments}",
                                "Socket.IO 二进制 ack {id}（{namespace}），{attachments} 个附件"),
    "app.socketio.attachment": ("Socket.IO attachment {index} of {count} for #{packet}",
                                "Socket.IO 附件（#{packet} 的第 {index} 个，共 {count} 个）"),
    "app.socketio.invalid": ("an invalid Socket.IO packet", "无效的 Socket.IO 数据包"),
    "note.app_truncated": ("{protocol} message cut short (--max-message or bytes missing): not decoded",
                           "{protocol} 消息不完整（--max-message 或缺少字节）：没有解码"),
    "note.app_not_text": ("{protocol} message is not UTF-8 text: not decoded", "{protocol} 消息不是 UTF-8 文本：没有解码"),
    "note.app_pending_cap": ("more than {max} {protocol} requests await a reply (a fixed cap): the oldest is "
                             "forgotten and counted as unanswered",
                             "超过 {max} 个 {protocol} 请求在等待回应（固定上限）：最早的一个被遗忘，记为没有回应"),
    "note.app_guess": ("these messages look like {protocol}, a guess from their first bytes: nothing negotiated a "
                       "decoder, so they are not decoded (--subprotocol {name} reads them as {protocol})",
                       "这些消息看起来像 {protocol}（根据开头几个字节的猜测）：握手没有协商出解码器，所以没有解码"
                       "（用 --subprotocol {name} 可以按 {protocol} 解读）"),
    "note.app_internal": ("{protocol} decoder failed on this message: {error}", "{protocol} 解码器处理这条消息时出错：{error}"),
    "note.jsonrpc_parse_error": ("JSON-RPC message is not JSON: {error}", "JSON-RPC 消息不是 JSON：{error}"),
    "note.jsonrpc_invalid.empty-batch": ("JSON-RPC batch is empty", "JSON-RPC 批量请求是空的"),
    "note.jsonrpc_invalid.not-object": ("JSON-RPC message is not an object", "JSON-RPC 消息不是对象"),
    "note.jsonrpc_invalid.version": ('JSON-RPC message lacks "jsonrpc": "2.0"', 'JSON-RPC 消息缺少 "jsonrpc": "2.0"'),
    "note.jsonrpc_invalid.id-type": ("JSON-RPC id is not a string, number or null",
                                     "JSON-RPC id 不是字符串、数字或 null"),
    "note.jsonrpc_invalid.method-type": ("JSON-RPC method is not a string", "JSON-RPC method 不是字符串"),
    "note.jsonrpc_invalid.params-type": ("JSON-RPC params is neither an array nor an object",
                                         "JSON-RPC params 既不是数组也不是对象"),
    "note.jsonrpc_invalid.result-and-error": ("JSON-RPC response has both result and error",
                                              "JSON-RPC 响应同时有 result 和 error"),
    "note.jsonrpc_invalid.error-type": ("JSON-RPC error is not an object", "JSON-RPC error 不是对象"),
    "note.jsonrpc_invalid.no-method": ("JSON-RPC object has no method, result or error",
                                       "JSON-RPC 对象没有 method、result 或 error"),
    "note.jsonrpc_unmatched_response": ("JSON-RPC response with id {id} answers no request seen",
                                        "id 为 {id} 的 JSON-RPC 响应没有对应的请求"),
    "note.jsonrpc_duplicate_id": ("JSON-RPC request reuses id {id} while a request with it is unanswered",
                                  "JSON-RPC 请求重复使用了 id {id}，而使用它的请求还没有得到回应"),
    "note.graphql_parse_error": ("GraphQL message is not JSON: {error}", "GraphQL 消息不是 JSON：{error}"),
    "note.graphql_invalid.not-object": ("GraphQL message is not an object", "GraphQL 消息不是对象"),
    "note.graphql_invalid.no-type": ("GraphQL message has no type", "GraphQL 消息没有 type"),
    "note.graphql_invalid.id": ("GraphQL message has no operation id", "GraphQL 消息没有操作 id"),
    "note.graphql_invalid.query": ("GraphQL operation has no query", "GraphQL 操作没有 query"),
    "note.graphql_invalid.payload": ("GraphQL error has no list of errors", "GraphQL error 消息没有错误列表"),
    "note.graphql_unknown_type": ("GraphQL message type {type} is not one this side may send",
                                  "GraphQL 消息类型 {type} 不是这一方可以发送的"),
    "note.graphql_duplicate_id": ("GraphQL operation reuses id {id} while one with it is running",
                                  "GraphQL 操作重复使用了 id {id}，而使用它的操作还在进行"),
    "note.graphql_before_ack": ("GraphQL subscribe {id} before the server's connection_ack: a graphql-transport-ws "
                                "server refuses it (closes with 4401)",
                                "GraphQL subscribe {id} 在服务端的 connection_ack 之前发出：graphql-transport-ws 服务端"
                                "会拒绝它（以 4401 关闭）"),
    "note.graphql_unknown_id": ("GraphQL result for id {id} belongs to no operation seen",
                                "id 为 {id} 的 GraphQL 结果不属于任何已见到的操作"),
    "note.stomp_malformed.no-blank-line": ("STOMP frame has no empty line after its headers",
                                           "STOMP 帧的头部之后没有空行"),
    "note.stomp_malformed.header": ('STOMP header line "{line}" has no colon', 'STOMP 头部行 "{line}" 没有冒号'),
    "note.stomp_malformed.escape": ('STOMP header line "{line}" has an undefined escape',
                                    'STOMP 头部行 "{line}" 含有未定义的转义'),
    "note.stomp_malformed.content-length": ("STOMP content-length {value} is not a number of bytes",
                                            "STOMP content-length {value} 不是字节数"),
    "note.stomp_malformed.no-nul": ("STOMP frame does not end with a NUL byte", "STOMP 帧没有以 NUL 字节结尾"),
    "note.stomp_malformed.trailing": ("STOMP frame is followed by more than end-of-lines",
                                      "STOMP 帧之后除了换行还有别的内容"),
    "note.stomp_malformed.no-receipt-id": ("STOMP RECEIPT frame has no receipt-id header",
                                           "STOMP RECEIPT 帧没有 receipt-id 头部"),
    "note.stomp_unknown_command": ("STOMP command {command} is not one this side may send",
                                   "STOMP 命令 {command} 不是这一方可以发送的"),
    "note.stomp_unmatched_receipt": ("STOMP receipt {receipt} answers no frame that asked for it",
                                     "STOMP 回执 {receipt} 没有对应的请求帧"),
    "note.socketio_parse_error": ("Socket.IO packet's JSON does not parse: {error}",
                                  "Socket.IO 数据包中的 JSON 无法解析：{error}"),
    "note.socketio_invalid.empty": ("Engine.IO message is empty (no packet type)",
                                    "Engine.IO 消息是空的（没有包类型）"),
    "note.socketio_invalid.engineio-type": ("Engine.IO packet type is not a digit from 0 to 6",
                                            "Engine.IO 包类型不是 0 到 6 的数字"),
    "note.socketio_invalid.direction": ("Engine.IO/Socket.IO {type} packet comes from the wrong side",
                                        "Engine.IO/Socket.IO {type} 数据包来自不该发送它的一方"),
    "note.socketio_invalid.open": ("Engine.IO open packet is not a JSON object with a sid",
                                   "Engine.IO open 数据包不是带 sid 的 JSON 对象"),
    "note.socketio_invalid.packet-type": ("Socket.IO packet type is not a digit from 0 to 6",
                                          "Socket.IO 包类型不是 0 到 6 的数字"),
    "note.socketio_invalid.attachments": ("Socket.IO {type} packet does not start with its attachment count "
                                          "and '-'",
                                          "Socket.IO {type} 数据包开头没有附件个数和 '-'"),
    "note.socketio_invalid.connect": ("Socket.IO CONNECT payload is not a JSON object",
                                      "Socket.IO CONNECT 的数据不是 JSON 对象"),
    "note.socketio_invalid.connect-error": ("Socket.IO CONNECT_ERROR has no message",
                                            "Socket.IO CONNECT_ERROR 没有给出原因"),
    "note.socketio_invalid.event": ("Socket.IO event is not a JSON array starting with the event's name",
                                    "Socket.IO 事件不是以事件名开头的 JSON 数组"),
    "note.socketio_invalid.ack-id": ("Socket.IO ack has no id", "Socket.IO ack 没有 id"),
    "note.socketio_invalid.ack": ("Socket.IO ack's arguments are not a JSON array",
                                  "Socket.IO ack 的参数不是 JSON 数组"),
    "note.socketio_unmatched_ack": ("Socket.IO ack {id} on {namespace} answers no event seen",
                                    "Socket.IO ack {id}（{namespace}）没有对应的事件"),
    "note.socketio_duplicate_id": ("Socket.IO event reuses ack id {id} on {namespace} while one with it awaits "
                                   "its ack",
                                   "Socket.IO 事件重复使用了 ack id {id}（{namespace}），而使用它的事件还在等待 ack"),
    "note.socketio_attachments.missing": ("Socket.IO binary packet #{packet} announced {expected} attachments; "
                                          "{got} came before this packet",
                                          "Socket.IO 二进制数据包 #{packet} 声明了 {expected} 个附件，"
                                          "这个数据包之前只来了 {got} 个"),
    "note.socketio_attachments.end": ("Socket.IO binary packet #{packet} announced {expected} attachments; {got} "
                                      "came before the connection ended",
                                      "Socket.IO 二进制数据包 #{packet} 声明了 {expected} 个附件，连接结束前只来了 {got} 个"),
    "note.socketio_attachments.unexpected": ("binary message that no Socket.IO binary packet announced",
                                             "没有任何 Socket.IO 二进制数据包声明过的二进制消息"),
    "app.mqtt.connect": ("MQTT CONNECT {client_id}, MQTT {version}{more}", "MQTT CONNECT {client_id}，MQTT {version}{more}"),
    "app.mqtt.connack": ("MQTT CONNACK {reason}{more}", "MQTT CONNACK 应答：{reason}{more}"),
    "app.mqtt.publish": ("MQTT PUBLISH {topic} QoS {qos}, id {id}{more}", "MQTT PUBLISH {topic}，QoS {qos}，id {id}{more}"),
    "app.mqtt.publish.qos0": ("MQTT PUBLISH {topic} QoS {qos}{more}", "MQTT PUBLISH {topic}，QoS {qos}{more}"),
    "app.mqtt.puback": ("MQTT PUBACK id {id}{more}", "MQTT PUBACK，id {id}{more}"),
    "app.mqtt.pubrec": ("MQTT PUBREC id {id}{more}", "MQTT PUBREC，id {id}{more}"),
    "app.mqtt.pubrel": ("MQTT PUBREL id {id}{more}", "MQTT PUBREL，id {id}{more}"),
    "app.mqtt.pubcomp": ("MQTT PUBCOMP id {id}{more}", "MQTT PUBCOMP，id {id}{more}"),
    "app.mqtt.subscribe": ("MQTT SUBSCRIBE id {id}{more}", "MQTT SUBSCRIBE，id {id}{more}"),
    "app.mqtt.suback": ("MQTT SUBACK id {id}{more}", "MQTT SUBACK，id {id}{more}"),
    "app.mqtt.unsubscribe": ("MQTT UNSUBSCRIBE id {id}{more}", "MQTT UNSUBSCRIBE，id {id}{more}"),
    "app.mqtt.unsuback": ("MQTT UNSUBACK id {id}{more}", "MQTT UNSUBACK，id {id}{more}"),
    "app.mqtt.pingreq": ("MQTT PINGREQ", "MQTT PINGREQ（心跳请求）"),
    "app.mqtt.pingresp": ("MQTT PINGRESP", "MQTT PINGRESP（心跳响应）"),
    "app.mqtt.disconnect": ("MQTT DISCONNECT{more}", "MQTT DISCONNECT 断开连接{more}"),
    "app.mqtt.auth": ("MQTT AUTH{more}", "MQTT AUTH 认证{more}"),
    "app.mqtt.partial": ("part of an MQTT packet ({buffered} bytes so far)", "MQTT 报文的一部分（已缓存 {buffered} 字节）"),
    "app.mqtt.partial.skipped": ("{skipped} bytes of an MQTT packet too long to keep",
                                 "过长而不保留的 MQTT 报文中的 {skipped} 字节"),
    "app.mqtt.many": ("{n} packets: {items}", "{n} 个报文：{items}"),
    "app.mqtt.invalid": ("an unreadable MQTT packet{more}", "无法读取的 MQTT 报文{more}"),
    "app.mqtt.w.more": (" ({items})", "（{items}）"),
    "app.mqtt.w.keep_alive": ("keep-alive {s} s", "保活 {s} 秒"),
    "app.mqtt.w.clean_session": ("clean session", "清除会话"),
    "app.mqtt.w.clean_start": ("clean start", "全新会话"),
    "app.mqtt.w.will": ("will on {topic}", "遗嘱主题 {topic}"),
    "app.mqtt.w.username": ("user {name}", "用户名 {name}"),
    "app.mqtt.w.password": ("a password of {n} bytes", "密码 {n} 字节"),
    "app.mqtt.w.session_present": ("session present", "会话已存在"),
    "app.mqtt.w.retain": ("retained", "保留消息"),
    "app.mqtt.w.dup": ("duplicate", "重发"),
    "app.mqtt.w.payload": ("{n} bytes {shown}", "{n} 字节 {shown}"),
    "app.mqtt.w.filter": ("{filter} QoS {qos}", "{filter}（QoS {qos}）"),
    "note.mqtt_malformed.remaining-length": ("MQTT remaining length runs past 4 bytes: reading resumes at the next "
                                             "message", "MQTT 剩余长度超过 4 个字节：从下一条消息重新开始读取"),
    "note.mqtt_malformed.flags": ("MQTT {type} packet has invalid flags {flags}", "MQTT {type} 报文的标志位 {flags} 无效"),
    "note.mqtt_malformed.qos": ("MQTT {type} packet has QoS 3", "MQTT {type} 报文的 QoS 为 3（无效）"),
    "note.mqtt_malformed.body": ("MQTT {type} packet ends inside a field", "MQTT {type} 报文在某个字段中间就结束了"),
    "note.mqtt_malformed.property": ("MQTT property id {id} is unknown: the rest of the properties is skipped",
                                     "未知的 MQTT 属性 id {id}：跳过其余属性"),
    "note.mqtt_malformed.trailing": ("MQTT {type} packet has {n} bytes after its last field",
                                     "MQTT {type} 报文在最后一个字段之后还有 {n} 个字节"),
    "note.mqtt_unknown_type": ("MQTT packet type {type} is not defined in this version",
                               "MQTT 报文类型 {type} 在此版本中没有定义"),
    "note.mqtt_duplicate_id": ("MQTT {type} reuses packet id {id} while it is in flight",
                               "MQTT {type} 重复使用仍在传输中的报文标识符 {id}"),
    "note.mqtt_unmatched_ack": ("MQTT {type} for packet id {id} answers no packet seen",
                                "MQTT {type}（报文标识符 {id}）没有对应的已见报文"),
    "note.mqtt_text_message": ("MQTT travels in binary messages: this text message is not read",
                               "MQTT 只使用二进制消息：不读取这条文本消息"),
    "note.mqtt_packet_cap": ("MQTT {type} packet of {length} bytes is longer than {max} (a fixed cap): skipped",
                             "MQTT {type} 报文长 {length} 字节，超过 {max}（固定上限）：已跳过"),
    "note.mqtt_truncated": ("the {side}'s last MQTT packet is cut by the end of the capture ({n} bytes buffered)",
                            "{side}的最后一个 MQTT 报文被捕获的结尾截断（已缓存 {n} 字节）"),
}


@lru_cache(maxsize=None)
def catalog(lang: str = DEFAULT_LANG) -> dict[str, str]:
    """id -> template in `lang` (one dict per language, built once)."""
    try:
        i = LANGS.index(lang)
    except ValueError:
        raise ValueError(f"unknown language {lang!r}; languages are: {', '.join(LANGS)}") from None
    return {key: texts[i] for key, texts in CATALOG.items()}


def _han(ch: str) -> bool:
    """A Chinese character (or kana): not CJK punctuation, which takes no space next to Latin text."""
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" or "\u3040" <= ch <= "\u30ff" \
        or "\uf900" <= ch <= "\ufaff"


def _latin(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


@lru_cache(maxsize=4096)
def _has_han(template: str) -> bool:
    """Whether a template has a Chinese character (asked once per template: every note's and label's words)."""
    return any(_han(ch) for ch in template)


def fill(template: str, **params) -> str:
    """template.format(**params), with Chinese spacing where a parameter meets the template's words: a space
    between a Chinese character and a Latin letter or digit, as Chinese technical writing puts one ("Ping 帧",
    "文本帧": '{names}帧' with names 'Ping' or '文本'). A template with no Chinese character is just formatted,
    so an English sentence is exactly what str.format makes of it."""
    if not _has_han(template):
        return template.format(**params)
    out: list[str] = []
    for literal, name, spec, conv in Formatter().parse(template):
        if literal:
            if out and out[-1] and _latin(out[-1][-1]) and _han(literal[0]):
                out.append(" ")
            out.append(literal)
        if name is None:
            continue
        value = ("{" + name + ("!" + conv if conv else "") + (":" + spec if spec else "") + "}").format(**params)
        if value and out and out[-1] and ((_han(out[-1][-1]) and _latin(value[0]))
                                          or (_latin(out[-1][-1]) and _han(value[0]))):
            out.append(" ")
        out.append(value)
    return "".join(out)


def T(key: str, lang: str = DEFAULT_LANG, /, **params) -> str:
    """The text of `key` in `lang`, formatted with `params`."""
    text = catalog(lang)[key]
    return text.format(**params) if params else text


def fields(template: str) -> set[str]:
    """The parameter names a template takes ({side} -> 'side')."""
    return {name for _, name, _, _ in Formatter().parse(template) if name is not None}


# -- notes (expert info) ------------------------------------------------------------------------------------
# Note.args values that are data words (the English values of the model) and are shown translated:
# arg name -> catalog id prefix ("side": "client" -> side.client).
_NOTE_WORDS = {"side": "side.", "opcode": "opcode.", "prev_opcode": "opcode."}


_NOTE_KEYS: dict = {}          # code -> "note.<code>" (codes are a fixed set: every note of a capture looks here)


def note_id(code: str, args: dict) -> str:
    """The catalog id of a note's sentence: note.<code> ('-' written '_'), plus .<variant> if args has one."""
    key = _NOTE_KEYS.get(code)
    if key is None:
        key = _NOTE_KEYS[code] = "note." + code.replace("-", "_")
    variant = args.get("variant")
    return f"{key}.{variant}" if variant else key


def note_text(code: str, args: dict, lang: str = DEFAULT_LANG) -> str:
    """A note's words in `lang` from its code and Note.args (see model.Note): the one way every view puts a
    note in words. Values of args: a number or string is used as it is, except the data words of _NOTE_WORDS
    (side, opcode...) and a close code's name, which are translated; a dict {"id": note_part id, ...} is a
    piece of the sentence with parameters of its own; a list is pieces (or tokens) joined as a list. A code
    with no sentence in the catalog is a KeyError."""
    t = catalog(lang)
    return fill(t[note_id(code, args)], **_note_params(args, t))


def _note_params(args: dict, t: dict) -> dict:
    """The sentence's parameters: `args` itself when none of them needs words of `t` (most notes: numbers)."""
    params = None
    for name, value in args.items():
        kind = type(value)
        if kind is dict:
            value = fill(t[value["id"]], **_note_params(value, t))
        elif kind is list:
            value = t["sep.list"].join(
                fill(t[v["id"]], **_note_params(v, t)) if type(v) is dict else str(v) for v in value)
        elif name in _NOTE_WORDS:
            value = t.get(_NOTE_WORDS[name] + value, value)
        elif name == "close_name":
            key = _close_name_ids().get(value)
            if key is None:
                continue
            value = t[key]
        else:
            continue
        if params is None:
            params = dict(args)
        params[name] = value
    return args if params is None else params


@lru_cache(maxsize=None)
def _close_name_ids() -> dict[str, str]:
    """English close-code name ('Going Away', 'Private Use') -> its catalog id."""
    return {en: key for key, (en, _) in CATALOG.items() if key.startswith("closecode.")}
