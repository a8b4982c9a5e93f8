// The device checked against Max and Live as they are, not against the project's model of them.
// The facts below are data written from public sources:
//   OBJECTS      inlets/outlets/outlet types of each object the patcher uses, from Ableton's
//                published table of Max objects (github.com/Ableton/maxdevtools,
//                maxdiff/known_objects.py; objects created without arguments).
//   PARAMETER    Live's parameter types (Ableton's Max for Live production guidelines, same
//                repository: "Int: integer values in the range of 0 - 255"; "Float" has no
//                range limit and may use the Int unit style to display integers).
//   FROZEN       the keys frozen devices carry (Ableton's maxdiff test device FrozenTest.amxd and
//                public devices): openrect, parameters, project (with amxdtype = the device
//                type's four letters as a big-endian integer).
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const { loadBuiltDevice, loadDevice, PROTOCOL } = require("./helpers");

const OBJECTS = {
  "plugin~": { inlets: 2, outlets: ["signal", "signal"] },
  "plugout~": { inlets: 2, outlets: ["signal", "signal"] },
  udpreceive: { inlets: 1, outlets: [""] },
  // Ableton's table lists udpsend without arguments, which Max cannot create (0/0); with a host
  // and port it has one inlet and no outlet (Cycling '74 reference).
  udpsend: { inlets: 1, outlets: [] },
  "live.thisdevice": { inlets: 1, outlets: ["bang", "int", "int"] },
  prepend: { inlets: 1, outlets: [""] },
  message: { inlets: 2, outlets: [""] },
  comment: { inlets: 1, outlets: [] },
  panel: { inlets: 1, outlets: [] },
  led: { inlets: 1, outlets: ["int"] },
  textedit: { inlets: 1, outlets: ["", "int", "", ""] },
  umenu: { inlets: 1, outlets: ["int", "", ""] },
  "live.text": { inlets: 1, outlets: ["", ""] },
  "live.menu": { inlets: 1, outlets: ["", "", "float"] },
  "live.numbox": { inlets: 1, outlets: ["", "float"] },
  "live.drop": { inlets: 1, outlets: ["", ""] },
  js: { inlets: null, outlets: null },   // set by the script (inlets/outlets), checked in amxd.test.js
};
const PARAMETER = { float: 0, int: 1, enum: 2, intMin: 0, intMax: 255, unitstyleInt: 0, hidden: 2, storedOnly: 1 };
const DEVICE_HEIGHT = 169;   // Live's device view
const AUDIO_EFFECT = "aaaa";

const boxes = () => loadBuiltDevice().patcher.patcher.boxes.map((b) => b.box);
const classOf = (b) => (b.maxclass === "newobj" ? b.text.split(/\s+/)[0] : b.maxclass);
const byVar = (v) => boxes().find((b) => b.varname === v);

test("every object has the inlets, outlets and outlet types Max gives it", () => {
  for (const b of boxes()) {
    const fact = OBJECTS[classOf(b)];
    assert.ok(fact, `${classOf(b)} (${b.id}) is not in the table of known objects: add its facts`);
    if (fact.inlets === null) continue;
    assert.equal(b.numinlets, fact.inlets, `${b.id} ${classOf(b)} inlets`);
    assert.equal(b.numoutlets, fact.outlets.length, `${b.id} ${classOf(b)} outlets`);
    assert.deepEqual(b.outlettype || [], fact.outlets, `${b.id} ${classOf(b)} outlet types`);
  }
});

test("numeric parameters beyond 0-255 are Float (Live's Int holds 0-255), shown as integers", () => {
  const params = boxes().filter((b) => b.parameter_enable);
  assert.ok(params.length >= 5);
  for (const b of params) {
    const v = b.saved_attribute_attributes.valueof;
    assert.ok([PARAMETER.float, PARAMETER.int, PARAMETER.enum].includes(v.parameter_type), b.varname);
    if (v.parameter_type === PARAMETER.int) {
      assert.ok(v.parameter_mmin >= PARAMETER.intMin && v.parameter_mmax <= PARAMETER.intMax, `${b.varname}: Int beyond 0-255`);
    }
    if (v.parameter_type === PARAMETER.enum) assert.equal(v.parameter_mmax, v.parameter_enum.length - 1, b.varname);
    assert.ok(v.parameter_longname && !/\[\d+\]$/.test(v.parameter_longname), `${b.varname}: a real long name`);
    assert.ok(!/^val\d$/.test((v.parameter_enum || [])[0] || ""), `${b.varname}: no generic enum labels`);
  }
  for (const [v, port] of [["listen_port", PROTOCOL.defaults.device_listen_port], ["send_port", PROTOCOL.defaults.daemon_listen_port]]) {
    const p = byVar(v).saved_attribute_attributes.valueof;
    assert.equal(p.parameter_type, PARAMETER.float, `${v} is Float`);
    assert.equal(p.parameter_unitstyle, PARAMETER.unitstyleInt, `${v} displays an integer`);
    assert.deepEqual([p.parameter_mmin, p.parameter_mmax], [1024, 65535]);
    assert.deepEqual(p.parameter_initial, [port]);
    assert.equal(p.parameter_initial_enable, 1);
  }
  // Buttons are actions, not settings: hidden from automation.
  for (const b of boxes().filter((x) => x.maxclass === "live.text")) {
    assert.equal(b.saved_attribute_attributes.valueof.parameter_invisible, PARAMETER.hidden, b.varname);
  }
});

