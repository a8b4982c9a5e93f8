#include "analysis/analyzer.hpp"

#include <algorithm>
#include <array>
#include <exception>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "core/error.hpp"
#include "core/units.hpp"
#include "dsp/band_limit.hpp"
#include "dsp/clipping.hpp"
#include "dsp/level_stats.hpp"
#include "dsp/loudness.hpp"
#include "dsp/quantisation.hpp"
#include "dsp/short_term_image.hpp"
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
// DynamicsInfo::half_peak_share: within 20*log10(2) dB of the sample peak.
constexpr double half_peak_db = 6.020599913279624;
// The 10 Hz series other than loudness are kept at the resolution a plot or a comparison can use
// (0.01 dB, 0.001 of correlation and width), so their JSON is short ("-14.23") in the history and
// the report.
float series_db(double v) { return static_cast<float>(std::round(v * 100.0) / 100.0); }
float series_ratio(double v) { return static_cast<float>(std::round(v * 1000.0) / 1000.0); }
}  // namespace

// Parallelism: the kernels form lanes, each of which must see every block in order but runs
// independently of the others, so lane l can work on block n while lane m works on block n+2:
//   loudness (+ mono fold, series) | true peak | Welch spectrum | clipping + level stats + stereo,
// and, in consume(), the decoder is one more lane that fills a ring of block buffers ahead of
// them. Every thread (the caller's and threads - 1 workers) takes whichever task is ready: no
// fixed split to keep balanced, and no lockstep per block. perf on music (48 kHz stereo): decode
// ~25 %, true peak ~25 %, spectrum ~20 %, loudness ~15 %, the rest ~15 % of the CPU time.
struct Analyzer::Impl {
    enum Lane { loudness_lane, true_peak_lane, spectrum_lane, levels_lane, lane_count };
    static constexpr int decode_task = -1;
    // Blocks in flight. Enough that a lane running behind does not stall the decoder; each
    // slot is block_frames * channels floats (256 kB at the default 32768 stereo frames).
    static constexpr std::size_t ring_slots = 6;

    Impl(int sr, int ch, AnalyzeOptions opt)
        : sample_rate(sr), channels(ch), options(opt), loudness(sr, ch, dsp::LoudnessOptions{.mono_fold = ch == 2}),
          clip(sr, ch), levels(sr, ch), stereo(ch), image(sr, ch), true_peak(sr, ch), spectrum(sr, ch) {
        // Dither is a question for 16-bit (and shorter) PCM only: 24-bit truncation is inaudible.
        if (opt.pcm_bits >= 8 && opt.pcm_bits <= 16) quantisation.emplace(sr, ch, opt.pcm_bits);
        if (options.keep_series) {  // 5 minutes; grows amortised beyond
            for (auto* v : {&series, &momentary, &peaks, &correlation, &width, &crest}) v->reserve(3000);
        }
        for (int t = 1; t < options.threads; ++t) workers.emplace_back([this] { worker_loop(); });
    }
    ~Impl() {
        {
            std::lock_guard lock(mutex);
            stop = true;
        }
        changed.notify_all();
        for (auto& w : workers) w.join();
    }

    void run_lane(int lane, const audio::Block& b) {
        switch (lane) {
            case loudness_lane:
                if (options.keep_series)
                    loudness.push(b, [this](std::int64_t, double m, double short_term) {
                        series.push_back(static_cast<float>(short_term));  // the meter's values: max(series) == short_term_max
                        momentary.push_back(static_cast<float>(m));
                    });
                else
                    loudness.push(b);
                break;
            case true_peak_lane:
                if (options.keep_series)
                    push_true_peak_hops(b);
                else
                    true_peak.push(b);
                break;
            case spectrum_lane: spectrum.push(b); break;
            default:
                clip.push(b);
                levels.push(b);
                stereo.push(b);
                if (quantisation) quantisation->push(b);
                if (options.keep_series)
                    image.push(b, [this](std::int64_t, const dsp::ShortTermReading& r) {
                        correlation.push_back(series_ratio(r.correlation));
                        width.push_back(series_ratio(std::min(r.width, 100.0)));  // polarity-inverted: 1e6
                        crest.push_back(series_db(r.crest_db));
                    });
                else
                    image.push(b);  // for the hop crest (dynamics.hop_crest_db), which is not a series
                break;
        }
    }

