// mixscout core: conversions between linear values and decibels, in one place.
#pragma once
#include <cmath>
#include <limits>

namespace mixscout {

/// The floor reported for silence, in dB / LUFS, instead of -infinity (JSON has no infinity).
inline constexpr double silence_floor_db = -120.0;

/// Linear amplitude -> dB (20 log10), floored at silence_floor_db.
inline double amplitude_to_db(double amplitude) {
    return amplitude > 0.0 ? std::max(silence_floor_db, 20.0 * std::log10(amplitude)) : silence_floor_db;
}
/// Power (mean square) -> dB (10 log10), floored at silence_floor_db.
inline double power_to_db(double power) {
    return power > 0.0 ? std::max(silence_floor_db, 10.0 * std::log10(power)) : silence_floor_db;
}
inline double db_to_amplitude(double db) { return std::pow(10.0, db / 20.0); }
inline double db_to_power(double db) { return std::pow(10.0, db / 10.0); }

}  // namespace mixscout
