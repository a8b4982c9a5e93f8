// Every text the script sends fits the box that shows it, measured with a real font's glyph
// widths: DejaVu Sans (Debian's fonts-dejavu-core), read from its TrueType tables here. Live's
// font, Ableton Sans, is not available off a Mac/Windows Live install; DejaVu Sans is a wide
// humanist sans (about 10 % wider than Arial), so a text that fits in DejaVu Sans fits in the
// narrower Ableton Sans. Box model of a Max comment: 3 px inset each side, lines of 1.2 x the
// font size, words wrapped at spaces; a live.text label: one line, 4 px inset each side.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("fs");
const { loadDevice, PROTOCOL } = require("./helpers");

const FONT_FILE = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
const FONT_BOLD_FILE = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf";

// Advance widths (in em) of the printable ASCII characters, from the font's cmap and hmtx tables.
function asciiWidths(file) {
  const buf = fs.readFileSync(file);
  const tables = {};
  const numTables = buf.readUInt16BE(4);
  for (let i = 0; i < numTables; i++) {
    const rec = 12 + i * 16;
    tables[buf.toString("ascii", rec, rec + 4)] = buf.readUInt32BE(rec + 8);
  }
  const unitsPerEm = buf.readUInt16BE(tables.head + 18);
  const numberOfHMetrics = buf.readUInt16BE(tables.hhea + 34);
  const advance = (glyph) => buf.readUInt16BE(tables.hmtx + 4 * Math.min(glyph, numberOfHMetrics - 1));
  // cmap: the Windows Unicode BMP subtable (platform 3, encoding 1), format 4.
  const cmap = tables.cmap;
  let sub = -1;
  for (let i = 0; i < buf.readUInt16BE(cmap + 2); i++) {
    const r = cmap + 4 + i * 8;
    if (buf.readUInt16BE(r) === 3 && buf.readUInt16BE(r + 2) === 1) sub = cmap + buf.readUInt32BE(r + 4);
  }
  if (sub < 0 || buf.readUInt16BE(sub) !== 4) throw new Error(`${file}: no format-4 Unicode cmap`);
  const segX2 = buf.readUInt16BE(sub + 6);
  const ends = sub + 14, starts = ends + segX2 + 2, deltas = starts + segX2, ranges = deltas + segX2;
  const glyphOf = (c) => {
    for (let s = 0; s < segX2 / 2; s++) {
      const end = buf.readUInt16BE(ends + 2 * s), start = buf.readUInt16BE(starts + 2 * s);
      if (c > end) continue;
      if (c < start) return 0;
      const delta = buf.readInt16BE(deltas + 2 * s), rangeOffset = buf.readUInt16BE(ranges + 2 * s);
      if (rangeOffset === 0) return (c + delta) & 0xffff;
      const g = buf.readUInt16BE(ranges + 2 * s + rangeOffset + 2 * (c - start));
      return g === 0 ? 0 : (g + delta) & 0xffff;
    }
    return 0;
  };
  const widths = {};
  for (let c = 32; c < 127; c++) widths[String.fromCharCode(c)] = advance(glyphOf(c)) / unitsPerEm;
  return widths;
}

const REGULAR = asciiWidths(FONT_FILE);
const BOLD = asciiWidths(FONT_BOLD_FILE);

function textWidth(text, fontsize, bold) {
  const w = bold ? BOLD : REGULAR;
  let sum = 0;
  for (const ch of text) sum += (w[ch] === undefined ? w["?"] : w[ch]) * fontsize;
  return sum;
}

// Lines a comment needs for `text` in a box `width` px wide (greedy word wrap; a word longer than
// a line is broken).
function linesNeeded(text, width, fontsize, bold) {
  let lines = 0;
  for (const para of String(text).split("\n")) {
    let line = "";
    lines++;
    for (const word of para.split(" ")) {
      const candidate = line ? line + " " + word : word;
      if (textWidth(candidate, fontsize, bold) <= width) { line = candidate; continue; }
      if (line) { lines++; line = ""; }
      let rest = word;
      while (textWidth(rest, fontsize, bold) > width) {
        let n = rest.length;
        while (n > 1 && textWidth(rest.slice(0, n), fontsize, bold) > width) n--;
        rest = rest.slice(n);
        lines++;
      }
      line = rest;
    }
  }
  return lines;
}

function fits(box, text) {
  const [, , w, h] = box.presentation_rect;
  const fs = box.fontsize;
  if (box.maxclass === "live.text") return textWidth(text, fs, false) <= w - 8;
  const lines = Math.max(1, Math.floor(h / (1.2 * fs)));
  return linesNeeded(text, w - 6, fs, box.fontface === 1) <= lines;
}

