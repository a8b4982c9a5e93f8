// mixscout analysis: the JSON form of an Analysis (what `mixscout analyze --json` prints, what
// history stores, what the daemon sends on).
//
// Keys are the field names of analysis.hpp, grouped: {"path", "format": {...}, "peak": {...},
// "clipping": {"count", "clipped_samples", "events": [{time_s, duration_s, channel, samples,
// kind, peak_dbtp}]}, "loudness": {..., "short_term_series": [...]}, "dynamics", "spectrum":
// {"bands": [{lo_hz, hi_hz, db}], "third_octave": [...], "tilt_db_per_octave"}, "stereo": {...,
// "band_correlation": [{lo_hz, hi_hz, correlation}]}, "dc_offset": [per channel],
// "dc_offset_dbfs", "silence": {"leading_s", "trailing_s"}, "conversion": {source_rate_hz,
// band_edge_hz, band_drop_db, imaging, dither_checked_s, undithered_s, lowest_noise_lsb2}}
// ("conversion" may be absent in records stored before it existed).
//
// Round trip is lossless: analysis_from_json(to_json(a)) == a (defaulted operator==) (doubles are
// written with full precision by nlohmann::json). Every value is finite (silence is -120 dB).
#pragma once
#include <nlohmann/json.hpp>

#include "analysis/analysis.hpp"

namespace mixscout {

/// JSON text that is always valid UTF-8: what every `--json` output and every stored JSON column
/// is written with. File names and notes are bytes, not necessarily UTF-8 (a Latin-1 name from an
/// old disk, an OSC note with stray bytes); nlohmann's dump() would throw on them, losing the
/// output or the export. Invalid sequences become U+FFFD instead (lossy for those bytes only;
/// the SQLite path columns keep the exact bytes). indent < 0: one line.
std::string json_text(const nlohmann::json& json, int indent = -1);

}  // namespace mixscout

namespace mixscout::analysis {

nlohmann::json to_json(const Analysis& analysis);
/// Throws InputError("analysis JSON: <key>: <what is wrong>") on a missing key or a wrong type.
Analysis analysis_from_json(const nlohmann::json& json);

}  // namespace mixscout::analysis
