#include "dsp/true_peak.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numbers>
#include <stdexcept>
#include <string>

#include "core/units.hpp"
#include "dsp/block_scan.hpp"
#include "dsp/multiversion.hpp"
#include "dsp/window.hpp"

namespace mixscout::dsp {

namespace {

constexpr int kTaps = Oversampler::taps_per_phase;
// Kaiser window shape: trades passband flatness near Nyquist against stopband rejection
// (images of the baseband that would inflate the peak). See true_peak.hpp for the accuracy.
constexpr double kKaiserBeta = 5.0;

// One output phase for n frames: out[i] = sum_j h[j] * x[i + kTaps - 1 - j], where x holds
// kTaps - 1 samples of history followed by the n new samples. The j loop has a constant trip
// count and is unrolled, so the i loop vectorises with unaligned loads and (on AVX2) FMAs.
MIXSCOUT_MULTIVERSION
void fir_phase(const float* __restrict x, const float* __restrict h, std::size_t n, float* __restrict out) {
    for (std::size_t i = 0; i < n; ++i) {
        float acc = 0.0f;
#pragma GCC unroll 16
        for (int j = 0; j < kTaps; ++j) acc += h[j] * x[i + static_cast<std::size_t>(kTaps - 1 - j)];
        out[i] = acc;
    }
}

// The meter's fused kernel: for each input frame, the largest |value| among its `factor`
// oversampled outputs, without storing them. Phase 0 is the delayed input itself (a Nyquist
// filter), so only phases 1..factor-1 are computed, and each x load feeds all of them.
// x: kTaps - 1 history samples, then n new ones.
//
// Written with GCC/Clang vector extensions (8 floats): the auto-vectoriser gives up on the
// fused form, and the explicit vectors compile to AVX in the haswell clone and to pairs of SSE
// registers in the baseline clone.
typedef float v8f __attribute__((vector_size(32)));
typedef int v8i __attribute__((vector_size(32)));

[[gnu::always_inline]] inline v8f load8(const float* p) {
    v8f v;
    std::memcpy(&v, p, sizeof v);
    return v;
}
[[gnu::always_inline]] inline v8f abs8(v8f v) {
    v8i bits;
    std::memcpy(&bits, &v, sizeof v);
    bits &= 0x7fffffff;
    std::memcpy(&v, &bits, sizeof v);
    return v;
}
[[gnu::always_inline]] inline v8f max8(v8f a, v8f b) { return a > b ? a : b; }

template <int Phases>
[[gnu::always_inline]] inline void peaks_body(const float* __restrict x, const float* __restrict coeffs, std::size_t n,
                                              float* __restrict frame_max) {
    constexpr std::size_t delay = kTaps / 2;
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        // Two partial sums per phase (even and odd taps): 2 * Phases independent FMA chains
        // keep the FMA units busy instead of waiting on one chain's latency.
        v8f acc[2][Phases];
        for (int p = 0; p < Phases; ++p) acc[0][p] = acc[1][p] = v8f{};
#pragma GCC unroll 16
        for (int j = 0; j < kTaps; ++j) {
            const v8f v = load8(x + i + static_cast<std::size_t>(kTaps - 1 - j));
            for (int p = 0; p < Phases; ++p) acc[j & 1][p] += coeffs[(p + 1) * kTaps + j] * v;
        }
        v8f m = abs8(load8(x + i + kTaps - 1 - delay));
        for (int p = 0; p < Phases; ++p) m = max8(m, abs8(acc[0][p] + acc[1][p]));
        std::memcpy(frame_max + i, &m, sizeof m);
    }
    for (; i < n; ++i) {  // the tail, scalar
        float m = std::fabs(x[i + kTaps - 1 - delay]);
        for (int p = 0; p < Phases; ++p) {
            float acc = 0.0f;
            for (int j = 0; j < kTaps; ++j) acc += coeffs[(p + 1) * kTaps + j] * x[i + static_cast<std::size_t>(kTaps - 1 - j)];
            m = std::max(m, std::fabs(acc));
        }
        frame_max[i] = m;
    }
}

MIXSCOUT_MULTIVERSION
void peaks_x4(const float* __restrict x, const float* __restrict coeffs, std::size_t n, float* __restrict frame_max) {
    peaks_body<3>(x, coeffs, n, frame_max);
}
MIXSCOUT_MULTIVERSION
void peaks_x2(const float* __restrict x, const float* __restrict coeffs, std::size_t n, float* __restrict frame_max) {
    peaks_body<1>(x, coeffs, n, frame_max);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
namespace {

// L/R pairs to two channel buffers in one pass (the strided per-channel copy it replaces did not
// vectorise in the baseline build and cost a quarter of the true-peak meter).
MIXSCOUT_MULTIVERSION
void deinterleave2(const float* __restrict lr, std::size_t n, float* __restrict left, float* __restrict right) {
    for (std::size_t i = 0; i < n; ++i) {
        left[i] = lr[2 * i];
        right[i] = lr[2 * i + 1];
    }
}

// The largest of 16 non-negative values (frame maxima).
[[gnu::always_inline]] inline float max16(const float* x) {
    float m[4] = {x[0], x[1], x[2], x[3]};
    for (int k = 4; k < 16; k += 4)
        for (int j = 0; j < 4; ++j) m[j] = m[j] > x[k + j] ? m[j] : x[k + j];
    return std::max(std::max(m[0], m[1]), std::max(m[2], m[3]));
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Oversampler

int Oversampler::factor_for_rate(int sample_rate) {
    if (sample_rate < 96000) return 4;
    if (sample_rate < 192000) return 2;
    return 1;
}

Oversampler::Oversampler(int factor) : factor_(factor) {
    if (factor != 1 && factor != 2 && factor != 4)
        throw std::invalid_argument("Oversampler: factor must be 1, 2 or 4, not " + std::to_string(factor));
    coeffs_.assign(static_cast<std::size_t>(factor) * kTaps, 0.0f);
    history_.assign(kTaps - 1 + chunk_frames, 0.0f);
    scratch_.assign(static_cast<std::size_t>(factor) * chunk_frames, 0.0f);
    // Output phase p of input frame n is the signal at time n - D + p/L (D = kTaps / 2). Tap j
    // multiplies x[n - j], which lies tau = j - D + p/L input samples before that time:
    // h_p[j] = sinc(tau) * kaiser(tau / D). For p = 0, tau is an integer, so phase 0 is a pure
    // delay of D: the input samples pass through unchanged (a Nyquist filter).
    const double half = kTaps / 2.0;
    for (int p = 0; p < factor; ++p) {
        // Unity gain at DC for every phase, so a constant input gives a constant output. Phase 0
        // hits the sinc's zeros exactly; it is written as the exact delay (sin(pi k) in floating
        // point is ~1e-16, not 0) so the input samples really pass through unchanged.
        const std::vector<double> h = kaiser_lowpass(kTaps, 0.5, kKaiserBeta, half - static_cast<double>(p) / factor, half);
        for (int j = 0; j < kTaps; ++j)
            coeffs_[static_cast<std::size_t>(p * kTaps + j)] =
                p == 0 ? (j == kTaps / 2 ? 1.0f : 0.0f) : static_cast<float>(h[static_cast<std::size_t>(j)]);
    }
}

void Oversampler::reset() { std::fill(history_.begin(), history_.end(), 0.0f); }

void Oversampler::process_phases(const float* in, std::size_t n, float* out) {
    if (n > chunk_frames) throw std::invalid_argument("Oversampler::process_phases: more than chunk_frames");
    if (factor_ == 1) {
        std::copy(in, in + n, out);
        return;
    }
    float* x = history_.data();
    std::copy(in, in + n, x + (kTaps - 1));
    for (int p = 0; p < factor_; ++p) fir_phase(x, phase_coeffs(p), n, out + static_cast<std::size_t>(p) * n);
    // Keep the newest kTaps - 1 samples as the next call's history (regions may overlap; the
    // copy moves left, which std::copy allows).
    std::copy(x + n, x + n + (kTaps - 1), x);
}

void Oversampler::process_peaks(const float* in, std::size_t n, float* frame_max) {
    if (n > chunk_frames) throw std::invalid_argument("Oversampler::process_peaks: more than chunk_frames");
    if (factor_ == 1) {
        for (std::size_t i = 0; i < n; ++i) frame_max[i] = std::fabs(in[i]);
        return;
    }
    float* x = history_.data();
    std::copy(in, in + n, x + (kTaps - 1));
    if (factor_ == 4)
        peaks_x4(x, coeffs_.data(), n, frame_max);
    else
        peaks_x2(x, coeffs_.data(), n, frame_max);
    std::copy(x + n, x + n + (kTaps - 1), x);
}

void Oversampler::process(const float* in, std::size_t n, float* out) {
    const auto f = static_cast<std::size_t>(factor_);
    while (n > 0) {
        const std::size_t m = std::min(n, chunk_frames);
        process_phases(in, m, scratch_.data());
        for (std::size_t p = 0; p < f; ++p) {
            const float* ph = scratch_.data() + p * m;
            for (std::size_t i = 0; i < m; ++i) out[i * f + p] = ph[i];
        }
        in += m;
        out += m * f;
        n -= m;
    }
}

// ---------------------------------------------------------------------------------------------
// TruePeakMeter

namespace {
constexpr std::int64_t kNoOver = std::numeric_limits<std::int64_t>::min() / 4;
}

TruePeakMeter::TruePeakMeter(int sample_rate, int channels, TruePeakOptions options)
    : sample_rate_(sample_rate),
      channels_(channels),
      factor_(Oversampler::factor_for_rate(sample_rate)),
      options_(options),
      over_threshold_(static_cast<float>(db_to_amplitude(options.over_threshold_dbtp))),
      merge_gap_frames_(static_cast<std::int64_t>(std::llround(std::max(0.0, options.over_merge_gap_s) * sample_rate))) {
    audio::require_layout("TruePeakMeter", sample_rate, channels, audio::max_kernel_channels);
    oversamplers_.assign(static_cast<std::size_t>(channels), Oversampler(factor_));
    in_.assign(static_cast<std::size_t>(channels) * Oversampler::chunk_frames, 0.0f);
    frame_max_.assign(Oversampler::chunk_frames, 0.0f);
    overs_.reserve(options_.max_overs);
    reset();
}

void TruePeakMeter::reset() {
    for (auto& o : oversamplers_) o.reset();
    peak_.assign(static_cast<std::size_t>(channels_), 0.0f);
    held_ = 0.0f;
    overs_.clear();
    open_over_.assign(static_cast<std::size_t>(channels_), -1);
    last_over_frame_.assign(static_cast<std::size_t>(channels_), kNoOver);
    open_peak_.assign(static_cast<std::size_t>(channels_), 0.0f);
    over_count_ = 0;
    frames_ = 0;
}

void TruePeakMeter::push(const audio::Block& block) {
    if (block.interleaved.empty()) return;  // an empty block (end of stream) is a no-op
    audio::require_channels("TruePeakMeter", block, channels_);
    const std::size_t frames = block.frames();
    const auto ch = static_cast<std::size_t>(channels_);
    const float* src = block.interleaved.data();
    std::size_t done = 0;
    while (done < frames) {
        const std::size_t n = std::min(frames - done, Oversampler::chunk_frames);
        const float* chunk = src + done * ch;
        if (ch == 2) {
            deinterleave2(chunk, n, in_.data(), in_.data() + Oversampler::chunk_frames);
        } else if (ch > 2) {
            for (std::size_t i = 0; i < n; ++i)
                for (std::size_t c = 0; c < ch; ++c) in_[c * Oversampler::chunk_frames + i] = chunk[i * ch + c];
        }
        for (std::size_t c = 0; c < ch; ++c) {
            const float* x = ch == 1 ? chunk : in_.data() + c * Oversampler::chunk_frames;
            oversamplers_[c].process_peaks(x, n, frame_max_.data());
            const float m = abs_max(frame_max_.data(), n);
            if (m > peak_[c]) peak_[c] = m;
            if (m > held_) held_ = m;
            if (m > over_threshold_) track_overs(static_cast<int>(c), frame_max_.data(), n, frames_ + static_cast<std::int64_t>(done));
        }
        done += n;
    }
    frames_ += static_cast<std::int64_t>(frames);
}

void TruePeakMeter::track_overs(int ch, const float* frame_max, std::size_t n, std::int64_t first_frame) {
    const auto c = static_cast<std::size_t>(ch);
    const std::int64_t latency = oversamplers_[c].latency_frames();
    for (std::size_t i = 0; i < n; ++i) {
        // Most frames of a chunk with an over are below the threshold: skip them 16 at a time.
        if (i % 16 == 0 && i + 16 <= n && !(max16(frame_max + i) > over_threshold_)) {
            i += 15;
            continue;
        }
        const float v = frame_max[i];
        if (!(v > over_threshold_)) continue;
        const std::int64_t frame = std::max<std::int64_t>(0, first_frame + static_cast<std::int64_t>(i) - latency);
        if (frame - last_over_frame_[c] <= merge_gap_frames_ + 1) {
            if (open_over_[c] >= 0) {
                Over& o = overs_[static_cast<std::size_t>(open_over_[c])];
                o.frames = frame - o.start_frame + 1;
                if (v > open_peak_[c]) {  // compare linear: a log10 only when the peak rises
                    open_peak_[c] = v;
                    o.peak_dbtp = amplitude_to_db(v);
                }
            }
        } else {
            ++over_count_;
            if (overs_.size() < options_.max_overs) {
                overs_.push_back(Over{frame, 1, ch, amplitude_to_db(v)});
                open_over_[c] = static_cast<std::int64_t>(overs_.size()) - 1;
                open_peak_[c] = v;
            } else {
                open_over_[c] = -1;
            }
        }
        last_over_frame_[c] = frame;
    }
}

double TruePeakMeter::true_peak_linear() const {
    return static_cast<double>(*std::max_element(peak_.begin(), peak_.end()));
}
double TruePeakMeter::true_peak_dbtp() const { return amplitude_to_db(true_peak_linear()); }
double TruePeakMeter::channel_true_peak_dbtp(int ch) const { return amplitude_to_db(peak_.at(static_cast<std::size_t>(ch))); }
double TruePeakMeter::take_held_peak_dbtp() {
    const double db = amplitude_to_db(held_);
    held_ = 0.0f;
    return db;
}

}  // namespace mixscout::dsp
