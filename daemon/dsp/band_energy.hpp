// mixscout dsp: time-resolved band energies — how much power each band carries, frame by frame.
//
// BandEnergy turns a stream into a compact series: every frame_s (default 50 ms) one power value
// per band, for the 31 one-third-octave bands of spectrum.hpp (20 Hz .. 20 kHz, clipped to
// Nyquist) or the 24 critical bands (Bark scale, Zwicker's edges, 0 .. 15.5 kHz). Stem clashes
// compare these series between stems; the live monitor reads the latest frame.
//
// Values: band power as mean square, channel-averaged (left and right powers are added before
// halving, so anti-phase content does not cancel), Parseval-scaled: the powers of all bands sum
// to the mean square of the frame, and a sine of amplitude A reads A^2/2 (-3.01 dB for a
// full-scale sine) in its band. Convert with power_to_db() from core/units.hpp.
//
// Timing: frame i describes the hop [i*hop, (i+1)*hop) frames of the stream, where hop =
// round(frame_s * sample_rate) (so frame_s() is exact: 2205 / 44100 = 0.05). The analysis window
// (Hann, window_s long, rounded up to a power of two: 8192 at 44.1/48 kHz, 5.4-5.9 Hz bins, enough
// for the 25 Hz third-octave) is centred on that hop, so a frame sees up to (window - hop) / 2
// frames before and after it: energy is smeared by about +-60 ms at 48 kHz, never shifted.
// A frame is delivered once the samples after it (and the decimator's ~20 samples of look-ahead)
// have been pushed; flush() delivers the rest (zero-padded), so a stream of n frames yields
// exactly ceil(n / hop) frames.
//
// Two methods, the same band layout and scale (a sine at a band's centre reads A^2/2 in both):
//   fft          (default) multi-rate, each sample transformed about 3 times in all:
//                - bands up to 2.3 kHz (the 2 kHz third octave, Bark band 1720-2000 Hz): the input
//                  low-passed (Kaiser FIR, flat to 2.3 kHz, >= 80 dB against anything folding
//                  below it) and decimated by 4 at 44.1/48 kHz, then one Hann transform of
//                  window/4 points per hop: the same window and bins as a full-rate transform;
//                - bands above: sine-windowed transforms of window/4 points (21.5 Hz bins at
//                  44.1 kHz, >= 15 bins per band) every window/8, averaged with the long Hann
//                  window's square as weights, so they describe the same stretch of time (within
//                  one short transform's resolution).
//                Both channels go through one complex transform (StereoFft); each band is one dot
//                product over the bins it overlaps (edge bins split by overlap). Without room to
//                decimate (rates below ~18 kHz) one full-rate transform measures every band.
//                About 5 ns per stereo frame at 44.1 kHz, half of it FFTW (perf share of a WAV
//                stems run; ~8 ns with a decimator that summed one output at a time, ~20 ns with
//                two full-rate real transforms per hop: docs/BENCHMARKS.md, "Stems").
//                Digital silence costs almost nothing: a decimated pair, transform or frame that
//                reads only exact zeros is zero without being computed (Live renders an idle
//                track as zeros, so stems hold long stretches of them).
//   filter_bank  two cascaded RBJ band-passes per band (double precision, -3 dB at the band
//                edges; skirts only ~18 dB down two bands away), energy integrated over the hop:
//                no window and no look-ahead, but O(bands) work per sample: tens of times slower
//                than the FFT here (scripts/bench-stems), so it is kept for comparison only.
// Cost: allocation in the constructor only; push() and flush() do not allocate.
// Threading: one thread at a time; the constructor takes the FFTW planner lock (see fft.hpp),
// distinct BandEnergy objects run in parallel on different threads.
#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "audio/block.hpp"
#include "dsp/spectrum.hpp"

