#include "analysis/analyzer.hpp"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <thread>

#include "core/error.hpp"
#include "core/units.hpp"
#include "dsp/clipping.hpp"
#include "dsp/level_stats.hpp"
#include "dsp/loudness.hpp"
#include "dsp/spectrum.hpp"
#include "dsp/stereo.hpp"
#include "dsp/true_peak.hpp"

namespace mixscout::analysis {

namespace {
constexpr std::size_t max_clip_events = 1000;
// Tilt: the octave bands whose centres lie in 63 Hz .. 16 kHz (the 31.5 Hz band is mostly
// sub-bass rumble or nothing, and would swing the slope).
constexpr double tilt_from_hz = 60.0;
constexpr double tilt_to_hz = 17000.0;
constexpr double low_band_hz = 120.0;
}  // namespace

// The kernels fall into two groups of roughly equal cost (perf on music, 48 kHz stereo), so that
// with threads = 2 each group runs on its own core. A runs on the caller's thread, which also
// decodes and reads the file: A = loudness (+ mono fold); B = true peak (4x FIR), Welch spectrum
// (FFTW), clipping, level stats, stereo sums. Measured split: ~55 % A, ~45 % B of the CPU time.
struct Analyzer::Impl {
    Impl(int sr, int ch, AnalyzeOptions opt)
        : sample_rate(sr), channels(ch), options(opt), loudness(sr, ch, dsp::LoudnessOptions{.mono_fold = ch == 2}),
          clip(sr, ch), levels(sr, ch), stereo(ch), true_peak(sr, ch), spectrum(sr, ch) {
        if (options.keep_series) series.reserve(3000);  // 5 minutes; grows amortised beyond
        if (options.threads >= 2) worker = std::thread([this] { worker_loop(); });
    }
    ~Impl() {
        if (worker.joinable()) {
            {
                std::lock_guard lock(mutex);
                stop = true;
            }
            wake.notify_all();
            worker.join();
        }
    }

    void push_a(const audio::Block& b) {
        if (options.keep_series)
            loudness.push(b, [this](std::int64_t, double, double short_term) { series.push_back(static_cast<float>(short_term)); });
        else
            loudness.push(b);
    }
    void push_b(const audio::Block& b) {
        true_peak.push(b);
        spectrum.push(b);
        clip.push(b);
        levels.push(b);
        stereo.push(b);
    }

    // wait_for_worker = false: return once A is done; B may still read the block (see
    // push_overlapped). Every entry point calls wait_idle() first, so B never sees two blocks.
    void push(const audio::Block& b, bool wait_for_worker) {
        if (!worker.joinable()) {
            push_a(b);
            push_b(b);
            return;
        }
        {
            std::unique_lock lock(mutex);
            done_cv.wait(lock, [this] { return completed == posted; });
            pending = b;  // by value: the caller's Block object may change, its samples may not
            ++posted;
        }
        wake.notify_all();
        push_a(b);
        if (wait_for_worker) wait_idle();
    }

    void wait_idle() const {
        if (!worker.joinable()) return;
        std::unique_lock lock(mutex);
        done_cv.wait(lock, [this] { return completed == posted; });
    }

    void worker_loop() {
        std::unique_lock lock(mutex);
        for (;;) {
            wake.wait(lock, [this] { return stop || completed != posted; });
            if (stop) return;
            const audio::Block b = pending;
            lock.unlock();
            push_b(b);
            lock.lock();
            ++completed;
            done_cv.notify_all();
        }
    }

    int sample_rate;
    int channels;
    AnalyzeOptions options;
    dsp::LoudnessMeter loudness;
    dsp::ClipDetector clip;
    dsp::LevelStats levels;
    dsp::StereoMeter stereo;
    dsp::TruePeakMeter true_peak;
    dsp::WelchSpectrum spectrum;
    std::vector<float> series;

