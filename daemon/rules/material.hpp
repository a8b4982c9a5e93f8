// mixscout rules: which kind of music this is, so the targets fit it (docs/JUDGEMENT.md).
//
// Without reference tracks the tonal curve, the low-end width limit and the "quiet master" advice
// depend on the material's family, picked from four measurements of the file itself. Each one
// votes "acoustic" (orchestral, acoustic, live-room recordings: darker, unlimited, spaced
// microphones, little sub) or "modern" (produced pop, rock, electronic: brighter, limited,
// close-miked or synthetic, mono bass):
//   tilt        spectrum.tilt_db_per_octave <= steep_tilt_db_per_octave   (dark: no synth air, no
//               bright close-miked drums; acoustic instruments lose ~6 dB/oct above 1 kHz)
//   dynamics    dynamics.plr_db >= dynamic_plr_db                         (no bus limiting)
//   low width   side/mid below 120 Hz >= wide_low_side_db                 (spaced pairs, not a DI bass)
//   low share   power below 90 Hz (octave bands 31.5 + 63) relative to all <= light_low_share_db
//               (no kick or synth bass carrying the mix)
// The family is acoustic when at least `min_votes` of the four vote for it (tonal.classifier in
// config/mixscout.yaml, where each threshold's reason is given). Mono files cannot vote on width.
// Pure function of the Analysis; cheap. rules::evaluate uses it; the rule ids added with it
// (silence.export, format.normalize, format.float_overs, format.mono) and what each severity
// means are in docs/JUDGEMENT.md.
#pragma once
#include <string>

#include "analysis/analysis.hpp"
#include "config/config.hpp"

namespace mixscout::rules {

struct Material {
    std::string family;      ///< "acoustic" | "modern"
    std::string curve;       ///< key of tonal.curves this family judges against
    int votes = 0;           ///< acoustic votes, of `voters`
    int voters = 0;          ///< 4 (3 for a mono file)
    std::string why;         ///< "tilt -3.1 dB/oct (<= -2.4: acoustic), PLR 16.0 dB (>= 13: acoustic), ..."
    // The measurements (kept for the report and the tests).
    double tilt_db_per_octave = 0.0;
    double plr_db = 0.0;
    double low_side_db = -120.0;
    double low_share_db = -120.0;
};

/// The family of a (non-silent) analysis under cfg's tonal.classifier.
Material classify(const analysis::Analysis& a, const config::Config& cfg);

/// Power below 90 Hz (octave bands 31.5 and 63 Hz) relative to all octave bands, dB.
double low_share_db(const analysis::SpectrumInfo& s);

}  // namespace mixscout::rules
