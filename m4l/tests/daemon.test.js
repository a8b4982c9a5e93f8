// The device logic driven by what the real daemon sends over UDP: a clipped export dropped into
// the watched folder must end up as fixes on the panel. Also checks the test's own OSC decoder
// against liblo's oscsend.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const dgram = require("dgram");
const fs = require("fs");
const os = require("os");
const path = require("path");
const { spawn, spawnSync } = require("child_process");
const { loadDevice, decodeOsc, encodeOsc, wavBytes, waitFor, specOf } = require("./helpers");

function bindUdp() {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket("udp4");
    s.once("error", reject);
    s.bind(0, "127.0.0.1", () => resolve(s));
  });
}

async function freePort() {
  const s = await bindUdp();
  const port = s.address().port;
  await new Promise((r) => s.close(r));
  return port;
}

// Why the daemon test cannot run here, or null when it can.
function daemonUnavailable() {
  const bin = process.env.MIXSCOUT_BIN;
  if (!bin) return "MIXSCOUT_BIN is not set (ctest sets it to the built mixscout)";
  const probe = spawnSync(bin, ["daemon", "--help"], { encoding: "utf8", timeout: 20000 });
  if (probe.error) throw new Error(`cannot run ${bin}: ${probe.error.message}`);
  if (/not built yet/.test(probe.stdout + probe.stderr)) return "`mixscout daemon` is not built yet";
  return null;
}

// A few seconds of a 440 Hz sine at 1.6x full scale, hard-clipped: clipping by construction.
function clippedSine(seconds, sampleRate) {
  const frames = Math.round(seconds * sampleRate);
  const samples = new Array(frames * 2);
  for (let i = 0; i < frames; i++) {
    const v = 1.6 * Math.sin((2 * Math.PI * 440 * i) / sampleRate);
    samples[2 * i] = v;
    samples[2 * i + 1] = v;
  }
  return wavBytes(samples, sampleRate, 2);
}

