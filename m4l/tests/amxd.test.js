// MixScout.amxd read back: chunk layout, the frozen container, the patcher inside, and that the
// committed files are exactly what m4l/build.js makes from the sources.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("fs");
const path = require("path");
const vm = require("vm");
const { AMXD_PATH, SCRIPT_PATH, PROTOCOL, M4L, readAmxd, loadBuiltDevice } = require("./helpers");
const build = require("../build.js");

const LIVE_DEVICE_HEIGHT = 169;

test("the committed device, script and preview are what the build makes from the sources", () => {
  const stale = Object.entries(build.outputs())
    .filter(([file, data]) => !fs.existsSync(file) || !fs.readFileSync(file).equals(data))
    .map(([file]) => path.relative(M4L, file));
  assert.deepEqual(stale, [], "run: node m4l/build.js");
});

test("the build is deterministic", () => {
  const a = build.outputs();
  const b = build.outputs();
  for (const k of Object.keys(a)) assert.ok(a[k].equals(b[k]), k);
});

test("chunk layout: ampf (audio effect), meta, ptch filling the rest of the file", () => {
  const buf = fs.readFileSync(AMXD_PATH);
  const amxd = readAmxd(buf);
  assert.deepEqual(amxd.chunks.map((c) => [c.tag, c.offset, c.size]),
    [["ampf", 0, 4], ["meta", 12, 4], ["ptch", 24, buf.length - 32]]);
  assert.equal(amxd.type, "aaaa");
  assert.equal(amxd.meta, 7);
});

test("the frozen container holds the patcher (main, JSON) and the script (TEXT), back to back", () => {
  const { amxd } = loadBuiltDevice();
  assert.deepEqual(amxd.files.map((f) => [f.name, f.type, f.flag]),
    [["MixScout.amxd", "JSON", 0x11], ["mixscout.js", "TEXT", 0]]);
  assert.equal(amxd.files[0].offset, 16);
  assert.equal(amxd.files[1].offset, 16 + amxd.files[0].size);
  assert.equal(amxd.dirOffset, amxd.files[1].offset + amxd.files[1].size);
  assert.ok(amxd.files.every((f) => f.fnamPadded && f.vers === 0));
  // mdat counts seconds from 1904-01-01: a date in this century.
  const date = new Date((amxd.files[0].mdat - 2082844800) * 1000);
  assert.ok(date.getUTCFullYear() >= 2020 && date.getUTCFullYear() < 2100, date.toISOString());
  const main = amxd.files[0].data;
  assert.equal(main.subarray(-2).toString("binary"), "\n\0");
  assert.doesNotThrow(() => JSON.parse(main.subarray(0, -2).toString("utf8")));
  assert.equal(amxd.files[1].data.toString("utf8"), fs.readFileSync(SCRIPT_PATH, "utf8"));
});

const boxesOf = (patcher) => patcher.patcher.boxes.map((b) => b.box);

test("every patch line joins existing boxes at existing outlets and inlets", () => {
  const { patcher } = loadBuiltDevice();
  const byId = new Map(boxesOf(patcher).map((b) => [b.id, b]));
  assert.equal(byId.size, boxesOf(patcher).length, "box ids are unique");
  assert.ok(patcher.patcher.lines.length > 10);
  for (const { patchline } of patcher.patcher.lines) {
    const [src, outlet] = patchline.source;
    const [dst, inlet] = patchline.destination;
    assert.ok(byId.has(src), `line from missing box ${src}`);
    assert.ok(byId.has(dst), `line to missing box ${dst}`);
    assert.ok(Number.isInteger(outlet) && outlet >= 0 && outlet < byId.get(src).numoutlets, `${src} has no outlet ${outlet}`);
    assert.ok(Number.isInteger(inlet) && inlet >= 0 && inlet < byId.get(dst).numinlets, `${dst} has no inlet ${inlet}`);
  }
  for (const b of byId.values()) {
    if (b.numoutlets) assert.equal((b.outlettype || []).length, b.numoutlets, `${b.id} outlettype`);
  }
});

