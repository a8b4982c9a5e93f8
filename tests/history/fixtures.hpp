// Test fixtures for the history tests: analyses and issues built with known values.
#pragma once
#include <cmath>
#include <string>
#include <vector>

#include "analysis/analysis.hpp"
#include "rules/issue.hpp"

namespace mixscout::test {

/// The ISO octave centres of Analysis::spectrum.bands.
inline const std::vector<double>& octave_centres() {
    static const std::vector<double> c = {31.5, 63, 125, 250, 500, 1000, 2000, 4000, 8000, 16000};
    return c;
}

/// An analysis of a plausible mix: -14 LUFS, -1 dBTP, PLR 13 dB, width 0.3, a falling spectrum
/// (band i at -8 - 1.2 i dB). Tests change the fields they are about.
inline analysis::Analysis make_analysis(const std::string& path = "mix.wav") {
    analysis::Analysis a;
    a.path = path;
    a.format = {48000, 2, 24, "wav", "pcm_24", 48000 * 10, 10.0};
    a.peak.sample_peak_dbfs = -1.5;
    a.peak.true_peak_dbtp = -1.0;
    a.peak.channel_sample_peak_dbfs = {-1.5, -1.6};
    a.peak.channel_true_peak_dbtp = {-1.0, -1.1};
    a.loudness.integrated_lufs = -14.0;
    a.loudness.momentary_max_lufs = -10.0;
    a.loudness.short_term_max_lufs = -12.0;
    a.loudness.lra_lu = 6.0;
    a.loudness.short_term_series = {-15.0f, -14.0f, -13.5f};
    a.dynamics = {10.0, 13.0, 11.0};
    for (std::size_t i = 0; i < octave_centres().size(); ++i) {
        const double c = octave_centres()[i];
        a.spectrum.bands.push_back({c / std::sqrt(2.0), c * std::sqrt(2.0), -8.0 - 1.2 * static_cast<double>(i)});
        a.stereo.band_correlation.push_back({c / std::sqrt(2.0), c * std::sqrt(2.0), 0.8});
    }
    a.spectrum.tilt_db_per_octave = -1.2;
    a.stereo.correlation = 0.8;
    a.stereo.width = 0.3;
    a.stereo.mono_loss_db = 0.5;
    a.dc_offset = {0.0, 0.0};
    return a;
}

inline rules::Issue make_issue(std::string rule, rules::Severity sev, double value, double target,
                               std::string unit, std::string title = {}, std::string category = {}) {
    rules::Issue i;
    i.rule = rule;
    i.category = category.empty() ? rule.substr(0, rule.find('.')) : category;
    i.severity = sev;
    i.title = title.empty() ? rule : title;
    i.detail = "detail of " + rule;
    i.fix = "fix for " + rule;
    i.value = value;
    i.target = target;
    i.unit = std::move(unit);
    i.score = 1.0 + std::abs(value - target);
    return i;
}

}  // namespace mixscout::test
