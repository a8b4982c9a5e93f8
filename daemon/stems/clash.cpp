#include "stems/clash.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdint>

#include "core/units.hpp"

namespace mixscout::stems {
namespace {

double median(std::vector<double> v) {
    if (v.empty()) return 0.0;
    const auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
    std::nth_element(v.begin(), mid, v.end());
    return *mid;
}

double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0.0;
    const auto at = v.begin() + static_cast<std::ptrdiff_t>(std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5)));
    std::nth_element(v.begin(), at, v.end());
    return *at;
}

std::string format_hz(double hz) {
    char buf[32];
    if (hz >= 1000.0) std::snprintf(buf, sizeof buf, "%.1f kHz", hz / 1000.0);
    else std::snprintf(buf, sizeof buf, "%.0f Hz", hz);
    return buf;
}

std::string format_db(double db) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%+.1f dB", std::round(db * 2.0) / 2.0);
    return buf;
}

std::string format_q(double q) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", q);
    return buf;
}

/// How much two stems share the same place in band k at frame t: sqrt(lA lB) + sqrt(rA rB) of
/// their L/R power shares (1 = the same place, 0 = hard left against hard right).
double stereo_overlap(const StemSeries& a, const StemSeries& b, std::size_t t, std::size_t k) {
    const double la = a.band_left_share(t, k), lb = b.band_left_share(t, k);
    return std::sqrt(la * lb) + std::sqrt((1.0 - la) * (1.0 - lb));
}

/// Power of a stem in bands [k0, k1] at frame t, linear.
double range_power(const StemSeries& s, std::size_t t, std::size_t k0, std::size_t k1) {
    if (t >= s.frames) return 0.0;
    double p = 0.0;
    const float* row = s.power.data() + t * s.bands;
    for (std::size_t k = k0; k <= k1; ++k) p += row[k];
    return p;
}

/// Median length, seconds, of the keeper's hits in the range: from each onset's peak until the
/// level has fallen 12 dB. Used as the side-chain release. 0.1 s when there are no onsets.
double hit_length_s(const StemSeries& k, std::size_t k0, std::size_t k1, double frame_s, double floor_dbfs) {
    std::vector<double> r(k.frames);
    for (std::size_t t = 0; t < k.frames; ++t) r[t] = power_to_db(range_power(k, t, k0, k1));
    std::vector<double> lengths;
    for (std::size_t t = 1; t < k.frames; ++t) {
        if (!(r[t] >= r[t - 1] + 6.0 && r[t] >= floor_dbfs)) continue;
        std::size_t peak = t;
        for (std::size_t u = t + 1; u < std::min(k.frames, t + 3); ++u)
            if (r[u] > r[peak]) peak = u;
        std::size_t end = peak;
        while (end + 1 < k.frames && end - peak < 20 && r[end + 1] > r[peak] - 12.0) ++end;
        lengths.push_back(static_cast<double>(end - peak + 1) * frame_s);
    }
    return lengths.empty() ? 0.1 : median(lengths);
}

}  // namespace

void derive_features(StemSeries& s, const std::vector<dsp::FrequencyBand>& bands, const ClashOptions& options) {
    s.peak_db.assign(s.frames, static_cast<float>(silence_floor_db));
    s.total_db.assign(s.frames, static_cast<float>(silence_floor_db));
    const bool have_power = s.power.size() == s.frames * s.bands;  // measured linear: no pow() per value
    s.power.resize(s.frames * s.bands);
    s.total_power.resize(s.frames);
    std::vector<double> mean_power(s.bands, 0.0);
    for (std::size_t t = 0; t < s.frames; ++t) {
        double total = 0.0;
        float peak = static_cast<float>(silence_floor_db);
        for (std::size_t k = 0; k < s.bands; ++k) {
            const float l = s.level_db[t * s.bands + k];
            const double p = have_power ? static_cast<double>(s.power[t * s.bands + k]) : db_to_power(l);
            s.power[t * s.bands + k] = static_cast<float>(p);
            total += p;
            mean_power[k] += p;
            peak = std::max(peak, l);
        }
        s.peak_db[t] = peak;
        s.total_db[t] = static_cast<float>(power_to_db(total));
        s.total_power[t] = static_cast<float>(total);
    }
    double sum = 0.0, log_sum = 0.0, low = 0.0;
    for (std::size_t k = 0; k < s.bands && k < bands.size(); ++k) {
        const double fc = bands[k].centre_hz();
        sum += mean_power[k];
        log_sum += mean_power[k] * std::log(fc);
        if (fc < 120.0) low += mean_power[k];
    }
    s.centroid_hz = sum > 0.0 ? std::exp(log_sum / sum) : 0.0;
    s.low_share = sum > 0.0 ? low / sum : 0.0;
    std::vector<double> sounding;
    for (float l : s.total_db)
        if (l >= options.floor_dbfs) sounding.push_back(l);
    s.envelope_crest_db = sounding.size() >= 10 ? percentile(sounding, 0.95) - percentile(sounding, 0.5) : 0.0;
    s.percussive = s.envelope_crest_db >= options.percussive_crest_db;
}