    // The true peak of every 100 ms hop (the loudness clock): the block is cut at hop boundaries
    // and the meter's held peak taken at each.
    void push_true_peak_hops(const audio::Block& b) {
        const auto hop = static_cast<std::size_t>(image.hop_frames());
        std::size_t done = 0;
        const std::size_t frames = b.frames();
        while (done < frames) {
            const std::size_t n = std::min(frames - done, hop - peak_hop_fill);
            const auto ch = static_cast<std::size_t>(b.channels);
            true_peak.push({b.interleaved.subspan(done * ch, n * ch), b.channels});
            done += n;
            peak_hop_fill += n;
            if (peak_hop_fill == hop) {
                peaks.push_back(series_db(true_peak.take_held_peak_dbtp()));
                peak_hop_fill = 0;
            }
        }
    }

    // --- scheduling (state below guarded by mutex)
    struct Task {
        int lane = 0;  // or decode_task
        std::uint64_t block = 0;
    };

    std::uint64_t slowest_lane() const { return *std::min_element(lane_next.begin(), lane_next.end()); }

    bool take(Task& t) {
        if (error) return false;
        int best = -1;
        for (int l = 0; l < lane_count; ++l)
            if (!lane_busy[l] && lane_next[l] < produced && (best < 0 || lane_next[l] < lane_next[best])) best = l;
        const std::uint64_t in_flight = produced - slowest_lane();
        const bool can_decode = source && !source_busy && !source_done && in_flight < ring_slots;
        // Decode first while the ring is less than half full, so the lanes never starve.
        if (can_decode && (best < 0 || in_flight < ring_slots / 2)) {
            source_busy = true;
            t = {decode_task, produced};
            return true;
        }
        if (best < 0) return false;
        lane_busy[best] = true;
        t = {best, lane_next[best]};
        return true;
    }

    bool all_done() const {
        if (source_busy || std::find(lane_busy.begin(), lane_busy.end(), true) != lane_busy.end()) return false;
        if (error) return true;
        return (!source || source_done) && slowest_lane() == produced;
    }

    // Runs t outside the lock (lock is held on entry and on return).
    void execute(const Task& t, std::unique_lock<std::mutex>& lock) {
        const std::size_t slot = t.block % ring_slots;
        const audio::Block block = slots[slot];
        lock.unlock();
        audio::Block decoded;
        std::exception_ptr failure;
        try {
            if (t.lane == decode_task)
                decoded = source->read_into(std::span<float>(ring_memory.data() + slot * slot_samples, slot_samples));
            else
                run_lane(t.lane, block);
        } catch (...) {
            failure = std::current_exception();
        }
        lock.lock();
        if (failure && !error) error = failure;
        if (t.lane == decode_task) {
            source_busy = false;
            if (failure || decoded.frames() == 0) {
                source_done = true;
            } else {
                slots[slot] = decoded;
                ++produced;
            }
        } else {
            lane_busy[t.lane] = false;
            ++lane_next[t.lane];
        }
        changed.notify_all();
    }

    // The caller's share: work until every lane has every block (and the source is exhausted).
    void drain() {
        std::unique_lock lock(mutex);
        Task t;
        for (;;) {
            if (take(t)) {
                execute(t, lock);
            } else if (all_done()) {
                break;
            } else {
                changed.wait(lock);
            }
        }
        if (error) {
            std::exception_ptr e = std::exchange(error, nullptr);
            // The lanes have seen a prefix of the stream: drop the rest so the next call starts clean.
            std::fill(lane_next.begin(), lane_next.end(), produced);
            source = nullptr;
            std::rethrow_exception(e);
        }
    }

