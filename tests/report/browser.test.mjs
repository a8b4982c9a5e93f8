// The HTML report in a real browser (ctest: report_browser). The real `mixscout report` binary
// writes a report of a built song with stems; Debian's chromium (headless, through playwright-core)
// loads it with the network off; no console error, a screenshot, and in the DOM: every plot exists
// and has data, the marked times are the JSON's issue times, the drawn series are the JSON's.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");
const require = createRequire(path.join(root, "daemon/report/web/package.json"));
const { chromium } = require("playwright-core");
const bin = process.env.MIXSCOUT_BIN || path.join(root, "build/mixscout");
const browserPath = process.env.CHROMIUM || "/usr/bin/chromium";

// A 40 s song: pink noise with a loud, clipping passage at 20-22 s; stems "Kick" (63 Hz) and "Bass"
// (66 Hz), one third-octave band, equally loud: a clash. sox builds them (scripts/install-deps installs it).
function buildSong(dir) {
  const sox = (...args) => execFileSync("sox", args, { stdio: ["ignore", "ignore", "ignore"] });
  sox("-n", "-r", "48000", "-b", "24", "-c", "2", path.join(dir, "a.wav"), "synth", "20", "pinknoise", "gain", "-14");
  sox("-n", "-r", "48000", "-b", "24", "-c", "2", path.join(dir, "b.wav"), "synth", "2", "sine", "200", "gain", "2");
  sox("-n", "-r", "48000", "-b", "24", "-c", "2", path.join(dir, "c.wav"), "synth", "18", "pinknoise", "gain", "-16");
  sox(path.join(dir, "a.wav"), path.join(dir, "b.wav"), path.join(dir, "c.wav"), path.join(dir, "song.wav"));
  const stems = path.join(dir, "stems");
  fs.mkdirSync(stems);
  sox("-n", "-r", "48000", "-b", "24", "-c", "2", path.join(stems, "Song 1-Kick.wav"), "synth", "40", "sine", "63", "gain", "-10");
  sox("-n", "-r", "48000", "-b", "24", "-c", "2", path.join(stems, "Song 2-Bass.wav"), "synth", "40", "sine", "66", "gain", "-10");
  return { song: path.join(dir, "song.wav"), stems };
}

