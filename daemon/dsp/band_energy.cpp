// mixscout dsp: BandEnergy (see band_energy.hpp). ~540 lines in one file on purpose: both methods
// live in one Impl, and the vector helpers below must be in the same translation unit as the hot
// loops they are always_inline'd into (and cloned with for AVX2+FMA, multiversion.hpp).
#include "dsp/band_energy.hpp"

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstring>
#include <numbers>
#include <stdexcept>

#include "core/error.hpp"
#include "dsp/biquad.hpp"
#include "dsp/block_scan.hpp"
#include "dsp/fft.hpp"
#include "dsp/multiversion.hpp"
#include "dsp/window.hpp"

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

using Pair = std::complex<float>;  // one stereo frame {left, right}: the StereoFft input layout

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

// Bands whose upper edge is at or below split_hz (1/3 octaves up to 2 kHz, critical bands up to
// 1720-2000 Hz) come from the decimated long transform; the others from short transforms, where
// a band spans at least 15 of their bins (so their wider leakage moves little across band edges).
constexpr double split_hz = 2300.0;
// Anti-alias rejection of the decimator: anything folding below split_hz is at least this far down.
constexpr double alias_rejection_db = 80.0;

/// Kaiser-windowed sinc low-pass for decimation by `factor` (Kaiser's design formulas, Oppenheim &
/// Schafer 7.6): cutoff at the decimated Nyquist, flat (ripple ~1e-4) to split_hz and at least
/// alias_rejection_db down from rate/factor - split_hz, i.e. wherever a frequency would fold below
/// split_hz. Odd length, unity DC gain.
std::vector<float> decimation_fir(int sample_rate, int factor) {
    if (factor == 1) return {1.0f};
    const double a = alias_rejection_db;
    const double transition = 2.0 * std::numbers::pi * (static_cast<double>(sample_rate) / factor - 2.0 * split_hz) / sample_rate;
    const double beta = 0.1102 * (a - 8.7);
    int taps = static_cast<int>(std::ceil((a - 8.0) / (2.285 * transition))) + 1;
    if (taps % 2 == 0) ++taps;
    const double centre = 0.5 * (taps - 1);
    const double cutoff = 0.5 / factor;  // cycles per sample
    std::vector<float> out;
    for (double v : kaiser_lowpass(taps, cutoff, beta, centre, centre)) out.push_back(static_cast<float>(v));
    return out;
}

// The hot loops below work on floats laid out {left, right, left, right, ...}; independent lanes
// let GCC vectorise them without fast-math (MIXSCOUT_MULTIVERSION adds an AVX2+FMA clone).

typedef float v8f __attribute__((vector_size(32)));

[[gnu::always_inline]] inline v8f load8(const float* p) {
    v8f v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

/// The decimating FIR, polyphase: out pair j = sum over p < decim, q < q_len of
/// poly[p * q_len + q] * phase_p[j + q], where phase_p (at phases + p * stride floats) holds the
/// input pairs x[t * decim + p] (so the sum is h[k] * x[j * decim + k] with k = q * decim + p).
/// Each phase must hold count + q_len + 31 pairs: whole 32-pair chunks are computed, the tail's
/// extra outputs dropped. Vectorised over consecutive outputs (both channels share the taps), with
/// eight independent accumulators so the FMA latency is hidden; one output at a time with a
/// horizontal sum per output was 5x slower (perf share of a WAV stems run: 31 % -> 6 %).
MIXSCOUT_MULTIVERSION
void fir_decimate(const float* __restrict poly, std::size_t decim, std::size_t q_len, const float* __restrict phases,
                  std::size_t stride, float* __restrict out, std::size_t count) {
    constexpr std::size_t vecs = 8, chunk = 8 * vecs;  // floats: 32 pairs
    for (std::size_t j = 0; j < 2 * count; j += chunk) {
        v8f acc[vecs] = {};
        for (std::size_t p = 0; p < decim; ++p) {
            const float* ph = phases + p * stride + j;
            const float* h = poly + p * q_len;
            for (std::size_t q = 0; q < q_len; ++q) {
                const float hq = h[q];
                const float* s = ph + 2 * q;
                for (std::size_t v = 0; v < vecs; ++v) acc[v] += hq * load8(s + 8 * v);
            }
        }
        float done[chunk];
        std::memcpy(done, acc, sizeof done);
        std::memcpy(out + j, done, std::min(chunk, 2 * count - j) * sizeof(float));
    }
}

/// out[i] += in[count - 1 - i].
MIXSCOUT_MULTIVERSION
void add_reversed(float* __restrict out, const float* __restrict in, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) out[i] += in[count - 1 - i];
}