namespace mixscout::dsp {

enum class BandScale { third_octave, critical };
enum class BandMethod { fft, filter_bank };

struct BandEnergyOptions {
    double frame_s = 0.05;   ///< hop between frames, seconds (0.005 .. 1)
    double window_s = 0.17;  ///< FFT analysis window, seconds (rounded up to a power of two, >= the hop)
    BandScale scale = BandScale::third_octave;
    BandMethod method = BandMethod::fft;
    /// Also measure each band's left/right balance (stereo only): latest_balance(). The same
    /// transform carries it (|L_k|^2 - |R_k|^2 = Re(Z_k Z_{n-k})): one more dot product per band,
    /// no second transform; the filter bank keeps each channel's energy apart.
    bool stereo_balance = false;
};

/// The 24 critical bands (Zwicker 1961: edges 0, 100, 200, ... 12000, 15500 Hz).
const std::vector<FrequencyBand>& critical_bands();

class BandEnergy {
public:
    /// channels: 1 or 2 (else std::invalid_argument). Bands whose lower edge is at or above Nyquist are dropped; the top band is
    /// clipped to Nyquist.
    BandEnergy(int sample_rate, int channels, BandEnergyOptions options = {});
    ~BandEnergy();
    BandEnergy(BandEnergy&&) noexcept;
    BandEnergy& operator=(BandEnergy&&) noexcept;

    /// The bands, low to high; band_power spans below are indexed like this.
    std::span<const FrequencyBand> bands() const { return bands_; }
    int sample_rate() const { return sample_rate_; }
    int channels() const { return channels_; }
    std::int64_t hop_frames() const { return hop_; }
    double frame_s() const { return static_cast<double>(hop_) / sample_rate_; }
    /// Frames delivered so far.
    std::int64_t frames_out() const { return frames_out_; }

    /// Feeds a block (block.channels must equal channels()). For every completed frame calls
    /// on_frame(std::int64_t frame_index, std::span<const float> band_power) — the span is valid
    /// during the call only.
    template <class OnFrame>
    void push(const audio::Block& block, OnFrame&& on_frame) {
        const std::size_t n = block.frames();
        std::size_t done = 0;
        while (done < n) {
            done += consume(block, done);
            if (frame_ready()) on_frame(frames_out_ - 1, latest());
        }
    }
    /// Ends the stream: delivers the remaining frames (the tail zero-padded). Further pushes start
    /// a new stream only after reset().
    template <class OnFrame>
    void flush(OnFrame&& on_frame) {
        while (frames_out_ < frames_expected()) {
            pad_zeros();
            if (frame_ready()) on_frame(frames_out_ - 1, latest());
        }
    }
    /// The band powers of the last delivered frame (zeros before the first).
    std::span<const float> latest() const { return latest_; }
    /// With options.stereo_balance on a stereo stream: each band's (pL - pR) / 2 for the last
    /// delivered frame, on the scale of latest() (which is (pL + pR) / 2), so the band's left
    /// share is (latest + balance) / (2 latest). Empty otherwise. Read it inside on_frame.
    std::span<const float> latest_balance() const { return latest_balance_; }
    /// Back to the state after construction.
    void reset();

private:
    struct Impl;
    std::size_t consume(const audio::Block& block, std::size_t offset);  // up to the next frame boundary
    void pad_zeros();                                                     // zeros up to the next frame boundary
    bool frame_ready();                                                   // computes the frame if one completed
    std::int64_t frames_expected() const { return (frames_in_ + hop_ - 1) / hop_; }

    int sample_rate_ = 0;
    int channels_ = 0;
    std::int64_t hop_ = 0;
    std::int64_t frames_in_ = 0;   // real stream frames pushed
    std::int64_t frames_out_ = 0;
    std::vector<FrequencyBand> bands_;
    std::vector<float> latest_;
    std::vector<float> latest_balance_;  // empty unless options.stereo_balance on stereo
    std::unique_ptr<Impl> impl_;
};

}  // namespace mixscout::dsp
