// mixscout dsp: a thin wrapper over FFTW (single precision) for real-input transforms.
//
// RealFft(n) plans one out-of-place r2c transform of size n and owns SIMD-aligned input/output
// buffers; RealFft(n, true) also plans the c2r transform back (convolution, FIR design). StereoFft(n) transforms two real channels at once: it packs them into one complex
// transform (x = left + i right) and separates the spectra afterwards, which costs 0.6-0.85x two
// RealFfts here (FFTW's complex codelets are its fastest: tests/dsp bench, docs/BENCHMARKS.md).
//
// Planning: FFTW_ESTIMATE (about 1 ms) unless FFTW wisdom for the size is loaded, in which case
// the measured plan is used (FFTW_MEASURE plans of 8192 points run ~2x faster here but take
// ~150 ms to make). Wisdom is only ever an optimisation: see load_fft_wisdom() below.
//
// Threading contract: FFTW's planner is not thread-safe, so construction and destruction take
// a process-wide mutex (fft_planner_mutex(); anyone else calling fftwf_plan_* / fftwf_destroy_plan
// must hold it too). forward() only executes the plan on this object's own buffers, which FFTW
// allows concurrently from different threads: distinct RealFft objects may run in parallel; one
// object is used by one thread at a time. Construct outside real-time callbacks.
#pragma once
#include <complex>
#include <cstddef>
#include <filesystem>
#include <mutex>
#include <numbers>
#include <span>
#include <string>
#include <vector>

namespace mixscout::dsp {

/// The one lock around FFTW's planner.
std::mutex& fft_planner_mutex();

/// The power of two nearest seconds * sample_rate in octaves (the switch to 2n is at n sqrt(2)),
/// at least 256. The spectrum's frame and mastering's profile frame and EQ FIR use 0.17 s:
/// 8192 at 44.1/48 kHz, 16384 at 88.2/96 kHz, 32768 at 176.4/192 kHz.
inline std::size_t fft_size_near(double seconds, int sample_rate) {
    const double want = seconds * sample_rate;
    std::size_t n = 256;
    while (static_cast<double>(n) * std::numbers::sqrt2 < want) n *= 2;
    return n;
}

class RealFft {
public:
    /// size >= 2, even; with_inverse also plans inverse().
    explicit RealFft(std::size_t size, bool with_inverse = false);
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
    /// output(), writable: fill or change it, then call inverse().
    std::span<std::complex<float>> spectrum() { return {out_, size_ / 2 + 1}; }
    /// Transforms spectrum() back into input(). Unnormalised: forward() then inverse() gives
    /// size() times the input. Overwrites spectrum() (FFTW's c2r uses it as scratch). Only on an
    /// object constructed with_inverse. No allocation.
    void inverse();

private:
    std::size_t size_ = 0;
    float* in_ = nullptr;
    std::complex<float>* out_ = nullptr;
    void* plan_ = nullptr;          // fftwf_plan, r2c
    void* inverse_plan_ = nullptr;  // fftwf_plan, c2r (with_inverse only)
};

/// Two real channels of the same length through one complex transform.
class StereoFft {
public:
    explicit StereoFft(std::size_t size);  ///< size >= 2, even
    ~StereoFft();
    StereoFft(const StereoFft&) = delete;
    StereoFft& operator=(const StereoFft&) = delete;

    std::size_t size() const { return size_; }
    /// size() interleaved pairs: element j is {left[j], right[j]}. Fill, then call forward().
    std::span<std::complex<float>> input() { return {in_, size_}; }
    /// Transforms input(); unnormalised, no allocation.
    void forward();
    /// Bin k (0 .. size/2) of each channel's own spectrum, separated from the packed transform:
    /// L_k = (Z_k + conj Z_{n-k}) / 2,  R_k = (Z_k - conj Z_{n-k}) / 2i.
    std::complex<float> left(std::size_t k) const;
    std::complex<float> right(std::size_t k) const;
    /// The packed spectrum Z (size() bins), valid after forward(), for loops that separate many
    /// bins at once (see left()/right() for the algebra).
    std::span<const std::complex<float>> packed() const { return {out_, size_}; }

private:
    std::size_t size_ = 0;
    std::complex<float>* in_ = nullptr;
    std::complex<float>* out_ = nullptr;
    void* plan_ = nullptr;  // fftwf_plan
};

/// FFTW wisdom: measured plans remembered between runs. load_fft_wisdom() imports a file written
/// by save_fft_wisdom() (false if it is missing or unreadable: plans are then estimated);
/// tune_fft() measures plans for the given sizes (about 0.1-0.3 s each at 8192 points) so that
/// later RealFft/StereoFft of those sizes use them. All three take the planner lock.
bool load_fft_wisdom(const std::filesystem::path& path);
bool save_fft_wisdom(const std::filesystem::path& path);
struct FftSizes {
    std::vector<std::size_t> real;          ///< RealFft sizes
    std::vector<std::size_t> real_inverse;  ///< RealFft sizes whose inverse() is used too
    std::vector<std::size_t> stereo;        ///< StereoFft sizes
};
void tune_fft(const FftSizes& sizes);

}  // namespace mixscout::dsp
