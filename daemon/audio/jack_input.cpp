#include "audio/jack_input.hpp"

#if MIXSCOUT_HAVE_JACK

#include <jack/jack.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <mutex>
#include <thread>

namespace mixscout::audio {

namespace clock = std::chrono;

struct JackInput::State {
    jack_client_t* client = nullptr;
    std::vector<jack_port_t*> ports;
    std::vector<const float*> buffers;  // per port, refreshed each period
    std::vector<float> interleaved;     // scratch_frames x channels
    std::size_t scratch_frames = 0;
    PeriodSink sink = nullptr;
    std::atomic<void*> user{nullptr};  // cleared when a lost client outlives its Capture
    unsigned int rate = 0;
    std::atomic<bool> xrun{false};
    std::atomic<int> stop_reason{0};  // 0 running, 1 shut down, 2 sample rate changed
    std::atomic<clock::steady_clock::rep> stopped_at{0};
};

namespace {

enum StopReason { running = 0, shut_down = 1, rate_changed = 2 };

void silent(const char*) {}

/// libjack prints every failed connection attempt to stderr; the callers report failures.
void quiet_libjack() {
    static std::once_flag once;
    std::call_once(once, [] {
        jack_set_error_function(silent);
        jack_set_info_function(silent);
    });
}

/// Clients whose server went away, closed only once libjack's notification thread (which
/// delivered the shutdown) is surely done with them. They must be closed before the next
/// jack_client_open: libjack would otherwise close and delete them itself there
/// (JackLibGlobals::Init), behind the pointers kept here.
struct Lost {
    std::shared_ptr<JackInput::State> state;
};
std::mutex lost_mutex;
std::vector<Lost> lost;

constexpr clock::milliseconds notification_grace{500};

void close_lost_clients() {
    std::vector<Lost> todo;
    {
        std::lock_guard lock(lost_mutex);
        todo.swap(lost);
    }
    for (auto& l : todo) {
        const clock::steady_clock::time_point at{clock::steady_clock::duration{l.state->stopped_at.load()}};
        std::this_thread::sleep_until(at + notification_grace);  // bounded: at most the grace
        jack_client_close(l.state->client);
        l.state->client = nullptr;
    }
}

jack_client_t* open_client(const std::string& name) {
    quiet_libjack();
    close_lost_clients();
    jack_status_t status{};
    return jack_client_open(name.c_str(), JackNoStartServer, &status);
}

const char* kNoServer = "JACK server not running (start jackd, or choose another --api)";

int on_process(jack_nframes_t frames, void* arg) {
    auto& s = *static_cast<JackInput::State*>(arg);
    void* user = s.user.load(std::memory_order_acquire);
    if (!user) return 0;
    const std::size_t ch = s.ports.size();
    for (std::size_t c = 0; c < ch; ++c)
        s.buffers[c] = static_cast<const float*>(jack_port_get_buffer(s.ports[c], frames));
    for (std::size_t done = 0; done < frames;) {
        const std::size_t n = std::min<std::size_t>(frames - done, s.scratch_frames);
        float* out = s.interleaved.data();
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t c = 0; c < ch; ++c) *out++ = s.buffers[c][done + i];
        s.sink(user, s.interleaved.data(), n, s.xrun.exchange(false, std::memory_order_relaxed));
        done += n;
    }
    return 0;
}

void mark_stopped(JackInput::State& s, int reason) {
    int expected = running;
    if (s.stop_reason.compare_exchange_strong(expected, reason))
        s.stopped_at.store(clock::steady_clock::now().time_since_epoch().count());
}

// libjack's notification thread: raise the flag, nothing else (closing here is what crashed).
void on_shutdown(jack_status_t, const char*, void* arg) { mark_stopped(*static_cast<JackInput::State*>(arg), shut_down); }

int on_xrun(void* arg) {
    static_cast<JackInput::State*>(arg)->xrun.store(true, std::memory_order_relaxed);
    return 0;
}

int on_sample_rate(jack_nframes_t rate, void* arg) {
    auto& s = *static_cast<JackInput::State*>(arg);
    if (s.rate != 0 && rate != s.rate) mark_stopped(s, rate_changed);
    return 0;
}

std::string client_of(const std::string& port) { return port.substr(0, port.find(':')); }

/// The audio output ports of the server, in its order, without `self`'s.
std::vector<std::string> output_ports(jack_client_t* client, const std::string& self) {
    std::vector<std::string> out;
    const char** ports = jack_get_ports(client, nullptr, JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput);
    if (!ports) return out;
    for (const char** p = ports; *p; ++p)
        if (client_of(*p) != self) out.emplace_back(*p);
    jack_free(ports);
    return out;
}

}  // namespace

