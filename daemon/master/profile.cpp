#include "master/profile.hpp"

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdio>
#include <cstring>
#include <numbers>
#include <stdexcept>
#include <string>

#include "analysis/analyzer.hpp"
#include "audio/decoder.hpp"
#include "core/error.hpp"
#include "dsp/fft.hpp"
#include "dsp/k_weighting.hpp"
#include "dsp/loudness.hpp"
#include "dsp/window.hpp"

namespace mixscout::master {
namespace {

constexpr int grid_first_index = -144;  // 1000 * 2^(-144/24) = 15.625 Hz
constexpr int grid_count = 253;         // .. 1000 * 2^(108/24) = 22.6 kHz
constexpr double hist_lo_lufs = -70.0;  // segments below are silence
constexpr int hist_bins = 80;           // 1 dB bins, -70 .. +10
constexpr double segment_s = 1.0;

double biquad_power(const dsp::BiquadCoeffs& c, double w) {
    const std::complex<double> z1 = std::polar(1.0, -w), z2 = z1 * z1;
    const std::complex<double> num = c.b0 + c.b1 * z1 + c.b2 * z2;
    const std::complex<double> den = 1.0 + c.a1 * z1 + c.a2 * z2;
    return std::norm(num) / std::norm(den);
}

// The frame of dsp::WelchSpectrum: 5.9 Hz bins at 48 kHz.
std::size_t fft_size_for(int sample_rate) { return dsp::fft_size_near(0.17, sample_rate); }

}  // namespace

const std::vector<double>& grid_hz() {
    static const std::vector<double> grid = [] {
        std::vector<double> g(grid_count);
        for (int i = 0; i < grid_count; ++i) g[i] = 1000.0 * std::exp2((grid_first_index + i) / 24.0);
        return g;
    }();
    return grid;
}

double k_weight_power(double hz) {
    static const dsp::KWeightingCoeffs k = dsp::k_weighting_coeffs(48000.0);
    const double f = std::clamp(hz, 0.0, 23990.0);
    const double w = 2.0 * std::numbers::pi * f / 48000.0;
    return biquad_power(k.shelf, w) * biquad_power(k.highpass, w);
}

struct ProfileBuilder::Impl {
    int sample_rate;
    double loudest_fraction;
    bool keep_chunks;
    std::size_t n, hop, bins;
    dsp::RealFft fft_mid, fft_side;
    std::vector<float> window, buf_mid, buf_side;
    std::size_t fill = 0;
    double psd_scale;                 // |X|^2 -> one-sided PSD (per Hz)
    std::vector<double> k_bins;       // K^2 at each bin, times bin width
    std::vector<double> seg_mid, seg_side;
    double seg_kpow = 0.0;
    int seg_hops = 0, hops_per_segment;
    std::vector<double> hist_mid, hist_side;  // hist_bins * bins
    std::vector<std::int64_t> hist_count;     // hops per histogram bin
    dsp::LoudnessMeter meter;
    double peak = 0.0;
    std::uint64_t hash = 1469598103934665603ull;
    std::int64_t frames = 0;
    std::vector<ChunkStat> chunks;
    std::size_t chunk_frames, chunk_fill = 0;
    float chunk_peak = 0.0f;
    double chunk_sum = 0.0;

    Impl(int rate, double fraction, bool keep)
        : sample_rate(rate), loudest_fraction(fraction), keep_chunks(keep), n(fft_size_for(rate)), hop(n / 2),
          bins(n / 2 + 1), fft_mid(n), fft_side(n), window(n), buf_mid(n), buf_side(n), k_bins(bins), seg_mid(bins),
          seg_side(bins), hist_mid(static_cast<std::size_t>(hist_bins) * bins), hist_side(hist_mid.size()),
          hist_count(hist_bins), meter(rate, 2),
          chunk_frames(static_cast<std::size_t>(Profile::chunk_frames_for(rate))) {
        double wsum2 = 0.0;
        for (std::size_t i = 0; i < n; ++i) {
            window[i] = static_cast<float>(dsp::hann(i, n));
            wsum2 += static_cast<double>(window[i]) * window[i];
        }
        psd_scale = 2.0 / (static_cast<double>(rate) * wsum2);
        const double df = static_cast<double>(rate) / static_cast<double>(n);
        for (std::size_t k = 0; k < bins; ++k) k_bins[k] = k_weight_power(static_cast<double>(k) * df) * df;
        hops_per_segment = std::max(1, static_cast<int>(std::lround(segment_s * rate / static_cast<double>(hop))));
    }

    void frame() {
        auto in_m = fft_mid.input();
        auto in_s = fft_side.input();
        for (std::size_t i = 0; i < n; ++i) {
            in_m[i] = buf_mid[i] * window[i];
            in_s[i] = buf_side[i] * window[i];
        }
        fft_mid.forward();
        fft_side.forward();
        const auto xm = fft_mid.output();
        const auto xs = fft_side.output();
        double kp = 0.0;
        for (std::size_t k = 0; k < bins; ++k) {
            const double pm = std::norm(xm[k]) * psd_scale;
            const double ps = std::norm(xs[k]) * psd_scale;
            seg_mid[k] += pm;
            seg_side[k] += ps;
            kp += (pm + ps) * k_bins[k];
        }
        seg_kpow += kp;
        if (++seg_hops == hops_per_segment) close_segment();
    }

