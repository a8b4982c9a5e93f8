#include "master/compressor.hpp"

#include <algorithm>
#include <cmath>

#include "core/units.hpp"

namespace mixscout::master {

double CompressorCurve::gain_db(double level_db) const {
    const double over = level_db - threshold_dbfs;
    const double slope = 1.0 - 1.0 / std::max(1.0, ratio);
    double g = 0.0;
    if (over >= knee_db / 2.0) g = -slope * over;
    else if (knee_db > 0.0 && over > -knee_db / 2.0) g = -slope * (over + knee_db / 2.0) * (over + knee_db / 2.0) / (2.0 * knee_db);
    return std::max(g, -max_gain_reduction_db);
}

double one_pole_coeff(double time_ms, double step_s) {
    return 1.0 - std::exp(-step_s / (std::max(time_ms, 0.01) * 1e-3));
}

GlueCompressor::GlueCompressor(int sample_rate, int step_frames, const CompressorOptions& options, double threshold_dbfs)
    : curve_{threshold_dbfs, options.ratio, options.knee_db, options.max_gain_reduction_db},
      step_frames_(std::max(1, step_frames)) {
    const double step_s = static_cast<double>(step_frames_) / sample_rate;
    k_attack_ = one_pole_coeff(options.attack_ms, step_s);
    k_release_ = one_pole_coeff(options.release_ms, step_s);
}

void GlueCompressor::process(float* stereo, std::size_t frames, float* gain) {
    const double inv_step = 1.0 / step_frames_;
    for (std::size_t i = 0; i < frames; ++i) {
        const double l = stereo[2 * i], r = stereo[2 * i + 1];
        acc_ += 0.5 * (l * l + r * r);
        const auto g = static_cast<float>(g_from_ + (g_to_ - g_from_) * (pos_ + 1) * inv_step);
        stereo[2 * i] *= g;
        stereo[2 * i + 1] *= g;
        if (gain) gain[i] = g;
        if (++pos_ == step_frames_) {
            const double level = detector_.step(acc_ * inv_step, k_attack_, k_release_);
            g_from_ = g_to_;
            g_to_ = db_to_amplitude(curve_.gain_db(power_to_db(level)));
            acc_ = 0.0;
            pos_ = 0;
        }
    }
}

}  // namespace mixscout::master
