// mixscout dsp: was the export converted from another sample rate? (a band gap at the old Nyquist)
//
// A sample-rate conversion in the export (Live's Export Audio/Video "Sample Rate" set to another
// rate than the project's) leaves the old rate's signature in the file: an upsampled export has
// nothing between the project's Nyquist and the file's (a brick-wall band gap: 22.05-24 kHz in a
// 44.1 kHz project exported at 48 kHz); a poor interpolator leaves images there instead, the
// spectrum below the old Nyquist mirrored above it, well down but not gone. Music never falls off
// like that by itself: within a tenth of an octave, exactly at a standard rate's Nyquist.
//
// find_band_limit() reads the long-term power spectrum the analysis already accumulates
// (WelchSpectrum, an incremental kernel: push(block), then power_spectrum()), so this costs no
// pass of its own: for each project rate Live offers below the file's rate (44.1, 48, 88.2, 96,
// 176.4 kHz), with f_n its Nyquist, it compares the mean power just below the edge
// (0.80-0.88 f_n, inside any resampler's passband) with the mean power just above it
// (1.01-1.10 f_n or up to 0.97 of the file's Nyquist, inside its stopband or images). The lowest rate whose drop is at least
// min_drop_db is the source: an upsampled 48 kHz project shows no drop at 22.05 kHz (its content
// runs on to ~23 kHz), a 44.1 kHz one shows it at 22.05 and again at 24 kHz.
// The levels above are also compared with the mirror image of those below (16 sub-bands at the
// same offsets from f_n): without a clean gap, a shape that repeats the mirror is imaging.
// Lossy files are not judged (their encoder low-passes anywhere from 15 to 20 kHz).
#pragma once
#include <span>

namespace mixscout::dsp {

struct BandLimit {
    int source_rate_hz = 0;   ///< the project rate the file was converted from; 0 = no conversion seen
    double edge_hz = 0.0;     ///< its Nyquist: where the content stops
    double drop_db = 0.0;     ///< mean level just below the edge minus just above it
    bool imaging = false;     ///< the region above holds the mirror image of the one below (not a clean gap)
};

struct BandLimitOptions {
    double min_drop_db = 30.0;    ///< music falls a few dB over these 0.2 octaves; a resampler 60-140 dB
    double clean_gap_db = 60.0;   ///< a drop this large is a gap, whatever lies above
    double min_mirror_correlation = 0.9;  ///< images: the levels above follow the mirror below this closely
};

/// power: one-sided power spectrum (bin k at k * bin_hz), e.g. WelchSpectrum::power_spectrum,
/// channels averaged. Empty or too short (no bins above an edge): no conversion.
BandLimit find_band_limit(std::span<const double> power, double bin_hz, int sample_rate, BandLimitOptions options = {});

}  // namespace mixscout::dsp
