#include "master/convolver.hpp"

#include <fftw3.h>

#include <algorithm>
#include <mutex>
#include <new>
#include <stdexcept>

#include "dsp/fft.hpp"

namespace mixscout::master {

FftConvolver::FftConvolver(std::span<const float> fir) : taps_(fir.size()) {
    if (taps_ == 0) throw std::invalid_argument("FftConvolver: empty FIR");
    fft_ = 2;
    while (fft_ < 2 * taps_) fft_ *= 2;
    block_ = fft_ - taps_ + 1;
    tail_.assign(taps_ - 1, 0.0f);
    std::lock_guard lock(dsp::fft_planner_mutex());
    time_ = fftwf_alloc_real(fft_);
    auto* freq = fftwf_alloc_complex(fft_ / 2 + 1);
    freq_ = reinterpret_cast<std::complex<float>*>(freq);
    if (!time_ || !freq) {
        fftwf_free(time_);
        fftwf_free(freq);
        throw std::bad_alloc();
    }
    forward_ = fftwf_plan_dft_r2c_1d(static_cast<int>(fft_), time_, freq, FFTW_ESTIMATE);
    inverse_ = fftwf_plan_dft_c2r_1d(static_cast<int>(fft_), freq, time_, FFTW_ESTIMATE);
    if (!forward_ || !inverse_) throw std::runtime_error("FftConvolver: FFTW could not plan");
    std::fill(time_, time_ + fft_, 0.0f);
    std::copy(fir.begin(), fir.end(), time_);
    fftwf_execute(static_cast<fftwf_plan>(forward_));
    response_.assign(freq_, freq_ + fft_ / 2 + 1);
    const float scale = 1.0f / static_cast<float>(fft_);
    for (auto& z : response_) z *= scale;
}

FftConvolver::~FftConvolver() {
    std::lock_guard lock(dsp::fft_planner_mutex());
    if (forward_) fftwf_destroy_plan(static_cast<fftwf_plan>(forward_));
    if (inverse_) fftwf_destroy_plan(static_cast<fftwf_plan>(inverse_));
    fftwf_free(time_);
    fftwf_free(reinterpret_cast<fftwf_complex*>(freq_));
}

void FftConvolver::process(const float* in, float* out) {
    std::copy(in, in + block_, time_);
    std::fill(time_ + block_, time_ + fft_, 0.0f);
    fftwf_execute(static_cast<fftwf_plan>(forward_));
    const std::size_t bins = fft_ / 2 + 1;
    for (std::size_t k = 0; k < bins; ++k) freq_[k] *= response_[k];
    fftwf_execute(static_cast<fftwf_plan>(inverse_));
    // time_[0, block + taps - 1) is this block's full response; the first taps-1 samples overlap
    // the previous block's tail.
    const std::size_t t = taps_ - 1;
    for (std::size_t i = 0; i < block_; ++i) out[i] = time_[i] + (i < t ? tail_[i] : 0.0f);
    // New tail: samples block .. block + t - 1 (t <= block since fft >= 2 taps).
    std::copy(time_ + block_, time_ + block_ + t, tail_.begin());
}

}  // namespace mixscout::master
