#include "dsp/short_term_image.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "core/units.hpp"

namespace mixscout::dsp {

ShortTermImage::ShortTermImage(int sample_rate, int channels)
    : channels_(channels), hop_frames_(static_cast<int>(std::lround(sample_rate / 10.0))) {
    audio::require_layout("ShortTermImage", sample_rate, channels, 2);
    if (hop_frames_ < 1) throw std::invalid_argument("ShortTermImage: sample rate too low");
}

std::size_t ShortTermImage::consume(const float* x, std::size_t frames) {
    const std::size_t n = std::min<std::size_t>(frames, static_cast<std::size_t>(hop_frames_ - fill_));
    Hop& h = current_;
    if (channels_ == 2) {
        for (std::size_t i = 0; i < n; ++i) {
            const double l = x[2 * i], r = x[2 * i + 1];
            h.ll += l * l;
            h.rr += r * r;
            h.lr += l * r;
            h.peak = std::max(h.peak, std::max(std::fabs(x[2 * i]), std::fabs(x[2 * i + 1])));
        }
        h.squares = h.ll + h.rr;
    } else {
        for (std::size_t i = 0; i < n; ++i) {
            const double v = x[i];
            h.squares += v * v;
            h.peak = std::max(h.peak, std::fabs(x[i]));
        }
    }
    h.samples += static_cast<std::int64_t>(n) * channels_;
    fill_ += static_cast<int>(n);
    if (fill_ == hop_frames_) {
        if (current_.peak > 0.0f && current_.squares > 0.0) {
            const double crest_db =
                amplitude_to_db(current_.peak) - power_to_db(current_.squares / static_cast<double>(current_.samples));
            hop_energy_ += current_.squares;
            hop_energy_crest_ += current_.squares * crest_db;
        }
        ring_[static_cast<std::size_t>(hops_ % window_hops)] = current_;
        current_ = Hop{};
        fill_ = 0;
        ++hops_;
    }
    return n;
}

ShortTermReading ShortTermImage::reading() const {
    Hop w;
    for (const Hop& h : ring_) {  // hops not yet filled are zero: the window before 3 s is what was pushed
        w.ll += h.ll;
        w.rr += h.rr;
        w.lr += h.lr;
        w.squares += h.squares;
        w.samples += h.samples;
        w.peak = std::max(w.peak, h.peak);
    }
    ShortTermReading r;
    if (channels_ == 2) {
        const StereoImage s = stereo_image(w.ll, w.rr, w.lr);
        r.correlation = s.correlation;
        r.width = s.width;
    }
    if (w.peak > 0.0f && w.samples > 0)
        r.crest_db = amplitude_to_db(w.peak) - power_to_db(w.squares / static_cast<double>(w.samples));
    return r;
}

}  // namespace mixscout::dsp
