// mixscout rules: tonal balance against the target curve (evaluator.hpp).
#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "core/units.hpp"
#include "rules/evaluator.hpp"

namespace mixscout::rules::detail {

/// tonal.curves[name] (default: tonal.curve) at tonal.centres_hz. Throws InputError when they do
/// not fit together (the schema checks each value; these cross-key checks are the rules' own).
Curve target_curve(const config::Tonal& tonal, std::string name) {
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

// ---- tonal balance -----------------------------------------------------------------------------
std::span<const Evaluator::Region> Evaluator::regions() {
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

double Evaluator::median(std::vector<double> v) {
    if (v.empty()) return 0.0;
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/// Band deviations from the target after removing the level offset (median deviation).
/// Bands with nothing in them (above Nyquist) are skipped.
std::vector<std::pair<double, double>> Evaluator::deviations(const std::vector<Band>& bands, const Curve& target, double band_offset_db) const {
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

std::string Evaluator::tonal_curve_name() const {
    return tonal_.choose == config::CurveChoice::automatic && !material_.curve.empty() ? material_.curve : tonal_.curve;
}

std::string Evaluator::tonal_source() const {
    // The classifier's reasons are printed once (analyze's Material line, the JSON's `material`);
    // the issue names the pick and its vote.
    if (tonal_.choose != config::CurveChoice::automatic || material_.curve.empty()) return "curve " + tonal_curve_name() + " (tonal.curve)";
    return "curve " + material_.curve + ", picked by the material classifier: " + material_.family + ", " +
           std::to_string(material_.votes) + " of " + std::to_string(material_.voters) + " acoustic votes";
}

double Evaluator::tonal_threshold(const config::Rules::TonalRegion& rule) const {
    return acoustic() && rule.acoustic_threshold_db ? *rule.acoustic_threshold_db : rule.threshold_db;
}

/// The target curve as tonal() places it on this mix (see TonalTarget in rules.hpp).
TonalTarget Evaluator::tonal_target() {
    // run() picks the material before the rules; a report asks without running them.
    if (material_.curve.empty() && a_.loudness.integrated_lufs > silent_lufs) material_ = material_of(a_, cfg_);
    TonalTarget t;
    t.curve = tonal_curve_name();
    t.source = tonal_source();
    t.family = material_.family;
    t.why = material_.why;
    const Curve target = target_curve(tonal_, t.curve);
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
        // The tightest enabled region over this band (0 = no rule judges it), both sides and each.
        auto tightest = [](double now, double th) { return now == 0.0 ? th : std::min(now, th); };
        double tol = 0.0, below = 0.0, above = 0.0;
        for (const Region& r : regions()) {
            const config::Rules::TonalRegion& rule = r_.tonal.*r.config;
            if (c < r.lo_hz || c > r.hi_hz || !rule.enabled) continue;
            const double th = tonal_threshold(rule);
            tol = tightest(tol, th);
            (r.sign < 0 ? below : above) = tightest(r.sign < 0 ? below : above, th);
        }
        t.tolerance_db.push_back(tol);
        t.below_db.push_back(below);
        t.above_db.push_back(above);
    }
    return t;
}

void Evaluator::tonal() {
    if (a_.spectrum.bands.empty()) return;
    const bool automatic = tonal_.choose == config::CurveChoice::automatic;
    const Curve target = target_curve(tonal_, tonal_curve_name());
    const std::string source = tonal_source();
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
        const double threshold = tonal_threshold(cfg);
        if (excess <= threshold) continue;
        Severity sev = excess >= cfg.major_db ? cfg.major_severity : cfg.severity;
        // A dark top on acoustic material is the instrumentation and the room, unless it is
        // missing: a low-pass leaves a knee, the deviation falling missing_knee_db or more over
        // one octave (three third-octave bands) ending between 3.5 and 13 kHz (above that a
        // codec's own cut, which is not the mix's).
        const bool top_dark = r.sign < 0 && r.lo_hz >= 5000.0;
        double knee = 0.0;
        if (top_dark)
            for (std::size_t k = 3; k < third.size(); ++k)
                if (third[k].first >= 3500.0 && third[k].first <= 13000.0) knee = std::max(knee, third[k - 3].second - third[k].second);
        const bool missing = top_dark && cfg.missing_knee_db && knee >= *cfg.missing_knee_db;
        if (acoustic() && top_dark && !missing && cfg.acoustic_severity) sev = *cfg.acoustic_severity;
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
                top_dark && acoustic() && !missing
                    ? "the recording's top end is this dark (no low-pass knee: the instruments, the microphones' "
                      "distance, the room); a shelf this large lifts hiss with it: brighten it at the sources, or keep it"
                : r.sign < 0 ? (r.lo_hz >= 5000.0 ? "the top end is missing, not quiet: look for a low-pass (Auto Filter, EQ Eight "
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
        i.detail += "; target: " + source + (automatic ? " (" + material_.why + ")" : "");
        i.unit = "dB";
        i.score = 1.0 + (excess - threshold);
    }
}

}  // namespace mixscout::rules::detail
