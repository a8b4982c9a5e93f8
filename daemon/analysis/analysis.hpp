// mixscout analysis: the measurements of one audio file (or one live take).
//
// This is the contract between the analysis engine and everything after it (rules, stems,
// history, comparison, mastering, the daemon). All levels carry their unit in the name.
// Silence is reported as silence_floor_db (-120), never -inf, so the JSON form stays valid.
//
// JSON keys are the field names below, grouped as in the struct (`format`, `peak`, `clipping`,
// `loudness`, `dynamics`, `spectrum`, `stereo`, `dc_offset`, `silence`, `conversion`); see analysis_json.hpp.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace mixscout::analysis {

struct FormatInfo {
    int sample_rate = 0;
    int channels = 0;
    int bit_depth = 0;          ///< PCM bits (8/16/24/32); 0 for float and compressed formats
    std::string container;      ///< "wav", "aiff", "flac", "ogg", "mp3", ...
    std::string encoding;       ///< "pcm_16", "pcm_24", "float", "vorbis", ...
    std::int64_t frames = 0;
    double duration_s = 0.0;
    /// MP3 only: damaged frames libmpg123 concealed instead of decoding (audio::Decoder::
    /// concealed_frames), and their length. The figures include them: a warning, not an error.
    std::int64_t concealed_frames = 0;
    double concealed_s = 0.0;
    bool operator==(const FormatInfo&) const = default;
};

struct PeakInfo {
    double sample_peak_dbfs = 0.0;                  ///< max over channels
    double true_peak_dbtp = 0.0;                    ///< ITU-R BS.1770-4 Annex 2, max over channels
    std::vector<double> channel_sample_peak_dbfs;   ///< per channel
    std::vector<double> channel_true_peak_dbtp;     ///< per channel
    /// True peak of each 100 ms hop, max over channels, dBTP (at loudness.short_term_series_hz;
    /// value i covers [i/10 s, (i+1)/10 s)).
    std::vector<float> true_peak_series;
    bool operator==(const PeakInfo&) const = default;
};

/// A run of consecutive full-scale samples ("full_scale"), or a span where the reconstructed
/// signal exceeds 0 dBTP although no sample is at full scale ("true_peak_over").
struct ClipEvent {
    double time_s = 0.0;        ///< start, accurate to 10 ms
    double duration_s = 0.0;
    int channel = 0;            ///< 0 = left / mono, 1 = right
    std::int64_t samples = 0;   ///< clipped samples in the run
    std::string kind = "full_scale";
    double peak_dbtp = 0.0;     ///< highest true peak within the event
    bool operator==(const ClipEvent&) const = default;
};

struct ClippingInfo {
    int count = 0;              ///< number of events (== events.size(), unless capped)
    std::int64_t clipped_samples = 0;
    std::vector<ClipEvent> events;  ///< in time order; capped at 1000 (count keeps counting)
    bool operator==(const ClippingInfo&) const = default;
};

struct LoudnessInfo {
    double integrated_lufs = -70.0;     ///< EBU R128 / BS.1770-4 gated
    double momentary_max_lufs = -70.0;  ///< 400 ms window
    double short_term_max_lufs = -70.0; ///< 3 s window
    double lra_lu = 0.0;                ///< EBU Tech 3342
    double short_term_series_hz = 10.0; ///< rate of short_term_series
    std::vector<float> short_term_series;  ///< short-term loudness, LUFS, one value per 1/hz s
    std::vector<float> momentary_series;   ///< momentary loudness, LUFS, same clock
    bool operator==(const LoudnessInfo&) const = default;
};

struct DynamicsInfo {
    double crest_db = 0.0;  ///< sample peak - RMS, dB (over the whole file, all channels)
    double plr_db = 0.0;    ///< peak-to-loudness ratio: true peak - integrated loudness
    double psr_db = 0.0;    ///< peak-to-short-term-loudness ratio: true peak - max short-term loudness
    /// Share (0..1) of all samples within 6.02 dB of the sample peak (at or above half of it): the
    /// waveform's density near its peak. Heavy saturation read 0.24-0.80, released masters at
    /// most 0.04, a limiter pushed hard up to 0.2 (docs/JUDGEMENT.md); a sine 2/3, a square wave 1.
    double half_peak_share = 0.0;
    /// The crest factor (sample peak - RMS) of each 100 ms hop, averaged weighted by its energy, dB:
    /// the waveform's own crest. A limiter keeps it (released music 8.7-11.4 dB, limited hard 7.2
    /// and more); saturation takes it away (2.9-6.4 dB measured; a sine 3 dB, a square wave 0).
    /// See dsp::ShortTermImage::hop_crest_db.
    double hop_crest_db = 0.0;
    /// Over time, on the short-term loudness clock (value i = the 3 s window ending at (i+1)/10 s):
    std::vector<float> crest_series;  ///< sample peak - RMS of the window, dB
    std::vector<float> psr_series;    ///< max true peak of the window - short-term loudness, dB (0 in silence)
    bool operator==(const DynamicsInfo&) const = default;
};

