#include "dsp/spectrum.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>

#include "core/units.hpp"

namespace mixscout::dsp {

double FrequencyBand::centre_hz() const { return std::sqrt(lo_hz * hi_hz); }

namespace {
std::vector<FrequencyBand> make_bands(int k_first, int k_last, double per_octave) {
    std::vector<FrequencyBand> bands;
    for (int k = k_first; k <= k_last; ++k) {
        const double fc = 1000.0 * std::pow(2.0, k / per_octave);
        const double half = std::pow(2.0, 0.5 / per_octave);
        bands.push_back({fc / half, fc * half});
    }
    return bands;
}

std::size_t auto_fft_size(int sample_rate) {
    // Nearest power of two to 0.17 s: 8192 at 44.1/48 kHz, 16384 at 96 kHz, 32768 at 192 kHz.
    const double target = 0.17 * sample_rate;
    std::size_t n = 256;
    while (static_cast<double>(n) * 1.5 < target) n *= 2;
    return n;
}
}  // namespace

const std::vector<FrequencyBand>& octave_bands() {
    static const std::vector<FrequencyBand> bands = make_bands(-5, 4, 1.0);  // 31.25 Hz .. 16 kHz
    return bands;
}

const std::vector<FrequencyBand>& third_octave_bands() {
    static const std::vector<FrequencyBand> bands = make_bands(-17, 13, 3.0);  // 19.7 Hz .. 20.2 kHz
    return bands;
}

WelchSpectrum::WelchSpectrum(int sample_rate, int channels, std::size_t fft_size)
    : sample_rate_(sample_rate), channels_(channels), fft_size_(fft_size ? fft_size : auto_fft_size(sample_rate)) {
    if (channels < 1 || channels > 2) throw std::invalid_argument("WelchSpectrum: 1 or 2 channels");
    if (sample_rate <= 0) throw std::invalid_argument("WelchSpectrum: sample rate must be positive");
    hop_ = fft_size_ / 2;
    // Periodic Hann: 50 % overlap sums to a constant, so every sample weighs the same.
    window_.resize(fft_size_);
    double sum_w2 = 0.0;
    for (std::size_t i = 0; i < fft_size_; ++i) {
        const double w = 0.5 - 0.5 * std::cos(2.0 * std::numbers::pi * static_cast<double>(i) / static_cast<double>(fft_size_));
        window_[i] = static_cast<float>(w);
        sum_w2 += w * w;
    }
    // Parseval: mean square of the segment ~= sum_k |X_k|^2 / (N sum w^2) over all N bins; the
    // one-sided spectrum doubles bins 1..N/2-1 (done when reading).
    scale_ = 1.0 / (static_cast<double>(fft_size_) * sum_w2);
    const std::size_t bins = fft_size_ / 2 + 1;
    for (int c = 0; c < channels_; ++c) {
        ring_[c].assign(fft_size_, 0.0f);
        acc_power_[c].assign(bins, 0.0);
        fft_[c] = std::make_unique<RealFft>(fft_size_);
    }
    if (channels_ == 2) acc_cross_.assign(bins, 0.0);
}

WelchSpectrum::~WelchSpectrum() = default;

void WelchSpectrum::push(const audio::Block& block) {
    const std::size_t frames = block.frames();
    const float* in = block.interleaved.data();
    std::size_t i = 0;
    while (i < frames) {
        const std::size_t n = std::min(frames - i, fft_size_ - fill_);
        if (channels_ == 1) {
            std::copy(in + i, in + i + n, ring_[0].data() + fill_);
        } else {
            float* l = ring_[0].data() + fill_;
            float* r = ring_[1].data() + fill_;
            const float* src = in + 2 * i;
            for (std::size_t j = 0; j < n; ++j) {
                l[j] = src[2 * j];
                r[j] = src[2 * j + 1];
            }
        }
        fill_ += n;
        i += n;
        if (fill_ == fft_size_) {
            process_segment();
            for (int c = 0; c < channels_; ++c) std::copy(ring_[c].begin() + static_cast<std::ptrdiff_t>(hop_), ring_[c].end(), ring_[c].begin());
            fill_ = fft_size_ - hop_;
        }
    }
}

void WelchSpectrum::process_segment() {
    const std::size_t bins = fft_size_ / 2 + 1;
    for (int c = 0; c < channels_; ++c) {
        float* dst = fft_[c]->input().data();
        const float* src = ring_[c].data();
        const float* w = window_.data();
        for (std::size_t j = 0; j < fft_size_; ++j) dst[j] = src[j] * w[j];
        fft_[c]->forward();
        const auto* X = fft_[c]->output().data();
        double* acc = acc_power_[c].data();
        for (std::size_t k = 0; k < bins; ++k) acc[k] += static_cast<double>(std::norm(X[k]));
    }
    if (channels_ == 2) {
        const auto* L = fft_[0]->output().data();
        const auto* R = fft_[1]->output().data();
        double* acc = acc_cross_.data();
        for (std::size_t k = 0; k < bins; ++k)
            acc[k] += static_cast<double>(L[k].real() * R[k].real() + L[k].imag() * R[k].imag());
    }
    ++segments_;
}

BandPower WelchSpectrum::band(double lo_hz, double hi_hz) const {
    BandPower p;
    if (segments_ == 0) return p;
    const double nyquist = sample_rate_ / 2.0;
    hi_hz = std::min(hi_hz, nyquist);
    if (hi_hz <= lo_hz) return p;
    const double df = bin_hz();
    const std::size_t last_bin = fft_size_ / 2;
    // Bin k covers [(k-0.5) df, (k+0.5) df); weight = overlap fraction with [lo, hi).
    const auto k0 = static_cast<std::size_t>(std::max(0.0, std::floor(lo_hz / df + 0.5)));
    const auto k1 = std::min(last_bin, static_cast<std::size_t>(std::floor(hi_hz / df + 0.5)));
    double sl = 0.0, sr = 0.0, sx = 0.0;
    for (std::size_t k = k0; k <= k1; ++k) {
        const double b_lo = (static_cast<double>(k) - 0.5) * df, b_hi = (static_cast<double>(k) + 0.5) * df;
        const double overlap = std::min(b_hi, hi_hz) - std::max(b_lo, lo_hz);
        if (overlap <= 0.0) continue;
        double wgt = overlap / df;
        if (k != 0 && k != last_bin) wgt *= 2.0;  // one-sided spectrum
        sl += wgt * acc_power_[0][k];
        if (channels_ == 2) {
            sr += wgt * acc_power_[1][k];
            sx += wgt * acc_cross_[k];
        }
    }
    const double norm = scale_ / static_cast<double>(segments_);
    p.left = sl * norm;
    p.right = channels_ == 2 ? sr * norm : p.left;
    p.cross = channels_ == 2 ? sx * norm : p.left;
    return p;
}

std::vector<double> WelchSpectrum::power_spectrum(int channel) const {
    std::vector<double> out;
    if (segments_ == 0) return out;
    const std::size_t bins = fft_size_ / 2 + 1;
    out.resize(bins);
    const double norm = scale_ / static_cast<double>(segments_);
    for (std::size_t k = 0; k < bins; ++k)
        out[k] = acc_power_[channel][k] * norm * ((k == 0 || k == bins - 1) ? 1.0 : 2.0);
    return out;
}

double spectral_tilt_db_per_octave(std::span<const FrequencyBand> bands, std::span<const double> db, double from_hz,
                                   double to_hz) {
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    int n = 0;
    for (std::size_t i = 0; i < bands.size() && i < db.size(); ++i) {
        const double fc = bands[i].centre_hz();
        if (fc < from_hz || fc > to_hz || db[i] <= silence_floor_db) continue;
        const double x = std::log2(fc);
        sx += x;
        sy += db[i];
        sxx += x * x;
        sxy += x * db[i];
        ++n;
    }
    if (n < 2) return 0.0;
    const double den = n * sxx - sx * sx;
    return den > 0.0 ? (n * sxy - sx * sy) / den : 0.0;
}

}  // namespace mixscout::dsp
