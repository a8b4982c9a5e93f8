#include "master/limiter.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "core/units.hpp"

namespace mixscout::master {
namespace {
double coeff(double time_ms, int sample_rate) {
    return 1.0 - std::exp(-1.0 / (std::max(time_ms, 0.01) * 1e-3 * sample_rate));
}
}  // namespace

TruePeakLimiter::TruePeakLimiter(int sample_rate, double ceiling_dbtp, const LimiterOptions& options)
    : ceiling_(db_to_amplitude(ceiling_dbtp - std::max(0.0, options.margin_db))),
      os_left_(dsp::Oversampler::factor_for_rate(sample_rate)),
      os_right_(dsp::Oversampler::factor_for_rate(sample_rate)) {
    lookahead_ = std::max(2, static_cast<int>(std::lround(options.lookahead_ms * 1e-3 * sample_rate)));
    extend_ = dsp::Oversampler::taps_per_phase / 2;
    box1_ = std::max(1, lookahead_ / 2);
    box2_ = std::max(1, lookahead_ - box1_);
    hold_window_ = box1_ + box2_ - 1 + 2 * extend_;
    os_latency_ = os_left_.latency_frames();
    latency_ = os_latency_ + box1_ + box2_ - 2 + extend_;
    k_fast_ = coeff(options.release_fast_ms, sample_rate);
    k_slow_ = coeff(options.release_slow_ms, sample_rate);
    k_sustain_ = coeff(options.sustain_ms, sample_rate);
    const std::size_t chunk = dsp::Oversampler::chunk_frames;
    for (int c = 0; c < 2; ++c) {
        ch_in_[c].assign(chunk, 0.0f);
        phases_[c].assign(chunk * static_cast<std::size_t>(os_left_.factor()), 0.0f);
    }
    delay_.assign(2 * static_cast<std::size_t>(latency_ + 1), 0.0f);
    dq_index_.assign(static_cast<std::size_t>(hold_window_ + 1), 0);
    dq_value_.assign(static_cast<std::size_t>(hold_window_ + 1), 1.0f);
    ring1_.assign(static_cast<std::size_t>(box1_), 1.0);
    ring2_.assign(static_cast<std::size_t>(box2_), 1.0);
    sum1_ = box1_;
    sum2_ = box2_;
}

void TruePeakLimiter::process(const float* in, float* out, std::size_t frames, float* gain) {
    const std::size_t chunk = dsp::Oversampler::chunk_frames;
    for (std::size_t done = 0; done < frames;) {
        const std::size_t n = std::min(chunk, frames - done);
        process_chunk(in + 2 * done, out + 2 * done, n, gain ? gain + done : nullptr);
        done += n;
    }
}

double TruePeakLimiter::step_gain(double required) {
    // 1. hold: sliding minimum over hold_window_ (monotonic deque in a ring).
    const std::size_t cap = dq_index_.size();
    const auto value = static_cast<float>(required);
    while (dq_size_ > 0) {
        const std::size_t back = (dq_head_ + dq_size_ - 1) % cap;
        if (dq_value_[back] < value) break;
        --dq_size_;
    }
    const std::size_t slot = (dq_head_ + dq_size_) % cap;
    dq_index_[slot] = t_;
    dq_value_[slot] = value;
    ++dq_size_;
    while (dq_index_[dq_head_] <= t_ - hold_window_) {
        dq_head_ = (dq_head_ + 1) % cap;
        --dq_size_;
    }
    ++t_;
    const double held = dq_value_[dq_head_];

    // 2. program-dependent release, in dB.
    double r = 1.0;
    if (held >= 1.0 && release_.idle()) {
        release_ = {};
    } else {
        if (held != last_held_) {  // the hold is piecewise constant: one log per change
            last_held_ = held;
            last_held_db_ = held < 1.0 ? 20.0 * std::log10(std::max(held, 1e-9)) : 0.0;
        }
        const double db = release_.step(last_held_db_, k_fast_, k_slow_, k_sustain_);
        r = db < 0.0 ? std::min(std::exp(db * (std::numbers::ln10 / 20.0)), held) : 1.0;
    }

    // 3. attack: two moving averages spanning the look-ahead.
    sum1_ += r - ring1_[pos1_];
    ring1_[pos1_] = r;
    pos1_ = pos1_ + 1 == ring1_.size() ? 0 : pos1_ + 1;
    const double a1 = sum1_ / static_cast<double>(box1_);
    sum2_ += a1 - ring2_[pos2_];
    ring2_[pos2_] = a1;
    pos2_ = pos2_ + 1 == ring2_.size() ? 0 : pos2_ + 1;
    return std::min(1.0, sum2_ / static_cast<double>(box2_));
}

void TruePeakLimiter::process_chunk(const float* in, float* out, std::size_t n, float* gain) {
    for (std::size_t i = 0; i < n; ++i) {
        ch_in_[0][i] = in[2 * i];
        ch_in_[1][i] = in[2 * i + 1];
    }
    os_left_.process_phases(ch_in_[0].data(), n, phases_[0].data());
    os_right_.process_phases(ch_in_[1].data(), n, phases_[1].data());
    const int factor = os_left_.factor();
    const std::size_t slots = delay_.size() / 2;
    for (std::size_t i = 0; i < n; ++i) {
        float pk = 0.0f;
        for (int c = 0; c < 2; ++c)
            for (int p = 0; p < factor; ++p) pk = std::max(pk, std::fabs(phases_[c][static_cast<std::size_t>(p) * n + i]));
        const float peak = std::max(pk, prev_peak_);  // the interval [t-1, t+1)
        prev_peak_ = pk;
        const double required = peak > ceiling_ ? ceiling_ / peak : 1.0;
        const double g = step_gain(required);
        // Audio delay line: write the new frame, read the one latency_ frames old.
        const float l = in[2 * i], r = in[2 * i + 1];
        const std::size_t read = (delay_pos_ + 1) % slots;
        const float dl = delay_[2 * read], dr = delay_[2 * read + 1];
        delay_[2 * delay_pos_] = l;
        delay_[2 * delay_pos_ + 1] = r;
        delay_pos_ = read;
        out[2 * i] = static_cast<float>(dl * g);
        out[2 * i + 1] = static_cast<float>(dr * g);
        if (gain) gain[i] = static_cast<float>(g);
    }
}

}  // namespace mixscout::master
