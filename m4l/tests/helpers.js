// Test helpers for the MixScout device: a stub of Max's [js] environment wired to a model of the
// panel (following the patch lines of the built device), an OSC codec, an .amxd reader and a WAV
// writer. No Max needed.
"use strict";
const fs = require("fs");
const path = require("path");
const vm = require("vm");

const M4L = path.resolve(__dirname, "..");
const ROOT = path.resolve(M4L, "..");
const PROTOCOL = JSON.parse(fs.readFileSync(path.join(ROOT, "protocol", "osc.json"), "utf8"));
const SCRIPT_PATH = path.join(M4L, "mixscout.js");
const AMXD_PATH = path.join(M4L, "MixScout.amxd");

// ---- .amxd reader (independent of build.js) -------------------------------------------------

// Returns {chunks: [{tag, offset, size, data}], type, meta, files: [{name, type, size, offset, flag,
// vers, mdat, data}], dirOffset, container}. Throws on any inconsistency.
function readAmxd(buf) {
  const chunks = [];
  let pos = 0;
  while (pos < buf.length) {
    if (pos + 8 > buf.length) throw new Error(`truncated chunk header at ${pos}`);
    const tag = buf.toString("ascii", pos, pos + 4);
    const size = buf.readUInt32LE(pos + 4);
    if (pos + 8 + size > buf.length) throw new Error(`chunk ${tag} at ${pos} runs past the end`);
    chunks.push({ tag, offset: pos, size, data: buf.subarray(pos + 8, pos + 8 + size) });
    pos += 8 + size;
  }
  const byTag = Object.fromEntries(chunks.map((c) => [c.tag, c]));
  const container = byTag.ptch.data;
  if (container.toString("ascii", 0, 4) !== "mx@c") throw new Error("ptch is not an mx@c container");
  const headerSize = container.readUInt32BE(4);
  const dirHigh = container.readUInt32BE(8);
  const dirOffset = container.readUInt32BE(12);
  if (headerSize !== 16 || dirHigh !== 0) throw new Error("bad mx@c header");
  if (container.toString("ascii", dirOffset, dirOffset + 4) !== "dlst") throw new Error("no dlst at the directory offset");
  const dlstSize = container.readUInt32BE(dirOffset + 4);
  if (dirOffset + dlstSize !== container.length) throw new Error("dlst does not end the container");
  const sub = (start, end) => {
    const out = [];
    let p = start;
    while (p < end) {
      const t = container.toString("ascii", p, p + 4);
      const s = container.readUInt32BE(p + 4);
      if (s < 8 || p + s > end) throw new Error(`bad ${t} field size ${s}`);
      out.push({ tag: t, data: container.subarray(p + 8, p + s) });
      p += s;
    }
    return out;
  };
  const files = sub(dirOffset + 8, dirOffset + dlstSize).map((dire) => {
    if (dire.tag !== "dire") throw new Error(`unexpected ${dire.tag} in dlst`);
    const f = Object.fromEntries(sub(dire.data.byteOffset - container.byteOffset, dire.data.byteOffset - container.byteOffset + dire.data.length).map((x) => [x.tag, x.data]));
    const entry = {
      type: f.type.toString("ascii"),
      name: f.fnam.toString("utf8").replace(/\0+$/, ""),
      size: f.sz32.readUInt32BE(0),
      offset: f.of32.readUInt32BE(0),
      vers: f.vers.readUInt32BE(0),
      flag: f.flag.readUInt32BE(0),
      mdat: f.mdat.readUInt32BE(0),
      fnamPadded: f.fnam.length % 4 === 0,
    };
    if (entry.offset < 16 || entry.offset + entry.size > dirOffset) throw new Error(`${entry.name} lies outside the data area`);
    entry.data = container.subarray(entry.offset, entry.offset + entry.size);
    return entry;
  });
  return { chunks, type: byTag.ampf.data.toString("ascii"), meta: byTag.meta.data.readUInt32LE(0), files, dirOffset, container };
}

function loadBuiltDevice() {
  const amxd = readAmxd(fs.readFileSync(AMXD_PATH));
  const main = amxd.files.find((f) => f.flag & 1);
  const patcher = JSON.parse(main.data.toString("utf8").replace(/\n\0$/, ""));
  const scripts = Object.fromEntries(amxd.files.filter((f) => f.type === "TEXT").map((f) => [f.name, f.data.toString("utf8")]));
  return { amxd, patcher, scripts };
}

// ---- the [js] stub and the panel model -------------------------------------------------------

