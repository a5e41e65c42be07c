/* The lab page of wsdissect (render/report.py writes the data; this draws it). No request leaves the page:
   everything it shows is in the JSON blob #wsd-data, words in both languages. */
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("wsd-data").textContent);
  var M = D.meta, LANGS = M.langs, ROWS = D.rows;
  var SVGNS = "http://www.w3.org/2000/svg";
  var S = {li: M.lang || 0, role: "", conn: "", text: "", list: [], page: 0, cursor: -1, sel: null, field: null};
  var byNo = {};
  ROWS.forEach(function (r, i) { byNo[r.n] = i; });

  // -- helpers ---------------------------------------------------------------------------------------------
  function t(id, p) {
    var s = D.ui[LANGS[S.li]][id];
    if (s === undefined) s = id;
    return s.replace(/\{(\w+)\}/g, function (m, k) { return p && k in p ? String(p[k]) : m; });
  }
  function el(tag, attrs) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) {
      if (k === "text") e.textContent = attrs[k];
      else if (k === "cls") e.className = attrs[k];
      else if (k.slice(0, 2) === "on") e.addEventListener(k.slice(2), attrs[k]);
      else e.setAttribute(k, attrs[k]);
    }
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined) continue;
      e.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    }
    return e;
  }
  function sv(tag, attrs) {
    var e = document.createElementNS(SVGNS, tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    return e;
  }
  function bytesOf(b64) {
    var s = atob(b64), a = new Uint8Array(s.length);
    for (var i = 0; i < s.length; i++) a[i] = s.charCodeAt(i);
    return a;
  }
  function hex2(b) { return (b < 16 ? "0" : "") + b.toString(16); }
  function ascii(b) { return b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : "."; }
  function base(p) { return p.replace(/^.*[\\/]/, ""); }
  function cut(s, n) { return s.length > n ? s.slice(0, n - 1) + "…" : s; }

  // -- the frame of the page -------------------------------------------------------------------------------
  var app = document.getElementById("app");
  var ui = {};

  function build() {
    app.textContent = "";
    document.documentElement.lang = LANGS[S.li] === "zh" ? "zh-CN" : "en";
    document.title = t("report.title", {capture: base(M.capture)}) + " — wsdissect";
    var other = LANGS[(S.li + 1) % LANGS.length];
    var head = el("header", {cls: "top"},
      el("div", null, el("h1", {text: t("report.title", {capture: base(M.capture)})}),
         el("div", {cls: "sub", text: t("report.made_by", {version: M.version})})),
      el("div", {cls: "tools"},
         el("button", {id: "lang", type: "button", lang: other === "zh" ? "zh-CN" : "en",
                       title: t("report.switch_title"), text: t("report.switch"), onclick: switchLang}),
         el("button", {id: "print", type: "button", text: t("report.print"), onclick: function () { window.print(); }})));
    app.appendChild(head);
    app.appendChild(el("p", {cls: "caps", id: "caps", text: t("report.caps", {rows: M.rows, page: M.page_rows,
      cap: M.detail_cap, capture: M.capture, arrows: M.ladder_cap, ladders: M.ladders_cap})}));
    var legend = el("div", {cls: "legend"}, el("span", {text: t("report.legend")}));
    M.phases.forEach(function (p) { legend.appendChild(el("span", {cls: "swatch ph-" + p, text: t("report.phase." + p)})); });
    app.appendChild(legend);

    // the list and the details, side by side
    var roles = [], seen = {};
    ROWS.forEach(function (r) { if (!seen[r.r]) { seen[r.r] = 1; roles.push(r.r); } });
    var roleSel = el("select", {id: "f-role", onchange: function () { S.role = this.value; refilter(); }},
                     el("option", {value: "", text: t("report.filter.all_roles")}));
    roles.forEach(function (r) { roleSel.appendChild(el("option", {value: r, text: r})); });
    roleSel.value = S.role;
    var connSel = el("select", {id: "f-conn", onchange: function () { S.conn = this.value; refilter(); }},
                     el("option", {value: "", text: t("report.filter.all_conns")}));
    D.conns.forEach(function (c) { connSel.appendChild(el("option", {value: String(c.id), text: String(c.id)})); });
    if (ROWS.some(function (r) { return r.c === null; }))
      connSel.appendChild(el("option", {value: "-", text: t("report.filter.no_conn")}));
    connSel.value = S.conn;
    var textIn = el("input", {id: "f-text", type: "search", placeholder: t("report.filter.placeholder"),
                              oninput: function () { S.text = this.value; refilter(); }});
    textIn.value = S.text;
    var filters = el("div", {cls: "filters"},
      el("label", null, t("report.filter.role") + " ", roleSel),
      el("label", null, t("report.filter.conn") + " ", connSel),
      el("label", {cls: "grow"}, t("report.filter.text") + " ", textIn));
    var cols = [["tl.col.no", "num"], ["tl.col.time", "num"], ["report.col.conn", "num"], ["report.col.ports", "ports"],
                ["tl.col.flags", ""], ["tl.col.proto", ""], ["tl.col.len", "num"], ["tl.col.info", ""],
                ["tl.col.meaning", ""]];
    var hr = el("tr");
    cols.forEach(function (c) { hr.appendChild(el("th", {cls: c[1], text: t(c[0])})); });
    ui.tbody = el("tbody", {onclick: function (e) {
      var tr = e.target.closest("tr[data-i]");
      if (tr) { S.cursor = +tr.getAttribute("data-i"); open(S.list[S.cursor]); }
    }});
    ui.table = el("table", {id: "packets", cls: "packets"}, el("thead", null, hr), ui.tbody);
    ui.scroller = el("div", {cls: "scroller", tabindex: "0", id: "list-scroller"}, ui.table);
    ui.pager = el("div", {cls: "pager"});
    ui.count = el("span", {cls: "count", id: "count"});
    var list = el("section", {cls: "list", id: "list"},
      el("h2", {text: t("report.packets")}), filters, ui.scroller,
      el("div", {cls: "below"}, ui.count, ui.pager), el("p", {cls: "hint", text: t("report.keys")}));
    ui.details = el("section", {cls: "details", id: "details"});
    app.appendChild(el("div", {cls: "main", id: "main"}, list, ui.details));

    // ladders with their explanations, then the summary and the stats
    var flow = el("section", {cls: "flow", id: "flow"}, el("h2", {text: t("report.flow")}),
                  el("p", {cls: "hint", text: t("report.flow.hint")}));
    D.conns.forEach(function (c) { flow.appendChild(ladder(c)); });
    if (M.ladders_more)
      flow.appendChild(el("p", {cls: "hint", text: t("report.flow.more_conns", {n: M.ladders_more, cap: M.ladders_cap, capture: M.capture})}));
    app.appendChild(flow);
    app.appendChild(el("section", {cls: "summary", id: "summary"}, el("h2", {text: t("report.summary")}),
                       el("pre", {text: D.summary[S.li]})));
    if (D.stats[S.li])
      app.appendChild(el("section", {cls: "stats", id: "stats"}, el("h2", {text: t("report.stats")}),
                         el("pre", {text: D.stats[S.li]})));
    refilter(true);
    details();
    alignExplanations();
    var cur = S.cursor >= 0 ? rowEl(S.cursor) : null;
    if (cur) ui.scroller.scrollTop = cur.offsetTop - ui.scroller.clientHeight / 2;
  }

  function switchLang() {
    S.li = (S.li + 1) % LANGS.length;
    var y = window.scrollY;
    build();
    window.scrollTo(0, y);
    document.getElementById("lang").focus();
  }

  // -- the list ----------------------------------------------------------------------------------------------
  function refilter(keep) {
    var role = S.role, conn = S.conn, q = S.text.trim().toLowerCase(), li = S.li, out = [];
    for (var i = 0; i < ROWS.length; i++) {
      var r = ROWS[i];
      if (role && r.r !== role) continue;
      if (conn === "-" ? r.c !== null : conn && String(r.c) !== conn) continue;
      if (q && (r.i + " " + r.L[li] + " " + r.a + " " + r.b + " " + r.f + " " + r.p + " #" + r.n + " " + r.r)
                 .toLowerCase().indexOf(q) < 0) continue;
      out.push(i);
    }
    S.list = out;
    var at = S.sel === null ? -1 : out.indexOf(byNo[S.sel]);
    S.cursor = at;
    S.page = at >= 0 ? Math.floor(at / M.page_rows) : (keep ? Math.min(S.page, pages() - 1) : 0);
    drawList();
  }
  function pages() { return Math.max(1, Math.ceil(S.list.length / M.page_rows)); }

  function drawList() {
    var tb = ui.tbody, from = S.page * M.page_rows, to = Math.min(S.list.length, from + M.page_rows), li = S.li;
    var frag = document.createDocumentFragment();
    for (var k = from; k < to; k++) {
      var r = ROWS[S.list[k]];
      var cls = "ph-" + r.ph + (r.pale ? " pale" : "") + (r.w >= 2 ? " warn" : "") + (r.w >= 3 ? " err" : "") +
                (r.n === S.sel ? " sel" : "") + (k === S.cursor ? " cur" : "");
      var ports = r.d ? r.a + " " + (r.d === ">" ? "→" : "←") + " " + r.b : r.a + " → " + r.b;
      frag.appendChild(el("tr", {cls: cls, "data-i": String(k), "data-no": String(r.n)},
        el("td", {cls: "num", text: String(r.n)}), el("td", {cls: "num", text: r.t.toFixed(6)}),
        el("td", {cls: "num", text: r.c === null ? "" : String(r.c)}), el("td", {cls: "ports", text: ports}),
        el("td", {text: r.f}), el("td", {title: r.p, text: r.p === "WebSocket" ? "WS" : r.p}),
        el("td", {cls: "num", text: String(r.l)}),
        el("td", {cls: "info", title: r.i, text: r.p === "WebSocket" && r.i.indexOf("WebSocket ") === 0 ? r.i.slice(10) : r.i}),
        el("td", {cls: "meaning"}, r.L[li], " ", el("span", {cls: "role", text: r.r}))));
    }
    tb.textContent = "";
    tb.appendChild(frag);
    if (!S.list.length) tb.appendChild(el("tr", null, el("td", {colspan: "9", cls: "none", text: t("report.none")})));
    ui.count.textContent = t("report.shown", {shown: S.list.length, total: ROWS.length});
    ui.pager.textContent = "";
    if (pages() > 1) {
      ui.pager.appendChild(el("button", {type: "button", text: t("report.prev"), onclick: function () { turn(-1); }}));
      ui.pager.appendChild(el("span", {text: " " + t("report.page", {page: S.page + 1, pages: pages()}) + " "}));
      ui.pager.appendChild(el("button", {type: "button", text: t("report.next"), onclick: function () { turn(1); }}));
    }
  }
  function turn(d) {
    var p = Math.max(0, Math.min(pages() - 1, S.page + d));
    if (p === S.page) return;
    S.page = p;
    S.cursor = p * M.page_rows;
    drawList();
    ui.scroller.scrollTop = 0;
  }
  function moveTo(k) {
    if (!S.list.length) return;
    k = Math.max(0, Math.min(S.list.length - 1, k));
    var old = ui.tbody.querySelector("tr.cur");
    S.cursor = k;
    var p = Math.floor(k / M.page_rows);
    if (p !== S.page) { S.page = p; drawList(); }
    else { if (old) old.classList.remove("cur"); var tr = rowEl(k); if (tr) tr.classList.add("cur"); }
    var cur = rowEl(k);
    if (cur) cur.scrollIntoView({block: "nearest"});
  }
  function rowEl(k) { return ui.tbody.querySelector('tr[data-i="' + k + '"]'); }

  document.addEventListener("keydown", function (e) {
    var tag = (e.target.tagName || "").toLowerCase();
    if (tag === "input" && (e.key === "ArrowDown" || e.key === "Enter")) {    // from the search box to the list
      ui.scroller.focus({preventScroll: true});
      moveTo(S.cursor < 0 ? 0 : S.cursor);
      e.preventDefault();
      return;
    }
    if (tag === "input" || tag === "select" || tag === "textarea" || e.altKey || e.ctrlKey || e.metaKey) return;
    if (tag === "button" && e.key === "Enter") return;
    var k = S.cursor < 0 ? -1 : S.cursor;
    if (e.key === "ArrowDown") moveTo(k + 1);
    else if (e.key === "ArrowUp") moveTo(k < 0 ? 0 : k - 1);
    else if (e.key === "PageDown") turn(1);
    else if (e.key === "PageUp") turn(-1);
    else if (e.key === "Home") moveTo(0);
    else if (e.key === "End") moveTo(S.list.length - 1);
    else if (e.key === "Enter" && S.cursor >= 0) open(S.list[S.cursor]);
    else return;
    e.preventDefault();
  });

  // -- one packet --------------------------------------------------------------------------------------------
  function open(i) {
    if (i === undefined || i < 0) return;
    select(ROWS[i].n);
  }
  function select(no) {
    S.sel = no;
    S.field = null;
    var i = byNo[no], k = S.list.indexOf(i);
    if (k >= 0) {
      S.cursor = k;
      var p = Math.floor(k / M.page_rows);
      if (p !== S.page) { S.page = p; drawList(); }
    }
    var trs = ui.tbody.querySelectorAll("tr.sel, tr.cur");
    for (var j = 0; j < trs.length; j++) trs[j].classList.remove("sel", "cur");
    var tr = k >= 0 ? rowEl(k) : null;
    if (tr) { tr.classList.add("sel", "cur"); tr.scrollIntoView({block: "nearest"}); }
    var arrows = document.querySelectorAll("g.arrow.sel");
    for (j = 0; j < arrows.length; j++) arrows[j].classList.remove("sel");
    var g = document.getElementById("arrow-" + no);
    if (g) g.classList.add("sel");
    details();
  }

  function details() {
    var box = ui.details, no = S.sel;
    box.textContent = "";
    if (no === null) {
      box.appendChild(el("h2", {text: t("report.details_none")}));
      box.appendChild(el("p", {cls: "hint", text: t("report.pick")}));
      return;
    }
    var r = ROWS[byNo[no]], d = D.details[no];
    box.appendChild(el("h2", {text: t("report.details", {no: no})}));
    box.appendChild(el("p", {cls: "label ph-" + r.ph, text: r.L[S.li]}));
    var para = phaseParagraph(r);
    if (para) {
      var det = el("details", {cls: "phase-now"}, el("summary", {text: t("report.phase_now") + ": " + para.T[S.li]}));
      para.B[S.li].forEach(function (s) { det.appendChild(el("p", {text: s})); });
      box.appendChild(det);
    }
    if (document.getElementById("arrow-" + no))
      box.appendChild(el("p", {cls: "jump"}, el("a", {href: "#arrow-" + no, text: "↓ " + t("report.flow")})));
    if (!d) {
      box.appendChild(el("p", {cls: "hint", text: t("report.no_details", {no: no, cap: M.detail_cap, capture: M.capture})}));
      return;
    }
    if (S.field === null) S.field = d.F["ws.header"] ? "ws.header" : null;
    var tree = el("div", {cls: "tree", id: "tree", onclick: function (e) {
      var ln = e.target.closest("[data-field]");
      if (ln) {
        S.field = ln.getAttribute("data-field");
        mark();
        var first = document.querySelector("#hexdump .hl");
        if (first) first.scrollIntoView({block: "nearest"});
      }
    }});
    d.T[S.li].forEach(function (ln) {
      var a = {cls: "ln d" + ln[0] + (ln[2] ? " " + ln[2].split(" ").map(function (s) { return "s-" + s; }).join(" ") : ""),
               text: ln[1]};
      if (ln[3] && d.F[ln[3]]) { a["data-field"] = ln[3]; a.title = ln[3]; a.cls += " field"; }
      tree.appendChild(el("div", a));
    });
    box.appendChild(el("h3", {text: t("report.tree")}));
    box.appendChild(tree);
    var bytes = bytesOf(d.B);
    var head = t("report.bytes", {n: d.N}) + (bytes.length < d.N ? " (" + t("report.bytes_cut", {shown: bytes.length, n: d.N}) + ")" : "");
    box.appendChild(el("h3", null, head, " ", el("span", {cls: "marked", id: "marked"})));
    var dump = el("div", {cls: "hexdump", id: "hexdump"});
    for (var at = 0; at < bytes.length; at += 16) {
      var line = el("div", {cls: "hl-row"}, el("span", {cls: "off", text: ("000" + at.toString(16)).slice(-4)}));
      var hx = el("span", {cls: "hex"}), as = el("span", {cls: "asc"});
      for (var i = at; i < Math.min(at + 16, bytes.length); i++) {
        hx.appendChild(el("span", {"data-b": String(i), text: hex2(bytes[i])}));
        if (i - at === 7) hx.appendChild(document.createTextNode(" "));
        as.appendChild(el("span", {"data-b": String(i), text: ascii(bytes[i])}));
      }
      line.appendChild(hx);
      line.appendChild(as);
      dump.appendChild(line);
    }
    box.appendChild(dump);
    d.M.forEach(function (m) { box.appendChild(masked(m, bytes)); });
    mark();
  }

  function mark() {
    var d = D.details[S.sel];
    if (!d) return;
    var spans = (S.field && d.F[S.field]) || [], on = {};
    spans.forEach(function (s) { for (var i = s[0]; i < s[1]; i++) on[i] = 1; });
    var bs = document.querySelectorAll("#hexdump [data-b]");
    for (var j = 0; j < bs.length; j++) bs[j].classList.toggle("hl", !!on[bs[j].getAttribute("data-b")]);
    var lns = document.querySelectorAll("#tree .ln");
    for (j = 0; j < lns.length; j++) lns[j].classList.toggle("on", !!S.field && lns[j].getAttribute("data-field") === S.field);
    var m = document.getElementById("marked");
    if (m) m.textContent = S.field ? t("report.marked", {field: S.field}) : "";
  }

  function masked(m, bytes) {
    var a = m[0], b = m[1], plain = bytesOf(m[3]);
    var box = el("div", {cls: "masked"}, el("h3", {text: t("report.mask.title")}),
                 el("p", {cls: "hint", text: t("report.mask.key", {key: m[2]})}));
    var grid = el("div", {cls: "maskgrid"});
    for (var at = 0; at < b - a; at += 16) {
      var w = el("span", {cls: "hex"}), p = el("span", {cls: "hex"}), wa = [], pa = [];
      for (var i = at; i < Math.min(at + 16, b - a); i++) {
        w.appendChild(el("span", {text: hex2(bytes[a + i]) + " "}));
        p.appendChild(el("span", {text: hex2(plain[i]) + " "}));
        wa.push(ascii(bytes[a + i]));
        pa.push(ascii(plain[i]));
      }
      grid.appendChild(el("div", {cls: "mrow wire"}, el("span", {cls: "what", text: t("report.mask.wire")}), w,
                          el("span", {cls: "asc", text: wa.join("")})));
      grid.appendChild(el("div", {cls: "mrow plain"}, el("span", {cls: "what", text: t("report.mask.plain")}), p,
                          el("span", {cls: "asc", text: pa.join("")})));
    }
    box.appendChild(grid);
    return box;
  }

  function phaseParagraph(r) {
    var best = null;
    for (var i = 0; i < D.explain.length; i++) {
      var e = D.explain[i];
      if (e.n > r.n) break;
      if (e.c === r.c && e.k.slice(0, 6) === "phase." && e.R === null) best = e;
      else if (e.c === r.c && e.k.slice(0, 6) === "phase.") best = firstOf(e);
    }
    return best;
  }
  function firstOf(e) {      // a paragraph said for an earlier connection first: that one's words
    for (var i = 0; i < D.explain.length; i++) {
      var f = D.explain[i];
      if (f.c === e.R && f.k === e.k && f.R === null) return f;
    }
    return e;
  }

  // -- the ladder of a connection ----------------------------------------------------------------------------
  var ROW_H = 26, BAND_H = 20, TOP = 44, W = 620, XC = 150, XS = 560;

  function ladder(c) {
    // y of each arrow; each phase (the flow view's four) opens with a band titled with its name
    var li = S.li, n = c.A.length, ys = [], bands = [], y = TOP;
    for (var i = 0; i < n; i++) {
      if (!bands.length || bands[bands.length - 1].ph !== c.A[i][3]) { bands.push({ph: c.A[i][3], y0: y}); y += BAND_H; }
      ys.push(y + 8);
      y += ROW_H;
    }
    var h = y + 10;
    var svg = sv("svg", {width: W, height: h, viewBox: "0 0 " + W + " " + h, role: "img"});
    svg.setAttribute("class", "ladder");
    var defs = sv("defs", {});
    var mk = sv("marker", {id: "head-" + c.id, viewBox: "0 0 10 10", refX: "10", refY: "5", markerWidth: "7",
                           markerHeight: "7", orient: "auto-start-reverse"});
    mk.appendChild(sv("path", {d: "M0,0 L10,5 L0,10 z", fill: "context-stroke"}));
    defs.appendChild(mk);
    svg.appendChild(defs);
    bands.forEach(function (b, k) {
      var y1 = k + 1 < bands.length ? bands[k + 1].y0 : y;
      svg.appendChild(sv("rect", {x: 0, y: b.y0, width: W, height: y1 - b.y0, "class": "band band" + b.ph}));
      var lab = sv("text", {x: 6, y: b.y0 + 14, "class": "phase-name"});
      lab.textContent = t("phase." + b.ph);
      svg.appendChild(lab);
    });
    [[XC, t("side.client"), c.client], [XS, t("side.server"), c.server]].forEach(function (s) {
      var a = sv("text", {x: s[0], y: 16, "text-anchor": "middle", "class": "end-name"});
      a.textContent = s[1];
      var b = sv("text", {x: s[0], y: 32, "text-anchor": "middle", "class": "end-addr"});
      b.textContent = s[2];
      svg.appendChild(a);
      svg.appendChild(b);
      svg.appendChild(sv("line", {x1: s[0], y1: TOP - 6, x2: s[0], y2: h - 6, "class": "lifeline"}));
    });
    c.A.forEach(function (a, k) {
      var y = ys[k], toS = a[1] === 1;
      var g = sv("g", {id: "arrow-" + a[0], "class": "arrow ph-" + a[4] + (a[0] === S.sel ? " sel" : ""),
                       "data-no": String(a[0]), tabindex: "0"});
      var x1 = toS ? XC : XS, x2 = toS ? XS : XC;
      g.appendChild(sv("rect", {x: XC - 110, y: y - 14, width: W - XC + 110, height: ROW_H, "class": "hit"}));
      g.appendChild(sv("line", {x1: x1, y1: y, x2: x2, y2: y + 8, "marker-end": "url(#head-" + c.id + ")"}));
      var no = sv("text", {x: XC - 12, y: y + 8, "text-anchor": "end", "class": "no"});
      no.textContent = "#" + a[0] + "  " + a[5].toFixed(3);
      var tx = sv("text", {x: (XC + XS) / 2, y: y - 1, "text-anchor": "middle", "class": "what"});
      tx.textContent = cut(a[2][li], 58);
      var tip = sv("title", {});
      tip.textContent = "#" + a[0] + ": " + a[2][li];
      g.appendChild(tip);
      g.appendChild(no);
      g.appendChild(tx);
      g.addEventListener("click", function () { pick(a[0]); });
      g.addEventListener("keydown", function (e) { if (e.key === "Enter") { e.stopPropagation(); pick(a[0]); } });
      svg.appendChild(g);
    });
    var paras = el("div", {cls: "explain", "data-conn": String(c.id)});
    D.explain.forEach(function (e) {
      if (e.c !== c.id) return;
      var k = -1;
      for (var j = 0; j < n; j++) if (c.A[j][0] >= e.n) { k = j; break; }
      var p = el("div", {cls: "para", "data-y": String(k < 0 ? -1 : ys[k] - 8 - (e.k.slice(0, 6) === "phase." ? BAND_H : 0))});
      if (e.R !== null) {
        p.appendChild(el("h4", {text: t("report.explain.seen", {first: e.R, title: e.T[li]})}));
      } else {
        p.appendChild(el("h4", {text: e.T[li]}));
        e.B[li].forEach(function (s) { p.appendChild(el("p", {text: s})); });
      }
      p.appendChild(el("a", {href: "#", cls: "at", text: t("report.explain.at", {no: e.n}),
                             onclick: function (ev) { ev.preventDefault(); pick(e.n); }}));
      paras.appendChild(p);
    });
    var wrap = el("div", {cls: "conn", id: "conn-" + c.id},
      el("h3", {text: t("report.flow.conn", {id: c.id, client: c.client, server: c.server})}),
      el("div", {cls: "pair"}, el("div", {cls: "svgbox"}, svg), paras));
    if (c.more) wrap.appendChild(el("p", {cls: "hint", text: t("report.flow.more", {n: c.more, cap: M.ladder_cap})}));
    return wrap;
  }

  function pick(no) {            // from the ladder: open the packet in the list and show its details
    select(no);
    var oneColumn = ui.details.offsetTop > ui.scroller.offsetTop + ui.scroller.offsetHeight;
    (oneColumn ? ui.details : document.getElementById("main")).scrollIntoView({block: "start"});
    ui.scroller.focus({preventScroll: true});     // the keys move in the list from there
  }

  // Each explanation is moved down beside the arrow it comes before, when there is room.
  function alignExplanations() {
    var cols = document.querySelectorAll(".explain");
    for (var i = 0; i < cols.length; i++) {
      var col = cols[i], bottom = 0, ps = col.querySelectorAll(".para");
      if (window.matchMedia && window.matchMedia("(max-width: 1100px)").matches) continue;
      for (var j = 0; j < ps.length; j++) {
        var want = +ps[j].getAttribute("data-y");
        ps[j].style.marginTop = (want > bottom ? want - bottom : 8) + "px";
        bottom = ps[j].offsetTop + ps[j].offsetHeight;
      }
    }
  }

  build();
})();
