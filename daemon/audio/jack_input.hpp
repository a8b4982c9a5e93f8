// mixscout audio: capture from a JACK server through libjack itself (`--api jack`), used by
// audio::Capture in place of RtAudio's JACK glue. Every other API still goes through RtAudio.
//
// Why not RtAudio here: RtAudio 5.2's JACK shutdown handler closes the client from a thread it
// starts inside libjack's shutdown notification. With jack2 1.9.21 that close races libjack's
// own notification thread, which jack_client_close cancels asynchronously: on this machine, one
// server stop in 23 under load (and 3 of 9 loaded test-suite runs) ended the monitor with SIGSEGV
// or deadlocked it for good (gdb: two jack_client_close calls waiting on libjack's open and synchro
// mutexes, the second held by the cancelled thread). Here the shutdown callback only raises a
// flag; the lost client is closed later, on the owner's thread, before the next client opens and
// at least 500 ms after it was let go, when libjack's notification thread has normally finished
// with it (jack_input.cpp). That is a grace, not a guarantee: a server that stays up after its
// driver failed keeps that thread alive, and any jack2 close cancels it (a hazard of jack2's own).
//
// Devices are named as RtAudio names them: a JACK client with audio output ports ("system"),
// its ports numbered in the server's order, the first listed client the default. Our input
// ports are "<client_name>:inport 0", "inport 1", ..., each connected to one device port.
//
// Real-time contract: the process callback fetches the port buffers, interleaves them into a
// buffer allocated at open, and calls the sink; no allocation, lock, log or system call. A
// period longer than that buffer (the server's buffer size grew) is passed on in pieces.
//
// Threading: construct and destroy on one thread (not real-time); `stopped()` from any thread.
#pragma once
#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "audio/capture.hpp"

namespace mixscout::audio {

/// Where captured periods go: `frames` frames of interleaved floats, `channels` per frame (as
/// opened); `xrun` when the server reported an xrun since the previous period. Real-time thread.
using PeriodSink = void (*)(void* user, const float* interleaved, std::size_t frames, bool xrun) noexcept;

/// The server's recordable devices (clients with audio output ports), or empty when no server
/// runs. A short-lived client "<client_name>-probe" asks (its own ports are left out).
std::vector<DeviceInfo> jack_devices(const std::string& client_name);

class JackInput {
public:
    /// Opens client `client_name`, registers `channels` input ports, activates, and connects them
    /// to ports first_port .. first_port + channels - 1 of `device`. Throws CaptureError.
    JackInput(const std::string& client_name, const std::string& device, unsigned int first_port, unsigned int channels,
              PeriodSink sink, void* user);
    ~JackInput();
    JackInput(const JackInput&) = delete;
    JackInput& operator=(const JackInput&) = delete;

    unsigned int sample_rate() const;
    unsigned int buffer_frames() const;
    /// True once the server shut the client down (server stopped, client kicked out) or changed
    /// its sample rate under it; why() says which.
    bool stopped() const;
    std::string why() const;

    // ---- details below ----
    struct State;

private:
    std::shared_ptr<State> state_;
};

}  // namespace mixscout::audio