/// One band of the long-term average spectrum. db is the band's power (sum over its bins of
/// the channel-averaged power spectrum, dBFS) minus the integrated loudness, so a mix and its
/// louder master read the same: "loudness-normalised".
struct Band {
    double lo_hz = 0.0;
    double hi_hz = 0.0;
    double db = 0.0;
    bool operator==(const Band&) const = default;
};

struct SpectrumInfo {
    std::vector<Band> bands;          ///< 10 octave bands, ISO centres 31.5 Hz .. 16 kHz
    std::vector<Band> third_octave;   ///< 31 one-third-octave bands, 20 Hz .. 20 kHz (same normalisation)
    double tilt_db_per_octave = 0.0;  ///< least-squares slope of the octave bands 63 Hz..16 kHz
    bool operator==(const SpectrumInfo&) const = default;
};

struct BandCorrelation {
    double lo_hz = 0.0;
    double hi_hz = 0.0;
    double correlation = 1.0;  ///< -1..1; 1 for mono files
    bool operator==(const BandCorrelation&) const = default;
};

struct StereoInfo {
    double correlation = 1.0;        ///< L/R correlation over the whole file, -1..1
    double width = 0.0;              ///< side energy / mid energy (0 = mono, 1 = as wide as it is centred)
    double mono_loss_db = 0.0;       ///< integrated loudness of the stereo mix minus that of its mono fold-down ((L+R)/2 on both), >= 0 normally
    double balance_db = 0.0;         ///< L energy over R energy in dB (positive = left-heavy)
    double low_correlation = 1.0;    ///< correlation below 120 Hz
    double low_width = 0.0;          ///< side/mid energy below 120 Hz
    std::vector<BandCorrelation> band_correlation;  ///< the octave bands of SpectrumInfo::bands
    /// Over time, on the short-term loudness clock, each over the 3 s window ending at (i+1)/10 s
    /// (dsp/short_term_image.hpp); empty for mono files.
    std::vector<float> correlation_series;
    std::vector<float> width_series;
    bool operator==(const StereoInfo&) const = default;
};

struct SilenceInfo {
    double leading_s = 0.0;   ///< time before the signal first exceeds -60 dBFS
    double trailing_s = 0.0;  ///< time after it last exceeds -60 dBFS
    bool operator==(const SilenceInfo&) const = default;
};

/// Conversions the export went through (dsp/band_limit.hpp, dsp/quantisation.hpp).
struct ConversionInfo {
    int source_rate_hz = 0;          ///< the project rate an upsampled export came from; 0 = none seen (or lossy)
    double band_edge_hz = 0.0;       ///< where its content stops (that rate's Nyquist)
    double band_drop_db = 0.0;       ///< level just below the edge minus just above
    bool imaging = false;            ///< images above the edge instead of a clean gap
    /// Integer PCM of <= 16 bits only (else 0): sounding time measured, and the part of it whose
    /// noise floor is below any dither's (truncation distortion).
    double dither_checked_s = 0.0;
    double undithered_s = 0.0;
    double lowest_noise_lsb2 = -1.0; ///< lowest second-difference power of a sounding frame; -1 = not measured
    bool operator==(const ConversionInfo&) const = default;
};

struct Analysis {
    std::string path;
    FormatInfo format;
    PeakInfo peak;
    ClippingInfo clipping;
    LoudnessInfo loudness;
    DynamicsInfo dynamics;
    SpectrumInfo spectrum;
    StereoInfo stereo;
    std::vector<double> dc_offset;  ///< per channel, mean sample value (linear, -1..1)
    double dc_offset_dbfs = -120.0;  ///< largest |dc| over channels, dBFS
    SilenceInfo silence;
    ConversionInfo conversion;

    bool operator==(const Analysis&) const = default;
};

}  // namespace mixscout::analysis
