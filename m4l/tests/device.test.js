// The device logic (mixscout.js as embedded in MixScout.amxd) driven with protocol messages; the
// assertions read the panel objects it reaches through the patch lines.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("fs");
const os = require("os");
const path = require("path");
const { loadDevice, PROTOCOL } = require("./helpers");

const RED = [0.91, 0.26, 0.21, 1.0];

function started() {
  const d = loadDevice();
  d.send("loadbang");
  return d;
}

function exportWithFixes(d, song, iteration, fixes) {
  d.osc("/mixscout/export", `/exports/${song} ${iteration}.wav`, song, iteration);
  fixes.forEach((f, i) => d.osc("/mixscout/fix", i + 1, f[0], f[1], f[2]));
  d.osc("/mixscout/fixes_end", fixes.length);
}

// Colours are distinct per severity: the three must differ from each other and from "no fix".
function severityColours(d) {
  return [1, 2, 3].map((r) => d.panel[`fix${r}_sev`].colour);
}

test("a fresh device asks the daemon for a hello reply on the default port and shows it is offline", () => {
  const d = started();
  assert.deepEqual(d.errors, []);
  // No token file (daemon never started): the hello says so with an empty token.
  assert.deepEqual(d.sent("/mixscout/hello"), [{ address: "/mixscout/hello", args: [PROTOCOL.defaults.device_listen_port, ""] }]);
  assert.equal(d.panel.light.on, false);
  assert.equal(d.panel.fix2_title.text, "");
});

test("three fixes show with their severity colour, title and fix text", () => {
  const d = started();
  exportWithFixes(d, "Night Drive", 3, [
    ["critical", "Clipping at 1:02", "Pull the master down 2 dB."],
    ["important", "Harsh 3 kHz", "Dip the vocal bus at 3 kHz by 2 dB."],
    ["polish", "Narrow chorus", "Widen the pads a little."],
  ]);
  assert.deepEqual(d.errors, []);
  assert.equal(d.panel.song.text, "Night Drive");
  assert.equal(d.panel.iteration.text, "iteration 3");
  assert.equal(d.panel.fix1_title.text, "1. Clipping at 1:02");
  assert.equal(d.panel.fix1_text.text, "Pull the master down 2 dB.");
  assert.equal(d.panel.fix2_title.text, "2. Harsh 3 kHz");
  assert.equal(d.panel.fix3_text.text, "Widen the pads a little.");
  const c = severityColours(d);
  assert.deepEqual(c[0], RED);
  assert.notDeepEqual(c[0], c[1]);
  assert.notDeepEqual(c[1], c[2]);
  assert.notDeepEqual(c[0], c[2]);
  assert.equal(d.panel.fix1_title.colour, undefined, "text keeps Live's theme colour; the stripe carries the severity");
  assert.equal(d.panel.light.on, true, "a daemon message lights the connection light");
});

test("an update replaces the fixes, and fewer than three clears the rest", () => {
  const d = started();
  exportWithFixes(d, "Night Drive", 3, [
    ["critical", "A", "fix a"], ["important", "B", "fix b"], ["polish", "C", "fix c"],
  ]);
  const none = d.panel.fix1_sev.colour;
  exportWithFixes(d, "Night Drive", 4, [["polish", "D", "fix d"]]);
  assert.equal(d.panel.iteration.text, "iteration 4");
  assert.equal(d.panel.fix1_title.text, "1. D");
  assert.equal(d.panel.fix1_text.text, "fix d");
  for (const r of [2, 3]) {
    assert.equal(d.panel[`fix${r}_title`].text, "", `fix ${r} title cleared`);
    assert.equal(d.panel[`fix${r}_text`].text, "", `fix ${r} text cleared`);
  }
  assert.notDeepEqual(d.panel.fix2_sev.colour, none);
  assert.deepEqual(d.panel.fix2_sev.colour, d.panel.fix3_sev.colour, "cleared rows share the neutral colour");
  exportWithFixes(d, "Night Drive", 5, []);
  assert.equal(d.panel.fix1_title.text, "", "zero fixes clears all three");
  assert.deepEqual(d.errors, []);
});