test("the real daemon's OSC packets put the fixes for a clipped export on the panel", { timeout: 150000 }, async (t) => {
  const why = daemonUnavailable();
  if (why) { t.skip(why); return; }

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mixscout-m4l-"));
  const watchDir = path.join(tmp, "exports");
  const dataDir = path.join(tmp, "data");
  fs.mkdirSync(watchDir);
  fs.mkdirSync(dataDir);
  const deviceSocket = await bindUdp();
  const devicePort = deviceSocket.address().port;
  const daemonPort = await freePort();

  const received = [];      // every message the daemon sent, decoded
  const malformed = [];
  let daemon;
  let daemonLog = "";
  const d = loadDevice({
    onSend: (address, args) => deviceSocket.send(encodeOsc(address, args), daemonPort, "127.0.0.1"),
    // Where Max finds the daemon's token on macOS, here the file this daemon writes.
    files: { "~:/Library/Application Support/mixscout/osc-token": path.join(tmp, "config", "mixscout", "osc-token") },
  });
  deviceSocket.on("message", (buf) => {
    let messages;
    try { messages = decodeOsc(buf); } catch (e) { malformed.push(e.message); return; }
    for (const m of messages) {
      received.push(m);
      d.send(m.address, ...m.args);   // as [udpreceive] hands them to [js]
    }
  });
  t.after(async () => {
    if (daemon && daemon.exitCode === null) {
      daemon.kill("SIGTERM");
      await waitFor(() => daemon.exitCode !== null || daemon.signalCode !== null, 20000, "the daemon to exit").catch(() => daemon.kill("SIGKILL"));
    }
    deviceSocket.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  daemon = spawn(process.env.MIXSCOUT_BIN, ["daemon", "--watch", watchDir, "--send", `127.0.0.1:${devicePort}`,
    "--listen", String(daemonPort), "--data-dir", dataDir], {
    env: Object.assign({}, process.env, { HOME: tmp, XDG_CONFIG_HOME: path.join(tmp, "config"), XDG_DATA_HOME: path.join(tmp, "share") }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  daemon.stdout.on("data", (b) => { daemonLog += b; });
  daemon.stderr.on("data", (b) => { daemonLog += b; });
  const context = () => `\n--- daemon output ---\n${daemonLog}\n--- received ---\n${received.map((m) => m.address + " " + JSON.stringify(m.args)).join("\n")}`;

  // The device starts as in Live, listening on our socket's port: it says hello until the daemon answers.
  d.send("ui_listen_port", devicePort);
  d.send("loadbang");
  const clock = setInterval(() => d.clock.advance(250), 250);   // the device's Task, in real time
  t.after(() => clearInterval(clock));
  await waitFor(() => d.panel.light.on || daemon.exitCode !== null, 20000, "the daemon to answer the hello").catch((e) => { throw new Error(e.message + context()); });
  assert.equal(daemon.exitCode, null, "the daemon is running" + context());
  assert.equal(d.panel.light.on, true);
  assert.ok(received.some((m) => m.address === "/mixscout/status"), "the hello reply includes the status" + context());

  // An export lands in the watched folder (written aside, then moved in, like a finished render).
  const staging = path.join(tmp, "Night Drive.wav");
  fs.writeFileSync(staging, clippedSine(3, 44100));
  fs.renameSync(staging, path.join(watchDir, "Night Drive.wav"));

  await waitFor(() => received.some((m) => m.address === "/mixscout/fixes_end") && received.some((m) => m.address === "/mixscout/fix"),
    90000, "the fixes of the export").catch((e) => { throw new Error(e.message + context()); });

  // Every packet the daemon sent is protocol: a known address, daemon_to_device, the right types.
  assert.deepEqual(malformed, []);
  for (const m of received) {
    const spec = specOf(m.address);
    assert.ok(spec && spec.direction === "daemon_to_device", `unexpected ${m.address}`);
    assert.equal(m.types, spec.args.map((a) => a.type).join(""), `${m.address} types`);
  }
  assert.deepEqual(d.errors, []);
  assert.ok(!d.posts.some((p) => /ignoring/.test(p)), d.posts.join("\n"));

  // The panel shows what the daemon said: the song, and the fixes in rank order.
  const exportMsg = received.filter((m) => m.address === "/mixscout/export").at(-1);
  assert.ok(exportMsg, "an /mixscout/export preceded the fixes" + context());
  assert.equal(d.panel.song.text, exportMsg.args[1] || path.basename(exportMsg.args[0]));
  assert.equal(d.panel.iteration.text, `iteration ${exportMsg.args[2]}`);
  const lastEnd = received.map((m) => m.address).lastIndexOf("/mixscout/fixes_end");
  const count = received[lastEnd].args[0];
  const fixes = received.slice(0, lastEnd).filter((m) => m.address === "/mixscout/fix").slice(-count);
  assert.ok(count >= 1 && count <= 3, `count ${count}`);
  for (const f of fixes) {
    const [rank, , title] = f.args;
    assert.equal(d.panel[`fix${rank}_title`].text.replace(/\.\.\.$/, ""), `${rank}. ${title}`.slice(0, d.panel[`fix${rank}_title`].text.replace(/\.\.\.$/, "").length));
    assert.ok(d.panel[`fix${rank}_text`].text.length > 0);
  }
  for (let r = count + 1; r <= 3; r++) assert.equal(d.panel[`fix${r}_title`].text, "");
  // The signal clips by construction: some fix must say so.
  const said = fixes.map((f) => `${f.args[2]} ${f.args[3]}`).join(" | ");
  assert.match(said, /clip|true peak|over/i, said);
  assert.ok(d.panel.fix1_sev.colour && d.panel.fix1_sev.colour.length === 4);
  // Each fix is followed by its times; the clipping fix's button can go there (the sine clips from
  // its first cycle: 0 s, shown as 0:00 with no Live Set to give bars).
  const order = received.slice(0, lastEnd).map((m) => m.address).filter((a) => /^\/mixscout\/fix/.test(a)).slice(-2 * count);
  assert.deepEqual(order, Array.from({ length: 2 * count }, (_, i) => (i % 2 ? "/mixscout/fix_times" : "/mixscout/fix")));
  const clipRank = fixes.find((f) => /clip/i.test(f.args[2])).args[0];
  const clipTimes = received.slice(0, lastEnd).filter((m) => m.address === "/mixscout/fix_times" && m.args[0] === clipRank).at(-1);
  assert.match(clipTimes.args[1], /^0\.0(,|$)/, clipTimes.args[1]);
  assert.match(d.panel[`fix${clipRank}_go`].text, /^0:00/);

  // The device asked for the song's history on the new export; the menu lists the iteration.
  await waitFor(() => d.panel.history_menu.items.length >= 1, 20000, "the history menu").catch((e) => { throw new Error(e.message + context()); });
  assert.match(d.panel.history_menu.items.at(-1), new RegExp(`^#${exportMsg.args[2]} `));
  // A note typed on the panel is stored by the daemon, acknowledged, and shows in the history.
  d.send("ui_note", "text", "kick", "too", "loud");
  await waitFor(() => d.panel.note_status.text === "logged", 20000, "the note to be logged").catch((e) => { throw new Error(e.message + context()); });
  await waitFor(() => /kick too loud/.test(d.panel.history_menu.items.at(-1) || ""), 20000, "the note in the history menu")
    .catch((e) => { throw new Error(e.message + context()); });
  // The ears vote is stored with the export and comes back in the history.
  d.send("ui_ears", "worse");
  await waitFor(() => d.panel.ears_status.text === "ears: worse - logged", 20000, "the ears vote to be logged")
    .catch((e) => { throw new Error(e.message + context()); });
  await waitFor(() => received.filter((m) => m.address === "/mixscout/history_item").some((m) => m.args[6] === "worse"), 20000,
    "the vote in the history").catch((e) => { throw new Error(e.message + context()); });
  assert.match(d.panel.history_detail.text, /ears worse/);
  // A reference dropped on the panel is stored for the song.
  d.send("ui_reference", path.join(watchDir, "Night Drive.wav"));
  await waitFor(() => received.some((m) => m.address === "/mixscout/reference_added" || m.address === "/mixscout/error"), 30000, "the reference")
    .catch((e) => { throw new Error(e.message + context()); });
  assert.ok(received.some((m) => m.address === "/mixscout/reference_added"), context());
  assert.deepEqual(d.errors, []);
});

test("the test's OSC decoder reads what liblo's oscsend writes", { timeout: 20000 }, async (t) => {
  const probe = spawnSync("oscsend", ["--help"], { encoding: "utf8" });
  if (probe.error) { t.skip("liblo-tools (oscsend) is not installed"); return; }
  const s = await bindUdp();
  t.after(() => s.close());
  const got = [];
  s.on("message", (b) => got.push(...decodeOsc(b)));
  const r = spawnSync("oscsend", ["127.0.0.1", String(s.address().port), "/mixscout/meter", "ffff", "-12.5", "-14.25", "-0.5", "0.75"]);
  assert.equal(r.status, 0, String(r.stderr));
  spawnSync("oscsend", ["127.0.0.1", String(s.address().port), "/mixscout/fix", "isss", "2", "important", "Harsh 3 kHz", "Dip it 2 dB"]);
  await waitFor(() => got.length === 2, 5000, "two packets");
  assert.deepEqual(got[0], { address: "/mixscout/meter", args: [-12.5, -14.25, -0.5, 0.75], types: "ffff" });
  assert.deepEqual(got[1], { address: "/mixscout/fix", args: [2, "important", "Harsh 3 kHz", "Dip it 2 dB"], types: "isss" });
  // ... and our encoder writes the same bytes for the same message.
  const again = encodeOsc("/mixscout/fix", [2, "important", "Harsh 3 kHz", "Dip it 2 dB"]);
  assert.deepEqual(decodeOsc(again), [got[1]]);
});
