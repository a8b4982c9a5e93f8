// mixscout monitor: live monitoring of Live's master output.
//
//   monitor::Monitor m(monitor::monitor_options(cfg), sender, [&](const monitor::Take& t) { ... });
//   m.start();  ...  m.stop();   // stop() ends the current take (handler called) and joins
//
// Threads:
//   audio callback   audio::Capture: copies each period into a lock-free ring, nothing else
//                    (no allocation, lock, log or system call; see audio/capture.hpp)
//   monitor thread   owns the Capture; every poll_s (25 ms, a timed wait that nobody needs to
//                    signal, so the callback never wakes anyone) drains the ring through
//                    LiveMeters (meters at 10 Hz, live issues) and TakeRecorder (takes), sends
//                    /mixscout/meter and /mixscout/live_issue, and hands finished takes to the
//                    TakeHandler (rules + history + /mixscout/export..., see take_outcome.hpp).
//
// Failure and recovery: a stream that cannot be opened (server not running, device missing) or
// that dies (device unplugged, JACK server gone, stalled) is reported once per distinct problem
// as /mixscout/status error + log, and retried with exponential backoff (retry_min_s doubling
// up to retry_max_s). A lost stream ends the current take. A stream that comes back at another
// sample rate is logged ("sample rate changed") and the meters restart at the new rate.
// The process stays up throughout.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "audio/capture.hpp"
#include "monitor/live_meters.hpp"
#include "monitor/take.hpp"

namespace mixscout::config {
class Config;
}
namespace mixscout::osc {
class Sender;
}

namespace mixscout::monitor {

struct MonitorOptions {
    audio::CaptureOptions capture;
    LiveOptions live;
    TakeOptions take;
    double poll_s = 0.025;       ///< how often the monitor thread drains the ring
    double retry_min_s = 0.5;    ///< first retry after a failure; doubles ...
    double retry_max_s = 10.0;   ///< ... up to this
    std::string profile = "mix"; ///< delivery profile the takes are judged against
    std::string song;            ///< takes belong to this song; empty = the current song
};

/// The `monitor` section of the config (plus the profile's ceiling_dbtp and the clipping / true
/// peak rules' severities). Throws InputError for an unknown profile.
MonitorOptions monitor_options(const config::Config& cfg);

struct MonitorStats {
    std::uint64_t overflows = 0;       ///< periods dropped because the ring was full
    std::uint64_t dropped_frames = 0;
    std::uint64_t driver_xruns = 0;
    std::uint64_t frames = 0;          ///< frames analysed, all streams
    std::uint64_t meters = 0;          ///< /mixscout/meter sent
    std::uint64_t issues = 0;          ///< /mixscout/live_issue sent
    std::uint64_t takes = 0;           ///< takes handed to the handler
    std::uint64_t streams = 0;         ///< streams opened (1 + reconnections)
    int sample_rate = 0;               ///< of the current stream, 0 when none
};

class Monitor {
public:
    using TakeHandler = std::function<void(const Take& take)>;

    /// Validates the capture request (throws InputError: unknown API, bad channels); opens nothing.
    Monitor(MonitorOptions options, osc::Sender& sender, TakeHandler on_take);
    ~Monitor();  ///< stop()
    Monitor(const Monitor&) = delete;
    Monitor& operator=(const Monitor&) = delete;

    void start();
    /// Ends the current take (the handler runs on the monitor thread before this returns), closes
    /// the stream, joins. Idempotent.
    void stop();

    MonitorStats stats() const;
    /// Thread-safe: a stream is open and metering (false while waiting for a device or server).
    bool capturing() const { return sample_rate_.load() > 0; }
    /// Thread-safe: the options in force (for status lines).
    const MonitorOptions& options() const { return options_; }

private:
    void run();
    void stream(audio::Capture& capture);
    bool wait(double seconds);  // false when stopping
    void status(const std::string& state, const std::string& message);

    MonitorOptions options_;
    osc::Sender& sender_;
    TakeHandler on_take_;
    std::thread thread_;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool stopping_ = false;                  // guarded by mutex_ (the timed waits)
    std::atomic<bool> stop_requested_{false};  // the same, for the busy loop without the lock
    std::atomic<std::uint64_t> overflows_{0}, dropped_{0}, xruns_{0}, frames_{0}, meters_{0}, issues_{0}, takes_{0},
        streams_{0};
    std::atomic<int> sample_rate_{0};
};

}  // namespace mixscout::monitor
