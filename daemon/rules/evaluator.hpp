// mixscout rules, private to daemon/rules/: the Evaluator that runs every rule over one analysis.
// One file per rule family: rules_level.cpp (silence of the whole export, float overs, clipping,
// true peak, headroom, Normalize, loudness, dynamics), rules_tonal.cpp (tonal balance and the
// target curve), rules_stereo.cpp (stereo and phase), rules_format.cpp (DC, silence at the ends,
// export format); rules.cpp runs them (Evaluator::run) and holds the public API (rules.hpp).
// Thresholds come from the typed config (config::Rules, config/settings.hpp).
#pragma once
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "config/config.hpp"
#include "rules/rules.hpp"

namespace mixscout::rules::detail {

using analysis::Analysis;
using analysis::Band;

/// A loudness below this is silence (the BS.1770 absolute gate is -70 LUFS).
inline constexpr double silent_lufs = -69.0;

inline std::string num(double v, int decimals = 1) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    std::string s = buf;
    if (s == "-0.0" || s == "-0") s = s.substr(1);
    return s;
}
inline std::string signed_num(double v, int decimals = 1) {
    std::string s = num(v, decimals);
    if (v > 0) s.insert(s.begin(), '+');
    return s;
}
/// Gain moves are suggested in half-dB steps, rounded up so the fix is enough.
inline double half_db_up(double db) { return std::ceil(db * 2.0 - 1e-9) / 2.0; }
inline double half_db(double db) { return std::round(db * 2.0) / 2.0; }
inline std::string hz(double f) { return f >= 1000.0 ? num(f / 1000.0, f >= 10000.0 ? 0 : 1) + " kHz" : num(f, 0) + " Hz"; }

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
Curve target_curve(const config::Tonal& tonal, std::string name = {});

class Evaluator {
public:
    Evaluator(const Analysis& a, const config::Config& cfg, Profile p)
        : a_(a), cfg_(cfg), r_(cfg.settings().rules), tonal_(cfg.settings().tonal), p_(std::move(p)) {}

    std::vector<Issue> run();

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

    Issue& add(std::string rule, std::string category, Severity sev);
    /// "Utility on the master (first device): Gain -X dB" so the peaks land at peak_target_dbfs.
    std::string gain_down_fix(double peak_db) const;

    // ---- silent export ---------------------------------------------------------------------------
    bool silent_export();

    static bool is_float(const analysis::FormatInfo& f) { return f.encoding.find("float") != std::string::npos || f.encoding == "double"; }

    /// A float export over 0 dBFS: nothing clipped yet, every fixed-point copy will clip. Replaces
    /// the clipping rule (its full-scale runs are these overs).
    bool float_overs();

    // ---- clipping ----------------------------------------------------------------------------
    bool clipping();

    // ---- true peak ---------------------------------------------------------------------------
    void true_peak();

    // ---- headroom (pre-masters) ----------------------------------------------------------------
    void headroom(bool silent);

    /// Live's Export "Normalize": the sample peak pinned at 0.00 dBFS without clipped runs, on a mix
    /// no limiter pinned. A gain cut would be undone by Normalize, so it names the switch instead.
    bool normalized();

    // ---- loudness --------------------------------------------------------------------------------
    void loudness();

    // ---- dynamics --------------------------------------------------------------------------------
    void dynamics();

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

    static std::span<const Region> regions();

    static double median(std::vector<double> v);

    /// Band deviations from the target after removing the level offset (median deviation).
    /// Bands with nothing in them (above Nyquist) are skipped.
    std::vector<std::pair<double, double>> deviations(const std::vector<Band>& bands, const Curve& target, double band_offset_db) const;

    /// The curve tonal() judges against (the classifier's pick under tonal.choose: auto, else
    /// tonal.curve) and where that choice came from, for the issues and the report.
    std::string tonal_curve_name() const;
    std::string tonal_source() const;
    /// A region's allowed deviation on this material (a family's own spread where the config gives one).
    double tonal_threshold(const config::Rules::TonalRegion& rule) const;

public:
    /// The target curve as tonal() places it on this mix (see TonalTarget in rules.hpp): the
    /// same curve, family and tolerances the tonal rules used.
    TonalTarget tonal_target();

private:
    void tonal();

    // ---- stereo and phase ----------------------------------------------------------------------
    void stereo();
    /// The octave band (45 Hz up, below Nyquist, with content) with the lowest L/R correlation at
    /// or below rules.phase.min_band_correlation; null when none is.
    const analysis::BandCorrelation* most_negative_band() const;

    // ---- DC, silence, format -------------------------------------------------------------------
    void dc_offset();

    void silence();

    static bool is_lossy(const analysis::FormatInfo& f);

    void format();
    void resampled();  // format.resampled: converted from another project rate
    void dither();     // format.dither: 16-bit without dither
};

}  // namespace mixscout::rules::detail
