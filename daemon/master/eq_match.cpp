#include "master/eq_match.hpp"

#include <algorithm>
#include <cmath>
#include <complex>
#include <numbers>
#include <stdexcept>

#include "dsp/fft.hpp"
#include "dsp/window.hpp"

namespace mixscout::master {
namespace {

constexpr double tiny = 1e-30;
constexpr double no_energy_db = 60.0;       // below the mix's strongest point: nothing to boost
constexpr double side_no_energy_db = 30.0;  // side this far below mid: effectively mono there
constexpr double lowest_boost_hz = 20.0;

/// Grid points whose cell lies below the profile's valid upper frequency.
std::size_t valid_points(const Profile& p) {
    const auto& g = grid_hz();
    std::size_t n = 0;
    while (n < g.size() && g[n] * std::exp2(1.0 / 48.0) <= p.valid_hi_hz) ++n;
    return n;
}

/// Power average over +-half grid points, within [0, n).
std::vector<double> smooth(const std::vector<double>& psd, std::size_t n, int half) {
    std::vector<double> out(psd.size(), 0.0);
    std::vector<double> cum(n + 1, 0.0);
    for (std::size_t i = 0; i < n; ++i) cum[i + 1] = cum[i] + psd[i];
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t lo = i >= static_cast<std::size_t>(half) ? i - half : 0;
        const std::size_t hi = std::min(n, i + half + 1);
        out[i] = (cum[hi] - cum[lo]) / static_cast<double>(hi - lo);
    }
    return out;
}

double db(double p) { return 10.0 * std::log10(std::max(p, tiny)); }

}  // namespace

bool EqCurves::flat() const {
    for (double v : mid_db)
        if (v != 0.0) return false;
    for (double v : side_db)
        if (v != 0.0) return false;
    return true;
}

EqCurves match_curves(const Profile& mix, const std::vector<Profile>& references, const MasterOptions& options) {
    const auto& g = grid_hz();
    const std::size_t count = g.size();
    EqCurves c{std::vector<double>(count, 0.0), std::vector<double>(count, 0.0)};
    const double amount = std::clamp(options.amount_percent, 0.0, 100.0) / 100.0;
    if ((!options.match_eq && !options.match_width) || amount == 0.0 || references.empty()) return c;

    if (!options.match_eq) {
        // Width only: one broadband side gain from the K-weighted side/mid ratios.
        double ref_width = 0.0;
        for (const auto& r : references) ref_width += r.width_db;
        ref_width /= static_cast<double>(references.size());
        double w = std::clamp(ref_width - mix.width_db, -options.max_cut_db, options.max_boost_db);
        if (mix.width_db < -side_no_energy_db) w = std::min(w, 0.0);
        std::fill(c.side_db.begin(), c.side_db.end(), w * amount);
        return c;
    }

    const int half = std::max(0, static_cast<int>(std::lround(options.smoothing_octaves * grid_points_per_octave / 2.0)));
    const std::size_t n_mix = valid_points(mix);
    const auto mix_mid = smooth(mix.mid_psd, n_mix, half);
    const auto mix_side = smooth(mix.side_psd, n_mix, half);
    std::vector<double> ref_mid(count, 0.0), ref_side(count, 0.0);
    std::vector<int> ref_n(count, 0);
    for (const auto& r : references) {
        const std::size_t n = valid_points(r);
        const auto m = smooth(r.mid_psd, n, half);
        const auto s = smooth(r.side_psd, n, half);
        for (std::size_t i = 0; i < n; ++i) {
            ref_mid[i] += db(m[i]);  // dB mean: one reference cannot dominate a band
            ref_side[i] += db(s[i]);
            ++ref_n[i];
        }
    }
    double mix_max_db = -300.0;
    for (std::size_t i = 0; i < n_mix; ++i)
        if (g[i] >= lowest_boost_hz) mix_max_db = std::max(mix_max_db, db(mix_mid[i]));

    // Defined where the mix and at least one reference are valid; held (cuts only) beyond.
    std::size_t defined = 0;
    for (std::size_t i = 0; i < n_mix; ++i) {
        if (ref_n[i] == 0) break;
        const double mm = db(mix_mid[i]), ms = db(mix_side[i]);
        double m = ref_mid[i] / ref_n[i] - mm;
        double s = ref_side[i] / ref_n[i] - ms;
        m = std::clamp(m, -options.max_cut_db, options.max_boost_db);
        s = std::clamp(s, -options.max_cut_db, options.max_boost_db);
        const bool low = g[i] < lowest_boost_hz;
        if (low || mm < mix_max_db - no_energy_db) m = std::min(m, 0.0);
        if (low || ms < mix_max_db - no_energy_db || ms < mm - side_no_energy_db) s = std::min(s, 0.0);
        if (!options.match_width) s = m;
        c.mid_db[i] = m * amount;
        c.side_db[i] = s * amount;
        defined = i + 1;
    }
    if (defined == 0) return EqCurves{std::vector<double>(count, 0.0), std::vector<double>(count, 0.0)};
    for (std::size_t i = defined; i < count; ++i) {
        c.mid_db[i] = std::min(c.mid_db[defined - 1], 0.0);
        c.side_db[i] = std::min(c.side_db[defined - 1], 0.0);
    }
    return c;
}

