// mixscout monitor: the live meters and instant problems of a captured stream.
//
// LiveMeters runs the offline analysis' kernels incrementally over captured blocks:
//   LoudnessMeter    momentary (400 ms), short-term (3 s), running integrated loudness; its
//                    100 ms hop drives the 10 Hz meter reading
//   TruePeakMeter    true peak held over each 100 ms hop (take_held_peak_dbtp)
//   ClipDetector     runs of >= 3 full-scale samples, reported the moment they qualify
//   correlation      L/R correlation over the momentary window (the last 4 hops), time domain
//   BandEnergy       1/3-octave band powers every 100 ms (filter bank: no look-ahead)
//
// Events, in audio order, from inside push():
//   on_meter(MeterReading)  once per completed 100 ms hop of audio (10 Hz)
//   on_issue(LiveIssue)     clipping now, true peak over the ceiling, correlation below the
//                           threshold for phase_sustain_s while the signal is above phase_min_lufs;
//                           each problem at most once per issue_interval_s of AUDIO time
// Blocks are split at hop boundaries, so an issue found in hop k is reported before the meter of
// hop k: "meters received before the issue" is the audio time of the issue, to within 100 ms.
//
// Cost: the kernels' (see their headers), no allocation in push() besides what the callbacks do.
// Threading: one thread (the monitor's analysis thread).
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "audio/block.hpp"
#include "dsp/band_energy.hpp"
#include "dsp/clipping.hpp"
#include "dsp/loudness.hpp"
#include "dsp/true_peak.hpp"

namespace mixscout::monitor {

/// Silence on the meters: what /mixscout/meter sends for "no signal" (protocol/osc.json).
inline constexpr double meter_floor_lufs = -70.0;

struct MeterReading {
    std::int64_t hop = 0;          ///< 0-based 100 ms hop since the stream (re)started
    double time_s = 0.0;           ///< audio time at the end of the hop
    double momentary_lufs = meter_floor_lufs;   ///< floored at -70
    double short_term_lufs = meter_floor_lufs;  ///< floored at -70
    double integrated_lufs = meter_floor_lufs;  ///< running, since the stream (re)started; floored at -70
    double true_peak_dbtp = -120.0;             ///< max over this hop
    double correlation = 1.0;                   ///< last 400 ms; 1 for mono or silence
};

struct LiveIssue {
    std::string key;       ///< "clipping" | "true_peak" | "phase": what the rate limit counts
    std::string severity;  ///< critical | important | polish
    std::string title;
    std::string fix;
    double time_s = 0.0;   ///< audio time of the problem since the stream (re)started
};

struct LiveOptions {
    double ceiling_dbtp = 0.0;            ///< true peak above this is a live issue
    double issue_interval_s = 3.0;        ///< per problem, at most one issue this often (audio time)
    double phase_correlation_below = -0.2; ///< correlation under this ...
    double phase_sustain_s = 1.0;         ///< ... for this long is phase trouble
    double phase_min_lufs = -50.0;        ///< ... while the momentary loudness is above this
    std::string clipping_severity = "critical";
    std::string true_peak_severity = "critical";
    std::string phase_severity = "important";
    double band_frame_s = 0.1;            ///< band-energy frame
};

class LiveMeters {
public:
    using OnMeter = std::function<void(const MeterReading&)>;
    using OnIssue = std::function<void(const LiveIssue&)>;

    /// channels 1 or 2. Allocates here only.
    LiveMeters(int sample_rate, int channels, LiveOptions options, OnMeter on_meter, OnIssue on_issue);

    void push(const audio::Block& block);

    std::span<const dsp::FrequencyBand> bands() const { return bands_.bands(); }
    const dsp::LoudnessMeter& loudness() const { return loudness_; }
    std::int64_t frames() const { return frames_; }
    std::int64_t clip_runs() const { return clip_.run_count(); }
    int sample_rate() const { return sample_rate_; }
    int channels() const { return channels_; }

private:
    void push_within_hop(const audio::Block& block);
    void on_hop(std::int64_t hop, double momentary, double short_term);
    void raise(const char* key, const std::string& severity, std::string title, std::string fix, double& last_s,
               double time_s);

    int sample_rate_, channels_;
    LiveOptions options_;
    OnMeter on_meter_;
    OnIssue on_issue_;
    dsp::LoudnessMeter loudness_;
    dsp::TruePeakMeter true_peak_;
    dsp::ClipDetector clip_;
    dsp::BandEnergy bands_;
    std::int64_t frames_ = 0;
    // Correlation: sums of LL, RR, LR per hop, over the last 4 hops.
    struct Sums {
        double ll = 0, rr = 0, lr = 0;
    };
    Sums hop_sums_;
    std::array<Sums, dsp::LoudnessMeter::momentary_hops> window_{};
    double phase_bad_s_ = 0.0;
    bool clipped_this_hop_ = false;
    double last_clip_s_ = -1e9, last_tp_s_ = -1e9, last_phase_s_ = -1e9;
};

}  // namespace mixscout::monitor