// What each kind of panel object does with the messages the script sends it. Anything else is a
// mistake in the script (Max would print "doesn't understand") and is recorded in panel.errors.
function makeObject(box) {
  const o = { maxclass: box.maxclass, varname: box.varname, text: undefined, colour: undefined, received: [] };
  const arg0 = (a) => a[0];
  const handlers = {
    comment: { set: (a) => { o.text = a.join(" "); } },
    "live.text": { text: (a) => { o.text = a.join(" "); } },
    panel: { bgfillcolor: (a) => { o.colour = a; } },
    led: { int: (a) => { o.on = arg0(a) !== 0; } },
    umenu: { clear: () => { o.items = []; o.selected = undefined; }, append: (a) => { o.items.push(a.join(" ")); }, set: (a) => { o.selected = arg0(a); } },
    textedit: { clear: () => { o.text = ""; } },
    slider: { set: (a) => { o.value = arg0(a); } },
  };
  if (box.maxclass === "umenu") o.items = [];
  if (box.maxclass === "comment" || box.maxclass === "live.text") o.text = box.text;
  o.handlers = handlers[box.maxclass] || {};
  return o;
}

const NEWOBJ = /^(\S+)/;

// Loads mixscout.js (by default the copy embedded in the built device) in a fresh vm context.
// Returns a harness: send(selector, ...args) delivers a message to inlet 0 the way Max does,
// osc(address, ...args) delivers a daemon message checked against protocol/osc.json, clock.advance(ms)
// moves time and runs the Task, panel[varname] is the state of each panel object, daemon is the
// list of OSC messages sent to [udpsend] (opts.onSend(address, args) sees each as it goes),
// udpsend/udpreceive hold their configuration, toMax the messages a "; max ..." message box sent.
// opts.live = {tempo, numerator, denominator} gives the script a Live Set through a LiveAPI stand-in
// (live.songTime records what it set); without it LiveAPI is undefined, as outside Live.
function loadDevice(opts) {
  opts = opts || {};
  const device = loadBuiltDevice();
  const patcher = device.patcher.patcher;
  const jsBox = patcher.boxes.map((b) => b.box).find((b) => b.maxclass === "newobj" && /^js\s/.test(b.text));
  const jsArgs = jsBox.text.split(/\s+/).slice(1).map((a) => (/^-?\d+$/.test(a) ? Number(a) : a));
  const script = opts.script || device.scripts[jsArgs[0]];
  const boxesById = Object.fromEntries(patcher.boxes.map((b) => [b.box.id, b.box]));

  const panel = {};
  const objects = {};
  for (const { box } of patcher.boxes) {
    const obj = makeObject(box);
    objects[box.id] = obj;
    if (box.varname) panel[box.varname] = obj;
  }
  // outlet index -> [{obj, inlet, box}]
  const wires = {};
  for (const { patchline } of patcher.lines) {
    if (patchline.source[0] !== jsBox.id) continue;
    (wires[patchline.source[1]] = wires[patchline.source[1]] || []).push({ box: boxesById[patchline.destination[0]], inlet: patchline.destination[1] });
  }

  const harness = { panel, daemon: [], posts: [], errors: [], udpsend: {}, udpreceive: {}, wires, jsBox, patcher, toMax: [] };
  const live = opts.live ? Object.assign(opts.live, { songTime: [] }) : null;
  harness.live = live;
  const clock = { now: 1700000000000, tasks: [] };

  function deliver(target, inlet, atoms) {
    const box = target;
    const cls = box.maxclass === "newobj" ? NEWOBJ.exec(box.text)[1] : box.maxclass;
    if (cls === "udpsend") {
      if (atoms[0] === "port") { harness.udpsend.port = atoms[1]; return; }
      if (atoms[0] === "host") { harness.udpsend.host = atoms[1]; return; }
      if (typeof atoms[0] === "string" && atoms[0][0] === "/") {
        harness.daemon.push({ address: atoms[0], args: atoms.slice(1) });
        if (opts.onSend) opts.onSend(atoms[0], atoms.slice(1));
        return;
      }
    } else if (cls === "udpreceive") {
      if (atoms[0] === "port") { harness.udpreceive.port = atoms[1]; return; }
    } else if (cls === "message" && /^;/.test(box.text)) {
      // A message box starting with ";": "receiver message $1" to a named receiver (here: max).
      const m = /^;\s*(\S+)\s+(.*)$/s.exec(box.text);
      harness.toMax.push({ receiver: m[1], message: m[2].replace(/\$1/g, String(atoms[0])) });
      return;
    } else {
      const obj = objects[box.id];
      const selector = typeof atoms[0] === "number" ? "int" : atoms[0];
      const args = typeof atoms[0] === "number" ? atoms : atoms.slice(1);
      const h = obj.handlers[selector];
      obj.received.push(atoms);
      if (h) { h(args); return; }
    }
    harness.errors.push(`${box.varname || box.text || box.maxclass} does not understand ${JSON.stringify(atoms)}`);
  }

  class FakeDate {
    constructor() { this.t = clock.now; }
    getTime() { return this.t; }
    static now() { return clock.now; }
  }

  const ctx = {
    jsarguments: [jsArgs[0]].concat(jsArgs.slice(1)),
    inlets: 1, outlets: 1, autowatch: 1,
    messagename: "",
    post: function () { harness.posts.push(Array.prototype.join.call(arguments, " ")); },
    error: function () { harness.posts.push("error: " + Array.prototype.join.call(arguments, " ")); },
    arrayfromargs: function (args) { return Array.prototype.slice.call(args); },
    outlet: function (n) {
      const atoms = Array.prototype.slice.call(arguments, 1).reduce((acc, a) => acc.concat(Array.isArray(a) ? a : [a]), []);
      for (const a of atoms) {
        if (typeof a !== "string" && typeof a !== "number") harness.errors.push(`outlet ${n}: not an atom: ${JSON.stringify(a)}`);
      }
      const targets = wires[n];
      if (!targets) { harness.errors.push(`outlet ${n} is not connected`); return; }
      for (const t of targets) deliver(t.box, t.inlet, atoms);
    },
    Task: function (fn, self) {
      this.fn = fn; this.self = self; this.interval = 0; this.running = false;
      this.repeat = function () { this.running = true; };
      this.cancel = function () { this.running = false; };
      clock.tasks.push(this);
    },
    // Max's File (read access, readline) over real files: opts.files maps a Max path to one.
    File: function (maxPath, access) {
      const real = (opts.files || {})[maxPath];
      let lines = [];
      try { lines = real && access === "read" ? fs.readFileSync(real, "utf8").split("\n") : null; } catch (e) { lines = null; }
      this.isopen = !!lines;
      this.readline = function (max) { return lines && lines.length ? lines.shift().slice(0, max) : null; };
      this.close = function () { this.isopen = false; };
    },
    max: { os: opts.os || "macintosh" },
    Date: FakeDate,
    encodeURI,
    LiveAPI: live ? function (path) {
      if (path !== "live_set") throw new Error(`test: no stand-in for LiveAPI ${path}`);
      this.id = "1";
      this.get = (prop) => [({ tempo: live.tempo, signature_numerator: live.numerator, signature_denominator: live.denominator })[prop]];
      this.set = (prop, value) => { if (prop !== "current_song_time") throw new Error(`test: set ${prop}`); live.songTime.push(value); };
    } : undefined,
    Math, String, Number, Array, Object, RegExp, JSON, isFinite, parseInt, parseFloat,
  };
  vm.createContext(ctx);
  vm.runInContext(script, ctx, { filename: "mixscout.js" });
  harness.ctx = ctx;
  harness.clock = clock;

  // A message into inlet 0, dispatched as Max does: a function named like the selector, else anything().
  harness.send = function (selector) {
    const args = Array.prototype.slice.call(arguments, 1);
    ctx.messagename = selector;
    const fn = ctx[selector];
    if (typeof fn === "function" && !fn.local) fn.apply(ctx, args);
    else if (typeof ctx.anything === "function") ctx.anything.apply(ctx, args);
    else throw new Error(`no function for ${selector}`);
  };
  // A daemon-to-device message; refuses anything protocol/osc.json does not allow, so that the
  // sequences the tests feed are real protocol.
  harness.osc = function (address) {
    const args = Array.prototype.slice.call(arguments, 1);
    checkAgainstProtocol(address, args, "daemon_to_device");
    harness.send.apply(null, [address].concat(args));
  };
  clock.advance = function (ms, stepMs) {
    stepMs = stepMs || 50;
    const end = clock.now + ms;
    while (clock.now < end) {
      clock.now = Math.min(end, clock.now + stepMs);
      for (const t of clock.tasks) {
        if (!t.running) continue;
        if (t.last === undefined) t.last = clock.now - stepMs;
        if (clock.now - t.last >= t.interval) { t.last = clock.now; t.fn.call(t.self); }
      }
    }
  };
  harness.sent = (address) => harness.daemon.filter((m) => m.address === address);
  return harness;
}