test("the verdict against the previous export and the stop signal are shown; a new export clears the stop", () => {
  const d = started();
  exportWithFixes(d, "Night Drive", 6, [["polish", "Tiny sibilance", "De-ess 1 dB."]]);
  d.osc("/mixscout/verdict", "slight_improvement", "2 fixed, 1 remaining");
  assert.match(d.panel.verdict.text, /^Slightly better: 2 fixed, 1 remaining$/);
  d.osc("/mixscout/verdict", "worse", "clipping came back");
  assert.match(d.panel.verdict.text, /^Worse: clipping came back$/);
  assert.deepEqual(d.panel.verdict_sev.colour, RED);
  d.osc("/mixscout/stop", "Only polish left; master it.");
  assert.equal(d.panel.stop.text, "Ready to master: Only polish left; master it.");
  // The daemon repeats its latest export, fixes, verdict and stop in each hello reply: no flicker.
  d.send("ui_note", "text", "vocals up");
  d.osc("/mixscout/note_logged", 6);
  const again = d.panel.stop.received.length;
  exportWithFixes(d, "Night Drive", 6, [["polish", "Tiny sibilance", "De-ess 1 dB."]]);
  assert.equal(d.panel.stop.received.length, again, "the same export leaves the stop signal alone");
  assert.equal(d.panel.note_status.text, "logged");
  assert.match(d.panel.verdict.text, /^Worse/);
  // A new export clears what belonged to the previous one.
  exportWithFixes(d, "Night Drive", 7, []);
  assert.equal(d.panel.stop.text, "");
  assert.equal(d.panel.verdict.text, "");
  assert.equal(d.panel.note_status.text, "");
  assert.deepEqual(d.errors, []);
});

test("an unknown address is ignored and the panel is left as it was", () => {
  const d = started();
  exportWithFixes(d, "Song", 1, [["critical", "A", "fix a"]]);
  const before = JSON.stringify(d.panel);
  d.send("/mixscout/unknown_thing", 1, "x");
  d.send("/other/fix", 1, "critical", "B", "fix b");
  assert.equal(JSON.stringify(d.panel), before);
  assert.ok(d.posts.some((p) => p.includes("/mixscout/unknown_thing")));
  assert.deepEqual(d.errors, []);
});

test("a long text is truncated with an ellipsis to fit its field", () => {
  const d = started();
  const longTitle = "Very long title ".repeat(12).trim();             // 191 chars, under the 200-byte protocol cap
  const longFix = "Turn the thing down. ".repeat(9).trim() + "!";      // 189 chars
  d.osc("/mixscout/fix", 1, "critical", longTitle, longFix);
  const title = d.panel.fix1_title.text;
  const fix = d.panel.fix1_text.text;
  assert.ok(title.endsWith("..."), title);
  assert.ok(title.length < longTitle.length && title.length === d.ctx.LIMITS.title, `title is ${title.length} chars`);
  assert.ok(("1. " + longTitle).startsWith(title.slice(0, -3)));
  assert.ok(fix.endsWith("...") && fix.length === d.ctx.LIMITS.fix && longFix.startsWith(fix.slice(0, -3)), fix);
  // That what is left fits its box is measured in layout.test.js.
  // A short text is left alone.
  d.osc("/mixscout/fix", 1, "critical", "Short", "Fine.");
  assert.equal(d.panel.fix1_title.text, "1. Short");
});

test("messages with wrong argument types are ignored", () => {
  const d = started();
  exportWithFixes(d, "Song", 1, [["critical", "A", "fix a"], ["important", "B", "fix b"]]);
  const before = JSON.stringify(d.panel);
  d.send("/mixscout/fix", "one", "critical", "X", "fix x");      // rank must be an int
  d.send("/mixscout/fix", 1.5, "critical", "X", "fix x");        // ... not a float
  d.send("/mixscout/fix", 1, 7, "X", "fix x");                   // severity must be a string
  d.send("/mixscout/fix", 1, "critical", "X");                   // too few arguments
  d.send("/mixscout/fixes_end", "0");
  d.send("/mixscout/meter", "loud", -14, -1, 0.5);
  d.send("/mixscout/export", "/x.wav", "Other", "two");
  assert.equal(JSON.stringify(d.panel), before);
  assert.equal(d.posts.filter((p) => p.includes("do not match")).length, 7);
  assert.deepEqual(d.errors, []);
});

