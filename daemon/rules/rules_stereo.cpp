// mixscout rules: stereo image and phase (evaluator.hpp).
#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "core/units.hpp"
#include "rules/evaluator.hpp"

namespace mixscout::rules::detail {

// ---- stereo and phase ----------------------------------------------------------------------
void Evaluator::stereo() {
    const auto& s = a_.stereo;
    const double side_db = power_to_db(s.width);
    if (r_.stereo.narrow.enabled && side_db < r_.stereo.narrow.min_side_db) {
        const double lim = r_.stereo.narrow.min_side_db;
        // No side content at all: Utility Width has nothing to widen.
        const bool identical = side_db <= r_.stereo.narrow.identical_side_db;
        const bool major = identical || side_db <= r_.stereo.narrow.major_side_db;
        Issue& i = add("stereo.narrow", "stereo", major ? r_.stereo.narrow.major_severity : r_.stereo.narrow.severity);
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
        const Severity sev = acoustic()                                          ? r_.stereo.low_end.acoustic_severity
                             : low_side_db >= r_.stereo.low_end.major_low_side_db ? r_.stereo.low_end.major_severity
                                                                                  : r_.stereo.low_end.severity;
        Issue& i = add("stereo.low_end", "stereo", sev);
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
            // A tie (an inverted channel: both -1, apart by rounding that differs between FFT
            // builds) is the whole file's problem.
            const bool whole_file = def_all >= def_low - 1e-6;
            const double judged = whole_file ? s.correlation : s.low_correlation;
            // The spaced pair's ambience excuses a slightly negative correlation only while the
            // fold-down loses no more than uncorrelated channels do (mono_loss's limit).
            const bool loses = s.mono_loss_db > r_.stereo.mono_loss.max_loss_db;
            const Severity sev = judged <= r_.phase.major_correlation   ? r_.phase.major_severity
                                 : acoustic() && whole_file && !loses ? r_.phase.acoustic_severity
                                                                      : r_.phase.severity;
            // Two rules configured by rules.phase: "phase" (whole file) and "phase.low" (bass).
            Issue& i = add(whole_file ? "phase" : "phase.low", "phase", sev);
            i.target_source = rule_source("phase");
            if (whole_file) {
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
        } else if (const analysis::BandCorrelation* worst = most_negative_band(); worst) {
            // The whole file reads positive, yet one range cancels: an inverted part (or channel)
            // whose energy sits there (a bright inverted copy of a dark mix reads like this).
            const double lim = r_.phase.min_band_correlation;
            Issue& i = add("phase.band", "phase", r_.phase.severity);
            i.target_source = rule_source("phase.min_band_correlation");
            const std::string range = hz(worst->lo_hz) + "-" + hz(worst->hi_hz);
            i.title = "Out of phase at " + range + " (correlation " + num(worst->correlation, 2) + ")";
            i.detail = "L/R correlation " + num(worst->correlation, 2) + " in the " + range + " octave (at least " + num(lim, 2) +
                       "; the whole file " + num(s.correlation, 2) + "): what sounds there cancels in mono";
            i.fix = "Utility on the master: Mono, to hear what vanishes at " + range +
                    "; on that track, Utility: invert one channel (Phz-L or Phz-R) or remove its stereo widener";
            i.value = worst->correlation;
            i.target = lim;
            i.unit = "";
            i.score = 1.0 + (lim - worst->correlation) / 0.1;
        }
    }
}

const analysis::BandCorrelation* Evaluator::most_negative_band() const {
    return rules::most_negative_band(a_, r_.phase.min_band_correlation);
}

}  // namespace mixscout::rules::detail

namespace mixscout::rules {

const analysis::BandCorrelation* most_negative_band(const analysis::Analysis& a, double at_most) {
    const auto& bc = a.stereo.band_correlation;
    const auto& bands = a.spectrum.bands;
    const double nyquist = a.format.sample_rate > 0 ? a.format.sample_rate / 2.0 : 24000.0;
    const analysis::BandCorrelation* worst = nullptr;
    for (std::size_t k = 0; k < bc.size() && k < bands.size(); ++k) {
        const auto& c = bc[k];
        // As the tonal rules: no infrasonic 31.5 Hz band, nothing above Nyquist or without content.
        if (std::sqrt(c.lo_hz * c.hi_hz) < 45.0 || c.hi_hz > nyquist * 1.01 || bands[k].db <= silence_floor_db + 1.0) continue;
        if (c.correlation <= at_most && (!worst || c.correlation < worst->correlation)) worst = &c;
    }
    return worst;
}

}  // namespace mixscout::rules