function specOf(address) {
  return PROTOCOL.messages.find((m) => m.address === address);
}

function checkAgainstProtocol(address, args, direction) {
  const spec = specOf(address);
  if (!spec) throw new Error(`test bug: ${address} is not in protocol/osc.json`);
  if (spec.direction !== direction) throw new Error(`test bug: ${address} is ${spec.direction}`);
  if (args.length !== spec.args.length) throw new Error(`test bug: ${address} takes ${spec.args.length} arguments`);
  spec.args.forEach((a, i) => {
    const v = args[i];
    const ok = a.type === "s" ? typeof v === "string" : a.type === "i" ? Number.isInteger(v) : typeof v === "number";
    if (!ok) throw new Error(`test bug: ${address} argument ${a.name} must be ${a.type}`);
    if (a.enum && !a.enum.includes(v)) throw new Error(`test bug: ${address} ${a.name}=${v} is not in its enum`);
  });
}

// ---- OSC 1.0 (i, f, s only, as the protocol allows) ------------------------------------------

function oscString(s) {
  const raw = Buffer.from(s + "\0", "utf8");
  return Buffer.concat([raw, Buffer.alloc((4 - (raw.length % 4)) % 4)]);
}

function encodeOsc(address, args) {
  const spec = specOf(address);
  const types = spec ? spec.args.map((a) => a.type).join("") : args.map((a) => (typeof a === "string" ? "s" : Number.isInteger(a) ? "i" : "f")).join("");
  const parts = [oscString(address), oscString("," + types)];
  args.forEach((a, i) => {
    const b = Buffer.alloc(4);
    if (types[i] === "i") { b.writeInt32BE(a); parts.push(b); } else if (types[i] === "f") { b.writeFloatBE(a); parts.push(b); } else parts.push(oscString(String(a)));
  });
  return Buffer.concat(parts);
}

