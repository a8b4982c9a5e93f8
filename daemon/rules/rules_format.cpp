// mixscout rules: DC offset, silence at the ends, export format (evaluator.hpp).
#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "core/units.hpp"
#include "rules/evaluator.hpp"

namespace mixscout::rules::detail {

// ---- DC, silence, format -------------------------------------------------------------------
void Evaluator::dc_offset() {
    if (!r_.dc_offset.enabled || a_.dc_offset_dbfs <= r_.dc_offset.max_dbfs) return;
    const double lim = r_.dc_offset.max_dbfs;
    Issue& i = add("dc_offset", "format", r_.dc_offset.severity);
    i.title = "DC offset (" + num(a_.dc_offset_dbfs) + " dBFS)";
    i.detail = "largest channel mean " + num(a_.dc_offset_dbfs) + " dBFS (at most " + num(lim) + " dBFS)";
    i.fix = "EQ Eight on the master (or on the track that has it): band 1 Low Cut at 20 Hz";
    i.value = a_.dc_offset_dbfs;
    i.target = lim;
    i.unit = "dBFS";
    i.score = 1.0 + (a_.dc_offset_dbfs - lim) / 3.0;
}

void Evaluator::silence() {
    const double head = a_.silence.leading_s, tail = a_.silence.trailing_s;
    if (r_.silence.head.enabled && head > r_.silence.head.max_s) {
        const double lim = r_.silence.head.max_s;
        Issue& i = add("silence.head", "format", r_.silence.head.severity);
        i.title = "Silence at the start: " + num(head) + " s";
        i.detail = num(head) + " s before the first sound (at most " + num(lim) + " s)";
        i.fix = "Start the export selection at the first sound (move the arrangement selection start " + num(head) + " s later)";
        i.times_s = {0.0};
        i.value = head;
        i.target = lim;
        i.unit = std::string("s");  // not = "s": GCC 12 -Wrestrict false positive (PR 105651) on a 1-char assign
        i.score = 1.0 + (head - lim) / 2.0;
    }
    if (r_.silence.tail.enabled && tail > r_.silence.tail.max_s) {
        const double lim = r_.silence.tail.max_s;
        Issue& i = add("silence.tail", "format", r_.silence.tail.severity);
        i.title = "Silence at the end: " + num(tail) + " s";
        i.detail = num(tail) + " s after the last sound (at most " + num(lim) + " s, reverb tails included)";
        i.fix = "End the export selection " + num(std::max(0.0, tail - 2.0)) + " s earlier (keep about 2 s for the tail)";
        i.times_s = {std::max(0.0, a_.format.duration_s - tail)};
        i.value = tail;
        i.target = lim;
        i.unit = std::string("s");  // not = "s": GCC 12 -Wrestrict false positive (PR 105651) on a 1-char assign
        i.score = 1.0 + (tail - lim) / 2.0;
    }
}

bool Evaluator::is_lossy(const analysis::FormatInfo& f) {
    for (const char* e : {"vorbis", "mp3", "mpeg", "opus", "aac"})
        if (f.encoding.find(e) != std::string::npos) return true;
    return f.container == "mp3" || f.container == "m4a" || f.container == "aac";
}

/// Exported at another rate than the project's: the old Nyquist shows as a band gap or images.
void Evaluator::resampled() {
    const auto& cv = a_.conversion;
    const auto& rule = r_.format.resampled;
    if (!rule.enabled || cv.source_rate_hz <= 0) return;
    const auto& f = a_.format;
    Issue& i = add("format.resampled", "format", cv.imaging ? rule.imaging_severity : rule.severity);
    const std::string from = num(cv.source_rate_hz / 1000.0, cv.source_rate_hz % 1000 ? 1 : 0) + " kHz";
    i.title = "Converted from a " + from + " project to " + num(f.sample_rate / 1000.0, f.sample_rate % 1000 ? 1 : 0) +
              " kHz in the export" + (cv.imaging ? " (with images)" : "");
    i.detail = cv.imaging ? "above " + hz(cv.band_edge_hz) + " the spectrum mirrors the one below it (images of a " + from +
                                " signal, " + num(cv.band_drop_db) + " dB down): a poor sample-rate conversion"
                          : "nothing above " + hz(cv.band_edge_hz) + " (the level falls " + num(cv.band_drop_db) +
                                " dB at that edge, a brick wall no music has): the file was converted up from " + from;
    i.fix = "Export Audio/Video: Sample Rate " + std::to_string(cv.source_rate_hz) +
            ", the project's rate (Preferences, Audio: Sample Rate); leave the conversion to the mastering engineer" +
            std::string(cv.imaging ? "; the images fold back into the audible band at the next conversion" : "");
    i.value = cv.band_edge_hz;
    i.target = f.sample_rate / 2.0;
    i.unit = "Hz";
    i.score = 1.0 + std::min(cv.band_drop_db, 120.0) / 20.0;
}

/// A 16-bit (or shorter) file quantised without dither: truncation distortion in quiet passages.
void Evaluator::dither() {
    const auto& cv = a_.conversion;
    const auto& rule = r_.format.dither;
    if (!rule.enabled || cv.undithered_s < rule.min_undithered_s) return;
    const auto& f = a_.format;
    Issue& i = add("format.dither", "format", rule.severity);
    i.title = std::to_string(f.bit_depth) + "-bit export without dither: truncation distortion in quiet passages";
    i.detail = num(cv.undithered_s) + " s of " + num(cv.dither_checked_s) + " s with signal have a noise floor below any "
               "dither's (lowest " + num(cv.lowest_noise_lsb2, 2) + " LSB^2 of high-frequency noise; dithered files read at "
               "least 1): fades, tails and quiet parts distort instead of hiss";
    i.fix = p_.premaster ? "Export Audio/Video: Bit Depth 24 (or 32 float) with Dither Options: No Dither, for mastering"
                         : "Export Audio/Video: Dither Options Triangular (or POW-r 1) for a 16-bit master; export from a "
                           "24-bit or float source";
    i.value = cv.undithered_s;
    i.target = rule.min_undithered_s;
    i.unit = std::string("s");  // not = "s": GCC 12 -Wrestrict false positive (PR 105651) on a 1-char assign
    i.score = 1.0 + std::log2(1.0 + cv.undithered_s);
}

void Evaluator::format() {
    const auto& f = a_.format;
    if (r_.format.sample_rate.enabled && f.sample_rate > 0 && f.sample_rate < r_.format.sample_rate.min_hz) {
        const double lim = r_.format.sample_rate.min_hz;
        Issue& i = add("format.sample_rate", "format", r_.format.sample_rate.severity);
        i.title = "Low sample rate: " + std::to_string(f.sample_rate) + " Hz";
        i.detail = std::to_string(f.sample_rate) + " Hz cuts everything above " + hz(f.sample_rate / 2.0) + " (at least " +
                   num(lim, 0) + " Hz)";
        i.fix = "Export Audio/Video: Sample Rate 48000 (or 44100), the project's rate";
        i.value = f.sample_rate;
        i.target = lim;
        i.unit = "Hz";
        i.score = 1.0 + 10.0 * (lim - f.sample_rate) / lim;
    }
    resampled();
    dither();
    if (!p_.premaster) return;
    if (r_.format.mono.enabled && f.channels == 1) {
        Issue& i = add("format.mono", "format", r_.format.mono.severity);
        i.title = "Mono export";
        i.detail = "one channel; a stereo mix exported with Convert to Mono loses its stereo image and folds any wide or "
                   "out-of-phase parts";
        i.fix = "Export Audio/Video: switch Convert to Mono off (unless the song is meant to be mono)";
        i.value = 1;
        i.target = 2;
        i.unit = "channels";
        i.score = 2.0;
    }
    if (r_.format.lossy.enabled && is_lossy(f)) {
        Issue& i = add("format.lossy", "format", r_.format.lossy.severity);
        i.title = "Lossy file (" + (f.encoding.empty() ? f.container : f.encoding) + ") for mastering";
        i.detail = "encoding " + f.encoding + " in " + f.container + "; mastering needs a lossless file";
        i.fix = "Export Audio/Video: File Type WAV (or AIFF), Bit Depth 24";
        i.value = 0;
        i.target = 0;
        i.unit = "";
        i.score = 2.0;
    } else if (r_.format.bit_depth.enabled && f.bit_depth > 0 && f.bit_depth < r_.format.bit_depth.min_bits) {
        const double lim = r_.format.bit_depth.min_bits;
        Issue& i = add("format.bit_depth", "format", r_.format.bit_depth.severity);
        i.title = std::to_string(f.bit_depth) + "-bit export before mastering";
        i.detail = std::to_string(f.bit_depth) + "-bit PCM; a file for mastering has at least " + num(lim, 0) +
                   " bits (or float): every gain change in mastering re-quantises it, and 16-bit without dither leaves "
                   "truncation distortion on fades and reverb tails";
        i.fix = "Export Audio/Video: Bit Depth 24 (or 32 float) with Dither Options: No Dither; dither (Triangular or "
                "POW-r) only for a final 16-bit master";
        i.value = f.bit_depth;
        i.target = lim;
        i.unit = "bits";
        i.score = 1.0 + (lim - f.bit_depth) / 8.0;
    }
}

}  // namespace mixscout::rules::detail
