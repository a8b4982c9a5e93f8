#include "master/convolver.hpp"

#include <algorithm>
#include <stdexcept>

namespace mixscout::master {

namespace {
std::size_t fft_size_for(std::size_t taps) {
    if (taps == 0) throw std::invalid_argument("FftConvolver: empty FIR");
    std::size_t n = 2;
    while (n < 2 * taps) n *= 2;
    return n;
}
}  // namespace

FftConvolver::FftConvolver(std::span<const float> fir)
    : taps_(fir.size()), block_(fft_size_for(taps_) - taps_ + 1), fft_(fft_size_for(taps_), true) {
    tail_.assign(taps_ - 1, 0.0f);
    const std::span<float> time = fft_.input();
    std::fill(time.begin(), time.end(), 0.0f);
    std::copy(fir.begin(), fir.end(), time.begin());
    fft_.forward();
    response_.assign(fft_.output().begin(), fft_.output().end());
    const float scale = 1.0f / static_cast<float>(fft_.size());
    for (auto& z : response_) z *= scale;
}

void FftConvolver::process(const float* in, float* out) {
    float* time = fft_.input().data();
    std::copy(in, in + block_, time);
    std::fill(time + block_, time + fft_.size(), 0.0f);
    fft_.forward();
    const std::span<std::complex<float>> freq = fft_.spectrum();
    for (std::size_t k = 0; k < freq.size(); ++k) freq[k] *= response_[k];
    fft_.inverse();
    // time[0, block + taps - 1) is this block's full response; the first taps-1 samples overlap
    // the previous block's tail.
    const std::size_t t = taps_ - 1;
    for (std::size_t i = 0; i < block_; ++i) out[i] = time[i] + (i < t ? tail_[i] : 0.0f);
    // New tail: samples block .. block + t - 1 (t <= block since fft >= 2 taps).
    std::copy(time + block_, time + block_ + t, tail_.begin());
}

}  // namespace mixscout::master
