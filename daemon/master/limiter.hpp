// mixscout master: a look-ahead true-peak limiter (stereo, linked).
//
// Detection: each channel is oversampled by dsp::Oversampler (the true-peak meter's own FIR, 4x
// below 96 kHz) and the peak of each sample interval [t-1, t+1) is taken over the oversampled
// points of both channels. The required gain there is g_req = min(1, ceiling / peak).
//
// Gain computer, built so the applied gain never exceeds the requirement of any peak it covers:
//   1. hold:    h[t] = min(g_req) over the last W = L + 2E samples, where L is the look-ahead and
//               E = 8 (the oversampler's half support: the gain is also low on every sample the
//               reconstruction filter reads around the peak);
//   2. release: r[t] = min(h[t], recovered r[t-1]) — in dB, recovering towards 0 dB at a rate set by
//               the *sustained* reduction (a 1.5 s average of the hold's demand): release_fast_ms
//               when limiting is isolated (a transient: no audible hole after it), sliding to
//               release_slow_ms as the sustained reduction reaches 3 dB (a dense passage: the
//               gain rests instead of bouncing between beats — no pumping);
//   3. attack:  two cascaded moving averages of L/2 samples each: the gain descends along a smooth
//               S-curve spread over the whole look-ahead, and every average only reads values
//               that are already <= the requirement of the peak it arrives at.
// The audio is delayed to line up: latency_frames() = oversampler latency (8) + L - 2 + E
// (about 5.3 ms at 48 kHz). The internal target is ceiling - margin_db: it absorbs the small
// difference between a smooth gain times the signal and the signal's own oversampled peak, and
// between true-peak meters. The caller checks the result (master.cpp trims if ever needed).
//
// Cost: the oversampler (4 x 16 multiply-adds per sample per channel) plus O(1) per sample; a
// log/exp per sample only while reducing. No allocation after construction. One thread.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "dsp/true_peak.hpp"
#include "master/master.hpp"

namespace mixscout::master {

/// The program-dependent release (step 2 below), shared with the loudness model.
struct ReleaseEnvelope {
    double release_db = 0.0;    ///< current reduction, <= 0
    double sustained_db = 0.0;  ///< average demand, <= 0
    /// One step: held_db = the hold's demand (<= 0); k_* = one-pole coefficients per step.
    double step(double held_db, double k_fast, double k_slow, double k_sustain) {
        sustained_db += (held_db - sustained_db) * k_sustain;
        const double w = sustained_db < -3.0 ? 1.0 : -sustained_db / 3.0;
        release_db -= release_db * (k_fast + (k_slow - k_fast) * w);
        if (held_db < release_db) release_db = held_db;
        return release_db;
    }
    bool idle() const { return release_db > -1e-9 && sustained_db > -1e-6; }
};

class TruePeakLimiter {
public:
    TruePeakLimiter(int sample_rate, double ceiling_dbtp, const LimiterOptions& options = {});

    /// Frames by which the output lags the input.
    int latency_frames() const { return latency_; }
    /// Stereo interleaved in -> out (frames each; out lags in by latency_frames()). gain (optional)
    /// receives the gain applied to each output frame (linear, <= 1). in and out may alias.
    void process(const float* in, float* out, std::size_t frames, float* gain = nullptr);

private:
    void process_chunk(const float* in, float* out, std::size_t n, float* gain);
    double step_gain(double required);

    double ceiling_;          // linear internal target
    int lookahead_, extend_, hold_window_, box1_, box2_, latency_;
    double k_fast_, k_slow_, k_sustain_;
    dsp::Oversampler os_left_, os_right_;
    int os_latency_;
    std::vector<float> ch_in_[2];
    std::vector<float> phases_[2];
    // audio delay line (stereo interleaved ring)
    std::vector<float> delay_;
    std::size_t delay_pos_ = 0;
    // hold: monotonic deque of (index, value) in a ring
    std::vector<std::int64_t> dq_index_;
    std::vector<float> dq_value_;
    std::size_t dq_head_ = 0, dq_size_ = 0;
    std::int64_t t_ = 0;      // detection time index
    float prev_peak_ = 0.0f;
    // release state (dB)
    ReleaseEnvelope release_;
    double last_held_ = 1.0, last_held_db_ = 0.0;
    // attack: two box filters
    std::vector<double> ring1_, ring2_;
    std::size_t pos1_ = 0, pos2_ = 0;
    double sum1_, sum2_;
};

}  // namespace mixscout::master