double curve_at(const std::vector<double>& curve_db, double hz) {
    if (curve_db.empty()) return 0.0;
    const double x = std::clamp(24.0 * std::log2(std::max(hz, 1e-3) / 1000.0) + 144.0, 0.0,
                                static_cast<double>(curve_db.size() - 1));
    const auto i = static_cast<std::size_t>(x);
    if (i + 1 >= curve_db.size()) return curve_db.back();
    const double t = x - static_cast<double>(i);
    return curve_db[i] * (1.0 - t) + curve_db[i + 1] * t;
}

double loudness_change_db(const Profile& mix, const EqCurves& curves) {
    const auto& g = grid_hz();
    double before = 0.0, after = 0.0;
    for (std::size_t i = 0; i < g.size(); ++i) {
        const double w = k_weight_power(g[i]) * g[i];
        before += w * (mix.mid_psd[i] + mix.side_psd[i]);
        after += w * (mix.mid_psd[i] * std::pow(10.0, curves.mid_db[i] / 10.0) +
                      mix.side_psd[i] * std::pow(10.0, curves.side_db[i] / 10.0));
    }
    return before > 0.0 ? db(after) - db(before) : 0.0;
}

double power_change_db(const Profile& mix, const EqCurves& curves) {
    const auto& g = grid_hz();
    double before = 0.0, after = 0.0;
    for (std::size_t i = 0; i < g.size(); ++i) {
        before += g[i] * (mix.mid_psd[i] + mix.side_psd[i]);
        after += g[i] * (mix.mid_psd[i] * std::pow(10.0, curves.mid_db[i] / 10.0) +
                         mix.side_psd[i] * std::pow(10.0, curves.side_db[i] / 10.0));
    }
    return before > 0.0 ? db(after) - db(before) : 0.0;
}

double width_change_db(const Profile& mix, const EqCurves& curves) {
    // Per frequency the image changes by side_db - mid_db; averaged with the mix's K-weighted
    // energy, so the figure is 0 whenever side follows mid, whatever the spectra look like.
    const auto& g = grid_hz();
    double acc = 0.0, weight = 0.0;
    for (std::size_t i = 0; i < g.size(); ++i) {
        if (g[i] < 20.0 || g[i] > 20000.0) continue;
        const double w = k_weight_power(g[i]) * g[i] * (mix.mid_psd[i] + mix.side_psd[i]);
        acc += w * (curves.side_db[i] - curves.mid_db[i]);
        weight += w;
    }
    return weight > 0.0 ? acc / weight : 0.0;
}

