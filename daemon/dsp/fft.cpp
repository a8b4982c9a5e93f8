#include "dsp/fft.hpp"

#include <fftw3.h>

#include <stdexcept>

namespace mixscout::dsp {

std::mutex& fft_planner_mutex() {
    static std::mutex m;
    return m;
}

RealFft::RealFft(std::size_t size) : size_(size) {
    if (size < 2 || size % 2 != 0) throw std::invalid_argument("RealFft: size must be even and >= 2");
    std::lock_guard lock(fft_planner_mutex());
    in_ = fftwf_alloc_real(size);
    auto* out = fftwf_alloc_complex(size / 2 + 1);
    out_ = reinterpret_cast<std::complex<float>*>(out);  // fftwf_complex is layout-compatible
    if (!in_ || !out) {
        fftwf_free(in_);
        fftwf_free(out);
        throw std::bad_alloc();
    }
    plan_ = fftwf_plan_dft_r2c_1d(static_cast<int>(size), in_, out, FFTW_ESTIMATE);
    if (!plan_) {
        fftwf_free(in_);
        fftwf_free(out);
        throw std::runtime_error("RealFft: FFTW could not plan");
    }
}

RealFft::~RealFft() {
    std::lock_guard lock(fft_planner_mutex());
    fftwf_destroy_plan(static_cast<fftwf_plan>(plan_));
    fftwf_free(in_);
    fftwf_free(reinterpret_cast<fftwf_complex*>(out_));
}

void RealFft::forward() { fftwf_execute(static_cast<fftwf_plan>(plan_)); }

}  // namespace mixscout::dsp
