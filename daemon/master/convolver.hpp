// mixscout master: one channel of FFT convolution with a fixed FIR (uniform overlap-add, through
// dsp::RealFft, so measured FFT plans apply: `mixscout tune`).
//
// The FFT size is the power of two >= 2 * taps; each call takes block_frames() = fft - taps + 1
// new samples and returns as many. Output sample i is sum_j fir[j] * in[i - j]: a linear-phase
// FIR of odd length T therefore delays by (T - 1) / 2, which the caller compensates.
//
// Cost: one r2c and one c2r of the FFT size per block (~4 log2(fft) flops per sample).
// Memory: ~4 fft floats. process() does not allocate. Construction takes the FFTW planner lock.
// Threading: one thread at a time.
#pragma once
#include <complex>
#include <cstddef>
#include <span>
#include <vector>

#include "dsp/fft.hpp"

namespace mixscout::master {

class FftConvolver {
public:
    explicit FftConvolver(std::span<const float> fir);

    std::size_t block_frames() const { return block_; }
    /// in and out hold block_frames() samples (may alias).
    void process(const float* in, float* out);

private:
    std::size_t taps_, block_;
    dsp::RealFft fft_;                           // both ways
    std::vector<std::complex<float>> response_;  // FIR spectrum, scaled by 1/fft
    std::vector<float> tail_;                    // taps - 1 samples carried into the next block
};

}  // namespace mixscout::master
