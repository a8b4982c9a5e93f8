#include "dsp/fft.hpp"

#include <cstdio>

#include <fftw3.h>

#include <stdexcept>

namespace mixscout::dsp {

std::mutex& fft_planner_mutex() {
    static std::mutex m;
    return m;
}

namespace {

// The measured plan when wisdom has it (FFTW_WISDOM_ONLY returns null otherwise, without
// measuring), else an estimated one. Caller holds the planner lock.
template <class Plan>
fftwf_plan plan_with_wisdom(Plan&& plan) {
    if (fftwf_plan p = plan(FFTW_MEASURE | FFTW_WISDOM_ONLY)) return p;
    return plan(FFTW_ESTIMATE);
}

}  // namespace

RealFft::RealFft(std::size_t size, bool with_inverse) : size_(size) {
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
    plan_ = plan_with_wisdom([&](unsigned flags) { return fftwf_plan_dft_r2c_1d(static_cast<int>(size), in_, out, flags); });
    if (plan_ && with_inverse)
        inverse_plan_ = plan_with_wisdom([&](unsigned flags) { return fftwf_plan_dft_c2r_1d(static_cast<int>(size), out, in_, flags); });
    if (!plan_ || (with_inverse && !inverse_plan_)) {
        if (plan_) fftwf_destroy_plan(static_cast<fftwf_plan>(plan_));
        fftwf_free(in_);
        fftwf_free(out);
        throw std::runtime_error("RealFft: FFTW could not plan");
    }
}

RealFft::~RealFft() {
    std::lock_guard lock(fft_planner_mutex());
    fftwf_destroy_plan(static_cast<fftwf_plan>(plan_));
    if (inverse_plan_) fftwf_destroy_plan(static_cast<fftwf_plan>(inverse_plan_));
    fftwf_free(in_);
    fftwf_free(reinterpret_cast<fftwf_complex*>(out_));
}

void RealFft::forward() { fftwf_execute(static_cast<fftwf_plan>(plan_)); }

void RealFft::inverse() {
    if (!inverse_plan_) throw std::logic_error("RealFft::inverse: constructed without with_inverse");
    fftwf_execute(static_cast<fftwf_plan>(inverse_plan_));
}

StereoFft::StereoFft(std::size_t size) : size_(size) {
    if (size < 2 || size % 2 != 0) throw std::invalid_argument("StereoFft: size must be even and >= 2");
    std::lock_guard lock(fft_planner_mutex());
    auto* in = fftwf_alloc_complex(size);
    auto* out = fftwf_alloc_complex(size);
    if (!in || !out) {
        fftwf_free(in);
        fftwf_free(out);
        throw std::bad_alloc();
    }
    in_ = reinterpret_cast<std::complex<float>*>(in);
    out_ = reinterpret_cast<std::complex<float>*>(out);
    plan_ = plan_with_wisdom([&](unsigned flags) { return fftwf_plan_dft_1d(static_cast<int>(size), in, out, FFTW_FORWARD, flags); });
    if (!plan_) {
        fftwf_free(in);
        fftwf_free(out);
        throw std::runtime_error("StereoFft: FFTW could not plan");
    }
}

StereoFft::~StereoFft() {
    std::lock_guard lock(fft_planner_mutex());
    fftwf_destroy_plan(static_cast<fftwf_plan>(plan_));
    fftwf_free(reinterpret_cast<fftwf_complex*>(in_));
    fftwf_free(reinterpret_cast<fftwf_complex*>(out_));
}

void StereoFft::forward() { fftwf_execute(static_cast<fftwf_plan>(plan_)); }

std::complex<float> StereoFft::left(std::size_t k) const {
    const std::complex<float> z = out_[k], zc = std::conj(out_[k == 0 ? 0 : size_ - k]);
    return 0.5f * (z + zc);
}

std::complex<float> StereoFft::right(std::size_t k) const {
    const std::complex<float> z = out_[k], zc = std::conj(out_[k == 0 ? 0 : size_ - k]);
    const std::complex<float> d = 0.5f * (z - zc);
    return {d.imag(), -d.real()};  // d / i
}

// Through a FILE* opened here: FFTW's *_filename functions take a narrow path, which on Windows
// cannot name a folder outside the ANSI code page (a non-ASCII %LOCALAPPDATA%).
namespace {
std::FILE* open_wisdom_file(const std::filesystem::path& path, bool write) {
#ifdef _WIN32
    return ::_wfopen(path.c_str(), write ? L"w" : L"r");
#else
    return std::fopen(path.c_str(), write ? "w" : "r");
#endif
}
}  // namespace

bool load_fft_wisdom(const std::filesystem::path& path) {
    std::lock_guard lock(fft_planner_mutex());
    std::FILE* f = open_wisdom_file(path, false);
    if (!f) return false;
    const bool ok = fftwf_import_wisdom_from_file(f) != 0;
    std::fclose(f);
    return ok;
}

bool save_fft_wisdom(const std::filesystem::path& path) {
    std::lock_guard lock(fft_planner_mutex());
    std::FILE* f = open_wisdom_file(path, true);
    if (!f) return false;
    fftwf_export_wisdom_to_file(f);
    return std::fclose(f) == 0;
}

void tune_fft(const FftSizes& sizes) {
    std::lock_guard lock(fft_planner_mutex());
    for (std::size_t n : sizes.real) {
        float* in = fftwf_alloc_real(n);
        fftwf_complex* out = fftwf_alloc_complex(n / 2 + 1);
        if (in && out)
            if (fftwf_plan p = fftwf_plan_dft_r2c_1d(static_cast<int>(n), in, out, FFTW_MEASURE)) fftwf_destroy_plan(p);
        fftwf_free(in);
        fftwf_free(out);
    }
    for (std::size_t n : sizes.real_inverse) {
        fftwf_complex* in = fftwf_alloc_complex(n / 2 + 1);
        float* out = fftwf_alloc_real(n);
        if (in && out)
            if (fftwf_plan p = fftwf_plan_dft_c2r_1d(static_cast<int>(n), in, out, FFTW_MEASURE)) fftwf_destroy_plan(p);
        fftwf_free(in);
        fftwf_free(out);
    }
    for (std::size_t n : sizes.stereo) {
        fftwf_complex* in = fftwf_alloc_complex(n);
        fftwf_complex* out = fftwf_alloc_complex(n);
        if (in && out)
            if (fftwf_plan p = fftwf_plan_dft_1d(static_cast<int>(n), in, out, FFTW_FORWARD, FFTW_MEASURE)) fftwf_destroy_plan(p);
        fftwf_free(in);
        fftwf_free(out);
    }
}

}  // namespace mixscout::dsp
