// mixscout config: the typed configuration every module reads (config::Settings).
// (Over 500 lines because it declares one struct per section of the shipped file, each field
// once; splitting it per section would scatter one schema over many headers.)
//
// One struct per section of config/mixscout.yaml, one field per key, same names; the shipped
// file says what each value means and where it comes from. A Settings is built once per load or
// reload from the validated YAML (config.hpp: Config::load / parse / defaults; config::Live for
// the daemon's hot reload) and is then an immutable value: read fields, never look keys up.
// Fields have no defaults of their own: every value comes from the shipped file (the schema).
//
// Each struct lists its keys once, in fields(): the builder (config/build.cpp) reads them with it
// and the tests check that fields() and the shipped file name the same keys. To add a key (e.g.
// a rule threshold): add it to config/mixscout.yaml (with its @range and its reason) and here as
// a field plus one line in its struct's fields().
//
// Open maps (profiles, tonal.curves, stems.roles, stems.keywords, songs.rename) keep file order:
// error texts list their entries in that order, keywords are tried in it, the first rename wins.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/severity.hpp"

namespace mixscout::config {

/// A map from names to values in file order (an @open map of the YAML).
template <class T>
struct Ordered {
    std::vector<std::pair<std::string, T>> entries;

    /// The value named name, or nullptr.
    const T* find(std::string_view name) const {
        for (const auto& [k, v] : entries)
            if (k == name) return &v;
        return nullptr;
    }
    std::vector<std::string> names() const {
        std::vector<std::string> out;
        for (const auto& e : entries) out.push_back(e.first);
        return out;
    }
    /// "a, b, c" (for error texts).
    std::string joined_names() const {
        std::string out;
        for (const auto& e : entries) out += (out.empty() ? "" : ", ") + e.first;
        return out;
    }
    bool empty() const { return entries.empty(); }
    auto begin() const { return entries.begin(); }
    auto end() const { return entries.end(); }
};

// ---- profiles -----------------------------------------------------------------------------------

enum class ProfileKind { premaster, master };

struct Profile {  // profiles.<name>
    ProfileKind kind{};
    std::string description;
    double target_lufs{};
    double louder_tolerance_lu{};
    double quieter_tolerance_lu{};
    double ceiling_dbtp{};
    template <class F> void fields(F&& f) {
        f("kind", kind), f("description", description), f("target_lufs", target_lufs),
            f("louder_tolerance_lu", louder_tolerance_lu), f("quieter_tolerance_lu", quieter_tolerance_lu),
            f("ceiling_dbtp", ceiling_dbtp);
    }
};

// ---- rules --------------------------------------------------------------------------------------

/// What every rule has.
struct Rule {
    bool enabled{};
    Severity severity{};
    template <class F> void fields(F&& f) { f("enabled", enabled), f("severity", severity); }
};

struct Rules {  // rules
    struct Clipping : Rule {
        int max_events{};
        double merge_window_s{};
        int lossy_overshoot_max_samples{};
        Severity lossy_overshoot_severity{};
        Severity lossy_severity{};
        template <class F> void fields(F&& f) {
            Rule::fields(f);
            f("max_events", max_events), f("merge_window_s", merge_window_s),
                f("lossy_overshoot_max_samples", lossy_overshoot_max_samples),
                f("lossy_overshoot_severity", lossy_overshoot_severity), f("lossy_severity", lossy_severity);
        }
    };
    struct TruePeak : Rule {
        double near_ceiling_db{};
        Severity near_severity{};
        double critical_dbtp{};
        template <class F> void fields(F&& f) {
            Rule::fields(f);
            f("near_ceiling_db", near_ceiling_db), f("near_severity", near_severity), f("critical_dbtp", critical_dbtp);
        }
    };
    struct Headroom : Rule {
        double peak_max_dbfs{}, peak_target_dbfs{}, peak_min_dbfs{};
        template <class F> void fields(F&& f) {
            Rule::fields(f);
            f("peak_max_dbfs", peak_max_dbfs), f("peak_target_dbfs", peak_target_dbfs), f("peak_min_dbfs", peak_min_dbfs);
        }
    };
    struct Loudness : Rule {
        Severity louder_severity{};
        double dynamic_plr_db{};
        Severity quiet_dynamic_severity{};
        template <class F> void fields(F&& f) {
            Rule::fields(f);
            f("louder_severity", louder_severity), f("dynamic_plr_db", dynamic_plr_db),
                f("quiet_dynamic_severity", quiet_dynamic_severity);
        }
    };
    struct Dynamics : Rule {
        double plr_min_db{}, psr_min_db{}, saturated_share{}, saturated_crest_db{};
        Severity psr_only_severity{};
        template <class F> void fields(F&& f) {
            Rule::fields(f);
            f("plr_min_db", plr_min_db), f("psr_min_db", psr_min_db), f("psr_only_severity", psr_only_severity),
                f("saturated_share", saturated_share), f("saturated_crest_db", saturated_crest_db);
        }
    };
    /// One tonal region rule (rules.tonal.<region>).
    struct TonalRegion : Rule {
        double threshold_db{};
        std::optional<double> acoustic_threshold_db;  ///< only where the YAML gives one (dark)
        double major_db{};
        Severity major_severity{};
        std::optional<double> missing_knee_db;        ///< only where the YAML gives one (dark)
        std::optional<Severity> acoustic_severity;    ///< only where the YAML gives one (dark)
        template <class F> void fields(F&& f) {
            Rule::fields(f);
            f("threshold_db", threshold_db), f("acoustic_threshold_db", acoustic_threshold_db), f("major_db", major_db),
                f("major_severity", major_severity), f("missing_knee_db", missing_knee_db),
                f("acoustic_severity", acoustic_severity);
        }
    };
    /// rules.tonal.change (review/tonal_change.hpp): needs the previous export.
    struct TonalChange {
        bool enabled{};
        double threshold_db{};
        template <class F> void fields(F&& f) { f("enabled", enabled), f("threshold_db", threshold_db); }
    };
    struct Tonal {
        double eq_limit_db{};
        TonalRegion dark, bright, muddy, boomy, harsh, thin;
        TonalChange change;
        template <class F> void fields(F&& f) {
            f("eq_limit_db", eq_limit_db), f("dark", dark), f("bright", bright), f("muddy", muddy), f("boomy", boomy),
                f("harsh", harsh), f("thin", thin), f("change", change);
        }
    };
    struct Narrow : Rule {
        double min_side_db{}, major_side_db{};
        Severity major_severity{};
        double identical_side_db{};
        template <class F> void fields(F&& f) {
            Rule::fields(f);
            f("min_side_db", min_side_db), f("major_side_db", major_side_db), f("major_severity", major_severity),
                f("identical_side_db", identical_side_db);
        }
    };
    struct LowEnd : Rule {
        double major_low_side_db{};
        Severity major_severity{};
        double acoustic_max_low_side_db{};
        Severity acoustic_severity{};
        double bass_mono_hz{};
        double max_low_side_db{};
        template <class F> void fields(F&& f) {
            Rule::fields(f);
            f("major_low_side_db", major_low_side_db), f("major_severity", major_severity),
                f("acoustic_max_low_side_db", acoustic_max_low_side_db), f("acoustic_severity", acoustic_severity),
                f("bass_mono_hz", bass_mono_hz), f("max_low_side_db", max_low_side_db);
        }
    };
    struct MonoLoss : Rule {
        double max_loss_db{};
        template <class F> void fields(F&& f) {
            Rule::fields(f);
            f("max_loss_db", max_loss_db);
        }
    };
    struct Balance : Rule {
        double max_imbalance_db{}, major_db{};
        Severity major_severity{};
        template <class F> void fields(F&& f) {
            Rule::fields(f);
            f("max_imbalance_db", max_imbalance_db), f("major_db", major_db), f("major_severity", major_severity);
        }
    };
    struct Stereo {
        Narrow narrow;
        LowEnd low_end;
        MonoLoss mono_loss;
        Balance balance;
        template <class F> void fields(F&& f) {
            f("narrow", narrow), f("low_end", low_end), f("mono_loss", mono_loss), f("balance", balance);
        }
    };
    /// rules.phase: configures the phase rules, "phase" (whole file), "phase.low" (below 120 Hz) and
    /// "phase.band" (one octave band).
    struct Phase : Rule {
        double min_correlation{}, min_low_correlation{}, major_correlation{}, min_band_correlation{};
        Severity major_severity{}, acoustic_severity{};
        template <class F> void fields(F&& f) {
            Rule::fields(f);
            f("min_correlation", min_correlation), f("min_low_correlation", min_low_correlation),
                f("major_correlation", major_correlation), f("major_severity", major_severity),
                f("acoustic_severity", acoustic_severity), f("min_band_correlation", min_band_correlation);
        }
    };
    struct DcOffset : Rule {
        double max_dbfs{};
        template <class F> void fields(F&& f) {
            Rule::fields(f);
            f("max_dbfs", max_dbfs);
        }
    };
    struct SilentExport : Rule {
        double max_lufs{};
        template <class F> void fields(F&& f) {
            Rule::fields(f);
            f("max_lufs", max_lufs);
        }
    };
    struct SilentEnd : Rule {
        double max_s{};
        template <class F> void fields(F&& f) {
            Rule::fields(f);
            f("max_s", max_s);
        }
    };
    struct Silence {
        SilentExport whole;  ///< rules.silence.export (`export` is a C++ keyword)
        SilentEnd head, tail;
        template <class F> void fields(F&& f) { f("export", whole), f("head", head), f("tail", tail); }
    };
    struct BitDepth : Rule {
        int min_bits{};
        template <class F> void fields(F&& f) {
            Rule::fields(f);
            f("min_bits", min_bits);
        }
    };
    struct SampleRate : Rule {
        int min_hz{};
        template <class F> void fields(F&& f) {
            Rule::fields(f);
            f("min_hz", min_hz);
        }
    };
    struct Normalize : Rule {
        double pinned_db{}, min_plr_db{};
        template <class F> void fields(F&& f) {
            Rule::fields(f);
            f("pinned_db", pinned_db), f("min_plr_db", min_plr_db);
        }
    };
    struct Dither : Rule {
        double min_undithered_s{};
        template <class F> void fields(F&& f) {
            Rule::fields(f);
            f("min_undithered_s", min_undithered_s);
        }
    };
    struct Resampled : Rule {
        Severity imaging_severity{};
        template <class F> void fields(F&& f) {
            Rule::fields(f);
            f("imaging_severity", imaging_severity);
        }
    };
    struct Format {
        BitDepth bit_depth;
        SampleRate sample_rate;
        Rule lossy;
        Normalize normalize;
        Rule float_overs;
        Rule mono;
        Dither dither;
        Resampled resampled;
        template <class F> void fields(F&& f) {
            f("bit_depth", bit_depth), f("sample_rate", sample_rate), f("lossy", lossy), f("normalize", normalize),
                f("float_overs", float_overs), f("mono", mono), f("dither", dither), f("resampled", resampled);
        }
    };