test("every script the patcher loads is in the device, with the inlets and outlets the box declares", () => {
  const { patcher, scripts } = loadBuiltDevice();
  const loads = build.referencedScripts(patcher);
  assert.deepEqual(loads, ["mixscout.js"]);
  for (const name of loads) assert.ok(scripts[name], `${name} is frozen into the device`);
  assert.deepEqual(patcher.patcher.dependency_cache.map((d) => [d.name, d.type]), [["mixscout.js", "TEXT"]]);
  // Run the script's top level to read its inlets/outlets, as Max does when it creates the box.
  const ctx = { jsarguments: ["mixscout.js"], post() {}, Math, String, Number };
  vm.createContext(ctx);
  vm.runInContext(scripts["mixscout.js"], ctx);
  const js = boxesOf(patcher).find((b) => /^js mixscout\.js/.test(b.text));
  assert.equal(js.numinlets, ctx.inlets);
  assert.equal(js.numoutlets, ctx.outlets);
  // Each named outlet reaches the box of that name, and only it.
  for (const [name, index] of Object.entries(ctx.OUT)) {
    const targets = patcher.patcher.lines.filter((l) => l.patchline.source[0] === js.id && l.patchline.source[1] === index)
      .map((l) => boxesOf(patcher).find((b) => b.id === l.patchline.destination[0]).varname);
    assert.deepEqual(targets, [name], `outlet ${index} (${name})`);
  }
});

test("audio passes straight through: plugin~ to plugout~, both channels", () => {
  const { patcher } = loadBuiltDevice();
  const boxes = boxesOf(patcher);
  const plugin = boxes.find((b) => b.text === "plugin~");
  const plugout = boxes.find((b) => b.text === "plugout~");
  const fromIn = patcher.patcher.lines.filter((l) => l.patchline.source[0] === plugin.id).map((l) => [l.patchline.source[1], l.patchline.destination]);
  assert.deepEqual(fromIn.sort(), [[0, [plugout.id, 0]], [1, [plugout.id, 1]]]);
  const intoOut = patcher.patcher.lines.filter((l) => l.patchline.destination[0] === plugout.id);
  assert.equal(intoOut.length, 2, "nothing else feeds plugout~");
});

test("ports and host match the protocol defaults everywhere they appear", () => {
  const { patcher } = loadBuiltDevice();
  const d = PROTOCOL.defaults;
  const boxes = boxesOf(patcher);
  const text = (re) => boxes.filter((b) => re.test(b.text || "")).map((b) => b.text);
  assert.deepEqual(text(/^udpreceive/), [`udpreceive ${d.device_listen_port}`]);
  assert.deepEqual(text(/^udpsend/), [`udpsend ${d.host} ${d.daemon_listen_port}`]);
  assert.deepEqual(text(/^js /), [`js mixscout.js ${d.device_listen_port} ${d.daemon_listen_port}`]);
  const initial = (v) => boxes.find((b) => b.varname === v).saved_attribute_attributes.valueof;
  assert.deepEqual(initial("listen_port").parameter_initial, [d.device_listen_port]);
  assert.deepEqual(initial("send_port").parameter_initial, [d.daemon_listen_port]);
  for (const v of ["listen_port", "send_port"]) {
    assert.equal(initial(v).parameter_initial_enable, 1);
    assert.equal(initial(v).parameter_type, 0, "a Float parameter (Live's Int holds 0-255; see max.test.js)");
  }
});

test("the panel fits Live's device view and is open in presentation mode", () => {
  const { patcher } = loadBuiltDevice();
  const p = patcher.patcher;
  assert.equal(p.openinpresentation, 1);
  assert.ok(p.devicewidth > 0);
  const shown = boxesOf(patcher).filter((b) => b.presentation);
  assert.ok(shown.length >= 25);
  for (const b of shown) {
    const [x, y, w, h] = b.presentation_rect;
    assert.ok(x >= 0 && y >= 0 && w > 0 && h > 0, b.varname || b.id);
    assert.ok(x + w <= p.devicewidth && y + h <= LIVE_DEVICE_HEIGHT, `${b.varname || b.id} at ${b.presentation_rect} is outside ${p.devicewidth}x${LIVE_DEVICE_HEIGHT}`);
  }
  for (const v of ["light", "song", "iteration", "fix1_title", "fix3_text", "verdict", "stop", "note", "note_status", "history_menu",
    "analyse_button", "reference_drop", "meter_st", "meter_tp", "meter_corr", "live_issue", "master", "listen_port", "send_port"]) {
    assert.ok(shown.some((b) => b.varname === v), `${v} is on the panel`);
  }
});

test("the preview shows every panel object at its presentation rectangle", () => {
  const svg = fs.readFileSync(path.join(M4L, "preview.svg"), "utf8");
  const { patcher } = loadBuiltDevice();
  assert.match(svg, new RegExp(`width="${patcher.patcher.devicewidth}" height="${LIVE_DEVICE_HEIGHT}"`));
  for (const b of boxesOf(patcher).filter((x) => x.presentation && x.maxclass !== "led")) {
    const [x, y] = b.presentation_rect;
    assert.ok(svg.includes(`x="${x}" y="${y}"`), `${b.varname || b.id} (${b.maxclass}) drawn at ${x},${y}`);
  }
});
