#include "dsp/loudness.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

#include "core/units.hpp"
#include "dsp/block_scan.hpp"
#include "dsp/multiversion.hpp"

namespace mixscout::dsp {

namespace {
// BS.1770-4 eq. (2): L = -0.691 + 10 log10(sum_i G_i z_i). The offset cancels the K-filter's
// gain at 1 kHz, so a stereo 1 kHz sine at -23 dBFS reads -23 LUFS (Tech 3341 case 1).
constexpr double loudness_offset = -0.691;
}  // namespace

double energy_to_lufs(double energy) {
    if (!(energy > 0.0)) return silence_floor_db;
    return std::max(silence_floor_db, loudness_offset + 10.0 * std::log10(energy));
}

double lufs_to_energy(double lufs) { return std::pow(10.0, (lufs - loudness_offset) / 10.0); }

// ---------------------------------------------------------------------------------------------
// GatingHistogram

GatingHistogram::GatingHistogram() : counts_(bins, 0), energies_(bins, 0.0) {}

void GatingHistogram::reset() {
    std::fill(counts_.begin(), counts_.end(), 0);
    std::fill(energies_.begin(), energies_.end(), 0.0);
    total_count_ = 0;
    total_energy_ = 0.0;
}

namespace {
// Bin of a loudness value >= min_lufs (clamped to the last bin above max_lufs).
int bin_of(double lufs) {
    const double pos = (lufs - GatingHistogram::min_lufs) / GatingHistogram::bin_lu;
    if (!(pos > 0.0)) return 0;
    return static_cast<int>(std::min(pos, static_cast<double>(GatingHistogram::bins - 1)));
}
}  // namespace

void GatingHistogram::add(double energy) {
    if (!(energy > 0.0)) return;
    const double lufs = loudness_offset + 10.0 * std::log10(energy);
    if (lufs < min_lufs) return;  // below the absolute gate: never counted
    const auto b = static_cast<std::size_t>(bin_of(lufs));
    counts_[b] += 1;
    energies_[b] += energy;
    total_count_ += 1;
    total_energy_ += energy;
}

namespace {
// First bin whose blocks pass a relative gate at `threshold_lufs` (blocks >= threshold pass).
// Blocks sharing the threshold's bin are within 0.01 LU of it; the bin passes when its mean
// does, which is exact for the common case of one level per bin.
int first_passing_bin(double threshold_lufs, const std::vector<std::int64_t>& counts,
                      const std::vector<double>& energies) {
    if (threshold_lufs < GatingHistogram::min_lufs) return 0;
    const int b = bin_of(threshold_lufs);
    const auto ub = static_cast<std::size_t>(b);
    if (counts[ub] > 0 && energy_to_lufs(energies[ub] / static_cast<double>(counts[ub])) >= threshold_lufs) return b;
    return b + 1;
}
}  // namespace

double GatingHistogram::gated_loudness(double relative_gate_lu) const {
    if (total_count_ == 0) return silence_floor_db;
    const double threshold = energy_to_lufs(total_energy_ / static_cast<double>(total_count_)) + relative_gate_lu;
    std::int64_t n = 0;
    double e = 0.0;
    for (int b = first_passing_bin(threshold, counts_, energies_); b < bins; ++b) {
        n += counts_[static_cast<std::size_t>(b)];
        e += energies_[static_cast<std::size_t>(b)];
    }
    return n > 0 ? energy_to_lufs(e / static_cast<double>(n)) : silence_floor_db;
}

double GatingHistogram::loudness_range(double relative_gate_lu, double lo, double hi) const {
    if (total_count_ == 0) return 0.0;
    const double threshold = energy_to_lufs(total_energy_ / static_cast<double>(total_count_)) + relative_gate_lu;
    const int start = first_passing_bin(threshold, counts_, energies_);
    std::int64_t n = 0;
    for (int b = start; b < bins; ++b) n += counts_[static_cast<std::size_t>(b)];
    if (n < 2) return 0.0;
    // Order statistics of the sorted values at round((n-1) * p), as libebur128 does; a bin's
    // value is the loudness of its mean energy (exact when all its values are equal).
    const auto index_lo = static_cast<std::int64_t>(static_cast<double>(n - 1) * lo + 0.5);
    const auto index_hi = static_cast<std::int64_t>(static_cast<double>(n - 1) * hi + 0.5);
    auto value_at = [&](std::int64_t index) {
        std::int64_t seen = 0;
        for (int b = start; b < bins; ++b) {
            const auto ub = static_cast<std::size_t>(b);
            seen += counts_[ub];
            if (seen > index) return energy_to_lufs(energies_[ub] / static_cast<double>(counts_[ub]));
        }
        return silence_floor_db;  // unreachable: index < n
    };
    return std::max(0.0, value_at(index_hi) - value_at(index_lo));
}

// ---------------------------------------------------------------------------------------------
// LoudnessMeter

namespace {

// Four lanes of doubles (GCC/Clang vector extension): AVX registers in the x86-64-v3 clone,
// pairs of SSE2 registers otherwise.
typedef double v4d __attribute__((vector_size(32)));
constexpr int kStateVectors = 6;  // x1, x2, y1, y2, w1, w2

enum class Layout { mono, stereo, stereo_fold, group };

// K-weights n frames for one group of up to 4 lanes and adds each lane's sum of squares to
// energy[4]. Direct form I: each stage's recursion is one multiply-add on the previous output,
// so successive samples overlap in the pipeline (transposed form II needs two dependent ops).
// The RLB stage's numerator (1, -2, 1) reuses the shelf's output history.
template <Layout L>
[[gnu::always_inline]] inline void kweight_body(const float* x, std::size_t n, int channels, int first, int count,
                                                const KWeightingCoeffs& k, double* state, double* energy) {
    v4d x1, x2, y1, y2, w1, w2;
    std::memcpy(&x1, state + 0, sizeof x1);
    std::memcpy(&x2, state + 4, sizeof x2);
    std::memcpy(&y1, state + 8, sizeof y1);
    std::memcpy(&y2, state + 12, sizeof y2);
    std::memcpy(&w1, state + 16, sizeof w1);
    std::memcpy(&w2, state + 20, sizeof w2);
    const v4d b0 = v4d{} + k.shelf.b0, b1 = v4d{} + k.shelf.b1, b2 = v4d{} + k.shelf.b2;
    const v4d a1 = v4d{} + k.shelf.a1, a2 = v4d{} + k.shelf.a2;
    const v4d c1 = v4d{} + k.highpass.a1, c2 = v4d{} + k.highpass.a2;
    v4d e{};
    const auto ch = static_cast<std::size_t>(channels);
    for (std::size_t i = 0; i < n; ++i) {
        v4d in;
        if constexpr (L == Layout::mono) {
            in = v4d{x[i], 0.0, 0.0, 0.0};
        } else if constexpr (L == Layout::stereo) {
            in = v4d{x[2 * i], x[2 * i + 1], 0.0, 0.0};
        } else if constexpr (L == Layout::stereo_fold) {
            const double l = x[2 * i], r = x[2 * i + 1];
            in = v4d{l, r, 0.5 * (l + r), 0.0};
        } else {
            double v[4] = {0.0, 0.0, 0.0, 0.0};
            for (int c = 0; c < count; ++c) v[c] = x[i * ch + static_cast<std::size_t>(first + c)];
            in = v4d{v[0], v[1], v[2], v[3]};
        }
        const v4d y = (b0 * in + b1 * x1 + b2 * x2 - a2 * y2) - a1 * y1;
        const v4d w = (y - 2.0 * y1 + y2 - c2 * w2) - c1 * w1;
        x2 = x1;
        x1 = in;
        y2 = y1;
        y1 = y;
        w2 = w1;
        w1 = w;
        e += w * w;
    }
    // Silence after sound decays into subnormals, 10-100x slower on x86: flush tiny state.
    std::memcpy(state + 0, &x1, sizeof x1);
    std::memcpy(state + 4, &x2, sizeof x2);
    std::memcpy(state + 8, &y1, sizeof y1);
    std::memcpy(state + 12, &y2, sizeof y2);
    std::memcpy(state + 16, &w1, sizeof w1);
    std::memcpy(state + 20, &w2, sizeof w2);
    for (int j = 0; j < kStateVectors * 4; ++j)
        if (state[j] > -1e-25 && state[j] < 1e-25) state[j] = 0.0;
    for (int l = 0; l < 4; ++l) energy[l] += e[l];
}

MIXSCOUT_MULTIVERSION
void kweight_mono(const float* x, std::size_t n, const KWeightingCoeffs& k, double* state, double* energy) {
    kweight_body<Layout::mono>(x, n, 1, 0, 1, k, state, energy);
}
MIXSCOUT_MULTIVERSION
void kweight_stereo(const float* x, std::size_t n, const KWeightingCoeffs& k, double* state, double* energy) {
    kweight_body<Layout::stereo>(x, n, 2, 0, 2, k, state, energy);
}
MIXSCOUT_MULTIVERSION
void kweight_stereo_fold(const float* x, std::size_t n, const KWeightingCoeffs& k, double* state, double* energy) {
    kweight_body<Layout::stereo_fold>(x, n, 2, 0, 3, k, state, energy);
}
MIXSCOUT_MULTIVERSION
void kweight_group(const float* x, std::size_t n, int channels, int first, int count, const KWeightingCoeffs& k,
                   double* state, double* energy) {
    kweight_body<Layout::group>(x, n, channels, first, count, k, state, energy);
}

}  // namespace

LoudnessMeter::LoudnessMeter(int sample_rate, int channels, LoudnessOptions options)
    : sample_rate_(sample_rate),
      channels_(channels),
      mono_fold_(options.mono_fold && channels == 2),
      hop_frames_((sample_rate + 5) / 10) {
    audio::require_layout("LoudnessMeter", sample_rate, channels, audio::max_kernel_channels);
    coeffs_ = k_weighting_coeffs(sample_rate);
    groups_ = (channels + 3) / 4;
    state_.assign(static_cast<std::size_t>(groups_) * kStateVectors * 4, 0.0);
    reset();
}

void LoudnessMeter::reset() {
    std::fill(state_.begin(), state_.end(), 0.0);
    at_rest_ = true;
    hop_energy_ = hop_mono_energy_ = 0.0;
    hop_fill_ = 0;
    hops_ = frames_ = 0;
    ring_.fill(0.0);
    mono_ring_.fill(0.0);
    momentary_lufs_ = short_term_lufs_ = silence_floor_db;
    momentary_max_lufs_ = short_term_max_lufs_ = silence_floor_db;
    blocks_.reset();
    short_terms_.reset();
    mono_blocks_.reset();
}

std::size_t LoudnessMeter::consume(const float* x, std::size_t frames) {
    const std::size_t n = std::min(frames, static_cast<std::size_t>(hop_frames_ - hop_fill_));
    // Digital silence into filters at rest: the K-weighted output is exactly zero (Live renders
    // silent stretches of a stem as zeros; the filters come to rest ~0.3 s after the sound).
    if (at_rest_ && is_silent(x, n * static_cast<std::size_t>(channels_))) {
        hop_fill_ += static_cast<int>(n);
        frames_ += static_cast<std::int64_t>(n);
        if (hop_fill_ == hop_frames_) complete_hop();
        return n;
    }
    double e[4] = {0.0, 0.0, 0.0, 0.0};
    if (channels_ == 1) {
        kweight_mono(x, n, coeffs_, state_.data(), e);
        hop_energy_ += e[0];
    } else if (channels_ == 2 && mono_fold_) {
        kweight_stereo_fold(x, n, coeffs_, state_.data(), e);
        hop_energy_ += e[0] + e[1];
        hop_mono_energy_ += 2.0 * e[2];  // the fold-down plays on both channels
    } else if (channels_ == 2) {
        kweight_stereo(x, n, coeffs_, state_.data(), e);
        hop_energy_ += e[0] + e[1];
    } else {
        for (int g = 0; g < groups_; ++g) {
            const int first = 4 * g, count = std::min(4, channels_ - first);
            double eg[4] = {0.0, 0.0, 0.0, 0.0};
            kweight_group(x, n, channels_, first, count, coeffs_,
                          state_.data() + static_cast<std::size_t>(g) * kStateVectors * 4, eg);
            hop_energy_ += eg[0] + eg[1] + eg[2] + eg[3];
        }
    }
    at_rest_ = std::all_of(state_.begin(), state_.end(), [](double v) { return v == 0.0; });  // tiny states are flushed to 0
    hop_fill_ += static_cast<int>(n);
    frames_ += static_cast<std::int64_t>(n);
    if (hop_fill_ == hop_frames_) complete_hop();
    return n;
}

void LoudnessMeter::complete_hop() {
    const double hop_energy = hop_energy_ / hop_frames_;
    ring_[static_cast<std::size_t>(hops_ % short_term_hops)] = hop_energy;
    mono_ring_[static_cast<std::size_t>(hops_ % momentary_hops)] = hop_mono_energy_ / hop_frames_;
    ++hops_;
    hop_energy_ = hop_mono_energy_ = 0.0;
    hop_fill_ = 0;

    // Windows end at the newest hop; slots not yet written are zero (silence padding).
    double momentary = 0.0, short_term = 0.0, mono = 0.0;
    for (int k = 0; k < short_term_hops; ++k) {
        const double e = ring_[static_cast<std::size_t>(((hops_ - 1 - k) % short_term_hops + short_term_hops) % short_term_hops)];
        short_term += e;
        if (k < momentary_hops) momentary += e;
    }
    for (double e : mono_ring_) mono += e;
    momentary /= momentary_hops;
    short_term /= short_term_hops;
    mono /= momentary_hops;

    momentary_lufs_ = energy_to_lufs(momentary);
    short_term_lufs_ = energy_to_lufs(short_term);
    momentary_max_lufs_ = std::max(momentary_max_lufs_, momentary_lufs_);
    short_term_max_lufs_ = std::max(short_term_max_lufs_, short_term_lufs_);
    if (hops_ >= momentary_hops) {
        blocks_.add(momentary);
        if (mono_fold_) mono_blocks_.add(mono);
    }
    if (hops_ >= short_term_hops) short_terms_.add(short_term);
}

double LoudnessMeter::momentary_lufs() const { return momentary_lufs_; }
double LoudnessMeter::short_term_lufs() const { return short_term_lufs_; }
double LoudnessMeter::momentary_max_lufs() const { return momentary_max_lufs_; }
double LoudnessMeter::short_term_max_lufs() const { return short_term_max_lufs_; }
double LoudnessMeter::integrated_lufs() const { return blocks_.gated_loudness(-10.0); }
double LoudnessMeter::loudness_range_lu() const { return short_terms_.loudness_range(-20.0, 0.10, 0.95); }
double LoudnessMeter::mono_fold_integrated_lufs() const {
    return mono_fold_ ? mono_blocks_.gated_loudness(-10.0) : silence_floor_db;
}

}  // namespace mixscout::dsp