    void worker_loop() {
        std::unique_lock lock(mutex);
        Task t;
        for (;;) {
            changed.wait(lock, [&] { return stop || take(t); });
            if (stop) return;
            execute(t, lock);
        }
    }

    void push(const audio::Block& b) {
        {
            std::lock_guard lock(mutex);
            slots[produced % ring_slots] = b;
            ++produced;
        }
        changed.notify_all();
        drain();
    }

    void consume(audio::Decoder& decoder) {
        {
            std::lock_guard lock(mutex);
            slot_samples = options.block_frames * static_cast<std::size_t>(channels);
            if (ring_memory.size() != ring_slots * slot_samples) ring_memory.assign(ring_slots * slot_samples, 0.0f);
            source = &decoder;
            source_done = false;
        }
        changed.notify_all();
        drain();
        std::lock_guard lock(mutex);
        source = nullptr;
    }

    int sample_rate;
    int channels;
    AnalyzeOptions options;
    dsp::LoudnessMeter loudness;
    dsp::ClipDetector clip;
    dsp::LevelStats levels;
    dsp::StereoMeter stereo;
    dsp::ShortTermImage image;
    dsp::TruePeakMeter true_peak;
    dsp::WelchSpectrum spectrum;
    std::optional<dsp::QuantisationMeter> quantisation;  // 16-bit (and shorter) PCM only
    std::vector<float> series;  // short-term loudness
    std::vector<float> momentary, peaks, correlation, width, crest;  // the other 10 Hz series
    std::size_t peak_hop_fill = 0;  // frames of the current hop the true-peak lane has seen

    std::mutex mutex;
    std::condition_variable changed;
    std::array<audio::Block, ring_slots> slots{};
    std::uint64_t produced = 0;
    std::array<std::uint64_t, lane_count> lane_next{};
    std::array<bool, lane_count> lane_busy{};
    audio::Decoder* source = nullptr;
    bool source_busy = false;
    bool source_done = true;
    std::vector<float> ring_memory;
    std::size_t slot_samples = 0;
    std::exception_ptr error;
    bool stop = false;
    std::vector<std::thread> workers;  // last: started after everything they touch exists
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
    impl_->push(block);
}

void Analyzer::consume(audio::Decoder& decoder) {
    if (decoder.info().channels != impl_->channels) throw std::invalid_argument("Analyzer::consume: channel count differs");
    impl_->consume(decoder);
}

