// mixscout master: master_file(), the mastering procedure in order (see master.hpp): check the
// inputs, profile the mix and the references (pass 1), design the EQ, choose the gain and the
// dynamics stage, render (pass 2, render.hpp) and trim, write the final file, check every guard on
// what was written, and the A/B file. ~530 lines, kept as one file on purpose: master_file is one
// procedure whose steps share its plan and report, and reads best top to bottom in one place.
#include "master/master.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <future>
#include <limits>
#include <numeric>

#include "analysis/analysis.hpp"
#include "core/error.hpp"
#include "core/format.hpp"
#include "core/units.hpp"
#include "master/compressor.hpp"
#include "master/eq_match.hpp"
#include "master/limiter.hpp"
#include "master/loudness_model.hpp"
#include "master/profile.hpp"
#include "master/render.hpp"
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
constexpr double min_compressor_range_db = 0.5;  // a dynamics stage allowed less than this is left out
constexpr double guard_tolerance_db = 0.3;   // a measured limiter guard overshoot worth another render
constexpr double lra_tolerance_lu = 0.2;     // a measured LRA loss over the guard worth another render
constexpr double lra_model_margin_lu = 0.3;  // aim under the guard: the model (unweighted chunk energies) is off by a few tenths of an LU either way; the render measures it

/// printf into a string, for the notes that carry several numbers (core/format's fmt takes one).
template <class... Args>
std::string text(const char* format, Args... args) {
    const int n = std::snprintf(nullptr, 0, format, args...);
    std::string s(static_cast<std::size_t>(std::max(0, n)), '\0');
    std::snprintf(s.data(), s.size() + 1, format, args...);
    return s;
}