    Clipping clipping;
    TruePeak true_peak;
    Headroom headroom;
    Loudness loudness;
    Dynamics dynamics;
    Tonal tonal;
    Stereo stereo;
    Phase phase;
    DcOffset dc_offset;
    Silence silence;
    Format format;
    template <class F> void fields(F&& f) {
        f("clipping", clipping), f("true_peak", true_peak), f("headroom", headroom), f("loudness", loudness),
            f("dynamics", dynamics), f("tonal", tonal), f("stereo", stereo), f("phase", phase), f("dc_offset", dc_offset),
            f("silence", silence), f("format", format);
    }
};

// ---- tonal target -------------------------------------------------------------------------------

enum class CurveChoice { automatic, fixed };  ///< tonal.choose: auto | fixed

struct Tonal {  // tonal
    struct Classifier {
        double steep_tilt_db_per_octave{}, dynamic_plr_db{}, wide_low_side_db{}, light_low_share_db{};
        int min_votes{};
        double decisive_tilt_db_per_octave{};
        std::string acoustic_curve, modern_curve;
        template <class F> void fields(F&& f) {
            f("steep_tilt_db_per_octave", steep_tilt_db_per_octave), f("dynamic_plr_db", dynamic_plr_db),
                f("wide_low_side_db", wide_low_side_db), f("light_low_share_db", light_low_share_db),
                f("min_votes", min_votes), f("decisive_tilt_db_per_octave", decisive_tilt_db_per_octave),
                f("acoustic_curve", acoustic_curve), f("modern_curve", modern_curve);
        }
    };
    CurveChoice choose{};
    std::string curve;
    Classifier classifier;
    std::vector<double> centres_hz;
    Ordered<std::vector<double>> curves;
    template <class F> void fields(F&& f) {
        f("choose", choose), f("curve", curve), f("classifier", classifier), f("centres_hz", centres_hz),
            f("curves", curves);
    }
};

// ---- daemon -------------------------------------------------------------------------------------

struct Watch {  // watch
    std::vector<std::string> folders;
    bool recursive{};
    std::string backend;  ///< auto | inotify | windows | polling
    double settle_s{}, quiet_period_s{}, poll_interval_s{}, give_up_s{};
    int retries{};
    double group_window_s{};
    std::string profile;
    int workers{}, queue_capacity{};
    bool pick_up_on_start{};
    template <class F> void fields(F&& f) {
        f("folders", folders), f("recursive", recursive), f("backend", backend), f("settle_s", settle_s),
            f("quiet_period_s", quiet_period_s), f("poll_interval_s", poll_interval_s), f("give_up_s", give_up_s),
            f("retries", retries), f("group_window_s", group_window_s), f("profile", profile), f("workers", workers),
            f("queue_capacity", queue_capacity), f("pick_up_on_start", pick_up_on_start);
    }
};

struct Osc {  // osc
    std::string listen_host;
    int listen_port{};
    std::vector<std::string> allow, send;
    double heartbeat_s{};
    int max_devices{};
    template <class F> void fields(F&& f) {
        f("listen_host", listen_host), f("listen_port", listen_port), f("allow", allow), f("send", send),
            f("heartbeat_s", heartbeat_s), f("max_devices", max_devices);
    }
};

struct Log {  // log
    std::string level;  ///< debug | info | warn | error | off
    template <class F> void fields(F&& f) { f("level", level); }
};

// ---- history ------------------------------------------------------------------------------------

struct History {  // history
    struct Reference {
        double tonal_min_db{}, tonal_important_db{}, plr_min_db{}, width_min_db{};
        template <class F> void fields(F&& f) {
            f("tonal_min_db", tonal_min_db), f("tonal_important_db", tonal_important_db), f("plr_min_db", plr_min_db),
                f("width_min_db", width_min_db);
        }
    };
    std::string data_dir;
    int busy_timeout_ms{};
    Reference reference;
    template <class F> void fields(F&& f) {
        f("data_dir", data_dir), f("busy_timeout_ms", busy_timeout_ms), f("reference", reference);
    }
};

struct Songs {  // songs
    Ordered<std::string> rename;  ///< pattern (config/pattern.hpp) -> song name; checked at load
    template <class F> void fields(F&& f) { f("rename", rename); }
};

struct Stop {  // stop
    double min_change_db{};
    int max_iterations{};
    template <class F> void fields(F&& f) { f("min_change_db", min_change_db), f("max_iterations", max_iterations); }
};

// ---- stems --------------------------------------------------------------------------------------

struct Stems {  // stems
    struct Clash {
        double floor_dbfs{}, significance_db{}, within_db{};
        int min_fight_frames{};
        double hold_s{}, min_band_fraction{};
        int max_range_bands{}, max_clashes_per_pair{};
        double min_overlap_s{}, critical_fraction{}, critical_share{}, important_fraction{}, important_share{};
        Severity max_severity{};
        double min_stereo_overlap{};
        bool percussive_pairs{};
        double merge_gap_s{};
        int max_times{};
        double percussive_crest_db{}, separation_db{}, min_cut_db{}, max_cut_db{};
        template <class F> void fields(F&& f) {
            f("floor_dbfs", floor_dbfs), f("significance_db", significance_db), f("within_db", within_db),
                f("min_fight_frames", min_fight_frames), f("hold_s", hold_s), f("min_band_fraction", min_band_fraction),
                f("max_range_bands", max_range_bands), f("max_clashes_per_pair", max_clashes_per_pair),
                f("min_overlap_s", min_overlap_s), f("critical_fraction", critical_fraction),
                f("critical_share", critical_share), f("important_fraction", important_fraction),
                f("important_share", important_share), f("max_severity", max_severity),
                f("min_stereo_overlap", min_stereo_overlap), f("percussive_pairs", percussive_pairs),
                f("merge_gap_s", merge_gap_s), f("max_times", max_times), f("percussive_crest_db", percussive_crest_db),
                f("separation_db", separation_db), f("min_cut_db", min_cut_db), f("max_cut_db", max_cut_db);
        }
    };
    struct LoudStem {
        double loud_lu{};
        Severity severity{};
        template <class F> void fields(F&& f) { f("loud_lu", loud_lu), f("severity", severity); }
    };
    int threads{};
    double frame_s{};
    std::string bands;  ///< third_octave | critical
    Clash clash;
    std::vector<std::string> priority;
    Ordered<std::string> roles;                     ///< track name -> role
    Ordered<std::vector<std::string>> keywords;     ///< role -> name keywords, tried in this order
    Rule clipping;
    LoudStem loud_stem;
    template <class F> void fields(F&& f) {
        f("threads", threads), f("frame_s", frame_s), f("bands", bands), f("clash", clash), f("priority", priority),
            f("roles", roles), f("keywords", keywords), f("clipping", clipping), f("loud_stem", loud_stem);
    }
};

// ---- master -------------------------------------------------------------------------------------

struct Master {  // master
    struct Eq {
        double smoothing_octaves{}, max_boost_db{}, max_cut_db{}, loudest_fraction{};
        template <class F> void fields(F&& f) {
            f("smoothing_octaves", smoothing_octaves), f("max_boost_db", max_boost_db), f("max_cut_db", max_cut_db),
                f("loudest_fraction", loudest_fraction);
        }
    };
    struct Limiter {
        double lookahead_ms{}, release_fast_ms{}, release_slow_ms{}, sustain_ms{}, margin_db{};
        template <class F> void fields(F&& f) {
            f("lookahead_ms", lookahead_ms), f("release_fast_ms", release_fast_ms), f("release_slow_ms", release_slow_ms),
                f("sustain_ms", sustain_ms), f("margin_db", margin_db);
        }
    };
    struct Compressor {
        bool enabled{};
        double ratio{}, attack_ms{}, release_ms{}, knee_db{}, threshold_db{}, max_gain_reduction_db{},
            engage_above_limiting_db{};
        template <class F> void fields(F&& f) {
            f("enabled", enabled), f("ratio", ratio), f("attack_ms", attack_ms), f("release_ms", release_ms),
                f("knee_db", knee_db), f("threshold_db", threshold_db), f("max_gain_reduction_db", max_gain_reduction_db),
                f("engage_above_limiting_db", engage_above_limiting_db);
        }
    };
    struct Guards {
        double max_limiter_peak_db{}, max_limiter_mean_db{}, max_lra_loss_lu{}, max_side_gain_db{}, mono_below_hz{},
            max_correlation_drop{}, max_mono_loss_increase_db{};
        template <class F> void fields(F&& f) {
            f("max_limiter_peak_db", max_limiter_peak_db), f("max_limiter_mean_db", max_limiter_mean_db),
                f("max_lra_loss_lu", max_lra_loss_lu), f("max_side_gain_db", max_side_gain_db),
                f("mono_below_hz", mono_below_hz), f("max_correlation_drop", max_correlation_drop),
                f("max_mono_loss_increase_db", max_mono_loss_increase_db);
        }
    };
    std::optional<double> target_lufs;  ///< null: from the references
    double ceiling_dbtp{}, amount{};
    std::vector<std::string> match;
    int bits{};
    double min_duration_s{};
    std::string folder;
    Eq eq;
    Limiter limiter;
    Compressor compressor;
    Guards guards;
    double ab_block_s{};
    std::string profile;
    template <class F> void fields(F&& f) {
        f("target_lufs", target_lufs), f("ceiling_dbtp", ceiling_dbtp), f("amount", amount), f("match", match),
            f("bits", bits), f("min_duration_s", min_duration_s), f("folder", folder), f("eq", eq), f("limiter", limiter),
            f("compressor", compressor), f("guards", guards), f("ab_block_s", ab_block_s), f("profile", profile);
    }
};

// ---- monitor ------------------------------------------------------------------------------------

struct Monitor {  // monitor
    struct Phase {
        double correlation_below{}, sustain_s{}, min_lufs{};
        Severity severity{};
        template <class F> void fields(F&& f) {
            f("correlation_below", correlation_below), f("sustain_s", sustain_s), f("min_lufs", min_lufs),
                f("severity", severity);
        }
    };
    bool enabled{};
    std::string api, device;
    std::vector<int> channels;
    int buffer_frames{};
    std::string client_name;
    double ring_s{}, poll_s{}, stall_s{}, retry_max_s{}, silence_dbfs{}, take_end_silence_s{}, min_take_s{};
    std::string song, profile;
    double issue_interval_s{};
    Phase phase;
    template <class F> void fields(F&& f) {
        f("enabled", enabled), f("api", api), f("device", device), f("channels", channels),
            f("buffer_frames", buffer_frames), f("client_name", client_name), f("ring_s", ring_s), f("poll_s", poll_s),
            f("stall_s", stall_s), f("retry_max_s", retry_max_s), f("silence_dbfs", silence_dbfs),
            f("take_end_silence_s", take_end_silence_s), f("min_take_s", min_take_s), f("song", song),
            f("profile", profile), f("issue_interval_s", issue_interval_s), f("phase", phase);
    }
};

// ---- everything ---------------------------------------------------------------------------------

struct Settings {
    Ordered<Profile> profiles;
    Rules rules;
    Tonal tonal;
    Watch watch;
    Osc osc;
    Log log;
    History history;
    Songs songs;
    Stop stop;
    Stems stems;
    Master master;
    Monitor monitor;
    std::string focus;  ///< all | low-end | ... (review/focus.hpp parses it)
    template <class F> void fields(F&& f) {
        f("profiles", profiles), f("rules", rules), f("tonal", tonal), f("watch", watch), f("osc", osc), f("log", log),
            f("history", history), f("songs", songs), f("stop", stop), f("stems", stems), f("master", master),
            f("monitor", monitor), f("focus", focus);
    }
};

}  // namespace mixscout::config