// Returns [{address, args}] (bundles flattened); throws on a malformed packet.
function decodeOsc(buf) {
  let pos = 0;
  const readString = () => {
    const end = buf.indexOf(0, pos);
    if (end < 0) throw new Error("unterminated OSC string");
    const s = buf.toString("utf8", pos, end);
    pos = (end + 4) & ~3;
    return s;
  };
  if (buf.toString("ascii", 0, 8) === "#bundle\0") {
    const out = [];
    pos = 16;
    while (pos < buf.length) {
      const size = buf.readInt32BE(pos);
      out.push(...decodeOsc(buf.subarray(pos + 4, pos + 4 + size)));
      pos += 4 + size;
    }
    return out;
  }
  const address = readString();
  const tags = readString();
  if (tags[0] !== ",") throw new Error("no OSC type tags");
  const args = [];
  for (const t of tags.slice(1)) {
    if (t === "i") { args.push(buf.readInt32BE(pos)); pos += 4; } else if (t === "f") { args.push(buf.readFloatBE(pos)); pos += 4; } else if (t === "s") args.push(readString());
    else throw new Error(`unsupported OSC type ${t}`);
  }
  return [{ address, args, types: tags.slice(1) }];
}

// ---- WAV ------------------------------------------------------------------------------------

// 16-bit PCM WAV from interleaved float samples in [-1, 1] (values beyond are clipped).
function wavBytes(samples, sampleRate, channels) {
  const data = Buffer.alloc(samples.length * 2);
  samples.forEach((s, i) => data.writeInt16LE(Math.round(Math.max(-1, Math.min(1, s)) * 32767), i * 2));
  const h = Buffer.alloc(44);
  h.write("RIFF", 0, "ascii"); h.writeUInt32LE(36 + data.length, 4); h.write("WAVE", 8, "ascii");
  h.write("fmt ", 12, "ascii"); h.writeUInt32LE(16, 16); h.writeUInt16LE(1, 20); h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(sampleRate, 24); h.writeUInt32LE(sampleRate * channels * 2, 28); h.writeUInt16LE(channels * 2, 32); h.writeUInt16LE(16, 34);
  h.write("data", 36, "ascii"); h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}

// Polls cond() until it is truthy or the deadline passes (no sleeps as synchronisation).
async function waitFor(cond, timeoutMs, what) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = cond();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

module.exports = { M4L, ROOT, PROTOCOL, SCRIPT_PATH, AMXD_PATH, readAmxd, loadBuiltDevice, loadDevice, specOf, encodeOsc, decodeOsc, wavBytes, waitFor };
