#!/usr/bin/env python3
"""Summarises scripts/judge-eval's JSON: false alarms on untouched music, detection of defects.

Usage: judge-eval-report.py OUT_DIR   (OUT_DIR/json/*.json from `mixscout analyze --json`)
"""
import collections
import json
import os
import re
import statistics
import sys

JUDGEMENT = {"tonal", "stereo", "phase", "dynamics"}
SERIOUS = {"critical", "important"}
# defect -> the categories that name it correctly
EXPECT = {
    "clip": {"clipping"},
    "lowpass": {"tonal"},
    "bass": {"tonal"},
    "mono": {"stereo"},
    "polarity": {"phase"},
    "saturate": {"dynamics"},
    "silent": {"format"},
    "dither": {"format"},
    "resample": {"format"},
}
# Kinds whose finding is judged at any severity (a finding by consequence may be polish): the
# rule must name it. resample: an upsampled export is not damage (rules.format.resampled).
ANY_SEVERITY = {"resample": "format.resampled"}
RULE = {"dither": "format.dither", "resample": "format.resampled"}
# The bass shelf named as a low end (not another tonal finding of the same track): the rules
# that read the region the shelf moved.
LOW_END_RULES = {"tonal.boomy", "tonal.change.low_end"}
KINDS = ["clip", "lowpass", "bass", "mono", "polarity", "saturate", "silent", "dither", "resample"]


def detected(kind, j):
    """The issues that count as catching `kind` in analysis j."""
    if kind in ANY_SEVERITY:
        return [i for i in j["issues"] if i["rule"] == ANY_SEVERITY[kind]]
    return [i for i in j["issues"] if i["category"] in EXPECT[kind] and i["severity"] in SERIOUS
            and (kind not in RULE or i["rule"] == RULE[kind])
            and (kind != "silent" or i["severity"] == "critical")]


def load(path):
    with open(path) as f:
        return json.load(f)


def family(name):
    return name.split("-", 1)[0]


