"""The HTML report's page parts: its Content-Security-Policy, style sheet, static body and script."""

from __future__ import annotations

# Nothing may be fetched: no scripts, styles, images, fonts or connections from anywhere.
CSP = ("default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
       "img-src data:; base-uri 'none'; form-action 'none'")

CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d2430;background:#fff}
header{background:#1d2430;color:#fff;padding:10px 20px;display:flex;gap:12px;align-items:baseline}
header h1{margin:0;font-size:20px}main{padding:0 20px 40px}
h2{margin-top:28px;border-bottom:1px solid #d8dde5;padding-bottom:4px}
.cards{display:flex;gap:10px;flex-wrap:wrap}.card{padding:8px 14px;border-radius:6px;min-width:80px;color:#fff}
.card b{display:block;font-size:22px}.sev-critical{background:#7b1fa2}.sev-high{background:#c62828}
.sev-medium{background:#ef6c00}.sev-low{background:#1565c0}.sev-info{background:#607d8b}
.incomplete{background:#fff3cd;border:1px solid #c62828;padding:8px 12px;font-weight:600}
table{border-collapse:collapse;width:100%;margin-top:8px}th,td{border-bottom:1px solid #e3e7ee;padding:4px 6px;
text-align:left;vertical-align:top}th{background:#f3f5f8;position:sticky;top:0}
table.frameworks{width:auto}td.loc,td.res{font-family:ui-monospace,monospace;font-size:12px;word-break:break-all}
.pill{display:inline-block;padding:0 6px;border-radius:9px;color:#fff;font-size:12px}
tr.suppressed td{color:#8a94a6}.filters{display:flex;gap:10px;align-items:center;flex-wrap:wrap;margin:8px 0}
.filters input[type=search]{width:320px;padding:4px}details{margin:6px 0}summary{cursor:pointer}
svg.path{display:block;margin:6px 0;max-width:100%}svg.path rect{fill:#f3f5f8;stroke:#1d2430}
svg.path rect.start{fill:#fde0dc;stroke:#c62828}svg.path rect.end{stroke:#c62828;stroke-width:2}
svg.path text{font:12px ui-monospace,monospace}svg.path text.edge{fill:#5b6472;font-size:11px}
svg.path line{stroke:#1d2430;marker-end:url(#arrow)}
"""

BODY = """
<section id="findings-section"><h2>Findings</h2>
<div class="filters"><input type="search" id="filter" placeholder="filter: policy, resource, file, message"
 aria-label="filter findings"><select id="severity" aria-label="minimum severity">
<option value="">every severity</option><option value="critical">critical</option>
<option value="high">high and above</option><option value="medium">medium and above</option>
<option value="low">low and above</option></select>
<label><input type="checkbox" id="suppressed"> show suppressed</label><span id="count"></span></div>
<noscript><p>The findings table needs JavaScript; the JSON report holds the same findings.</p></noscript>
<table id="findings"><thead><tr><th>severity</th><th>policy</th><th>resource</th><th>location</th>
<th>message</th></tr></thead><tbody></tbody></table></section>
<section id="paths-section"><h2>Attack paths</h2><div id="paths"></div></section>
<section id="fixes-section"><h2>How to fix</h2><div id="fixes"></div></section>
<section id="diagnostics-section"><h2>Diagnostics</h2><table id="diagnostics"><thead><tr><th>level</th>
<th>code</th><th>where</th><th>message</th></tr></thead><tbody></tbody></table></section>
"""

SCRIPT = r"""
"use strict";
var errors = [];
window.addEventListener("error", function (e) { errors.push(String(e.message)); document.body.dataset.errors = errors.join("\n"); });
(function () {
  var D = JSON.parse(document.getElementById("data").textContent);
  var RANK = {critical: 4, high: 3, medium: 2, low: 1, info: 0};
  var SVGNS = "http://www.w3.org/2000/svg";
  function el(tag, text, cls) { var e = document.createElement(tag); if (text != null) e.textContent = String(text); if (cls) e.className = cls; return e; }
  function pill(sev) { return el("span", sev, "pill sev-" + sev); }
  var tbody = document.querySelector("#findings tbody");
  var rows = [];
  var frag = document.createDocumentFragment();
  D.findings.forEach(function (f) {
    var tr = document.createElement("tr");
    var sev = el("td"); sev.appendChild(pill(f[0])); tr.appendChild(sev);
    tr.appendChild(el("td", f[1])); tr.appendChild(el("td", f[2], "res"));
    tr.appendChild(el("td", f[3] + ":" + f[4], "loc"));
    var msg = el("td", f[5]);
    if (f[6] >= 0) { var a = el("a", " (path " + (f[6] + 1) + ")"); a.href = "#path-" + f[6]; msg.appendChild(a); }
    if (f[7] !== null) { msg.appendChild(el("div", "suppressed: " + f[7])); tr.className = "suppressed"; }
    tr.appendChild(msg);
    rows.push({tr: tr, text: (f.slice(0, 6).join(" ")).toLowerCase(), rank: RANK[f[0]], suppressed: f[7] !== null});
    frag.appendChild(tr);
  });
  tbody.appendChild(frag);
  var input = document.getElementById("filter"), select = document.getElementById("severity"), box = document.getElementById("suppressed");
  function apply() {
    var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    var min = select.value ? RANK[select.value] : -1, shown = 0;
    rows.forEach(function (r) {
      var ok = r.rank >= min && (box.checked || !r.suppressed) && words.every(function (w) { return r.text.indexOf(w) >= 0; });
      r.tr.style.display = ok ? "" : "none"; if (ok) shown++;
    });
    document.getElementById("count").textContent = shown + " of " + rows.length + " shown";
    return shown;
  }
  input.addEventListener("input", apply); select.addEventListener("change", apply); box.addEventListener("change", apply);
  apply();
  function draw(steps) {
    var w = 250, h = 46, gap = 70, svg = document.createElementNS(SVGNS, "svg");
    svg.setAttribute("class", "path"); svg.setAttribute("width", steps.length * (w + gap)); svg.setAttribute("height", h + 34);
    var defs = document.createElementNS(SVGNS, "defs"), marker = document.createElementNS(SVGNS, "marker");
    marker.setAttribute("id", "arrow"); marker.setAttribute("markerWidth", "8"); marker.setAttribute("markerHeight", "8");
    marker.setAttribute("refX", "8"); marker.setAttribute("refY", "4"); marker.setAttribute("orient", "auto");
    var tip = document.createElementNS(SVGNS, "path"); tip.setAttribute("d", "M0,0 L8,4 L0,8 z"); marker.appendChild(tip);
    defs.appendChild(marker); svg.appendChild(defs);
    steps.forEach(function (s, i) {
      var x = i * (w + gap), r = document.createElementNS(SVGNS, "rect");
      r.setAttribute("x", x + 1); r.setAttribute("y", 14); r.setAttribute("width", w); r.setAttribute("height", h); r.setAttribute("rx", 6);
      if (i === 0) r.setAttribute("class", "start"); else if (i === steps.length - 1) r.setAttribute("class", "end");
      svg.appendChild(r);
      var t = document.createElementNS(SVGNS, "text"); t.setAttribute("x", x + 8); t.setAttribute("y", 34);
      t.textContent = s[0].length > 34 ? s[0].slice(0, 33) + "…" : s[0]; svg.appendChild(t);
      var title = document.createElementNS(SVGNS, "title"); title.textContent = s[0] + (s[2] ? " (" + s[2] + ")" : ""); r.appendChild(title);
      if (s[2]) { var l = document.createElementNS(SVGNS, "text"); l.setAttribute("x", x + 8); l.setAttribute("y", 52); l.setAttribute("class", "edge"); l.textContent = s[2].length > 36 ? "…" + s[2].slice(-35) : s[2]; svg.appendChild(l); }
      if (i > 0) {
        var ln = document.createElementNS(SVGNS, "line"); ln.setAttribute("x1", x - gap + 1); ln.setAttribute("y1", 37); ln.setAttribute("x2", x); ln.setAttribute("y2", 37); svg.appendChild(ln);
        var et = document.createElementNS(SVGNS, "text"); et.setAttribute("x", x - gap + 2); et.setAttribute("y", 30); et.setAttribute("class", "edge");
        et.textContent = s[1].length > 11 ? s[1].slice(0, 10) + "…" : s[1]; svg.appendChild(et);
        var et2 = document.createElementNS(SVGNS, "title"); et2.textContent = s[1]; et.appendChild(et2);
      }
    });
    return svg;
  }
  var users = D.paths.map(function () { return []; });
  D.findings.forEach(function (f) { if (f[6] >= 0) users[f[6]].push(f[1] + " " + f[2]); });
  var paths = document.getElementById("paths");
  if (!D.paths.length) paths.appendChild(el("p", "No finding has an attack path."));
  D.paths.forEach(function (steps, i) {
    var d = el("details"); d.id = "path-" + i; d.open = i < 50;
    d.appendChild(el("summary", "path " + (i + 1) + ": " + steps.map(function (s) { return s[0]; }).join(" → ") + " (" + users[i].length + " finding" + (users[i].length === 1 ? "" : "s") + ")"));
    var drawn = false;
    function show() { if (!drawn && d.open) { drawn = true; d.appendChild(draw(steps)); d.appendChild(el("div", "findings: " + users[i].slice(0, 20).join("; ") + (users[i].length > 20 ? "; …" : ""))); } }
    d.addEventListener("toggle", show); show();
    paths.appendChild(d);
  });
  var fixes = document.getElementById("fixes");
  Object.keys(D.policies).sort().forEach(function (id) {
    var p = D.policies[id], box = el("div"); box.id = "fix-" + id;
    box.appendChild(el("h3", id + " " + p.title));
    box.appendChild(el("p", p.remediation || "")); box.appendChild(el("p", "More: " + p.more));
    var fw = Object.keys(p.frameworks).map(function (k) { return k + " " + p.frameworks[k].join(", "); });
    if (fw.length) box.appendChild(el("p", "Frameworks: " + fw.join("; ")));
    fixes.appendChild(box);
  });
  var dbody = document.querySelector("#diagnostics tbody");
  D.diagnostics.forEach(function (d) {
    var tr = document.createElement("tr");
    [d[0], d[1], d[2] + (d[3] ? ":" + d[3] : ""), d[4]].forEach(function (c) { tr.appendChild(el("td", c)); });
    dbody.appendChild(tr);
  });
  if (location.hash === "#selftest") {
    var total = rows.length, first = D.findings.length ? D.findings[0][1] : "";
    input.value = first; input.dispatchEvent(new Event("input"));
    var visible = [];
    rows.forEach(function (r, i) { if (r.tr.style.display !== "none") visible.push(D.findings[i][1] + " " + D.findings[i][2]); });
    select.value = "critical"; select.dispatchEvent(new Event("change"));
    var critical = rows.filter(function (r) { return r.tr.style.display !== "none"; }).length;
    document.body.dataset.selftest = JSON.stringify({total: total, query: first, visible: visible, critical: critical,
      svgs: document.querySelectorAll("svg.path").length});
  }
})();
"""
