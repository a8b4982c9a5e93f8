#include "rules/rules.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>

#include "core/error.hpp"
#include "core/units.hpp"
#include "rules/material.hpp"

namespace mixscout::rules {
namespace {

using analysis::Analysis;
using analysis::Band;

/// A loudness below this is silence (the BS.1770 absolute gate is -70 LUFS).
constexpr double silent_lufs = -69.0;

std::string num(double v, int decimals = 1) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    std::string s = buf;
    if (s == "-0.0" || s == "-0") s = s.substr(1);
    return s;
}
std::string signed_num(double v, int decimals = 1) {
    std::string s = num(v, decimals);
    if (v > 0) s.insert(s.begin(), '+');
    return s;
}
/// Gain moves are suggested in half-dB steps, rounded up so the fix is enough.
double half_db_up(double db) { return std::ceil(db * 2.0 - 1e-9) / 2.0; }
double half_db(double db) { return std::round(db * 2.0) / 2.0; }
std::string hz(double f) { return f >= 1000.0 ? num(f / 1000.0, f >= 10000.0 ? 0 : 1) + " kHz" : num(f, 0) + " Hz"; }

struct Profile {
    std::string name;
    bool premaster = true;
    double target_lufs = -14.0;
    double louder_tolerance_lu = 0.0;
    double quieter_tolerance_lu = 20.0;
    double ceiling_dbtp = 0.0;
};

struct Curve {
    std::vector<double> centre_hz, db;
    /// Target at f (dB), linear in log2(f) between the given points, flat beyond them.
    double at(double f) const {
        if (centre_hz.empty()) return 0.0;
        if (f <= centre_hz.front()) return db.front();
        if (f >= centre_hz.back()) return db.back();
        for (std::size_t k = 1; k < centre_hz.size(); ++k)
            if (f <= centre_hz[k]) {
                const double t = std::log2(f / centre_hz[k - 1]) / std::log2(centre_hz[k] / centre_hz[k - 1]);
                return db[k - 1] + t * (db[k] - db[k - 1]);
            }
        return db.back();
    }
};

/// tonal.curves[name] (default: tonal.curve) at tonal.centres_hz. Throws InputError when they do
/// not fit together (the schema checks each value; these cross-key checks are the rules' own).
Curve target_curve(const config::Tonal& tonal, std::string name = {}) {
    Curve c;
    if (name.empty()) name = tonal.curve;
    const std::vector<double>* db = tonal.curves.find(name);
    if (!db) throw InputError("config: tonal.curve '" + name + "' is not one of tonal.curves (" + tonal.curves.joined_names() + ")");
    c.centre_hz = tonal.centres_hz;
    c.db = *db;
    if (c.centre_hz.size() != c.db.size() || c.centre_hz.size() < 2)
        throw InputError("config: tonal.curves." + name + " has " + std::to_string(c.db.size()) + " values for " +
                         std::to_string(c.centre_hz.size()) + " tonal.centres_hz");
    if (!std::is_sorted(c.centre_hz.begin(), c.centre_hz.end()) ||
        std::adjacent_find(c.centre_hz.begin(), c.centre_hz.end()) != c.centre_hz.end())
        throw InputError("config: tonal.centres_hz must rise from low to high");
    return c;
}

class Evaluator {
public:
    Evaluator(const Analysis& a, const config::Config& cfg, Profile p)
        : a_(a), cfg_(cfg), r_(cfg.settings().rules), tonal_(cfg.settings().tonal), p_(std::move(p)) {}

    std::vector<Issue> run() {
        // A silent or near-silent export is the finding: nothing else about it means anything.
        if (silent_export()) {
            rank(out_);
            return std::move(out_);
        }
        const bool silent = a_.loudness.integrated_lufs <= silent_lufs;
        if (!silent) material_ = material_of(a_, cfg_);
        const bool clipped = float_overs() || clipping();
        if (!clipped) {
            true_peak();
            if (p_.premaster) headroom(silent);
        }
        if (!silent) {
            loudness();
            dynamics();
            tonal();
            if (a_.format.channels == 2) stereo();
            dc_offset();
            silence();
        }
        format();
        // A whole-file phase problem is the cause of the mono loss: report it once.
        const bool phase_whole = std::any_of(out_.begin(), out_.end(), [](const Issue& i) { return i.rule == "phase"; });
        if (phase_whole)
            out_.erase(std::remove_if(out_.begin(), out_.end(), [](const Issue& i) { return i.rule == "stereo.mono_loss"; }), out_.end());
        rank(out_);
        return std::move(out_);
    }

private:
    const Analysis& a_;
    const config::Config& cfg_;
    const config::Rules& r_;
    const config::Tonal& tonal_;
    Profile p_;
    std::vector<Issue> out_;
    Material material_;

    bool acoustic() const { return material_.family == "acoustic"; }

    std::string profile_source() const { return "profile " + p_.name; }
    std::string rule_source(const std::string& key) const { return "rules." + key; }

    Issue& add(std::string rule, std::string category, Severity sev) {
        Issue& i = out_.emplace_back();
        i.target_source = rule_source(rule);  // the rule's threshold in the config, unless set below
        i.rule = std::move(rule);
        i.category = std::move(category);
        i.severity = sev;
        return i;
    }
    /// "Utility on the master (first device): Gain -X dB" so the peaks land at peak_target_dbfs.
    std::string gain_down_fix(double peak_db) const {
        if (p_.premaster) {
            const double target = r_.headroom.peak_target_dbfs;
            const double cut = std::max(1.0, half_db_up(peak_db - target));
            return "Utility on the master (first device): Gain -" + num(cut) + " dB, so peaks sit near " + num(target) +
                   " dBFS; switch off any Limiter on the master for the mix export";
        }
        const double cut = std::max(0.5, half_db_up(peak_db - p_.ceiling_dbtp));
        return "Utility before the Limiter on the master: -" + num(cut) + " dB, and Limiter Ceiling " + num(p_.ceiling_dbtp) +
               " dB with True Peak on";
    }

