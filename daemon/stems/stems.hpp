// mixscout stems: frequency clashes between the stems of a mix, and which stem should yield.
//
//   auto report = stems::analyze_stems({"exports/Song 1-Kick.wav", "exports/Song 2-Bass.wav"}, cfg);
//   for (const auto& c : report.clashes) ...   // also ranked into report.issues (category "clash")
//
// How (details in clash.hpp and the `stems` section of config/mixscout.yaml):
//   1. one streaming decode per stem (a small thread pool, `stems.threads`) feeds the band-energy
//      kernel (dsp/band_energy.hpp: 1/3-octave bands, 50 ms frames), a loudness meter and a clip
//      detector; what is kept is a compact series: one float per band per frame (~0.6 MB for a
//      4-minute stem). Pairs are then compared on the series only: 32 stems = 32 decodes.
//   2. every stem gets a role (kick, bass, vocal, ...): the user's `stems.roles`, else keywords in
//      its name, else a guess from its spectrum and envelope (roles.hpp);
//   3. every pair is scanned for clashes (clash.hpp); the role priority decides which stem yields
//      and the fix names it, with numbers for EQ Eight or a side-chained Compressor;
//   4. per-stem checks: clipping (full-scale runs) and a stem far louder than the others.
//
// Stems are aligned at their first sample; a shorter stem counts as silent after its end.
// Different sample rates are accepted without resampling: the series are in Hz and seconds
// (frames of exactly frame_s), so stems at 44.1 and 48 kHz compare directly; the report carries a
// warning because Live exports all tracks of one export at one rate.
// An unreadable stem is listed in errors[] and the others are still analysed; no readable stem
// at all is an InputError.
//
// Threading: analyze_stems() runs its own worker threads and joins them before returning; it may
// be called from any thread. Cost: see docs/BENCHMARKS.md (within 2x of decoding the stems).
#pragma once
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "dsp/band_energy.hpp"
#include "dsp/spectrum.hpp"
#include "rules/issue.hpp"