def curves():
    """tonal.curves and tonal.centres_hz from config/mixscout.yaml (the shipped defaults)."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "config", "mixscout.yaml")
    found = {}
    with open(path) as f:
        for line in f:
            m = re.match(r"\s+(centres_hz|modern|orchestral):\s*\[([^\]]*)\]", line)
            if m:
                found[m.group(1)] = [float(v) for v in m.group(2).split(",")]
    return found


def low_end_deviation(j, cv):
    """The boomy region's deviation (octave bands 63 and 125 Hz) from the curve the file was judged
    by, after removing the median deviation: what rules_tonal.cpp (Evaluator::deviations) reads."""
    target = cv.get(j.get("material", {}).get("curve", ""))
    bands = j["spectrum"]["bands"]
    if not target or len(bands) != len(target):
        return None
    nyq = j["format"]["sample_rate"] / 2
    dev = [(( b["lo_hz"] * b["hi_hz"]) ** 0.5, b["db"] - t) for b, t in zip(bands, target)
           if (b["lo_hz"] * b["hi_hz"]) ** 0.5 >= 45 and b["hi_hz"] <= nyq * 1.01 and b["db"] > -119]
    if not dev:
        return None
    off = statistics.median(v for _, v in dev)
    low = [v - off for c, v in dev if 44 <= c <= 180]
    return sum(low) / len(low) if low else None


def pct(v, q):
    v = sorted(v)
    return v[min(len(v) - 1, max(0, round(q * (len(v) - 1))))]


def per_set(tracks, hit):
    """ "wesnoth 12/40, fof 3/8, gm 8/8": detections per source set."""
    n = collections.Counter(family(t) for t in tracks)
    k = collections.Counter(family(t) for t in hit)
    return ", ".join(f"{s} {k[s]}/{n[s]}" for s in sorted(n))


def main():
    out = sys.argv[1]
    jdir = os.path.join(out, "json")
    clean = {}
    defects = collections.defaultdict(dict)  # defect -> track -> json
    for fn in sorted(os.listdir(jdir)):
        if not fn.endswith(".json"):
            continue
        j = load(os.path.join(jdir, fn))
        stem = fn[: -len(".json")]
        stem = stem.rsplit(".", 1)[0]  # drop the audio extension
        if "." in stem:
            track, kind = stem.rsplit(".", 1)
            defects[kind][track] = j
        else:
            clean[stem] = j

    print("== Untouched released tracks (profile streaming) ==")
    per_family = collections.defaultdict(lambda: [0, 0, collections.Counter()])
    all_calls = collections.Counter()
    for name, j in clean.items():
        calls = [i for i in j["issues"] if i["category"] in JUDGEMENT and i["severity"] in SERIOUS]
        fam = per_family[family(name)]
        fam[0] += 1
        fam[1] += len(calls)
        for i in calls:
            fam[2][i["rule"] + " " + i["severity"]] += 1
            all_calls[i["rule"] + " " + i["severity"]] += 1
        mat = j.get("material", {})
        print(f"  {name:44s} family {mat.get('family', '?'):8s} calls {len(calls)}"
              + ("  " + "; ".join(f"{i['rule']} {i['severity']}" for i in calls) if calls else ""))
    tracks = sum(f[0] for f in per_family.values())
    calls = sum(f[1] for f in per_family.values())
    for fam, (n, c, _) in sorted(per_family.items()):
        print(f"  {fam}: {n} tracks, {c} judgement calls, {c / n:.2f} per track")
    print(f"  ALL: {tracks} tracks, {calls} judgement calls, {calls / max(tracks, 1):.3f} per track")
    # Released music: the mastered Wesnoth tracks and the Frets on Fire songs. The General MIDI
    # renders are raw synth renders of game note charts, not released mixes: context only.
    rel = [f for k, f in per_family.items() if k in ("wesnoth", "fof")]
    rt, rc = sum(f[0] for f in rel), sum(f[1] for f in rel)
    print(f"  RELEASED (wesnoth + fof): {rt} tracks, {rc} judgement calls, {rc / max(rt, 1):.3f} per track (bar: < 0.25)")
    if all_calls:
        print("  calls by rule: " + ", ".join(f"{k} x{v}" for k, v in all_calls.most_common()))
    sev_all = collections.Counter(i["severity"] for j in clean.values() for i in j["issues"])
    print("  every issue on them, by severity: " + ", ".join(f"{k} {v}" for k, v in sorted(sev_all.items())))

    print("== Inserted defects (profile streaming): flagged important/critical in the right category ==")
    total_ok = total_n = 0
    for kind in KINDS:
        tracks = defects.get(kind, {})
        ok, missed = 0, []
        for track, j in sorted(tracks.items()):
            hit = detected(kind, j)
            if hit:
                ok += 1
            else:
                missed.append(track + " (" + ", ".join(f"{i['rule']} {i['severity']}" for i in j["issues"][:4]) + ")")
        total_ok += ok
        total_n += len(tracks)
        hit = [t for t, j in tracks.items() if detected(kind, j)]
        print(f"  {kind:9s} {ok}/{len(tracks)} ({per_set(tracks, hit)})" + ("   missed: " + "; ".join(missed) if missed else ""))
        if kind == "bass":
            low = [t for t, j in tracks.items() if any(i["rule"] in LOW_END_RULES for i in detected(kind, j))]
            print(f"  {'':9s} of them by a low-end finding ({', '.join(sorted(LOW_END_RULES))}): {len(low)}/{len(tracks)} ({per_set(tracks, low)})")
    print(f"  ALL: {total_ok}/{total_n} detected")
    # False alarms of the new export checks: dithered 16-bit copies and everything else.
    dith = defects.get("dithered", {})
    fa = [t for t, j in sorted(dith.items()) if any(i["rule"] == "format.dither" for i in j["issues"])]
    print(f"  dithered (TPDF) 16-bit copies flagged as undithered: {len(fa)}/{len(dith)}" + (": " + ", ".join(fa) if fa else ""))
    others = [(k, t) for k, ts in defects.items() if k not in ("resample",) for t, j in ts.items()
              if any(i["rule"] == "format.resampled" for i in j["issues"])]
    others += [("clean", n) for n, j in clean.items() if any(i["rule"] == "format.resampled" for i in j["issues"])]
    loud = defects.get("loud", {})
    sat = [t for t, j in sorted(loud.items()) if any(i["rule"] == "dynamics.saturated" for i in j["issues"])]
    if loud:
        print(f"  loud (6 dB into a limiter) copies called saturated: {len(sat)}/{len(loud)}" + (": " + ", ".join(sat) if sat else ""))
    for name, group in (("untouched released", [j for n, j in clean.items() if not n.startswith("gm-")]),
                        ("untouched excerpts", list(defects.get("base", {}).values())),
                        ("loud (limited)", list(loud.values())),
                        ("saturated", list(defects.get("saturate", {}).values()))):
        if not group:
            continue
        s = sorted(j["dynamics"].get("half_peak_share", 0.0) for j in group)
        c = sorted(j["dynamics"].get("hop_crest_db", 0.0) for j in group)
        p = sorted(j["dynamics"]["plr_db"] for j in group)
        print(f"  {name} ({len(group)}): half-peak share {100 * s[0]:.1f}-{100 * s[-1]:.1f} %, hop crest {c[0]:.2f}-{c[-1]:.2f} dB, "
              f"PLR {p[0]:.1f}-{p[-1]:.1f} dB")
    print(f"  format.resampled on files that were never resampled: {len(others)}" + (": " + ", ".join(f"{t}.{k}" for k, t in others[:8]) if others else ""))

    idir = os.path.join(out, "json-iter")
    if os.path.isdir(idir):
        print("== The same defects as the second export of their song (the untouched excerpt was the first) ==")
        it = collections.defaultdict(dict)
        for fn in sorted(os.listdir(idir)):
            if fn.endswith(".json"):
                track, kind = fn[: -len(".json")].rsplit(".", 1)
                it[kind][track] = load(os.path.join(idir, fn))
        iok = itot = 0
        for kind in [k for k in KINDS if k in it]:
            tracks = it[kind]
            hit = {t for t, j in tracks.items() if detected(kind, j)}
            iok += len(hit)
            itot += len(tracks)
            missed = sorted(set(tracks) - hit)
            print(f"  {kind:9s} {len(hit)}/{len(tracks)} ({per_set(tracks, hit)})" + ("   missed: " + ", ".join(missed) if missed else ""))
        print(f"  ALL: {iok}/{itot} detected")

    # Why a bass shelf without history is hard: the low end of untouched released music against
    # its family's curve, and where the shelf puts the same tracks (released sets only).
    cv = curves()
    print("== The low end (boomy region, 63 + 125 Hz octaves) against the family's curve, released sets ==")
    untouched = collections.defaultdict(list)
    for name, j in list(clean.items()) + list(defects.get("base", {}).items()):
        if family(name) in ("wesnoth", "fof"):
            d = low_end_deviation(j, cv)
            if d is not None:
                untouched[j["material"]["family"]].append(d)
    boosted = collections.defaultdict(list)
    moved = []
    flips = []
    for t, j in defects.get("bass", {}).items():
        if family(t) not in ("wesnoth", "fof"):
            continue
        d = low_end_deviation(j, cv)
        if d is not None:
            boosted[j["material"]["family"]].append(d)
        b = defects.get("base", {}).get(t)
        if b:
            if b["material"]["family"] != j["material"]["family"]:
                flips.append(f"{t} {b['material']['family']}->{j['material']['family']}")
            # The shelf's move, judged against the untouched excerpt's own curve both times.
            jb = dict(j, material=b["material"])
            x, y = low_end_deviation(jb, cv), low_end_deviation(b, cv)
            if x is not None and y is not None:
                moved.append(x - y)
    for fam in sorted(untouched):
        u, v = untouched[fam], boosted.get(fam, [])
        line = (f"  {fam:8s} untouched (as released + excerpts) n={len(u)}: p10 {pct(u, .1):+.1f}, p90 {pct(u, .9):+.1f}, "
                f"max {max(u):+.1f} dB")
        if v:
            line += (f" | with the shelf n={len(v)}: min {min(v):+.1f}, median {statistics.median(v):+.1f}; above the untouched max: "
                     f"{sum(x > max(u) for x in v)}/{len(v)}; at or below the untouched median ({statistics.median(u):+.1f}): "
                     f"{sum(x <= statistics.median(u) for x in v)}/{len(v)} (a limit that flags those flags half of released music)")
        print(line)
    if moved:
        print(f"  the shelf moves the region {min(moved):+.1f} to {max(moved):+.1f} dB (same curve before and after)")
    print(f"  family changed by the shelf: {len(flips)}/{len(defects.get('bass', {}))}" + (": " + ", ".join(sorted(flips)) if flips else ""))

    # The excerpts before the defects: what was already flagged (context, not a failure).
    base = defects.get("base", {})
    if base:
        c = sum(1 for j in base.values() for i in j["issues"] if i["category"] in JUDGEMENT and i["severity"] in SERIOUS)
        print(f"  (the {len(base)} untouched 60 s excerpts, 24-bit WAV: {c} judgement calls)")


if __name__ == "__main__":
    main()
