// mixscout dsp: a thin wrapper over FFTW (single precision) for real-input transforms.
//
// RealFft(n) plans one out-of-place r2c transform of size n (FFTW_ESTIMATE: cheap to plan,
// no wisdom files) and owns SIMD-aligned input/output buffers.
//
// Threading contract: FFTW's planner is not thread-safe, so construction and destruction take
// a process-wide mutex (fft_planner_mutex(); anyone else calling fftwf_plan_* / fftwf_destroy_plan
// must hold it too). forward() only executes the plan on this object's own buffers, which FFTW
// allows concurrently from different threads: distinct RealFft objects may run in parallel; one
// object is used by one thread at a time. Construct outside real-time callbacks.
#pragma once
#include <complex>
#include <cstddef>
#include <mutex>
#include <span>

namespace mixscout::dsp {

/// The one lock around FFTW's planner.
std::mutex& fft_planner_mutex();

class RealFft {
public:
    explicit RealFft(std::size_t size);  ///< size >= 2, even
    ~RealFft();
    RealFft(const RealFft&) = delete;
    RealFft& operator=(const RealFft&) = delete;

    std::size_t size() const { return size_; }
    /// size() real samples: fill, then call forward().
    std::span<float> input() { return {in_, size_}; }
    /// size()/2 + 1 complex bins (DC .. Nyquist), valid after forward().
    std::span<const std::complex<float>> output() const { return {out_, size_ / 2 + 1}; }
    /// Transforms input() into output(). Unnormalised (FFTW convention). No allocation.
    void forward();

private:
    std::size_t size_ = 0;
    float* in_ = nullptr;
    std::complex<float>* out_ = nullptr;
    void* plan_ = nullptr;  // fftwf_plan
};

}  // namespace mixscout::dsp