    // ---- silent export ---------------------------------------------------------------------------
    bool silent_export() {
        if (!r_.silence.whole.enabled) return false;
        const double lufs = a_.loudness.integrated_lufs, lim = r_.silence.whole.max_lufs;
        if (lufs > lim) return false;
        const bool digital = lufs <= silent_lufs && a_.peak.sample_peak_dbfs <= silence_floor_db + 1.0;
        Issue& i = add("silence.export", "format", r_.silence.whole.severity);
        i.title = digital ? "The export is silent" : "The export is nearly silent: " + num(lufs) + " LUFS";
        i.detail = "integrated loudness " + (lufs <= silent_lufs ? std::string("below -70") : num(lufs)) + " LUFS, sample peak " +
                   num(a_.peak.sample_peak_dbfs) + " dBFS (a song is louder than " + num(lim) + " LUFS)";
        i.fix = "Check the routing (Master not muted, no track soloed that is silent, tracks' Audio To: Master) and the export "
                "range (Export Audio/Video: Render Start and Length cover the song), then export again";
        i.value = std::max(lufs, -70.0);
        i.target = lim;
        i.unit = "LUFS";
        i.score = 1.0 + (lim - i.value);
        return true;
    }

    static bool is_float(const analysis::FormatInfo& f) { return f.encoding.find("float") != std::string::npos || f.encoding == "double"; }

    /// A float export over 0 dBFS: nothing clipped yet, every fixed-point copy will clip. Replaces
    /// the clipping rule (its full-scale runs are these overs).
    bool float_overs() {
        if (!r_.format.float_overs.enabled || !is_float(a_.format) || a_.peak.sample_peak_dbfs <= 0.0005) return false;
        const double peak = a_.peak.sample_peak_dbfs;
        Issue& i = add("format.float_overs", "clipping", r_.format.float_overs.severity);
        i.title = "32-bit float export peaks " + signed_num(peak, 2) + " dBFS over full scale (not clipped yet)";
        i.detail = "sample peak " + signed_num(peak, 2) + " dBFS, true peak " + signed_num(a_.peak.true_peak_dbtp) +
                   " dBTP in a float file: the overs are intact in this file, but a 24-bit copy, a lossy encode or "
                   "playback clips them; target: peaks below 0 dBFS";
        i.fix = gain_down_fix(std::max(peak, a_.peak.true_peak_dbtp)) + " (a float export keeps the overs, so nothing is lost yet)";
        for (const auto& e : a_.clipping.events)
            if (e.kind == "full_scale" && (i.times_s.empty() || e.time_s - i.times_s.back() >= 1.0) && i.times_s.size() < 20)
                i.times_s.push_back(e.time_s);
        i.value = peak;
        i.target = 0.0;
        i.unit = "dBFS";
        i.score = 1.0 + peak;
        return true;
    }

    // ---- clipping ----------------------------------------------------------------------------
    bool clipping() {
        if (!r_.clipping.enabled) return false;
        std::vector<double> starts;
        std::int64_t samples = 0;
        for (const auto& e : a_.clipping.events)
            if (e.kind == "full_scale") {
                starts.push_back(e.time_s);
                samples += e.samples;
            }
        // Events beyond the stored cap still count.
        const std::int64_t stored_all = static_cast<std::int64_t>(a_.clipping.events.size());
        std::int64_t count = static_cast<std::int64_t>(starts.size());
        if (a_.clipping.count > stored_all) count += a_.clipping.count - stored_all;
        const double max_events = r_.clipping.max_events;
        if (static_cast<double>(count) <= max_events) return false;

        std::sort(starts.begin(), starts.end());
        const double window = r_.clipping.merge_window_s;
        std::vector<double> moments;
        for (double t : starts)
            if (moments.empty() || t - moments.back() >= window) moments.push_back(t);
        // Codec overshoot: a handful of full-scale samples in a lossy decode are the encoder's
        // reconstruction of a master limited near 0 dBFS, not clipping in the master.
        const bool lossy = is_lossy(a_.format);
        const bool overshoot = lossy && samples <= static_cast<std::int64_t>(r_.clipping.lossy_overshoot_max_samples);
        Issue& i = add("clipping", "clipping",
                       overshoot ? r_.clipping.lossy_overshoot_severity
                       : lossy   ? r_.clipping.lossy_severity
                                 : r_.clipping.severity);
        std::string when;
        for (std::size_t k = 0; k < moments.size() && k < 3; ++k) when += (k ? ", " : "") + format_time(moments[k]);
        if (moments.size() > 3) when += " and " + std::to_string(moments.size() - 3) + " more";
        i.title = (overshoot ? std::string("Codec overshoot") : std::string("Clipping")) + (moments.empty() ? "" : " at " + when);
        i.detail = std::to_string(count) + " clipped run" + (count == 1 ? "" : "s") + " (" + std::to_string(samples) +
                   " samples at full scale); sample peak " + num(a_.peak.sample_peak_dbfs) + " dBFS, true peak " +
                   signed_num(a_.peak.true_peak_dbtp) + " dBTP; target: no clipping" +
                   (overshoot ? "; in a lossy (" + a_.format.encoding + ") file up to " + num(r_.clipping.lossy_overshoot_max_samples, 0) +
                                    " samples are the decoder's overshoot, not clipping in the master"
                              : "");
        i.fix = gain_down_fix(std::max({a_.peak.true_peak_dbtp, a_.peak.sample_peak_dbfs, 0.0}));
        i.times_s = moments;
        i.value = static_cast<double>(count);
        i.target = max_events;
        i.unit = "events";
        i.score = 1.0 + std::log2(static_cast<double>(count - static_cast<std::int64_t>(max_events)));
        return true;
    }

