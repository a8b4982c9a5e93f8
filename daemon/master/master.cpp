#include "master/master.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <future>
#include <limits>
#include <numeric>

#include "audio/decoder.hpp"
#include "core/error.hpp"
#include "core/format.hpp"
#include "core/units.hpp"
#include "dsp/loudness.hpp"
#include "dsp/true_peak.hpp"
#include "master/convolver.hpp"
#include "master/eq_match.hpp"
#include "master/limiter.hpp"
#include "master/loudness_model.hpp"
#include "master/profile.hpp"
#include "master/writer.hpp"

namespace mixscout::master {
namespace {

namespace fs = std::filesystem;

// Progress: analysis 0..40 %, render 40..88 %, writing 88..100 %.
constexpr double analysis_end = 40.0, render_end = 88.0;
constexpr double aim_above_db = 0.15;     // the render aims this much loud; the exact trim follows
constexpr double short_tolerance_lu = 0.2; // a render this much short of the target is redone
constexpr int max_render_passes = 3;
constexpr double max_extra_gain_db = 12.0; // the most the limiter is ever asked to give back
constexpr double min_useful_slope = 0.15;  // LU of loudness per dB of gain worth limiting for

bool same_file(const fs::path& a, const fs::path& b) {
    std::error_code ec;
    if (fs::exists(a, ec) && fs::exists(b, ec)) return fs::equivalent(a, b, ec);
    return fs::weakly_canonical(a, ec) == fs::weakly_canonical(b, ec);
}

/// Throttles the callback to whole-percent steps.
struct Progress {
    const ProgressCallback& cb;
    int last = -1;
    void operator()(double percent, std::string_view stage) {
        if (!cb) return;
        const int p = static_cast<int>(std::clamp(percent, 0.0, 100.0));
        if (p == last) return;
        last = p;
        cb(std::clamp(percent, 0.0, 100.0), stage);
    }
};

/// Removes the temp files unless released.
struct TempFiles {
    std::vector<fs::path> paths;
    ~TempFiles() {
        std::error_code ec;
        for (const auto& p : paths) fs::remove(p, ec);
    }
};

struct RenderResult {
    double lufs = 0.0;
    LimiterStats limiter;
};

struct RenderPlan {
    const fs::path* mix;
    std::int64_t frames;
    int sample_rate;
    std::vector<float> fir_mid, fir_side;  // empty: no EQ
    double ceiling_dbtp;
    LimiterOptions limiter;
};

RenderResult render(const RenderPlan& plan, double gain_db, const fs::path& temp, Progress& progress, double p0,
                    double p1) {
    audio::Decoder dec(*plan.mix, 8192);
    const bool eq = !plan.fir_mid.empty();
    std::unique_ptr<FftConvolver> conv_mid, conv_side;
    std::size_t block = 8192;
    std::int64_t fir_latency = 0;
    if (eq) {
        conv_mid = std::make_unique<FftConvolver>(plan.fir_mid);
        conv_side = std::make_unique<FftConvolver>(plan.fir_side);
        block = conv_mid->block_frames();
        fir_latency = static_cast<std::int64_t>(plan.fir_mid.size() - 1) / 2;
    }
    TruePeakLimiter limiter(plan.sample_rate, plan.ceiling_dbtp, plan.limiter);
    const std::int64_t latency = fir_latency + limiter.latency_frames();
    AudioWriter writer(temp, plan.sample_rate, 32);
    dsp::LoudnessMeter meter(plan.sample_rate, 2);
    const auto gain = static_cast<float>(db_to_amplitude(gain_db));

    std::vector<float> mid(block), side(block), stereo(2 * block), gains(block);
    std::size_t fill = 0;
    std::int64_t produced = 0, written = 0;
    double gr_max = 0.0, gr_sum = 0.0;
    std::int64_t limiting = 0;

    auto run_block = [&] {
        if (eq) {
            conv_mid->process(mid.data(), mid.data());
            conv_side->process(side.data(), side.data());
        }
        for (std::size_t i = 0; i < block; ++i) {
            stereo[2 * i] = (mid[i] + side[i]) * gain;
            stereo[2 * i + 1] = (mid[i] - side[i]) * gain;
        }
        limiter.process(stereo.data(), stereo.data(), block, gains.data());
        // Keep output frames [latency, latency + frames): the chain's delay removed exactly.
        const std::int64_t first = std::max<std::int64_t>(0, latency - produced);
        const std::int64_t last = std::min<std::int64_t>(static_cast<std::int64_t>(block), latency + plan.frames - produced);
        produced += static_cast<std::int64_t>(block);
        fill = 0;
        if (last <= first) return;
        const auto n = static_cast<std::size_t>(last - first);
        const float* out = stereo.data() + 2 * first;
        writer.write(out, n);
        const audio::Block b{{out, 2 * n}, 2};
        meter.push(b);
        for (std::size_t i = 0; i < n; ++i) {
            const float g = gains[static_cast<std::size_t>(first) + i];
            if (g < 1.0f) {
                const double gr = -20.0 * std::log10(static_cast<double>(g));
                gr_max = std::max(gr_max, gr);
                gr_sum += gr;
                if (gr > 0.1) ++limiting;
            }
        }
        written += static_cast<std::int64_t>(n);
        progress(p0 + (p1 - p0) * static_cast<double>(written) / static_cast<double>(std::max<std::int64_t>(1, plan.frames)),
                 "rendering");
    };

    for (;;) {
        const audio::Block b = dec.read();
        const std::size_t n = b.frames();
        if (n == 0) break;
        const float* p = b.interleaved.data();
        for (std::size_t i = 0; i < n; ++i) {
            mid[fill] = 0.5f * (p[2 * i] + p[2 * i + 1]);
            side[fill] = 0.5f * (p[2 * i] - p[2 * i + 1]);
            if (++fill == block) run_block();
        }
    }
    while (written < plan.frames) {  // flush the chain's delay with silence
        std::fill(mid.begin() + static_cast<std::ptrdiff_t>(fill), mid.end(), 0.0f);
        std::fill(side.begin() + static_cast<std::ptrdiff_t>(fill), side.end(), 0.0f);
        run_block();
    }
    writer.close();
    RenderResult r;
    r.lufs = meter.integrated_lufs();
    const double frames = static_cast<double>(std::max<std::int64_t>(1, written));
    r.limiter.max_gain_reduction_db = gr_max;
    r.limiter.mean_gain_reduction_db = gr_sum / frames;
    r.limiter.limiting_percent = 100.0 * static_cast<double>(limiting) / frames;
    return r;
}

struct FinalResult {
    double lufs = 0.0, true_peak_dbtp = 0.0;
    std::int64_t clipped = 0;
};

/// The copy pass: temp float file * trim -> output at `bits`, metering what is written.
FinalResult finalise(const fs::path& temp, const fs::path& out, int sample_rate, int bits, double trim_db,
                     Progress& progress) {
    audio::Decoder dec(temp, 8192);
    AudioWriter writer(out, sample_rate, bits);
    dsp::LoudnessMeter meter(sample_rate, 2);
    dsp::TruePeakMeter tp(sample_rate, 2);
    const auto trim = static_cast<float>(db_to_amplitude(trim_db));
    std::vector<float> buf, quantised;
    const double total = static_cast<double>(std::max<std::int64_t>(1, dec.info().frames));
    for (;;) {
        const audio::Block b = dec.read();
        const std::size_t n = b.frames();
        if (n == 0) break;
        buf.resize(2 * n);
        quantised.resize(2 * n);
        for (std::size_t i = 0; i < 2 * n; ++i) buf[i] = b.interleaved[i] * trim;
        writer.write(buf.data(), n, quantised.data());
        const audio::Block q{{quantised.data(), 2 * n}, 2};
        meter.push(q);
        tp.push(q);
        progress(render_end + (100.0 - render_end) * static_cast<double>(dec.position()) / total, "writing");
    }
    writer.close();
    return {meter.integrated_lufs(), tp.true_peak_dbtp(), writer.clipped_samples()};
}

std::vector<EqBand> summarise_bands(const EqCurves& curves) {
    static constexpr double centres[] = {31.5, 63, 125, 250, 500, 1000, 2000, 4000, 8000, 16000};
    std::vector<EqBand> bands;
    const auto& g = grid_hz();
    for (double fc : centres) {
        EqBand b{fc / std::sqrt(2.0), fc * std::sqrt(2.0), 0.0, 0.0};
        int n = 0;
        for (std::size_t i = 0; i < g.size(); ++i)
            if (g[i] >= b.lo_hz && g[i] < b.hi_hz) {
                b.mid_db += curves.mid_db[i];
                b.side_db += curves.side_db[i];
                ++n;
            }
        if (n > 0) {
            b.mid_db /= n;
            b.side_db /= n;
        }
        bands.push_back(b);
    }
    return bands;
}

void check_options(const MasterOptions& o) {
    if (!(o.ceiling_dbtp >= -20.0 && o.ceiling_dbtp <= 0.0))
        throw InputError(fmt("ceiling %.2f dBTP is out of range -20..0", o.ceiling_dbtp));
    if (!(o.amount_percent >= 0.0 && o.amount_percent <= 100.0))
        throw InputError(fmt("amount %.1f is out of range 0..100", o.amount_percent));
    if (o.bits != 16 && o.bits != 24 && o.bits != 32) throw InputError("bits must be 16, 24 or 32 (float)");
    if (o.target_lufs && !(*o.target_lufs >= -60.0 && *o.target_lufs <= 0.0))
        throw InputError(fmt("target %.1f LUFS is out of range -60..0", *o.target_lufs));
    if (!(o.max_boost_db >= 0.0 && o.max_cut_db >= 0.0 && o.smoothing_octaves >= 0.0 && o.loudest_fraction > 0.0 &&
          o.loudest_fraction <= 1.0))
        throw InputError("master options: boost/cut/smoothing must be >= 0 and loudest_fraction in (0, 1]");
}

}  // namespace

MasterReport master_file(const fs::path& mix, const std::vector<fs::path>& references, const fs::path& output,
                         const MasterOptions& options, const ProgressCallback& progress_cb) {
    check_options(options);
    if (references.empty()) throw InputError("no reference track given: master needs at least one --reference");
    output_container(output);  // the extension is one we can write
    {
        std::error_code ec;
        const fs::path parent = output.has_parent_path() ? output.parent_path() : fs::path(".");
        if (!fs::is_directory(parent, ec)) throw InputError(output.string() + ": the folder does not exist");
    }
    if (same_file(output, mix)) throw InputError(output.string() + ": the output would overwrite the mix");
    for (const auto& r : references) {
        if (same_file(output, r)) throw InputError(output.string() + ": the output would overwrite a reference");
        if (same_file(mix, r))
            throw InputError(r.string() + ": the reference is the mix itself: nothing to match (pick a released track in your genre)");
    }
    Progress progress{progress_cb};
    progress(0.0, "analysing");

    // Fail fast on the headers before decoding anything.
    std::int64_t total_frames = check_input(mix, options.min_duration_s, "mix");
    for (const auto& r : references) total_frames += check_input(r, options.min_duration_s, "reference");

    // ---- pass 1: analyse the mix and the references in parallel -----------------------------
    std::atomic<bool> cancel{false};
    std::vector<std::atomic<std::int64_t>> done(references.size() + 1);
    for (auto& d : done) d = 0;
    std::vector<std::future<Profile>> jobs;
    for (std::size_t i = 0; i <= references.size(); ++i) {
        const fs::path path = i == 0 ? mix : references[i - 1];
        jobs.push_back(std::async(std::launch::async, [&, path, i] {
            try {
                return analyse_file(path, options.loudest_fraction, options.min_duration_s, i == 0, &done[i], &cancel);
            } catch (...) {
                cancel = true;
                throw;
            }
        }));
    }
    for (;;) {
        bool all = true;
        for (auto& j : jobs)
            if (j.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready) all = false;
        std::int64_t sum = 0;
        for (auto& d : done) sum += d.load();
        progress(analysis_end * static_cast<double>(sum) / static_cast<double>(std::max<std::int64_t>(1, total_frames)),
                 "analysing");
        if (all) break;
    }
    std::vector<Profile> profiles;
    std::exception_ptr input_error, other_error;
    for (auto& j : jobs) {
        try {
            profiles.push_back(j.get());
        } catch (const InputError&) {
            if (!input_error) input_error = std::current_exception();
        } catch (...) {
            if (!other_error) other_error = std::current_exception();
        }
    }
    if (input_error) std::rethrow_exception(input_error);
    if (other_error) std::rethrow_exception(other_error);
    const Profile mixp = std::move(profiles.front());
    const std::vector<Profile> refs(std::make_move_iterator(profiles.begin() + 1), std::make_move_iterator(profiles.end()));

    constexpr double silent_lufs = -70.0;
    if (mixp.integrated_lufs <= silent_lufs)
        throw InputError(mix.string() + ": the mix is silent (nothing above -70 LUFS): nothing to master");
    for (const auto& r : refs) {
        if (r.integrated_lufs <= silent_lufs)
            throw InputError(r.path.string() + ": the reference is silent (nothing above -70 LUFS): nothing to match");
        if (r.hash == mixp.hash && r.frames == mixp.frames && r.sample_rate == mixp.sample_rate)
            throw InputError(r.path.string() + ": the reference has the same audio as the mix: nothing to match");
    }

    MasterReport rep;
    rep.mix = mix.string();
    rep.output = output.string();
    for (const auto& r : references) rep.references.push_back(r.string());
    rep.sample_rate = mixp.sample_rate;
    rep.bits = options.bits;
    rep.duration_s = static_cast<double>(mixp.frames) / mixp.sample_rate;
    rep.mix_lufs = mixp.integrated_lufs;
    rep.ceiling_dbtp = options.ceiling_dbtp;
    double ref_mean = 0.0, ref_width = 0.0;
    for (const auto& r : refs) {
        rep.reference_lufs.push_back(r.integrated_lufs);
        ref_mean += r.integrated_lufs;
        ref_width += r.width_db;
    }
    ref_mean /= static_cast<double>(refs.size());
    ref_width /= static_cast<double>(refs.size());
    rep.mix_width_db = mixp.width_db;
    rep.reference_width_db = ref_width;
    rep.target_lufs = options.target_lufs ? *options.target_lufs : (options.match_loudness ? ref_mean : mixp.integrated_lufs);
    for (const auto& r : refs)
        if (r.sample_rate != mixp.sample_rate) {
            rep.notes.push_back("references at other sample rates are compared on a common frequency grid; the output keeps the mix's rate");
            break;
        }

    // ---- EQ ------------------------------------------------------------------------------------
    const EqCurves curves = match_curves(mixp, refs, options);
    rep.eq_bands = summarise_bands(curves);
    for (std::size_t i = 0; i < curves.mid_db.size(); ++i) {
        if (grid_hz()[i] < 20.0 || grid_hz()[i] > 20000.0) continue;
        rep.eq_max_boost_db = std::max({rep.eq_max_boost_db, curves.mid_db[i], curves.side_db[i]});
        rep.eq_max_cut_db = std::min({rep.eq_max_cut_db, curves.mid_db[i], curves.side_db[i]});
    }
    rep.eq_loudness_change_db = loudness_change_db(mixp, curves);
    rep.width_change_db = width_change_db(mixp, curves);
    RenderPlan plan{&mix, mixp.frames, mixp.sample_rate, {}, {}, options.ceiling_dbtp, options.limiter};
    if (!curves.flat()) {
        const int taps = fir_taps_for(mixp.sample_rate);
        plan.fir_mid = design_linear_phase_fir(curves.mid_db, mixp.sample_rate, taps);
        plan.fir_side = design_linear_phase_fir(curves.side_db, mixp.sample_rate, taps);
    }

    // ---- gain, render (pass 2), trim -----------------------------------------------------------
    // Solve gain + predicted limiter loss = what the target needs (bisection: more gain never
    // makes it quieter). The EQ moves peaks by its unweighted power change.
    const double base_db = rep.target_lufs - (mixp.integrated_lufs + rep.eq_loudness_change_db);
    const double eq_peak_db = power_change_db(mixp, curves);
    const LimiterModel model(mixp.chunks, mixp.chunk_frames, mixp.sample_rate, options.ceiling_dbtp, options.limiter);
    auto predicted = [&](double g) { return g + model.loss_db(g + eq_peak_db); };  // loudness change
    // Beyond the point where a dB of gain buys less than min_useful_slope LU, more gain only
    // crushes the mix (and lifts its noise) without making it louder: never go past it.
    double cap_db = base_db + max_extra_gain_db;
    for (double g = base_db; g < base_db + max_extra_gain_db; g += 0.5)
        if (predicted(g + 0.5) - predicted(g) < 0.5 * min_useful_slope) {
            cap_db = g;
            break;
        }
    double lo = base_db, hi = cap_db;
    if (predicted(hi) < base_db) {
        lo = hi;
    } else {
        for (int i = 0; i < 14; ++i) {
            const double mid = 0.5 * (lo + hi);
            (predicted(mid) < base_db ? lo : hi) = mid;
        }
    }
    double gain_db = std::min(hi + aim_above_db, cap_db);

    const fs::path dir = output.has_parent_path() ? output.parent_path() : fs::path(".");
    TempFiles temps;
    std::string hidden = ".";  // (built step by step: GCC 12 warns falsely on "." + string)
    hidden += output.stem().string();
    const fs::path temp = dir / (hidden + ".mixscout-render.wav");
    const fs::path partial = dir / (hidden + ".mixscout-partial" + output.extension().string());
    temps.paths = {temp, partial};

    RenderResult r;
    for (int pass = 1;; ++pass) {
        const double p0 = pass == 1 ? analysis_end : render_end - 8.0 / pass;
        const double p1 = pass == 1 ? render_end - 8.0 : render_end - 8.0 / (pass + 1);
        r = render(plan, gain_db, temp, progress, p0, p1);
        rep.render_passes = pass;
        const double short_by = rep.target_lufs - r.lufs;
        if (short_by <= short_tolerance_lu || pass == max_render_passes || gain_db >= cap_db) break;
        // Short: step by the shortfall over the model's slope (dLoudness/dGain near this gain).
        const double slope = std::clamp((predicted(gain_db + 0.5) - predicted(gain_db - 0.5)), min_useful_slope, 1.0);
        gain_db = std::min(cap_db, gain_db + short_by / slope + aim_above_db);
    }
    // A downward trim only: lands on the target and can only lower the true peak.
    double trim_db = std::min(0.0, rep.target_lufs - r.lufs);
    rep.limiter = r.limiter;
    if (rep.target_lufs - r.lufs > short_tolerance_lu)
        rep.notes.push_back(fmt("the target is %.1f LU louder than this mix gets through a limiter at this "
                                "ceiling without being crushed (its peaks, often the low end, set the limit); "
                                "the output stops short of it",
                                rep.target_lufs - r.lufs));

    // ---- final copy pass: bits, dither, check ----------------------------------------------------
    FinalResult fin = finalise(temp, partial, mixp.sample_rate, options.bits, trim_db, progress);
    if (fin.true_peak_dbtp > options.ceiling_dbtp) {
        // The final check: the limiter's margin should make this unreachable; if it ever is
        // reached, write again a hair lower rather than deliver a peak above the ceiling.
        trim_db += options.ceiling_dbtp - fin.true_peak_dbtp - 0.01;
        rep.notes.push_back(fmt("final check: the true peak was %.2f dBTP; written again just under the ceiling",
                                fin.true_peak_dbtp));
        fin = finalise(temp, partial, mixp.sample_rate, options.bits, trim_db, progress);
    }
    rep.gain_db = gain_db + trim_db;
    rep.output_lufs = fin.lufs;
    rep.output_true_peak_dbtp = fin.true_peak_dbtp;
    rep.clipped_samples = fin.clipped;
    rep.mix_true_peak_dbtp = amplitude_to_db(mixp.sample_peak);  // sample peak: pass 1 does not oversample
    std::error_code ec;
    fs::rename(partial, output, ec);
    if (ec) throw InputError(output.string() + ": cannot write: " + ec.message());
    progress(100.0, "done");
    return rep;
}

nlohmann::json to_json(const MasterReport& r) {
    nlohmann::json bands = nlohmann::json::array();
    for (const auto& b : r.eq_bands)
        bands.push_back({{"lo_hz", b.lo_hz}, {"hi_hz", b.hi_hz}, {"mid_db", b.mid_db}, {"side_db", b.side_db}});
    return {
        {"mix", r.mix},
        {"references", r.references},
        {"output", r.output},
        {"sample_rate", r.sample_rate},
        {"bits", r.bits},
        {"duration_s", r.duration_s},
        {"loudness",
         {{"mix_lufs", r.mix_lufs},
          {"reference_lufs", r.reference_lufs},
          {"target_lufs", r.target_lufs},
          {"output_lufs", r.output_lufs},
          {"gain_db", r.gain_db}}},
        {"peak",
         {{"mix_sample_peak_dbfs", r.mix_true_peak_dbtp},
          {"output_true_peak_dbtp", r.output_true_peak_dbtp},
          {"ceiling_dbtp", r.ceiling_dbtp},
          {"clipped_samples", r.clipped_samples}}},
        {"eq",
         {{"bands", bands},
          {"max_boost_db", r.eq_max_boost_db},
          {"max_cut_db", r.eq_max_cut_db},
          {"loudness_change_db", r.eq_loudness_change_db}}},
        {"width",
         {{"mix_side_to_mid_db", r.mix_width_db},
          {"reference_side_to_mid_db", r.reference_width_db},
          {"change_db", r.width_change_db}}},
        {"limiter",
         {{"max_gain_reduction_db", r.limiter.max_gain_reduction_db},
          {"mean_gain_reduction_db", r.limiter.mean_gain_reduction_db},
          {"limiting_percent", r.limiter.limiting_percent}}},
        {"render_passes", r.render_passes},
        {"notes", r.notes},
    };
}

std::string summary(const MasterReport& r) {
    std::string s;
    char buf[256];
    std::snprintf(buf, sizeof buf, "mastered %s -> %s (%d Hz, %d-bit%s)\n", r.mix.c_str(), r.output.c_str(), r.sample_rate,
                  r.bits, r.bits == 32 ? " float" : "");
    s += buf;
    std::snprintf(buf, sizeof buf, "loudness  %.1f -> %.1f LUFS (target %.1f), gain %+.1f dB\n", r.mix_lufs, r.output_lufs,
                  r.target_lufs, r.gain_db);
    s += buf;
    std::snprintf(buf, sizeof buf, "true peak %.2f dBTP (ceiling %.1f)\n", r.output_true_peak_dbtp, r.ceiling_dbtp);
    s += buf;
    auto label = [](const EqBand& b) {
        const double fc = std::sqrt(b.lo_hz * b.hi_hz);
        return fc >= 1000.0 ? std::to_string(static_cast<int>(std::lround(fc / 1000.0))) + "k"
                            : std::to_string(static_cast<int>(std::lround(fc)));
    };
    s += "EQ mid   ";
    for (const auto& b : r.eq_bands) {
        std::snprintf(buf, sizeof buf, " %s:%+.1f", label(b).c_str(), b.mid_db);
        s += buf;
    }
    s += "\nEQ side  ";
    for (const auto& b : r.eq_bands) {
        std::snprintf(buf, sizeof buf, " %+.1f", b.side_db);
        s += buf;
    }
    std::snprintf(buf, sizeof buf, "\nwidth     side/mid %.1f dB (reference %.1f), changed %+.1f dB\n", r.mix_width_db,
                  r.reference_width_db, r.width_change_db);
    s += buf;
    std::snprintf(buf, sizeof buf, "limiter   max %.1f dB, mean %.2f dB, limiting %.1f %% of the time (%d render pass%s)\n",
                  r.limiter.max_gain_reduction_db, r.limiter.mean_gain_reduction_db, r.limiter.limiting_percent,
                  r.render_passes, r.render_passes == 1 ? "" : "es");
    s += buf;
    for (const auto& n : r.notes) s += "note: " + n + "\n";
    return s;
}

}  // namespace mixscout::master