    void close_segment() {
        if (seg_hops == 0) return;
        // mid^2 + side^2 = (L^2 + R^2) / 2, so the channel-summed K-weighted power is 2 * kp.
        const double lufs = -0.691 + 10.0 * std::log10(std::max(1e-30, 2.0 * seg_kpow / seg_hops));
        if (lufs >= hist_lo_lufs) {
            const int b = std::min(hist_bins - 1, static_cast<int>(lufs - hist_lo_lufs));
            double* hm = hist_mid.data() + static_cast<std::size_t>(b) * bins;
            double* hs = hist_side.data() + static_cast<std::size_t>(b) * bins;
            for (std::size_t k = 0; k < bins; ++k) {
                hm[k] += seg_mid[k];
                hs[k] += seg_side[k];
            }
            hist_count[b] += seg_hops;
        }
        std::fill(seg_mid.begin(), seg_mid.end(), 0.0);
        std::fill(seg_side.begin(), seg_side.end(), 0.0);
        seg_kpow = 0.0;
        seg_hops = 0;
    }

    void push(const audio::Block& block) {
        if (block.channels != 2) throw std::logic_error("ProfileBuilder: stereo blocks only");
        meter.push(block);
        const float* p = block.interleaved.data();
        const std::size_t frames_in = block.frames();
        for (std::size_t i = 0; i < 2 * frames_in; ++i) {
            std::uint32_t bits;
            std::memcpy(&bits, p + i, 4);
            hash = (hash ^ bits) * 1099511628211ull;
        }
        for (std::size_t i = 0; i < frames_in; ++i) {
            const float l = p[2 * i], r = p[2 * i + 1];
            const float a = std::max(std::fabs(l), std::fabs(r));
            peak = std::max(peak, static_cast<double>(a));
            if (keep_chunks) {
                chunk_peak = std::max(chunk_peak, a);
                chunk_sum += 0.5 * (static_cast<double>(l) * l + static_cast<double>(r) * r);
                if (++chunk_fill == chunk_frames) flush_chunk();
            }
            buf_mid[fill] = 0.5f * (l + r);
            buf_side[fill] = 0.5f * (l - r);
            if (++fill == n) {
                frame();
                std::memmove(buf_mid.data(), buf_mid.data() + hop, (n - hop) * sizeof(float));
                std::memmove(buf_side.data(), buf_side.data() + hop, (n - hop) * sizeof(float));
                fill = n - hop;
            }
        }
        frames += static_cast<std::int64_t>(frames_in);
    }

    void flush_chunk() {
        if (chunk_fill == 0) return;
        chunks.push_back({chunk_peak, static_cast<float>(chunk_sum / static_cast<double>(chunk_fill))});
        chunk_peak = 0.0f;
        chunk_sum = 0.0;
        chunk_fill = 0;
    }