    // ---- true peak ---------------------------------------------------------------------------
    void true_peak() {
        if (!r_.true_peak.enabled) return;
        const double tp = a_.peak.true_peak_dbtp;
        if (tp <= p_.ceiling_dbtp) return;
        const Severity sev = tp >= r_.true_peak.critical_dbtp                       ? Severity::critical
                             : tp - p_.ceiling_dbtp <= r_.true_peak.near_ceiling_db ? r_.true_peak.near_severity
                                                                                        : r_.true_peak.severity;
        Issue& i = add("true_peak", "peak", sev);
        i.target_source = profile_source();
        i.title = "True peak " + signed_num(tp) + " dBTP, over the " + num(p_.ceiling_dbtp) + " dBTP ceiling";
        i.detail = "true peak " + signed_num(tp) + " dBTP (sample peak " + num(a_.peak.sample_peak_dbfs) + " dBFS); ceiling " +
                   num(p_.ceiling_dbtp) + " dBTP for " + p_.name;
        i.fix = gain_down_fix(tp);
        for (const auto& e : a_.clipping.events)
            if (e.kind == "true_peak_over" && (i.times_s.empty() || e.time_s - i.times_s.back() > 1.0)) i.times_s.push_back(e.time_s);
        if (i.times_s.size() > 20) i.times_s.resize(20);
        i.value = tp;
        i.target = p_.ceiling_dbtp;
        i.unit = "dBTP";
        i.score = 1.0 + (tp - p_.ceiling_dbtp);
    }

    // ---- headroom (pre-masters) ----------------------------------------------------------------
    void headroom(bool silent) {
        if (!r_.headroom.enabled || silent) return;
        const double peak = a_.peak.sample_peak_dbfs;
        const double hi = r_.headroom.peak_max_dbfs, lo = r_.headroom.peak_min_dbfs, target = r_.headroom.peak_target_dbfs;
        if (normalized()) return;
        if (peak > hi) {
            Issue& i = add("headroom", "loudness", r_.headroom.severity);
            i.title = "Not enough headroom for mastering: peaks at " + num(peak) + " dBFS";
            i.detail = "sample peak " + num(peak) + " dBFS; a mix for mastering peaks at or below " + num(hi) + " dBFS (about " +
                       num(target) + ")";
            i.fix = gain_down_fix(peak);
            i.value = peak;
            i.target = hi;
            i.unit = "dBFS";
            i.score = 1.0 + (peak - hi);
        } else if (peak < lo) {
            // Too quiet is a gain-staging slip, never urgent: always polish.
            Issue& i = add("headroom", "loudness", Severity::polish);
            i.title = "Mix is very quiet: peaks at " + num(peak) + " dBFS";
            i.detail = "sample peak " + num(peak) + " dBFS; aim for peaks around " + num(target) + " dBFS";
            i.fix = "Utility on the master (first device): Gain +" + num(half_db(target - peak)) + " dB";
            i.value = peak;
            i.target = lo;
            i.unit = "dBFS";
            i.score = 1.0 + (lo - peak) / 3.0;
        }
    }

    /// Live's Export "Normalize": the sample peak pinned at 0.00 dBFS without clipped runs, on a mix
    /// no limiter pinned. A gain cut would be undone by Normalize, so it names the switch instead.
    bool normalized() {
        if (!r_.format.normalize.enabled) return false;
        const double peak = a_.peak.sample_peak_dbfs;
        const bool clipped_run = std::any_of(a_.clipping.events.begin(), a_.clipping.events.end(),
                                             [](const analysis::ClipEvent& e) { return e.kind == "full_scale"; });
        if (peak < -r_.format.normalize.pinned_db || peak > 0.0005 || clipped_run ||
            a_.dynamics.plr_db < r_.format.normalize.min_plr_db)
            return false;
        Issue& i = add("format.normalize", "format", r_.format.normalize.severity);
        i.title = "Exported with Normalize on: peak pinned at " + num(peak, 2) + " dBFS";
        i.detail = "sample peak " + num(peak, 2) + " dBFS exactly, with no clipped run and PLR " + num(a_.dynamics.plr_db) +
                   " dB (no limiter did it): Live's Normalize raised the file to full scale, so the headroom a mastering "
                   "engineer needs (peaks near " + num(r_.headroom.peak_target_dbfs) + " dBFS) is gone";
        i.fix = "Export Audio/Video: switch Normalize off and export again (a Utility gain cut would be undone by Normalize)";
        i.value = peak;
        i.target = r_.headroom.peak_max_dbfs;
        i.target_source = rule_source("headroom.peak_max_dbfs");
        i.unit = "dBFS";
        i.score = 2.0;
        return true;
    }