test("every daemon message of the protocol is accepted when well-typed and ignored when one argument has the wrong type", () => {
  const sample = (a) => (a.enum ? a.enum[0] : a.type === "s" ? "text" : a.type === "i" ? 2 : 0.5);
  const wrong = (a) => (a.type === "s" ? 3 : "text");
  for (const m of PROTOCOL.messages.filter((x) => x.direction === "daemon_to_device")) {
    const good = started();
    good.send(m.address, ...m.args.map(sample));
    assert.equal(good.panel.light.on, true, `${m.address} accepted`);
    assert.deepEqual(good.errors, [], m.address);
    m.args.forEach((a, i) => {
      const bad = started();
      const args = m.args.map(sample);
      args[i] = wrong(a);
      bad.send(m.address, ...args);
      assert.equal(bad.panel.light.on, false, `${m.address} with a bad ${a.name} ignored`);
    });
  }
});

test("the connection light follows hello replies and heartbeats, and the device reconnects by itself", () => {
  const d = started();
  const hb = PROTOCOL.defaults.heartbeat_s * 1000;
  // Not connected: the hello is repeated every few seconds.
  d.clock.advance(10000);
  const hellos = d.sent("/mixscout/hello").length;
  assert.ok(hellos >= 3 && hellos <= 6, `${hellos} hellos in 10 s while offline`);
  assert.equal(d.panel.light.on, false);
  // The daemon answers the hello (its reply starts with the status).
  d.osc("/mixscout/status", "idle", "watching 1 folder");
  assert.equal(d.panel.light.on, true);
  assert.equal(d.panel.status.text, "idle: watching 1 folder");
  // Heartbeats keep it on; hellos slow down to a keep-alive.
  const before = d.sent("/mixscout/hello").length;
  for (let i = 0; i < 10; i++) { d.clock.advance(hb); d.osc("/mixscout/status", "idle", ""); }
  assert.equal(d.panel.light.on, true);
  const keepalives = d.sent("/mixscout/hello").length - before;
  assert.ok(keepalives >= 1 && keepalives <= 3, `${keepalives} keep-alive hellos in ${10 * hb} ms`);
  // Heartbeats stop: one missed is tolerated, after a few the light goes off.
  d.clock.advance(1.5 * hb);
  assert.equal(d.panel.light.on, true, "one late heartbeat is not a disconnection");
  d.clock.advance(3 * hb);
  assert.equal(d.panel.light.on, false);
  assert.equal(d.panel.status.text, "daemon offline");
  // ... and it goes back to asking.
  const offlineAt = d.sent("/mixscout/hello").length;
  d.clock.advance(7000);
  assert.ok(d.sent("/mixscout/hello").length - offlineAt >= 2);
  d.osc("/mixscout/status", "analysing", "mix.wav");
  assert.equal(d.panel.light.on, true);
  assert.deepEqual(d.errors, []);
});

test("a note goes to the daemon and shows 'logged' when the daemon acknowledges it", () => {
  const d = started();
  exportWithFixes(d, "Song", 2, []);
  d.osc("/mixscout/status", "idle", "");
  d.send("ui_note", "text", "kick", "too", "loud");
  assert.deepEqual(d.sent("/mixscout/note"), [{ address: "/mixscout/note", args: ["kick too loud"] }]);
  assert.notEqual(d.panel.note_status.text, "logged");
  const historyAsks = d.sent("/mixscout/history").length;
  d.osc("/mixscout/note_logged", 12);
  assert.equal(d.panel.note_status.text, "logged");
  assert.equal(d.panel.note.text, "", "the note field is cleared");
  assert.equal(d.sent("/mixscout/history").length, historyAsks + 1, "the history is asked again, with the note");
  d.send("ui_note", "text");
  d.send("ui_note", "text", "   ");
  assert.equal(d.sent("/mixscout/note").length, 1, "an empty note is not sent");
  d.send("ui_note", "text", "x".repeat(400));
  const long = d.sent("/mixscout/note")[1].args[0];
  assert.equal(long.length, PROTOCOL.defaults.max_string_bytes);
  assert.deepEqual(d.errors, []);
});

