#include "review/reference.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "core/format.hpp"
#include "core/units.hpp"

namespace mixscout::review {

using rules::Issue;
using rules::Severity;

namespace {

struct Region {
    const char* id;        // rule suffix
    const char* name;      // in words
    const char* range;     // for the detail line
    double lo_hz, hi_hz;   // octave-band centres in [lo, hi) belong to the region
    const char* eq;        // the EQ move, "%s" = signed gain
};

// Octave-band centres: 31.5 63 125 250 500 1k 2k 4k 8k 16k.
constexpr Region tonal_regions[] = {
    {"bass", "bass", "90-180 Hz", 90, 180, "bell %s dB at 125 Hz, Q 1 (EQ Eight on the bass bus or master)"},
    {"low_mids", "low mids", "180-700 Hz", 180, 700, "bell %s dB at 350 Hz, Q 0.8 (EQ Eight)"},
    {"mids", "mids", "0.7-2.8 kHz", 700, 2800, "bell %s dB at 1.4 kHz, Q 0.7 (EQ Eight)"},
    {"presence", "presence", "2.8-5.6 kHz", 2800, 5600, "bell %s dB at 4 kHz, Q 1 (EQ Eight)"},
    {"air", "air", "above 5.6 kHz", 5600, 1e9, "high shelf %s dB at 10 kHz (EQ Eight on the master)"},
};
constexpr Region low_end_region = {"low_end", "low end", "below 90 Hz", 0, 90,
                                   "low shelf %s dB at 80 Hz, or the kick and bass faders"};

std::string signed_db(double v) { return fmt("%+.1f", v); }

/// Half the difference, to the nearest 0.5 dB, at least 0.5 dB (see reference.hpp).
double half_step(double diff_db) { return std::max(0.5, std::round(std::abs(diff_db)) / 2.0); }

/// Power sum (dB) of the octave bands whose centre lies in [lo, hi); nullopt when none.
std::optional<double> region_db(const analysis::Analysis& a, double lo_hz, double hi_hz) {
    double power = 0.0;
    bool any = false;
    for (const auto& b : a.spectrum.bands) {
        const double centre = std::sqrt(std::max(b.lo_hz, 1.0) * std::max(b.hi_hz, 1.0));
        if (centre >= lo_hz && centre < hi_hz) {
            power += db_to_power(b.db);
            any = true;
        }
    }
    if (!any) return std::nullopt;
    return power_to_db(power);
}

/// Mean over the references that have the region; nullopt when none has it.
template <class F>
std::optional<double> mean_of(const std::vector<analysis::Analysis>& refs, F&& f) {
    double sum = 0.0;
    int n = 0;
    for (const auto& r : refs)
        if (auto v = f(r)) {
            sum += *v;
            ++n;
        }
    if (n == 0) return std::nullopt;
    return sum / n;
}

Issue make_issue(std::string rule, Severity sev, double diff, double threshold, std::string title, std::string detail,
                 std::string fix) {
    Issue i;
    i.rule = std::move(rule);
    i.category = "reference";
    i.severity = sev;
    i.title = std::move(title);
    i.detail = std::move(detail);
    i.fix = std::move(fix);
    i.score = std::abs(diff) - threshold + 1.0;
    i.value = diff;
    i.target = 0.0;
    i.unit = "dB";
    i.target_source = "your reference tracks (their average)";
    return i;
}

double width_db(const analysis::Analysis& a) { return power_to_db(std::max(a.stereo.width, 1e-3)); }

}  // namespace

std::vector<Issue> compare_with_references(const analysis::Analysis& mix, const std::vector<analysis::Analysis>& refs,
                                           const ReferenceOptions& o) {
    std::vector<Issue> out;
    if (refs.empty()) return out;
    const std::string n_refs = std::to_string(refs.size()) + (refs.size() == 1 ? " reference" : " references");

    auto tonal = [&](const Region& r, bool low_end) {
        const auto mine = region_db(mix, r.lo_hz, r.hi_hz);
        const auto theirs = mean_of(refs, [&](const analysis::Analysis& a) { return region_db(a, r.lo_hz, r.hi_hz); });
        if (!mine || !theirs) return;
        const double diff = *mine - *theirs;
        if (std::abs(diff) < o.tonal_min_db) return;
        const Severity sev = std::abs(diff) >= o.tonal_important_db ? Severity::important : Severity::polish;
        const std::string amount = fmt("%.1f", std::abs(diff));
        const std::string title = amount + " dB " + (diff < 0 ? "less " : "more ") + r.name + " (" + r.range +
                                  ") than your references";
        const std::string detail = std::string(r.name) + " " + r.range + ", loudness-normalised: mix " +
                                   fmt("%.1f", *mine) + " dB, " + n_refs + " " + fmt("%.1f", *theirs) + " dB on average";
        char fix[160];
        std::snprintf(fix, sizeof fix, r.eq, signed_db(diff < 0 ? half_step(diff) : -half_step(diff)).c_str());
        std::string fix_text = std::string(fix) + "; re-export and compare again";
        fix_text[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(fix_text[0])));
        out.push_back(make_issue(std::string("reference.") + (low_end ? "low_end" : "tonal." + std::string(r.id)), sev,
                                 diff, o.tonal_min_db, title, detail, fix_text));
    };
    for (const auto& r : tonal_regions) tonal(r, false);
    tonal(low_end_region, true);

