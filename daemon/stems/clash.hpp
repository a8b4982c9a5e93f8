// mixscout stems: the clash search on band-energy series (no audio here: pure and testable).
//
// Definition. For stems A and B, frame t (50 ms) and band k (1/3 octave), with L = band power in
// dBFS (dsp/band_energy.hpp); the thresholds are `stems.clash.*` in config/mixscout.yaml:
//   sounding(S, t)      the stem's whole frame is above floor_dbfs (-60);
//   plays(S, t)         S sounded within hold_s (2 s) of t (a snare between hits still plays);
//   carries(S, t, k)    L_S(t,k) >= floor_dbfs and L_S(t,k) >= loudest band of S at t - significance_db
//                       (12 dB: the band is one of the main parts of what the stem does right now);
//   fight(t, k)         carries(A,t,k) and carries(B,t,k) and |L_A(t,k) - L_B(t,k)| <= within_db
//                       (6 dB: neither masks the other, both compete for the same critical region),
//                       kept only in runs of at least min_fight_frames (2) consecutive frames.
// Let together = frames where both stems play. A band clashes when it fights in at least
// min_band_fraction (5 %) of `together`; adjacent clashing bands merge into a range (split beyond
// max_range_bands). For a range: overlap = frames where any of its bands fights (overlap_s =
// frames * frame_s), overlap_fraction = overlap / together, energy_share = mean over those frames
// of (power of A and B in the range) / (power of all stems, all bands) — how much of the whole
// mix sits in the fight. A range is reported when overlap_s >= min_overlap_s; severity:
//   critical   overlap_fraction >= critical_fraction  and energy_share >= critical_share
//   important  overlap_fraction >= important_fraction and energy_share >= important_share
//   polish     otherwise
// (energy_share is unweighted power, so it favours the low end, where fights cost most headroom.)
// score = overlap_fraction * energy_share * 100 (ranks clashes within a severity); the severity is
// then capped at max_severity (a clash is an arrangement decision, not damage).
// Stereo position is measured per band and frame: fight(t, k) also needs the two stems' L/R
// power shares in that band at that time to overlap, sqrt(lA lB) + sqrt(rA rB) >=
// min_stereo_overlap (1: the same place; 30L/30R 0.87; hard L/R 0), so two stems that share a
// band but sit apart in it at that moment (a guitar panned left while the keys play right, even
// if both are centred over the song) do not fight. Mono stems count as centred in every band.
// Not a clash at all: two percussive stems (kick and snare: the backbeat is the arrangement)
// unless percussive_pairs.
//
// Who yields: the stem whose role comes later in the priority list; on a tie, the one with the
// smaller share of its own power in the range (it loses least). The fix:
//   rhythmic  (the keeper is percussive, the yielder is not) in the low end (range below 160 Hz):
//             Compressor on the yielder, side-chained from the keeper, release = the keeper's
//             measured hit length; higher up: a side-chained Multiband Dynamics band on the range;
//             alternative: the EQ cut;
//   otherwise EQ Eight on the yielder: a bell at the range's geometric centre, Q = centre /
//             bandwidth, gain = -(separation_db + median(L_yield - L_keep)) clamped to
//             [min_cut_db, max_cut_db]; a low cut instead when the range is the yielder's bottom
//             end (range below 300 Hz and the yielder's centroid four times above it); alternative:
//             a side-chained Multiband Dynamics band (keeper percussive) or carving the keeper.
#pragma once
#include <string>
#include <vector>

#include "dsp/spectrum.hpp"
#include "stems/stems.hpp"

namespace mixscout::stems {

/// One stem's band-energy series and what is derived from it.
struct StemSeries {
    std::string name;
    std::string role = "other";
    std::size_t frames = 0;
    std::size_t bands = 0;
    std::vector<float> level_db;  ///< frames * bands, row-major (frame t: [t*bands, (t+1)*bands))
    std::vector<float> peak_db;   ///< per frame: the loudest band
    std::vector<float> total_db;  ///< per frame: all bands
    std::vector<float> power;     ///< level_db as linear power, frames * bands: the measured values when the
                                  ///< caller keeps them, else derive_features fills it once (so comparing
                                  ///< 496 pairs does not call pow() per pair and frame)
    std::vector<float> total_power;  ///< per frame, linear
    double centroid_hz = 0.0;
    double low_share = 0.0;
    double envelope_crest_db = 0.0;
    bool percussive = false;
    double left_share = 0.5;  ///< pL / (pL + pR) over the whole stem (0.5: centred, mono or equally wide)
    /// pL / (pL + pR) per frame and band (frames * bands, like level_db), from the band energies'
    /// own transform; empty for mono stems (then left_share stands for every band).
    std::vector<float> left_share_band;
    float band_left_share(std::size_t t, std::size_t k) const {
        return left_share_band.empty() || t >= frames ? static_cast<float>(left_share) : left_share_band[t * bands + k];
    }

    float level(std::size_t t, std::size_t k) const { return t < frames ? level_db[t * bands + k] : -120.0f; }
    float total(std::size_t t) const { return t < frames ? total_db[t] : -120.0f; }
};

/// Fills peak_db, total_db, centroid_hz, low_share, envelope_crest_db, percussive from level_db.
void derive_features(StemSeries& s, const std::vector<dsp::FrequencyBand>& bands, const ClashOptions& options);

/// Position of role in priority (0 = keeps its space); roles not listed rank after all.
int role_rank(const std::string& role, const std::vector<std::string>& priority);

/// All clashes of one pair. mix_power: per frame, the linear power of all stems summed (its size
/// is the longest stem's frame count).
std::vector<Clash> find_clashes(const StemSeries& a, const StemSeries& b, const std::vector<double>& mix_power,
                                const std::vector<dsp::FrequencyBand>& bands, double frame_s,
                                const ClashOptions& options, const std::vector<std::string>& priority);

}  // namespace mixscout::stems
