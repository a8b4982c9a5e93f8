// mixscout dsp: the stereo image and crest factor over time, on the loudness meter's clock.
//
// Every 100 ms hop (round(sample_rate / 10) frames, as LoudnessMeter) it reports, over the last
// 3 s (30 hops, the short-term loudness window; before 3 s, what has been pushed):
//   correlation, width   as StereoMeter (dsp/stereo.hpp), from sum L^2, R^2, L*R of the window
//   crest_db             sample peak - RMS of the window, all channels, dB (0 for silence)
// so a report can plot them beside short-term loudness, hop for hop. And over the whole stream,
// hop_crest_db(): the crest factor of each 100 ms hop on its own, averaged weighted by the hop's
// energy. That is the waveform's own crest: a limiter rides the gain and keeps it (released music
// read 8.7-11.4 dB, 14 dB into a limiter still 7.2 and more); saturation reshapes the wave and
// takes it away (a sine reads 3 dB, a square wave 0).
// What it adds to the analysis: 5 multiply-adds/compares per frame; per hop 4 x 30 additions
// (none without a callback) and two logarithms. Keeps the kernel contract of audio/block.hpp:
// 1 or 2 channels, a mismatched block throws, push() never allocates.
// Not thread-safe: one thread pushes.
#pragma once
#include <array>
#include <cstdint>

#include "audio/block.hpp"
#include "dsp/stereo.hpp"

namespace mixscout::dsp {

struct ShortTermReading {
    double correlation = 1.0;  ///< -1..1; 1 for mono and silence
    double width = 0.0;        ///< side/mid energy
    double crest_db = 0.0;     ///< sample peak - RMS over the window
};

class ShortTermImage {
public:
    static constexpr int window_hops = 30;  ///< 3 s at 10 hops per second

    /// channels 1 or 2 (else std::invalid_argument).
    ShortTermImage(int sample_rate, int channels);

    /// Feeds interleaved frames; calls on_hop(hop_index, ShortTermReading) after every completed
    /// hop (hop_index 0 ends at 100 ms). block.channels must equal channels().
    template <class OnHop>
    void push(const audio::Block& block, OnHop&& on_hop) {
        push_hops(block, [&](std::int64_t hop) { on_hop(hop, reading()); });
    }

    /// Feeds frames for hop_crest_db() alone: no reading per hop (the analysis without series).
    void push(const audio::Block& block) {
        push_hops(block, [](std::int64_t) {});
    }

    ShortTermReading reading() const;  ///< over the last window_hops completed hops
    /// Energy-weighted mean over every completed hop with signal of (sample peak - RMS of the hop),
    /// all channels, dB; 0 before any.
    double hop_crest_db() const { return hop_energy_ > 0.0 ? hop_energy_crest_ / hop_energy_ : 0.0; }
    int hop_frames() const { return hop_frames_; }
    std::int64_t hops() const { return hops_; }

private:
    template <class OnHopEnd>
    void push_hops(const audio::Block& block, OnHopEnd&& hop_end) {
        if (block.interleaved.empty()) return;
        audio::require_channels("ShortTermImage", block, channels_);
        const float* p = block.interleaved.data();
        std::size_t left = block.frames();
        while (left > 0) {
            const std::size_t n = consume(p, left);
            p += n * static_cast<std::size_t>(channels_);
            left -= n;
            if (fill_ == 0 && hops_ > 0) hop_end(hops_ - 1);
        }
    }

    struct Hop {
        double ll = 0.0, rr = 0.0, lr = 0.0, squares = 0.0;
        float peak = 0.0f;
        std::int64_t samples = 0;
    };
    std::size_t consume(const float* interleaved, std::size_t frames);

    int channels_;
    int hop_frames_;
    int fill_ = 0;
    std::int64_t hops_ = 0;
    Hop current_;
    std::array<Hop, window_hops> ring_{};
    double hop_energy_ = 0.0, hop_energy_crest_ = 0.0;  // sum of hop energies, and of energy x crest
};

}  // namespace mixscout::dsp
