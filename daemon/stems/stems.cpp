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
    StemsMeasured::Stem stem;
    double frame_s = 0.05;
    std::vector<dsp::FrequencyBand> bands;
};

/// dB -> the stored 0.01 dB steps (int16 holds -327.68 .. +327.67 dB; levels are floored at -120).
std::int16_t to_cdb(double db) { return static_cast<std::int16_t>(std::lround(std::clamp(db, -327.68, 327.67) * 100.0)); }
/// A left share 0..1 -> the stored 1/255 steps (a pan error of < 0.4 %, far below what the
/// stereo-overlap threshold separates).
std::uint8_t to_share_q(float share) { return static_cast<std::uint8_t>(std::lround(std::clamp(share, 0.0f, 1.0f) * 255.0f)); }

Measured measure(const std::filesystem::path& path, const StemsOptions& o) {
    audio::Decoder dec(path, 16384);
    const audio::StreamInfo& si = dec.info();
    dsp::BandEnergyOptions band_options = o.bands;
    band_options.stereo_balance = si.channels == 2;  // each band's place in the stereo field, frame by frame
    dsp::BandEnergy energy(si.sample_rate, si.channels, band_options);
    dsp::LoudnessMeter loudness(si.sample_rate, si.channels);
    dsp::ClipDetector clips(si.sample_rate, si.channels);  // also the sample peak (no LevelStats pass)
    dsp::StereoMeter stereo(si.channels);                  // the stem's place in the stereo field

    Measured m;
    m.frame_s = energy.frame_s();
    m.bands.assign(energy.bands().begin(), energy.bands().end());
    m.stem.bands = m.bands.size();
    std::vector<std::int16_t>& levels = m.stem.level_cdb;
    // The header's frame count is a claim (a 64 KB MP3 once claimed 127 GB of frames); the
    // reservation is bounded by what the file's bytes can hold: 16 frames a byte covers
    // compressed audio down to 24 kbit/s at 48 kHz, and anything denser just grows the vectors.
    const std::int64_t plausible_frames = std::min<std::int64_t>(si.frames, dec.size_bytes() * 16);
    levels.reserve(static_cast<std::size_t>(plausible_frames / energy.hop_frames() + 2) * m.bands.size());
    std::vector<std::uint8_t>& shares = m.stem.left_share_q;
    if (si.channels == 2) shares.reserve(levels.capacity());
    auto on_frame = [&levels, &shares, &energy](std::int64_t, std::span<const float> power) {
        for (float p : power) levels.push_back(to_cdb(power_to_db(p)));
        // pL = p + balance, pR = p - balance (both channel-averaged): the band's left share.
        const std::span<const float> balance = energy.latest_balance();
        for (std::size_t k = 0; k < balance.size(); ++k)
            shares.push_back(to_share_q(power[k] > 0.0f ? 0.5f + 0.5f * balance[k] / power[k] : 0.5f));
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

    StemInfo& info = m.stem.info;
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
    m.stem.left_share = si.channels == 2 ? left_share : 0.5;
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

StemsMeasured measure_stems(const std::vector<std::filesystem::path>& files, const StemsOptions& o) {
    if (files.empty()) throw InputError("no stems given (a folder of audio files, or the files)");
    StemsMeasured out;
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

    std::set<int> rates;
    for (std::size_t i = 0; i < files.size(); ++i) {
        if (!results[i]) {
            out.errors.push_back({files[i].string(), failures[i]});
            continue;
        }
        Measured& m = *results[i];
        if (out.stems.empty()) out.frame_s = m.frame_s;
        if (m.bands.size() > out.bands.size()) out.bands = m.bands;
        m.stem.info.name = names[i];
        rates.insert(m.stem.info.sample_rate);
        out.stems.push_back(std::move(m.stem));
        results[i].reset();
    }
    if (out.stems.empty())
        throw InputError(out.errors.size() == 1 ? out.errors.front().message
                                                : "none of the " + std::to_string(files.size()) + " stems could be read (first: " +
                                                      out.errors.front().message + ")");
    if (rates.size() > 1)
        out.warnings.push_back("stems have different sample rates; compared in Hz and seconds without resampling "
                               "(Live exports all tracks of one export at one rate: are these from different exports?)");
    double longest = 0.0;
    for (const auto& s : out.stems) longest = std::max(longest, s.info.duration_s);
    for (const auto& s : out.stems)
        if (longest - s.info.duration_s > 0.5)
            out.warnings.push_back(s.info.name + " is " + fmt("%.1f s", longest - s.info.duration_s) +
                                   " shorter than the longest stem: aligned at the start, silent after its end");
    return out;
}

StemsReport analyze_stems(const std::vector<std::filesystem::path>& files, const StemsOptions& o) {
    auto measured = std::make_shared<const StemsMeasured>(measure_stems(files, o));
    StemsReport report = judge_stems(*measured, o);
    report.measured = std::move(measured);
    return report;
}

StemsReport judge_stems(const StemsMeasured& measured, const StemsOptions& o) {
    StemsReport report;
    report.frame_s = measured.frame_s;
    report.bands = measured.bands;
    report.errors = measured.errors;
    report.warnings = measured.warnings;
    std::vector<StemSeries> series;
    series.reserve(measured.stems.size());
    for (const auto& m : measured.stems) {
        StemSeries s;
        s.name = m.info.name;
        s.bands = m.bands;
        s.level_db.reserve(m.level_cdb.size());
        for (const std::int16_t c : m.level_cdb) s.level_db.push_back(static_cast<float>(c) / 100.0f);
        s.frames = s.bands ? s.level_db.size() / s.bands : 0;
        s.left_share = m.left_share;
        s.left_share_band.reserve(m.left_share_q.size());
        for (const std::uint8_t q : m.left_share_q) s.left_share_band.push_back(static_cast<float>(q) / 255.0f);
        series.push_back(std::move(s));
        report.stems.push_back(m.info);
    }

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

// ---------------------------------------------------------------------------------------------
// Measurements for the history: CBOR, with the levels as one binary string per stem
// (little-endian int16), so the store keeps ~2 bytes per band and frame.

namespace {

constexpr int measured_format = 1;  // bump when the layout changes; older bytes are refused

nlohmann::json info_to_json(const StemInfo& s) {
    return {{"file", s.file},           {"name", s.name},
            {"sample_rate", s.sample_rate}, {"channels", s.channels},
            {"duration_s", s.duration_s}, {"integrated_lufs", s.integrated_lufs},
            {"sample_peak_dbfs", s.sample_peak_dbfs}, {"clip_runs", s.clip_runs},
            {"clip_times_s", s.clip_times_s}, {"pan", s.pan}, {"width", s.width}};
}

StemInfo info_from_json(const nlohmann::json& j) {
    StemInfo s;
    s.file = j.at("file").get<std::string>();
    s.name = j.at("name").get<std::string>();
    s.sample_rate = j.at("sample_rate").get<int>();
    s.channels = j.at("channels").get<int>();
    s.duration_s = j.at("duration_s").get<double>();
    s.integrated_lufs = j.at("integrated_lufs").get<double>();
    s.sample_peak_dbfs = j.at("sample_peak_dbfs").get<double>();
    s.clip_runs = j.at("clip_runs").get<std::int64_t>();
    s.clip_times_s = j.at("clip_times_s").get<std::vector<double>>();
    s.pan = j.at("pan").get<double>();
    s.width = j.at("width").get<double>();
    return s;
}

}  // namespace

std::vector<std::uint8_t> to_bytes(const StemsMeasured& m) {
    nlohmann::json j;
    j["format"] = measured_format;
    j["frame_s"] = m.frame_s;
    j["bands"] = nlohmann::json::array();
    for (const auto& b : m.bands) j["bands"].push_back({b.lo_hz, b.hi_hz});
    j["stems"] = nlohmann::json::array();
    for (const auto& s : m.stems) {
        std::vector<std::uint8_t> raw;
        raw.reserve(s.level_cdb.size() * 2);
        for (const std::int16_t v : s.level_cdb) {
            const auto u = static_cast<std::uint16_t>(v);
            raw.push_back(static_cast<std::uint8_t>(u & 0xff));
            raw.push_back(static_cast<std::uint8_t>(u >> 8));
        }
        j["stems"].push_back({{"info", info_to_json(s.info)},
                              {"bands", s.bands},
                              {"left_share", s.left_share},
                              {"left_shares", nlohmann::json::binary(std::vector<std::uint8_t>(s.left_share_q))},
                              {"levels", nlohmann::json::binary(std::move(raw))}});
    }
    j["errors"] = nlohmann::json::array();
    for (const auto& e : m.errors) j["errors"].push_back({e.file, e.message});
    j["warnings"] = m.warnings;
    return nlohmann::json::to_cbor(j);
}

StemsMeasured measured_from_bytes(const std::vector<std::uint8_t>& bytes) {
    try {
        const nlohmann::json j = nlohmann::json::from_cbor(bytes);
        if (j.at("format").get<int>() != measured_format)
            throw InputError("stems measurements: format " + j.at("format").dump() + ", this mixscout reads " +
                             std::to_string(measured_format));
        StemsMeasured m;
        m.frame_s = j.at("frame_s").get<double>();
        for (const auto& b : j.at("bands")) m.bands.push_back(dsp::FrequencyBand{b.at(0).get<double>(), b.at(1).get<double>()});
        for (const auto& js : j.at("stems")) {
            StemsMeasured::Stem s;
            s.info = info_from_json(js.at("info"));
            s.bands = js.at("bands").get<std::size_t>();
            s.left_share = js.at("left_share").get<double>();
            const auto& raw = js.at("levels").get_binary();
            if (raw.size() % 2 != 0 || s.bands == 0 || s.bands > m.bands.size() || (raw.size() / 2) % s.bands != 0)
                throw InputError("stems measurements: the levels of '" + s.info.name + "' do not fill whole frames");
            s.level_cdb.reserve(raw.size() / 2);
            for (std::size_t k = 0; k + 1 < raw.size(); k += 2)
                s.level_cdb.push_back(static_cast<std::int16_t>(static_cast<std::uint16_t>(raw[k] | (raw[k + 1] << 8))));
            if (const auto it = js.find("left_shares"); it != js.end()) {  // absent: stored before per-band pan
                const auto& q = it->get_binary();
                if (!q.empty() && q.size() != s.level_cdb.size())
                    throw InputError("stems measurements: the stereo positions of '" + s.info.name + "' do not match its levels");
                s.left_share_q.assign(q.begin(), q.end());
            }
            m.stems.push_back(std::move(s));
        }
        for (const auto& e : j.at("errors")) m.errors.push_back({e.at(0).get<std::string>(), e.at(1).get<std::string>()});
        m.warnings = j.at("warnings").get<std::vector<std::string>>();
        return m;
    } catch (const nlohmann::json::exception& e) {
        throw InputError(std::string("stems measurements unreadable: ") + e.what());
    }
}

}  // namespace mixscout::stems
