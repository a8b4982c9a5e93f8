#include "stems/stems.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <thread>

#include "audio/decoder.hpp"
#include "core/error.hpp"
#include "core/format.hpp"
#include "core/units.hpp"
#include "dsp/clipping.hpp"
#include "dsp/loudness.hpp"
#include "dsp/stereo.hpp"
#include "rules/rules.hpp"
#include "stems/clash.hpp"
#include "stems/naming.hpp"
#include "stems/roles.hpp"

namespace mixscout::stems {

// ---------------------------------------------------------------------------------------------
// Options

const StemsOptions& StemsOptions::defaults() {
    static const StemsOptions shipped = options_from_config(config::Config::defaults());
    return shipped;
}

StemsOptions options_from_config(const config::Config& cfg) {
    StemsOptions o;
    const config::Stems& st = cfg.settings().stems;
    o.threads = st.threads;
    o.bands.frame_s = st.frame_s;
    o.bands.scale = st.bands == "critical" ? dsp::BandScale::critical : dsp::BandScale::third_octave;
    ClashOptions& c = o.clash;
    c.floor_dbfs = st.clash.floor_dbfs;
    c.significance_db = st.clash.significance_db;
    c.within_db = st.clash.within_db;
    c.hold_s = st.clash.hold_s;
    c.min_fight_frames = st.clash.min_fight_frames;
    c.min_band_fraction = st.clash.min_band_fraction;
    c.max_range_bands = st.clash.max_range_bands;
    c.max_clashes_per_pair = st.clash.max_clashes_per_pair;
    c.min_overlap_s = st.clash.min_overlap_s;
    c.critical_fraction = st.clash.critical_fraction;
    c.critical_share = st.clash.critical_share;
    c.important_fraction = st.clash.important_fraction;
    c.important_share = st.clash.important_share;
    c.max_severity = st.clash.max_severity;
    c.min_stereo_overlap = st.clash.min_stereo_overlap;
    c.percussive_pairs = st.clash.percussive_pairs;
    c.merge_gap_s = st.clash.merge_gap_s;
    c.max_times = st.clash.max_times;
    c.percussive_crest_db = st.clash.percussive_crest_db;
    c.separation_db = st.clash.separation_db;
    c.min_cut_db = st.clash.min_cut_db;
    c.max_cut_db = st.clash.max_cut_db;
    o.priority = st.priority;
    for (const auto& [track, role] : st.roles) o.roles[track] = role;
    for (const auto& [role, words] : st.keywords) o.keywords.emplace_back(role, words);
    o.clipping_enabled = st.clipping.enabled;
    o.clipping_severity = st.clipping.severity;
    o.loud_stem_lu = st.loud_stem.loud_lu;
    o.loud_severity = st.loud_stem.severity;
    return o;
}

// ---------------------------------------------------------------------------------------------
// Files

namespace {

bool is_audio_file(const std::filesystem::path& p) {
    std::string ext = p.extension().string();
    for (char& ch : ext) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    static const std::set<std::string> known = {".wav", ".wave", ".aif", ".aiff", ".aifc", ".flac", ".ogg", ".oga",
                                                ".opus", ".mp3", ".w64", ".rf64", ".caf"};
    return known.count(ext) > 0;
}

}  // namespace

std::vector<std::filesystem::path> collect_stem_files(const std::vector<std::filesystem::path>& inputs,
                                                      std::vector<std::string>* warnings) {
    std::vector<std::filesystem::path> out;
    for (const auto& in : inputs) {
        std::error_code ec;
        if (!std::filesystem::is_directory(in, ec)) {
            out.push_back(in);  // a missing/unreadable file is reported by the decoder
            continue;
        }
        std::vector<std::filesystem::path> found;
        for (const auto& e : std::filesystem::directory_iterator(in, ec))
            if (e.is_regular_file() && is_audio_file(e.path()) && e.path().filename().string().front() != '.') found.push_back(e.path());
        if (ec) throw InputError(in.string() + ": cannot list the folder: " + ec.message());
        std::sort(found.begin(), found.end());
        const std::vector<std::string> names = track_names(found);
        for (std::size_t i = 0; i < found.size(); ++i) {
            if (is_mix_name(names[i]) || is_mix_file(found[i])) {
                if (warnings) warnings->push_back(found[i].string() + ": Live's mix file, not a stem: skipped");
                continue;
            }
            out.push_back(found[i]);
        }
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// One stem: one streaming pass

namespace {

struct Measured {
    StemSeries series;
    StemInfo info;
    double frame_s = 0.05;
    std::vector<dsp::FrequencyBand> bands;
};

Measured measure(const std::filesystem::path& path, const StemsOptions& o) {
    audio::Decoder dec(path, 16384);
    const audio::StreamInfo& si = dec.info();
    dsp::BandEnergy energy(si.sample_rate, si.channels, o.bands);
    dsp::LoudnessMeter loudness(si.sample_rate, si.channels);
    dsp::ClipDetector clips(si.sample_rate, si.channels);  // also the sample peak (no LevelStats pass)
    dsp::StereoMeter stereo(si.channels);                  // the stem's place in the stereo field

    Measured m;
    m.frame_s = energy.frame_s();
    m.bands.assign(energy.bands().begin(), energy.bands().end());
    StemSeries& s = m.series;
    s.bands = m.bands.size();
    // The header's frame count is a claim (a 64 KB MP3 once claimed 127 GB of frames); the
    // reservation is bounded by what the file's bytes can hold: 16 frames a byte covers
    // compressed audio down to 24 kbit/s at 48 kHz, and anything denser just grows the vectors.
    const std::int64_t plausible_frames = std::min<std::int64_t>(si.frames, dec.size_bytes() * 16);
    s.level_db.reserve(static_cast<std::size_t>(plausible_frames / energy.hop_frames() + 2) * s.bands);
    s.power.reserve(s.level_db.capacity());
    auto on_frame = [&s](std::int64_t, std::span<const float> power) {
        for (float p : power) {
            s.power.push_back(p);
            s.level_db.push_back(static_cast<float>(power_to_db(p)));
        }
    };
    for (;;) {
        const audio::Block b = dec.read();
        if (b.frames() == 0) break;
        energy.push(b, on_frame);
        loudness.push(b);
        clips.push(b);
        stereo.push(b);
    }
    energy.flush(on_frame);
    s.frames = s.bands ? s.level_db.size() / s.bands : 0;

    StemInfo& info = m.info;
    info.file = path.string();
    info.sample_rate = si.sample_rate;
    info.channels = si.channels;
    info.duration_s = static_cast<double>(dec.position()) / si.sample_rate;
    info.integrated_lufs = loudness.integrated_lufs();
    info.sample_peak_dbfs = amplitude_to_db(clips.sample_peak());
    info.clip_runs = clips.run_count();
    const dsp::StereoImage image = stereo.image();
    // balance_db = 10 log10(pL / pR): the shares follow.
    const double left_share = 1.0 / (1.0 + db_to_power(-image.balance_db));
    info.pan = si.channels == 2 ? 1.0 - 2.0 * left_share : 0.0;
    info.width = si.channels == 2 ? image.width : 0.0;
    s.left_share = si.channels == 2 ? left_share : 0.5;
    for (const auto& r : clips.runs()) {
        const double t = static_cast<double>(r.start_frame) / si.sample_rate;
        if (!info.clip_times_s.empty() && t - info.clip_times_s.back() < 1.0) continue;  // one moment per second
        if (info.clip_times_s.size() >= 8) break;
        info.clip_times_s.push_back(t);
    }
    return m;
}

std::size_t pool_size(int threads, std::size_t jobs) {
    std::size_t n = threads > 0 ? static_cast<std::size_t>(threads) : std::max(1u, std::thread::hardware_concurrency());
    return std::max<std::size_t>(1, std::min(n, jobs));
}

/// Runs job(i) for i in [0, n) on a small pool. The first exception a job throws is rethrown
/// here once every thread has stopped (the remaining jobs are skipped).
template <class Job>
void run_pool(std::size_t n, int threads, Job&& job) {
    std::atomic<std::size_t> next{0};
    std::exception_ptr failure;
    std::mutex failure_mutex;
    auto worker = [&] {
        for (std::size_t i; (i = next.fetch_add(1)) < n;) {
            try {
                job(i);
            } catch (...) {
                const std::lock_guard lock(failure_mutex);
                if (!failure) failure = std::current_exception();
                next = n;
            }
        }
    };
    {
        // std::thread joined on scope exit: libc++ (macOS) has no std::jthread before LLVM 20.
        std::vector<std::thread> pool;
        struct JoinAll {
            std::vector<std::thread>& threads;
            ~JoinAll() {
                for (auto& t : threads) t.join();
            }
        } join_all{pool};
        const std::size_t size = pool_size(threads, n);
        for (std::size_t t = 1; t < size; ++t) pool.emplace_back(worker);
        worker();  // the calling thread works too
    }
    if (failure) std::rethrow_exception(failure);
}

rules::Issue clash_issue(const Clash& c, const ClashOptions& o) {
    rules::Issue i;
    i.rule = "clash." + slug(c.a) + "." + slug(c.b);
    i.category = "clash";
    i.severity = c.severity;
    i.title = c.a + " and " + c.b + " clash at " + fmt("%.0f", c.lo_hz) + "-" + fmt("%.0f Hz", c.hi_hz);
    i.detail = "within " + fmt("%.0f dB", o.within_db) + " of each other for " + fmt("%.1f s", c.overlap_s) + " (" +
               fmt("%.0f", c.overlap_fraction * 100.0) + " % of the time both play), " + fmt("%.0f", c.energy_share * 100.0) +
               " % of the mix's energy while they do; stereo overlap " + fmt("%.2f", c.stereo_overlap) + " (1 = same place); " +
               c.yield + " yields";
    i.fix = c.fix + ". Or: " + c.alternative;
    i.times_s = c.times_s;
    i.score = c.score;
    i.value = c.overlap_fraction * 100.0;
    i.target = o.important_fraction * 100.0;
    i.unit = "%";
    i.target_source = "stems.clash.important_fraction";
    return i;
}

}  // namespace

std::int64_t decode_only(const std::vector<std::filesystem::path>& files, int threads) {
    std::atomic<std::int64_t> total{0};
    run_pool(files.size(), threads, [&](std::size_t i) {
        try {
            audio::Decoder dec(files[i], 16384);
            std::int64_t n = 0;
            for (audio::Block b = dec.read(); b.frames() > 0; b = dec.read()) n += static_cast<std::int64_t>(b.frames());
            total += n;
        } catch (const std::exception&) {
        }
    });
    return total.load();
}

// ---------------------------------------------------------------------------------------------
// The pipeline

StemsReport analyze_stems(const std::vector<std::filesystem::path>& files, const config::Config& cfg) {
    return analyze_stems(files, options_from_config(cfg));
}

StemsReport analyze_stems(const std::vector<std::filesystem::path>& files, const StemsOptions& o) {
    if (files.empty()) throw InputError("no stems given (a folder of audio files, or the files)");
    StemsReport report;
    const std::vector<std::string> names = track_names(files);

    std::vector<std::optional<Measured>> results(files.size());
    std::vector<std::string> failures(files.size());
    run_pool(files.size(), o.threads, [&](std::size_t i) {
        try {
            results[i] = measure(files[i], o);
        } catch (const InputError& e) {
            failures[i] = e.what();
        } catch (const std::exception& e) {
            failures[i] = files[i].string() + ": " + e.what();
        }
    });

    std::vector<StemSeries> series;
    std::set<int> rates;
    for (std::size_t i = 0; i < files.size(); ++i) {
        if (!results[i]) {
            report.errors.push_back({files[i].string(), failures[i]});
            continue;
        }
        Measured& m = *results[i];
        if (series.empty()) report.frame_s = m.frame_s;
        if (m.bands.size() > report.bands.size()) report.bands = m.bands;
        m.series.name = names[i];
        m.info.name = names[i];
        rates.insert(m.info.sample_rate);
        series.push_back(std::move(m.series));
        report.stems.push_back(std::move(m.info));
        results[i].reset();
    }
    if (series.empty())
        throw InputError(report.errors.size() == 1 ? report.errors.front().message
                                                   : "none of the " + std::to_string(files.size()) + " stems could be read (first: " +
                                                         report.errors.front().message + ")");
    if (rates.size() > 1)
        report.warnings.push_back("stems have different sample rates; compared in Hz and seconds without resampling "
                                  "(Live exports all tracks of one export at one rate: are these from different exports?)");
    double longest = 0.0;
    for (const StemInfo& s : report.stems) longest = std::max(longest, s.duration_s);
    for (const StemInfo& s : report.stems)
        if (longest - s.duration_s > 0.5)
            report.warnings.push_back(s.name + " is " + fmt("%.1f s", longest - s.duration_s) +
                                      " shorter than the longest stem: aligned at the start, silent after its end");

    // Features and roles.
    for (std::size_t i = 0; i < series.size(); ++i) {
        StemSeries& s = series[i];
        StemInfo& info = report.stems[i];
        derive_features(s, report.bands, o.clash);
        const RoleGuess g = guess_role(s.name, o.roles, o.keywords, s.centroid_hz, s.low_share, s.percussive);
        s.role = info.role = g.role;
        info.role_source = g.source;
        info.centroid_hz = s.centroid_hz;
        info.low_share = s.low_share;
        info.envelope_crest_db = s.envelope_crest_db;
        info.percussive = s.percussive;
    }

    // The whole mix's power per frame (for energy_share).
    std::size_t frames = 0;
    for (const StemSeries& s : series) frames = std::max(frames, s.frames);
    std::vector<double> mix_power(frames, 0.0);
    for (const StemSeries& s : series)
        for (std::size_t t = 0; t < s.frames; ++t) mix_power[t] += db_to_power(s.total_db[t]);

    // Every pair, on the series only (on the pool: 496 pairs of 32 stems take ~1 s of CPU). Each
    // pair writes its own slot, gathered in pair order, so the report does not depend on threads.
    std::vector<std::pair<std::size_t, std::size_t>> pairs;
    for (std::size_t i = 0; i < series.size(); ++i)
        for (std::size_t j = i + 1; j < series.size(); ++j) pairs.emplace_back(i, j);
    std::vector<std::vector<Clash>> pair_clashes(pairs.size());
    run_pool(pairs.size(), o.threads, [&](std::size_t p) {
        pair_clashes[p] = find_clashes(series[pairs[p].first], series[pairs[p].second], mix_power, report.bands, report.frame_s,
                                       o.clash, o.priority);
    });
    for (std::vector<Clash>& found : pair_clashes)
        for (Clash& c : found) report.clashes.push_back(std::move(c));
    std::stable_sort(report.clashes.begin(), report.clashes.end(), [](const Clash& x, const Clash& y) {
        return std::make_pair(static_cast<int>(x.severity), -x.score) < std::make_pair(static_cast<int>(y.severity), -y.score);
    });

    std::set<std::string> rule_ids;
    for (const Clash& c : report.clashes) {
        rules::Issue issue = clash_issue(c, o.clash);
        if (!rule_ids.insert(issue.rule).second) {
            issue.rule += "." + fmt("%.0fhz", c.lo_hz);
            rule_ids.insert(issue.rule);
        }
        report.issues.push_back(std::move(issue));
    }

    // Per-stem checks.
    if (o.clipping_enabled)
        for (const StemInfo& s : report.stems) {
            if (s.clip_runs == 0) continue;
            rules::Issue i;
            i.rule = "stem.clipping." + slug(s.name);
            i.category = "clipping";
            i.severity = o.clipping_severity;
            i.title = "Stem " + s.name + " clips" + (s.clip_times_s.empty() ? "" : " at " + rules::format_time(s.clip_times_s.front()));
            i.detail = std::to_string(s.clip_runs) + " full-scale run" + (s.clip_runs == 1 ? "" : "s") + " in the stem itself (peak " +
                       fmt("%.1f dBFS", s.sample_peak_dbfs) + "): it clips before the mix bus";
            i.fix = "Turn " + s.name + " down by 3 dB before its last device (or put a Limiter with its ceiling at -1 dB last on the "
                    "track), then raise the fader to taste";
            i.times_s = s.clip_times_s;
            i.score = 1.0 + std::log2(static_cast<double>(s.clip_runs));
            i.value = static_cast<double>(s.clip_runs);
            i.target = 0.0;
            i.unit = "events";
            report.issues.push_back(std::move(i));
        }
    if (report.stems.size() >= 3)
        for (std::size_t i = 0; i < report.stems.size(); ++i) {
            std::vector<double> others;
            for (std::size_t j = 0; j < report.stems.size(); ++j)
                if (j != i && report.stems[j].integrated_lufs > silence_floor_db) others.push_back(report.stems[j].integrated_lufs);
            if (others.empty()) continue;
            std::sort(others.begin(), others.end());
            const double med = others.size() % 2 ? others[others.size() / 2]
                                                 : 0.5 * (others[others.size() / 2 - 1] + others[others.size() / 2]);
            const StemInfo& s = report.stems[i];
            const double over = s.integrated_lufs - med;
            if (over < o.loud_stem_lu) continue;
            rules::Issue issue;
            issue.rule = "stem.loud." + slug(s.name);
            issue.category = "loudness";
            issue.severity = o.loud_severity;
            issue.title = "Stem " + s.name + " is " + fmt("%.0f LU", over) + " louder than the others";
            issue.detail = fmt("%.1f LUFS", s.integrated_lufs) + " against a median of " + fmt("%.1f LUFS", med) + " for the other stems";
            issue.fix = "Pull " + s.name + "'s fader down about " + fmt("%.0f dB", over - o.loud_stem_lu / 2.0) +
                        " and rebalance by ear (or check its gain staging: a device boosting it)";
            issue.score = 1.0 + (over - o.loud_stem_lu);
            issue.value = over;
            issue.target = o.loud_stem_lu;
            issue.unit = "LU";
            report.issues.push_back(std::move(issue));
        }
    rules::rank(report.issues);
    return report;
}

// ---------------------------------------------------------------------------------------------
// JSON

nlohmann::json to_json(const Clash& c) {
    return {{"a", c.a},
            {"b", c.b},
            {"lo_hz", c.lo_hz},
            {"hi_hz", c.hi_hz},
            {"severity", rules::to_string(c.severity)},
            {"score", c.score},
            {"overlap_s", c.overlap_s},
            {"overlap_fraction", c.overlap_fraction},
            {"energy_share", c.energy_share},
            {"level_diff_db", c.level_diff_db},
            {"stereo_overlap", c.stereo_overlap},
            {"times_s", c.times_s},
            {"yield", c.yield},
            {"rhythmic", c.rhythmic},
            {"fix", c.fix},
            {"alternative", c.alternative}};
}

nlohmann::json to_json(const StemsReport& r) {
    nlohmann::json j;
    j["frame_s"] = r.frame_s;
    j["bands"] = nlohmann::json::array();
    for (const auto& b : r.bands) j["bands"].push_back({{"lo_hz", b.lo_hz}, {"hi_hz", b.hi_hz}});
    j["stems"] = nlohmann::json::array();
    for (const StemInfo& s : r.stems)
        j["stems"].push_back({{"file", s.file},
                              {"name", s.name},
                              {"role", s.role},
                              {"role_source", s.role_source},
                              {"sample_rate", s.sample_rate},
                              {"channels", s.channels},
                              {"duration_s", s.duration_s},
                              {"integrated_lufs", s.integrated_lufs},
                              {"sample_peak_dbfs", s.sample_peak_dbfs},
                              {"clip_runs", s.clip_runs},
                              {"pan", s.pan},
                              {"width", s.width},
                              {"clip_times_s", s.clip_times_s},
                              {"centroid_hz", s.centroid_hz},
                              {"low_share", s.low_share},
                              {"envelope_crest_db", s.envelope_crest_db},
                              {"percussive", s.percussive}});
    j["errors"] = nlohmann::json::array();
    for (const StemError& e : r.errors) j["errors"].push_back({{"file", e.file}, {"message", e.message}});
    j["clashes"] = nlohmann::json::array();
    for (const Clash& c : r.clashes) j["clashes"].push_back(to_json(c));
    j["issues"] = nlohmann::json::array();
    for (const rules::Issue& i : r.issues) j["issues"].push_back(rules::to_json(i));
    j["warnings"] = r.warnings;
    return j;
}

}  // namespace mixscout::stems
