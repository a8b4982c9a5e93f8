#include "monitor/monitor.hpp"

#include <algorithm>
#include <cstdio>

#include "config/config.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "osc/endpoint.hpp"
#include "rules/issue.hpp"

namespace mixscout::monitor {

MonitorOptions monitor_options(const config::Config& cfg) {
    MonitorOptions o;
    const config::Monitor& m = cfg.settings().monitor;
    auto& c = o.capture;
    c.api = m.api;
    c.device = m.device;
    c.channels = m.channels;
    c.buffer_frames = static_cast<unsigned int>(m.buffer_frames);
    c.ring_s = m.ring_s;
    c.stall_s = m.stall_s;
    c.client_name = m.client_name;
    o.poll_s = m.poll_s;
    o.retry_max_s = m.retry_max_s;
    o.retry_min_s = std::min(o.retry_min_s, o.retry_max_s);
    o.take.silence_dbfs = m.silence_dbfs;
    o.take.end_silence_s = m.take_end_silence_s;
    o.take.min_take_s = m.min_take_s;
    o.song = m.song;
    o.profile = m.profile;
    if (o.profile.empty()) o.profile = cfg.settings().watch.profile;
    const config::Profile* profile = cfg.settings().profiles.find(o.profile);
    if (!profile) throw InputError("monitor.profile: unknown profile '" + o.profile + "'");
    auto& l = o.live;
    l.ceiling_dbtp = profile->ceiling_dbtp;
    l.issue_interval_s = m.issue_interval_s;
    l.phase_correlation_below = m.phase.correlation_below;
    l.phase_sustain_s = m.phase.sustain_s;
    l.phase_min_lufs = m.phase.min_lufs;
    l.phase_severity = std::string(rules::to_string(m.phase.severity));
    l.clipping_severity = std::string(rules::to_string(cfg.settings().rules.clipping.severity));
    l.true_peak_severity = std::string(rules::to_string(cfg.settings().rules.true_peak.severity));
    return o;
}

Monitor::Monitor(MonitorOptions options, osc::Sender& sender, TakeHandler on_take)
    : options_(std::move(options)), sender_(sender), on_take_(std::move(on_take)) {
    audio::validate(options_.capture);
}

Monitor::~Monitor() { stop(); }

void Monitor::start() {
    if (thread_.joinable()) return;
    {
        std::lock_guard lock(mutex_);
        stopping_ = false;
    }
    stop_requested_ = false;
    thread_ = std::thread([this] { run(); });
}

void Monitor::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    stop_requested_ = true;
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

MonitorStats Monitor::stats() const {
    MonitorStats s;
    s.overflows = overflows_;
    s.dropped_frames = dropped_;
    s.driver_xruns = xruns_;
    s.frames = frames_;
    s.meters = meters_;
    s.issues = issues_;
    s.takes = takes_;
    s.streams = streams_;
    s.sample_rate = sample_rate_;
    return s;
}

bool Monitor::wait(double seconds) {
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, std::chrono::duration<double>(seconds), [this] { return stopping_; });
    return !stopping_;
}

void Monitor::status(const std::string& state, const std::string& message) {
    sender_.send("/mixscout/status", state, message);
}

void Monitor::run() {
    double backoff = options_.retry_min_s;
    std::string last_problem;
    int last_rate = 0;
    while (true) {
        {
            std::lock_guard lock(mutex_);
            if (stopping_) break;
        }
        std::unique_ptr<audio::Capture> capture;
        try {
            capture = std::make_unique<audio::Capture>(options_.capture);
        } catch (const std::exception& e) {  // CaptureError, or InputError for this device (e.g. channels)
            const std::string problem = std::string("monitor: ") + e.what();
            if (problem != last_problem) {
                log::error(problem + "; retrying");
                status("error", problem);
                last_problem = problem;
            }
            if (!wait(backoff)) break;
            backoff = std::min(backoff * 2.0, options_.retry_max_s);
            continue;
        }
        backoff = options_.retry_min_s;
        last_problem.clear();
        ++streams_;
        if (last_rate && last_rate != capture->sample_rate())
            log::warn("monitor: sample rate changed " + std::to_string(last_rate) + " -> " +
                      std::to_string(capture->sample_rate()) + " Hz; meters restarted");
        last_rate = capture->sample_rate();
        sample_rate_ = last_rate;
        const std::string what = capture->api() + " '" + capture->device_name() + "', " +
                                 std::to_string(capture->sample_rate()) + " Hz, " + std::to_string(capture->channels()) +
                                 " ch, period " + std::to_string(capture->buffer_frames());
        log::info("monitor: capturing " + what);
        status("monitoring", what);
        stream(*capture);
        sample_rate_ = 0;
        const bool lost = !capture->failure().empty();
        capture.reset();
        if (lost) {
            if (!wait(options_.retry_min_s)) break;
        }
    }
}

void Monitor::stream(audio::Capture& capture) {
    const int rate = capture.sample_rate();
    const int ch = capture.channels();
    LiveMeters meters(
        rate, ch, options_.live,
        [this](const MeterReading& r) {
            sender_.send("/mixscout/meter", r.momentary_lufs, r.short_term_lufs, r.true_peak_dbtp, r.correlation);
            ++meters_;
        },
        [this](const LiveIssue& i) {
            char at[32];
            std::snprintf(at, sizeof at, "%.2f", i.time_s);
            log::warn("monitor: " + i.severity + ": " + i.title + " at " + at + " s");
            sender_.send("/mixscout/live_issue", i.severity, i.title, i.fix);
            ++issues_;
        });
    TakeRecorder takes(rate, ch, options_.take);
    auto deliver = [this](std::optional<Take> t) {
        if (!t) return;
        ++takes_;
        if (on_take_) {
            try {
                on_take_(*t);
            } catch (const std::exception& e) {
                log::error(std::string("monitor: take not processed: ") + e.what());
                sender_.send("/mixscout/error", std::string("live take: ") + e.what());
            }
        }
    };
    // About a hop per read keeps the meters' latency low; the ring absorbs the rest.
    const std::size_t chunk = static_cast<std::size_t>(rate / 10);
    std::vector<float> buf(chunk * static_cast<std::size_t>(ch));
    auto process = [&](std::size_t n) {
        const audio::Block b{std::span<const float>(buf.data(), n * static_cast<std::size_t>(ch)), ch};
        meters.push(b);
        deliver(takes.push(b));
        frames_ += n;
    };
    const std::uint64_t overflows0 = overflows_, dropped0 = dropped_, xruns0 = xruns_;  // totals over streams
    while (true) {
        const std::size_t n = capture.read(buf.data(), chunk);
        overflows_ = overflows0 + capture.overflows();
        dropped_ = dropped0 + capture.dropped_frames();
        xruns_ = xruns0 + capture.driver_xruns();
        if (n > 0) {
            process(n);
            if (stop_requested_) break;
            continue;
        }
        if (!capture.healthy()) {
            const std::string problem = "monitor: " + capture.failure();
            log::error(problem + "; retrying");
            status("error", problem);
            deliver(takes.finish());
            return;
        }
        if (!wait(options_.poll_s)) break;
    }
    // Stopping: what is in the ring is still part of the take.
    while (const std::size_t n = capture.read(buf.data(), chunk)) process(n);
    deliver(takes.finish());
}

}  // namespace mixscout::monitor