StereoPrediction predict_stereo(const Profile& mix, const EqCurves& curves) {
    const auto& g = grid_hz();
    double m = 0.0, sd = 0.0, mk = 0.0, sk = 0.0;
    for (std::size_t i = 0; i < g.size(); ++i) {
        const double pm = g[i] * mix.mid_psd[i] * std::pow(10.0, curves.mid_db[i] / 10.0);
        const double ps = g[i] * mix.side_psd[i] * std::pow(10.0, curves.side_db[i] / 10.0);
        m += pm;
        sd += ps;
        mk += k_weight_power(g[i]) * pm;
        sk += k_weight_power(g[i]) * ps;
    }
    StereoPrediction p;
    if (m + sd > 0.0) p.correlation = (m - sd) / (m + sd);
    if (mk > 0.0) p.mono_loss_db = db(mk + sk) - db(mk);
    return p;
}

double apply_stereo_guards(const Profile& mix, EqCurves& curves, const GuardOptions& guards) {
    const auto& g = grid_hz();
    std::vector<double> widen(g.size(), 0.0);  // side above mid, after the hard limits
    for (std::size_t i = 0; i < g.size(); ++i) {
        const double ceiling = g[i] < guards.mono_below_hz ? 0.0 : guards.max_side_gain_db;
        widen[i] = std::min(curves.side_db[i] - curves.mid_db[i], ceiling);
    }
    const EqCurves none{std::vector<double>(g.size(), 0.0), std::vector<double>(g.size(), 0.0)};
    const StereoPrediction before = predict_stereo(mix, none);
    auto with = [&](double factor) {
        EqCurves c = curves;
        for (std::size_t i = 0; i < g.size(); ++i)
            c.side_db[i] = c.mid_db[i] + (widen[i] > 0.0 ? factor * widen[i] : widen[i]);
        return c;
    };
    auto keeps = [&](const EqCurves& c) {
        const StereoPrediction p = predict_stereo(mix, c);
        return p.correlation >= before.correlation - guards.max_correlation_drop &&
               p.mono_loss_db <= before.mono_loss_db + guards.max_mono_loss_increase_db;
    };
    double factor = 1.0;
    if (!keeps(with(1.0))) {
        double lo = 0.0, hi = 1.0;
        for (int k = 0; k < 20; ++k) (keeps(with(0.5 * (lo + hi))) ? lo : hi) = 0.5 * (lo + hi);
        factor = lo;
    }
    curves = with(factor);
    return factor;
}

int fir_taps_for(int sample_rate) { return static_cast<int>(dsp::fft_size_near(0.17, sample_rate)) - 1; }

std::vector<float> design_linear_phase_fir(const std::vector<double>& curve_db, int sample_rate, int taps) {
    if (taps < 3 || taps % 2 == 0) throw std::invalid_argument("design_linear_phase_fir: taps must be odd and >= 3");
    const std::size_t d = 2 * static_cast<std::size_t>(taps + 1);
    dsp::RealFft fft(d, true);
    const std::span<std::complex<float>> spectrum = fft.spectrum();
    for (std::size_t k = 0; k < spectrum.size(); ++k) {
        const double f = static_cast<double>(k) * sample_rate / static_cast<double>(d);
        spectrum[k] = static_cast<float>(std::pow(10.0, curve_at(curve_db, f) / 20.0));
    }
    fft.inverse();
    const std::span<const float> ir = fft.input();
    // Zero-phase response centred on tap (taps-1)/2, Hann-windowed (narrow main lobe: keeps bass
    // detail; its sidelobes are harmless for a curve this smooth).
    std::vector<float> fir(static_cast<std::size_t>(taps));
    const int centre = (taps - 1) / 2;
    for (int i = 0; i < taps; ++i) {
        const double w = dsp::hann(static_cast<std::size_t>(i + 1), static_cast<std::size_t>(taps + 1));  // symmetric
        const std::size_t src = static_cast<std::size_t>((i - centre + static_cast<int>(d)) % static_cast<int>(d));
        fir[static_cast<std::size_t>(i)] = static_cast<float>(ir[src] / static_cast<double>(d) * w);
    }
    return fir;
}

}  // namespace mixscout::master
