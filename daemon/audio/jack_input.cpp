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
    std::atomic<void*> user{nullptr};  // cleared before a Capture goes (its client may live on)
    std::atomic<int> in_callback{0};   // process callbacks running now (user may be in use)
    unsigned int rate = 0;
    std::atomic<bool> xrun{false};
    std::atomic<bool> shut_down{false};     // the server let go of the client (its thread may still run)
    std::atomic<bool> rate_changed{false};  // the server's rate moved under us
    clock::steady_clock::time_point queued_at{};
};

namespace {

void silent(const char*) {}

/// libjack prints every failed connection attempt to stderr; the callers report failures.
void quiet_libjack() {
    static std::once_flag once;
    std::call_once(once, [] {
        jack_set_error_function(silent);
        jack_set_info_function(silent);
    });
}

/// Clients the server let go of, closed only once libjack's notification thread (which
/// delivered the shutdown) has had time to finish with them; closing from inside or beside it is
/// what crashed. They must be closed before the next jack_client_open, which would otherwise close
/// and delete them itself (jack2's JackLibGlobals::Init) behind the pointers kept here: one mutex
/// holds across both. Leaked on purpose: at exit, libjack's threads may still hold a State.
struct Lost {
    std::shared_ptr<JackInput::State> state;
};
std::mutex& open_mutex = *new std::mutex;
std::vector<Lost>& lost = *new std::vector<Lost>;

constexpr clock::milliseconds notification_grace{500};

/// Under open_mutex.
void close_lost_clients() {
    for (auto& l : lost) {
        std::this_thread::sleep_until(l.state->queued_at + notification_grace);  // bounded by the grace
        jack_client_close(l.state->client);
        l.state->client = nullptr;
    }
    lost.clear();
}

/// Lets go of a client: closed now, or queued when the server let go of it first.
void release(JackInput::State& s, const std::shared_ptr<JackInput::State>& owner) {
    if (!s.client) return;
    s.user.store(nullptr);
    while (s.in_callback.load() != 0) std::this_thread::yield();  // a period in flight: microseconds
    std::lock_guard lock(open_mutex);
    if (s.shut_down.load()) {
        s.queued_at = clock::steady_clock::now();
        lost.push_back({owner});
        return;
    }
    jack_deactivate(s.client);
    jack_client_close(s.client);
    s.client = nullptr;
}

jack_client_t* open_client(const std::string& name) {
    quiet_libjack();
    std::lock_guard lock(open_mutex);
    close_lost_clients();
    jack_status_t status{};
    return jack_client_open(name.c_str(), JackNoStartServer, &status);
}

const char* kNoServer = "JACK server not running (start jackd, or choose another --api)";

int on_process(jack_nframes_t frames, void* arg) {
    auto& s = *static_cast<JackInput::State*>(arg);
    s.in_callback.fetch_add(1);
    void* user = s.user.load();
    const std::size_t ch = s.ports.size();
    bool have = user != nullptr;
    for (std::size_t c = 0; c < ch && have; ++c) {
        s.buffers[c] = static_cast<const float*>(jack_port_get_buffer(s.ports[c], frames));
        have = s.buffers[c] != nullptr;
    }
    for (std::size_t done = 0; have && done < frames;) {
        const std::size_t n = std::min<std::size_t>(frames - done, s.scratch_frames);
        float* out = s.interleaved.data();
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t c = 0; c < ch; ++c) *out++ = s.buffers[c][done + i];
        s.sink(user, s.interleaved.data(), n, s.xrun.exchange(false, std::memory_order_relaxed));
        done += n;
    }
    s.in_callback.fetch_sub(1);
    return 0;
}

// libjack's notification thread: raise the flag, nothing else (closing here is what crashed).
void on_shutdown(jack_status_t, const char*, void* arg) { static_cast<JackInput::State*>(arg)->shut_down.store(true); }

int on_xrun(void* arg) {
    static_cast<JackInput::State*>(arg)->xrun.store(true, std::memory_order_relaxed);
    return 0;
}

int on_sample_rate(jack_nframes_t rate, void* arg) {
    auto& s = *static_cast<JackInput::State*>(arg);
    if (s.rate != 0 && rate != s.rate) s.rate_changed.store(true);
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
    jack_client_t* client = open_client(client_name + "-probe");
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
    std::lock_guard lock(open_mutex);
    jack_client_close(client);  // never activated: no process thread, nothing the server holds on to
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
        release(s, state_);
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
        if (r != 0 && r != EEXIST) throw fail("cannot connect " + sources[first_port + c]);
    }
}

JackInput::~JackInput() { release(*state_, state_); }

unsigned int JackInput::sample_rate() const { return state_->rate; }
unsigned int JackInput::buffer_frames() const { return state_->client ? jack_get_buffer_size(state_->client) : 0; }
bool JackInput::stopped() const { return state_->shut_down.load() || state_->rate_changed.load(); }

std::string JackInput::why() const {
    if (state_->shut_down.load()) return "the JACK server shut the client down (server stopped, or the client was too slow)";
    if (state_->rate_changed.load()) return "the JACK server's sample rate changed";
    return "";
}

}  // namespace mixscout::audio

#else  // !MIXSCOUT_HAVE_JACK

// Built without libjack (Windows; Linux without jack.pc): Capture never picks this backend
// (own_backend() is false there); the definitions keep Capture's layout and link the same.
namespace mixscout::audio {

struct JackInput::State {};
std::vector<DeviceInfo> jack_devices(const std::string&) { return {}; }
JackInput::JackInput(const std::string&, const std::string&, unsigned int, unsigned int, PeriodSink, void*) {
    throw CaptureError("jack: this build has no libjack");
}
JackInput::~JackInput() = default;
unsigned int JackInput::sample_rate() const { return 0; }
unsigned int JackInput::buffer_frames() const { return 0; }
bool JackInput::stopped() const { return true; }
std::string JackInput::why() const { return "this build has no libjack"; }

}  // namespace mixscout::audio

#endif  // MIXSCOUT_HAVE_JACK