bool same_file(const fs::path& a, const fs::path& b) {
    std::error_code ec;
    if (fs::exists(a, ec) && fs::exists(b, ec)) return fs::equivalent(a, b, ec);
    return fs::weakly_canonical(a, ec) == fs::weakly_canonical(b, ec);
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

Snapshot snapshot(const analysis::Analysis& a) {
    Snapshot s;
    s.lufs = a.loudness.integrated_lufs;
    s.lra_lu = a.loudness.lra_lu;
    s.true_peak_dbtp = a.peak.true_peak_dbtp;
    s.plr_db = a.dynamics.plr_db;
    s.psr_db = a.dynamics.psr_db;
    s.correlation = a.stereo.correlation;
    s.mono_loss_db = a.stereo.mono_loss_db;
    s.side_to_mid_db = power_to_db(a.stereo.width);
    for (const auto& b : a.spectrum.third_octave) s.third_octave_db.push_back(b.db);
    return s;
}

/// The 1/3-octave bands a distance is taken over: 31.5 Hz .. 16 kHz (below, room rumble and
/// sub-sonic filters; above, lossy encoders' low-pass decide more than the mix).
bool distance_band(double lo_hz, double hi_hz) {
    const double fc = std::sqrt(lo_hz * hi_hz);
    return fc > 28.0 && fc < 18000.0;
}

/// RMS difference (dB) of two loudness-normalised 1/3-octave spectra over the distance bands.
double spectral_distance_db(const std::vector<double>& a, const std::vector<double>& b,
                            const std::vector<analysis::Band>& bands) {
    double acc = 0.0;
    int n = 0;
    for (std::size_t i = 0; i < bands.size() && i < a.size() && i < b.size(); ++i) {
        if (!distance_band(bands[i].lo_hz, bands[i].hi_hz)) continue;
        acc += (a[i] - b[i]) * (a[i] - b[i]);
        ++n;
    }
    return n ? std::sqrt(acc / n) : 0.0;
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

fs::path ab_path(const fs::path& output) {
    fs::path p = output;
    p.replace_extension(".ab.wav");
    return p;
}

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
    if (options.write_ab && same_file(ab_path(output), mix))
        throw InputError(ab_path(output).string() + ": the A/B file would overwrite the mix");
    for (const auto& r : references) {
        if (same_file(output, r)) throw InputError(output.string() + ": the output would overwrite a reference");
        if (options.write_ab && same_file(ab_path(output), r))
            throw InputError(ab_path(output).string() + ": the A/B file would overwrite a reference");
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
    std::vector<analysis::Analysis> analyses(references.size() + 1);
    for (std::size_t i = 0; i <= references.size(); ++i) {
        const fs::path path = i == 0 ? mix : references[i - 1];
        jobs.push_back(std::async(std::launch::async, [&, path, i] {
            try {
                return profile_file(path, options.loudest_fraction, options.min_duration_s, i == 0, &done[i], &cancel,
                                    &analyses[i]);
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
    rep.wanted_lufs = rep.target_lufs;
    const bool forced = options.target_lufs.has_value();
    rep.mix_analysis = analyses.front();
    rep.mix_stats = snapshot(analyses.front());
    {
        // The references' figures: their mean (spectra in dB, band by band).
        Snapshot& rs = rep.reference_stats;
        rs = snapshot(analyses[1]);
        for (std::size_t k = 2; k < analyses.size(); ++k) {
            const Snapshot o = snapshot(analyses[k]);
            rs.lufs += o.lufs, rs.lra_lu += o.lra_lu, rs.true_peak_dbtp += o.true_peak_dbtp, rs.plr_db += o.plr_db;
            rs.psr_db += o.psr_db, rs.correlation += o.correlation, rs.mono_loss_db += o.mono_loss_db;
            rs.side_to_mid_db += o.side_to_mid_db;
            for (std::size_t b = 0; b < rs.third_octave_db.size() && b < o.third_octave_db.size(); ++b)
                rs.third_octave_db[b] += o.third_octave_db[b];
        }
        const auto n = static_cast<double>(analyses.size() - 1);
        rs.lufs /= n, rs.lra_lu /= n, rs.true_peak_dbtp /= n, rs.plr_db /= n, rs.psr_db /= n, rs.correlation /= n;
        rs.mono_loss_db /= n, rs.side_to_mid_db /= n;
        for (double& b : rs.third_octave_db) b /= n;
    }
    const auto& third_bands = analyses.front().spectrum.third_octave;
    rep.reference_distance_before_db =
        spectral_distance_db(rep.mix_stats.third_octave_db, rep.reference_stats.third_octave_db, third_bands);
    for (const auto& r : refs)
        if (r.sample_rate != mixp.sample_rate) {
            rep.notes.push_back("references at other sample rates are compared on a common frequency grid; the output keeps the mix's rate");
            break;
        }

    // ---- EQ ------------------------------------------------------------------------------------
    EqCurves curves = match_curves(mixp, refs, options);
    if (options.match_width && !curves.flat()) {
        const double kept = apply_stereo_guards(mixp, curves, options.guards);
        if (kept < 0.999)
            rep.notes.push_back(text("the reference is wider than this mix can follow and stay mono-compatible: the "
                                    "widening was scaled to %.0f %% so correlation drops by at most %.2f and mono loss "
                                    "grows by at most %.1f dB",
                                    100.0 * kept, options.guards.max_correlation_drop,
                                    options.guards.max_mono_loss_increase_db));
    }
    rep.eq_bands = summarise_bands(curves);
    for (std::size_t i = 0; i < curves.mid_db.size(); ++i) {
        if (grid_hz()[i] < 20.0 || grid_hz()[i] > 20000.0) continue;
        rep.eq_max_boost_db = std::max({rep.eq_max_boost_db, curves.mid_db[i], curves.side_db[i]});
        rep.eq_max_cut_db = std::min({rep.eq_max_cut_db, curves.mid_db[i], curves.side_db[i]});
    }
    rep.eq_loudness_change_db = loudness_change_db(mixp, curves);
    rep.width_change_db = width_change_db(mixp, curves);
    RenderPlan plan{&mix, mixp.frames, mixp.sample_rate, {}, {}, options.ceiling_dbtp, options.limiter};
    plan.compressor = options.compressor;
    plan.compressor_step_frames = mixp.chunk_frames;
    if (!curves.flat()) {
        const int taps = fir_taps_for(mixp.sample_rate);
        plan.fir_mid = design_linear_phase_fir(curves.mid_db, mixp.sample_rate, taps);
        plan.fir_side = design_linear_phase_fir(curves.side_db, mixp.sample_rate, taps);
    }

    // ---- gain, render (pass 2), trim -----------------------------------------------------------
    // Solve gain + predicted limiter loss = what the target needs (bisection: more gain never
    // makes it quieter). The EQ moves peaks by its unweighted power change.
    const double eq_peak_db = power_change_db(mixp, curves);
    LimiterModel model(mixp.chunks, mixp.chunk_frames, mixp.sample_rate, options.ceiling_dbtp, options.limiter);
    auto predicted = [&](double g) { return g + model.loss_db(g + eq_peak_db); };  // loudness change
    // Solve gain + predicted loss = what `target` needs (bisection: more gain never makes it
    // quieter). Beyond the point where a dB of gain buys less than min_useful_slope LU, more gain
    // only crushes the mix (and lifts its noise) without making it louder: never go past it.
    double cap_db = 0.0;
    auto solve = [&](double target) {
        const double base_db = target - (mixp.integrated_lufs + rep.eq_loudness_change_db);
        cap_db = base_db + max_extra_gain_db;
        double at_g = predicted(base_db);
        for (double g = base_db; g < base_db + max_extra_gain_db; g += 0.5) {
            const double next = predicted(g + 0.5);
            if (next - at_g < 0.5 * min_useful_slope) {
                cap_db = g;
                break;
            }
            at_g = next;
        }
        double lo = base_db, hi = cap_db;
        if (predicted(hi) < base_db) return hi;
        for (int i = 0; i < 11; ++i) {  // to 0.01 dB
            const double mid = 0.5 * (lo + hi);
            (predicted(mid) < base_db ? lo : hi) = mid;
        }
        return hi;
    };
    double solved_db = solve(rep.target_lufs);

    // The dynamics stage, only when the limiter alone would have to work hard.
    const double programme_db = model.programme_level_db();
    CompressorCurve comp_curve{programme_db + options.compressor.threshold_db, options.compressor.ratio,
                               options.compressor.knee_db, options.compressor.max_gain_reduction_db};
    const GuardOptions& guard = options.guards;
    if (options.compressor.enabled && options.compressor.max_gain_reduction_db > 0.0 &&
        model.predict(solved_db + eq_peak_db).limiter_max_db > options.compressor.engage_above_limiting_db) {
        // On its own it may take at most half the loudness range the guard allows (the limiter
        // needs the rest): its range is narrowed until it does.
        auto lra_loss_with = [&](double range_db) {
            comp_curve.max_gain_reduction_db = range_db;
            model.set_compressor(&comp_curve, options.compressor);
            return model.predict(-60.0).lra_loss_lu();  // -60 dB: the limiter idle
        };
        double range_db = options.compressor.max_gain_reduction_db;
        if (lra_loss_with(range_db) > 0.5 * guard.max_lra_loss_lu) {
            double lo = 0.0, hi = range_db;
            for (int i = 0; i < 7; ++i) (lra_loss_with(0.5 * (lo + hi)) > 0.5 * guard.max_lra_loss_lu ? hi : lo) = 0.5 * (lo + hi);
            range_db = lo;
        }
        if (range_db >= min_compressor_range_db) {
            lra_loss_with(range_db);
            rep.compressor_used = true;
            solved_db = solve(rep.target_lufs);
        } else {
            model.set_compressor(nullptr, options.compressor);
        }
    }
    // The loudness guards: the most gain that keeps all of them (each is monotonic in the gain).
    auto broken = [&](double g) -> std::string {
        const ModelPrediction p = model.predict(g + eq_peak_db);
        if (p.limiter_max_db > guard.max_limiter_peak_db) return "limiter_peak";
        if (p.limiter_mean_db > guard.max_limiter_mean_db) return "limiter_mean";
        if (p.lra_loss_lu() > guard.max_lra_loss_lu - lra_model_margin_lu) return "lra_loss";
        return "";
    };
    if (!forced && !broken(solved_db).empty()) {
        rep.loudness_limited_by = broken(solved_db);
        double lo = solved_db - 30.0, hi = solved_db;
        for (int i = 0; i < 11; ++i) {  // to 0.015 dB
            const double mid = 0.5 * (lo + hi);
            (broken(mid).empty() ? lo : hi) = mid;
        }
        rep.loudness_limited_by = broken(hi);  // the guard that binds at the loudest level kept
        rep.target_lufs = mixp.integrated_lufs + rep.eq_loudness_change_db + predicted(lo);
        solved_db = lo;
        cap_db = std::min(cap_db, lo + aim_above_db);
    }
    double gain_db = std::min(solved_db + aim_above_db, cap_db);
    plan.compress = rep.compressor_used;
    plan.compressor_threshold_dbfs = comp_curve.threshold_dbfs + eq_peak_db;  // the EQ comes first
    plan.compressor.max_gain_reduction_db = comp_curve.max_gain_reduction_db;

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
        // The model estimates the limiter from sample peaks; the render measured it. If it went
        // past a limiter guard after all, render again that much quieter.
        if (!forced && pass < max_render_passes) {
            const double limiting = std::max(0.25, r.limiter.limiting_percent / 100.0);
            const double over = std::max(r.limiter.max_gain_reduction_db - guard.max_limiter_peak_db,
                                         (r.limiter.mean_gain_reduction_db - guard.max_limiter_mean_db) / limiting);
            if (over > guard_tolerance_db) {
                if (rep.loudness_limited_by.empty())
                    rep.loudness_limited_by =
                        r.limiter.max_gain_reduction_db - guard.max_limiter_peak_db > 0.0 ? "limiter_peak" : "limiter_mean";
                gain_db -= over;
                cap_db = gain_db;
                rep.target_lufs = std::min(rep.target_lufs, r.lufs - over);
                continue;
            }
            // Same for the loudness range: the model's estimate (unweighted chunk energies) is
            // scaled by what the render measured, and the gain solved again against it.
            const double lra_loss = rep.mix_stats.lra_lu - r.lra_lu;
            if (lra_loss > guard.max_lra_loss_lu + lra_tolerance_lu) {
                const double predicted_loss = model.predict(gain_db + eq_peak_db).lra_loss_lu();
                const double allowed = guard.max_lra_loss_lu * std::clamp(predicted_loss / lra_loss, 0.1, 1.0);
                double lo = gain_db - 40.0, hi = gain_db;
                for (int i = 0; i < 14; ++i) {
                    const double mid = 0.5 * (lo + hi);
                    (model.predict(mid + eq_peak_db).lra_loss_lu() <= allowed ? lo : hi) = mid;
                }
                rep.loudness_limited_by = "lra_loss";  // the guard that binds in the end
                rep.target_lufs = std::min(rep.target_lufs, r.lufs - (gain_db - lo));
                gain_db = cap_db = lo;
                continue;
            }
        }
        const double short_by = rep.target_lufs - r.lufs;
        if (short_by <= short_tolerance_lu || pass == max_render_passes || gain_db >= cap_db) break;
        // Short: step by the shortfall over the model's slope (dLoudness/dGain near this gain).
        const double slope = std::clamp((predicted(gain_db + 0.5) - predicted(gain_db - 0.5)), min_useful_slope, 1.0);
        gain_db = std::min(cap_db, gain_db + short_by / slope + aim_above_db);
    }
    // A downward trim only: lands on the target and can only lower the true peak.
    double trim_db = std::min(0.0, rep.target_lufs - r.lufs);
    rep.limiter = r.limiter;
    rep.compressor = r.compressor;
    if (rep.target_lufs - r.lufs > short_tolerance_lu)
        rep.notes.push_back(fmt("the target is %.1f LU louder than this mix gets through a limiter at this "
                                "ceiling without being crushed (its peaks, often the low end, set the limit); "
                                "the output stops short of it",
                                rep.target_lufs - r.lufs));

    // ---- final copy pass: bits, dither, check ----------------------------------------------------
    FinalResult fin = finalise(temp, partial, mixp.sample_rate, options.bits, trim_db, progress, render_end);
    if (fin.true_peak_dbtp > options.ceiling_dbtp) {
        // The final check: the limiter's margin should make this unreachable; if it ever is
        // reached, write again a hair lower rather than deliver a peak above the ceiling.
        trim_db += options.ceiling_dbtp - fin.true_peak_dbtp - 0.01;
        rep.notes.push_back(fmt("final check: the true peak was %.2f dBTP; written again just under the ceiling",
                                fin.true_peak_dbtp));
        fin = finalise(temp, partial, mixp.sample_rate, options.bits, trim_db, progress, render_end);
    }
    rep.gain_db = gain_db + trim_db;
    rep.output_lufs = fin.lufs;
    rep.output_true_peak_dbtp = fin.true_peak_dbtp;
    rep.clipped_samples = fin.clipped;
    rep.mix_sample_peak_dbfs = amplitude_to_db(mixp.sample_peak);  // sample peak: pass 1 does not oversample
    rep.output_stats = snapshot(fin.analysis);
    rep.output_analysis = std::move(fin.analysis);
    rep.reference_distance_after_db =
        spectral_distance_db(rep.output_stats.third_octave_db, rep.reference_stats.third_octave_db, third_bands);
    rep.level_difference_db = rep.output_lufs - rep.mix_lufs;
    rep.tonal_change_db = spectral_distance_db(rep.output_stats.third_octave_db, rep.mix_stats.third_octave_db, third_bands);

    // ---- the guards, as the written master measures ---------------------------------------------
    const Snapshot& b = rep.mix_stats;
    const Snapshot& a = rep.output_stats;
    // Kept = within the limit plus what the meters and the model may disagree by.
    auto check = [&](const char* name, const char* what, double value, double limit, const char* unit,
                     double tolerance = 0.05) {
        rep.guards.push_back({name, what, value, limit, unit, value <= limit + tolerance});
    };
    check("limiter_peak", "limiter gain reduction at its deepest", rep.limiter.max_gain_reduction_db,
          guard.max_limiter_peak_db, "dB", guard_tolerance_db);
    check("limiter_mean", "average limiter gain reduction", rep.limiter.mean_gain_reduction_db, guard.max_limiter_mean_db, "dB");
    check("lra_loss", "loudness range lost", b.lra_lu - a.lra_lu, guard.max_lra_loss_lu, "LU", lra_tolerance_lu);
    check("eq_boost", "largest EQ boost", rep.eq_max_boost_db, options.max_boost_db, "dB");
    check("eq_cut", "largest EQ cut", -rep.eq_max_cut_db, options.max_cut_db, "dB");
    double side_gain = 0.0, low_side_gain = -1e9;
    for (std::size_t i = 0; i < curves.side_db.size(); ++i) {
        const double hz = grid_hz()[i];
        if (hz < 20.0 || hz > 20000.0) continue;
        side_gain = std::max(side_gain, curves.side_db[i] - curves.mid_db[i]);
        if (hz < guard.mono_below_hz) low_side_gain = std::max(low_side_gain, curves.side_db[i] - curves.mid_db[i]);
    }
    check("side_gain", "largest side boost over mid", side_gain, guard.max_side_gain_db, "dB");
    check("low_end_mono", "side boost over mid in the low end", std::max(0.0, low_side_gain), 0.0, "dB");
    check("correlation_drop", "L/R correlation lost", b.correlation - a.correlation, guard.max_correlation_drop, "");
    check("mono_loss_increase", "mono fold-down loss added", a.mono_loss_db - b.mono_loss_db,
          guard.max_mono_loss_increase_db, "dB");
    if (forced)
        for (const auto& g : rep.guards)
            if (!g.kept)
                rep.notes.push_back(text("--target-lufs %.1f broke a guard: %s %.1f %s (guard %.1f)", *options.target_lufs,
                                        g.what.c_str(), g.value, g.unit.c_str(), g.limit));
    if (!rep.loudness_limited_by.empty()) {
        std::string why;
        if (rep.loudness_limited_by == "limiter_peak")
            why = fmt("more than %.0f dB of limiting", guard.max_limiter_peak_db);
        else if (rep.loudness_limited_by == "limiter_mean")
            why = fmt("more than %.1f dB of limiting on average", guard.max_limiter_mean_db);
        else
            why = fmt("losing more than %.1f LU of its loudness range", guard.max_lra_loss_lu);
        rep.notes.insert(rep.notes.begin(),
                         text("the %s %.1f dB louder than this mix can go without %s: mastered to %.1f LUFS; "
                             "use --target-lufs to force it",
                             options.target_lufs ? "target is" : "reference is", rep.wanted_lufs - rep.output_lufs,
                             why.c_str(), rep.output_lufs));
    }

    std::error_code ec;
    fs::rename(partial, output, ec);
    if (ec) throw InputError(output.string() + ": cannot write: " + ec.message());
    if (options.write_ab) {
        // Level-matched: the louder of the two is turned down to the other's loudness (never up:
        // nothing can clip that did not before).
        rep.ab_master_gain_db = std::min(0.0, rep.mix_lufs - rep.output_lufs);
        rep.ab_mix_gain_db = std::min(0.0, rep.output_lufs - rep.mix_lufs);
        const fs::path ab = ab_path(output);
        const fs::path ab_partial = dir / (hidden + ".mixscout-partial.ab.wav");
        temps.paths.push_back(ab_partial);
        write_ab(mix, output, ab_partial, mixp.sample_rate, options.ab_block_s, rep.ab_mix_gain_db, rep.ab_master_gain_db);
        fs::rename(ab_partial, ab, ec);
        if (ec) throw InputError(ab.string() + ": cannot write: " + ec.message());
        rep.ab_output = ab.string();
    }
    progress(100.0, "done");
    return rep;
}


}  // namespace mixscout::master
