// mixscout rules: level, peaks, loudness and dynamics (evaluator.hpp).
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "core/error.hpp"
#include "core/units.hpp"
#include "rules/evaluator.hpp"

namespace mixscout::rules::detail {

// ---- silent export ---------------------------------------------------------------------------
bool Evaluator::silent_export() {
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

/// A float export over 0 dBFS: nothing clipped yet, every fixed-point copy will clip. Replaces
/// the clipping rule (its full-scale runs are these overs).
bool Evaluator::float_overs() {
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
bool Evaluator::clipping() {
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
void Evaluator::true_peak() {
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
void Evaluator::headroom(bool silent) {
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
bool Evaluator::normalized() {
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
void Evaluator::loudness() {
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
void Evaluator::dynamics() {
    if (!r_.dynamics.enabled) return;
    const double plr = a_.dynamics.plr_db, psr = a_.dynamics.psr_db;
    const double plr_min = r_.dynamics.plr_min_db, psr_min = r_.dynamics.psr_min_db;
    const double deficit = std::max(plr_min - plr, psr_min - psr);
    const double share = a_.dynamics.half_peak_share, share_max = r_.dynamics.saturated_share;
    const double crest = a_.dynamics.hop_crest_db, crest_max = r_.dynamics.saturated_crest_db;
    // Near its peak much of the time (a limiter does that too) and flattened within each 100 ms
    // (a limiter does not): reshaped, not limited.
    const bool saturated = share >= share_max && crest <= crest_max;
    if (saturated) {
        // One cause, one finding: saturation, named by the waveform, whatever the PLR (a bassy or
        // sparse track keeps its true peak high against K-weighted loudness, so PLR can read fine;
        // where it reads low too, the cure is still the drive, not the compressor).
        Issue& i = add("dynamics.saturated", "dynamics", r_.dynamics.severity);
        // The explain line shows value and target; the other half of the test rides with the source.
        i.target_source = rule_source("dynamics.saturated_share") + ", with crest per 100 ms " + num(crest) + " dB (at most " +
                          num(crest_max) + ", " + rule_source("dynamics.saturated_crest_db") + ")";
        i.title = "Saturated: " + num(share * 100.0, 0) + " % of the samples within 6 dB of the peak";
        i.detail = "half-peak share " + num(share * 100.0, 1) + " % (below " + num(share_max * 100.0, 0) + " % unsaturated) and hop crest " +
                   num(crest) + " dB (above " + num(crest_max) + " dB unsaturated: a limiter keeps it); PLR " + num(plr) + " dB, PSR " +
                   num(psr) + " dB";
        if (p_.premaster)
            i.fix = "Find what flattens the wave: a Saturator, Overdrive, Amp or a clipping Limiter driven hard on the "
                    "master or a group: lower its Drive (or the level into it) until the peaks come back";
        else
            i.fix = "Lower the drive into the clipper, Saturator or Limiter on the master until the peaks come back; "
                    "normalisation gives the level back";
        i.value = share * 100.0;
        i.target = share_max * 100.0;
        i.unit = "%";
        // Ranked with the PLR finding's dB: 5 points over the limit like 1 dB of deficit, and never
        // below the PLR deficit the same file would have drawn.
        i.score = 1.0 + std::max(20.0 * (share - share_max), deficit);
        return;
    }
    if (deficit <= 0) return;
    // One dense passage in a track that keeps its dynamics (PLR fine, PSR low): a choice.
    Issue& i = add("dynamics", "dynamics", plr >= plr_min ? r_.dynamics.psr_only_severity : r_.dynamics.severity);
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

}  // namespace mixscout::rules::detail