test("live.drop is labelled through legend and hands over the dropped file itself (decodemode 0)", () => {
  const drop = byVar("reference_drop");
  assert.equal(drop.maxclass, "live.drop");
  assert.ok(drop.legend && drop.legend.length > 0);
  assert.equal(drop.text, undefined, "live.drop has no text attribute");
  assert.equal(drop.decodemode, 0, "decodemode 1 would hand over a temporary decoded copy of an MP3");
});

test("the note field is labelled on the panel (a hint is only a hover tooltip)", () => {
  const note = byVar("note");
  const [x, y, , h] = note.presentation_rect;
  const label = boxes().find((b) => b.maxclass === "comment" && b.presentation && b.text &&
    Math.abs(b.presentation_rect[1] - y) <= 2 && b.presentation_rect[0] + b.presentation_rect[2] <= x + 1 &&
    x - (b.presentation_rect[0] + b.presentation_rect[2]) <= 4 && b.presentation_rect[3] <= h + 2);
  assert.ok(label, "a comment right before the note field");
  assert.match(label.text, /note/i);
});

test("the device carries what frozen devices carry: openrect, parameters, project", () => {
  const p = loadBuiltDevice().patcher.patcher;
  assert.deepEqual(p.openrect, [0, 0, p.devicewidth, DEVICE_HEIGHT]);
  const params = boxes().filter((b) => b.parameter_enable);
  const listed = Object.keys(p.parameters).filter((k) => k.startsWith("obj-"));
  assert.deepEqual(listed.sort(), params.map((b) => b.id).sort());
  for (const b of params) {
    const v = b.saved_attribute_attributes.valueof;
    assert.deepEqual(p.parameters[b.id], [v.parameter_longname, v.parameter_shortname, 0]);
  }
  assert.equal(p.project.amxdtype, Buffer.from(AUDIO_EFFECT, "ascii").readUInt32BE(0));
  assert.equal(p.project.amxdtype, 1633771873);
  assert.equal(typeof p.project.contents, "object");
});

test("Live's font everywhere, text in the theme's colour, and a device narrower than before", () => {
  const p = loadBuiltDevice().patcher.patcher;
  assert.match(p.default_fontname, /^Ableton Sans/);
  const texts = boxes().filter((b) => b.presentation && ["comment", "textedit", "umenu", "live.text", "live.menu", "live.numbox", "live.drop"].includes(b.maxclass));
  for (const b of texts) assert.match(b.fontname || "", /^Ableton Sans/, `${b.varname || b.id} font`);
  for (const b of texts.filter((x) => x.maxclass === "comment")) {
    assert.match(b.saved_attribute_attributes.textcolor.expression, /^themecolor\.live_/, `${b.varname || b.id} follows the theme`);
  }
  assert.ok(p.devicewidth <= 640, `${p.devicewidth} px`);
  // The script colours no text (that would override the theme), only stripes and the light.
  const d = loadDevice({ live: { tempo: 120, numerator: 4, denominator: 4 } });
  d.send("loadbang");
  d.osc("/mixscout/export", "/x/Song.wav", "Song", 2);
  d.osc("/mixscout/fix", 1, "critical", "Clipping", "Pull down");
  d.osc("/mixscout/verdict", "worse", "clipping");
  d.osc("/mixscout/meter", -8, -8, 0.5, -0.5);
  d.osc("/mixscout/error", "x");
  for (const o of Object.values(d.panel)) {
    for (const atoms of o.received) assert.notEqual(atoms[0], "textcolor", `${o.varname} got a text colour`);
  }
  assert.deepEqual(d.errors, []);
});

test("the panel saves the texts the script starts with, so nothing flashes at load", () => {
  const d = loadDevice();
  const saved = Object.fromEntries(Object.values(d.panel).filter((o) => o.maxclass === "comment" || o.maxclass === "live.text")
    .map((o) => [o.varname, o.text || ""]));
  d.send("loadbang");
  for (const [name, text] of Object.entries(saved)) {
    if (name === "status") continue;   // "connecting..." until the first hello is answered
    assert.equal(d.panel[name].text || "", text, `${name}: saved "${text}", shown "${d.panel[name].text}"`);
  }
  assert.equal(d.panel.status.text, saved.status);
  for (const b of boxes().filter((x) => x.maxclass === "umenu")) assert.deepEqual(b.items, [], "no sample menu items");
});

test("every panel object lies inside Live's device view, in whole pixels, none over another", () => {
  const p = loadBuiltDevice().patcher.patcher;
  const shown = boxes().filter((x) => x.presentation);
  for (const b of shown) {
    const [x, y, w, h] = b.presentation_rect;
    assert.ok([x, y, w, h].every(Number.isInteger), `${b.varname || b.id}: whole pixels`);
    assert.ok(x >= 0 && y >= 0 && x + w <= p.devicewidth && y + h <= DEVICE_HEIGHT, `${b.varname || b.id} at ${b.presentation_rect}`);
  }
  const name = (b) => b.varname || b.text || b.id;
  for (let i = 0; i < shown.length; i++) {
    for (let j = i + 1; j < shown.length; j++) {
      const [a, b] = [shown[i].presentation_rect, shown[j].presentation_rect];
      const overlap = a[0] < b[0] + b[2] && b[0] < a[0] + a[2] && a[1] < b[1] + b[3] && b[1] < a[1] + a[3];
      assert.ok(!overlap, `${name(shown[i])} ${a} overlaps ${name(shown[j])} ${b}`);
    }
  }
});