    // ---- loudness --------------------------------------------------------------------------------
    void loudness() {
        if (!r_.loudness.enabled) return;
        const double lufs = a_.loudness.integrated_lufs;
        const double over = lufs - (p_.target_lufs + p_.louder_tolerance_lu);
        const double under = (p_.target_lufs - p_.quieter_tolerance_lu) - lufs;
        if (over > 0) {
            Issue& i = add("loudness", "loudness", p_.premaster ? r_.loudness.severity : r_.loudness.louder_severity);
            i.target_source = profile_source();
            const double down = lufs - p_.target_lufs;
            if (p_.premaster) {
                i.title = "Mix already as loud as a master: " + num(lufs) + " LUFS";
                i.detail = "integrated " + num(lufs) + " LUFS; a mix for mastering stays below the master's " + num(p_.target_lufs) +
                           " LUFS";
                i.fix = "Remove the Limiter (and any maximiser) from the master, then Utility on the master: Gain -" +
                        num(half_db_up(down + 4.0)) + " dB (to about " + num(p_.target_lufs - 4.0, 0) + " LUFS); loudness is mastering's job";
            } else {
                i.title = "Too loud for " + p_.name + ": " + num(lufs) + " LUFS (target " + num(p_.target_lufs) + ")";
                i.detail = "integrated " + num(lufs) + " LUFS, target " + num(p_.target_lufs) + " LUFS (+" + num(p_.louder_tolerance_lu) +
                           " LU allowed); playback will be turned down " + num(down) + " dB";
                i.fix = "Limiter on the master: Gain -" + num(half_db_up(down)) +
                        " dB (or Utility before it); normalisation plays it at " + num(p_.target_lufs) +
                        " LUFS anyway, and you keep the transients";
            }
            i.value = lufs;
            i.target = p_.target_lufs;
            i.unit = "LUFS";
            i.score = 1.0 + over;
        } else if (under > 0 && !p_.premaster) {
            const double up = p_.target_lufs - lufs;
            // A gain change alone reaches the target when the true peak has the room; otherwise it
            // takes limiting, which a dynamic (unlimited by design) master pays for in transients.
            const double gain_room = p_.ceiling_dbtp - a_.peak.true_peak_dbtp;
            const bool dynamic = a_.dynamics.plr_db >= r_.loudness.dynamic_plr_db && up > gain_room;
            Issue& i = add("loudness", "loudness", dynamic ? r_.loudness.quiet_dynamic_severity : r_.loudness.severity);
            i.target_source = profile_source();
            i.title = "Quieter than " + p_.name + "'s target: " + num(lufs) + " LUFS (target " + num(p_.target_lufs) + ")";
            i.detail = "integrated " + num(lufs) + " LUFS, target " + num(p_.target_lufs) + " LUFS (-" + num(p_.quieter_tolerance_lu) +
                       " LU allowed); true peak " + num(a_.peak.true_peak_dbtp) + " dBTP";
            if (up <= gain_room)
                i.fix = "Utility on the master (last device): Gain +" + num(half_db(up)) + " dB; the true peak has " + num(gain_room) +
                        " dB of room under the " + num(p_.ceiling_dbtp) + " dBTP ceiling, so no limiting is needed";
            else if (dynamic)
                i.fix = "Nothing, if the dynamics are the point (PLR " + num(a_.dynamics.plr_db) + " dB): " + p_.name +
                        " plays it about " + num(up) + " dB quieter than others. To match it, Limiter on the master: Gain +" +
                        num(half_db(up - std::max(0.0, gain_room))) + " dB of limiting after +" + num(half_db(std::max(0.0, gain_room))) +
                        " dB of plain gain, Ceiling " + num(p_.ceiling_dbtp) + " dB, at the cost of its peaks";
            else
                i.fix = "Limiter on the master: Gain +" + num(half_db(up)) + " dB with Ceiling " + num(p_.ceiling_dbtp) +
                        " dB, True Peak on";
            i.value = lufs;
            i.target = p_.target_lufs;
            i.unit = "LUFS";
            i.score = 1.0 + under;
        }
    }

    // ---- dynamics --------------------------------------------------------------------------------
    void dynamics() {
        if (!r_.dynamics.enabled) return;
        const double plr = a_.dynamics.plr_db, psr = a_.dynamics.psr_db;
        const double plr_min = r_.dynamics.plr_min_db, psr_min = r_.dynamics.psr_min_db;
        const double deficit = std::max(plr_min - plr, psr_min - psr);
        if (deficit <= 0) return;
        Issue& i = add("dynamics", "dynamics", r_.dynamics.severity);
        i.target_source = rule_source(plr_min - plr >= psr_min - psr ? "dynamics.plr_min_db" : "dynamics.psr_min_db");
        i.title = "Over-compressed: PLR " + num(plr) + " dB, PSR " + num(psr) + " dB";
        i.detail = "peak-to-loudness ratio " + num(plr) + " dB (at least " + num(plr_min) + "), peak-to-short-term ratio " + num(psr) +
                   " dB (at least " + num(psr_min) + ")";
        if (p_.premaster)
            i.fix = "Ease the master-bus compression: remove the Limiter, and on Glue Compressor raise Threshold (about " +
                    num(half_db_up(deficit)) + " dB less gain reduction); leave loudness to mastering";
        else
            i.fix = "Limiter on the master: Gain -" + num(half_db_up(deficit)) +
                    " dB (less gain reduction); normalisation gives the level back";
        i.value = plr_min - plr >= psr_min - psr ? plr : psr;
        i.target = plr_min - plr >= psr_min - psr ? plr_min : psr_min;
        i.unit = "dB";
        i.score = 1.0 + deficit;
    }

    // ---- tonal balance -----------------------------------------------------------------------------
    struct Region {
        const char* id;
        double lo_hz, hi_hz;     // octave bands whose centre lies in [lo, hi]
        int sign;                // +1: too much trips it, -1: too little
        const char* title;
        double fix_hz, fix_q;    // nominal EQ move (refined by the third-octave peak)
        const char* fix_where;
        config::Rules::TonalRegion config::Rules::Tonal::*config;  // rules.tonal.<id>
    };

    static std::span<const Region> regions() {
        static const Region table[] = {
            {"boomy", 44.0, 180.0, +1, "Boomy low end", 90.0, 0.7, "on the master (or the bass/kick group)", &config::Rules::Tonal::boomy},
            {"thin", 88.0, 360.0, -1, "Thin: not enough body", 180.0, 0.7, "on the master (or bring up the bass and low-mid parts)", &config::Rules::Tonal::thin},
            {"muddy", 177.0, 710.0, +1, "Muddy low-mids", 320.0, 1.0, "on the master (or on pads, guitars and keys)", &config::Rules::Tonal::muddy},
            {"harsh", 1400.0, 5700.0, +1, "Harsh upper mids", 3200.0, 1.0, "on the master (or on the brightest synth or vocal)", &config::Rules::Tonal::harsh},
            {"dark", 5600.0, 23000.0, -1, "Dull, dark top end", 8000.0, 0.0, "on the master", &config::Rules::Tonal::dark},
            {"bright", 5600.0, 23000.0, +1, "Too bright, hissy top end", 8000.0, 0.0, "on the master", &config::Rules::Tonal::bright},
        };
        return table;
    }

