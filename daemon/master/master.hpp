// mixscout master: master a mix against one or more reference tracks.
//
// What it does (Matchering's idea, measured with broadcast-grade tools instead of RMS):
//   1. analysis, one pass per file (mix and references run on parallel threads): BS.1770-4
//      integrated loudness, and the long-term power spectra of mid (L+R)/2 and side (L-R)/2 over
//      the *loudest sections* (1 s segments, the loudest `loudest_fraction` of the non-silent
//      time; verses and intros do not dilute the tonal balance of the chorus).
//   2. EQ match: per frequency, reference / mix on a 1/24-octave grid, each spectrum normalised
//      to its own K-weighted loudness, smoothed over `smoothing_octaves`, limited to
//      +max_boost_db / -max_cut_db, never boosting where the mix has no energy (60 dB below its
//      strongest band, or side 30 dB below mid), scaled by `amount`. Mid and side get their own
//      curve, so matching side against mid per band also matches the stereo width. Applied as a
//      linear-phase FIR (~0.17 s long; FFTW overlap-add), so nothing is smeared in phase.
//   3. gain to the target loudness (the references' mean integrated loudness, or target_lufs),
//      then a look-ahead true-peak limiter (see limiter.hpp) at ceiling_dbtp.
//   4. the gain is solved before rendering against a model of the limiter (loudness_model.hpp);
//      loudness is then measured on the rendered result: the render aims slightly loud and a final
//      exact downward trim lands on the target (a downward trim can only lower true peak). If the
//      render came out short, it is redone with more gain (at most twice) — but never past the
//      point where a dB of gain buys less than 0.15 LU: then the mix cannot get louder without
//      being crushed, the output stops short and a note says so.
//
// Passes over the mix: 1 analysis + 1 render (+1 only in the rare case above), then a cheap copy
// pass from a 32-bit float temp file (next to the output) to the final file at --bits, with TPDF
// dither when writing 16-bit, metering what is written (the final true-peak check). Memory: ~6 MB
// of spectra per file being analysed, a few MB per render, plus the mix's limiter-model chunks
// (8 bytes per 1.3 ms: 1.4 MB per 4 minutes, 22 MB per hour). 27 MB peak for a 4-minute song.
//
// Input rules (each an InputError naming the file): stereo files only (a mono mix has no width to
// match and a mono reference none to give: export stereo); at least min_duration_s long; not
// silent (integrated loudness above -70 LUFS); a reference identical to the mix (same file or
// same decoded samples) is refused: there is nothing to match. References may have any sample
// rate; the output has the mix's.
//
// Threading: master_file() blocks; it runs the analyses on up to one thread per file and calls
// `progress` from the calling thread only.
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/analysis.hpp"

namespace mixscout::master {

struct LimiterOptions {
    double lookahead_ms = 5.0;        ///< attack = look-ahead: the gain ramps down smoothly over it
    double release_fast_ms = 60.0;    ///< recovery after isolated peaks
    double release_slow_ms = 900.0;   ///< recovery from sustained limiting (no pumping)
    double sustain_ms = 1500.0;       ///< averaging time that tells sustained from isolated limiting
    double margin_db = 0.1;           ///< internal target below the ceiling (meter disagreement)
};

/// The gentle dynamics stage before the limiter: a slow, low-ratio, stereo-linked RMS compressor
/// (compressor.hpp). Its threshold sits relative to the mix's own programme level, so what it
/// does does not depend on how loud the master is pushed.
struct CompressorOptions {
    bool enabled = true;
    double ratio = 1.5;                    ///< low: it evens the loudest passages, it does not squash
    double attack_ms = 30.0;               ///< slow: transients pass, the limiter catches what matters
    double release_ms = 300.0;
    double knee_db = 6.0;
    double threshold_db = 0.0;             ///< relative to the programme level (gated mean power)
    double max_gain_reduction_db = 3.0;    ///< its range: never more than this
    /// It works only when reaching the loudness would take more peak limiting than this; a mix
    /// that needs little gets no compression.
    double engage_above_limiting_db = 2.0;
};

/// What a master may do to the mix (config `master.guards`). The loudness guards (limiter and
/// LRA) bound the gain: when the target would break one, the master stops at the loudest level
/// that keeps them, unless the target was given explicitly. The stereo guards bound the side EQ.
struct GuardOptions {
    double max_limiter_peak_db = 6.0;      ///< most limiter gain reduction at any moment
    double max_limiter_mean_db = 1.5;      ///< most limiter gain reduction on average
    double max_lra_loss_lu = 2.0;          ///< loudness range (EBU Tech 3342) the master may lose
    double max_side_gain_db = 3.0;         ///< most side boost relative to mid in any band
    double mono_below_hz = 120.0;          ///< below this the side is never raised relative to mid
    double max_correlation_drop = 0.1;     ///< L/R correlation of the master >= the mix's minus this
    double max_mono_loss_increase_db = 0.5;///< mono fold-down loss <= the mix's plus this
};

struct MasterOptions {
    /// Default: mean integrated loudness of the references, lowered if needed to keep the loudness
    /// guards. Given, it is reached even if it breaks them (the report says which).
    std::optional<double> target_lufs;
    double ceiling_dbtp = -1.0;         ///< true-peak ceiling of the output, -20..0
    double amount_percent = 100.0;      ///< how much of the EQ and width match to apply, 0..100
    bool match_loudness = true;         ///< off: the output keeps the mix's loudness
    bool match_eq = true;               ///< tonal balance (mid curve; side too unless width is off)
    bool match_width = true;            ///< side vs mid per band (only width when eq is off)
    int bits = 24;                      ///< 16 (TPDF dither), 24 (PCM) or 32 (float)
    double smoothing_octaves = 1.0 / 3.0;
    double max_boost_db = 3.0;          ///< gentle by default: mastering EQ moves are 1-3 dB
    double max_cut_db = 4.0;
    double loudest_fraction = 0.5;      ///< share of non-silent time used for the spectra
    double min_duration_s = 5.0;
    LimiterOptions limiter;
    CompressorOptions compressor;
    GuardOptions guards;
    bool write_ab = false;              ///< also write OUT.ab.wav (ab_path()): level-matched A/B
    double ab_block_s = 4.0;
};

/// OUT.wav -> OUT.ab.wav (always WAV).
std::filesystem::path ab_path(const std::filesystem::path& output);

/// One band of the applied EQ, for the report: the mean of the curve over the band.
struct EqBand {
    double lo_hz = 0.0, hi_hz = 0.0;
    double mid_db = 0.0;
    double side_db = 0.0;
};

struct LimiterStats {
    double max_gain_reduction_db = 0.0;
    double mean_gain_reduction_db = 0.0;  ///< over the whole output
    double limiting_percent = 0.0;        ///< share of time with more than 0.1 dB reduction
    std::vector<float> series_db;         ///< max reduction per 1/series_hz s (for plots)
};
inline constexpr double gain_reduction_series_hz = 10.0;

/// Measurements of one file, before or after (the shared analysis: analysis/analyzer.hpp).
struct Snapshot {
    double lufs = 0.0, lra_lu = 0.0, true_peak_dbtp = 0.0, plr_db = 0.0, psr_db = 0.0;
    double correlation = 1.0, mono_loss_db = 0.0, side_to_mid_db = 0.0;
    std::vector<double> third_octave_db;   ///< 31 bands 20 Hz..20 kHz, loudness-normalised
};

/// One guard as kept (or broken) by the written master.
struct GuardCheck {
    std::string name;       ///< e.g. "limiter_peak"
    std::string what;       ///< plain words, e.g. "limiter gain reduction at its peak"
    double value = 0.0, limit = 0.0;
    std::string unit;
    bool kept = true;
};

struct MasterReport {
    std::string mix, output;
    std::vector<std::string> references;
    int sample_rate = 0;
    int bits = 24;
    double duration_s = 0.0;

