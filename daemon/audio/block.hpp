// mixscout audio: the unit of data that flows from sources to DSP kernels.
//
// A Block is a non-owning view of interleaved 32-bit float frames in [-1, 1] full scale
// (full scale = 1.0). Sources (file decode, live capture) produce Blocks; kernels consume them
// with push(block) and never keep the pointer.
//
// The kernel contract (every dsp/ kernel keeps it):
//   - The channel count is fixed at construction. A kernel either handles any count from 1 up to
//     its stated maximum, or refuses the count in its constructor with std::invalid_argument
//     (require_layout below). Sources refuse what users can cause before a kernel is built
//     (audio/decoder: more than two channels is an InputError naming the file).
//   - push(block) with block.channels different from the construction count throws
//     std::invalid_argument (require_channels below) and changes nothing. A mismatch is a
//     programming error, never user input, so it is not an InputError.
//   - push() never allocates; an empty block is a no-op; results are read after any push.
#pragma once
#include <cstddef>
#include <span>
#include <stdexcept>
#include <string>

namespace mixscout::audio {

/// The most channels an N-channel kernel takes (7.1); stereo-only kernels take 2.
inline constexpr int max_kernel_channels = 8;

struct Block {
    std::span<const float> interleaved;  ///< frames() * channels samples
    int channels = 0;
    std::size_t frames() const { return channels > 0 ? interleaved.size() / static_cast<std::size_t>(channels) : 0; }
    float sample(std::size_t frame, int channel) const { return interleaved[frame * channels + channel]; }
};

/// A kernel's constructor check: 1..max_channels channels and a positive sample rate (pass
/// sample_rate 1 for kernels without one).
inline void require_layout(const char* kernel, int sample_rate, int channels, int max_channels) {
    if (sample_rate <= 0 || channels < 1 || channels > max_channels)
        throw std::invalid_argument(std::string(kernel) + ": " + std::to_string(channels) + " channel(s) at " +
                                    std::to_string(sample_rate) + " Hz (supports 1.." + std::to_string(max_channels) +
                                    " channels)");
}

/// A kernel's push() check: the block has the channel count the kernel was built for.
inline void require_channels(const char* kernel, const Block& block, int channels) {
    if (block.channels != channels)
        throw std::invalid_argument(std::string(kernel) + "::push: block has " + std::to_string(block.channels) +
                                    " channel(s), kernel was built for " + std::to_string(channels));
}

}  // namespace mixscout::audio
