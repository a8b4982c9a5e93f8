#include "dsp/spectrum.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numbers>
#include <stdexcept>

#include "core/units.hpp"
#include "dsp/multiversion.hpp"
#include "dsp/window.hpp"

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

std::size_t auto_fft_size(int sample_rate) { return fft_size_near(0.17, sample_rate); }
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
    audio::require_layout("WelchSpectrum", sample_rate, channels, 2);
    if (sample_rate <= 0) throw std::invalid_argument("WelchSpectrum: sample rate must be positive");
    hop_ = fft_size_ / 2;
    // Periodic Hann: 50 % overlap sums to a constant, so every sample weighs the same.
    window_.resize(fft_size_);
    double sum_w2 = 0.0;
    for (std::size_t i = 0; i < fft_size_; ++i) {
        const double w = hann(i, fft_size_);
        window_[i] = static_cast<float>(w);
        sum_w2 += w * w;
    }
    // Parseval: mean square of the segment ~= sum_k |X_k|^2 / (N sum w^2) over all N bins; the
    // one-sided spectrum doubles bins 1..N/2-1 (done when reading).
    scale_ = 1.0 / (static_cast<double>(fft_size_) * sum_w2);
    const std::size_t bins = fft_size_ / 2 + 1;
    ring_.assign(fft_size_, {0.0f, 0.0f});
    mirror_.assign(bins, {0.0f, 0.0f});
    for (auto& b : batch_) b.assign(bins, 0.0f);
    for (int c = 0; c < channels_; ++c) acc_power_[c].assign(bins, 0.0);
    if (channels_ == 2) acc_cross_.assign(bins, 0.0);
    fft_ = std::make_unique<StereoFft>(fft_size_);
}

WelchSpectrum::~WelchSpectrum() = default;

void WelchSpectrum::push(const audio::Block& block) {
    audio::require_channels("WelchSpectrum", block, channels_);
    const std::size_t frames = block.frames();
    const float* in = block.interleaved.data();
    std::size_t i = 0;
    while (i < frames) {
        // Logical position fill_ of the segment lives in half (older_ + fill_ / hop) % 2.
        const std::size_t half = (older_ + fill_ / hop_) & 1u, offset = fill_ % hop_;
        const std::size_t n = std::min(frames - i, hop_ - offset);
        std::complex<float>* dst = ring_.data() + half * hop_ + offset;
        if (channels_ == 1) {
            for (std::size_t j = 0; j < n; ++j) dst[j] = {in[i + j], 0.0f};
        } else {
            std::memcpy(static_cast<void*>(dst), in + 2 * i, n * sizeof(std::complex<float>));  // L,R pairs
        }
        fill_ += n;
        i += n;
        if (fill_ == fft_size_) {
            process_segment();
            older_ ^= 1u;  // the older half is refilled next: no sliding copy
            fill_ = hop_;
        }
    }
}

namespace {

// One segment's channel powers and cross term, separated from the packed transform z (n bins,
// fft.hpp): with Z_k = a + ib and Z_{n-k} = c + id,
//   L_k = ((a + c) + i(b - d)) / 2,   R_k = ((b + d) + i(c - a)) / 2.
// mirror[k] = Z_{n-k} is built first so that the main loop reads both with unit stride and
// vectorises. Accumulates in float (flushed to double by the caller every few hundred segments).
MIXSCOUT_MULTIVERSION
void accumulate_segment(const std::complex<float>* z, std::complex<float>* mirror, std::size_t n, float* pl, float* pr,
                        float* px) {
    const std::size_t bins = n / 2 + 1;
    mirror[0] = z[0];
    for (std::size_t k = 1; k < bins; ++k) mirror[k] = z[n - k];
    const float* zf = reinterpret_cast<const float*>(z);
    const float* mf = reinterpret_cast<const float*>(mirror);
    if (pr) {
        for (std::size_t k = 0; k < bins; ++k) {
            const float a = zf[2 * k], b = zf[2 * k + 1], c = mf[2 * k], d = mf[2 * k + 1];
            const float lr = a + c, li = b - d, rr = b + d, ri = c - a;
            pl[k] += 0.25f * (lr * lr + li * li);
            pr[k] += 0.25f * (rr * rr + ri * ri);
            px[k] += 0.25f * (lr * rr + li * ri);
        }
    } else {
        for (std::size_t k = 0; k < bins; ++k) {
            const float a = zf[2 * k], b = zf[2 * k + 1], c = mf[2 * k], d = mf[2 * k + 1];
            const float lr = a + c, li = b - d;
            pl[k] += 0.25f * (lr * lr + li * li);
        }
    }
}

MIXSCOUT_MULTIVERSION
void window_pairs(const std::complex<float>* src, const float* w, std::complex<float>* dst, std::size_t n) {
    const float* s = reinterpret_cast<const float*>(src);
    float* d = reinterpret_cast<float*>(dst);
    for (std::size_t j = 0; j < n; ++j) {
        d[2 * j] = s[2 * j] * w[j];
        d[2 * j + 1] = s[2 * j + 1] * w[j];
    }
}

}  // namespace

void WelchSpectrum::process_segment() {
    const std::size_t n = fft_size_;
    std::complex<float>* x = fft_->input().data();
    window_pairs(ring_.data() + older_ * hop_, window_.data(), x, hop_);
    window_pairs(ring_.data() + (older_ ^ 1u) * hop_, window_.data() + hop_, x + hop_, n - hop_);
    fft_->forward();
    const bool stereo = channels_ == 2;
    accumulate_segment(fft_->packed().data(), mirror_.data(), n, batch_[0].data(), stereo ? batch_[1].data() : nullptr,
                       stereo ? batch_[2].data() : nullptr);
    ++segments_;
    if (++batched_ == batch_segments) flush_batch();
}

void WelchSpectrum::flush_batch() const {
    if (batched_ == 0) return;
    const std::size_t bins = fft_size_ / 2 + 1;
    for (std::size_t k = 0; k < bins; ++k) {
        acc_power_[0][k] += batch_[0][k];
        if (channels_ == 2) {
            acc_power_[1][k] += batch_[1][k];
            acc_cross_[k] += batch_[2][k];
        }
    }
    for (auto& b : batch_) std::fill(b.begin(), b.end(), 0.0f);
    batched_ = 0;
}

BandPower WelchSpectrum::band(double lo_hz, double hi_hz) const {
    flush_batch();
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
    flush_batch();
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
