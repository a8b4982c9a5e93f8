#include "monitor/take.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "core/units.hpp"

namespace mixscout::monitor {

namespace {

constexpr std::uint64_t fnv_offset = 0xcbf29ce484222325ULL;

std::uint64_t fnv1a(std::uint64_t h, const float* data, std::size_t n) {
    const auto* p = reinterpret_cast<const unsigned char*>(data);
    for (std::size_t i = 0; i < n * sizeof(float); ++i) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

analysis::AnalyzeOptions take_analysis_options() {
    analysis::AnalyzeOptions o;
    o.threads = 1;  // the monitor's own thread; the meters already run here
    o.keep_series = true;
    return o;
}

}  // namespace

TakeRecorder::TakeRecorder(int sample_rate, int channels, TakeOptions options)
    : sample_rate_(sample_rate),
      channels_(channels),
      options_(options),
      threshold_(static_cast<float>(db_to_amplitude(options.silence_dbfs))),
      analyzer_(std::make_unique<analysis::Analyzer>(sample_rate, channels, take_analysis_options())),
      held_(static_cast<std::size_t>(std::ceil(options.end_silence_s * sample_rate)) * static_cast<std::size_t>(channels)) {}

TakeRecorder::~TakeRecorder() = default;

void TakeRecorder::feed(const audio::Block& block) {
    analyzer_->push(block);
    hash_ = fnv1a(hash_, block.interleaved.data(), block.interleaved.size());
}

std::optional<Take> TakeRecorder::push(const audio::Block& block) {
    const std::size_t n = block.interleaved.size();
    float peak = 0.0f;
    for (float x : block.interleaved) peak = std::max(peak, std::fabs(x));
    const bool sound = peak > threshold_;
    std::optional<Take> done;
    if (sound) {
        if (!taking_) {
            taking_ = true;
            take_start_frame_ = stream_frames_;
            hash_ = fnv_offset;
        }
        if (held_samples_) {  // the pause was part of the take after all
            feed(audio::Block{std::span<const float>(held_.data(), held_samples_), channels_});
            held_samples_ = 0;
        }
        feed(block);
    } else if (taking_) {
        std::size_t i = 0;
        while (i < n) {
            const std::size_t room = held_.size() - held_samples_;
            const std::size_t k = std::min(room, n - i);
            std::memcpy(held_.data() + held_samples_, block.interleaved.data() + i, k * sizeof(float));
            held_samples_ += k;
            i += k;
            if (held_samples_ == held_.size()) {  // end_silence_s of silence: the take is over
                held_samples_ = 0;
                done = close();
                break;  // the rest of this block is silence outside any take
            }
        }
    }
    stream_frames_ += static_cast<std::int64_t>(block.frames());
    return done;
}

std::optional<Take> TakeRecorder::finish() {
    held_samples_ = 0;
    return close();
}

std::optional<Take> TakeRecorder::close() {
    if (!taking_) return std::nullopt;
    taking_ = false;
    const double length_s = static_cast<double>(analyzer_->frames()) / sample_rate_;
    std::optional<Take> out;
    if (length_s >= options_.min_take_s) {
        Take t;
        t.analysis = analyzer_->finish();
        t.analysis.format.container = "live";
        t.analysis.format.encoding = "float";
        char hex[40];
        std::snprintf(hex, sizeof hex, "live:fnv1a64:%016llx", static_cast<unsigned long long>(hash_));
        t.hash = hex;
        t.start_s = static_cast<double>(take_start_frame_) / sample_rate_;
        out = std::move(t);
    }
    // A fresh analyzer for the next take, built now rather than when its sound arrives.
    analyzer_ = std::make_unique<analysis::Analyzer>(sample_rate_, channels_, take_analysis_options());
    return out;
}

}  // namespace mixscout::monitor