    double mix_lufs = 0.0;
    std::vector<double> reference_lufs;
    double target_lufs = 0.0;
    double output_lufs = 0.0;             ///< measured on the written file
    double mix_sample_peak_dbfs = 0.0;    ///< the mix's sample peak (pass 1 does not oversample)
    double output_true_peak_dbtp = 0.0;   ///< measured on the written file
    double ceiling_dbtp = -1.0;

    double gain_db = 0.0;                 ///< broadband gain before the limiter (incl. final trim)
    double eq_loudness_change_db = 0.0;   ///< how much the EQ alone changed loudness (predicted)
    std::vector<EqBand> eq_bands;         ///< 10 octave bands 31.5 Hz .. 16 kHz
    double eq_max_boost_db = 0.0;
    double eq_max_cut_db = 0.0;

    double mix_width_db = 0.0;            ///< side/mid energy ratio over the loudest sections, dB
    double reference_width_db = 0.0;      ///< same, mean of the references
    double width_change_db = 0.0;         ///< applied change of side/mid, dB (loudness-weighted)

    LimiterStats limiter;
    LimiterStats compressor;              ///< the dynamics stage's gain reduction
    bool compressor_used = false;

    double wanted_lufs = 0.0;             ///< the target before the guards (references or forced)
    std::string loudness_limited_by;      ///< guard name that lowered the target, or ""
    std::vector<GuardCheck> guards;

    Snapshot mix_stats, output_stats, reference_stats;  ///< reference: mean over the references
    double reference_distance_before_db = 0.0;  ///< RMS of 1/3-octave differences, 31.5 Hz..16 kHz
    double reference_distance_after_db = 0.0;
    double level_difference_db = 0.0;     ///< output - mix loudness: the part of the change that is level only
    double tonal_change_db = 0.0;         ///< RMS 1/3-octave change at equal loudness (what the A/B lets you hear)
    std::string ab_output;                ///< empty unless written
    double ab_master_gain_db = 0.0, ab_mix_gain_db = 0.0;

    /// The full analyses, for the rules (the CLI judges the master like any export).
    analysis::Analysis mix_analysis, output_analysis;
    std::int64_t clipped_samples = 0;     ///< full-scale samples in the output (0 by design)
    int render_passes = 0;
    std::vector<std::string> notes;
};

nlohmann::json to_json(const MasterReport& report);
/// A few human lines: what was done.
std::string summary(const MasterReport& report);

/// percent 0..100, stage "analysing" | "rendering" | "writing" | "done".
using ProgressCallback = std::function<void(double percent, std::string_view stage)>;

/// Masters `mix` against `references` into `output` (WAV). Throws InputError for bad input (see
/// the rules above) or an unwritable output; the output is never left half-written.
MasterReport master_file(const std::filesystem::path& mix, const std::vector<std::filesystem::path>& references,
                         const std::filesystem::path& output, const MasterOptions& options = {},
                         const ProgressCallback& progress = {});

}  // namespace mixscout::master