    Profile finish() {
        Profile pr;
        pr.sample_rate = sample_rate;
        pr.channels = 2;
        pr.frames = frames;
        pr.integrated_lufs = meter.integrated_lufs();
        pr.sample_peak = peak;
        pr.hash = hash ^ static_cast<std::uint64_t>(frames);
        pr.chunk_frames = static_cast<int>(chunk_frames);
        if (keep_chunks) {
            flush_chunk();
            pr.chunks = std::move(chunks);
        }
        // A last partial segment counts if it is at least half a segment, or if it is all we have.
        std::int64_t total = 0;
        for (auto c : hist_count) total += c;
        if (seg_hops * 2 >= hops_per_segment || total == 0) close_segment();
        total = 0;
        for (auto c : hist_count) total += c;

        std::vector<double> mid(bins, 0.0), side(bins, 0.0);
        std::int64_t taken = 0;
        const double want = loudest_fraction * static_cast<double>(total);
        for (int b = hist_bins - 1; b >= 0 && (taken == 0 || static_cast<double>(taken) < want); --b) {
            if (hist_count[b] == 0) continue;
            const double* hm = hist_mid.data() + static_cast<std::size_t>(b) * bins;
            const double* hs = hist_side.data() + static_cast<std::size_t>(b) * bins;
            for (std::size_t k = 0; k < bins; ++k) {
                mid[k] += hm[k];
                side[k] += hs[k];
            }
            taken += hist_count[b];
        }
        const std::size_t g = grid_hz().size();
        pr.mid_psd.assign(g, 0.0);
        pr.side_psd.assign(g, 0.0);
        pr.valid_hi_hz = 0.45 * sample_rate;
        if (taken == 0) return pr;
        for (std::size_t k = 0; k < bins; ++k) {
            mid[k] /= static_cast<double>(taken);
            side[k] /= static_cast<double>(taken);
        }
        // Width: K-weighted side over mid, 20 Hz .. valid_hi.
        const double df = static_cast<double>(sample_rate) / static_cast<double>(n);
        double kw_mid = 0.0, kw_side = 0.0;
        for (std::size_t k = 0; k < bins; ++k) {
            const double f = static_cast<double>(k) * df;
            if (f < 20.0 || f > pr.valid_hi_hz) continue;
            kw_mid += mid[k] * k_bins[k];
            kw_side += side[k] * k_bins[k];
        }
        pr.width_db = kw_mid > 0.0 && kw_side > 0.0 ? std::max(-120.0, 10.0 * std::log10(kw_side / kw_mid)) : -120.0;

        // Bins -> grid cells [f 2^-1/48, f 2^1/48]: the mean PSD over the cell, from the cumulative
        // integral (bin k covers [(k - 1/2) df, (k + 1/2) df]), so cells narrower than a bin read
        // the bin and wider ones average their bins.
        auto to_grid = [&](const std::vector<double>& psd, std::vector<double>& out) {
            std::vector<double> cum(bins + 1, 0.0);
            for (std::size_t k = 0; k < bins; ++k) cum[k + 1] = cum[k] + psd[k] * df;
            auto integral = [&](double f) {
                const double u = std::clamp(f / df + 0.5, 0.0, static_cast<double>(bins) - 1e-9);
                const auto j = static_cast<std::size_t>(u);
                return cum[j] + (u - static_cast<double>(j)) * psd[j] * df;
            };
            const double half = std::exp2(1.0 / 48.0);
            for (std::size_t i = 0; i < g; ++i) {
                const double f = grid_hz()[i];
                const double lo = f / half, hi = f * half;
                if (hi > pr.valid_hi_hz) break;
                out[i] = (integral(hi) - integral(lo)) / (hi - lo);
            }
        };
        to_grid(mid, pr.mid_psd);
        to_grid(side, pr.side_psd);
        const double cell = std::exp2(1.0 / 48.0) - std::exp2(-1.0 / 48.0);
        double norm = 0.0;
        for (std::size_t i = 0; i < g; ++i)
            norm += k_weight_power(grid_hz()[i]) * (pr.mid_psd[i] + pr.side_psd[i]) * grid_hz()[i] * cell;
        if (norm > 0.0)
            for (std::size_t i = 0; i < g; ++i) {
                pr.mid_psd[i] /= norm;
                pr.side_psd[i] /= norm;
            }
        return pr;
    }
};

ProfileBuilder::ProfileBuilder(int sample_rate, double loudest_fraction, bool keep_chunks)
    : impl_(std::make_unique<Impl>(sample_rate, loudest_fraction, keep_chunks)) {}
ProfileBuilder::~ProfileBuilder() = default;
void ProfileBuilder::push(const audio::Block& block) { impl_->push(block); }
Profile ProfileBuilder::finish() { return impl_->finish(); }

std::int64_t check_input(const std::filesystem::path& path, double min_duration_s, const char* role) {
    const audio::StreamInfo info = audio::probe(path);
    if (info.channels != 2)
        throw InputError(path.string() + ": mono " + role + " (1 channel): mastering needs stereo files (export stereo)");
    if (info.duration_s < min_duration_s) {
        char buf[160];
        std::snprintf(buf, sizeof buf, ": too short to master (%.1f s; at least %.0f s needed)", info.duration_s,
                      min_duration_s);
        throw InputError(path.string() + buf);
    }
    return info.frames;
}

Profile profile_file(const std::filesystem::path& path, double loudest_fraction, double min_duration_s, bool keep_chunks,
                     std::atomic<std::int64_t>* frames_done, const std::atomic<bool>* cancel,
                     analysis::Analysis* also) {
    audio::Decoder dec(path, 8192);
    if (dec.info().channels != 2)
        throw InputError(path.string() + ": mono (1 channel): mastering needs stereo files (export stereo)");
    ProfileBuilder builder(dec.info().sample_rate, loudest_fraction, keep_chunks);
    std::unique_ptr<analysis::Analyzer> analyzer;
    if (also) analyzer = std::make_unique<analysis::Analyzer>(dec.info().sample_rate, 2, analysis::AnalyzeOptions{false, 1});
    for (;;) {
        if (cancel && cancel->load(std::memory_order_relaxed)) throw std::runtime_error("cancelled");
        const audio::Block b = dec.read();
        if (b.frames() == 0) break;
        builder.push(b);
        if (analyzer) analyzer->push(b);
        if (frames_done) frames_done->fetch_add(static_cast<std::int64_t>(b.frames()), std::memory_order_relaxed);
    }
    Profile p = builder.finish();
    p.path = path;
    if (analyzer) {
        *also = analyzer->finish(dec.info());
        also->path = path.string();
    }
    const double duration = static_cast<double>(p.frames) / p.sample_rate;
    if (duration < min_duration_s) {
        char buf[160];
        std::snprintf(buf, sizeof buf, ": too short to master (%.1f s; at least %.0f s needed)", duration, min_duration_s);
        throw InputError(path.string() + buf);
    }
    return p;
}

}  // namespace mixscout::master