test("the font tables read back published DejaVu Sans metrics", () => {
  // DejaVu Sans: unitsPerEm 2048; advance of "0".."9" 1303 units, space 651, "W" 2025, "i" 569.
  assert.equal(Math.round(REGULAR["0"] * 2048), 1303);
  assert.equal(Math.round(REGULAR[" "] * 2048), 651);
  assert.equal(Math.round(REGULAR.W * 2048), 2025);
  assert.equal(Math.round(REGULAR.i * 2048), 569);
  assert.ok(BOLD.a > REGULAR.a);
});

// Realistic worst cases: long texts in the daemon's own words (numbers, units, capitals), longer
// than any box, for every message that puts text on the panel. The longest texts the protocol
// allows (max_string_bytes) are used; the script must clip them to what each box shows.
const WORDS = "Clipping at 0:45, 1:23 and 2:10: Utility on the master -3 dB, then re-export. " +
  "Kick and Bass clash at 60-120 Hz: EQ Eight on the bass, -3 dB bell at 80 Hz, Q 1.4. ";
const long = (prefix) => (prefix + WORDS.repeat(4)).slice(0, PROTOCOL.defaults.max_string_bytes);

test("no text the script sends is longer than its box shows", () => {
  const d = loadDevice({ live: { tempo: 97.5, numerator: 7, denominator: 8 } });
  d.send("loadbang");
  d.send("ui_start");
  const S = long("");
  d.osc("/mixscout/export", "/Users/someone/Music/Exports/" + S, long("My Very Long Song Title "), 1234);
  for (const r of [1, 2, 3]) {
    d.osc("/mixscout/fix", r, "critical", long("Clipping "), S);
    d.osc("/mixscout/fix_times", r, Array.from({ length: 12 }, (_, i) => (5000 + 61.7 * i).toFixed(1)).join(","));
  }
  d.send("ui_start_bar", 9999);
  for (const r of [1, 2, 3]) for (let i = 0; i < 11; i++) d.send("ui_locate", r);
  d.osc("/mixscout/verdict", "significant_improvement", S);
  d.osc("/mixscout/stop", S);
  d.osc("/mixscout/status", "monitoring", S);
  d.osc("/mixscout/live_issue", "critical", long("Phase "), S);
  d.osc("/mixscout/master_progress", 100, S);
  d.send("ui_ears", "better");
  d.osc("/mixscout/ears_logged", 1234567, "better");
  d.osc("/mixscout/history_item", 1234, 1234567, "2026-11-22T02:40:52Z", "significant_improvement", "12/34/56", S, "better");
  d.osc("/mixscout/history_end", "Song", 1);
  d.osc("/mixscout/meter", -70, -70, -70, -1);
  d.osc("/mixscout/meter", -10.05, -10.05, -10.05, -0.99);
  d.send("ui_note", "text", "x");
  d.send("ui_reference", "/Refs/" + S.slice(0, 150));
  d.osc("/mixscout/reference_added", "/Refs/" + S.slice(0, 150), "Song");
  d.osc("/mixscout/master_done", "/" + S.slice(0, 100), S);
  d.osc("/mixscout/error", S);
  d.osc("/mixscout/note_logged", 1234567);
  assert.deepEqual(d.errors, []);
  const boxes = d.patcher.boxes.map((b) => b.box);
  let checked = 0;
  for (const o of Object.values(d.panel)) {
    if (o.maxclass !== "comment" && o.maxclass !== "live.text") continue;
    const box = boxes.find((b) => b.varname === o.varname);
    for (const atoms of o.received) {
      const text = atoms.slice(1).join(" ");
      if ((o.maxclass === "comment" && atoms[0] !== "set") || (o.maxclass === "live.text" && atoms[0] !== "text")) continue;
      checked++;
      assert.ok(fits(box, text), `${o.varname} (${box.presentation_rect[2]}x${box.presentation_rect[3]} at ${box.fontsize} pt) cannot show "${text}"`);
    }
  }
  assert.ok(checked > 60, `${checked} texts checked`);
});

// The limits are not needlessly small either: 15 % more of the same text would not fit (the
// margin below the exact fit leaves room for texts with wider words than the sample).
test("each limit is close to what its box shows", () => {
  const d = loadDevice();
  const L = d.ctx.LIMITS;
  const boxes = d.patcher.boxes.map((b) => b.box);
  const pairs = [["song", "song"], ["title", "fix1_title"], ["fix", "fix1_text"], ["verdict", "verdict"], ["stop", "stop"],
    ["status", "status"], ["issue", "live_issue"], ["master", "master"], ["history_detail", "history_detail"], ["ears", "ears_status"]];
  for (const [limit, varname] of pairs) {
    const box = boxes.find((b) => b.varname === varname);
    const text = (n) => WORDS.repeat(4).slice(0, n - 3) + "...";
    assert.ok(fits(box, text(L[limit])), `${limit}: ${L[limit]} chars fit ${varname}`);
    const more = Math.ceil(L[limit] * 1.15) + 1;
    assert.ok(!fits(box, text(more)), `${limit}: ${more} chars would still fit ${varname}: raise the limit`);
  }
});