std::vector<DeviceInfo> jack_devices(const std::string& client_name) {
    jack_client_t* client = open_client(client_name);
    if (!client) return {};
    const unsigned int rate = jack_get_sample_rate(client);
    std::vector<DeviceInfo> out;
    for (const auto& port : output_ports(client, jack_get_client_name(client))) {
        const std::string name = client_of(port);
        auto it = std::find_if(out.begin(), out.end(), [&](const DeviceInfo& d) { return d.name == name; });
        if (it == out.end()) {
            DeviceInfo d;
            d.index = static_cast<unsigned int>(out.size());
            d.name = name;
            d.sample_rates = {rate};
            d.preferred_sample_rate = rate;
            d.is_default = out.empty();
            out.push_back(std::move(d));
            it = out.end() - 1;
        }
        ++it->input_channels;
    }
    jack_client_close(client);
    return out;
}

JackInput::JackInput(const std::string& client_name, const std::string& device, unsigned int first_port,
                     unsigned int channels, PeriodSink sink, void* user)
    : state_(std::make_shared<State>()) {
    auto& s = *state_;
    s.sink = sink;
    s.user.store(user);
    s.client = open_client(client_name);
    if (!s.client) throw CaptureError(std::string("jack: ") + kNoServer);
    auto fail = [&](const std::string& why) {
        jack_client_close(s.client);
        s.client = nullptr;
        return CaptureError("jack '" + device + "': " + why);
    };
    std::vector<std::string> sources;
    for (const auto& port : output_ports(s.client, jack_get_client_name(s.client)))
        if (client_of(port) == device) sources.push_back(port);
    if (sources.size() < first_port + channels)
        throw fail("has " + std::to_string(sources.size()) + " output port(s), " + std::to_string(first_port + channels) +
                   " needed");
    s.rate = jack_get_sample_rate(s.client);
    s.scratch_frames = std::max<std::size_t>(jack_get_buffer_size(s.client), 1024);
    s.interleaved.assign(s.scratch_frames * channels, 0.0f);
    s.buffers.assign(channels, nullptr);
    for (unsigned int c = 0; c < channels; ++c) {
        const std::string label = "inport " + std::to_string(c);
        jack_port_t* port = jack_port_register(s.client, label.c_str(), JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
        if (!port) throw fail("cannot register port '" + label + "'");
        s.ports.push_back(port);
    }
    jack_set_process_callback(s.client, on_process, &s);
    jack_set_xrun_callback(s.client, on_xrun, &s);
    jack_set_sample_rate_callback(s.client, on_sample_rate, &s);
    jack_on_info_shutdown(s.client, on_shutdown, &s);
    if (jack_activate(s.client) != 0) throw fail("cannot activate the client");
    for (unsigned int c = 0; c < channels; ++c) {
        const int r = jack_connect(s.client, sources[first_port + c].c_str(), jack_port_name(s.ports[c]));
        if (r != 0 && r != EEXIST) {
            jack_deactivate(s.client);
            throw fail("cannot connect " + sources[first_port + c]);
        }
    }
}

JackInput::~JackInput() {
    auto& s = *state_;
    if (!s.client) return;
    if (s.stop_reason.load() == shut_down) {
        // The server let go of us from libjack's notification thread, which may still be
        // running: close later (close_lost_clients), never concurrently with it.
        s.user.store(nullptr, std::memory_order_release);
        std::lock_guard lock(lost_mutex);
        lost.push_back({state_});
        return;
    }
    jack_deactivate(s.client);
    jack_client_close(s.client);
    s.client = nullptr;
}

unsigned int JackInput::sample_rate() const { return state_->rate; }
unsigned int JackInput::buffer_frames() const { return state_->client ? jack_get_buffer_size(state_->client) : 0; }
bool JackInput::stopped() const { return state_->stop_reason.load() != running; }

std::string JackInput::why() const {
    switch (state_->stop_reason.load()) {
        case shut_down: return "the JACK server shut the client down (server stopped, or the client was too slow)";
        case rate_changed: return "the JACK server's sample rate changed";
        default: return "";
    }
}

}  // namespace mixscout::audio

#endif  // MIXSCOUT_HAVE_JACK
