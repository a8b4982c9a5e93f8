// mixscout master, internal to master.cpp: the passes that read and write audio once the plan is
// made: render (EQ -> glue compressor -> gain -> true-peak limiter -> a float temp file), the final
// copy (trim, bits, dither; the written file analysed), and the A/B file. master.cpp decides what
// to render and checks the guards; these only run the chain.
#pragma once
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <string_view>
#include <vector>

#include "analysis/analysis.hpp"
#include "master/compressor.hpp"
#include "master/limiter.hpp"
#include "master/master.hpp"

namespace mixscout::master {

/// Throttles the callback to whole-percent steps.
struct Progress {
    const ProgressCallback& cb;
    int last = -1;
    void operator()(double percent, std::string_view stage) {
        if (!cb) return;
        const int p = static_cast<int>(std::clamp(percent, 0.0, 100.0));
        if (p == last) return;
        last = p;
        cb(std::clamp(percent, 0.0, 100.0), stage);
    }
};

/// Removes the temp files unless released.
struct TempFiles {
    std::vector<std::filesystem::path> paths;
    ~TempFiles() {
        std::error_code ec;
        for (const auto& p : paths) std::filesystem::remove(p, ec);
    }
};

struct RenderResult {
    double lufs = 0.0, lra_lu = 0.0;
    LimiterStats limiter, compressor;
};

struct RenderPlan {
    const std::filesystem::path* mix;
    std::int64_t frames;
    int sample_rate;
    std::vector<float> fir_mid, fir_side;  // empty: no EQ
    double ceiling_dbtp;
    LimiterOptions limiter;
    bool compress = false;
    CompressorOptions compressor;
    double compressor_threshold_dbfs = 0.0;  // after the EQ, before the gain
    int compressor_step_frames = 64;
};

/// Pass 2: the chain over the mix at gain_db into `temp` (32-bit float); progress from p0 to p1 %.
RenderResult render(const RenderPlan& plan, double gain_db, const std::filesystem::path& temp, Progress& progress, double p0,
                    double p1);

struct FinalResult {
    double lufs = 0.0, true_peak_dbtp = 0.0;
    std::int64_t clipped = 0;
    analysis::Analysis analysis;  // of what was written
};

/// The copy pass: temp float file * trim -> output at `bits`, metering what is written.
FinalResult finalise(const std::filesystem::path& temp, const std::filesystem::path& out, int sample_rate, int bits, double trim_db,
                     Progress& progress, double p0);

/// OUT.ab.wav: blocks of block_s seconds, mix / master / mix / ..., each at its gain (<= 0 dB:
/// the louder one is turned down), with a 10 ms equal-gain crossfade at each switch (no click).
void write_ab(const std::filesystem::path& mix, const std::filesystem::path& master, const std::filesystem::path& out, int sample_rate, double block_s,
              double mix_gain_db, double master_gain_db);

}  // namespace mixscout::master
