#include "app/fft_wisdom.hpp"

#include <fftw3.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "core/log.hpp"
#include "core/user_dirs.hpp"
#include "dsp/fft.hpp"

namespace mixscout::app {

namespace fs = std::filesystem;

fs::path default_wisdom_file() { return user_dir(UserDir::cache) / "fftw-wisdom"; }

bool load_wisdom(const fs::path& file) {
    {
        std::lock_guard lock(dsp::fft_planner_mutex());
        fftwf_import_system_wisdom();  // /etc/fftw/wisdomf, if an administrator made one
    }
    std::error_code ec;
    return fs::is_regular_file(file, ec) && dsp::load_fft_wisdom(file);
}

double tune_and_save(const fs::path& file) {
    // The sizes in use: the Welch spectrum picks the power of two nearest 0.17 s (4096 at 22-32 kHz
    // ... 32768 at 192 kHz, StereoFft); band energies and the mastering profile use RealFft and
    // StereoFft of 2048-16384 points; the mastering convolver runs 16384-point RealFfts both ways
    // at 44.1/48 kHz (its 8191-tap EQ; other rates get estimated plans).
    dsp::FftSizes sizes;
    sizes.stereo = {2048, 4096, 8192, 16384, 32768};
    sizes.real = {2048, 4096, 8192, 16384};
    sizes.real_inverse = {16384};
    const auto t0 = std::chrono::steady_clock::now();
    dsp::tune_fft(sizes);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::error_code ec;
    fs::create_directories(file.parent_path(), ec);
    const fs::path tmp = file.string() + ".tmp." + std::to_string(::getpid());
    if (!dsp::save_fft_wisdom(tmp)) throw std::runtime_error(tmp.string() + ": cannot write the FFT wisdom file");
    fs::rename(tmp, file, ec);
    if (ec) {
        fs::remove(tmp, ec);
        throw std::runtime_error(file.string() + ": cannot write the FFT wisdom file");
    }
    return seconds;
}

BackgroundTune::BackgroundTune(fs::path file) {
    std::error_code ec;
    if (fs::exists(file, ec)) return;
    thread_ = std::thread([file = std::move(file)] {
        try {
            const double s = tune_and_save(file);
            char secs[32];
            std::snprintf(secs, sizeof secs, "%.1f", s);
            log::info(std::string("measured FFT plans in ") + secs + " s, saved to " + file.string() + " (later runs start with them)");
        } catch (const std::exception& e) {
            log::warn(std::string("FFT plans not saved: ") + e.what() + " (analysis works, a little slower)");
        }
    });
}

BackgroundTune::~BackgroundTune() {
    if (thread_.joinable()) thread_.join();
}

}  // namespace mixscout::app
