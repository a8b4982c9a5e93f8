#include "monitor/live_meters.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/format.hpp"
#include "dsp/stereo.hpp"

namespace mixscout::monitor {

namespace {

dsp::BandEnergyOptions band_options(double frame_s) {
    dsp::BandEnergyOptions o;
    o.frame_s = frame_s;
    o.window_s = std::max(0.17, frame_s);
    o.method = dsp::BandMethod::fft;  // the filter bank costs ~30x more per sample; see band_energy.hpp
    return o;
}

}  // namespace

LiveMeters::LiveMeters(int sample_rate, int channels, LiveOptions options, OnMeter on_meter, OnIssue on_issue)
    : sample_rate_(sample_rate),
      channels_(channels),
      options_(std::move(options)),
      on_meter_(std::move(on_meter)),
      on_issue_(std::move(on_issue)),
      loudness_(sample_rate, channels),
      true_peak_(sample_rate, channels),
      clip_(sample_rate, channels),
      bands_(sample_rate, channels, band_options(options_.band_frame_s)) {}

void LiveMeters::push(const audio::Block& block) {
    // Split at hop boundaries so events come out in audio order (see the header).
    const std::size_t hop = static_cast<std::size_t>(loudness_.hop_frames());
    const std::size_t ch = static_cast<std::size_t>(channels_);
    std::size_t done = 0;
    const std::size_t n = block.frames();
    while (done < n) {
        const std::size_t into_hop = static_cast<std::size_t>(loudness_.frames() % static_cast<std::int64_t>(hop));
        const std::size_t take = std::min(n - done, hop - into_hop);
        push_within_hop(audio::Block{block.interleaved.subspan(done * ch, take * ch), channels_});
        done += take;
    }
}

void LiveMeters::push_within_hop(const audio::Block& b) {
    clip_.push(b, [&](const dsp::ClipDetector::Run& run) {
        clipped_this_hop_ = true;
        raise("clipping", options_.clipping_severity,
              std::string("Clipping now (") + (run.channel == 0 ? "left" : "right") + ")",
              "Pull the master (or the loudest track) down until it stops; a limiter only hides it", last_clip_s_,
              static_cast<double>(run.start_frame) / sample_rate_);
    });
    true_peak_.push(b);
    if (channels_ == 2) {
        const float* p = b.interleaved.data();
        const std::size_t n = b.frames();
        double ll = 0, rr = 0, lr = 0;
        for (std::size_t i = 0; i < n; ++i) {
            const double l = p[2 * i], r = p[2 * i + 1];
            ll += l * l;
            rr += r * r;
            lr += l * r;
        }
        hop_sums_.ll += ll;
        hop_sums_.rr += rr;
        hop_sums_.lr += lr;
    }
    bands_.push(b, [](std::int64_t, std::span<const float>) {});
    frames_ += static_cast<std::int64_t>(b.frames());
    loudness_.push(b, [this](std::int64_t hop, double m, double s) { on_hop(hop, m, s); });
}

void LiveMeters::on_hop(std::int64_t hop, double momentary, double short_term) {
    const double hop_s = 1.0 / dsp::LoudnessMeter::hops_per_second;
    window_[static_cast<std::size_t>(hop) % window_.size()] = hop_sums_;
    hop_sums_ = {};
    Sums w;
    for (const auto& s : window_) {
        w.ll += s.ll;
        w.rr += s.rr;
        w.lr += s.lr;
    }
    MeterReading r;
    r.hop = hop;
    r.time_s = static_cast<double>(frames_) / sample_rate_;
    r.momentary_lufs = std::max(meter_floor_lufs, momentary);
    r.short_term_lufs = std::max(meter_floor_lufs, short_term);
    r.integrated_lufs = std::max(meter_floor_lufs, loudness_.integrated_lufs());
    r.true_peak_dbtp = true_peak_.take_held_peak_dbtp();
    // Silence reads as correlation 1 (no evidence of phase trouble), as in dsp/stereo.hpp.
    r.correlation = channels_ == 2 ? dsp::stereo_image(w.ll, w.rr, w.lr).correlation : 1.0;

    // A clipped hop also peaks over 0 dBTP: the clipping issue already says it.
    if (r.true_peak_dbtp > options_.ceiling_dbtp && !clipped_this_hop_)
        raise("true_peak", options_.true_peak_severity, "True peak " + fmt("%+.1f", r.true_peak_dbtp) + " dBTP now",
              "Over the " + fmt("%.1f", options_.ceiling_dbtp) + " dBTP ceiling: turn the master down by " +
                  fmt("%.1f", r.true_peak_dbtp - options_.ceiling_dbtp + 0.5) + " dB",
              last_tp_s_, r.time_s);
    if (channels_ == 2 && momentary > options_.phase_min_lufs && r.correlation < options_.phase_correlation_below) {
        phase_bad_s_ += hop_s;
        if (phase_bad_s_ + 1e-9 >= options_.phase_sustain_s)
            raise("phase", options_.phase_severity, "Phase trouble: L/R correlation " + fmt("%.2f", r.correlation),
                  "Something is out of phase: check a polarity-flipped layer or a very wide stereo effect; listen in mono",
                  last_phase_s_, r.time_s);
    } else {
        phase_bad_s_ = 0.0;
    }
    clipped_this_hop_ = false;
    if (on_meter_) on_meter_(r);
}

void LiveMeters::raise(const char* key, const std::string& severity, std::string title, std::string fix, double& last_s,
                       double now) {
    if (now - last_s < options_.issue_interval_s) return;
    last_s = now;
    if (on_issue_) on_issue_(LiveIssue{key, severity, std::move(title), std::move(fix), now});
}

}  // namespace mixscout::monitor
