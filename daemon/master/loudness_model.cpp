#include "master/loudness_model.hpp"

#include <algorithm>
#include <cmath>
#include <deque>

#include "core/units.hpp"
#include "dsp/loudness.hpp"
#include "master/limiter.hpp"

namespace mixscout::master {

LimiterModel::LimiterModel(const std::vector<ChunkStat>& chunks, int chunk_frames, int sample_rate, double ceiling_dbtp,
                           const LimiterOptions& options) {
    const double chunk_s = static_cast<double>(chunk_frames) / sample_rate;
    peak_db_.reserve(chunks.size());
    energy_.reserve(chunks.size());
    // True peak sits up to ~0.5 dB above the sample peak on dense material: count 0.4.
    for (const auto& c : chunks) {
        peak_db_.push_back(static_cast<float>(amplitude_to_db(c.peak) + 0.4));
        energy_.push_back(2.0f * c.mean_square);
    }
    hop_chunks_ = std::max(1, static_cast<int>(std::lround(0.1 / chunk_s)));
    hold_chunks_ = std::max(1, static_cast<int>(std::ceil(options.lookahead_ms * 1e-3 / chunk_s))) + 1;
    ceiling_db_ = ceiling_dbtp - std::max(0.0, options.margin_db);
    auto k = [&](double ms) { return 1.0 - std::exp(-chunk_s / (std::max(ms, 0.01) * 1e-3)); };
    k_fast_ = k(options.release_fast_ms);
    k_slow_ = k(options.release_slow_ms);
    k_sustain_ = k(options.sustain_ms);
}

double LimiterModel::loss_db(double peak_gain_db) const {
    const std::size_t n = peak_db_.size();
    if (n == 0) return 0.0;
    const double limit = ceiling_db_ - peak_gain_db;  // a chunk peak above this is reduced
    const double gain_energy = db_to_power(peak_gain_db);
    dsp::GatingHistogram before, after;
    std::deque<std::size_t> window;  // indices of a monotonic (increasing required dB) window
    ReleaseEnvelope env;
    double hop_before = 0.0, hop_after = 0.0;
    double ring_before[4] = {0, 0, 0, 0}, ring_after[4] = {0, 0, 0, 0};
    int hop_fill = 0, hops = 0;
    auto required = [&](std::size_t i) { return std::min(0.0, limit - static_cast<double>(peak_db_[i])); };
    std::size_t next = 0;  // next chunk to enter the look-ahead window
    for (std::size_t i = 0; i < n; ++i) {
        // Hold: the minimum requirement over [i, i + hold) (the look-ahead sees peaks coming).
        while (next < n && next < i + static_cast<std::size_t>(hold_chunks_)) {
            const double r = required(next);
            while (!window.empty() && required(window.back()) >= r) window.pop_back();
            window.push_back(next++);
        }
        while (window.front() < i) window.pop_front();
        const double held_db = required(window.front());
        const double release_db = env.step(held_db, k_fast_, k_slow_, k_sustain_);
        const double e = energy_[i] * gain_energy;
        hop_before += e;
        hop_after += release_db < 0.0 ? e * std::pow(10.0, release_db / 10.0) : e;
        if (++hop_fill == hop_chunks_) {
            ring_before[hops % 4] = hop_before / hop_fill;
            ring_after[hops % 4] = hop_after / hop_fill;
            ++hops;
            if (hops >= 4) {
                before.add((ring_before[0] + ring_before[1] + ring_before[2] + ring_before[3]) / 4.0);
                after.add((ring_after[0] + ring_after[1] + ring_after[2] + ring_after[3]) / 4.0);
            }
            hop_before = hop_after = 0.0;
            hop_fill = 0;
        }
    }
    const double lb = before.gated_loudness(-10.0), la = after.gated_loudness(-10.0);
    if (lb <= silence_floor_db || la <= silence_floor_db) return 0.0;
    return std::min(0.0, la - lb);
}

}  // namespace mixscout::master
