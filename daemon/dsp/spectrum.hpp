// mixscout dsp: Welch-averaged long-term spectrum (one STFT pass, shared by spectrum and stereo).
//
// WelchSpectrum cuts the stream into Hann-windowed segments of fft_size frames with 50 % overlap
// and accumulates, per bin, each channel's power |X|^2 and (stereo) the cross-spectrum
// Re(X_L conj X_R). Spectra are scaled so that the sum over the one-sided bins equals the mean
// square of the signal (Parseval): a sine of amplitude A reads A^2/2 in its band, whatever the
// FFT size. From the accumulated spectra follow band powers (octave / third-octave), per-band
// L/R correlation and side/mid width (see stereo.hpp) without a second pass.
//
// fft_size defaults to the power of two nearest 0.17 s (8192 at 44.1/48 kHz: 5.9 Hz bins, enough
// for the 31.5 Hz octave and the 120 Hz low band); bins straddling a band edge are split by
// overlap, so narrow low third-octave bands stay smooth. A stream shorter than one segment has
// no spectrum (all bands read as silence).
//
// Cost: one complex FFT per hop (fft_size/2 frames) carrying both channels (StereoFft), plus the
// window and the per-bin accumulation: ~6 ns per stereo frame at 8192 points (docs/BENCHMARKS.md);
// mono takes the same path with a silent second channel. Memory: ~6 * fft_size doubles/floats,
// allocated in the constructor; push() does not allocate.
// Threading: one thread at a time; construction takes the FFTW planner lock (see fft.hpp).
#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "audio/block.hpp"
#include "dsp/fft.hpp"

namespace mixscout::dsp {

struct FrequencyBand {
    double lo_hz = 0.0;
    double hi_hz = 0.0;
    double centre_hz() const;  ///< geometric centre
};

/// The 10 octave bands, nominal ISO centres 31.5 Hz .. 16 kHz (exact base-2 edges fc*2^(+-1/2)).
const std::vector<FrequencyBand>& octave_bands();
/// The 31 one-third-octave bands, centres 20 Hz .. 20 kHz (fc = 1000*2^(k/3), edges fc*2^(+-1/6)).
const std::vector<FrequencyBand>& third_octave_bands();

/// Powers in one band, averaged over the segments: mean square per channel and the cross term.
struct BandPower {
    double left = 0.0;   ///< channel 0 (mono: the only channel)
    double right = 0.0;  ///< channel 1 (mono: == left)
    double cross = 0.0;  ///< Re(L conj R) (mono: == left)
    double mean() const { return 0.5 * (left + right); }  ///< channel-averaged power
};

class WelchSpectrum {
public:
    /// fft_size 0 = pick from the sample rate (see above). channels: 1 or 2.
    WelchSpectrum(int sample_rate, int channels, std::size_t fft_size = 0);
    ~WelchSpectrum();
    WelchSpectrum(const WelchSpectrum&) = delete;
    WelchSpectrum& operator=(const WelchSpectrum&) = delete;

    void push(const audio::Block& block);

    std::size_t fft_size() const { return fft_size_; }
    double bin_hz() const { return static_cast<double>(sample_rate_) / static_cast<double>(fft_size_); }
    std::int64_t segments() const { return segments_; }
    int channels() const { return channels_; }

    /// Band power over [lo_hz, hi_hz) (clipped to Nyquist), bins weighted by their overlap.
    BandPower band(double lo_hz, double hi_hz) const;
    /// Averaged one-sided power spectrum of a channel, Parseval-scaled (empty before a segment).
    std::vector<double> power_spectrum(int channel) const;

private:
    void process_segment();
    int sample_rate_;
    int channels_;
    std::size_t fft_size_;
    std::size_t hop_;
    std::vector<float> window_;
    // The last fft_size frames as {left, right} pairs (right = 0 for mono): a stereo block's
    // interleaved samples have exactly this layout, so filling it is a copy. Two halves of one
    // hop each; older_ says which holds the segment's first half, so a hop moves no samples.
    std::vector<std::complex<float>> ring_;
    std::size_t older_ = 0;
    std::size_t fill_ = 0;         // frames of the current segment (< fft_size)
    std::vector<std::complex<float>> mirror_;  // Z_{n-k} of the current segment (scratch)
    // Per-bin sums of the last batched_ segments in float (fast, vectorised), added to the double
    // totals every batch_segments segments and before any read: float alone would lose the small
    // bins of hour-long files to rounding. Mutable: reads flush.
    static constexpr int batch_segments = 256;
    mutable std::vector<float> batch_[3];      // left power, right power, cross
    mutable int batched_ = 0;
    void flush_batch() const;
    mutable std::vector<double> acc_power_[2];
    mutable std::vector<double> acc_cross_;
    std::int64_t segments_ = 0;
    double scale_ = 0.0;           // per-bin |X|^2 -> mean-square contribution (one-sided)
    std::unique_ptr<StereoFft> fft_;
};

/// Least-squares slope, dB per octave, of band levels against log2(centre) for the bands whose
/// centre lies in [from_hz, to_hz] and whose db is above the silence floor. 0 if < 2 such bands.
double spectral_tilt_db_per_octave(std::span<const FrequencyBand> bands, std::span<const double> db,
                                   double from_hz, double to_hz);

}  // namespace mixscout::dsp
