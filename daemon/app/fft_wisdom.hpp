// mixscout app: FFTW wisdom, the measured FFT plans kept between runs.
//
// FFTW's estimated plans (what every RealFft/StereoFft uses without wisdom) run the 8192-point
// transforms of the analysis about 2x slower than measured ones here, and measuring takes
// 0.1-0.3 s per size: too slow to do per run, cheap to do once. So: every mixscout process loads
// the wisdom file at start (a few kB, under a millisecond); `mixscout tune` and the daemon's
// first start (in the background) measure the sizes mixscout uses and save them. Wisdom is only
// a speed-up: without it, or with a stale one, results are the same.
//
// File: fftw-wisdom in user_dir(UserDir::cache) (core/user_dirs.hpp: ~/.cache/mixscout on Linux,
// ~/Library/Caches/mixscout on macOS, %LOCALAPPDATA%\mixscout on Windows). FFTW's system wisdom
// (/etc/fftw/wisdomf) is imported too when present.
#pragma once
#include <filesystem>
#include <thread>

namespace mixscout::app {

std::filesystem::path default_wisdom_file();

/// Imports the system wisdom and `file`; false if `file` is missing or unreadable.
bool load_wisdom(const std::filesystem::path& file = default_wisdom_file());

/// Measures plans for the transform sizes mixscout uses and writes them to `file` (atomically:
/// a temp file renamed into place, so concurrent processes never read half a file). Returns the
/// seconds spent measuring. Throws std::runtime_error if the file cannot be written.
double tune_and_save(const std::filesystem::path& file = default_wisdom_file());

/// The daemon's first start: tunes in a background thread when `file` does not exist yet,
/// joined in the destructor (a few seconds at most). Errors are logged, never fatal.
class BackgroundTune {
public:
    explicit BackgroundTune(std::filesystem::path file = default_wisdom_file());
    ~BackgroundTune();
    BackgroundTune(const BackgroundTune&) = delete;
    BackgroundTune& operator=(const BackgroundTune&) = delete;

private:
    std::thread thread_;
};

}  // namespace mixscout::app