test("past iterations fill the menu; choosing one shows its note", () => {
  const d = started();
  exportWithFixes(d, "Night Drive", 3, []);
  assert.deepEqual(d.sent("/mixscout/history").at(-1).args, ["Night Drive"]);
  d.osc("/mixscout/history_item", 1, 10, "2026-11-20T21:05:09Z", "first", "2/1/3", "rough mix", "");
  d.osc("/mixscout/history_item", 2, 11, "2026-11-21", "significant_improvement", "0/2/3", "", "worse");
  d.osc("/mixscout/history_item", 3, 12, "2026-11-22", "worse", "1/2/2", "tried, comma; and more", "same");
  d.osc("/mixscout/history_end", "Night Drive", 3);
  const menu = d.panel.history_menu;
  assert.equal(menu.items.length, 3);
  assert.match(menu.items[0], /^#1 2026-11-20 21:05 First export - rough mix$/);
  assert.match(menu.items[1], /^#2 2026-11-21 Much better$/);
  assert.ok(!/[,;]/.test(menu.items[2]), "umenu would split an item at , or ;");
  assert.equal(menu.selected, 2, "the newest is selected");
  assert.match(d.panel.history_detail.text, /#3 .*Worse.*1\/2\/2, ears same/);
  d.send("ui_history_select", 1);
  assert.match(d.panel.history_detail.text, /#2 .*Much better.*ears worse$/);
  d.send("ui_history_select", 0);
  assert.match(d.panel.history_detail.text, /#1 .*Note: rough mix/);
  assert.ok(!/ears/.test(d.panel.history_detail.text), "no vote, no ears");
  d.send("ui_history_select", 9);
  assert.match(d.panel.history_detail.text, /#1 /, "an index past the end changes nothing");
  // The same export again (e.g. a hello reply) does not ask again; a new iteration does.
  const asks = d.sent("/mixscout/history").length;
  exportWithFixes(d, "Night Drive", 3, []);
  assert.equal(d.sent("/mixscout/history").length, asks);
  exportWithFixes(d, "Night Drive", 4, []);
  assert.equal(d.sent("/mixscout/history").length, asks + 1);
  assert.deepEqual(d.errors, []);
});

test("'Analyse now' and a dropped reference track become requests to the daemon", () => {
  const d = started();
  d.send("ui_analyse");
  assert.deepEqual(d.sent("/mixscout/analyze"), [{ address: "/mixscout/analyze", args: [""] }]);
  d.send("ui_reference", "Macintosh HD:/Users/me/Refs/Great Mix.wav");
  d.send("ui_reference", "C:/Users/me/ref.wav");
  d.send("ui_reference", "/home/me/ref.flac");
  assert.deepEqual(d.sent("/mixscout/reference").map((m) => m.args[0]),
    ["/Users/me/Refs/Great Mix.wav", "C:/Users/me/ref.wav", "/home/me/ref.flac"]);
  d.send("ui_reference", "/" + "deep/".repeat(50) + "ref.wav");
  assert.equal(d.sent("/mixscout/reference").length, 3, "a path longer than a protocol string is not sent clipped");
  assert.match(d.panel.status.text, /too long/);
  d.osc("/mixscout/reference_added", "/Users/me/Refs/Great Mix.wav", "Night Drive");
  assert.match(d.panel.status.text, /Great Mix\.wav/);
  assert.deepEqual(d.errors, []);
});

test("live meters, a live issue shown briefly, and mastering progress", () => {
  const d = started();
  d.osc("/mixscout/meter", -12.5, -14.25, -0.4, 0.83);
  assert.equal(d.panel.meter_st.text, "ST -14.3 LUFS");
  assert.equal(d.panel.meter_tp.text, "TP -0.4 dBTP");
  assert.deepEqual(d.panel.meter_tp_sev.colour, RED, "a true peak above -1 dBTP marks its stripe red");
  assert.equal(d.panel.meter_corr.text, "Corr 0.83");
  assert.notDeepEqual(d.panel.meter_corr_sev.colour, RED);
  d.osc("/mixscout/meter", -70, -70, -70, -0.2);
  assert.deepEqual(d.panel.meter_corr_sev.colour, RED, "negative correlation (phase) is red");
  assert.notDeepEqual(d.panel.meter_tp_sev.colour, RED);
  d.clock.advance(3000);
  assert.equal(d.panel.meter_st.text, "ST -- LUFS", "meters idle when the daemon stops monitoring");
  assert.notDeepEqual(d.panel.meter_corr_sev.colour, RED);

  d.osc("/mixscout/live_issue", "critical", "Clipping", "Pull the master down");
  assert.equal(d.panel.live_issue.text, "Now: Clipping - Pull the master down");
  d.clock.advance(2000);
  assert.notEqual(d.panel.live_issue.text, "");
  d.clock.advance(8000);
  assert.equal(d.panel.live_issue.text, "");

  d.osc("/mixscout/master_progress", 41.6, "limiting");
  assert.equal(d.panel.master.text, "Mastering 42% - limiting");
  d.osc("/mixscout/master_done", "/exports/Night Drive master.wav", "-9.0 LUFS, -1.0 dBTP");
  assert.equal(d.panel.master.text, "Mastered: Night Drive master.wav - -9.0 LUFS, -1.0 dBTP");
  d.osc("/mixscout/error", "cannot read ref.wav");
  assert.match(d.panel.status.text, /^error: cannot read/);
  assert.deepEqual(d.errors, []);
});

test("changing the ports reconfigures the UDP objects and says hello on the new port", () => {
  const d = started();
  d.send("ui_listen_port", 9002);
  assert.equal(d.udpreceive.port, undefined, "restoring the default changes nothing");
  d.send("ui_listen_port", 9102);
  assert.equal(d.udpreceive.port, 9102);
  assert.deepEqual(d.sent("/mixscout/hello").at(-1).args, [9102, ""]);
  d.send("ui_send_port", 9101);
  assert.equal(d.udpsend.port, 9101);
  d.send("ui_send_port", 70000);
  d.send("ui_listen_port", 0);
  d.send("ui_listen_port", 1023);      // below the boxes' range (and a privileged port)
  assert.equal(d.udpsend.port, 9101);
  assert.equal(d.udpreceive.port, 9102);
  // The boxes are Float parameters with an integer display: whatever float they give is rounded.
  d.send("ui_send_port", 9301.4);
  assert.equal(d.udpsend.port, 9301);
  d.send("ui_listen_port", 65534.6);
  assert.equal(d.udpreceive.port, 65535);
  d.send("ui_listen_port", 1024);
  assert.equal(d.udpreceive.port, 1024);
  assert.deepEqual(d.errors, []);
});

test("a saved port restored before the device starts is kept", () => {
  const d = loadDevice();
  d.send("ui_listen_port", 9202);     // live.numbox restores its value while the device loads
  d.send("ui_start");
  d.send("loadbang");                  // both start paths run once
  assert.deepEqual(d.sent("/mixscout/hello").at(-1).args, [9202, ""]);
  assert.equal(d.ctx.task === null, false);
  assert.equal(d.clock.tasks.length, 1, "one clock, however many start messages");
});

test("internal helpers are not reachable as messages", () => {
  const d = started();
  for (const name of ["send", "receive", "show", "hello", "start", "tick", "clip"]) {
    assert.equal(d.ctx[name].local, 1, name);
  }
  d.send("send", "/mixscout/note", "sneaky");
  assert.equal(d.sent("/mixscout/note").length, 0);
});

test("the script's protocol table is protocol/osc.json's, with a handler for every daemon message", () => {
  const d = loadDevice();
  const table = (dir) => Object.fromEntries(PROTOCOL.messages.filter((m) => m.direction === dir)
    .map((m) => [m.address, m.args.map((a) => a.type).join("")]));
  const types = (t) => Object.fromEntries(Object.entries(t).map(([k, v]) => [k, v.types]));
  assert.deepEqual(types(d.ctx.PROTOCOL.incoming), table("daemon_to_device"));
  assert.deepEqual(types(d.ctx.PROTOCOL.outgoing), table("device_to_daemon"));
  assert.deepEqual(Object.keys(d.ctx.HANDLERS).sort(), Object.keys(table("daemon_to_device")).sort());
  assert.deepEqual(JSON.parse(JSON.stringify(d.ctx.PROTOCOL.defaults)), PROTOCOL.defaults);
});

test("a message added to protocol/osc.json reaches the device's table through the build", () => {
  const fs = require("fs");
  const build = require("../build.js");
  const protocol = JSON.parse(JSON.stringify(PROTOCOL));
  protocol.messages.push({ address: "/mixscout/new_thing", direction: "daemon_to_device", args: [{ name: "n", type: "i" }], meaning: "test" });
  protocol.defaults.heartbeat_s = 5;
  const script = build.scriptWithProtocol(fs.readFileSync(require("./helpers").SCRIPT_PATH, "utf8"), protocol);
  const d = loadDevice({ script });
  assert.deepEqual(JSON.parse(JSON.stringify(d.ctx.PROTOCOL.incoming["/mixscout/new_thing"])), { types: "i", enums: {} });
  assert.equal(d.ctx.PROTOCOL.defaults.heartbeat_s, 5);
  d.send("loadbang");
  d.send("/mixscout/new_thing", 1);   // known to the table, not yet shown: ignored, no crash
  assert.ok(d.posts.some((p) => p.includes("/mixscout/new_thing")));
  // The heartbeat timeout follows the protocol's heartbeat_s.
  d.osc("/mixscout/status", "idle", "");
  d.clock.advance(12000);
  assert.equal(d.panel.light.on, true, "3 x 5 s of silence not reached yet");
  d.clock.advance(4000);
  assert.equal(d.panel.light.on, false);
});

// Locate: 120 BPM 4/4: 45.2 s = 90.4 beats = bar 23 beat 3 (22 bars of 4 beats before it);
// 83.0 s = 166 beats = bar 42 beat 3. 6/8 at 90 BPM (Live's tempo counts quarter notes, a 6/8
// bar is 3 of them, its beat an eighth): 10 s = 15 quarter notes = bar 6 beat 1.
test("a fix's times show in bars.beats of the Live Set and a click moves Live's playhead there", () => {
  const live = { tempo: 120, numerator: 4, denominator: 4 };
  const d = loadDevice({ live });
  d.send("loadbang");
  exportWithFixes(d, "Song", 2, [["critical", "Clipping at 0:45", "Pull down"], ["important", "Too dark", "Shelf up"]]);
  d.osc("/mixscout/fix_times", 1, "45.2,83.0");
  d.osc("/mixscout/fix_times", 2, "");
  assert.equal(d.panel.fix1_go.text, "0:45 1/2", "seconds until Live's API is ready ([live.thisdevice])");
  d.send("ui_start");
  assert.equal(d.panel.fix1_go.text, "23.3 1/2");
  assert.equal(d.panel.fix2_go.text, "-", "no times, nowhere to go");
  d.send("ui_locate", 1);
  assert.deepEqual(live.songTime, [90.4]);
  assert.equal(d.panel.fix1_go.text, "42.3 2/2", "the next click goes to the next moment");
  d.send("ui_locate", 1);
  d.send("ui_locate", 1);
  assert.deepEqual(live.songTime.map((b) => Math.round(b * 1000) / 1000), [90.4, 166, 90.4]);
  d.send("ui_locate", 2);
  assert.equal(live.songTime.length, 3, "a fix without times moves nothing");
  // The export starts at bar 9 of the arrangement: 8 bars (32 beats) later; the button shows the
  // second moment next: 166 + 32 = 198 beats = 49 bars + 2 beats = bar 50 beat 3.
  d.send("ui_start_bar", 9);
  assert.equal(d.panel.fix1_go.text, "50.3 2/2");
  d.send("ui_locate", 1);
  assert.equal(live.songTime.at(-1), 198);
  assert.equal(d.panel.fix1_go.text, "31.3 1/2", "90.4 + 32 = 122.4 beats = bar 31 beat 3");
  d.send("ui_start_bar", 0);
  d.send("ui_start_bar", 10000);
  assert.equal(d.panel.fix1_go.text, "31.3 1/2", "start bars outside 1-9999 are ignored");
  d.send("ui_start_bar", 1);
  // Another signature and tempo.
  live.tempo = 90; live.numerator = 6; live.denominator = 8;
  d.osc("/mixscout/fix", 1, "critical", "Clipping at 0:10", "Pull down");
  d.osc("/mixscout/fix_times", 1, "10.0");
  assert.equal(d.panel.fix1_go.text, "6.1");
  d.send("ui_locate", 1);
  assert.equal(live.songTime.at(-1), 15);
  // Junk in the times is skipped; a new fix list clears them.
  d.osc("/mixscout/fix_times", 1, "abc,-3,12.5x,2.0");
  assert.equal(d.panel.fix1_go.text, "2.1");
  exportWithFixes(d, "Song", 3, []);
  assert.equal(d.panel.fix1_go.text, "-");
  assert.deepEqual(d.errors, []);
});

test("ears: the three buttons send the vote, the daemon's acknowledgement shows and refreshes the history", () => {
  const d = started();
  exportWithFixes(d, "Song", 4, []);
  d.osc("/mixscout/verdict", "slight_improvement", "1 fixed");
  d.send("ui_ears", "worse");
  d.send("ui_ears", "louder");   // not a vote
  assert.deepEqual(d.sent("/mixscout/ears").map((m) => m.args), [["worse"]]);
  assert.match(d.panel.ears_status.text, /worse - sent/);
  const asks = d.sent("/mixscout/history").length;
  d.osc("/mixscout/ears_logged", 41, "worse");
  assert.equal(d.panel.ears_status.text, "ears: worse - logged");
  assert.equal(d.sent("/mixscout/history").length, asks + 1);
  // The daemon answers ears-worse-numbers-better with the advice as the verdict's summary.
  d.osc("/mixscout/verdict", "slight_improvement", "Ears said #4 was worse, numbers better: undo or halve that change");
  assert.match(d.panel.verdict.text, /^Slightly better: Ears said #4 was worse, numbers better: undo or/);
  // A new export clears the vote shown.
  exportWithFixes(d, "Song", 5, []);
  assert.equal(d.panel.ears_status.text, "");
  for (const [selector, vote] of [["ears_better", "better"], ["ears_same", "same"], ["ears_worse", "worse"]]) {
    const box = d.patcher.boxes.map((b) => b.box).find((b) => b.varname === selector);
    const line = d.patcher.lines.find((l) => l.patchline.source[0] === box.id);
    const msg = d.patcher.boxes.map((b) => b.box).find((b) => b.id === line.patchline.destination[0]);
    assert.equal(msg.text, `ui_ears ${vote}`, `${selector} sends ${vote}`);
  }
  assert.deepEqual(d.errors, []);
});

test("focus menu, Master and Open report", () => {
  const d = started();
  const areas = PROTOCOL.messages.find((m) => m.address === "/mixscout/focus").args[0].enum;
  const menu = d.patcher.boxes.map((b) => b.box).find((b) => b.varname === "focus_menu");
  assert.deepEqual(menu.saved_attribute_attributes.valueof.parameter_enum, areas, "the menu lists the protocol's areas in order");
  d.send("ui_focus", 0);
  d.send("ui_focus", 3);
  d.send("ui_focus", 8.0);
  d.send("ui_focus", 9);
  assert.deepEqual(d.sent("/mixscout/focus").map((m) => m.args[0]), ["all", "highs", "clashes"]);

  d.send("ui_master");
  exportWithFixes(d, "Night Drive", 2, []);
  d.send("ui_master");
  assert.deepEqual(d.sent("/mixscout/master").map((m) => m.args[0]), ["", "/exports/Night Drive 2.wav"]);

  d.send("ui_report");
  assert.equal(d.toMax.length, 0);
  assert.equal(d.panel.status.text, "no report yet");
  d.osc("/mixscout/report", "/Users/me/Music/mixscout/Night Drive #2.html");
  assert.equal(d.panel.status.text, "report ready");
  d.send("ui_report");
  assert.deepEqual(d.toMax, [{ receiver: "max", message: "launchbrowser file:///Users/me/Music/mixscout/Night%20Drive%20%232.html" }]);
  d.osc("/mixscout/report", "C:\\Users\\me\\mixscout\\Night Drive.html");
  d.send("ui_report");
  assert.equal(d.toMax[1].message, "launchbrowser file:///C:/Users/me/mixscout/Night%20Drive.html");
  // A new export has no report until the daemon says so.
  exportWithFixes(d, "Night Drive", 3, []);
  d.send("ui_report");
  assert.equal(d.toMax.length, 2);
  assert.deepEqual(d.errors, []);
});

test("the hello proves the device with the daemon's token, read from its file on each hello", () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mixscout-token-"));
  const file = path.join(tmp, "osc-token");
  const d = loadDevice({ os: "windows", files: { "~:/AppData/Roaming/mixscout/osc-token": file } });
  d.send("loadbang");
  assert.deepEqual(d.sent("/mixscout/hello").pop().args, [PROTOCOL.defaults.device_listen_port, ""]);
  fs.writeFileSync(file, "0123456789abcdef0123456789abcdef\n");   // the daemon starts and writes it
  d.clock.advance(4000);
  assert.deepEqual(d.sent("/mixscout/hello").pop().args, [PROTOCOL.defaults.device_listen_port, "0123456789abcdef0123456789abcdef"]);
  fs.rmSync(tmp, { recursive: true, force: true });
});
