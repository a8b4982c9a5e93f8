// mixscout stems: what a stem is (kick, bass, vocal, ...), which decides who yields in a clash.
//
// In order: the user's `stems.roles` (track name -> role, case-insensitive), then keywords in the
// track name (`stems.keywords`, checked role by role in file order, each keyword matching the
// start of a word: "bass" matches "Bassline" but "kick" is tried first so "BassDrum" is a kick),
// then the spectrum and envelope:
//   low_share >= 0.5        percussive -> kick; sustained -> sub (centroid < 70 Hz) or bass
//   percussive              centroid >= 4 kHz -> hat; else perc
//   sustained, centroid < 250 Hz -> bass; anything else -> other (a guess would mislead more than help)
#pragma once
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mixscout::stems {

struct RoleGuess {
    std::string role;
    std::string source;  ///< "config" | "name" | "spectrum"
};

/// Lower-case words of a track name, split at non-alphanumerics, letter/digit and camelCase
/// boundaries: "LeadVox2_dry" -> {"lead", "vox", "2", "dry"}.
std::vector<std::string> name_words(std::string_view name);

/// The role from keywords alone; empty when none matches.
std::string role_from_name(std::string_view name, const std::vector<std::pair<std::string, std::vector<std::string>>>& keywords);

/// The role from spectrum/envelope features.
std::string role_from_features(double centroid_hz, double low_share, bool percussive);

RoleGuess guess_role(std::string_view name, const std::map<std::string, std::string>& overrides,
                     const std::vector<std::pair<std::string, std::vector<std::string>>>& keywords,
                     double centroid_hz, double low_share, bool percussive);

}  // namespace mixscout::stems