MIXSCOUT_MULTIVERSION
void multiply(float* __restrict out, const float* __restrict a, const float* __restrict b, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) out[i] = a[i] * b[i];
}

MIXSCOUT_MULTIVERSION
float dot(const float* __restrict a, const float* __restrict b, std::size_t n) {
    constexpr std::size_t lanes = 8;
    float acc[lanes] = {};
    std::size_t i = 0;
    for (; i + lanes <= n; i += lanes)
        for (std::size_t k = 0; k < lanes; ++k) acc[k] += a[i + k] * b[i + k];
    float r = 0.0f;
    for (; i < n; ++i) r += a[i] * b[i];
    for (float v : acc) r += v;
    return r;
}

/// mag[i] = |Z_{first + i}|^2 for i < count (Z as interleaved floats).
MIXSCOUT_MULTIVERSION
void magnitudes(const float* __restrict z, std::size_t first, float* __restrict mag, std::size_t count) {
    const float* p = z + 2 * first;
    for (std::size_t i = 0; i < count; ++i) mag[i] = p[2 * i] * p[2 * i] + p[2 * i + 1] * p[2 * i + 1];
}

/// power[i] = |Z_k|^2 + |Z_{n-k}|^2 for k = lo + i (Z as interleaved floats; Z_n is Z_0). Three
/// contiguous passes (the bins up, the mirrored bins up, then a reversed add) that the compiler
/// vectorises; the single loop walking the mirror downwards stayed scalar (3x slower).
/// scratch: count floats.
void power_pairs(const float* z, std::size_t n, std::size_t lo, float* __restrict power, float* __restrict scratch, std::size_t count) {
    if (count == 0) return;
    std::size_t i = 0;
    if (lo == 0) {
        power[0] = 2.0f * (z[0] * z[0] + z[1] * z[1]);
        i = 1;
    }
    const std::size_t m = count - i;  // bins lo+i .. lo+count-1, mirrored at n-lo-count+1 .. n-lo-i
    magnitudes(z, lo + i, power + i, m);
    magnitudes(z, n - lo - count + 1, scratch, m);
    add_reversed(power + i, scratch, m);
}

/// One transform size: a window, a StereoFft, and the bands measured from it.
struct Path {
    std::size_t n = 0;              // transform size
    std::vector<float> window2;     // the window, each value twice: it multiplies {left, right} pairs
    std::unique_ptr<StereoFft> fft;
    std::size_t bin_lo = 0;         // power[] holds bins [bin_lo, bin_lo + power.size())
    std::vector<float> power;       // |Z_k|^2 + |Z_{n-k}|^2 = 2 (|L_k|^2 + |R_k|^2)
    std::vector<float> mirror;      // scratch of power_pairs
    std::vector<float> diff;        // per bin, 2 (|L_k|^2 - |R_k|^2) (stereo balance only)
    // Per band, the contiguous bins it overlaps and their weights (overlap share x Parseval scale),
    // so a band is one dot product accumulated in registers.
    struct Span { std::size_t first_bin, count, weight_at; };
    std::vector<Span> spans;
    std::vector<float> weights;