    static double median(std::vector<double> v) {
        if (v.empty()) return 0.0;
        std::sort(v.begin(), v.end());
        const std::size_t n = v.size();
        return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
    }

    /// Band deviations from the target after removing the level offset (median deviation).
    /// Bands with nothing in them (above Nyquist) are skipped.
    std::vector<std::pair<double, double>> deviations(const std::vector<Band>& bands, const Curve& target, double band_offset_db) const {
        std::vector<std::pair<double, double>> dev;  // (centre Hz, dB)
        const double nyquist = a_.format.sample_rate > 0 ? a_.format.sample_rate / 2.0 : 24000.0;
        std::vector<double> raw;
        for (const Band& b : bands) {
            const double c = std::sqrt(b.lo_hz * b.hi_hz);
            if (c < 45.0 || b.hi_hz > nyquist * 1.01 || b.db <= silence_floor_db + 1.0) continue;  // 31.5 Hz band: infrasonic junk varies too much
            dev.emplace_back(c, b.db - (target.at(c) + band_offset_db));
            raw.push_back(dev.back().second);
        }
        const double off = median(raw);
        for (auto& [c, v] : dev) v -= off;
        return dev;
    }

public:
    /// The target curve as tonal() places it on this mix (see TonalTarget in rules.hpp).
    TonalTarget tonal_target() const {
        TonalTarget t;
        t.curve = tonal_.curve;
        const Curve target = target_curve(tonal_);
        // deviations() = band - (target + offset): the offset is what the band minus its deviation leaves.
        double offset = 0.0;
        const auto dev = deviations(a_.spectrum.bands, target, 0.0);
        for (const Band& b : a_.spectrum.bands) {
            const double c = std::sqrt(b.lo_hz * b.hi_hz);
            for (const auto& [dc, dv] : dev)
                if (dc == c) offset = b.db - dv - target.at(c);
        }
        t.offset_db = offset;
        for (const Band& b : a_.spectrum.bands) {
            const double c = std::sqrt(b.lo_hz * b.hi_hz);
            t.centre_hz.push_back(c);
            t.db.push_back(target.at(c) + offset);
            double tol = 0.0;  // the tightest enabled region over this band; 0 = no rule judges it
            for (const Region& r : regions()) {
                const config::Rules::TonalRegion& rule = r_.tonal.*r.config;
                if (c < r.lo_hz || c > r.hi_hz || !rule.enabled) continue;
                const double th = rule.threshold_db;
                tol = tol == 0.0 ? th : std::min(tol, th);
            }
            t.tolerance_db.push_back(tol);
        }
        return t;
    }

private:
    void tonal() {
        if (a_.spectrum.bands.empty()) return;
        const bool automatic = tonal_.choose == config::CurveChoice::automatic;
        const std::string curve_name = automatic ? material_.curve : tonal_.curve;
        const Curve target = target_curve(tonal_, curve_name);
        const std::string source = automatic ? "curve " + curve_name + ", picked by the material classifier: " + material_.family +
                                                   " (" + std::to_string(material_.votes) + " of " + std::to_string(material_.voters) +
                                                   " votes: " + material_.why + ")"
                                             : "curve " + curve_name + " (tonal.curve)";
        const double eq_limit = r_.tonal.eq_limit_db;
        const auto oct = deviations(a_.spectrum.bands, target, 0.0);
        // A third-octave band holds a third of an octave band's power: -4.77 dB.
        const auto third = deviations(a_.spectrum.third_octave, target, -10.0 * std::log10(3.0));

        for (const Region& r : regions()) {
            const std::string rule = std::string("tonal.") + r.id;
            const config::Rules::TonalRegion& cfg = r_.tonal.*r.config;
            if (!cfg.enabled) continue;
            double sum = 0;
            int n = 0;
            for (const auto& [c, v] : oct)
                if (c >= r.lo_hz && c <= r.hi_hz) {
                    sum += v;
                    ++n;
                }
            if (n == 0) continue;
            const double dev = sum / n;
            const double excess = r.sign * dev;
            // A family's own spread, where the config gives one (dark: acoustic recordings vary more).
            const double threshold = acoustic() && cfg.acoustic_threshold_db ? *cfg.acoustic_threshold_db : cfg.threshold_db;
            if (excess <= threshold) continue;
            Severity sev = excess >= cfg.major_db ? cfg.major_severity : cfg.severity;
            // Centre the EQ move on the third-octave band that deviates most in the region.
            double f = r.fix_hz, worst = -1e9;
            for (const auto& [c, v] : third)
                if (c >= r.lo_hz && c <= r.hi_hz && r.sign * v > worst) {
                    worst = r.sign * v;
                    f = c;
                }
            if (r.fix_q == 0.0) f = r.fix_hz;  // shelves: fixed corner
            // The move follows the deviation: back to half the allowed band. Past eq_limit_db it is
            // missing content, not balance; EQ is then a stopgap at most.
            const double wanted = std::max(0.5, half_db(excess - threshold / 2.0));
            const bool beyond_eq = wanted > eq_limit;
            const double gain = std::min(wanted, eq_limit);
            Issue& i = add(rule, "tonal", sev);
            i.target_source = source;
            i.title = std::string(r.title) + " (" + signed_num(dev) + " dB, " + hz(r.lo_hz < 50 ? 45 : r.lo_hz) + "-" +
                      hz(std::min(r.hi_hz, 22000.0)) + ")";
            i.detail = hz(r.lo_hz < 50 ? 45 : r.lo_hz) + "-" + hz(std::min(r.hi_hz, 22000.0)) + " sits " + signed_num(dev) +
                       " dB from the target curve (allowed +/-" + num(threshold) + " dB)";
            const std::string sign = r.sign > 0 ? "-" : "+";
            if (r.fix_q > 0)
                i.fix = "EQ Eight " + std::string(r.fix_where) + ": bell at " + hz(std::round(f)) + ", Q " + num(r.fix_q) + ", " + sign +
                        num(gain) + " dB";
            else
                i.fix = "EQ Eight " + std::string(r.fix_where) + ": high shelf at " + hz(f) + ", " + sign + num(gain) + " dB";
            if (beyond_eq) {
                const std::string cause =
                    r.sign < 0 ? (r.lo_hz >= 5000.0 ? "the top end is missing, not quiet: look for a low-pass (Auto Filter, EQ Eight "
                                                      "band 8, a lo-fi or amp device) on the master or a group, or a dull source or "
                                                      "lossy file, and fix it there"
                                                    : "the range is missing, not quiet: look for a high-pass or cut on the master or a "
                                                      "group, and bring up the parts that live there")
                               : "that much excess is a boost somewhere, not balance: look for a shelf or bell boost on the master or "
                                 "a group (or a doubled part) and undo it at the source";
                i.fix = "EQ cannot make up " + num(excess - threshold / 2.0) + " dB: " + cause + "; as a stopgap only, " + i.fix;
            }
            i.value = dev;
            i.target = r.sign * threshold;
            i.detail += "; target: " + source;
            i.unit = "dB";
            i.score = 1.0 + (excess - threshold);
        }
    }

