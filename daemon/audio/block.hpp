// mixscout audio: the unit of data that flows from sources to DSP kernels.
//
// A Block is a non-owning view of interleaved 32-bit float frames in [-1, 1] full scale
// (full scale = 1.0). Sources (file decode, live capture) produce Blocks; kernels consume them
// with push(block) and never keep the pointer.
#pragma once
#include <cstddef>
#include <span>

namespace mixscout::audio {

struct Block {
    std::span<const float> interleaved;  ///< frames() * channels samples
    int channels = 0;
    std::size_t frames() const { return channels > 0 ? interleaved.size() / static_cast<std::size_t>(channels) : 0; }
    float sample(std::size_t frame, int channel) const { return interleaved[frame * channels + channel]; }
};

}  // namespace mixscout::audio
