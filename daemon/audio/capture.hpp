// mixscout audio: live capture of an input device (RtAudio; JACK through libjack itself, see
// audio/jack_input.hpp) into a lock-free ring.
//
//   audio::Capture cap(audio::CaptureOptions{.api = "jack"});   // opens and starts; throws
//   while (running) { float buf[4096]; std::size_t n = cap.read(buf, 2048); ... }   // frames
//
// Real-time contract: the audio callback (capture.cpp, on RtAudio's / the audio server's thread)
// only copies the selected channels of each period into a preallocated SpscRing and updates
// atomic counters. It never allocates, locks, logs or makes a system call. When the ring has no
// room for a whole period (the consumer stalled), the period is dropped and counted in
// overflows(): meters then miss that audio but the stream stays time-aligned within a period.
//
// What the consumer sees: interleaved float frames of channels() channels (1 or 2), full scale
// 1.0, at sample_rate() Hz. `channels` picks device channels (1-based): {1, 2} is the first pair,
// {3, 4} the second, {5} one mono channel. Non-adjacent picks open every channel in between and
// copy only the picked ones.
//
// Failure: a device or server that cannot be opened throws CaptureError (retry later) or
// InputError (the request itself is wrong: unknown API, no such device, bad channels). A stream
// that dies while running (device unplugged, JACK server gone) is seen by the owner through
// healthy(): false once RtAudio closed the stream (JACK: the server shut the client down),
// reported an error, or no period arrived for
// stall_s. The owner then destroys the Capture and opens a new one (see monitor/monitor.hpp).
//
// Threading: construct, read and destroy from one thread (the consumer); the callback runs on
// the audio thread. Opening takes the RtAudio probe path (tens of ms, allocations): never from
// a real-time thread.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "audio/spsc_ring.hpp"
#include "core/error.hpp"

class RtAudio;

namespace mixscout::audio {

class JackInput;

/// The device or audio server is not usable right now (not running, unplugged, busy): retry.
class CaptureError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct CaptureOptions {
    std::string api = "auto";            ///< auto | jack | alsa | pulse | core | wasapi (auto: RtAudio's first compiled API with an input)
    std::string device;                  ///< device name or a part of it (case-insensitive); empty = the API's default input
    std::vector<int> channels = {1, 2};  ///< 1-based device channels: one (mono) or two (left, right)
    unsigned int buffer_frames = 256;    ///< period size asked for (JACK uses the server's)
    double ring_s = 4.0;                 ///< ring capacity in seconds of audio: how long the consumer may stall
    double stall_s = 2.0;                ///< no period for this long while running = the stream is dead
    std::string client_name = "mixscout";  ///< JACK client name (ports "<name>:inport 0", ...)
};

/// One input-capable device as RtAudio reports it.
struct DeviceInfo {
    unsigned int index = 0;  ///< what opens it: RtAudio 5's device index, RtAudio 6's device id
    std::string name;
    unsigned int input_channels = 0;
    std::vector<unsigned int> sample_rates;
    unsigned int preferred_sample_rate = 0;
    bool is_default = false;
    bool loopback = false;  ///< WASAPI: an output device, recorded as what it plays (name ends " (loopback)")
};

/// The devices of one compiled API (error set instead when it could not be probed).
struct ApiDevices {
    std::string api;                 ///< "jack", "alsa", ... (our names)
    std::string display_name;        ///< RtAudio's display name ("Jack", "ALSA", ...)
    std::vector<DeviceInfo> inputs;  ///< devices with at least one input channel, and WASAPI loopbacks
    std::string error;               ///< e.g. "JACK server not running"
};

/// Checks what can be checked without opening anything: the API is compiled in, the channels
/// are one or two in 1..256. Throws InputError.
void validate(const CaptureOptions& options);

/// Lists input devices per compiled API (probes each; never throws for an API that fails).
std::vector<ApiDevices> list_devices();

class Capture {
public:
    /// Opens and starts the stream. Throws InputError (bad request) or CaptureError (retry).
    explicit Capture(const CaptureOptions& options);
    ~Capture();
    Capture(const Capture&) = delete;
    Capture& operator=(const Capture&) = delete;

    int sample_rate() const { return sample_rate_; }
    int channels() const { return static_cast<int>(picks_.size()); }
    unsigned int buffer_frames() const { return buffer_frames_; }
    const std::string& api() const { return api_; }
    const std::string& device_name() const { return device_name_; }

    /// Copies up to max_frames captured frames (interleaved) into out; returns frames copied.
    std::size_t read(float* out, std::size_t max_frames);

    /// Periods dropped because the ring was full / frames in them.
    std::uint64_t overflows() const { return overflows_.load(std::memory_order_relaxed); }
    std::uint64_t dropped_frames() const { return dropped_frames_.load(std::memory_order_relaxed); }
    /// Input overflows the driver reported (xruns before our callback).
    std::uint64_t driver_xruns() const { return xruns_.load(std::memory_order_relaxed); }

    /// False once the stream died (closed by the server, error reported, or silent for stall_s).
    /// Consumer thread only (it reads RtAudio's state and the clock).
    bool healthy();
    /// Why it is not healthy (empty while healthy).
    std::string failure() const;

    /// The callback, public for the allocation test: copies a period into the ring.
    /// input: frames x device_channels_ interleaved floats.
    void on_period(const float* input, std::size_t frames, bool driver_overflow) noexcept;

private:
    std::unique_ptr<RtAudio> rt_;
    std::unique_ptr<JackInput> jack_;  // --api jack instead of rt_ (audio/jack_input.hpp); closed first in ~Capture
    std::string api_, device_name_;
    int sample_rate_ = 0;
    unsigned int buffer_frames_ = 0;
    int device_channels_ = 0;        // channels opened on the device (first pick .. last pick)
    std::vector<int> picks_;         // indices into the opened channels, per output channel
    std::unique_ptr<SpscRing<float>> ring_;  // sized once the rate is known
    double stall_s_ = 2.0;
    std::atomic<std::uint64_t> overflows_{0}, dropped_frames_{0}, xruns_{0}, frames_{0};
    std::uint64_t last_frames_seen_ = 0;
    std::chrono::steady_clock::time_point last_progress_;
    std::string failure_;
};

}  // namespace mixscout::audio