    // ---- stereo and phase ----------------------------------------------------------------------
    void stereo() {
        const auto& s = a_.stereo;
        const double side_db = power_to_db(s.width);
        if (r_.stereo.narrow.enabled && side_db < r_.stereo.narrow.min_side_db) {
            const double lim = r_.stereo.narrow.min_side_db;
            // No side content at all: Utility Width has nothing to widen.
            const bool identical = side_db <= r_.stereo.narrow.identical_side_db;
            Issue& i = add("stereo.narrow", "stereo", r_.stereo.narrow.severity);
            i.title = identical ? "Left and right are identical: a mono mix in a stereo file" : "Stereo image very narrow";
            i.detail = "side signal " + (identical ? std::string("absent") : num(side_db) + " dB under the mid") + " (correlation " +
                       num(s.correlation, 2) + "); a stereo mix has more than " + num(lim) + " dB";
            if (identical)
                i.fix = "If it should be stereo: Export Audio/Video: Convert to Mono off, no Utility Mono on the master; with mono "
                        "sources, pan them apart (e.g. guitars 40L / 40R) and send them to a stereo reverb. Utility Width cannot "
                        "widen a signal with no side content";
            else
                i.fix = "Pan doubled parts apart (e.g. 30L / 30R); Utility Width 130 % only on tracks that are already stereo "
                        "(pads, keys, FX returns: it widens only what differs between left and right); keep kick, bass and lead "
                        "vocal centred";
            i.value = side_db;
            i.target = lim;
            i.unit = "dB";
            i.score = 1.0 + (lim - side_db) / 3.0;
        }
        const double low_side_db = power_to_db(s.low_width);
        const double low_lim = acoustic() ? r_.stereo.low_end.acoustic_max_low_side_db : r_.stereo.low_end.max_low_side_db;
        if (r_.stereo.low_end.enabled && low_side_db > low_lim) {
            const double lim = low_lim;
            Issue& i = add("stereo.low_end", "stereo", acoustic() ? r_.stereo.low_end.acoustic_severity : r_.stereo.low_end.severity);
            i.target_source = acoustic() ? "rules.stereo.low_end.acoustic_max_low_side_db (material: acoustic)"
                                         : "rules.stereo.low_end.max_low_side_db (material: " + material_.family + ")";
            i.title = "Low end not mono below 120 Hz";
            i.detail = "side " + num(low_side_db) + " dB relative to mid below 120 Hz (at most " + num(lim) + " dB); correlation there " +
                       num(s.low_correlation, 2);
            i.fix = "Utility on the master: Bass Mono on, " + num(r_.stereo.low_end.bass_mono_hz, 0) +
                    " Hz (or Utility Width 0 % on the bass and sub tracks)";
            i.value = low_side_db;
            i.target = lim;
            i.unit = "dB";
            i.score = 1.0 + (low_side_db - lim) / 3.0;
        }
        if (r_.stereo.mono_loss.enabled && s.mono_loss_db > r_.stereo.mono_loss.max_loss_db) {
            const double lim = r_.stereo.mono_loss.max_loss_db;
            Issue& i = add("stereo.mono_loss", "phase", r_.stereo.mono_loss.severity);
            i.title = "Loses " + num(s.mono_loss_db) + " dB in mono";
            i.detail = "the mono fold-down is " + num(s.mono_loss_db) + " LU quieter than the stereo mix (at most " + num(lim) + ")";
            i.fix = "Listen with Utility on the master set to Mono; on the widest tracks lower Utility Width (100 % to 70 %) or "
                    "remove Haas/chorus wideners";
            i.value = s.mono_loss_db;
            i.target = lim;
            i.unit = "dB";
            i.score = 1.0 + (s.mono_loss_db - lim);
        }
        if (r_.stereo.balance.enabled && std::abs(s.balance_db) > r_.stereo.balance.max_imbalance_db) {
            const double lim = r_.stereo.balance.max_imbalance_db;
            const bool left = s.balance_db > 0;
            const bool major = std::abs(s.balance_db) >= r_.stereo.balance.major_db;
            Issue& i = add("stereo.balance", "stereo", major ? r_.stereo.balance.major_severity : r_.stereo.balance.severity);
            i.title = std::string(left ? "Left" : "Right") + " channel " + num(std::abs(s.balance_db)) + " dB louder";
            i.detail = "L/R energy differ by " + num(std::abs(s.balance_db)) + " dB (at most " + num(lim) + ")";
            i.fix = std::string("Find the track panned or recorded to the ") + (left ? "left" : "right") +
                    " (solo the groups); as a stopgap, Utility on the master: turn Balance toward " + (left ? "R" : "L") +
                    " until both meters match";
            i.value = s.balance_db;
            i.target = left ? lim : -lim;
            i.unit = "dB";
            i.score = 1.0 + (std::abs(s.balance_db) - lim);
        }
        if (r_.phase.enabled) {
            const double min_c = r_.phase.min_correlation, min_low = r_.phase.min_low_correlation;
            const double def_all = min_c - s.correlation, def_low = min_low - s.low_correlation;
            if (def_all > 0 || def_low > 0) {
                const double judged = def_all >= def_low ? s.correlation : s.low_correlation;
                const bool whole_file = def_all >= def_low;
                const Severity sev = judged <= r_.phase.major_correlation ? r_.phase.major_severity
                                     : acoustic() && whole_file             ? r_.phase.acoustic_severity
                                                                            : r_.phase.severity;
                // Two rules configured by rules.phase: "phase" (whole file) and "phase.low" (bass).
                Issue& i = add(whole_file ? "phase" : "phase.low", "phase", sev);
                i.target_source = rule_source("phase");
                if (def_all >= def_low) {
                    i.title = "Phase problem: L/R correlation " + num(s.correlation, 2);
                    i.detail = "left and right are " + std::string(s.correlation < -0.5 ? "largely" : "partly") +
                               " out of phase (correlation " + num(s.correlation, 2) + ", at least " + num(min_c, 2) +
                               "): parts cancel in mono";
                    i.fix = "Utility on the master: Mono, to hear what vanishes; on that track, Utility: invert one channel "
                            "(Phz-L or Phz-R) or remove its stereo widener";
                    i.value = s.correlation;
                    i.target = min_c;
                } else {
                    i.title = "Bass out of phase between L and R (correlation " + num(s.low_correlation, 2) + " below 120 Hz)";
                    i.detail = "correlation below 120 Hz " + num(s.low_correlation, 2) + " (at least " + num(min_low, 2) +
                               "): the bass cancels in mono";
                    i.fix = "Utility on the master: Bass Mono on, " + num(r_.stereo.low_end.bass_mono_hz, 0) +
                            " Hz; then find the bass track with a phase-inverted channel (Utility Phz-L/Phz-R)";
                    i.value = s.low_correlation;
                    i.target = min_low;
                }
                i.unit = "";
                i.score = 1.0 + std::max(def_all, def_low) / 0.1;
            }
        }
    }