    // PLR: a masters' PLR is the density the mix will be mastered to.
    if (auto ref_plr = mean_of(refs, [](const analysis::Analysis& a) { return std::optional(a.dynamics.plr_db); })) {
        const double diff = mix.dynamics.plr_db - *ref_plr;
        if (std::abs(diff) >= o.plr_min_db) {
            const Severity sev = diff <= -2.0 * o.plr_min_db ? Severity::important : Severity::polish;
            const std::string detail = "PLR (true peak - integrated loudness): mix " + fmt("%.1f", mix.dynamics.plr_db) +
                                       " dB, " + n_refs + " " + fmt("%.1f", *ref_plr) + " dB on average";
            if (diff < 0)
                out.push_back(make_issue("reference.plr", sev, diff, o.plr_min_db,
                                         fmt("%.1f", -diff) + " dB more compressed than your references", detail,
                                         "Back off the master bus limiter/compressor by about " +
                                             fmt("%.1f", half_step(diff)) + " dB of gain reduction"));
            else
                out.push_back(make_issue("reference.plr", sev, diff, o.plr_min_db,
                                         fmt("%.1f", diff) + " dB more dynamic than your references", detail,
                                         "Fine for a premaster; for their density, Glue Compressor 2:1 on the master, "
                                         "about " + fmt("%.1f", half_step(diff)) + " dB of gain reduction"));
        }
    }

    // Width: side/mid energy, as a dB ratio.
    if (auto ref_w = mean_of(refs, [](const analysis::Analysis& a) { return std::optional(width_db(a)); })) {
        const double diff = width_db(mix) - *ref_w;
        // Narrower than the references with no side content at all: Utility Width has nothing to widen.
        const bool no_side = mix.format.channels == 2 && mix.stereo.width <= 1e-6;
        if (std::abs(diff) >= o.width_min_db && !(diff < 0 && no_side)) {
            const std::string detail = "side/mid energy: mix " + fmt("%.2f", mix.stereo.width) + ", " + n_refs + " " +
                                       fmt("%.2f", db_to_power(*ref_w)) + " on average (" + signed_db(diff) + " dB)";
            const double pct = std::clamp(100.0 * std::sqrt(db_to_power(-diff / 2.0)), 50.0, 200.0);
            out.push_back(make_issue("reference.width", Severity::polish, diff, o.width_min_db,
                                     std::string(diff < 0 ? "Narrower" : "Wider") + " than your references by " +
                                         fmt("%.1f", std::abs(diff)) + " dB of side signal",
                                     detail,
                                     "Utility Width " + fmt("%.0f", pct) +
                                         "% on the music bus (keep the low end mono)"));
        }
    }
    rules::rank(out);
    return out;
}

std::vector<Issue> apply_references(std::vector<Issue> issues, const analysis::Analysis& mix,
                                    const std::vector<analysis::Analysis>& refs, const ReferenceOptions& o) {
    if (refs.empty()) return issues;
    std::erase_if(issues, [](const Issue& i) { return i.category == "tonal"; });
    auto ref_issues = compare_with_references(mix, refs, o);
    issues.insert(issues.end(), ref_issues.begin(), ref_issues.end());
    rules::rank(issues);
    return issues;
}

}  // namespace mixscout::review
