// mixscout dsp: loudness per ITU-R BS.1770-4 / EBU R128 (Tech 3341 meters, Tech 3342 LRA).
//
// What it measures, from K-weighted mean square summed over channels (all channel weights 1.0:
// mono and stereo; no surround weighting):
//   momentary    400 ms sliding window            updated every 100 ms (10 Hz)
//   short-term   3 s sliding window               updated every 100 ms (10 Hz)
//   integrated   gated mean over 400 ms blocks with 75 % overlap: absolute gate -70 LUFS,
//                relative gate -10 LU below the absolutely gated mean (BS.1770-4 section 2)
//   LRA          EBU Tech 3342: short-term values at 10 Hz (complete 3 s windows only), absolute
//                gate -70 LUFS, relative gate -20 LU, range = 95th - 10th percentile
//   maxima       of momentary and short-term over all hops
//   mono fold    (optional, stereo) integrated loudness of the mono fold-down, (L+R)/2 sent to
//                both channels, so `integrated - mono_fold_integrated` is the loudness lost in mono
//
// Memory is constant regardless of duration: the gating keeps histograms of block loudness with
// 0.01 LU bins from -70 to +30 LUFS, each bin holding a block count and the exact sum of block
// energies. The gated means are therefore exact except for blocks within 0.01 LU of the relative
// gate; percentiles (LRA) are accurate to 0.01 LU. About 0.5 MB per meter.
//
// Cost: two double-precision biquads per sample per channel, run for up to 4 channels at once in
// SIMD lanes (the mono fold-down rides in a spare lane), and a log10 per 100 ms: 4 minutes of
// 48 kHz stereo take ~0.03 s of one core here (libebur128: ~0.3 s). Digital silence (exact zeros)
// into filters at rest is not filtered: its output is exactly zero. push() never allocates.
// Not thread-safe: one thread pushes and reads.
//
// Silence: every reading is floored at silence_floor_db (-120, core/units.hpp), never -inf;
// integrated_lufs() and mono_fold_integrated_lufs() return that floor when no block passes the
// absolute gate, and loudness_range_lu() returns 0 when fewer than two short-term values pass.
//
// Partial windows: before 400 ms / 3 s of audio have been pushed, momentary / short-term read the
// window as if it were padded with silence (as libebur128 does); gating blocks and LRA values use
// complete windows only.
#pragma once
#include <array>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "audio/block.hpp"
#include "dsp/k_weighting.hpp"

namespace mixscout::dsp {

struct LoudnessOptions {
    bool mono_fold = false;  ///< also meter the mono fold-down; needs 2 channels (ignored otherwise)
};

/// A histogram of block loudness for gating: count and energy sum per 0.01 LU bin. Internal to
/// the meter but public so it can be tested and reused (e.g. gating other block series).
class GatingHistogram {
public:
    static constexpr double min_lufs = -70.0;   ///< lowest bin edge (= the absolute gate)
    static constexpr double max_lufs = 30.0;    ///< values above land in the last bin
    static constexpr double bin_lu = 0.01;
    static constexpr int bins = 10000;

    GatingHistogram();                         ///< allocates its bins
    /// Adds one block given its mean-square energy (sum over channels, K-weighted). Blocks below
    /// the absolute gate (-70 LUFS) are counted nowhere (they never pass any gate).
    void add(double energy);
    void reset();
    std::int64_t count() const { return total_count_; }
    /// Gated mean loudness: absolute gate -70, then relative gate `relative_gate_lu` below the
    /// absolutely-gated mean (-10 for integrated loudness). silence_floor_db if nothing passes.
    double gated_loudness(double relative_gate_lu) const;
    /// Tech 3342 range: relative gate `relative_gate_lu` (-20), then percentile(hi) - percentile(lo)
    /// of the remaining values (0.10 and 0.95). 0 if fewer than two values pass.
    double loudness_range(double relative_gate_lu, double lo, double hi) const;

private:
    std::vector<std::int64_t> counts_;
    std::vector<double> energies_;
    std::int64_t total_count_ = 0;
    double total_energy_ = 0.0;
};

/// Energy (K-weighted mean square summed over channels) -> LUFS, floored at silence_floor_db.
double energy_to_lufs(double energy);
/// LUFS -> energy.
double lufs_to_energy(double lufs);

class LoudnessMeter {
public:
    static constexpr int hops_per_second = 10;  ///< the 100 ms hop of the meters and the gating
    static constexpr int momentary_hops = 4;    ///< 400 ms
    static constexpr int short_term_hops = 30;  ///< 3 s

