// mixscout review: the order of a song's iterations — by version number when the names carry
// one, else by time. Pure; any thread.
//
// The exports of one song and one role (mixes, or masters) are ordered by the key
//   (anchor version, arrival)
// where an export's anchor is its own version number ("mix_v3_lowend" -> 3), and for a name with
// no version ("mix_final", a live take, plain "Song.wav" exported again) the highest version
// among the exports that arrived before it (0 when none did). So:
//   - "mix_v3" exported after "mix_v4" (a re-export of an older checkpoint) takes its place
//     between v2 and v4, and v4 becomes the iteration after it;
//   - names without a version follow time, and sit after the checkpoint that was newest when
//     they arrived ("Song_v2", then "Song_final": final comes after v2, before a later v3);
//   - the same version twice (a checkpoint exported again with new content) keeps arrival order.
// An export's key depends only on itself and what arrived before it, so a later export never
// moves an earlier one relative to the exports around it except by taking its own place.
//
// The iteration number shown (and the tier it gets, focus.hpp) is the 1-based position in this
// order; the "previous export" a comparison uses is the one just before it in this order (same
// song, same role), which for a late re-export of an old checkpoint is the checkpoint below it,
// not the export that happened to arrive last.
#pragma once
#include <cstdint>
#include <optional>
#include <vector>

namespace mixscout::review {

struct Arrival {
    std::int64_t id = 0;             ///< the export's id (opaque here)
    std::int64_t sequence = 0;       ///< arrival order within the song (smaller = earlier)
    std::optional<int> version;      ///< from the name; nullopt: none
};

/// The exports in iteration order (see above). Input in any order.
std::vector<Arrival> iteration_order(std::vector<Arrival> exports);

/// 1-based position of `id` in iteration_order(exports); 0 when absent.
int iteration_of(const std::vector<Arrival>& ordered, std::int64_t id);

}  // namespace mixscout::review