    /// The path measures `bands` from a transform of `size` points at `rate_hz` (its own rate)
    /// with window w.
    void build(std::size_t size, const std::vector<double>& w, double rate_hz, int channels, std::span<const FrequencyBand> bands) {
        n = size;
        window2.resize(2 * n);
        double sum_w2 = 0.0;
        for (std::size_t i = 0; i < n; ++i) {
            window2[2 * i] = window2[2 * i + 1] = static_cast<float>(w[i]);
            sum_w2 += w[i] * w[i];
        }
        const double bin_hz = rate_hz / static_cast<double>(n);
        const double nyquist_hz = 0.5 * rate_hz;
        // Parseval, one-sided, channel-averaged; the 1/2 undoes the factor 2 in power[].
        const double parseval = 0.5 / (static_cast<double>(n) * sum_w2 * channels);
        std::size_t lo = n, hi = 0;
        for (const FrequencyBand& band : bands) {
            Span span{0, 0, weights.size()};
            for (std::size_t k = 0; k <= n / 2; ++k) {
                const double one_sided = (k == 0 || k == n / 2) ? 1.0 : 2.0;
                const double bin_lo_hz = std::max(0.0, (static_cast<double>(k) - 0.5) * bin_hz);
                const double bin_hi_hz = std::min(nyquist_hz, (static_cast<double>(k) + 0.5) * bin_hz);
                const double overlap_hz = std::min(bin_hi_hz, band.hi_hz) - std::max(bin_lo_hz, band.lo_hz);
                if (overlap_hz <= 0.0) continue;
                if (span.count == 0) span.first_bin = k;
                ++span.count;
                weights.push_back(static_cast<float>(one_sided * parseval * overlap_hz / bin_hz));
            }
            if (span.count > 0) {
                lo = std::min(lo, span.first_bin);
                hi = std::max(hi, span.first_bin + span.count);
            }
            spans.push_back(span);
        }
        bin_lo = lo < hi ? lo : 0;
        power.assign(lo < hi ? hi - lo : 0, 0.0f);
        mirror.assign(power.size(), 0.0f);
        diff.assign(power.size(), 0.0f);
        fft = std::make_unique<StereoFft>(n);
    }

    /// The band powers of the n pairs at x, into out[0 .. spans.size()); with balance, also each
    /// band's (pL - pR) / 2 on the same scale. No allocation.
    void measure(const Pair* x, float* out, float* balance = nullptr) {
        multiply(reinterpret_cast<float*>(fft->input().data()), reinterpret_cast<const float*>(x), window2.data(), 2 * n);
        fft->forward();
        // |L_k|^2 + |R_k|^2 = (|Z_k|^2 + |Z_{n-k}|^2) / 2: the channel sum needs no separation.
        const Pair* z = fft->packed().data();
        power_pairs(reinterpret_cast<const float*>(z), n, bin_lo, power.data(), mirror.data(), power.size());
        for (std::size_t b = 0; b < spans.size(); ++b) {
            const Span& sp = spans[b];
            out[b] = sp.count ? dot(weights.data() + sp.weight_at, power.data() + (sp.first_bin - bin_lo), sp.count) : 0.0f;
        }
        if (!balance) return;
        // |L_k|^2 - |R_k|^2 = Re(Z_k Z_{n-k}) (Z = L + iR; Z_n is Z_0): the same weights give the
        // band's difference on the scale of its sum.
        for (std::size_t i = 0; i < diff.size(); ++i) {
            const std::size_t k = bin_lo + i, m = k == 0 ? 0 : n - k;
            diff[i] = 2.0f * (z[k].real() * z[m].real() - z[k].imag() * z[m].imag());
        }
        for (std::size_t b = 0; b < spans.size(); ++b) {
            const Span& sp = spans[b];
            balance[b] = sp.count ? dot(weights.data() + sp.weight_at, diff.data() + (sp.first_bin - bin_lo), sp.count) : 0.0f;
        }
    }
};

}  // namespace

struct BandEnergy::Impl {
    BandMethod method = BandMethod::fft;
    // --- fft. Positions count input frames from the start of pre_pad zeros put before the stream;
    // frame i's long window is [i*hop, i*hop + n).
    std::int64_t n = 0;                 // long window, input frames
    std::int64_t pre_pad = 0;           // zeros before the stream so frame windows are centred on hops
    std::int64_t decim = 1;             // decimation factor of the low path
    std::int64_t taps = 1, delay = 0;   // decimation FIR length (zero-padded to q_len * decim) and its centre tap
    std::size_t q_len = 1;              // taps per phase
    std::vector<float> poly;            // the taps by phase: poly[p * q_len + q] = h[q * decim + p]
    std::vector<Pair> phases;           // scratch: the input split into decim phases (see fir_decimate)
    std::size_t phase_stride = 0;       // pairs per phase
    std::size_t low_bands = 0;          // bands [0, low_bands) from the low path, the rest from the high
    Path low;                           // Hann, n / decim points at rate / decim
    Path high;                          // sine window, n / 4 points at the input rate, every n / 8
    std::int64_t sub_hop = 0;           // 0: no high path
    std::vector<double> long_w2;        // the long Hann window squared: weights of the high sub-frames
    // Input {left, right} pairs at positions [raw_at, raw_at + raw_len).
    std::vector<Pair> raw;
    std::int64_t raw_at = 0;
    std::size_t raw_len = 0;
    // Decimated pairs: pair j stands for position j * decim; held for j in [dec_at, dec_at + dec_len).
    std::vector<Pair> dec;
    std::int64_t dec_at = 0;
    std::size_t dec_len = 0;
    // High-path sub-frame s covers [s*sub_hop, s*sub_hop + high.n); its band powers are kept in
    // slot s % slots until no frame needs them.
    static constexpr std::int64_t slots = 8;  // a frame uses at most 7
    std::vector<float> sub_power;
    std::vector<float> sub_balance;     // the same slots' (pL - pR) / 2, when measured
    std::int64_t next_sub = 0;
    // --- filter bank
    std::vector<BiquadCoeffs> coeffs;   // [band]: both sections use the same coefficients
    std::vector<BiquadState> states;    // [channel][band][2]
    std::vector<double> energy;         // per band, over the current hop
    std::vector<double> energy_diff;    // per band, left minus right over the hop (stereo balance only)
    std::int64_t in_hop = 0;            // frames in the current hop