    /// sample_rate in Hz (> 0), channels 1..audio::max_kernel_channels (all weighted 1.0). Allocates here only (histograms).
    LoudnessMeter(int sample_rate, int channels, LoudnessOptions options = {});

    /// Feeds interleaved frames. block.channels must equal channels() (else std::invalid_argument)
    /// unless the block is empty, which is a no-op. No allocation.
    void push(const audio::Block& block) {
        push(block, [](std::int64_t, double, double) {});
    }
    /// Same, and calls on_hop(hop_index, momentary_lufs, short_term_lufs) after every completed
    /// 100 ms hop (hop_index 0 ends at 100 ms), from inside push(). The analysis keeps the
    /// short-term series this way; the live monitor drives its 10 Hz meters.
    template <class OnHop>
    void push(const audio::Block& block, OnHop&& on_hop) {
        if (block.interleaved.empty()) return;  // an empty block (end of stream) is a no-op
        audio::require_channels("LoudnessMeter", block, channels_);
        const float* p = block.interleaved.data();
        std::size_t left = block.frames();
        while (left > 0) {
            const std::size_t n = consume(p, left);
            p += n * static_cast<std::size_t>(channels_);
            left -= n;
            if (hop_fill_ == 0 && hops_ > 0) on_hop(hops_ - 1, momentary_lufs(), short_term_lufs());
        }
    }

    double momentary_lufs() const;       ///< last completed 400 ms window
    double short_term_lufs() const;      ///< last completed 3 s window
    double momentary_max_lufs() const;   ///< max over all hops so far
    double short_term_max_lufs() const;  ///< max over all hops so far
    double integrated_lufs() const;      ///< gated (abs -70, rel -10); cost ~10k bin walk
    double loudness_range_lu() const;    ///< Tech 3342 (abs -70, rel -20, 10..95 %)
    double mono_fold_integrated_lufs() const;  ///< needs options.mono_fold and 2 channels, else floor

    std::int64_t hops() const { return hops_; }  ///< completed 100 ms hops
    std::int64_t frames() const { return frames_; }  ///< frames pushed since construction/reset
    int hop_frames() const { return hop_frames_; }  ///< frames per 100 ms hop: round(sample_rate / 10)
    int sample_rate() const { return sample_rate_; }
    int channels() const { return channels_; }
    void reset();  ///< back to the freshly constructed state; no allocation

private:
    // Processes up to the next hop boundary; returns frames consumed (> 0 when frames > 0).
    std::size_t consume(const float* interleaved, std::size_t frames);
    void complete_hop();

    int sample_rate_;
    int channels_;
    bool mono_fold_;
    int hop_frames_;
    KWeightingCoeffs coeffs_;
    // K-filter state, direct form I, in groups of 4 SIMD lanes: group g filters channels
    // 4g..4g+3; with mono fold (stereo), lane 2 of group 0 filters the fold-down. Per group:
    // x1, x2, y1, y2, w1, w2 (input, stage-1 and stage-2 history), 4 lanes each.
    std::vector<double> state_;
    bool at_rest_ = true;  // every filter state is 0: silence in gives exactly 0 out
    int groups_;
    double hop_energy_ = 0.0;       // sum over channels of y^2 in the current hop
    double hop_mono_energy_ = 0.0;  // same for the mono fold-down (y_mono^2, counted on 2 channels)
    int hop_fill_ = 0;              // frames in the current hop
    std::int64_t hops_ = 0;
    std::int64_t frames_ = 0;
    std::array<double, short_term_hops> ring_{};       // energy sums of the last 30 hops
    std::array<double, momentary_hops> mono_ring_{};   // same for the mono fold-down
    double momentary_lufs_;
    double short_term_lufs_;
    double momentary_max_lufs_;
    double short_term_max_lufs_;
    GatingHistogram blocks_;       // 400 ms gating blocks
    GatingHistogram short_terms_;  // short-term values for LRA
    GatingHistogram mono_blocks_;  // mono fold-down gating blocks
};

}  // namespace mixscout::dsp