std::int64_t Analyzer::frames() const { return impl_->levels.frames(); }
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
    a.loudness.momentary_series = m.momentary;
    a.peak.true_peak_series = m.peaks;
    if (ch == 2) {
        a.stereo.correlation_series = m.correlation;
        a.stereo.width_series = m.width;
    }
    a.dynamics.crest_series = m.crest;
    // PSR over time: the highest true peak of the 3 s window against its short-term loudness.
    const std::size_t window = dsp::ShortTermImage::window_hops;
    a.dynamics.psr_series.reserve(m.series.size());
    for (std::size_t i = 0; i < m.series.size() && i < m.peaks.size(); ++i) {
        const auto first = m.peaks.begin() + static_cast<std::ptrdiff_t>(i + 1 > window ? i + 1 - window : 0);
        const float peak = *std::max_element(first, m.peaks.begin() + static_cast<std::ptrdiff_t>(i + 1));
        const bool quiet = m.series[i] <= -70.0f || peak <= static_cast<float>(silence_floor_db);
        a.dynamics.psr_series.push_back(quiet ? 0.0f : series_db(static_cast<double>(peak) - m.series[i]));
    }

    // Dynamics. Silence has no dynamics: leave them 0 rather than report floor differences.
    const double rms_db = power_to_db(m.levels.mean_square());
    const bool has_signal = m.levels.sample_peak() > 0.0;
    const bool has_loudness = a.loudness.integrated_lufs > silence_floor_db;
    if (has_signal) {
        a.dynamics.crest_db = a.peak.sample_peak_dbfs - rms_db;
        a.dynamics.half_peak_share = m.levels.share_within_db(half_peak_db);
        a.dynamics.hop_crest_db = m.image.hop_crest_db();
    }
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

    // Conversions: an upsampled export's band gap (lossless files: a lossy encoder low-passes
    // wherever its bitrate tells it to), and dither in a 16-bit one.
    const bool lossy = info.bit_depth == 0 && info.encoding != "float" && info.encoding != "double" && !info.encoding.empty();
    if (!lossy && has_signal) {
        std::vector<double> p = m.spectrum.power_spectrum(0);
        if (ch == 2) {
            const std::vector<double> r = m.spectrum.power_spectrum(1);
            for (std::size_t k = 0; k < p.size() && k < r.size(); ++k) p[k] = 0.5 * (p[k] + r[k]);
        }
        const dsp::BandLimit bl = dsp::find_band_limit(p, m.spectrum.bin_hz(), m.sample_rate);
        a.conversion.source_rate_hz = bl.source_rate_hz;
        a.conversion.band_edge_hz = bl.edge_hz;
        a.conversion.band_drop_db = bl.source_rate_hz ? std::min(bl.drop_db, 200.0) : 0.0;  // finite in JSON
        a.conversion.imaging = bl.imaging;
    }
    if (m.quantisation) {
        a.conversion.dither_checked_s = m.quantisation->sounding_s();
        a.conversion.undithered_s = m.quantisation->undithered_s();
        a.conversion.lowest_noise_lsb2 = m.quantisation->lowest_noise_lsb2();
    }
    return a;
}

namespace {
Analysis analyze_decoder(audio::Decoder& decoder, const AnalyzeOptions& options) {
    AnalyzeOptions opt = options;
    if (opt.threads <= 0) opt.threads = default_threads();
    if (opt.pcm_bits == 0) opt.pcm_bits = decoder.info().bit_depth;
    Analyzer analyzer(decoder.info().sample_rate, decoder.info().channels, opt);
    analyzer.consume(decoder);
    Analysis a = analyzer.finish(decoder.info());
    a.path = decoder.path().string();
    a.format.concealed_frames = decoder.concealed_frames();  // known now that the stream has ended
    a.format.concealed_s = decoder.concealed_s();
    return a;
}
}  // namespace

Analysis analyze_file(const std::filesystem::path& path, const AnalyzeOptions& options) {
    audio::Decoder decoder(path, options.block_frames);
    return analyze_decoder(decoder, options);
}

std::string concealed_warning(const Analysis& a) {
    if (a.format.concealed_frames <= 0) return {};
    char text[96];
    std::snprintf(text, sizeof text, "%lld corrupt MP3 frame%s concealed (%.1f s)", static_cast<long long>(a.format.concealed_frames),
                  a.format.concealed_frames == 1 ? "" : "s", a.format.concealed_s);
    return text;
}

AnalysedExport analyze_export(const std::filesystem::path& path, const AnalyzeOptions& options) {
    audio::Decoder decoder(path, options.block_frames);
    AnalysedExport out;
    out.analysis = analyze_decoder(decoder, options);
    out.content_hash = decoder.content_hash();
    out.size_bytes = static_cast<std::uint64_t>(decoder.size_bytes());
    return out;
}

int default_threads() {
    // Five chains of work (decoder + four lanes), the longest ~25 % of the total: past four
    // threads there is nothing left to overlap.
    return static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1u, 4u));
}

Analysis analyze_samples(const audio::Block& block, int sample_rate, const AnalyzeOptions& options) {
    AnalyzeOptions opt = options;
    if (opt.threads <= 0) opt.threads = 1;
    Analyzer analyzer(sample_rate, block.channels, opt);
    analyzer.push(block);
    return analyzer.finish();
}

}  // namespace mixscout::analysis