    // Positions from here on are all zero so far (digital silence): frames, decimated pairs and
    // sub-frames that read only such positions are zero without filtering or transforming.
    std::int64_t sound_end = 0;

    std::int64_t fill() const { return raw_at + static_cast<std::int64_t>(raw_len); }
    std::int64_t low_start(std::int64_t frame, std::int64_t hop) const { return (frame * hop + decim / 2) / decim; }
    /// Input needed before frame i can be computed: its long window, and the decimator's look-ahead
    /// for the window's last decimated pair (at most delay + decim/2 positions past the window).
    std::int64_t need(std::int64_t frame, std::int64_t hop) const {
        const std::int64_t last_dec = low_start(frame, hop) + static_cast<std::int64_t>(low.n) - 1;
        return std::max(frame * hop + n, last_dec * decim - delay + taps);
    }
    /// Positions before this are read by no later frame.
    std::int64_t oldest_needed(std::int64_t frame, std::int64_t hop) const {
        std::int64_t at = (dec_at + static_cast<std::int64_t>(dec_len)) * decim - delay;
        if (sub_hop > 0) at = std::min(at, std::max(next_sub, (frame * hop + sub_hop - 1) / sub_hop) * sub_hop);
        return at;
    }
    /// Room for `count` more input pairs: drops what no later frame reads (a copy every few frames).
    void make_room(std::size_t count, std::int64_t frame, std::int64_t hop) {
        if (raw_len + count <= raw.size()) return;
        const std::int64_t keep_from = std::clamp(oldest_needed(frame, hop), raw_at, fill());
        const auto drop = static_cast<std::size_t>(keep_from - raw_at);
        std::copy(raw.begin() + static_cast<std::ptrdiff_t>(drop), raw.begin() + static_cast<std::ptrdiff_t>(raw_len), raw.begin());
        raw_at = keep_from;
        raw_len -= drop;
        if (raw_len + count > raw.size()) throw std::logic_error("BandEnergy: input buffer too small");
    }
};

