#include "audio/capture.hpp"

#include "audio/jack_input.hpp"

#include <RtAudio.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <memory>
#include <utility>
#include <thread>

// RtAudio 6 (Homebrew, vcpkg) reports errors by return value and callback instead of exceptions
// and names devices by id rather than by index; 5.x (Debian 12) is what CI builds against.
#if defined(RTAUDIO_VERSION_MAJOR) && RTAUDIO_VERSION_MAJOR >= 6
#define MIXSCOUT_RTAUDIO6 1
#else
#define MIXSCOUT_RTAUDIO6 0
#endif

namespace mixscout::audio {

namespace {

/// A new RtAudio for `api`; RtAudio 6 prints problems to stderr unless an error callback is set
/// (the callers report failures themselves, from getErrorText()).
std::unique_ptr<RtAudio> make_rtaudio(RtAudio::Api api) {
#if MIXSCOUT_RTAUDIO6
    auto rt = std::make_unique<RtAudio>(api, [](RtAudioErrorType, const std::string&) {});
#else
    auto rt = std::make_unique<RtAudio>(api);
#endif
    rt->showWarnings(false);
    return rt;
}

/// Every device RtAudio can describe, with the id that opens it (5.x: its index).
std::vector<std::pair<unsigned int, RtAudio::DeviceInfo>> all_devices(RtAudio& rt) {
    std::vector<std::pair<unsigned int, RtAudio::DeviceInfo>> out;
#if MIXSCOUT_RTAUDIO6
    for (unsigned int id : rt.getDeviceIds()) out.emplace_back(id, rt.getDeviceInfo(id));
#else
    const unsigned int n = rt.getDeviceCount();
    for (unsigned int i = 0; i < n; ++i) {
        try {
            RtAudio::DeviceInfo info = rt.getDeviceInfo(i);
            if (info.probed) out.emplace_back(i, std::move(info));
        } catch (const RtAudioError&) {
        }
    }
#endif
    return out;
}

struct ApiName {
    RtAudio::Api api;
    const char* name;
};
constexpr ApiName api_names[] = {
    {RtAudio::UNIX_JACK, "jack"},        {RtAudio::LINUX_ALSA, "alsa"},  {RtAudio::LINUX_PULSE, "pulse"},
    {RtAudio::MACOSX_CORE, "core"},      {RtAudio::WINDOWS_WASAPI, "wasapi"}, {RtAudio::WINDOWS_ASIO, "asio"},
    {RtAudio::WINDOWS_DS, "ds"},         {RtAudio::LINUX_OSS, "oss"},
};

const char* our_name(RtAudio::Api api) {
    for (const auto& a : api_names)
        if (a.api == api) return a.name;
    return "unknown";
}

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

std::vector<RtAudio::Api> apis_compiled() {
    std::vector<RtAudio::Api> apis;
    RtAudio::getCompiledApi(apis);
    apis.erase(std::remove(apis.begin(), apis.end(), RtAudio::RTAUDIO_DUMMY), apis.end());
    return apis;
}

/// The API's devices that can be recorded: inputs, and on WASAPI every output as well, which
/// RtAudio (>= 5.1) opens as loopback capture of what plays there (Live's master, no driver).
std::vector<DeviceInfo> probe_inputs(RtAudio& rt) {
    std::vector<DeviceInfo> out;
    const bool wasapi = rt.getCurrentApi() == RtAudio::WINDOWS_WASAPI;
    for (const auto& [id, info] : all_devices(rt)) {
        const bool loopback = wasapi && info.inputChannels == 0 && info.outputChannels > 0;
        if (info.inputChannels == 0 && !loopback) continue;
        DeviceInfo d;
        d.index = id;
        d.name = loopback ? info.name + " (loopback)" : info.name;
        d.input_channels = loopback ? info.outputChannels : info.inputChannels;
        d.sample_rates = info.sampleRates;
        d.preferred_sample_rate = info.preferredSampleRate;
        d.is_default = info.isDefaultInput;
        d.loopback = loopback;
        out.push_back(std::move(d));
    }
    return out;
}

std::string why_no_devices(RtAudio::Api api) {
    if (api == RtAudio::UNIX_JACK) return "JACK server not running (start jackd, or choose another --api)";
    if (api == RtAudio::LINUX_PULSE) return "PulseAudio/PipeWire server not reachable";
    return "no input devices";
}

int rt_callback(void* /*out*/, void* in, unsigned int frames, double /*time*/, RtAudioStreamStatus status,
                void* user) {
    static_cast<Capture*>(user)->on_period(static_cast<const float*>(in), frames, (status & RTAUDIO_INPUT_OVERFLOW) != 0);
    return 0;
}

#if MIXSCOUT_HAVE_JACK
/// JACK goes through libjack itself (audio/jack_input.hpp says why), every other API through RtAudio.
bool own_backend(RtAudio::Api api) { return api == RtAudio::UNIX_JACK; }
#else
bool own_backend(RtAudio::Api) { return false; }
#endif

/// The API's recordable devices (throws RtAudioError on RtAudio 5 when it cannot probe).
std::vector<DeviceInfo> probe_api(RtAudio::Api api, const std::string& client_name) {
    if (own_backend(api)) return jack_devices(client_name);
    return probe_inputs(*make_rtaudio(api));
}

}  // namespace

std::vector<ApiDevices> list_devices() {
    std::vector<ApiDevices> out;
    for (auto api : apis_compiled()) {
        ApiDevices d;
        d.api = our_name(api);
        d.display_name = RtAudio::getApiDisplayName(api);
#if MIXSCOUT_RTAUDIO6
        d.inputs = probe_api(api, CaptureOptions{}.client_name);
        if (d.inputs.empty()) d.error = why_no_devices(api);
#else
        try {
            d.inputs = probe_api(api, CaptureOptions{}.client_name);
            if (d.inputs.empty()) d.error = why_no_devices(api);
        } catch (const RtAudioError& e) {
            d.error = e.getMessage();
        }
#endif
        out.push_back(std::move(d));
    }
    return out;
}

void validate(const CaptureOptions& o) {
    if (o.channels.empty() || o.channels.size() > 2)
        throw InputError("--channels: give one channel (mono) or two (left,right), 1-based, e.g. 1,2");
    for (int c : o.channels)
        if (c < 1 || c > 256) throw InputError("--channels: channel " + std::to_string(c) + " is out of range 1..256");
    if (o.api.empty() || o.api == "auto") return;
    const auto compiled = apis_compiled();
    auto it = std::find_if(std::begin(api_names), std::end(api_names), [&](const ApiName& a) { return o.api == a.name; });
    if (it == std::end(api_names) || std::find(compiled.begin(), compiled.end(), it->api) == compiled.end()) {
        std::string have;
        for (auto a : compiled) have += (have.empty() ? "" : ", ") + std::string(our_name(a));
        throw InputError("--api " + o.api + ": not available in this build (have: " + have + ")");
    }
}

Capture::Capture(const CaptureOptions& o) : stall_s_(o.stall_s) {
    validate(o);
    std::vector<RtAudio::Api> candidates = apis_compiled();
    if (!o.api.empty() && o.api != "auto") {
        auto it = std::find_if(std::begin(api_names), std::end(api_names), [&](const ApiName& a) { return o.api == a.name; });
        candidates = {it->api};
    }

    // Find the API and device.
    std::string why;
    for (auto api : candidates) {
        std::vector<DeviceInfo> inputs;
#if MIXSCOUT_RTAUDIO6
        inputs = probe_api(api, o.client_name);
#else
        try {
            inputs = probe_api(api, o.client_name);
        } catch (const RtAudioError& e) {
            why += (why.empty() ? "" : "; ") + std::string(our_name(api)) + ": " + e.getMessage();
            continue;
        }
#endif
        if (inputs.empty()) {
            why += (why.empty() ? "" : "; ") + std::string(our_name(api)) + ": " + why_no_devices(api);
            continue;
        }
        const DeviceInfo* dev = nullptr;
        if (!o.device.empty()) {
            const std::string want = lower(o.device);
            for (const auto& d : inputs)
                if (lower(d.name) == want) dev = &d;
            if (!dev)
                for (const auto& d : inputs)
                    if (lower(d.name).find(want) != std::string::npos) {
                        dev = &d;
                        break;
                    }
            if (!dev) {
                // The device may come back (unplugged, or its JACK client not started yet): retry.
                std::string have;
                for (const auto& d : inputs) have += (have.empty() ? "" : ", ") + d.name;
                why += (why.empty() ? "" : "; ") + std::string(our_name(api)) + ": no input device matching '" + o.device +
                       "' (have: " + have + ")";
                continue;
            }
        } else {
            for (const auto& d : inputs)
                if (d.is_default) dev = &d;
            if (!dev) dev = &inputs.front();
        }
        const int lo = *std::min_element(o.channels.begin(), o.channels.end());
        const int hi = *std::max_element(o.channels.begin(), o.channels.end());
        if (static_cast<unsigned int>(hi) > dev->input_channels)
            throw InputError("--channels: '" + dev->name + "' has " + std::to_string(dev->input_channels) +
                             " input channel(s), channel " + std::to_string(hi) + " asked for");
        unsigned int rate = dev->preferred_sample_rate;
        if (rate == 0 && !dev->sample_rates.empty()) {
            // Prefer 48 kHz, then 44.1 kHz, then the highest the device offers.
            const auto& r = dev->sample_rates;
            rate = std::find(r.begin(), r.end(), 48000u) != r.end()   ? 48000u
                   : std::find(r.begin(), r.end(), 44100u) != r.end() ? 44100u
                                                                      : *std::max_element(r.begin(), r.end());
        }
        if (rate == 0) rate = 48000;

        device_channels_ = hi - lo + 1;
        for (int c : o.channels) picks_.push_back(c - lo);
        sample_rate_ = static_cast<int>(rate);
        api_ = our_name(api);
        device_name_ = dev->name;
        const auto ring_frames = static_cast<std::size_t>(std::ceil(std::max(0.1, o.ring_s) * rate));
        ring_ = std::make_unique<SpscRing<float>>(ring_frames * picks_.size());

        if (own_backend(api)) {
            jack_ = std::make_unique<JackInput>(
                o.client_name, dev->name, static_cast<unsigned int>(lo - 1), static_cast<unsigned int>(device_channels_),
                [](void* user, const float* in, std::size_t n, bool xrun) noexcept { static_cast<Capture*>(user)->on_period(in, n, xrun); },
                this);
            if (jack_->sample_rate() != rate) {  // the server restarted at another rate since the probe
                jack_.reset();
                throw CaptureError("jack '" + dev->name + "': the server's sample rate changed while opening");
            }
            buffer_frames_ = jack_->buffer_frames();
            last_progress_ = std::chrono::steady_clock::now();
            return;
        }
        auto rt = make_rtaudio(api);
        RtAudio::StreamParameters in;
        in.deviceId = dev->index;
        in.nChannels = static_cast<unsigned int>(device_channels_);
        in.firstChannel = static_cast<unsigned int>(lo - 1);
        RtAudio::StreamOptions so;
        so.streamName = o.client_name;
        so.flags = RTAUDIO_SCHEDULE_REALTIME;
        so.numberOfBuffers = 4;
        unsigned int frames = o.buffer_frames;
#if MIXSCOUT_RTAUDIO6
        RtAudioErrorType opened = rt->openStream(nullptr, &in, RTAUDIO_FLOAT32, rate, &frames, &rt_callback, this, &so);
        if (opened == RTAUDIO_NO_ERROR) {
            buffer_frames_ = frames;
            last_progress_ = std::chrono::steady_clock::now();
            opened = rt->startStream();
        }
        if (opened != RTAUDIO_NO_ERROR) {
            const std::string error = rt->getErrorText();
            if (rt->isStreamOpen()) rt->closeStream();
            throw CaptureError(std::string(our_name(api)) + " '" + dev->name + "': cannot open the input stream: " + error);
        }
#else
        try {
            rt->openStream(nullptr, &in, RTAUDIO_FLOAT32, rate, &frames, &rt_callback, this, &so);
            buffer_frames_ = frames;
            last_progress_ = std::chrono::steady_clock::now();
            rt->startStream();
        } catch (const RtAudioError& e) {
            if (rt->isStreamOpen()) rt->closeStream();
            throw CaptureError(std::string(our_name(api)) + " '" + dev->name + "': cannot open the input stream: " +
                               e.getMessage());
        }
#endif
        rt_ = std::move(rt);
        return;
    }
    throw CaptureError(why.empty() ? "no audio API compiled in" : why);
}

Capture::~Capture() {
    jack_.reset();
    if (!rt_) return;
    // A JACK server that went away makes RtAudio close the stream from a thread of its own; let it
    // finish rather than close the same stream concurrently (bounded: 1 s).
    if (!failure_.empty())
        for (int i = 0; i < 100 && rt_->isStreamOpen(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
#if MIXSCOUT_RTAUDIO6
    if (rt_->isStreamRunning()) rt_->abortStream();
    if (rt_->isStreamOpen()) rt_->closeStream();
#else
    try {
        if (rt_->isStreamRunning()) rt_->abortStream();
        if (rt_->isStreamOpen()) rt_->closeStream();
    } catch (const RtAudioError&) {
        // Closing a stream whose server is gone: nothing left to release.
    }
#endif
}

void Capture::on_period(const float* input, std::size_t frames, bool driver_overflow) noexcept {
    if (driver_overflow) xruns_.fetch_add(1, std::memory_order_relaxed);
    frames_.fetch_add(frames, std::memory_order_relaxed);
    if (!input) return;
    const std::size_t out_ch = picks_.size();
    const std::size_t n = frames * out_ch;
    auto w = ring_->prepare_write(n);
    if (w.size() < n) {  // keep frames whole: drop the period
        overflows_.fetch_add(1, std::memory_order_relaxed);
        dropped_frames_.fetch_add(frames, std::memory_order_relaxed);
        return;
    }
    const std::size_t in_ch = static_cast<std::size_t>(device_channels_);
    if (in_ch == out_ch && (out_ch == 1 || picks_[0] == 0)) {
        std::copy_n(input, w.first.size(), w.first.data());
        std::copy_n(input + w.first.size(), w.second.size(), w.second.data());
    } else {
        for (std::size_t i = 0; i < n; ++i) {
            const float x = input[(i / out_ch) * in_ch + static_cast<std::size_t>(picks_[i % out_ch])];
            (i < w.first.size() ? w.first[i] : w.second[i - w.first.size()]) = x;
        }
    }
    ring_->commit_write(n);
}

std::size_t Capture::read(float* out, std::size_t max_frames) {
    const std::size_t ch = picks_.size();
    return ring_->read(out, max_frames * ch) / ch;
}

bool Capture::healthy() {
    if (!failure_.empty()) return false;
    const auto now = std::chrono::steady_clock::now();
    if (jack_ && jack_->stopped()) {
        failure_ = api_ + " '" + device_name_ + "': " + jack_->why();
        return false;
    }
    if (!jack_ && (!rt_ || !rt_->isStreamOpen())) {
        failure_ = api_ + " '" + device_name_ + "': the stream was closed (device gone or audio server stopped)";
        return false;
    }
    const std::uint64_t seen = frames_.load(std::memory_order_relaxed);
    if (seen != last_frames_seen_) {
        last_frames_seen_ = seen;
        last_progress_ = now;
        return true;
    }
    if (std::chrono::duration<double>(now - last_progress_).count() > stall_s_) {
        failure_ = api_ + " '" + device_name_ + "': no audio for " + std::to_string(static_cast<int>(stall_s_)) +
                   " s (device stalled or removed)";
        return false;
    }
    return true;
}

std::string Capture::failure() const { return failure_; }

}  // namespace mixscout::audio
