#include "dsp/band_limit.hpp"

#include <algorithm>
#include <cmath>

namespace mixscout::dsp {
namespace {

/// Mean power over [lo_hz, hi_hz); -1 when no bin lies there.
double mean_power(std::span<const double> p, double bin_hz, double lo_hz, double hi_hz) {
    const auto k0 = static_cast<std::size_t>(std::ceil(lo_hz / bin_hz));
    const auto k1 = std::min(p.size(), static_cast<std::size_t>(std::ceil(hi_hz / bin_hz)));
    if (k0 >= k1) return -1.0;
    double s = 0.0;
    for (std::size_t k = k0; k < k1; ++k) s += p[k];
    return s / static_cast<double>(k1 - k0);
}

double db(double p) { return 10.0 * std::log10(std::max(p, 1e-30)); }

/// Pearson correlation of the levels above the edge with their mirror below it, in `parts`
/// sub-bands of [1.01 f_n, top). Images repeat the spectrum below, fluctuations and all (~1); music
/// above the edge falls on while its mirror rises (< 0), and unrelated noise reads ~0.
double mirror_correlation(std::span<const double> p, double bin_hz, double fn, double top) {
    constexpr int parts = 16;
    double above[parts], below[parts];
    const double lo = 1.01 * fn, width = (top - lo) / parts;
    for (int i = 0; i < parts; ++i) {
        const double a = lo + i * width;
        above[i] = db(mean_power(p, bin_hz, a, a + width));
        below[i] = db(mean_power(p, bin_hz, 2.0 * fn - a - width, 2.0 * fn - a));
    }
    double ma = 0, mb = 0;
    for (int i = 0; i < parts; ++i) ma += above[i] / parts, mb += below[i] / parts;
    double sab = 0, saa = 0, sbb = 0;
    for (int i = 0; i < parts; ++i) {
        sab += (above[i] - ma) * (below[i] - mb);
        saa += (above[i] - ma) * (above[i] - ma);
        sbb += (below[i] - mb) * (below[i] - mb);
    }
    return saa > 0 && sbb > 0 ? sab / std::sqrt(saa * sbb) : 0.0;
}

}  // namespace

BandLimit find_band_limit(std::span<const double> power, double bin_hz, int sample_rate, BandLimitOptions o) {
    BandLimit out;
    if (power.empty() || bin_hz <= 0.0) return out;
    const double nyquist = 0.5 * sample_rate;
    for (const int rate : {44100, 48000, 88200, 96000, 176400}) {
        const double fn = 0.5 * rate;
        const double top = std::min(1.10 * fn, 0.97 * nyquist);
        if (top - 1.01 * fn < 0.02 * fn) break;  // no room above this edge in the file
        const double below = mean_power(power, bin_hz, 0.80 * fn, 0.88 * fn);
        const double above = mean_power(power, bin_hz, 1.01 * fn, top);
        if (below <= 0.0 || above < 0.0) continue;  // nothing to lose below the edge (silence)
        const double drop = db(below) - db(above);
        // Images: no clean gap, and the spectrum above is the mirror of the one below.
        const bool images = drop < o.clean_gap_db && mirror_correlation(power, bin_hz, fn, top) >= o.min_mirror_correlation;
        if (drop >= o.min_drop_db || images) {
            out.source_rate_hz = rate;
            out.edge_hz = fn;
            out.drop_db = drop;
            out.imaging = images && drop < o.clean_gap_db;
            return out;
        }
    }
    return out;
}

}  // namespace mixscout::dsp