    std::thread worker;
    mutable std::mutex mutex;
    mutable std::condition_variable wake, done_cv;
    audio::Block pending;
    std::uint64_t posted = 0, completed = 0;
    bool stop = false;
};

Analyzer::Analyzer(int sample_rate, int channels, AnalyzeOptions options) {
    if (channels < 1 || channels > 2)
        throw InputError(std::to_string(channels) + " channels; only mono and stereo are supported");
    if (sample_rate < 8000 || sample_rate > 384000)
        throw InputError("sample rate " + std::to_string(sample_rate) + " Hz is outside 8000..384000 Hz");
    impl_ = std::make_unique<Impl>(sample_rate, channels, options);
}

Analyzer::~Analyzer() = default;

void Analyzer::push(const audio::Block& block) {
    if (block.frames() == 0) return;
    if (block.channels != impl_->channels) throw std::invalid_argument("Analyzer::push: channel count differs");
    impl_->push(block, true);
}

void Analyzer::push_overlapped(const audio::Block& block) {
    if (block.frames() == 0) return;
    if (block.channels != impl_->channels) throw std::invalid_argument("Analyzer::push: channel count differs");
    impl_->push(block, false);
}

std::int64_t Analyzer::frames() const {
    impl_->wait_idle();
    return impl_->levels.frames();
}
int Analyzer::sample_rate() const { return impl_->sample_rate; }
int Analyzer::channels() const { return impl_->channels; }

Analysis Analyzer::finish() const {
    audio::StreamInfo info;
    info.sample_rate = impl_->sample_rate;
    info.channels = impl_->channels;
    return finish(info);
}

namespace {

std::vector<ClipEvent> clip_events(const dsp::ClipDetector& clip, const dsp::TruePeakMeter& tp, int sample_rate,
                                   int& count) {
    const double sr = sample_rate;
    std::vector<ClipEvent> events;
    const auto& runs = clip.runs();
    const auto& overs = tp.overs();
    events.reserve(std::min(max_clip_events, runs.size() + overs.size()));
    auto overlaps = [](std::int64_t a0, std::int64_t an, std::int64_t b0, std::int64_t bn) {
        return a0 < b0 + bn && b0 < a0 + an;
    };
    // Full-scale runs; a true-peak over on the same channel around the run belongs to it (its
    // peak is the run's reconstructed peak) and is not listed again.
    std::vector<bool> over_used(overs.size(), false);
    for (const auto& r : runs) {
        ClipEvent e;
        e.time_s = static_cast<double>(r.start_frame) / sr;
        e.duration_s = static_cast<double>(r.frames) / sr;
        e.channel = r.channel;
        e.samples = r.frames;
        e.kind = "full_scale";
        e.peak_dbtp = amplitude_to_db(std::fabs(clip.options().full_scale));  // raised by an over around it
        for (std::size_t i = 0; i < overs.size(); ++i) {
            const auto& o = overs[i];
            if (o.channel == r.channel && overlaps(r.start_frame, r.frames, o.start_frame, o.frames)) {
                over_used[i] = true;
                e.peak_dbtp = std::max(e.peak_dbtp, o.peak_dbtp);
            }
        }
        events.push_back(e);
    }
    std::int64_t used = 0;
    for (std::size_t i = 0; i < overs.size(); ++i) {
        if (over_used[i]) {
            ++used;
            continue;
        }
        const auto& o = overs[i];
        ClipEvent e;
        e.time_s = static_cast<double>(o.start_frame) / sr;
        e.duration_s = static_cast<double>(o.frames) / sr;
        e.channel = o.channel;
        e.samples = 0;  // no sample is at full scale: the overshoot is between samples
        e.kind = "true_peak_over";
        e.peak_dbtp = o.peak_dbtp;
        events.push_back(e);
    }
    std::stable_sort(events.begin(), events.end(), [](const ClipEvent& a, const ClipEvent& b) {
        return a.time_s != b.time_s ? a.time_s < b.time_s : a.channel < b.channel;
    });
    // Past the kernels' caps, count what they counted (overs merged into runs are not events).
    const std::int64_t total = clip.run_count() + tp.over_count() - used;
    count = static_cast<int>(std::min<std::int64_t>(total, std::numeric_limits<int>::max()));
    if (events.size() > max_clip_events) events.resize(max_clip_events);
    return events;
}

}  // namespace

Analysis Analyzer::finish(const audio::StreamInfo& info) const {
    impl_->wait_idle();
    const Impl& m = *impl_;
    Analysis a;
    const int ch = m.channels;

    a.format.sample_rate = m.sample_rate;
    a.format.channels = ch;
    a.format.bit_depth = info.bit_depth;
    a.format.container = info.container;
    a.format.encoding = info.encoding;
    a.format.frames = m.levels.frames();
    a.format.duration_s = static_cast<double>(a.format.frames) / m.sample_rate;

    // Peaks.
    a.peak.sample_peak_dbfs = amplitude_to_db(m.levels.sample_peak());
    a.peak.true_peak_dbtp = m.true_peak.true_peak_dbtp();
    for (int c = 0; c < ch; ++c) {
        a.peak.channel_sample_peak_dbfs.push_back(amplitude_to_db(m.levels.sample_peak(c)));
        a.peak.channel_true_peak_dbtp.push_back(m.true_peak.channel_true_peak_dbtp(c));
    }

    // Clipping.
    a.clipping.events = clip_events(m.clip, m.true_peak, m.sample_rate, a.clipping.count);
    a.clipping.clipped_samples = m.clip.clipped_samples();

    // Loudness.
    a.loudness.integrated_lufs = m.loudness.integrated_lufs();
    a.loudness.momentary_max_lufs = m.loudness.momentary_max_lufs();
    a.loudness.short_term_max_lufs = m.loudness.short_term_max_lufs();
    a.loudness.lra_lu = m.loudness.loudness_range_lu();
    a.loudness.short_term_series_hz = dsp::LoudnessMeter::hops_per_second;
    a.loudness.short_term_series = m.series;

    // Dynamics. Silence has no dynamics: leave them 0 rather than report floor differences.
    const double rms_db = power_to_db(m.levels.mean_square());
    const bool has_signal = m.levels.sample_peak() > 0.0;
    const bool has_loudness = a.loudness.integrated_lufs > silence_floor_db;
    if (has_signal) a.dynamics.crest_db = a.peak.sample_peak_dbfs - rms_db;
    if (has_loudness) {
        a.dynamics.plr_db = a.peak.true_peak_dbtp - a.loudness.integrated_lufs;
        a.dynamics.psr_db = a.peak.true_peak_dbtp - a.loudness.short_term_max_lufs;
    }

    // Spectrum: band power (channel-averaged, Parseval-scaled) relative to the integrated
    // loudness. Material too quiet to be gated (no integrated loudness) is reported unnormalised.
    const double reference_db = has_loudness ? a.loudness.integrated_lufs : 0.0;
    auto band_db = [&](const dsp::FrequencyBand& b) {
        const double p = m.spectrum.band(b.lo_hz, b.hi_hz).mean();
        const double db = power_to_db(p);
        return db > silence_floor_db ? db - reference_db : silence_floor_db;
    };
    std::vector<double> octave_db;
    for (const auto& b : dsp::octave_bands()) {
        a.spectrum.bands.push_back({b.lo_hz, b.hi_hz, band_db(b)});
        octave_db.push_back(a.spectrum.bands.back().db);
    }
    for (const auto& b : dsp::third_octave_bands()) a.spectrum.third_octave.push_back({b.lo_hz, b.hi_hz, band_db(b)});
    a.spectrum.tilt_db_per_octave = dsp::spectral_tilt_db_per_octave(dsp::octave_bands(), octave_db, tilt_from_hz, tilt_to_hz);

    // Stereo.
    const dsp::StereoImage whole = m.stereo.image();
    a.stereo.correlation = whole.correlation;
    a.stereo.width = whole.width;
    a.stereo.balance_db = whole.balance_db;
    const dsp::StereoImage low = dsp::band_stereo(m.spectrum, 0.0, low_band_hz);
    a.stereo.low_correlation = low.correlation;
    a.stereo.low_width = low.width;
    for (const auto& b : dsp::octave_bands())
        a.stereo.band_correlation.push_back({b.lo_hz, b.hi_hz, dsp::band_stereo(m.spectrum, b.lo_hz, b.hi_hz).correlation});
    if (ch == 2 && has_loudness) {
        const double mono = m.loudness.mono_fold_integrated_lufs();
        a.stereo.mono_loss_db = a.loudness.integrated_lufs - mono;  // mono at the floor: the loss is everything
    }

    // DC offset and silence.
    double dc_max = 0.0;
    for (int c = 0; c < ch; ++c) {
        a.dc_offset.push_back(m.levels.dc_offset(c));
        dc_max = std::max(dc_max, std::fabs(m.levels.dc_offset(c)));
    }
    a.dc_offset_dbfs = amplitude_to_db(dc_max);
    a.silence.leading_s = m.levels.leading_silence_s();
    a.silence.trailing_s = m.levels.trailing_silence_s();
    return a;
}

Analysis analyze_file(const std::filesystem::path& path, const AnalyzeOptions& options) {
    audio::Decoder decoder(path, options.block_frames);
    AnalyzeOptions opt = options;
    if (opt.threads <= 0) opt.threads = std::thread::hardware_concurrency() >= 2 ? 2 : 1;
    Analyzer analyzer(decoder.info().sample_rate, decoder.info().channels, opt);
    // The decoder alternates two buffers, so block n may still be in the worker's hands while
    // block n+1 decodes.
    for (audio::Block b = decoder.read(); b.frames() > 0; b = decoder.read()) analyzer.push_overlapped(b);
    Analysis a = analyzer.finish(decoder.info());
    a.path = path.string();
    return a;
}

Analysis analyze_samples(const audio::Block& block, int sample_rate, const AnalyzeOptions& options) {
    AnalyzeOptions opt = options;
    if (opt.threads <= 0) opt.threads = 1;
    Analyzer analyzer(sample_rate, block.channels, opt);
    analyzer.push(block);
    return analyzer.finish();
}

}  // namespace mixscout::analysis
