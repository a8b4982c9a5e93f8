// mixscout dsp: was a fixed-point export dithered? (truncation distortion in quiet passages)
//
// A file quantised to B bits without dither carries an error that follows the signal: on quiet
// passages (fades, reverb tails, a lone bass note) it is heard as distortion and "grain" instead
// of a steady hiss. Dither adds independent noise before the quantiser; that noise never goes
// away while there is signal, so its floor can be measured.
//
// Measure: per channel, frames of frame_frames samples in units of the file's LSB (2^-(B-1) full
// scale). For each frame, the mean square of the second difference d[n] = x[n+1] - 2x[n] + x[n-1]
// (a high-pass that leaves the low-level music of a quiet passage mostly out and white noise of
// power s^2 at 6 s^2). Known floors, in LSB^2:
//   - undithered rounding or truncation: error power about 1/12, so about 0.5 (6/12 for a white
//     error; a sine of 10 LSB truncated by sox reads 0.62) plus what the music itself has up there;
//   - RPDF dither (1 LSB peak-to-peak): 1/12 + 1/12 -> >= 1.0; TPDF (Live's Triangular, sox's
//     default): 1/12 + 1/6 -> >= 1.5; noise-shaped dither (POW-r, sox -s) puts more at high
//     frequencies -> higher still.
// A sounding frame (RMS >= min_rms_lsb: signal, not an idle dither floor) whose second-difference
// power is below dither_floor_lsb2 (0.8) proves no dither: the frame is counted "undithered".
// Music with its own noise floor above the LSB dithers itself (its frames read high) and is
// rightly not counted: truncation distortion needs a signal cleaner than the quantiser.
//
// Only meaningful for integer PCM of at most 16 bits (24-bit truncation lies 48 dB lower, below
// any playback noise); the analysis runs it for those files only. Digital silence (RMS below
// min_rms_lsb) is skipped: it is neither evidence for nor against dither.
//
// Kernel contract (audio/block.hpp): 1..max_kernel_channels channels; push() never allocates.
// Cost: about 6 flops (~14 instructions) per sample. Threading: one thread at a time.
#pragma once
#include <cstdint>
#include <vector>

#include "audio/block.hpp"

namespace mixscout::dsp {

struct QuantisationOptions {
    int frame_frames = 2048;          ///< samples per measured frame (46 ms at 44.1 kHz)
    double min_rms_lsb = 2.0;         ///< a frame sounds from this RMS on (above a dither floor's 0.5 LSB)
    double dither_floor_lsb2 = 0.8;   ///< below this second-difference power a frame was not dithered
};

class QuantisationMeter {
public:
    /// bits: the file's PCM word length (8..32); channels 1..max_kernel_channels.
    QuantisationMeter(int sample_rate, int channels, int bits, QuantisationOptions options = {});

    void push(const audio::Block& block);

    int bits() const { return bits_; }
    /// Sounding frames measured, summed over channels, and those below the dither floor.
    std::int64_t sounding_frames() const { return sounding_; }
    std::int64_t undithered_frames() const { return undithered_; }
    /// Seconds of sounding / undithered frames (channel frames / channels: a stereo passage
    /// undithered on both channels counts once).
    double sounding_s() const;
    double undithered_s() const;
    /// The lowest second-difference power of a sounding frame, LSB^2 (-1 before any).
    double lowest_noise_lsb2() const { return lowest_; }

private:
    int sample_rate_, channels_, bits_;
    QuantisationOptions o_;
    double lsb_scale_;                 // full scale -> LSB units
    struct Channel {
        double prev = 0.0, prev2 = 0.0;  // x[n-1], x[n-2] in LSB
        double sum_sq = 0.0, sum_d2 = 0.0;
        int n = 0;                       // samples in the current frame
        std::int64_t seen = 0;           // samples of the stream so far (the first two have no d)
    };
    std::vector<Channel> ch_;
    std::int64_t sounding_ = 0, undithered_ = 0;
    double lowest_ = -1.0;
};

}  // namespace mixscout::dsp
