#include "master/loudness_model.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <numbers>

#include "core/units.hpp"
#include "dsp/loudness.hpp"
#include "master/limiter.hpp"

namespace mixscout::master {

LimiterModel::LimiterModel(const std::vector<ChunkStat>& chunks, int chunk_frames, int sample_rate, double ceiling_dbtp,
                           const LimiterOptions& options) {
    const double chunk_s = static_cast<double>(chunk_frames) / sample_rate;
    chunk_s_ = chunk_s;
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

double LimiterModel::programme_level_db() const {
    // BS.1770's two gates on the chunk powers: absolute -70 dB, then 10 dB below that mean.
    auto gated_mean = [&](double floor) {
        double sum = 0.0;
        std::size_t n = 0;
        for (float e : energy_)
            if (e > floor) {
                sum += e;
                ++n;
            }
        return n ? sum / static_cast<double>(n) : 0.0;
    };
    const double first = gated_mean(db_to_power(-70.0));
    return power_to_db(0.5 * gated_mean(first * 0.1));
}

void LimiterModel::set_compressor(const CompressorCurve* curve, const CompressorOptions& options) {
    comp_db_.clear();
    comp_factor_.clear();
    if (!curve) return;
    comp_db_.reserve(energy_.size());
    comp_factor_.reserve(energy_.size());
    const double k_attack = one_pole_coeff(options.attack_ms, chunk_s_);
    const double k_release = one_pole_coeff(options.release_ms, chunk_s_);
    CompressorDetector det;
    double g = 0.0;  // one step behind, as in GlueCompressor
    for (float e : energy_) {
        comp_db_.push_back(static_cast<float>(g));
        comp_factor_.push_back(static_cast<float>(db_to_power(g)));
        g = curve->gain_db(power_to_db(det.step(0.5 * e, k_attack, k_release)));
    }
}

ModelPrediction LimiterModel::predict(double peak_gain_db) const {
    ModelPrediction p;
    const std::size_t n = peak_db_.size();
    if (n == 0) return p;
    const bool comp = !comp_db_.empty();
    const double limit = ceiling_db_ - peak_gain_db;  // a chunk peak above this is reduced
    const double gain_energy = db_to_power(peak_gain_db);
    dsp::GatingHistogram before, after, st_before, st_after;
    std::deque<std::size_t> window;  // indices of a monotonic (increasing required dB) window
    ReleaseEnvelope env;
    double hop_before = 0.0, hop_after = 0.0;
    double hop_range_before = 0.0, hop_range_after = 0.0;  // without the gain: LRA is level-free, but its
                                                           // absolute gate is not
    constexpr int st_hops = 30;  // 3 s short-term windows of 100 ms hops
    double ring_before[st_hops] = {}, ring_after[st_hops] = {}, range_before[st_hops] = {}, range_after[st_hops] = {};
    double st_sum_before = 0.0, st_sum_after = 0.0;
    double lim_sum = 0.0, comp_sum = 0.0;
    int hop_fill = 0, hops = 0;
    auto required = [&](std::size_t i) {
        return std::min(0.0, limit - static_cast<double>(peak_db_[i]) - (comp ? static_cast<double>(comp_db_[i]) : 0.0));
    };
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
        const double comp_db = comp ? static_cast<double>(comp_db_[i]) : 0.0;
        p.limiter_max_db = std::max(p.limiter_max_db, -release_db);
        lim_sum -= release_db;
        comp_sum -= comp_db;
        const double e = energy_[i] * gain_energy;
        hop_before += e;
        // exp only while limiting (a few % of the chunks); the compressor's factor is precomputed.
        const double factor = (release_db < -1e-4 ? std::exp(release_db * (std::numbers::ln10 / 10.0)) : 1.0) *
                              (comp ? static_cast<double>(comp_factor_[i]) : 1.0);
        hop_after += e * factor;
        hop_range_before += energy_[i];
        hop_range_after += energy_[i] * factor;
        if (++hop_fill == hop_chunks_) {
            const int slot = hops % st_hops;
            st_sum_before += hop_range_before / hop_fill - range_before[slot];
            st_sum_after += hop_range_after / hop_fill - range_after[slot];
            range_before[slot] = hop_range_before / hop_fill;
            range_after[slot] = hop_range_after / hop_fill;
            ring_before[slot] = hop_before / hop_fill;
            ring_after[slot] = hop_after / hop_fill;
            ++hops;
            if (hops >= 4) {  // 400 ms gating blocks: the last four hops
                double b4 = 0.0, a4 = 0.0;
                for (int k = 1; k <= 4; ++k) {
                    b4 += ring_before[(hops - k) % st_hops];
                    a4 += ring_after[(hops - k) % st_hops];
                }
                before.add(b4 / 4.0);
                after.add(a4 / 4.0);
            }
            if (hops >= st_hops) {
                st_before.add(std::max(0.0, st_sum_before) / st_hops);
                st_after.add(std::max(0.0, st_sum_after) / st_hops);
            }
            hop_before = hop_after = hop_range_before = hop_range_after = 0.0;
            hop_fill = 0;
        }
    }
    p.limiter_mean_db = lim_sum / static_cast<double>(n);
    p.compressor_mean_db = comp_sum / static_cast<double>(n);
    p.lra_before_lu = st_before.loudness_range(-20.0, 0.10, 0.95);
    p.lra_after_lu = st_after.loudness_range(-20.0, 0.10, 0.95);
    const double lb = before.gated_loudness(-10.0), la = after.gated_loudness(-10.0);
    if (lb > silence_floor_db && la > silence_floor_db) p.loudness_change_db = std::min(0.0, la - lb);
    return p;
}

}  // namespace mixscout::master
