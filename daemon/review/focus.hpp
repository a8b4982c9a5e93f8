// mixscout review: which issues are the "next fixes" — iteration tiers and focus areas.
//
// One rule, used by `analyze` (summary and JSON), `compare`, the daemon, the live monitor and so
// the device: next_fixes(ranked issues, iteration, focus).
//
// Tiers (what a musician should work on at this point of the loop):
//   iterations 1-2   critical issues only (damage, a rejected delivery)
//   iterations 3-4   critical + important
//   iterations 5+    polish; a critical issue that is still there comes first all the same (it is
//                    damage: it is never hidden, and it keeps the stop signal from firing)
// Widening: when the tier has no issue, the next level down is taken, then the next (so an
// iteration-1 mix with only important issues still gets its three fixes); from 5 on, with no
// polish left, important issues are shown.
//
// Focus (a session on one area: "this session, only the low end"): the issues outside the area
// are set aside first, then the tiers apply to what is left. A critical issue set aside is damage
// all the same: the summary names it (critical_outside; review.cpp), and it blocks the stop signal.
// Areas, by rule id:
//   low-end   tonal.boomy, tonal.thin, stereo.low_end, reference.low_end, reference.tonal.bass
//   mids      tonal.muddy, reference.tonal.low_mids, reference.tonal.mids
//   highs     tonal.dark, tonal.bright, tonal.harsh, reference.tonal.presence, reference.tonal.air
//   dynamics  dynamics, reference.plr
//   stereo    stereo.narrow, stereo.balance, stereo.mono_loss, phase, reference.width
//   clipping  clipping, true_peak, stem.clipping.*
//   loudness  loudness, headroom, stem.loud.*
//   clashes   clash.*
//   all       everything (format, DC offset and silence belong to no area: only `all` shows them)
// Sources, strongest first: `--focus` (CLI) or /mixscout/focus (device), then `focus:` in the
// config. Pure functions; any thread.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rules/issue.hpp"

namespace mixscout::review {

enum class Area { all, low_end, mids, highs, dynamics, stereo, clipping, loudness, clashes };

/// "all" | "low-end" | "mids" | "highs" | "dynamics" | "stereo" | "clipping" | "loudness" | "clashes"
std::string_view to_string(Area area);
/// The inverse of to_string ("low_end" and "lowend" are accepted too); nullopt otherwise.
std::optional<Area> parse_area(std::string_view text);
/// Like parse_area, but throws InputError("<what>: unknown focus 'x' (one of: all, low-end, ...)").
Area area_or_throw(std::string_view text, std::string_view what);
/// "all|low-end|mids|..." for usage lines.
std::string area_names(std::string_view separator = "|");

/// The area an issue belongs to (Area::all: none in particular).
Area area_of(const rules::Issue& issue);
/// True when `focus` is all, or the issue belongs to it.
bool in_focus(const rules::Issue& issue, Area focus);

/// The critical issues that `focus` sets aside, in rank order (empty for Area::all).
std::vector<rules::Issue> critical_outside(const std::vector<rules::Issue>& issues, Area focus);

/// The most severe level the tier of `iteration` asks for (see above; before widening).
rules::Severity tier_level(int iteration);

/// The next fixes: at most n, in rank order, by the tiers and the focus above.
std::vector<rules::Issue> next_fixes(std::vector<rules::Issue> issues, int iteration, Area focus = Area::all,
                                     std::size_t n = 3);

}  // namespace mixscout::review