    // ---- DC, silence, format -------------------------------------------------------------------
    void dc_offset() {
        if (!r_.dc_offset.enabled || a_.dc_offset_dbfs <= r_.dc_offset.max_dbfs) return;
        const double lim = r_.dc_offset.max_dbfs;
        Issue& i = add("dc_offset", "format", r_.dc_offset.severity);
        i.title = "DC offset (" + num(a_.dc_offset_dbfs) + " dBFS)";
        i.detail = "largest channel mean " + num(a_.dc_offset_dbfs) + " dBFS (at most " + num(lim) + " dBFS)";
        i.fix = "EQ Eight on the master (or on the track that has it): band 1 Low Cut at 20 Hz";
        i.value = a_.dc_offset_dbfs;
        i.target = lim;
        i.unit = "dBFS";
        i.score = 1.0 + (a_.dc_offset_dbfs - lim) / 3.0;
    }

    void silence() {
        const double head = a_.silence.leading_s, tail = a_.silence.trailing_s;
        if (r_.silence.head.enabled && head > r_.silence.head.max_s) {
            const double lim = r_.silence.head.max_s;
            Issue& i = add("silence.head", "format", r_.silence.head.severity);
            i.title = "Silence at the start: " + num(head) + " s";
            i.detail = num(head) + " s before the first sound (at most " + num(lim) + " s)";
            i.fix = "Start the export selection at the first sound (move the arrangement selection start " + num(head) + " s later)";
            i.times_s = {0.0};
            i.value = head;
            i.target = lim;
            i.unit = "s";
            i.score = 1.0 + (head - lim) / 2.0;
        }
        if (r_.silence.tail.enabled && tail > r_.silence.tail.max_s) {
            const double lim = r_.silence.tail.max_s;
            Issue& i = add("silence.tail", "format", r_.silence.tail.severity);
            i.title = "Silence at the end: " + num(tail) + " s";
            i.detail = num(tail) + " s after the last sound (at most " + num(lim) + " s, reverb tails included)";
            i.fix = "End the export selection " + num(std::max(0.0, tail - 2.0)) + " s earlier (keep about 2 s for the tail)";
            i.times_s = {std::max(0.0, a_.format.duration_s - tail)};
            i.value = tail;
            i.target = lim;
            i.unit = "s";
            i.score = 1.0 + (tail - lim) / 2.0;
        }
    }

    static bool is_lossy(const analysis::FormatInfo& f) {
        for (const char* e : {"vorbis", "mp3", "mpeg", "opus", "aac"})
            if (f.encoding.find(e) != std::string::npos) return true;
        return f.container == "mp3" || f.container == "m4a" || f.container == "aac";
    }

