#include "dsp/band_energy.hpp"

#include <algorithm>
#include <cmath>
#include <complex>
#include <numbers>
#include <stdexcept>

#include "core/error.hpp"
#include "dsp/biquad.hpp"
#include "dsp/fft.hpp"

namespace mixscout::dsp {

const std::vector<FrequencyBand>& critical_bands() {
    static const std::vector<FrequencyBand> bands = [] {
        // Zwicker (1961), "Subdivision of the audible frequency range into critical bands".
        static constexpr double edges[] = {0,    100,  200,  300,  400,  510,  630,  770,  920,
                                           1080, 1270, 1480, 1720, 2000, 2320, 2700, 3150, 3700,
                                           4400, 5300, 6400, 7700, 9500, 12000, 15500};
        std::vector<FrequencyBand> out;
        for (std::size_t i = 0; i + 1 < std::size(edges); ++i) out.push_back({edges[i], edges[i + 1]});
        return out;
    }();
    return bands;
}

namespace {

/// RBJ cookbook band-pass (0 dB peak gain) at fc with quality q.
BiquadCoeffs band_pass(double fc, double q, int sample_rate) {
    const double w0 = 2.0 * std::numbers::pi * fc / sample_rate;
    const double alpha = std::sin(w0) / (2.0 * q);
    const double a0 = 1.0 + alpha;
    return {alpha / a0, 0.0, -alpha / a0, -2.0 * std::cos(w0) / a0, (1.0 - alpha) / a0};
}

std::size_t next_pow2(std::size_t n) {
    std::size_t p = 2;
    while (p < n) p *= 2;
    return p;
}

}  // namespace

struct BandEnergy::Impl {
    BandMethod method = BandMethod::fft;
    // --- fft
    std::size_t n = 0;                  // FFT size
    std::size_t pre_pad = 0;            // zeros before the stream so frame windows are centred on hops
    std::size_t fill = 0;               // frames buffered (< n after frame_ready)
    std::vector<float> buf[2];          // last n frames per channel
    std::vector<float> window;
    std::vector<float> bin_power;       // one-sided, accumulated over channels
    // Per band, the contiguous bins it overlaps and their weights (overlap share x Parseval scale),
    // so a band is one dot product accumulated in a register.
    struct Span { std::size_t first_bin, count, weight_at; };
    std::vector<Span> spans;
    std::vector<float> weights;
    std::unique_ptr<RealFft> fft;
    // --- filter bank
    std::vector<BiquadCoeffs> coeffs;   // [band]: both sections use the same coefficients
    std::vector<BiquadState> states;    // [channel][band][2]
    std::vector<double> energy;         // per band, over the current hop
    std::int64_t in_hop = 0;            // frames in the current hop
};

BandEnergy::BandEnergy(int sample_rate, int channels, BandEnergyOptions options)
    : sample_rate_(sample_rate), channels_(channels), impl_(std::make_unique<Impl>()) {
    if (channels < 1 || channels > 2) throw InputError("band energy: " + std::to_string(channels) + " channels (1 or 2 supported)");
    if (sample_rate < 8000 || sample_rate > 384000) throw InputError("band energy: sample rate " + std::to_string(sample_rate) + " out of range");
    if (!(options.frame_s >= 0.005 && options.frame_s <= 1.0)) throw std::invalid_argument("BandEnergy: frame_s out of 0.005..1");
    hop_ = std::max<std::int64_t>(1, std::llround(options.frame_s * sample_rate));
    const double nyquist = 0.5 * sample_rate;
    for (const FrequencyBand& b : options.scale == BandScale::critical ? critical_bands() : third_octave_bands()) {
        if (b.lo_hz >= nyquist) break;
        bands_.push_back({b.lo_hz, std::min(b.hi_hz, nyquist)});
    }
    latest_.assign(bands_.size(), 0.0f);
    Impl& m = *impl_;
    m.method = options.method;
    if (m.method == BandMethod::fft) {
        m.n = next_pow2(std::max<std::size_t>(static_cast<std::size_t>(std::ceil(options.window_s * sample_rate)),
                                              static_cast<std::size_t>(hop_)));
        m.pre_pad = (m.n - static_cast<std::size_t>(hop_)) / 2;
        m.window.resize(m.n);
        double sum_w2 = 0.0;
        for (std::size_t i = 0; i < m.n; ++i) {
            // Periodic Hann: overlapped copies sum to a constant.
            const double w = 0.5 - 0.5 * std::cos(2.0 * std::numbers::pi * static_cast<double>(i) / static_cast<double>(m.n));
            m.window[i] = static_cast<float>(w);
            sum_w2 += w * w;
        }
        for (int c = 0; c < channels; ++c) m.buf[c].assign(m.n, 0.0f);
        m.bin_power.assign(m.n / 2 + 1, 0.0f);
        const double bin_hz = static_cast<double>(sample_rate) / static_cast<double>(m.n);
        const double parseval = 1.0 / (static_cast<double>(m.n) * sum_w2 * channels);
        for (const FrequencyBand& band : bands_) {
            Impl::Span span{0, 0, m.weights.size()};
            for (std::size_t k = 0; k <= m.n / 2; ++k) {
                const double one_sided = (k == 0 || k == m.n / 2) ? 1.0 : 2.0;
                const double lo = std::max(0.0, (static_cast<double>(k) - 0.5) * bin_hz);
                const double hi = std::min(nyquist, (static_cast<double>(k) + 0.5) * bin_hz);
                const double overlap = std::min(hi, band.hi_hz) - std::max(lo, band.lo_hz);
                if (overlap <= 0.0) continue;
                if (span.count == 0) span.first_bin = k;
                ++span.count;
                m.weights.push_back(static_cast<float>(one_sided * parseval * overlap / bin_hz));
            }
            m.spans.push_back(span);
        }
        m.fft = std::make_unique<RealFft>(m.n);
    } else {
        // Two cascaded band-passes per band, Q chosen so the pair is -3 dB at the band edges:
        // each section is 1/sqrt(2) there, i.e. Q^2 (f/fc - fc/f)^2 = sqrt(2) - 1.
        for (const FrequencyBand& b : bands_) {
            const double fc = std::sqrt(std::max(b.lo_hz, 1.0) * b.hi_hz);
            const double u = b.hi_hz / fc - fc / b.hi_hz;
            const double q = std::sqrt(std::sqrt(2.0) - 1.0) / u;
            m.coeffs.push_back(band_pass(std::min(fc, 0.45 * sample_rate), q, sample_rate));
        }
        m.states.assign(static_cast<std::size_t>(channels) * bands_.size() * 2, BiquadState{});
        m.energy.assign(bands_.size(), 0.0);
    }
    reset();
}

BandEnergy::~BandEnergy() = default;
BandEnergy::BandEnergy(BandEnergy&&) noexcept = default;
BandEnergy& BandEnergy::operator=(BandEnergy&&) noexcept = default;

void BandEnergy::reset() {
    Impl& m = *impl_;
    frames_in_ = 0;
    frames_out_ = 0;
    std::fill(latest_.begin(), latest_.end(), 0.0f);
    if (m.method == BandMethod::fft) {
        for (int c = 0; c < channels_; ++c) std::fill(m.buf[c].begin(), m.buf[c].end(), 0.0f);
        m.fill = m.pre_pad;
    } else {
        for (BiquadState& st : m.states) st.reset();
        std::fill(m.energy.begin(), m.energy.end(), 0.0);
        m.in_hop = 0;
    }
}

std::size_t BandEnergy::consume(const audio::Block& block, std::size_t offset) {
    if (block.channels != channels_) throw std::invalid_argument("BandEnergy::push: channel count mismatch");
    Impl& m = *impl_;
    const std::size_t avail = block.frames() - offset;
    const float* src = block.interleaved.data() + offset * static_cast<std::size_t>(channels_);
    if (m.method == BandMethod::fft) {
        const std::size_t take = std::min(avail, m.n - m.fill);
        for (int c = 0; c < channels_; ++c) {
            float* dst = m.buf[c].data() + m.fill;
            for (std::size_t i = 0; i < take; ++i) dst[i] = src[i * channels_ + c];
        }
        m.fill += take;
        frames_in_ += static_cast<std::int64_t>(take);
        return take;
    }
    const std::size_t take = std::min<std::size_t>(avail, static_cast<std::size_t>(hop_ - m.in_hop));
    const std::size_t nb = bands_.size();
    for (int c = 0; c < channels_; ++c) {
        BiquadState* st = m.states.data() + static_cast<std::size_t>(c) * nb * 2;
        for (std::size_t b = 0; b < nb; ++b) {
            const BiquadCoeffs& k = m.coeffs[b];
            BiquadState& s1 = st[2 * b];
            BiquadState& s2 = st[2 * b + 1];
            double acc = 0.0;
            for (std::size_t i = 0; i < take; ++i) {
                const double y = s2.process(k, s1.process(k, src[i * channels_ + c]));
                acc += y * y;
            }
            m.energy[b] += acc;
            s1.flush_denormals();
            s2.flush_denormals();
        }
    }
    m.in_hop += static_cast<std::int64_t>(take);
    frames_in_ += static_cast<std::int64_t>(take);
    return take;
}

void BandEnergy::pad_zeros() {
    Impl& m = *impl_;
    if (m.method == BandMethod::fft) {
        for (int c = 0; c < channels_; ++c) std::fill(m.buf[c].begin() + static_cast<std::ptrdiff_t>(m.fill), m.buf[c].end(), 0.0f);
        m.fill = m.n;
        return;
    }
    const std::size_t nb = bands_.size();
    for (int c = 0; c < channels_; ++c) {
        BiquadState* st = m.states.data() + static_cast<std::size_t>(c) * nb * 2;
        for (std::size_t b = 0; b < nb; ++b)
            for (std::int64_t i = m.in_hop; i < hop_; ++i) {
                const double y = st[2 * b + 1].process(m.coeffs[b], st[2 * b].process(m.coeffs[b], 0.0));
                m.energy[b] += y * y;
            }
    }
    m.in_hop = hop_;
}

bool BandEnergy::frame_ready() {
    Impl& m = *impl_;
    if (m.method == BandMethod::fft) {
        if (m.fill < m.n) return false;
        std::fill(m.bin_power.begin(), m.bin_power.end(), 0.0f);
        std::span<float> in = m.fft->input();
        for (int c = 0; c < channels_; ++c) {
            const float* x = m.buf[c].data();
            for (std::size_t i = 0; i < m.n; ++i) in[i] = x[i] * m.window[i];
            m.fft->forward();
            const std::span<const std::complex<float>> out = m.fft->output();
            for (std::size_t k = 0; k < out.size(); ++k) m.bin_power[k] += std::norm(out[k]);
        }
        for (std::size_t b = 0; b < m.spans.size(); ++b) {
            const Impl::Span& sp = m.spans[b];
            const float* p = m.bin_power.data() + sp.first_bin;
            const float* w = m.weights.data() + sp.weight_at;
            float acc = 0.0f;
            for (std::size_t i = 0; i < sp.count; ++i) acc += w[i] * p[i];
            latest_[b] = acc;
        }
        // Slide by one hop.
        const std::size_t hop = static_cast<std::size_t>(hop_);
        for (int c = 0; c < channels_; ++c) std::copy(m.buf[c].begin() + static_cast<std::ptrdiff_t>(hop), m.buf[c].end(), m.buf[c].begin());
        m.fill -= hop;
        ++frames_out_;
        return true;
    }
    if (m.in_hop < hop_) return false;
    const double scale = 1.0 / (static_cast<double>(hop_) * channels_);
    for (std::size_t b = 0; b < bands_.size(); ++b) {
        latest_[b] = static_cast<float>(m.energy[b] * scale);
        m.energy[b] = 0.0;
    }
    m.in_hop = 0;
    ++frames_out_;
    return true;
}

}  // namespace mixscout::dsp
