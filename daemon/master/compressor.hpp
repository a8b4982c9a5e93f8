// mixscout master: the gentle dynamics stage before the limiter — a slow, low-ratio,
// stereo-linked RMS compressor (a mastering "glue" compressor), so loudness does not come from
// the limiter alone.
//
// Control runs once per control step of `step_frames` (the mix's analysis chunk, ~1.3 ms, so the
// loudness model in loudness_model.hpp replays it exactly on the mix's chunk statistics):
//   level:  one-pole smoothing of the step's mean square (L^2 + R^2) / 2 — attack_ms rising,
//           release_ms falling (an RMS detector: it follows passages, not single transients);
//   curve:  soft knee of knee_db around the threshold, ratio above it, reduction capped at
//           max_gain_reduction_db;
//   gain:   ramps linearly over the next step to the new value (no zipper steps). Being causal,
//           it lags the level by one step — 1.3 ms against a 30 ms attack.
// Single band. A multiband split was not built: nothing measured so far asks for it (the single
// band keeps every guard on the test material and the benchmark song), and a split costs phase
// (or a linear-phase crossover's latency and CPU).
//
// Cost: a multiply-add and a multiply per sample, one log10 and one pow per step. No allocation.
#pragma once
#include <cstddef>

#include "master/master.hpp"

namespace mixscout::master {

/// The static curve and the detector, shared by the compressor and the loudness model.
struct CompressorCurve {
    double threshold_dbfs = 0.0;  ///< RMS level (dBFS of the mean square per channel) where it starts
    double ratio = 1.5, knee_db = 6.0, max_gain_reduction_db = 3.0;
    /// Gain (dB, <= 0) for a detector level in dB.
    double gain_db(double level_db) const;
};

struct CompressorDetector {
    double level_ms = 0.0;
    /// One control step with the step's mean square; k_* are one-pole coefficients per step.
    double step(double mean_square, double k_attack, double k_release) {
        level_ms += (mean_square - level_ms) * (mean_square > level_ms ? k_attack : k_release);
        return level_ms;
    }
};

/// One-pole coefficient for a time constant, per step of step_s seconds.
double one_pole_coeff(double time_ms, double step_s);

class GlueCompressor {
public:
    GlueCompressor(int sample_rate, int step_frames, const CompressorOptions& options, double threshold_dbfs);
    /// Stereo interleaved, in place. gain (optional) receives the linear gain per frame (<= 1).
    void process(float* stereo, std::size_t frames, float* gain = nullptr);

private:
    CompressorCurve curve_;
    CompressorDetector detector_;
    int step_frames_;
    double k_attack_, k_release_;
    int pos_ = 0;            // frames into the current step
    double acc_ = 0.0;       // sum of (L^2 + R^2) / 2 over the step so far
    double g_from_ = 1.0, g_to_ = 1.0;
};

}  // namespace mixscout::master