    void format() {
        const auto& f = a_.format;
        if (r_.format.sample_rate.enabled && f.sample_rate > 0 && f.sample_rate < r_.format.sample_rate.min_hz) {
            const double lim = r_.format.sample_rate.min_hz;
            Issue& i = add("format.sample_rate", "format", r_.format.sample_rate.severity);
            i.title = "Low sample rate: " + std::to_string(f.sample_rate) + " Hz";
            i.detail = std::to_string(f.sample_rate) + " Hz cuts everything above " + hz(f.sample_rate / 2.0) + " (at least " +
                       num(lim, 0) + " Hz)";
            i.fix = "Export Audio/Video: Sample Rate 48000 (or 44100), the project's rate";
            i.value = f.sample_rate;
            i.target = lim;
            i.unit = "Hz";
            i.score = 1.0 + 10.0 * (lim - f.sample_rate) / lim;
        }
        if (!p_.premaster) return;
        if (r_.format.mono.enabled && f.channels == 1) {
            Issue& i = add("format.mono", "format", r_.format.mono.severity);
            i.title = "Mono export";
            i.detail = "one channel; a stereo mix exported with Convert to Mono loses its stereo image and folds any wide or "
                       "out-of-phase parts";
            i.fix = "Export Audio/Video: switch Convert to Mono off (unless the song is meant to be mono)";
            i.value = 1;
            i.target = 2;
            i.unit = "channels";
            i.score = 2.0;
        }
        if (r_.format.lossy.enabled && is_lossy(f)) {
            Issue& i = add("format.lossy", "format", r_.format.lossy.severity);
            i.title = "Lossy file (" + (f.encoding.empty() ? f.container : f.encoding) + ") for mastering";
            i.detail = "encoding " + f.encoding + " in " + f.container + "; mastering needs a lossless file";
            i.fix = "Export Audio/Video: File Type WAV (or AIFF), Bit Depth 24";
            i.value = 0;
            i.target = 0;
            i.unit = "";
            i.score = 2.0;
        } else if (r_.format.bit_depth.enabled && f.bit_depth > 0 && f.bit_depth < r_.format.bit_depth.min_bits) {
            const double lim = r_.format.bit_depth.min_bits;
            Issue& i = add("format.bit_depth", "format", r_.format.bit_depth.severity);
            i.title = std::to_string(f.bit_depth) + "-bit export before mastering";
            i.detail = std::to_string(f.bit_depth) + "-bit PCM; a file for mastering has at least " + num(lim, 0) +
                       " bits (or float): every gain change in mastering re-quantises it, and 16-bit without dither leaves "
                       "truncation distortion on fades and reverb tails";
            i.fix = "Export Audio/Video: Bit Depth 24 (or 32 float) with Dither Options: No Dither; dither (Triangular or "
                    "POW-r) only for a final 16-bit master";
            i.value = f.bit_depth;
            i.target = lim;
            i.unit = "bits";
            i.score = 1.0 + (lim - f.bit_depth) / 8.0;
        }
    }
};

Profile read_profile(const config::Config& cfg, std::string_view name) {
    const auto& profiles = cfg.settings().profiles;
    const config::Profile* c = profiles.find(name);
    if (!c) throw InputError("unknown profile '" + std::string(name) + "' (one of: " + profiles.joined_names() + ")");
    Profile p;
    p.name = std::string(name);
    p.premaster = c->kind == config::ProfileKind::premaster;
    p.target_lufs = c->target_lufs;
    p.louder_tolerance_lu = c->louder_tolerance_lu;
    p.quieter_tolerance_lu = c->quieter_tolerance_lu;
    p.ceiling_dbtp = c->ceiling_dbtp;
    return p;
}

}  // namespace

std::vector<Issue> evaluate(const analysis::Analysis& a, const config::Config& cfg, std::string_view profile) {
    return Evaluator(a, cfg, read_profile(cfg, profile)).run();
}

std::vector<std::string> profile_names(const config::Config& cfg) { return cfg.settings().profiles.names(); }

TonalTarget tonal_target(const analysis::Analysis& a, const config::Config& cfg) {
    return Evaluator(a, cfg, Profile{}).tonal_target();
}

ProfileTargets profile_targets(const config::Config& cfg, std::string_view profile) {
    const Profile p = read_profile(cfg, profile);
    ProfileTargets t;
    t.name = p.name;
    t.premaster = p.premaster;
    t.target_lufs = p.target_lufs;
    t.louder_tolerance_lu = p.louder_tolerance_lu;
    t.quieter_tolerance_lu = p.quieter_tolerance_lu;
    t.ceiling_dbtp = p.ceiling_dbtp;
    t.plr_min_db = cfg.settings().rules.dynamics.plr_min_db;
    t.psr_min_db = cfg.settings().rules.dynamics.psr_min_db;
    return t;
}

Material material_of(const analysis::Analysis& a, const config::Config& cfg) {
    const config::Tonal& tonal = cfg.settings().tonal;
    if (tonal.choose == config::CurveChoice::automatic) return classify(a, cfg);
    Material m;
    m.curve = tonal.curve;
    m.family = m.curve == tonal.classifier.acoustic_curve ? "acoustic" : "modern";
    m.why = "tonal.choose: fixed, tonal.curve: " + m.curve;
    return m;
}

nlohmann::json to_json(const Material& m) {
    return nlohmann::json{{"family", m.family},
                          {"curve", m.curve},
                          {"votes", m.votes},
                          {"voters", m.voters},
                          {"why", m.why},
                          {"tilt_db_per_octave", m.tilt_db_per_octave},
                          {"plr_db", m.plr_db},
                          {"low_side_db", m.low_side_db},
                          {"low_share_db", m.low_share_db}};
}

std::string explain_line(const Issue& issue) {
    if (issue.target_source.empty()) return {};
    const std::string unit = issue.unit.empty() ? "" : " " + issue.unit;
    const int decimals = issue.unit == "" ? 2 : 1;
    return "measured " + num(issue.value, decimals) + unit + ", target " + num(issue.target, decimals) + unit + " (from " +
           issue.target_source + ")";
}

void check_profile(const config::Config& cfg, std::string_view profile) {
    (void)read_profile(cfg, profile);
    (void)target_curve(cfg.settings().tonal);
}

std::vector<Issue> top(const std::vector<Issue>& ranked, std::size_t n) {
    return {ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(std::min(n, ranked.size()))};
}

std::string format_time(double seconds) {
    const long long t = seconds > 0 ? static_cast<long long>(std::floor(seconds)) : 0;
    char buf[32];
    if (t >= 3600) std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", t / 3600, (t / 60) % 60, t % 60);
    else std::snprintf(buf, sizeof buf, "%lld:%02lld", t / 60, t % 60);
    return buf;
}

std::string summary_line(const Issue& issue, int position) {
    std::string sev(to_string(issue.severity));
    std::transform(sev.begin(), sev.end(), sev.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return sev + " " + std::to_string(position) + ". " + issue.title + " \u2014 " + issue.fix;
}

}  // namespace mixscout::rules
