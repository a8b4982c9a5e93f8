#include "master/render.hpp"

#include <algorithm>
#include <cmath>
#include <memory>

#include "analysis/analyzer.hpp"
#include "audio/decoder.hpp"
#include "core/units.hpp"
#include "dsp/loudness.hpp"
#include "master/convolver.hpp"
#include "master/writer.hpp"

namespace mixscout::master {
namespace {

namespace fs = std::filesystem;

/// Gain-reduction statistics over output frames, and the coarse series for plots.
struct ReductionMeter {
    double max_db = 0.0, sum_db = 0.0;
    std::int64_t frames = 0, active = 0;
    std::int64_t series_frames = 4800, in_bin = 0;
    float bin_max = 0.0f;
    std::vector<float> series;
    void add(float gain) {
        const double gr = gain < 1.0f ? -20.0 * std::log10(static_cast<double>(gain)) : 0.0;
        max_db = std::max(max_db, gr);
        sum_db += gr;
        if (gr > 0.1) ++active;
        ++frames;
        bin_max = std::max(bin_max, static_cast<float>(gr));
        if (++in_bin == series_frames) flush();
    }
    void flush() {
        if (in_bin == 0) return;
        series.push_back(std::round(bin_max * 100.0f) / 100.0f);
        bin_max = 0.0f;
        in_bin = 0;
    }
    LimiterStats stats() {
        flush();
        const double n = static_cast<double>(std::max<std::int64_t>(1, frames));
        return {max_db, sum_db / n, 100.0 * static_cast<double>(active) / n, series};
    }
};

}  // namespace

RenderResult render(const RenderPlan& plan, double gain_db, const fs::path& temp, Progress& progress, double p0,
                    double p1) {
    audio::Decoder dec(*plan.mix, 8192);
    const bool eq = !plan.fir_mid.empty();
    std::unique_ptr<FftConvolver> conv_mid, conv_side;
    std::size_t block = 8192;
    std::int64_t fir_latency = 0;
    if (eq) {
        conv_mid = std::make_unique<FftConvolver>(plan.fir_mid);
        conv_side = std::make_unique<FftConvolver>(plan.fir_side);
        block = conv_mid->block_frames();
        fir_latency = static_cast<std::int64_t>(plan.fir_mid.size() - 1) / 2;
    }
    GlueCompressor compressor(plan.sample_rate, plan.compressor_step_frames, plan.compressor, plan.compressor_threshold_dbfs);
    TruePeakLimiter limiter(plan.sample_rate, plan.ceiling_dbtp, plan.limiter);
    const std::int64_t latency = fir_latency + limiter.latency_frames();
    AudioWriter writer(temp, plan.sample_rate, 32);
    dsp::LoudnessMeter meter(plan.sample_rate, 2);
    const auto gain = static_cast<float>(db_to_amplitude(gain_db));

    std::vector<float> mid(block), side(block), stereo(2 * block), gains(block), comp_gains(block, 1.0f);
    std::size_t fill = 0;
    std::int64_t produced = 0, written = 0;
    ReductionMeter lim_meter, comp_meter;
    lim_meter.series_frames = comp_meter.series_frames =
        std::max<std::int64_t>(1, std::llround(plan.sample_rate / gain_reduction_series_hz));

    auto run_block = [&] {
        if (eq) {
            conv_mid->process(mid.data(), mid.data());
            conv_side->process(side.data(), side.data());
        }
        for (std::size_t i = 0; i < block; ++i) {
            stereo[2 * i] = mid[i] + side[i];
            stereo[2 * i + 1] = mid[i] - side[i];
        }
        if (plan.compress) compressor.process(stereo.data(), block, comp_gains.data());
        for (std::size_t i = 0; i < 2 * block; ++i) stereo[i] *= gain;
        // The compressor's frames [fir_latency, fir_latency + frames) are the song's.
        for (std::size_t i = 0; i < block; ++i) {
            const std::int64_t t = produced + static_cast<std::int64_t>(i) - fir_latency;
            if (t >= 0 && t < plan.frames) comp_meter.add(comp_gains[i]);
        }
        limiter.process(stereo.data(), stereo.data(), block, gains.data());
        // Keep output frames [latency, latency + frames): the chain's delay removed exactly.
        const std::int64_t first = std::max<std::int64_t>(0, latency - produced);
        const std::int64_t last = std::min<std::int64_t>(static_cast<std::int64_t>(block), latency + plan.frames - produced);
        produced += static_cast<std::int64_t>(block);
        fill = 0;
        if (last <= first) return;
        const auto n = static_cast<std::size_t>(last - first);
        const float* out = stereo.data() + 2 * first;
        writer.write(out, n);
        const audio::Block b{{out, 2 * n}, 2};
        meter.push(b);
        for (std::size_t i = 0; i < n; ++i) lim_meter.add(gains[static_cast<std::size_t>(first) + i]);
        written += static_cast<std::int64_t>(n);
        progress(p0 + (p1 - p0) * static_cast<double>(written) / static_cast<double>(std::max<std::int64_t>(1, plan.frames)),
                 "rendering");
    };

    for (;;) {
        const audio::Block b = dec.read();
        const std::size_t n = b.frames();
        if (n == 0) break;
        const float* p = b.interleaved.data();
        for (std::size_t i = 0; i < n; ++i) {
            mid[fill] = 0.5f * (p[2 * i] + p[2 * i + 1]);
            side[fill] = 0.5f * (p[2 * i] - p[2 * i + 1]);
            if (++fill == block) run_block();
        }
    }
    while (written < plan.frames) {  // flush the chain's delay with silence
        std::fill(mid.begin() + static_cast<std::ptrdiff_t>(fill), mid.end(), 0.0f);
        std::fill(side.begin() + static_cast<std::ptrdiff_t>(fill), side.end(), 0.0f);
        run_block();
    }
    writer.close();
    RenderResult r;
    r.lufs = meter.integrated_lufs();
    r.lra_lu = meter.loudness_range_lu();
    r.limiter = lim_meter.stats();
    r.compressor = comp_meter.stats();
    return r;
}

/// The copy pass: temp float file * trim -> output at `bits`, metering what is written.
FinalResult finalise(const fs::path& temp, const fs::path& out, int sample_rate, int bits, double trim_db,
                     Progress& progress, double p0) {
    audio::Decoder dec(temp, 8192);
    AudioWriter writer(out, sample_rate, bits);
    // Two threads: the analysis' kernels run beside the writing (this pass is otherwise serial).
    analysis::Analyzer analyzer(sample_rate, 2, analysis::AnalyzeOptions{false, 2});
    const auto trim = static_cast<float>(db_to_amplitude(trim_db));
    std::vector<float> buf, quantised;
    const double total = static_cast<double>(std::max<std::int64_t>(1, dec.info().frames));
    for (;;) {
        const audio::Block b = dec.read();
        const std::size_t n = b.frames();
        if (n == 0) break;
        buf.resize(2 * n);
        quantised.resize(2 * n);
        for (std::size_t i = 0; i < 2 * n; ++i) buf[i] = b.interleaved[i] * trim;
        writer.write(buf.data(), n, quantised.data());
        analyzer.push(audio::Block{{quantised.data(), 2 * n}, 2});
        progress(p0 + (100.0 - p0) * static_cast<double>(dec.position()) / total, "writing");
    }
    writer.close();
    FinalResult r;
    audio::StreamInfo info;
    info.sample_rate = sample_rate;
    info.channels = 2;
    info.bit_depth = bits == 32 ? 0 : bits;
    info.container = out.extension() == ".flac" ? "flac" : (out.extension() == ".wav" ? "wav" : "aiff");
    info.encoding = bits == 32 ? "float" : "pcm_" + std::to_string(bits);
    r.analysis = analyzer.finish(info);
    r.analysis.path = out.string();
    r.lufs = r.analysis.loudness.integrated_lufs;
    r.true_peak_dbtp = r.analysis.peak.true_peak_dbtp;
    r.clipped = writer.clipped_samples();
    return r;
}

/// OUT.ab.wav: blocks of block_s seconds, mix / master / mix / ..., each at its gain (<= 0 dB:
/// the louder one is turned down), with a 10 ms equal-gain crossfade at each switch (no click).
void write_ab(const fs::path& mix, const fs::path& master, const fs::path& out, int sample_rate, double block_s,
              double mix_gain_db, double master_gain_db) {
    audio::Decoder a(mix, 8192), b(master, 8192);
    AudioWriter writer(out, sample_rate, 24);
    const auto block = std::max<std::int64_t>(1, std::llround(block_s * sample_rate));
    const auto fade = std::max<std::int64_t>(1, std::llround(0.010 * sample_rate));
    const auto ga = static_cast<float>(db_to_amplitude(mix_gain_db)), gb = static_cast<float>(db_to_amplitude(master_gain_db));
    std::vector<float> buf;
    std::int64_t t = 0;
    for (;;) {
        const audio::Block x = a.read();
        const audio::Block y = b.read();
        const std::size_t n = std::min(x.frames(), y.frames());
        if (n == 0) break;
        buf.resize(2 * n);
        for (std::size_t i = 0; i < n; ++i, ++t) {
            // w = share of the master: 0 in even blocks, 1 in odd ones, ramped over `fade` after a switch.
            const std::int64_t k = t / block, into = t % block;
            const float now = static_cast<float>(k % 2), before = k == 0 ? now : 1.0f - now;
            const float w = into < fade ? before + (now - before) * static_cast<float>(into) / static_cast<float>(fade) : now;
            for (int c = 0; c < 2; ++c)
                buf[2 * i + c] = (1.0f - w) * ga * x.interleaved[2 * i + c] + w * gb * y.interleaved[2 * i + c];
        }
        writer.write(buf.data(), n);
    }
    writer.close();
}

}  // namespace mixscout::master