test("a report from the real binary renders offline in chromium, with every plot and the JSON's times", async () => {
  assert.ok(fs.existsSync(browserPath), `${browserPath} missing: run scripts/install-deps (chromium)`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mixscout-report-"));
  const userData = fs.mkdtempSync(path.join(os.tmpdir(), "mixscout-chromium-"));
  let browser;
  try {
    const { song, stems } = buildSong(dir);
    const out = path.join(dir, "song.html");
    const data = path.join(dir, "data");
    // The mastering section from a real `mixscout master --json` (against a pink-noise reference).
    const masterJson = path.join(dir, "master.json");
    fs.writeFileSync(masterJson, execFileSync(bin, ["master", song, "--reference", path.join(dir, "c.wav"), "-o", path.join(dir, "master.wav"), "--json"]));
    const printed = execFileSync(bin, ["report", song, "-o", out, "--stems", stems, "--data-dir", data, "--master", masterJson]).toString().trim();
    assert.equal(printed, out);
    const json = JSON.parse(execFileSync(bin, ["analyze", song, "--json", "--no-history", "--stems", stems], { maxBuffer: 64 << 20 }).toString());

    browser = await chromium.launchPersistentContext(userData, {
      executablePath: browserPath,
      headless: true,
      offline: true,
      viewport: { width: 1200, height: 900 },
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"],
    });
    const page = browser.pages()[0] || await browser.newPage();
    const problems = [];
    const requests = [];
    page.on("console", (m) => { if (m.type() === "error" || m.type() === "warning") problems.push(`${m.type()}: ${m.text()}`); });
    page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
    page.on("request", (r) => { if (!r.url().startsWith("file:")) requests.push(r.url()); });
    await page.goto("file://" + out);
    await page.waitForSelector("body[data-ready='1']", { timeout: 30000 });

    const shot = process.env.REPORT_SCREENSHOT || path.join(dir, "report.png");
    await page.screenshot({ path: shot, fullPage: true });
    assert.ok(fs.statSync(shot).size > 20000, "screenshot written");
    assert.deepEqual(problems, [], "no console errors or warnings");
    assert.deepEqual(requests, [], "nothing requested from the network");

    // Every plot: a canvas, and data points.
    const plots = ["plot-loudness", "plot-tonal", "plot-stereo-bands", "plot-stereo-time", "plot-dynamics", "plot-clashes", "plot-history",
      "plot-master-eq", "plot-master-spectra", "plot-master-gr"];
    for (const id of plots) {
      const info = await page.evaluate((pid) => {
        const box = document.getElementById(pid);
        if (!box) return null;
        const canvas = box.querySelector("canvas");
        return { canvas: !!canvas && canvas.width > 100 && canvas.height > 50, points: Number(box.getAttribute("data-points")) };
      }, id);
      assert.ok(info, `${id} exists`);
      assert.ok(info.canvas, `${id} has a drawn canvas`);
      assert.ok(info.points > 0, `${id} has data (${info.points})`);
    }

    // The loudness plot draws the JSON's series and marks every issue's times, exactly.
    const drawn = await page.evaluate(() => {
      const u = window.mixscoutReport.plots["plot-loudness"];
      return { shortTerm: u.data[2], marks: window.mixscoutReport.marks["plot-loudness"],
        clashMarks: window.mixscoutReport.marks["plot-clashes"] };
    });
    const st = json.loudness.short_term_series;
    assert.equal(drawn.shortTerm.length, st.length);
    st.forEach((v, i) => assert.equal(drawn.shortTerm[i], v <= -70 ? null : v, `short-term ${i}`));
    const expected = json.issues.flatMap((i) => i.times_s).sort((x, y) => x - y);
    assert.ok(expected.length > 0, "the song has timed issues (clipping at 20-22 s)");
    assert.deepEqual([...drawn.marks].sort((x, y) => x - y), expected);
    const clip = json.issues.find((i) => i.rule === "clipping");
    assert.ok(clip && clip.times_s.every((t) => t >= 19.9 && t <= 22.1), "clipping marked inside the loud passage");
    const clashTimes = json.stems.clashes.flatMap((c) => c.times_s).sort((x, y) => x - y);
    assert.ok(clashTimes.length > 0, "the stems clash");
    assert.deepEqual([...drawn.clashMarks].sort((x, y) => x - y), clashTimes);

    // Every issue is listed and its "show" link leads to a plot that exists.
    const links = await page.evaluate(() => [...document.querySelectorAll("#issues a.show")].map((a) => a.getAttribute("href")));
    assert.equal(links.length, json.issues.length);
    for (const href of links) assert.ok(await page.$(href), `${href} exists`);
    // The master's numbers are the JSON's.
    const master = JSON.parse(fs.readFileSync(masterJson, "utf8"));
    const eqDrawn = await page.evaluate(() => window.mixscoutReport.plots["plot-master-eq"].data[1]);
    assert.deepEqual(eqDrawn, master.eq.bands.map((b) => b.mid_db));
    const grDrawn = await page.evaluate(() => window.mixscoutReport.plots["plot-master-gr"].data[1]);
    assert.deepEqual(grDrawn, master.limiter.series_db);
    // The tonal plot names the curve the rules judged by: the classifier's pick, and why.
    const targetText = await page.locator("#tonal p.target-source").textContent();
    assert.ok(targetText.startsWith(`Target: curve ${json.material.curve}, picked by the material classifier: ${json.material.family}`), targetText);
    assert.ok(targetText.includes(json.material.why), targetText);
    // The history row of this export is there.
    assert.equal(await page.locator("#history tr.current").count(), 1);
  } finally {
    if (browser) await browser.close();
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(userData, { recursive: true, force: true });
  }
});
