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

    # -- malformed packets (label and note text) ----------------------------------------------------------
    "malformed.packet": ("malformed packet: {error}", "畸形数据包：{error}"),
    "malformed.internal": ("malformed: internal error analysing this packet: {error}",
                           "畸形：分析此数据包时发生内部错误：{error}"),

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
    "upgrade.request": ("WebSocket handshake 1/2: {side} asks to upgrade {target} to WebSocket{more}",
                        "WebSocket 握手 1/2：{side}请求把 {target} 升级为 WebSocket{more}"),
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
    "control.ping": ("{side} pings ({size}): are you there?", "{side}发送 Ping（{size}）：你还在吗？"),
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

    # -- notes the analyzer itself writes (their codes never change) --------------------------------------
    "note.rst_without_close": ("{side} aborted TCP (RST) without a WebSocket Close frame",
                               "{side}没有发送 WebSocket Close 帧就中止了 TCP（RST）"),
    "note.fin_without_close": ("{side} closed TCP without a WebSocket Close frame{why}",
                               "{side}没有发送 WebSocket Close 帧就关闭了 TCP{why}"),
    "note.idle_drop": (" after {idle} s of silence: the {side} dropped an idle connection",
                       "（静默 {idle} 秒之后：{side}断开了空闲连接）"),
    "note.request_not_captured": ("the upgrade request is not in the capture; the 101 is taken as it stands",
                                  "抓包里没有升级请求；按原样采信这个 101 响应"),
    "note.try_decode_as": ("no HTTP handshake in this stream (the capture may have begun after it); if port {port} "
                           "carries WebSocket, --decode-as {port} decodes its frames",
                           "这条流里没有 HTTP 握手（抓包可能在握手之后才开始）；如果端口 {port} 上是 WebSocket，"
                           "用 --decode-as {port} 解码它的帧"),
    "note.tls": ("this stream is TLS (wss:// or https://): its WebSocket frames are encrypted and cannot be shown "
                 "without the session keys",
                 "这条流是 TLS（wss:// 或 https://）：其中的 WebSocket 帧是加密的，没有会话密钥就无法显示"),
    "note.decode_as": ("no handshake seen: port {port} decoded as WebSocket (--decode-as), no extensions assumed",
                       "没有看到握手：端口 {port} 按 WebSocket 解码（--decode-as），假定没有协商扩展"),
    "note.cap_connections": ("more than {max} connections open at once (--max-connections): connection {conn} "
                             "finished early", "同时打开的连接超过 {max} 个（--max-connections）：连接 {conn} 被提前结束"),

    # -- phases (render/flow.py's PHASES, in order) -------------------------------------------------------
    "phase.0": ("TCP handshake", "TCP 三次握手"),
    "phase.1": ("WebSocket handshake", "WebSocket 握手"),
    "phase.2": ("data transfer", "数据传输"),
    "phase.3": ("closing", "关闭连接"),

    # -- the flow view's own words ------------------------------------------------------------------------
    "flow.ack_of_fin": ("ACK of FIN", "确认 FIN 的 ACK"),
    "flow.no_close": ("{flags} (no Close frame!)", "{flags}（没有 Close 帧！）"),
    "flow.retransmission": ("retransmission ({n} bytes)", "重传（{n} 字节）"),
    "flow.data": ("{flags} {n} bytes", "{flags} {n} 字节"),
    "flow.silence": ("{seconds} s of silence", "静默 {seconds} 秒"),

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
        "parameters such as a token or a room number; reverse proxies and load balancers can route on them "
        "too, as in the notes' project.",
        "请求目标 {target} 就是 URI {uri} 的 path 和 query（§3，“资源名”）。path 指定服务端上的一个端点"
        "（一个服务端可以同时提供 /chat 和 /prices），query 传递参数，比如令牌或房间号；反向代理和负载均衡器"
        "也可以按它们来分发连接，就像笔记里的项目那样。"),
    "explain.ws.scheme_other": (
        "ws:// is WebSocket over plain TCP, default port 80; wss:// is WebSocket over TLS, default port 443 "
        "(§3; TLS gives confidentiality, §10.6, and a wss capture shows only encrypted records, which no tool "
        "can explain without the keys). This server listens on port {port}, not a default one, so the URI "
        "must spell it out.",
        "ws:// 是跑在普通 TCP 上的 WebSocket，默认端口 80；wss:// 是跑在 TLS 上的 WebSocket，默认端口 443"
        "（§3；TLS 提供机密性，§10.6，wss 的抓包里只有加密记录，没有密钥就无法解读）。这个服务端监听的是端口 "
        "{port}，不是默认端口，所以 URI 里必须写明端口。"),
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
    "explain.data.no_handshake": (
        "No handshake was seen, so nothing is known of extensions: frames are read as plain §5.2 frames.",
        "没有看到握手，所以不知道协商了哪些扩展：帧按普通的 §5.2 帧来解析。"),

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
        "A Ping (opcode 9) asks \"are you there?\"; the peer must answer with a Pong (opcode 10) carrying the "
        "same application data, as soon as it can. Either side may ping, as a keepalive or to measure the "
        "round trip; control frames carry at most 125 bytes and are never fragmented (§5.5).",
        "Ping（操作码 9）是在问“你还在吗？”；对方必须尽快回复一个 Pong（操作码 10），带上相同的应用数据。"
        "双方都可以发送 ping，用作保活或测量往返时间；控制帧的载荷最多 125 字节，并且不能分片（§5.5）。"),

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
        "The {side} closes TCP (FIN) without any WebSocket Close frame{idle} — the case the lab's notes found "
        "\"different from the book\". The book shows the closing handshake (§1.4, §7.1.2): a Close frame, a "
        "Close frame in answer, then TCP's FINs. Here the {side}'s program simply closed its socket without "
        "running the closing handshake, so only TCP's four-way teardown appears (FIN, ACK, FIN, ACK; RFC 9293 "
        "§3.6). That is valid TCP but not a clean WebSocket close: the peer's WebSocket API reports code 1006 "
        "(Abnormal Closure, §7.1.5, §7.4.1), a code that is never sent on the wire. A cleaner {side} would "
        "send Close 1001 (Going Away) or 1000 first: `wsdissect serve --idle-close frame` does.",
        "{side}没有发送任何 WebSocket Close 帧就关闭了 TCP（FIN）{idle}——这正是实验笔记里觉得“和书上不一样”的"
        "情况。书上讲的是关闭握手（§1.4、§7.1.2）：一个 Close 帧，对方回复 Close 帧，然后才是 TCP 的 FIN。这里"
        "{side}的程序没有执行关闭握手，直接关闭了套接字，所以只出现了 TCP 的四次挥手（FIN、ACK、FIN、ACK；"
        "RFC 9293 §3.6）。这在 TCP 层面完全合法，但不是干净的 WebSocket 关闭：对方的 WebSocket API 会报告状态码 "
        "1006（异常关闭，§7.1.5、§7.4.1），这个状态码从不在线路上发送。更规范的{side}会先发送 Close 1001"
        "（离开）或 1000：`wsdissect serve --idle-close frame` 就是这样做的。"),
    "explain.close.idle": (
        ", after {idle} s in which no data crossed the connection: an idle timeout, like the lab server's, "
        "which drops a client that sent nothing for 30 s",
        "，此前连接上已经 {idle} 秒没有任何数据：这是空闲超时，就像实验里的服务端会断开 30 秒没有发消息的客户端"),
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
}


@lru_cache(maxsize=None)
def catalog(lang: str = DEFAULT_LANG) -> dict[str, str]:
    """id -> template in `lang` (one dict per language, built once)."""
    try:
        i = LANGS.index(lang)
    except ValueError:
        raise ValueError(f"unknown language {lang!r}; languages are: {', '.join(LANGS)}") from None
    return {key: texts[i] for key, texts in CATALOG.items()}


def T(key: str, lang: str = DEFAULT_LANG, /, **params) -> str:
    """The text of `key` in `lang`, formatted with `params`."""
    text = catalog(lang)[key]
    return text.format(**params) if params else text


def fields(template: str) -> set[str]:
    """The parameter names a template takes ({side} -> 'side')."""
    return {name for _, name, _, _ in Formatter().parse(template) if name is not None}