BandEnergy::BandEnergy(int sample_rate, int channels, BandEnergyOptions options)
    : sample_rate_(sample_rate), channels_(channels), impl_(std::make_unique<Impl>()) {
    audio::require_layout("BandEnergy", sample_rate, channels, 2);
    if (sample_rate < 8000 || sample_rate > 384000) throw InputError("band energy: sample rate " + std::to_string(sample_rate) + " out of range");
    if (!(options.frame_s >= 0.005 && options.frame_s <= 1.0)) throw std::invalid_argument("BandEnergy: frame_s out of 0.005..1");
    hop_ = std::max<std::int64_t>(1, std::llround(options.frame_s * sample_rate));
    const double nyquist = 0.5 * sample_rate;
    for (const FrequencyBand& b : options.scale == BandScale::critical ? critical_bands() : third_octave_bands()) {
        if (b.lo_hz >= nyquist) break;
        bands_.push_back({b.lo_hz, std::min(b.hi_hz, nyquist)});
    }
    latest_.assign(bands_.size(), 0.0f);
    if (options.stereo_balance && channels == 2) {
        latest_balance_.assign(bands_.size(), 0.0f);
    }
    Impl& m = *impl_;
    m.method = options.method;
    if (m.method == BandMethod::fft) {
        const std::size_t n = next_pow2(std::max<std::size_t>(static_cast<std::size_t>(std::ceil(options.window_s * sample_rate)),
                                                              static_cast<std::size_t>(hop_)));
        m.n = static_cast<std::int64_t>(n);
        m.pre_pad = (m.n - hop_) / 2;
        // Decimate the low path while its rate stays >= 4 x split_hz (a transition band >= 2 x
        // split_hz wide, so a short FIR) and its transform >= 64 points: by 4 at 44.1/48 kHz.
        while (m.decim < 64 && sample_rate / (2.0 * static_cast<double>(m.decim)) >= 4.0 * split_hz && m.n / (2 * m.decim) >= 64)
            m.decim *= 2;
        const std::vector<float> fir = decimation_fir(sample_rate, static_cast<int>(m.decim));
        m.delay = static_cast<std::int64_t>(fir.size() - 1) / 2;
        const auto decim = static_cast<std::size_t>(m.decim);
        m.q_len = (fir.size() + decim - 1) / decim;
        m.taps = static_cast<std::int64_t>(m.q_len * decim);
        m.poly.assign(m.q_len * decim, 0.0f);  // zero taps past the FIR's end
        for (std::size_t k = 0; k < fir.size(); ++k) m.poly[(k % decim) * m.q_len + k / decim] = fir[k];
        // Without decimation the low path measures every band: one long transform, as before.
        while (m.low_bands < bands_.size() && (m.decim == 1 || bands_[m.low_bands].hi_hz <= split_hz)) ++m.low_bands;
        const std::size_t n_low = n / static_cast<std::size_t>(m.decim);
        std::vector<double> w(n_low);
        for (std::size_t i = 0; i < n_low; ++i)  // periodic Hann: overlapped copies sum to a constant
            w[i] = hann(i, n_low);
        m.low.build(n_low, w, static_cast<double>(sample_rate) / static_cast<double>(m.decim), channels,
                    std::span<const FrequencyBand>(bands_).first(m.low_bands));
        if (m.low_bands < bands_.size()) {
            // Periodic sine window: its squares sum to 1 at 50 % overlap, so every sample counts
            // equally before the long window's weights are applied.
            const std::size_t n_high = n / 4;
            w.assign(n_high, 0.0);
            for (std::size_t i = 0; i < n_high; ++i) w[i] = std::sin(std::numbers::pi * static_cast<double>(i) / static_cast<double>(n_high));
            m.high.build(n_high, w, sample_rate, channels, std::span<const FrequencyBand>(bands_).subspan(m.low_bands));
            m.sub_hop = static_cast<std::int64_t>(n_high / 2);
            m.sub_power.assign(static_cast<std::size_t>(Impl::slots) * (bands_.size() - m.low_bands), 0.0f);
            if (!latest_balance_.empty()) m.sub_balance.assign(m.sub_power.size(), 0.0f);
            m.long_w2.resize(n);
            for (std::size_t i = 0; i < n; ++i) {
                const double h = hann(i, n);
                m.long_w2[i] = h * h;
            }
        }
        // Room for a frame's input (its window and the FIR's reach) and 8 hops more: the buffer is
        // compacted (the window copied down) every 8 frames. (With room for ~4 hops the copies
        // were 4 % of a stems run.)
        m.raw.resize(static_cast<std::size_t>(m.n + m.taps + m.decim + 9 * hop_ + 64));
        m.dec.resize(2 * n_low + static_cast<std::size_t>(hop_ / m.decim) + 16);
        m.phase_stride = m.dec.size() + m.q_len + 32;
        m.phases.assign(m.phase_stride * decim, Pair{});
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
        if (!latest_balance_.empty()) m.energy_diff.assign(bands_.size(), 0.0);
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
    std::fill(latest_balance_.begin(), latest_balance_.end(), 0.0f);
    if (m.method == BandMethod::fft) {
        // Zeros from the first position the decimator reads up to the stream's start.
        m.raw_at = -m.delay;
        m.raw_len = static_cast<std::size_t>(m.pre_pad + m.delay);
        m.sound_end = m.raw_at;
        std::fill(m.raw.begin(), m.raw.begin() + static_cast<std::ptrdiff_t>(m.raw_len), Pair{});
        m.dec_at = 0;
        m.dec_len = 0;
        m.next_sub = 0;
    } else {
        for (BiquadState& st : m.states) st.reset();
        std::fill(m.energy.begin(), m.energy.end(), 0.0);
        std::fill(m.energy_diff.begin(), m.energy_diff.end(), 0.0);
        m.in_hop = 0;
    }
}

std::size_t BandEnergy::consume(const audio::Block& block, std::size_t offset) {
    audio::require_channels("BandEnergy", block, channels_);
    Impl& m = *impl_;
    const std::size_t avail = block.frames() - offset;
    const float* src = block.interleaved.data() + offset * static_cast<std::size_t>(channels_);
    if (m.method == BandMethod::fft) {
        const auto wanted = static_cast<std::size_t>(std::max<std::int64_t>(0, m.need(frames_out_, hop_) - m.fill()));
        const std::size_t take = std::min(avail, wanted);
        m.make_room(take, frames_out_, hop_);
        Pair* dst = m.raw.data() + m.raw_len;
        if (channels_ == 2)
            std::memcpy(static_cast<void*>(dst), src, take * sizeof(Pair));  // interleaved stereo is already {left, right} pairs
        else
            for (std::size_t i = 0; i < take; ++i) dst[i] = {src[i], 0.0f};
        const std::size_t values = take * static_cast<std::size_t>(channels_);
        if (!is_silent(src, values)) {
            std::size_t last = values;  // one past the last non-zero value; on sound the loop ends at once
            while (src[last - 1] == 0.0f) --last;
            m.sound_end = m.fill() + static_cast<std::int64_t>((last - 1) / static_cast<std::size_t>(channels_)) + 1;
        }
        m.raw_len += take;
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
            if (!m.energy_diff.empty()) m.energy_diff[b] += c == 0 ? acc : -acc;
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
        const auto count = static_cast<std::size_t>(std::max<std::int64_t>(0, m.need(frames_out_, hop_) - m.fill()));
        m.make_room(count, frames_out_, hop_);
        std::fill_n(m.raw.begin() + static_cast<std::ptrdiff_t>(m.raw_len), count, Pair{});
        m.raw_len += count;
        return;
    }
    const std::size_t nb = bands_.size();
    for (int c = 0; c < channels_; ++c) {
        BiquadState* st = m.states.data() + static_cast<std::size_t>(c) * nb * 2;
        for (std::size_t b = 0; b < nb; ++b) {
            double acc = 0.0;
            for (std::int64_t i = m.in_hop; i < hop_; ++i) {
                const double y = st[2 * b + 1].process(m.coeffs[b], st[2 * b].process(m.coeffs[b], 0.0));
                acc += y * y;
            }
            m.energy[b] += acc;
            if (!m.energy_diff.empty()) m.energy_diff[b] += c == 0 ? acc : -acc;
        }
    }
    m.in_hop = hop_;
}

bool BandEnergy::frame_ready() {
    Impl& m = *impl_;
    if (m.method == BandMethod::fft) {
        const std::int64_t i = frames_out_;
        if (m.fill() < m.need(i, hop_)) return false;
        // Low path: decimate up to the end of this frame's window, then one long transform.
        const std::int64_t j0 = m.low_start(i, hop_);
        const std::int64_t j_end = j0 + static_cast<std::int64_t>(m.low.n);
        if (j_end - m.dec_at > static_cast<std::int64_t>(m.dec.size())) {  // drop the pairs before j0
            const auto drop = static_cast<std::size_t>(std::min<std::int64_t>(j0 - m.dec_at, static_cast<std::int64_t>(m.dec_len)));
            std::copy(m.dec.begin() + static_cast<std::ptrdiff_t>(drop), m.dec.begin() + static_cast<std::ptrdiff_t>(m.dec_len), m.dec.begin());
            m.dec_at += static_cast<std::int64_t>(drop);
            m.dec_len -= drop;
        }
        const std::int64_t j_first = m.dec_at + static_cast<std::int64_t>(m.dec_len);
        if (j_end > j_first && j_first * m.decim - m.delay >= m.sound_end) {  // the FIR reads only silence
            std::fill_n(m.dec.begin() + static_cast<std::ptrdiff_t>(m.dec_len), j_end - j_first, Pair{});
            m.dec_len += static_cast<std::size_t>(j_end - j_first);
        } else if (j_end > j_first) {
            // Split the input the new outputs read into the decimator's phases, then filter.
            const auto count = static_cast<std::size_t>(j_end - j_first);
            const auto decim = static_cast<std::size_t>(m.decim);
            const Pair* x = m.raw.data() + (j_first * m.decim - m.delay - m.raw_at);
            const std::size_t len = count + m.q_len - 1;
            for (std::size_t p = 0; p < decim; ++p) {
                Pair* ph = m.phases.data() + p * m.phase_stride;
                for (std::size_t t = 0; t < len; ++t) std::memcpy(&ph[t], &x[t * decim + p], sizeof(Pair));  // one 8-byte move
            }
            fir_decimate(m.poly.data(), decim, m.q_len, reinterpret_cast<const float*>(m.phases.data()), 2 * m.phase_stride,
                         reinterpret_cast<float*>(m.dec.data() + m.dec_len), count);
            m.dec_len += count;
        }
        float* balance = latest_balance_.empty() ? nullptr : latest_balance_.data();
        if (j0 * m.decim - m.delay >= m.sound_end) {
            std::fill_n(latest_.begin(), m.low_bands, 0.0f);
            if (balance) std::fill_n(balance, m.low_bands, 0.0f);
        } else {
            m.low.measure(m.dec.data() + (j0 - m.dec_at), latest_.data(), balance);
        }
        // High path: the sub-frames inside the long window, weighted by its square: a Welch
        // average shaped like the long window, so both paths describe the same stretch of time.
        if (m.sub_hop > 0) {
            const std::size_t nb = bands_.size() - m.low_bands;
            const std::int64_t first = (i * hop_ + m.sub_hop - 1) / m.sub_hop;
            const std::int64_t last = (i * hop_ + m.n - static_cast<std::int64_t>(m.high.n)) / m.sub_hop;
            for (std::int64_t s = std::max(m.next_sub, first); s <= last; ++s) {
                const std::size_t at = static_cast<std::size_t>(s % Impl::slots) * nb;
                float* slot = m.sub_power.data() + at;
                float* slot_balance = balance ? m.sub_balance.data() + at : nullptr;
                if (s * m.sub_hop >= m.sound_end) {
                    std::fill_n(slot, nb, 0.0f);
                    if (slot_balance) std::fill_n(slot_balance, nb, 0.0f);
                } else {
                    m.high.measure(m.raw.data() + (s * m.sub_hop - m.raw_at), slot, slot_balance);
                }
            }
            m.next_sub = std::max(m.next_sub, last + 1);
            float* out = latest_.data() + m.low_bands;
            float* out_balance = balance ? balance + m.low_bands : nullptr;
            std::fill(out, out + nb, 0.0f);
            if (out_balance) std::fill(out_balance, out_balance + nb, 0.0f);
            double sum_a = 0.0;
            for (std::int64_t s = first; s <= last; ++s) {
                const std::int64_t centre = s * m.sub_hop + static_cast<std::int64_t>(m.high.n / 2) - i * hop_;
                const auto a = static_cast<float>(m.long_w2[static_cast<std::size_t>(centre)]);
                const std::size_t at = static_cast<std::size_t>(s % Impl::slots) * nb;
                const float* p = m.sub_power.data() + at;
                for (std::size_t b = 0; b < nb; ++b) out[b] += a * p[b];
                if (out_balance)
                    for (std::size_t b = 0; b < nb; ++b) out_balance[b] += a * m.sub_balance[at + b];
                sum_a += a;
            }
            const auto scale = static_cast<float>(1.0 / sum_a);
            for (std::size_t b = 0; b < nb; ++b) out[b] *= scale;
            if (out_balance)
                for (std::size_t b = 0; b < nb; ++b) out_balance[b] *= scale;
        }
        ++frames_out_;
        return true;
    }
    if (m.in_hop < hop_) return false;
    const double scale = 1.0 / (static_cast<double>(hop_) * channels_);
    for (std::size_t b = 0; b < bands_.size(); ++b) {
        latest_[b] = static_cast<float>(m.energy[b] * scale);
        m.energy[b] = 0.0;
    }
    for (std::size_t b = 0; b < m.energy_diff.size(); ++b) {  // (pL - pR) / 2, as the FFT's
        latest_balance_[b] = static_cast<float>(m.energy_diff[b] * scale);
        m.energy_diff[b] = 0.0;
    }
    m.in_hop = 0;
    ++frames_out_;
    return true;
}

}  // namespace mixscout::dsp
