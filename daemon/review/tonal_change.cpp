#include "review/tonal_change.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "config/config.hpp"
#include "core/format.hpp"
#include "rules/rules.hpp"

namespace mixscout::review {
namespace {

using Region_rule = config::Rules::TonalRegion config::Rules::Tonal::*;

struct ChangeRegion {
    const char* id;
    const char* name;
    double lo_hz, hi_hz;       // octave bands whose centre lies in [lo, hi]
    Region_rule up_rule;       // the tonal rule whose tolerance a rise is judged by (nullptr = none)
    Region_rule down_rule;     // ... and a fall
    const char* eq;            // the EQ Eight move that undoes it, "%s%.1f" = sign and gain
};

using T = config::Rules::Tonal;
const ChangeRegion regions[] = {
    {"low_end", "Low end", 44.0, 180.0, &T::boomy, &T::thin, "low shelf at 120 Hz, %s%.1f dB"},
    {"low_mids", "Low mids", 177.0, 710.0, &T::muddy, &T::thin, "bell at 350 Hz, Q 0.7, %s%.1f dB"},
    {"upper_mids", "Upper mids", 1400.0, 5700.0, &T::harsh, nullptr, "bell at 3 kHz, Q 0.7, %s%.1f dB"},
    {"top", "Top end", 5600.0, 23000.0, &T::bright, &T::dark, "high shelf at 8 kHz, %s%.1f dB"},
};

double median(std::vector<double> v) {
    if (v.empty()) return 0.0;
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

std::string num(double v) { return fmt("%.1f", v); }

/// Mean over the region's octave bands of v (indexed like the analysis' octave bands).
double region_mean(const std::vector<analysis::Band>& bands, const std::vector<double>& v, const ChangeRegion& r) {
    double sum = 0.0;
    int n = 0;
    for (std::size_t i = 0; i < bands.size() && i < v.size(); ++i) {
        const double c = std::sqrt(bands[i].lo_hz * bands[i].hi_hz);
        if (c >= r.lo_hz && c <= r.hi_hz) sum += v[i], ++n;
    }
    return n ? sum / n : 0.0;
}

/// Usable octave bands: 63 Hz and up (the 31.5 Hz band is infrasonic junk), below the file's
/// Nyquist, not silent.
bool usable(const analysis::Band& b, int sample_rate) {
    const double c = std::sqrt(b.lo_hz * b.hi_hz);
    return c >= 45.0 && b.hi_hz <= 0.505 * sample_rate && b.db > -119.0;
}

}  // namespace

std::vector<rules::Issue> tonal_changes(const analysis::Analysis& before, const analysis::Analysis& now, const config::Config& cfg) {
    std::vector<rules::Issue> out;
    const config::Rules::Tonal& tonal_rules = cfg.settings().rules.tonal;
    if (!tonal_rules.change.enabled) return out;
    const auto& b0 = before.spectrum.bands;
    const auto& b1 = now.spectrum.bands;
    if (b0.size() != b1.size() || b1.empty()) return out;
    const double threshold = tonal_rules.change.threshold_db;

    // The change per band, minus the median change: a gain change moves nothing.
    std::vector<double> change(b1.size(), 0.0), raw;
    std::vector<bool> ok(b1.size(), false);
    for (std::size_t i = 0; i < b1.size(); ++i) {
        ok[i] = usable(b0[i], before.format.sample_rate) && usable(b1[i], now.format.sample_rate);
        if (ok[i]) raw.push_back(change[i] = b1[i].db - b0[i].db);
    }
    const double offset = median(raw);
    for (std::size_t i = 0; i < change.size(); ++i) change[i] = ok[i] ? change[i] - offset : 0.0;

    // Where the region sits against the target now: the curve the tonal rules use for this mix.
    const rules::Material material = rules::material_of(now, cfg);
    const std::vector<double>* found = cfg.settings().tonal.curves.find(material.curve);
    if (!found) return out;
    const std::vector<double>& curve = *found;
    const std::vector<double>& centres = cfg.settings().tonal.centres_hz;
    auto deviation = [&](const std::vector<analysis::Band>& bands) {
        std::vector<double> dev(bands.size(), 0.0), all;
        for (std::size_t i = 0; i < bands.size() && i < curve.size() && i < centres.size(); ++i)
            if (ok[i]) all.push_back(dev[i] = bands[i].db - curve[i]);
        const double off = median(all);
        for (std::size_t i = 0; i < dev.size(); ++i) dev[i] = ok[i] ? dev[i] - off : 0.0;
        return dev;
    };
    const std::vector<double> dev0 = deviation(b0), dev1 = deviation(b1);

    for (const ChangeRegion& r : regions) {
        bool any = false;
        for (std::size_t i = 0; i < b1.size(); ++i) {
            const double c = std::sqrt(b1[i].lo_hz * b1[i].hi_hz);
            any = any || (ok[i] && c >= r.lo_hz && c <= r.hi_hz);
        }
        if (!any) continue;
        const double moved = region_mean(b1, change, r);
        if (std::abs(moved) < threshold) continue;
        const double was = region_mean(b0, dev0, r), is = region_mean(b1, dev1, r);
        const Region_rule side_rule = moved > 0 ? r.up_rule : r.down_rule;
        const double tolerance = side_rule ? (tonal_rules.*side_rule).threshold_db : 3.0;
        // Toward the target and now inside its tolerance: perhaps the fix for a thin or dull mix,
        // but the curve is a generic target, not the song's intent: a move this large in one
        // export is worth this iteration either way (important); the fix text says which way.
        const bool fixed = std::abs(is) < std::abs(was) && std::abs(is) <= tolerance;
        rules::Issue& i = out.emplace_back();
        i.rule = std::string("tonal.change.") + r.id;
        i.category = "tonal";
        i.severity = rules::Severity::important;
        const std::string sign = moved > 0 ? "+" : "";
        i.title = std::string(r.name) + " " + sign + num(moved) + " dB since the last export";
        i.detail = std::string(r.name) + " moved " + sign + num(moved) + " dB against the rest of the spectrum since the previous export "
                   "(more than " + num(threshold) + " dB); against the target curve it went from " + (was > 0 ? "+" : "") + num(was) +
                   " to " + (is > 0 ? "+" : "") + num(is) + " dB (tolerance " + num(tolerance) + " dB)";
        char eq[96];
        std::snprintf(eq, sizeof eq, r.eq, moved > 0 ? "-" : "+", std::round(std::abs(moved)) / 2.0);
        if (fixed)
            i.fix = "If it was the fix for a thin or dull mix, check it by ear against a reference before keeping it (it now "
                    "sits inside the target's tolerance, but one export's moves are meant to be 1-3 dB); to go halfway back: EQ "
                    "Eight on the master, " + std::string(eq);
        else
            i.fix = "Undo or halve what changed the " + std::string(r.name) + " (a shelf or boost on the master or a group, a louder part): "
                    "as a stopgap, EQ Eight on the master, " + std::string(eq) + "; moves between exports are meant to be 1-3 dB";
        i.value = moved;
        i.target = moved > 0 ? threshold : -threshold;
        i.unit = "dB";
        i.target_source = "the previous export (rules.tonal.change.threshold_db)";
        i.score = 1.0 + (std::abs(moved) - threshold);
    }
    return out;
}

}  // namespace mixscout::review
