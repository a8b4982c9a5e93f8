// The streaming decoder: every container libsndfile writes, and every kind of bad file.
#include <gtest/gtest.h>
#include <sndfile.h>

#include <cmath>
#include <fstream>
#include <optional>

#include "audio/decoder.hpp"
#include "core/error.hpp"
#include "support/signals.hpp"

namespace mixscout {
namespace {

void truncate_to(const std::filesystem::path& p, std::uintmax_t bytes) { std::filesystem::resize_file(p, bytes); }

std::string error_of(const std::filesystem::path& p) {
    try {
        audio::Decoder d(p);
        while (d.read().frames() > 0) {
        }
    } catch (const InputError& e) {
        return e.what();
    }
    return "";
}

struct FormatCase {
    const char* name;
    int format;
    const char* container;
    const char* encoding;
    int bits;
    double level_tolerance_db;
};

class Formats : public ::testing::TestWithParam<FormatCase> {};

TEST_P(Formats, DecodesLayoutAndLevel) {
    const FormatCase& c = GetParam();
    test::TempDir dir;
    const auto path = dir / c.name;
    const test::Signal s = test::sine(1000.0, -12.0, 2.0, 44100, 2);
    test::write_audio(path, s, c.format);
    audio::Decoder d(path, 1000);
    EXPECT_EQ(d.info().sample_rate, 44100);
    EXPECT_EQ(d.info().channels, 2);
    EXPECT_EQ(d.info().container, c.container);
    EXPECT_EQ(d.info().encoding, c.encoding);
    EXPECT_EQ(d.info().bit_depth, c.bits);
    std::int64_t frames = 0;
    double peak = 0.0;
    for (audio::Block b = d.read(); b.frames() > 0; b = d.read()) {
        EXPECT_LE(b.frames(), 1000u);
        EXPECT_EQ(b.channels, 2);
        frames += static_cast<std::int64_t>(b.frames());
        for (float x : b.interleaved) peak = std::max(peak, static_cast<double>(std::fabs(x)));
    }
    EXPECT_EQ(frames, d.position());
    // Lossy codecs add priming/padding; the rest is exact.
    if (c.level_tolerance_db == 0.0) {
        EXPECT_EQ(frames, 88200);
    }
    EXPECT_NEAR(frames, 88200, 3000);
    EXPECT_NEAR(20.0 * std::log10(peak), -12.0, c.level_tolerance_db + 0.01);

    d.rewind();
    EXPECT_EQ(d.position(), 0);
    EXPECT_GT(d.read().frames(), 0u);
}

INSTANTIATE_TEST_SUITE_P(
    Containers, Formats,
    ::testing::Values(FormatCase{"a.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_24, "wav", "pcm_24", 24, 0.0},
                      FormatCase{"a16.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, "wav", "pcm_16", 16, 0.0},
                      FormatCase{"f.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, "wav", "float", 0, 0.0},
                      FormatCase{"a.aiff", SF_FORMAT_AIFF | SF_FORMAT_PCM_16, "aiff", "pcm_16", 16, 0.0},
                      FormatCase{"a.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_24, "flac", "pcm_24", 24, 0.0},
                      FormatCase{"a.ogg", SF_FORMAT_OGG | SF_FORMAT_VORBIS, "ogg", "vorbis", 0, 0.5},
                      FormatCase{"a.mp3", SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III, "mp3", "mp3", 0, 0.5}),
    [](const auto& param_info) {
        std::string n = param_info.param.name;
        for (char& ch : n) if (ch == '.') ch = '_';
        return n;
    });

TEST(DecoderErrors, MissingDirectoryEmptyRandomAndTooManyChannels) {
    test::TempDir dir;
    EXPECT_EQ(error_of(dir / "nope.wav"), (dir / "nope.wav").string() + ": no such file");
    EXPECT_NE(error_of(dir.path()).find("is a directory"), std::string::npos);

    std::ofstream(dir / "empty.wav").close();
    EXPECT_EQ(error_of(dir / "empty.wav"), (dir / "empty.wav").string() + ": empty file (0 bytes)");

    {
        std::ofstream f(dir / "random.wav", std::ios::binary);
        std::uint32_t x = 12345;
        for (int i = 0; i < 4096; ++i) {
            x = x * 1664525u + 1013904223u;
            f.put(static_cast<char>(x >> 24));
        }
    }
    EXPECT_EQ(error_of(dir / "random.wav"), (dir / "random.wav").string() + ": not an audio file (WAV, AIFF, FLAC, Ogg/Vorbis or MP3)");

    std::ofstream(dir / "notes.txt") << "just some text, not audio\n";
    EXPECT_NE(error_of(dir / "notes.txt").find("not an audio file"), std::string::npos);

    test::write_audio(dir / "quad.wav", test::sine(440, -12, 0.5, 48000, 4));
    EXPECT_EQ(error_of(dir / "quad.wav"), (dir / "quad.wav").string() + ": 4 channels; only mono and stereo are supported");
}

TEST(DecoderErrors, TruncatedWavIsReportedNotAnalysed) {
    test::TempDir dir;
    const auto p = dir / "half.wav";
    test::write_audio(p, test::sine(440, -12, 1.0, 48000, 2), SF_FORMAT_WAV | SF_FORMAT_PCM_16);
    const auto full = std::filesystem::file_size(p);
    const std::uintmax_t header = full - 48000 * 4;  // 16-bit stereo: 4 bytes per frame
    truncate_to(p, header + 1000 * 4);
    EXPECT_EQ(error_of(p), p.string() + ": truncated: header says 48000 frames, file has 1000");
}

TEST(DecoderErrors, TruncatedAiffFlacAndOgg) {
    test::TempDir dir;
    const test::Signal s = test::white_noise(-12, 2.0, 44100, 2);
    test::write_audio(dir / "a.aiff", s, SF_FORMAT_AIFF | SF_FORMAT_PCM_24);
    test::write_audio(dir / "a.flac", s, SF_FORMAT_FLAC | SF_FORMAT_PCM_16);
    test::write_audio(dir / "a.ogg", s, SF_FORMAT_OGG | SF_FORMAT_VORBIS);
    for (const char* name : {"a.aiff", "a.flac", "a.ogg"}) {
        const auto p = dir / name;
        truncate_to(p, std::filesystem::file_size(p) / 2);
        EXPECT_NE(error_of(p).find("truncated"), std::string::npos) << name << ": " << error_of(p);
    }
}

/// The kind of the DecodeError reading p throws (the daemon branches on it, not on the text).
std::optional<audio::DecodeError::Kind> kind_of(const std::filesystem::path& p) {
    try {
        audio::Decoder d(p, 4096);
        while (d.read().frames() > 0) {
        }
    } catch (const audio::DecodeError& e) {
        return e.kind();
    }
    return std::nullopt;
}

TEST(DecoderErrors, KindsMatchWhatHappenedToTheFile) {
    using Kind = audio::DecodeError::Kind;
    test::TempDir dir;
    // Cut short (the file a writer has not finished): truncated, for every container.
    const test::Signal s = test::white_noise(-12, 2.0, 44100, 2);
    test::write_audio(dir / "a.wav", s, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
    test::write_audio(dir / "a.aiff", s, SF_FORMAT_AIFF | SF_FORMAT_PCM_24);
    test::write_audio(dir / "a.flac", s, SF_FORMAT_FLAC | SF_FORMAT_PCM_16);
    test::write_audio(dir / "a.ogg", s, SF_FORMAT_OGG | SF_FORMAT_VORBIS);
    EXPECT_EQ(kind_of(dir / "a.wav"), std::nullopt);  // whole: no error
    for (const char* name : {"a.wav", "a.aiff", "a.flac", "a.ogg"}) {
        truncate_to(dir / name, std::filesystem::file_size(dir / name) / 2);
        EXPECT_EQ(kind_of(dir / name), Kind::truncated) << name << ": " << error_of(dir / name);
    }
    std::ofstream(dir / "notes.txt") << "just some text, not audio\n";
    EXPECT_EQ(kind_of(dir / "notes.txt"), Kind::unsupported);
    test::write_audio(dir / "quad.wav", test::sine(440, -12, 0.5, 48000, 4));
    EXPECT_EQ(kind_of(dir / "quad.wav"), Kind::unsupported);
    EXPECT_EQ(kind_of(dir / "missing.wav"), Kind::unreadable);
    EXPECT_EQ(kind_of(dir.path()), Kind::unreadable);
}

TEST(DecoderErrors, WavWhoseHeaderWasNeverFinalised) {
    // A writer that crashed (or is still writing) leaves the data size at its 0 placeholder.
    test::TempDir dir;
    const auto p = dir / "open.wav";
    test::write_audio(p, test::sine(440, -12, 0.5, 48000, 2), SF_FORMAT_WAV | SF_FORMAT_PCM_16);
    std::fstream f(p, std::ios::in | std::ios::out | std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(f)), {});
    const auto at = bytes.find("data");
    ASSERT_NE(at, std::string::npos);
    f.seekp(static_cast<std::streamoff>(at + 4));
    const char zero[4] = {0, 0, 0, 0};
    f.write(zero, 4);
    f.close();
    EXPECT_NE(error_of(p).find("header says 0 frames, file has 24000"), std::string::npos) << error_of(p);
}

TEST(DecoderErrors, HeaderOnlyFile) {
    test::TempDir dir;
    const auto p = dir / "zero.wav";
    test::write_audio(p, test::Signal{48000, 2, {}});
    EXPECT_EQ(error_of(p), p.string() + ": no audio (0 frames)");
}

TEST(Decoder, ProbeReadsTheHeaderOnly) {
    test::TempDir dir;
    test::write_audio(dir / "m.wav", test::sine(440, -12, 1.5, 96000, 1), SF_FORMAT_WAV | SF_FORMAT_PCM_24);
    const audio::StreamInfo i = audio::probe(dir / "m.wav");
    EXPECT_EQ(i.sample_rate, 96000);
    EXPECT_EQ(i.channels, 1);
    EXPECT_EQ(i.frames, 144000);
    EXPECT_DOUBLE_EQ(i.duration_s, 1.5);
}

// The audit's case 10: of 2,321 truncations, 1,101 said "not an audio file libsndfile can read",
// 119 "(possibly a pipe?)" and 70 "Unspecified internal error". A file cut inside its header is
// "truncated or damaged", for every container, in our words.
TEST(DecoderErrors, CutInsideTheHeaderSaysTruncated) {
    test::TempDir dir;
    const test::Signal s = test::white_noise(-12, 0.5, 44100, 2);
    const std::vector<std::pair<std::string, int>> files = {
        {"a.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16}, {"a.aiff", SF_FORMAT_AIFF | SF_FORMAT_PCM_16},
        {"a.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16}, {"a.ogg", SF_FORMAT_OGG | SF_FORMAT_VORBIS}};
    for (const auto& [name, format] : files) {
        test::write_audio(dir / name, s, format);
        for (const std::uintmax_t cut : {20u, 6u}) {  // shorter second: resize_file cannot restore bytes
            truncate_to(dir / name, cut);
            const std::string e = error_of(dir / name);
            EXPECT_NE(e.find(": truncated"), std::string::npos) << name << " cut at " << cut << ": " << e;
            EXPECT_EQ(e.find("pipe"), std::string::npos) << e;
            EXPECT_EQ(e.find("Unspecified"), std::string::npos) << e;
        }
    }
}

}  // namespace
}  // namespace mixscout

namespace mixscout {
namespace {

// Issue 20 item 6: NaN and Inf samples in a float export (a plug-in that blew up) are refused
// with the first bad sample's place; nothing is measured from them.
TEST(DecoderErrors, NanAndInfSamplesInAFloatExportAreRefusedWithTheirPlace) {
    test::TempDir dir;
    struct Case {
        float value;
        const char* name;
        int format;
    };
    for (const Case c : {Case{std::nanf(""), "NaN", SF_FORMAT_WAV | SF_FORMAT_FLOAT},
                         Case{INFINITY, "+Inf", SF_FORMAT_WAV | SF_FORMAT_FLOAT},
                         Case{-INFINITY, "-Inf", SF_FORMAT_WAV | SF_FORMAT_DOUBLE}}) {
        test::Signal s = test::pink_noise(-20, 3.0, 48000, 2);
        // Ten bad samples on channel 2 from 1.5 s: frame 72000.
        for (int k = 0; k < 10; ++k) s.samples[static_cast<std::size_t>(72000 + k) * 2 + 1] = c.value;
        const auto p = dir / (std::string("bad ") + c.name + ".wav");
        test::write_audio(p, s, c.format);
        const std::string e = error_of(p);
        EXPECT_NE(e.find(std::string("damaged: ") + c.name + " sample at 1.500 s (frame 72000, channel 2)"), std::string::npos) << e;
        EXPECT_EQ(e.find('\n'), std::string::npos) << e;
    }
    // The same signal without them decodes (the check costs nothing it should not).
    const auto ok = dir / "ok.wav";
    test::write_audio(ok, test::pink_noise(-20, 3.0, 48000, 2), SF_FORMAT_WAV | SF_FORMAT_FLOAT);
    EXPECT_EQ(error_of(ok), "");
}

}  // namespace
}  // namespace mixscout
