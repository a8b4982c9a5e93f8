#include "rules/material.hpp"

#include <cmath>
#include <cstdio>

#include "core/units.hpp"

namespace mixscout::rules {

double low_share_db(const analysis::SpectrumInfo& s) {
    double low = 0.0, all = 0.0;
    for (const auto& b : s.bands) {
        const double p = db_to_power(b.db);
        all += p;
        if (std::sqrt(b.lo_hz * b.hi_hz) < 90.0) low += p;
    }
    return all > 0.0 && low > 0.0 ? power_to_db(low / all) : -120.0;
}

Material classify(const analysis::Analysis& a, const config::Config& cfg) {
    const config::Tonal::Classifier& k = cfg.settings().tonal.classifier;
    const double steep = k.steep_tilt_db_per_octave;
    const double dynamic = k.dynamic_plr_db;
    const double wide = k.wide_low_side_db;
    const double light = k.light_low_share_db;
    Material m;
    m.tilt_db_per_octave = a.spectrum.tilt_db_per_octave;
    m.plr_db = a.dynamics.plr_db;
    m.low_share_db = low_share_db(a.spectrum);
    const bool stereo = a.format.channels == 2;
    m.low_side_db = stereo ? power_to_db(a.stereo.low_width) : -120.0;

    char buf[96];
    auto vote = [&](bool acoustic, const char* what, double v, const char* op, double lim, const char* unit) {
        ++m.voters;
        m.votes += acoustic ? 1 : 0;
        std::snprintf(buf, sizeof buf, "%s %.1f %s (%s %s %.1f)", what, v, unit, acoustic ? "acoustic:" : "modern: not", op, lim);
        m.why += (m.why.empty() ? "" : ", ") + std::string(buf);
    };
    vote(m.tilt_db_per_octave <= steep, "tilt", m.tilt_db_per_octave, "<=", steep, "dB/oct");
    vote(m.plr_db >= dynamic, "PLR", m.plr_db, ">=", dynamic, "dB");
    if (stereo) vote(m.low_side_db >= wide, "side below 120 Hz", m.low_side_db, ">=", wide, "dB");
    vote(m.low_share_db <= light, "power below 90 Hz", m.low_share_db, "<=", light, "dB");

    const int need = k.min_votes;
    const bool tilt_decides = m.tilt_db_per_octave <= k.decisive_tilt_db_per_octave;
    if (tilt_decides) {
        std::snprintf(buf, sizeof buf, "; tilt <= %.1f dB/oct decides: acoustic", k.decisive_tilt_db_per_octave);
        m.why += buf;
    }
    m.family = tilt_decides || m.votes >= std::min(need, m.voters) ? "acoustic" : "modern";
    m.curve = m.family == "acoustic" ? k.acoustic_curve : k.modern_curve;
    return m;
}

}  // namespace mixscout::rules