namespace mixscout::stems {

/// Thresholds of the clash search; the defaults are the shipped config's `stems.clash` values
/// (config/mixscout.yaml explains each).
struct ClashOptions {
    double floor_dbfs = -60.0;         ///< a band quieter than this is not sounding
    double significance_db = 12.0;     ///< ... nor one more than this below the stem's loudest band in that frame
    double within_db = 6.0;            ///< both sounding and within this of each other: they fight
    int min_fight_frames = 2;          ///< a fight shorter than this many frames is an attack transient
    double hold_s = 2.0;               ///< a stem "plays" while it sounded within this time (between hits, phrases)
    double min_band_fraction = 0.05;   ///< a band clashes when it does in this share of the time both stems sound
    double min_overlap_s = 0.5;        ///< a clash range shorter than this in total is not reported
    int max_range_bands = 6;           ///< wider runs of clashing bands are split (6 thirds = 2 octaves)
    int max_clashes_per_pair = 2;      ///< the strongest ranges of a pair
    double merge_gap_s = 1.0;          ///< clash moments closer than this form one moment in times_s
    int max_times = 8;                 ///< times_s entries per clash
    double critical_fraction = 0.3;    ///< overlap fraction and energy share for critical ...
    double critical_share = 0.25;
    double important_fraction = 0.15;  ///< ... and for important; anything less is polish
    double important_share = 0.1;
    rules::Severity max_severity = rules::Severity::important;  ///< a clash is never worse than this
    double min_stereo_overlap = 0.6;   ///< L/R distribution overlap below which two stems do not clash
    bool percussive_pairs = false;     ///< judge two percussive stems (a backbeat) as a clash too
    double percussive_crest_db = 6.0;  ///< envelope crest (p95 - p50 of frame levels) of a percussive stem
    double separation_db = 6.0;        ///< the EQ cut aims to put the yielding stem this far below the other
    double min_cut_db = 2.0;
    double max_cut_db = 12.0;
};

struct StemsOptions {
    int threads = 0;  ///< decode threads; 0 = one per core
    dsp::BandEnergyOptions bands;
    ClashOptions clash;
    std::map<std::string, std::string> roles;                      ///< track name -> role (user overrides)
    std::vector<std::pair<std::string, std::vector<std::string>>> keywords;  ///< role -> name keywords, in match order
    std::vector<std::string> priority;                             ///< roles, the first keeps its space
    double loud_stem_lu = 12.0;                                    ///< louder than the median of the others by this
    bool clipping_enabled = true;
    rules::Severity clipping_severity = rules::Severity::important;
    rules::Severity loud_severity = rules::Severity::polish;
    /// The shipped defaults (== options_from_config(config::Config::defaults())), made once.
    static const StemsOptions& defaults();
};

/// Reads the `stems` section.
StemsOptions options_from_config(const config::Config& cfg);

/// One stem, measured.
struct StemInfo {
    std::string file;            ///< path as given
    std::string name;            ///< track name from the file name (naming.hpp)
    std::string role;            ///< kick, bass, vocal, ... or "other"
    std::string role_source;     ///< "config" | "name" | "spectrum"
    int sample_rate = 0;
    int channels = 0;
    double duration_s = 0.0;
    double integrated_lufs = -120.0;
    double sample_peak_dbfs = -120.0;
    std::int64_t clip_runs = 0;
    std::vector<double> clip_times_s;  ///< first few runs
    double centroid_hz = 0.0;    ///< power-weighted geometric mean of band centres
    double low_share = 0.0;      ///< share of the power below 120 Hz, 0..1
    double envelope_crest_db = 0.0;  ///< p95 - p50 of the sounding frames' levels
    bool percussive = false;
    double pan = 0.0;            ///< stereo position from L/R power: (pR - pL) / (pL + pR), -1 left .. +1 right; 0 for mono
    double width = 0.0;          ///< side/mid energy (dsp::StereoMeter); 0 for mono
};

struct StemError {
    std::string file;
    std::string message;  ///< one line, e.g. "x.wav: not an audio file"
};

struct Clash {
    std::string a, b;            ///< track names
    double lo_hz = 0.0, hi_hz = 0.0;
    rules::Severity severity = rules::Severity::polish;
    double score = 0.0;          ///< overlap_fraction * energy_share * 100
    double overlap_s = 0.0;      ///< time both fight in the range
    double overlap_fraction = 0.0;  ///< overlap_s / time both stems play
    double energy_share = 0.0;   ///< mean share of the whole mix's power the two carry in the range while they fight
    double level_diff_db = 0.0;  ///< median (yielding - keeping) band level while they fight
    double stereo_overlap = 1.0; ///< overlap of the two stems' L/R power shares (1 = same place)
    std::vector<double> times_s; ///< where the clashing passages start
    std::string yield;           ///< the stem to cut (a or b)
    bool rhythmic = false;       ///< the keeper is percussive, the yielder sustained: side-chain
    std::string fix;             ///< primary fix, with numbers
    std::string alternative;     ///< the other way
};

/// What a stems run measured, before any judgement: everything judge_stems() needs to judge it
/// again with another `stems:` config — roles, keywords, priority, every stems.clash threshold,
/// the per-stem checks. Not stems.frame_s nor stems.bands: they shape the measurement itself, and
/// changing them needs the audio again. Levels are kept in 0.01 dB steps (int16: the judgement
/// runs on exactly what is stored), ~0.3 MB for a 4-minute stem (4800 frames x 31 bands x 2 bytes), plus ~0.15 MB of per-band
/// stereo positions (1 byte each) when it is stereo.
struct StemsMeasured {
    double frame_s = 0.05;
    std::vector<dsp::FrequencyBand> bands;
    struct Stem {
        StemInfo info;                        ///< the measured fields (role and features: judged)
        std::size_t bands = 0;                ///< this stem's band count (a low sample rate has fewer)
        std::vector<std::int16_t> level_cdb;  ///< band levels, frames x bands, row-major, in 0.01 dB
        double left_share = 0.5;              ///< pL / (pL + pR) (0.5: centred, mono)
        /// pL / (pL + pR) per frame and band like level_cdb, in 1/255 steps; empty for mono stems.
        std::vector<std::uint8_t> left_share_q;
    };
    std::vector<Stem> stems;
    std::vector<StemError> errors;
    std::vector<std::string> warnings;
};

struct StemsReport {
    double frame_s = 0.05;
    std::vector<dsp::FrequencyBand> bands;
    std::vector<StemInfo> stems;
    std::vector<StemError> errors;
    std::vector<Clash> clashes;        ///< ranked like issues
    std::vector<rules::Issue> issues;  ///< clashes + per-stem checks, ranked (rules::rank)
    std::vector<std::string> warnings;
    std::shared_ptr<const StemsMeasured> measured;  ///< what it was judged from (to store, judge again)
};

/// Expands directories (their audio files, sorted by name; not recursive) and keeps files as
/// given. Skips Live's own mix file in a folder ("... Master.wav" / "... Main.wav") with a warning.
std::vector<std::filesystem::path> collect_stem_files(const std::vector<std::filesystem::path>& dirs_or_files,
                                                      std::vector<std::string>* warnings = nullptr);

/// Decodes and measures the stems (the thread pool). Throws InputError when no stem can be read.
StemsMeasured measure_stems(const std::vector<std::filesystem::path>& files, const StemsOptions& options);
/// The judgement of a measured run: features, roles, clashes, per-stem checks. Pure: the same
/// measurements and options give the same report.
StemsReport judge_stems(const StemsMeasured& measured, const StemsOptions& options);

/// A compact binary form of the measurements for the history (CBOR), and back. measured_from_bytes
/// throws InputError on bytes it cannot read.
std::vector<std::uint8_t> to_bytes(const StemsMeasured& measured);
StemsMeasured measured_from_bytes(const std::vector<std::uint8_t>& bytes);

/// measure_stems, then judge_stems (report.measured keeps the measurements).
/// Throws InputError when no stem can be read (or none is given).
StemsReport analyze_stems(const std::vector<std::filesystem::path>& files, const StemsOptions& options);
StemsReport analyze_stems(const std::vector<std::filesystem::path>& files, const config::Config& cfg);

/// Decodes the stems without analysing them (the benchmark's baseline); returns frames decoded.
std::int64_t decode_only(const std::vector<std::filesystem::path>& files, int threads = 0);

nlohmann::json to_json(const StemsReport& report);
nlohmann::json to_json(const Clash& clash);

}  // namespace mixscout::stems