int role_rank(const std::string& role, const std::vector<std::string>& priority) {
    const auto it = std::find(priority.begin(), priority.end(), role);
    return it == priority.end() ? static_cast<int>(priority.size()) : static_cast<int>(it - priority.begin());
}

std::vector<Clash> find_clashes(const StemSeries& a, const StemSeries& b, const std::vector<double>& mix_power,
                                const std::vector<dsp::FrequencyBand>& bands, double frame_s,
                                const ClashOptions& o, const std::vector<std::string>& priority) {
    std::vector<Clash> out;
    // Stems at different sample rates may differ in their top bands (clipped at Nyquist).
    const std::size_t nb = std::min({bands.size(), a.bands, b.bands});
    const std::size_t T = std::max(a.frames, b.frames);
    if (nb == 0 || T == 0) return out;
    if (a.percussive && b.percussive && !o.percussive_pairs) return out;  // a backbeat, not a clash
    const auto floor = static_cast<float>(o.floor_dbfs);
    const auto sig = static_cast<float>(o.significance_db);
    const auto within = static_cast<float>(o.within_db);
    const double min_overlap = o.min_stereo_overlap;

    // "Both play": each stem sounded within hold_s of the frame (a snare between its hits or a
    // vocal between phrases still plays), so fractions are of the passage, not of the hits.
    const auto hold = static_cast<std::ptrdiff_t>(std::llround(std::max(0.0, o.hold_s) / frame_s));
    auto playing = [&](const StemSeries& s) {
        std::vector<std::int32_t> prefix(T + 1, 0);  // prefix count of sounding frames
        for (std::size_t t = 0; t < T; ++t) prefix[t + 1] = prefix[t] + (s.total(t) >= floor ? 1 : 0);
        std::vector<std::uint8_t> out_mask(T, 0);
        for (std::size_t t = 0; t < T; ++t) {
            const auto lo = static_cast<std::size_t>(std::max<std::ptrdiff_t>(0, static_cast<std::ptrdiff_t>(t) - hold));
            const auto hi = std::min(T, t + static_cast<std::size_t>(hold) + 1);
            out_mask[t] = prefix[hi] > prefix[lo];
        }
        return out_mask;
    };
    const std::vector<std::uint8_t> play_a = playing(a), play_b = playing(b);
    std::size_t together = 0;
    for (std::size_t t = 0; t < T; ++t) together += (play_a[t] && play_b[t]) ? 1 : 0;

    std::vector<std::uint8_t> fight(T * nb, 0);
    std::vector<std::size_t> count(nb, 0);
    const std::size_t common = std::min(a.frames, b.frames);  // past it one stem is silent
    // A fight must last min_fight_frames in a band: shorter ones are attacks smeared by the analysis
    // window (a kick's click against a bass harmonic), not two parts sharing a band. Runs are
    // tracked per band while the frames go by (rows stay contiguous), and cleared when too short.
    const auto min_run = static_cast<std::size_t>(std::max(1, o.min_fight_frames));
    std::vector<std::size_t> run(nb, 0);
    auto close_run = [&](std::size_t k, std::size_t end) {  // the run of band k ended before frame `end`
        const std::size_t len = run[k];
        if (len >= min_run) count[k] += len;
        else
            for (std::size_t u = end - len; u < end; ++u) fight[u * nb + k] = 0;
        run[k] = 0;
    };
    for (std::size_t t = 0; t < common; ++t) {
        std::uint8_t* row = fight.data() + t * nb;
        if (a.total_db[t] >= floor && b.total_db[t] >= floor) {
            const float* la = a.level_db.data() + t * a.bands;
            const float* lb = b.level_db.data() + t * b.bands;
            const float ga = std::max(floor, a.peak_db[t] - sig);
            const float gb = std::max(floor, b.peak_db[t] - sig);
            for (std::size_t k = 0; k < nb; ++k)  // branch-free: the compiler vectorises it
                row[k] = static_cast<std::uint8_t>((la[k] >= ga) & (lb[k] >= gb) & (std::fabs(la[k] - lb[k]) <= within));
            // Panned apart in this band at this moment: the ear separates them.
            for (std::size_t k = 0; k < nb; ++k)
                if (row[k] && stereo_overlap(a, b, t, k) < min_overlap) row[k] = 0;
        }
        for (std::size_t k = 0; k < nb; ++k) {
            if (row[k]) ++run[k];
            else if (run[k]) close_run(k, t);
        }
    }
    for (std::size_t k = 0; k < nb; ++k)
        if (run[k]) close_run(k, common);
    if (together == 0) return out;

    // Clashing bands, merged into ranges.
    const double need = std::max(1.0, o.min_band_fraction * static_cast<double>(together));
    std::vector<std::pair<std::size_t, std::size_t>> ranges;
    for (std::size_t k = 0; k < nb;) {
        if (static_cast<double>(count[k]) < need) {
            ++k;
            continue;
        }
        std::size_t end = k;
        while (end + 1 < nb && static_cast<double>(count[end + 1]) >= need) ++end;
        for (std::size_t s = k; s <= end; s += static_cast<std::size_t>(std::max(1, o.max_range_bands)))
            ranges.emplace_back(s, std::min(end, s + static_cast<std::size_t>(std::max(1, o.max_range_bands)) - 1));
        k = end + 1;
    }

    const int rank_a = role_rank(a.role, priority);
    const int rank_b = role_rank(b.role, priority);
    for (const auto& [k0, k1] : ranges) {
        std::vector<std::size_t> frames;
        for (std::size_t t = 0; t < common; ++t)
            for (std::size_t k = k0; k <= k1; ++k)
                if (fight[t * nb + k]) {
                    frames.push_back(t);
                    break;
                }
        const double overlap_s = static_cast<double>(frames.size()) * frame_s;
        if (frames.empty() || overlap_s < o.min_overlap_s) continue;

        // Who yields: role priority, then the one with less of its own power in the range.
        bool a_yields = rank_a > rank_b;
        if (rank_a == rank_b) {
            // Copies of the bindings: clang before 16 cannot capture structured bindings.
            auto own_share = [&, k0 = k0, k1 = k1](const StemSeries& s) {
                double in = 0.0, all = 0.0;
                for (std::size_t t = 0; t < s.frames; ++t) {
                    in += range_power(s, t, k0, k1);
                    all += s.total_power[t];
                }
                return all > 0.0 ? in / all : 0.0;
            };
            a_yields = own_share(a) < own_share(b);
        }
        const StemSeries& y = a_yields ? a : b;
        const StemSeries& keep = a_yields ? b : a;

        double share = 0.0;
        std::vector<double> diffs;
        for (std::size_t t : frames) {
            const double py = range_power(y, t, k0, k1);
            const double pk = range_power(keep, t, k0, k1);
            const double mix = t < mix_power.size() ? mix_power[t] : 0.0;
            share += mix > 0.0 ? std::min(1.0, (py + pk) / mix) : 0.0;
            diffs.push_back(power_to_db(py) - power_to_db(pk));
        }

        Clash c;
        c.a = a.name;
        c.b = b.name;
        c.lo_hz = bands[k0].lo_hz;
        c.hi_hz = bands[k1].hi_hz;
        c.overlap_s = overlap_s;
        c.overlap_fraction = static_cast<double>(frames.size()) / static_cast<double>(together);
        c.energy_share = share / static_cast<double>(frames.size());
        c.level_diff_db = median(diffs);
        c.score = c.overlap_fraction * c.energy_share * 100.0;
        if (c.overlap_fraction >= o.critical_fraction && c.energy_share >= o.critical_share) c.severity = rules::Severity::critical;
        else if (c.overlap_fraction >= o.important_fraction && c.energy_share >= o.important_share) c.severity = rules::Severity::important;
        else c.severity = rules::Severity::polish;
        c.severity = std::max(c.severity, o.max_severity);  // enum order: critical < important < polish
        // The stereo overlap where they fight (mean over the fighting frames and bands).
        double overlap_sum = 0.0;
        std::size_t cells = 0;
        for (std::size_t t : frames)
            for (std::size_t k = k0; k <= k1; ++k)
                if (fight[t * nb + k]) overlap_sum += stereo_overlap(a, b, t, k), ++cells;
        c.stereo_overlap = cells ? overlap_sum / static_cast<double>(cells) : 1.0;

        const auto gap = static_cast<std::size_t>(std::max(1.0, std::round(o.merge_gap_s / frame_s)));
        for (std::size_t i = 0; i < frames.size(); ++i)
            if ((i == 0 || frames[i] - frames[i - 1] > gap) && static_cast<int>(c.times_s.size()) < o.max_times)
                c.times_s.push_back(static_cast<double>(frames[i]) * frame_s);

        // The fix.
        c.yield = y.name;
        c.rhythmic = keep.percussive && !y.percussive;
        const double centre = std::sqrt(c.lo_hz * c.hi_hz);
        const double q = std::clamp(centre / (c.hi_hz - c.lo_hz), 0.3, 8.0);
        const double cut = std::clamp(o.separation_db + c.level_diff_db, o.min_cut_db, o.max_cut_db);
        const std::string bell = "EQ Eight on " + y.name + ": bell at " + format_hz(centre) + ", Q " + format_q(q) + ", " +
                                 format_db(-cut);
        const std::string carve = "cut " + keep.name + " there instead (EQ Eight bell at " + format_hz(centre) + ", Q " +
                                  format_q(q) + ", " + format_db(-cut / 2.0) + ") and " + y.name + " by half as much";
        const bool bottom_end = c.hi_hz <= 300.0 && y.centroid_hz >= 4.0 * c.hi_hz;
        char multiband[256];
        std::snprintf(multiband, sizeof multiband,
                      "Multiband Dynamics on %s, side-chain from %s, only the band %.0f-%.0f Hz: ratio 3:1, duck about %.0f dB",
                      y.name.c_str(), keep.name.c_str(), c.lo_hz, c.hi_hz, std::round(cut));
        if (c.rhythmic && c.hi_hz <= 160.0) {
            // The low end: duck the whole yielder on each hit (the classic kick/bass side-chain).
            const double release_ms = std::clamp(std::round(hit_length_s(keep, k0, k1, frame_s, o.floor_dbfs) * 100.0) * 10.0, 30.0, 300.0);
            char buf[256];
            std::snprintf(buf, sizeof buf,
                          "Compressor on %s, side-chain from %s: ratio 4:1, attack 1 ms, release %.0f ms, threshold down "
                          "until it ducks about %.0f dB on each hit",
                          y.name.c_str(), keep.name.c_str(), release_ms, std::round(cut));
            c.fix = buf;
            c.alternative = bell;
        } else if (c.rhythmic) {
            // Higher up, duck only the fighting band on each hit.
            c.fix = multiband;
            c.alternative = bell;
        } else if (bottom_end) {
            c.fix = "EQ Eight on " + y.name + ": low cut (48 dB/oct) at " + format_hz(c.hi_hz) + " - the range is below what " +
                    y.name + " is about";
            c.alternative = bell;
        } else {
            c.fix = bell;
            c.alternative = keep.percussive ? std::string(multiband) : carve;
        }
        out.push_back(std::move(c));
    }
    std::sort(out.begin(), out.end(), [](const Clash& x, const Clash& y) {
        return std::make_pair(static_cast<int>(x.severity), -x.score) < std::make_pair(static_cast<int>(y.severity), -y.score);
    });
    if (out.size() > static_cast<std::size_t>(std::max(0, o.max_clashes_per_pair))) out.resize(static_cast<std::size_t>(std::max(0, o.max_clashes_per_pair)));
    return out;
}

}  // namespace mixscout::stems
