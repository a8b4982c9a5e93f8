// mixscout master: the matching EQ — curves from profiles, and the linear-phase FIR that applies them.
//
// match_curves() turns the mix's and the references' profiles (profile.hpp) into two gain curves
// in dB on grid_hz(): one for mid, one for side. Per grid point:
//   reference (dB mean over the references valid there) minus mix, both smoothed over
//   `smoothing_octaves` (power average on the log grid), clamped to [-max_cut, +max_boost];
//   no boost where the mix has no energy (mid 60 dB below its strongest point; side also 30 dB
//   below mid there), nor outside the range both spectra cover; then scaled by amount.
// Which curves are non-zero depends on what is matched:
//   eq + width: mid and side curves independently     eq only: side = mid (width kept)
//   width only: mid 0, side a constant (the K-weighted side/mid difference)   neither: both 0.
//
// design_linear_phase_fir() samples a curve on an FFT grid, takes the zero-phase impulse response
// and windows it (Blackman) to `taps` (odd) coefficients: a symmetric FIR, delay (taps-1)/2.
#pragma once
#include <vector>

#include "master/master.hpp"
#include "master/profile.hpp"

namespace mixscout::master {

struct EqCurves {
    std::vector<double> mid_db;   ///< on grid_hz()
    std::vector<double> side_db;
    bool flat() const;            ///< all zero: no filtering needed
};

EqCurves match_curves(const Profile& mix, const std::vector<Profile>& references, const MasterOptions& options);

/// Curve value at any frequency: linear in log-frequency between grid points, held beyond.
double curve_at(const std::vector<double>& curve_db, double hz);

/// Predicted change of K-weighted loudness (dB) when the curves are applied to the mix profile.
double loudness_change_db(const Profile& mix, const EqCurves& curves);
/// Predicted change of unweighted power (dB): what the EQ does to the peaks the limiter sees.
double power_change_db(const Profile& mix, const EqCurves& curves);
/// Applied width change, dB: side gain minus mid gain, averaged over frequency with the mix's
/// K-weighted energy (0 when side follows mid).
double width_change_db(const Profile& mix, const EqCurves& curves);

/// Stereo figures of the mix after the curves, predicted from its profile (loudest sections):
/// L/R correlation (M - S) / (M + S) of the mid and side powers, and the mono fold-down's loudness
/// loss 10 log10(1 + S_k / M_k) with K-weighted powers (L = M + S, R = M - S: the fold-down keeps M).
struct StereoPrediction {
    double correlation = 1.0;
    double mono_loss_db = 0.0;
};
StereoPrediction predict_stereo(const Profile& mix, const EqCurves& curves);

/// The stereo guards, on the side curve: below mono_below_hz side never rises relative to mid;
/// nowhere more than max_side_gain_db above it; and the widening is scaled back (by a common
/// factor, found by bisection) until the predicted correlation and mono loss stay within the
/// guards' distance of the mix's. Returns the factor applied (1 = the match was kept).
double apply_stereo_guards(const Profile& mix, EqCurves& curves, const GuardOptions& guards);

/// The FIR length used at a sample rate: 2^k - 1 nearest 0.17 s (8191 taps at 44.1/48 kHz).
int fir_taps_for(int sample_rate);
std::vector<float> design_linear_phase_fir(const std::vector<double>& curve_db, int sample_rate, int taps);

}  // namespace mixscout::master
