// mixscout report: draws the page from the JSON block #mixscout-data (report::report_data in
// daemon/report/report.hpp) with uPlot. Embedded in every report by the build; runs offline.
//
// For tests and curious readers, window.mixscoutReport = {data, plots: {id: uPlot}, marks: {id:
// [seconds]}}: marks are the issue times drawn on each time plot, exactly the JSON's values.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("mixscout-data").textContent);
  var a = data.analysis;
  var root = document.getElementById("report");
  var api = { data: data, plots: {}, marks: {} };
  window.mixscoutReport = api;

  var SEV_COLOR = { critical: "#d7263d", important: "#f08a24", polish: "#2e86de" };
  var SILENT = -70;  // LUFS: below the absolute gate, drawn as a gap

  // ---- small DOM helpers -------------------------------------------------------------------
  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) {
      if (k === "text") e.textContent = attrs[k];
      else if (k === "class") e.className = attrs[k];
      else e.setAttribute(k, attrs[k]);
    }
    (children || []).forEach(function (c) { if (c) e.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return e;
  }
  function fmt(v, digits) { return (v === null || v === undefined || !isFinite(v)) ? "-" : Number(v).toFixed(digits === undefined ? 1 : digits); }
  function signed(v, digits) { var s = fmt(v, digits); return v > 0 ? "+" + s : s; }
  function mmss(t) {
    t = Math.max(0, Math.floor(t));
    var h = Math.floor(t / 3600), m = Math.floor((t % 3600) / 60), s = t % 60;
    var ss = (s < 10 ? "0" : "") + s;
    return h ? h + ":" + (m < 10 ? "0" : "") + m + ":" + ss : m + ":" + ss;
  }
  function hz(f) { return f >= 1000 ? (f / 1000).toFixed(f >= 10000 ? 0 : 1) + " kHz" : Math.round(f) + " Hz"; }
  function section(id, title, intro) {
    var s = el("section", { id: id }, [el("h2", { text: title })]);
    if (intro) s.appendChild(el("p", { class: "intro", text: intro }));
    root.appendChild(s);
    return s;
  }
  function gap(s, text) { s.appendChild(el("p", { class: "gap", text: text })); }
  function orNull(v, floor) { return v <= floor ? null : v; }

  // ---- plots -------------------------------------------------------------------------------
  function width(box) { return Math.max(320, box.clientWidth - 10); }  // inside the box's padding and border

  // A uPlot in a <div class="plot" id=id data-points=N>; marks: [{t, color, index}] drawn as
  // vertical lines (time plots), bands: [{x0, x1, y0, y1, color, label}] drawn as rectangles.
  function plot(parent, id, opts, series, columns, extra) {
    extra = extra || {};
    var box = el("div", { class: "plot", id: id });
    parent.appendChild(box);
    var points = 0;
    for (var i = 1; i < columns.length; i++) columns[i].forEach(function (v) { if (v !== null && v !== undefined) points++; });
    box.setAttribute("data-points", String(points));
    var marks = extra.marks || [];
    var rects = extra.rects || [];
    var o = {
      width: width(box), height: extra.height || 260, series: series, scales: opts.scales || { x: { time: false } },
      axes: opts.axes, legend: { live: true },
      cursor: { drag: { x: true, y: false } },
      hooks: {
        draw: [function (u) {
          var ctx = u.ctx;
          ctx.save();
          rects.forEach(function (r) {
            var x0 = u.valToPos(r.x0, "x", true), x1 = u.valToPos(r.x1, "x", true);
            var y0 = u.valToPos(r.y0, r.scale || "y", true), y1 = u.valToPos(r.y1, r.scale || "y", true);
            ctx.fillStyle = r.color;
            ctx.fillRect(Math.min(x0, x1), Math.min(y0, y1), Math.max(2, Math.abs(x1 - x0)), Math.abs(y1 - y0));
          });
          marks.forEach(function (m) {
            var x = Math.round(u.valToPos(m.t, "x", true));
            if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) return;
            ctx.strokeStyle = m.color;
            ctx.lineWidth = (m.highlight ? 4 : 1.5) * devicePixelRatio;
            ctx.beginPath();
            ctx.moveTo(x, u.bbox.top);
            ctx.lineTo(x, u.bbox.top + u.bbox.height);
            ctx.stroke();
          });
          ctx.restore();
        }]
      }
    };
    var u = new uPlot(o, columns, box);
    api.plots[id] = u;
    api.marks[id] = marks.map(function (m) { return m.t; });
    box.setAttribute("data-marks", JSON.stringify(api.marks[id]));
    u._marks = marks;
    return u;
  }
  // Ticks on whole seconds that read well as m:ss.
  var timeAxis = { label: "time (m:ss)", incrs: [1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600, 900, 1800, 3600],
    values: function (u, vals) { return vals.map(function (v) { return v === null ? "" : mmss(v); }); } };
  function seriesTimes(n) { var hzRate = a.loudness.short_term_series_hz || 10, x = new Array(n); for (var i = 0; i < n; i++) x[i] = (i + 1) / hzRate; return x; }
  function logFreqScale() { return { x: { time: false, distr: 3, log: 10 } }; }
  function freqLabel(v) { return v === null || v === undefined ? "" : v >= 1000 ? v / 1000 + "k" : String(v); }
  // A log axis: label only the 1-2-5 ticks, uPlot's minor ones stay unlabelled.
  var freqAxis = { label: "frequency (Hz)", values: function (u, vals) {
    return vals.map(function (v) { if (v === null) return ""; var m = v / Math.pow(10, Math.floor(Math.log10(v) + 1e-9)); return Math.abs(m - 1) < 1e-6 || Math.abs(m - 2) < 1e-6 || Math.abs(m - 5) < 1e-6 ? freqLabel(v) : ""; });
  } };

  // Every issue's moments (clipping events carry their own exact times).
  function issueMarks() {
    var marks = [];
    data.issues.forEach(function (i) {
      (i.times_s || []).forEach(function (t) { marks.push({ t: t, color: SEV_COLOR[i.severity], index: i.index, rule: i.rule }); });
    });
    return marks;
  }

  // ---- header and fixes --------------------------------------------------------------------
  function header() {
    var h = el("header");
    h.appendChild(el("h1", { text: data.title }));
    var sub = [];
    if (data.song) sub.push(data.song + (data.iteration ? ", iteration " + data.iteration : ""));
    sub.push("profile " + data.profile.name + (data.profile.premaster ? " (mix for mastering)" : ""));
    sub.push(a.format.sample_rate + " Hz, " + (a.format.channels === 1 ? "mono" : "stereo") + ", " + mmss(a.format.duration_s));
    h.appendChild(el("p", { class: "sub", text: sub.join(" \u00b7 ") }));
    // The summary starts with the verdict in words ("Significant improvement: ...").
    if (data.verdict) h.appendChild(el("p", { class: "verdict verdict-" + data.verdict, text: data.verdict_summary || data.verdict.replace(/_/g, " ") }));
    if (data.stop_reason) h.appendChild(el("p", { class: "stop", text: "Stop signal: " + data.stop_reason }));
    var figures = [
      ["integrated", fmt(a.loudness.integrated_lufs) + " LUFS"], ["LRA", fmt(a.loudness.lra_lu) + " LU"],
      ["true peak", signed(a.peak.true_peak_dbtp) + " dBTP"], ["PLR", fmt(a.dynamics.plr_db) + " dB"],
      ["PSR", fmt(a.dynamics.psr_db) + " dB"], ["correlation", fmt(a.stereo.correlation, 2)], ["width", fmt(a.stereo.width, 2)],
      ["tilt", signed(a.spectrum.tilt_db_per_octave) + " dB/oct"]
    ];
    var dl = el("dl", { class: "figures" });
    figures.forEach(function (f) { dl.appendChild(el("div", {}, [el("dt", { text: f[0] }), el("dd", { text: f[1] })])); });
    h.appendChild(dl);
    root.appendChild(h);

    var s = section("fixes", "Top fixes");
    if (!data.fixes.length) gap(s, "No issues for profile '" + data.profile.name + "'.");
    var ol = el("ol", { class: "fixes" });
    data.fixes.forEach(function (f) {
      var li = el("li", { class: "sev-" + f.severity }, [
        el("span", { class: "chip", text: f.severity }), " ",
        f.index !== null ? el("a", { href: "#issue-" + f.index, text: f.title }) : el("b", { text: f.title }),
        el("div", { class: "fix", text: f.fix })
      ]);
      ol.appendChild(li);
    });
    s.appendChild(ol);
  }

  // ---- 1 loudness over time ----------------------------------------------------------------
  function loudness() {
    var s = section("loudness", "Loudness over time",
      "Momentary (400 ms) and short-term (3 s) loudness and the true peak of every 100 ms, with the profile's target and ceiling; every issue's moment is a vertical line in its severity's colour.");
    var st = a.loudness.short_term_series || [], mo = a.loudness.momentary_series || [], tp = a.peak.true_peak_series || [];
    var n = Math.max(st.length, mo.length, tp.length);
    if (!n) { gap(s, "No loudness series in this analysis (stored before the series were kept)."); return; }
    var x = seriesTimes(n);
    var col = function (arr) { var out = new Array(n); for (var i = 0; i < n; i++) out[i] = i < arr.length ? orNull(arr[i], SILENT) : null; return out; };
    var target = x.map(function () { return data.profile.target_lufs; });
    var ceiling = x.map(function () { return data.profile.ceiling_dbtp; });
    plot(s, "plot-loudness", {
      axes: [timeAxis, { label: "LUFS / dBTP" }]
    }, [
      { label: "time", value: function (u, v) { return v === null ? "-" : mmss(v); } },
      { label: "momentary LUFS", stroke: "#9bb7d4", width: 1 },
      { label: "short-term LUFS", stroke: "#1b4f8a", width: 2 },
      { label: "true peak dBTP", stroke: "#c0392b", width: 1 },
      { label: "target " + fmt(data.profile.target_lufs) + " LUFS", stroke: "#27ae60", dash: [6, 4], width: 1.5 },
      { label: "ceiling " + fmt(data.profile.ceiling_dbtp) + " dBTP", stroke: "#8e44ad", dash: [2, 4], width: 1.5 }
    ], [x, col(mo), col(st), col(tp), target, ceiling], { marks: issueMarks(), height: 300 });
    var ev = a.clipping.events || [];
    if (ev.length) {
      var p = el("p", { class: "events" }, ["Clipping events: "]);
      ev.slice(0, 12).forEach(function (e, k) {
        p.appendChild(el("span", { class: "event", "data-time": String(e.time_s), text: (k ? ", " : "") + mmss(e.time_s) + (a.format.channels === 2 ? (e.channel ? " R" : " L") : "") + " " + signed(e.peak_dbtp) + " dBTP" }));
      });
      if (a.clipping.count > 12) p.appendChild(document.createTextNode(", ... (" + a.clipping.count + " in all)"));
      s.appendChild(p);
    }
    gap(s, "Bars: the tempo of an export is not known to mixscout, so times are in minutes:seconds only.");
  }

  // ---- 2 tonal balance ---------------------------------------------------------------------
  function tonal() {
    var s = section("tonal", "Tonal balance",
      "The mix's 1/3-octave spectrum (relative to its loudness, +4.8 dB so a third-octave reads on the octave scale) against the target curve '" +
      data.tonal_target.curve + "' the rules judged it by, placed at the mix's level, with the tolerance band; and each reference track.");
    // Which target, and why: the same words as the tonal issues' target_source.
    if (data.tonal_target.source) {
      s.appendChild(el("p", { class: "target-source", text: "Target: " + data.tonal_target.source +
        (data.tonal_target.why ? " (" + data.tonal_target.why + ")" : "") + "." }));
    }
    var third = a.spectrum.third_octave || [];
    if (!third.length) { gap(s, "No spectrum."); return; }
    var toOct = 10 * Math.log10(3);
    var tt = data.tonal_target;
    // One x column: the third-octave centres; the target (given at octave centres) is interpolated in log f.
    var x = third.map(function (b) { return Math.sqrt(b.lo_hz * b.hi_hz); });
    function interp(f, xs, ys) {
      if (!xs.length) return null;
      if (f <= xs[0]) return ys[0];
      if (f >= xs[xs.length - 1]) return ys[ys.length - 1];
      for (var k = 1; k < xs.length; k++) if (f <= xs[k]) {
        var t = Math.log2(f / xs[k - 1]) / Math.log2(xs[k] / xs[k - 1]);
        return ys[k - 1] + t * (ys[k] - ys[k - 1]);
      }
      return null;
    }
    var nyq = a.format.sample_rate / 2;
    var mix = third.map(function (b) { return b.hi_hz > nyq * 1.01 || b.db <= -119 ? null : b.db + toOct; });
    var target = x.map(function (f) { return interp(f, tt.centre_hz, tt.db); });
    // Each side's own allowance (a family's spread may be asymmetric); older data: the symmetric one.
    var below = x.map(function (f) { return interp(f, tt.centre_hz, tt.below_db || tt.tolerance_db); });
    var above = x.map(function (f) { return interp(f, tt.centre_hz, tt.above_db || tt.tolerance_db); });
    var lo = target.map(function (v, i) { return v === null || !below[i] ? null : v - below[i]; });
    var hi = target.map(function (v, i) { return v === null || !above[i] ? null : v + above[i]; });
    var series = [{ label: "Hz", value: function (u, v) { return v === null ? "-" : hz(v); } },
      { label: "mix", stroke: "#1b4f8a", width: 2.5, points: { show: true, size: 4 } },
      { label: "target", stroke: "#27ae60", width: 2 },
      { label: "tolerance -", stroke: "rgba(39,174,96,0.5)", dash: [4, 4], width: 1 },
      { label: "tolerance +", stroke: "rgba(39,174,96,0.5)", dash: [4, 4], width: 1 }];
    var columns = [x, mix, target, lo, hi];
    var palette = ["#e67e22", "#8e44ad", "#16a085", "#7f8c8d", "#c0392b"];
    data.references.forEach(function (r, k) {
      series.push({ label: "ref: " + r.name, stroke: palette[k % palette.length], width: 1.5, dash: [8, 3] });
      columns.push(r.third_octave.map(function (b) { return b.db <= -119 ? null : b.db + toOct; }));
    });
    plot(s, "plot-tonal", { scales: logFreqScale(), axes: [freqAxis, { label: "dB re. loudness" }] }, series, columns, { height: 320 });
    if (!data.references.length) gap(s, "No reference tracks for this song (mixscout reference add FILE): only the target curve is drawn.");
    var dev = el("table", { class: "deviations" }, [el("tr", {}, ["band", "mix", "target", "deviation", "tolerance"].map(function (h) { return el("th", { text: h }); }))]);
    (a.spectrum.bands || []).forEach(function (b, k) {
      var c = tt.centre_hz[k];
      if (c === undefined || b.db <= -119) return;
      var d = b.db - tt.db[k];
      var lo = (tt.below_db || tt.tolerance_db)[k], hi = (tt.above_db || tt.tolerance_db)[k];
      var out = (hi && d > hi) || (lo && d < -lo);
      var allowed = !lo && !hi ? "-" : lo === hi ? "\u00b1" + fmt(lo) : (lo ? "-" + fmt(lo) : "") + (lo && hi ? " / " : "") + (hi ? "+" + fmt(hi) : "");
      dev.appendChild(el("tr", { class: out ? "out" : "" }, [hz(c), fmt(b.db), fmt(tt.db[k]), signed(d), allowed].map(function (v) { return el("td", { text: v }); })));
    });
    s.appendChild(el("details", {}, [el("summary", { text: "Octave bands against the target" }), dev]));
  }

  // ---- 3 stereo ----------------------------------------------------------------------------
  function stereo() {
    var s = section("stereo", "Stereo", "Correlation (1 = mono, 0 = unrelated, below 0 = cancels in mono) per octave band and over time, and width (side/mid energy) over time, each over 3 s windows.");
    if (a.format.channels !== 2) { gap(s, "Mono file: no stereo image."); return; }
    var bc = a.stereo.band_correlation || [];
    plot(s, "plot-stereo-bands", { scales: logFreqScale(), axes: [freqAxis, { label: "correlation", scale: "y" }] }, [
      { label: "Hz", value: function (u, v) { return v === null ? "-" : hz(v); } },
      { label: "correlation per octave", stroke: "#1b4f8a", width: 2, points: { show: true, size: 6 } },
      { label: "0", stroke: "#aaa", dash: [3, 3], width: 1 }
    ], [bc.map(function (b) { return Math.sqrt(b.lo_hz * b.hi_hz); }), bc.map(function (b) { return b.correlation; }), bc.map(function () { return 0; })], { height: 200 });
    var cs = a.stereo.correlation_series || [], ws = a.stereo.width_series || [];
    if (!cs.length) { gap(s, "No stereo series in this analysis (stored before the series were kept)."); return; }
    var x = seriesTimes(cs.length);
    plot(s, "plot-stereo-time", {
      scales: { x: { time: false }, y: { range: [-1, 1] }, w: { range: function (u, mn, mx) { return [0, Math.max(1, mx)]; } } },
      axes: [timeAxis, { label: "correlation", scale: "y" }, { label: "width", scale: "w", side: 1, grid: { show: false } }]
    }, [
      { label: "time", value: function (u, v) { return v === null ? "-" : mmss(v); } },
      { label: "correlation", stroke: "#1b4f8a", width: 1.5, scale: "y" },
      { label: "width", stroke: "#e67e22", width: 1.5, scale: "w" }
    ], [x, cs.slice(), ws.slice()], { marks: issueMarks().filter(function (m) { return /^(phase|stereo)/.test(m.rule); }), height: 220 });
  }

  // ---- 4 dynamics --------------------------------------------------------------------------
  function dynamics() {
    var s = section("dynamics", "Dynamics", "Crest factor (peak - RMS) and PSR (true peak - short-term loudness) over 3 s windows; PLR and LRA for the whole song against the profile.");
    var p = data.profile;
    var t = el("table", { class: "dyn" }, [
      el("tr", {}, ["", "measured", "profile"].map(function (h) { return el("th", { text: h }); })),
      el("tr", {}, ["PLR", fmt(a.dynamics.plr_db) + " dB", "at least " + fmt(p.plr_min_db) + " dB"].map(function (v) { return el("td", { text: v }); })),
      el("tr", {}, ["PSR (max short-term)", fmt(a.dynamics.psr_db) + " dB", "at least " + fmt(p.psr_min_db) + " dB"].map(function (v) { return el("td", { text: v }); })),
      el("tr", {}, ["LRA", fmt(a.loudness.lra_lu) + " LU", "no rule judges LRA (EBU Tech 3342: information)"].map(function (v) { return el("td", { text: v }); })),
      el("tr", {}, ["crest", fmt(a.dynamics.crest_db) + " dB", "-"].map(function (v) { return el("td", { text: v }); }))
    ]);
    // Saturation (rules.dynamics.saturated_*): both measures crossed together; absent in analyses stored before them.
    if (a.dynamics.hop_crest_db !== undefined && p.saturated_share !== undefined) {
      t.appendChild(el("tr", {}, ["samples within 6 dB of the peak", fmt(100 * a.dynamics.half_peak_share) + " %",
        "saturated at " + fmt(100 * p.saturated_share) + " % or more, with:"].map(function (v) { return el("td", { text: v }); })));
      t.appendChild(el("tr", {}, ["crest per 100 ms", fmt(a.dynamics.hop_crest_db) + " dB",
        "... at most " + fmt(p.saturated_crest_db) + " dB (a limiter keeps it, saturation takes it)"].map(function (v) { return el("td", { text: v }); })));
    }
    s.appendChild(t);
    var cr = a.dynamics.crest_series || [], ps = a.dynamics.psr_series || [];
    if (!cr.length) { gap(s, "No dynamics series in this analysis (stored before the series were kept)."); return; }
    var n = Math.max(cr.length, ps.length), x = seriesTimes(n);
    plot(s, "plot-dynamics", { axes: [timeAxis, { label: "dB" }] }, [
      { label: "time", value: function (u, v) { return v === null ? "-" : mmss(v); } },
      { label: "crest dB", stroke: "#16a085", width: 1.5 },
      { label: "PSR dB", stroke: "#1b4f8a", width: 1.5 },
      { label: "PSR minimum " + fmt(p.psr_min_db) + " dB", stroke: "#d7263d", dash: [6, 4], width: 1 }
    ], [x, cr.slice(0, n), ps.slice(0, n).map(function (v) { return v === 0 ? null : v; }), x.map(function () { return p.psr_min_db; })],
      { marks: issueMarks().filter(function (m) { return /^dynamics/.test(m.rule); }), height: 220 });
  }

  // ---- 5 stem clashes ----------------------------------------------------------------------
  function clashes() {
    var s = section("stems", "Stem clashes", "Where two stems fight for the same frequencies at the same moments: each passage is a box from its start, over the clashing range.");
    var st = data.stems;
    if (!st) { gap(s, "No stems with this export (export Live's \"All Individual Tracks\" next to the mix, or mixscout report FILE --stems DIR)."); return; }
    var cl = st.clashes || [];
    if (!cl.length) { s.appendChild(el("p", { text: (st.stems || []).length + " stems, no clashes." })); return; }
    var rects = [], marks = [];
    var dur = a.format.duration_s || 1;
    cl.forEach(function (c) {
      var color = SEV_COLOR[c.severity] || "#999";
      (c.times_s || []).forEach(function (t) {
        rects.push({ x0: t, x1: Math.min(dur, t + Math.max(1, (c.overlap_s || 1) / Math.max(1, c.times_s.length))), y0: c.lo_hz, y1: c.hi_hz, color: color + "99" });
        marks.push({ t: t, color: color });
      });
    });
    // Two invisible points span the axes; the boxes are drawn by the draw hook.
    plot(s, "plot-clashes", {
      scales: { x: { time: false, range: [0, dur] }, y: { distr: 3, log: 10, range: [20, 20000] } },
      axes: [timeAxis, { label: "frequency (Hz)", values: freqAxis.values }]
    }, [{ label: "time" }, { label: "clash ranges", stroke: "rgba(0,0,0,0)", points: { show: false } }],
      [[0, dur], [20, 20000]], { rects: rects, marks: [], height: 240 });
    api.marks["plot-clashes"] = marks.map(function (m) { return m.t; });
    document.getElementById("plot-clashes").setAttribute("data-marks", JSON.stringify(api.marks["plot-clashes"]));
    document.getElementById("plot-clashes").setAttribute("data-points", String(rects.length));
    var t = el("table", { class: "clashes" }, [el("tr", {}, ["stems", "range", "severity", "when", "fight", "cut", "fix"].map(function (h) { return el("th", { text: h }); }))]);
    cl.forEach(function (c) {
      t.appendChild(el("tr", { class: "sev-" + c.severity }, [c.a + " / " + c.b, hz(c.lo_hz) + "-" + hz(c.hi_hz), c.severity,
        (c.times_s || []).map(mmss).join(", "), fmt(c.overlap_s) + " s", c.yield, c.fix].map(function (v) { return el("td", { text: v }); })));
    });
    s.appendChild(t);
  }

  // ---- 6 iterations ------------------------------------------------------------------------
  function iterations() {
    var s = section("history", "The song's iterations", "Issues by severity, loudness and PLR per export, with the verdict, your ears' vote and your notes: is it still getting better?");
    var h = data.history;
    if (!h.length) { gap(s, "Not in the history (analysed with --no-history, or the history is unavailable)."); return; }
    var x = h.map(function (r) { return r.iteration; });
    plot(s, "plot-history", {
      scales: { x: { time: false }, n: { range: function (u, mn, mx) { return [0, Math.max(3, mx + 1)]; } }, db: {} },
      axes: [{ label: "iteration", values: function (u, v) { return v.map(function (k) { return Number.isInteger(k) ? "#" + k : ""; }); } },
        { label: "issues", scale: "n" }, { label: "LUFS / dB", scale: "db", side: 1, grid: { show: false } }]
    }, [
      { label: "iteration" },
      { label: "critical", stroke: SEV_COLOR.critical, width: 2, scale: "n", points: { show: true, size: 7 } },
      { label: "important", stroke: SEV_COLOR.important, width: 2, scale: "n", points: { show: true, size: 7 } },
      { label: "polish", stroke: SEV_COLOR.polish, width: 2, scale: "n", points: { show: true, size: 7 } },
      { label: "integrated LUFS", stroke: "#555", width: 1.5, dash: [6, 3], scale: "db", points: { show: true } },
      { label: "PLR dB", stroke: "#16a085", width: 1.5, dash: [2, 3], scale: "db", points: { show: true } }
    ], [x, h.map(function (r) { return r.critical; }), h.map(function (r) { return r.important; }), h.map(function (r) { return r.polish; }),
      h.map(function (r) { return r.integrated_lufs; }), h.map(function (r) { return r.plr_db; })], { height: 220 });
    var t = el("table", { class: "history" }, [el("tr", {}, ["#", "date", "verdict", "ears", "C/I/P", "LUFS", "PLR", "notes"].map(function (c) { return el("th", { text: c }); }))]);
    h.forEach(function (r) {
      t.appendChild(el("tr", { class: r.current ? "current" : "" }, ["#" + r.iteration + (r.kind === "live_take" ? " (live)" : ""), r.created_at.replace("T", " ").replace("Z", ""),
        (r.verdict || "").replace(/_/g, " "), r.ears || "", r.critical + "/" + r.important + "/" + r.polish, fmt(r.integrated_lufs), fmt(r.plr_db), r.notes.join("; ")].map(function (v) { return el("td", { text: v }); })));
    });
    s.appendChild(t);
  }

  // ---- 7 mastering -------------------------------------------------------------------------
  // The shape of `mixscout master --json` (master::to_json): loudness{}, peak{}, eq{bands[]},
  // limiter{series_db, series_hz} (gain reduction over time), before/after/reference
  // .third_octave_db at third_octave_hz (spectra); reports from before those keys lack those plots.
  function mastering() {
    var s = section("master", "Mastering", "From `mixscout master --json`: loudness and true peak before and after, the matching EQ, the spectra before and after against the reference, the limiter's gain reduction over time.");
    var m = data.master;
    if (!m) { gap(s, "No master for this export (mixscout report FILE --master REPORT.json, with what `mixscout master ... --json` printed)."); return; }
    var l = m.loudness || {}, pk = m.peak || {};
    var rows = [["", "loudness", "peak"],
      ["mix", fmt(l.mix_lufs) + " LUFS", signed(pk.mix_sample_peak_dbfs) + " dBFS sample peak"],
      ["master", fmt(l.output_lufs) + " LUFS", signed(pk.output_true_peak_dbtp) + " dBTP"],
      ["target", fmt(l.target_lufs) + " LUFS", "ceiling " + signed(pk.ceiling_dbtp) + " dBTP"]];
    s.appendChild(el("table", {}, rows.map(function (r) { return el("tr", {}, r.map(function (v) { return el("td", { text: v }); })); })));
    var lim = m.limiter;
    if (lim) s.appendChild(el("p", { text: "Limiter: max " + fmt(lim.max_gain_reduction_db) + " dB gain reduction, mean " + fmt(lim.mean_gain_reduction_db) + " dB, limiting " + fmt(lim.limiting_percent) + " % of the time." }));
    var eq = (m.eq && m.eq.bands) || [];
    if (eq.length) {
      plot(s, "plot-master-eq", { scales: logFreqScale(), axes: [freqAxis, { label: "EQ dB" }] }, [
        { label: "Hz", value: function (u, v) { return v === null ? "-" : hz(v); } },
        { label: "EQ mid dB", stroke: "#1b4f8a", width: 2, points: { show: true } },
        { label: "EQ side dB", stroke: "#e67e22", width: 2, points: { show: true } }
      ], [eq.map(function (b) { return Math.sqrt(b.lo_hz * b.hi_hz); }), eq.map(function (b) { return b.mid_db; }), eq.map(function (b) { return b.side_db; })], { height: 200 });
    }
    var fq = m.third_octave_hz, before = m.before && m.before.third_octave_db, after = m.after && m.after.third_octave_db;
    if (fq && before && after) {
      var clean = function (arr) { return arr.map(function (v) { return v <= -119 ? null : v; }); };
      var specSeries = [{ label: "Hz", value: function (u, v) { return v === null ? "-" : hz(v); } },
        { label: "before (mix)", stroke: "#7f8c8d", width: 2 }, { label: "after (master)", stroke: "#1b4f8a", width: 2 }];
      var specCols = [fq.slice(), clean(before), clean(after)];
      var ref = m.reference && m.reference.third_octave_db;
      if (ref) { specSeries.push({ label: "reference", stroke: "#e67e22", width: 1.5, dash: [8, 3] }); specCols.push(clean(ref)); }
      plot(s, "plot-master-spectra", { scales: logFreqScale(), axes: [freqAxis, { label: "dB re. loudness" }] }, specSeries, specCols, { height: 220 });
    } else {
      gap(s, "Before/after spectra: not in this master report.");
    }
    var gr = lim && lim.series_db;
    if (gr && gr.length) {
      var rate = lim.series_hz || 10;
      plot(s, "plot-master-gr", { axes: [timeAxis, { label: "gain reduction dB" }] }, [{ label: "time", value: function (u, v) { return v === null ? "-" : mmss(v); } }, { label: "gain reduction dB", stroke: "#c0392b", width: 1.5 }],
        [gr.map(function (v, i) { return i / rate; }), gr.slice()], { height: 180 });
    } else {
      gap(s, "Gain reduction over time: not in this master report.");
    }
  }

  // ---- all issues --------------------------------------------------------------------------
  function allIssues() {
    var s = section("issues", "All issues", "Ranked: severity, then how far past its threshold. 'show' highlights the issue's moments on the plots.");
    if (!data.issues.length) { gap(s, "None."); return; }
    var plotFor = { clipping: "plot-loudness", peak: "plot-loudness", loudness: "plot-loudness", dynamics: "plot-dynamics", tonal: "plot-tonal", stereo: "plot-stereo-bands", phase: "plot-stereo-bands", clash: "plot-clashes", reference: "plot-tonal", format: "plot-loudness" };
    var ol = el("ol", { class: "issues" });
    data.issues.forEach(function (i) {
      var target = (i.times_s && i.times_s.length && i.category !== "clash") ? "plot-loudness" : (plotFor[i.category] || "plot-loudness");
      var link = el("a", { href: "#" + target, class: "show", "data-issue": String(i.index), text: "show" });
      link.addEventListener("click", function () { highlight(i.index); });
      var li = el("li", { id: "issue-" + i.index, class: "sev-" + i.severity }, [
        el("span", { class: "chip", text: i.severity }), " ", el("b", { text: i.title }), " ", link,
        el("div", { class: "detail", text: i.detail }), el("div", { class: "fix", text: i.fix }),
        i.times_s && i.times_s.length ? el("div", { class: "times", "data-times": JSON.stringify(i.times_s), text: "at " + i.times_s.map(mmss).join(", ") }) : null
      ]);
      ol.appendChild(li);
    });
    s.appendChild(ol);
  }

  function highlight(index) {
    Object.keys(api.plots).forEach(function (id) {
      var u = api.plots[id];
      (u._marks || []).forEach(function (m) { m.highlight = m.index === index; });
      u.redraw(false);
    });
  }

  function footer() {
    root.appendChild(el("footer", {}, [el("p", { text: "mixscout report" + (data.generated_at ? ", " + data.generated_at : "") + ". " +
      a.path + ". Plots: uPlot (MIT licence, in this file). The numbers are the ones `mixscout analyze --json` prints, embedded in this page." })]));
  }

  header();
  loudness();
  tonal();
  stereo();
  dynamics();
  clashes();
  iterations();
  mastering();
  allIssues();
  footer();
  document.body.setAttribute("data-ready", "1");
})();
