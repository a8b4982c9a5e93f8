// MP3 through libmpg123 directly (issue 20 item 10): the same samples as an independent decoder
// (ffmpeg's), and damaged MP3s give one specific line on stderr and nothing of libmpg123's own
// ("Warning: Xing stream size off ...", "[src/libmpg123/layer3.c:...] error: big_values too
// large!"), which libsndfile's unquiet mpg123 handle printed in `compare` and the daemon.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <random>

#include "audio/decoder.hpp"
#include "core/error.hpp"
#include "support/ebur128_oracle.hpp"
#include "support/process.hpp"
#include "support/signals.hpp"

namespace mixscout {
namespace {

namespace fs = std::filesystem;

/// The built signal as ffmpeg's LAME encodes it (LAME/Info header: gapless delay and padding).
fs::path encode_mp3(const test::TempDir& dir, const test::Signal& s, const std::string& name) {
    const fs::path wav = dir / (name + ".wav"), mp3 = dir / name;
    test::write_audio(wav, s);
    std::string log;
    const int rc = test::run_command(test::find_program("ffmpeg"),
                                     {"-v", "error", "-y", "-i", wav.string(), "-c:a", "libmp3lame", "-b:a", "192k", mp3.string()}, &log);
    EXPECT_EQ(rc, 0) << log;
    return mp3;
}

test::Signal decode_with_mixscout(const fs::path& p) {
    audio::Decoder d(p, 4096);
    test::Signal s;
    s.sample_rate = d.info().sample_rate;
    s.channels = d.info().channels;
    for (audio::Block b = d.read(); b.frames() > 0; b = d.read()) s.samples.insert(s.samples.end(), b.interleaved.begin(), b.interleaved.end());
    return s;
}

test::Signal decode_with_ffmpeg(const test::TempDir& dir, const fs::path& mp3) {
    const fs::path wav = dir / (mp3.filename().string() + ".ffmpeg.wav");
    std::string log;
    const int rc = test::run_command(test::find_program("ffmpeg"), {"-v", "error", "-y", "-i", mp3.string(), "-c:a", "pcm_f32le", wav.string()}, &log);
    EXPECT_EQ(rc, 0) << log;
    return test::read_audio(wav);
}

/// Pearson correlation of two equally long sample runs, at lag 0 (sample-aligned).
double correlation(const std::vector<float>& a, const std::vector<float>& b) {
    double ab = 0, aa = 0, bb = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        ab += double(a[i]) * b[i];
        aa += double(a[i]) * a[i];
        bb += double(b[i]) * b[i];
    }
    return ab / std::sqrt(aa * bb);
}


/// Music-like: a tone over pink noise, 6 s at 44.1 kHz stereo.
test::Signal music() {
    test::Signal s = test::pink_noise(-20.0, 6.0, 44100, 2);
    test::mix_into(s, test::sine(440.0, -14.0, 6.0, 44100, 2));
    return s;
}

TEST(Mp3, DecodesTheSameSamplesAsFfmpegGaplessTrimmed) {
    MIXSCOUT_NEEDS_PROGRAM("ffmpeg");
    test::TempDir dir;
    const test::Signal built = music();
    const fs::path mp3 = encode_mp3(dir, built, "mix.mp3");
    audio::Decoder probe(mp3, 1);
    EXPECT_EQ(probe.info().container, "mp3");
    EXPECT_EQ(probe.info().encoding, "mp3");
    EXPECT_EQ(probe.info().sample_rate, 44100);
    EXPECT_EQ(probe.info().channels, 2);
    EXPECT_EQ(probe.info().frames, static_cast<std::int64_t>(built.frames()));  // the LAME/Info header's gapless length

    const test::Signal ours = decode_with_mixscout(mp3);
    const test::Signal theirs = decode_with_ffmpeg(dir, mp3);
    // Both trim the encoder's delay and padding: exactly the built signal's length, so the two
    // decodes are sample-aligned with no search for an offset.
    ASSERT_EQ(ours.frames(), built.frames());
    ASSERT_EQ(theirs.frames(), built.frames());
    ASSERT_EQ(theirs.channels, 2);
    // Two decoders of one bitstream differ only by float rounding in the synthesis filterbank
    // (~1e-6 of full scale); a one-sample shift of this signal would drop the correlation to
    // ~0.96 (the 440 Hz tone alone: cos(2*pi*440/44100) = 0.998; the noise part much less).
    EXPECT_GT(correlation(ours.samples, theirs.samples), 0.9999);
    float worst = 0.0f;
    for (std::size_t i = 0; i < ours.samples.size(); ++i) worst = std::max(worst, std::fabs(ours.samples[i] - theirs.samples[i]));
    EXPECT_LT(worst, 1e-3f);  // -60 dBFS: far below any level we report
    // Loudness through libebur128 on both decodes: within 0.05 LU (we show 0.1 LU).
    EXPECT_NEAR(test::ebur128_measure(ours).integrated_lufs, test::ebur128_measure(theirs).integrated_lufs, 0.05);
    // And the decode is the built signal (lossy at 192 kb/s: correlation, not equality).
    EXPECT_GT(correlation(ours.samples, built.samples), 0.99);
}

TEST(Mp3, RewindDecodesTheSameSamplesAgain) {
    MIXSCOUT_NEEDS_PROGRAM("ffmpeg");
    test::TempDir dir;
    const fs::path mp3 = encode_mp3(dir, test::sine(1000.0, -6.0, 2.0, 48000, 1), "tone.mp3");
    audio::Decoder d(mp3, 1000);
    std::vector<float> first, second;
    for (audio::Block b = d.read(); b.frames() > 0; b = d.read()) first.insert(first.end(), b.interleaved.begin(), b.interleaved.end());
    d.rewind();
    EXPECT_EQ(d.position(), 0);
    for (audio::Block b = d.read(); b.frames() > 0; b = d.read()) second.insert(second.end(), b.interleaved.begin(), b.interleaved.end());
    EXPECT_EQ(first.size(), 96000u);
    ASSERT_EQ(second.size(), first.size());
    // Not bit-identical: after a seek libmpg123 decodes the first frames again without the bit
    // reservoir of the frames before them, a difference at float rounding's scale.
    float worst = 0.0f;
    for (std::size_t i = 0; i < first.size(); ++i) worst = std::max(worst, std::fabs(first[i] - second[i]));
    EXPECT_LT(worst, 1e-4f);
    EXPECT_FALSE(d.content_hash().empty());  // read through the decoder's own descriptor
}

/// Damaged copies of one good MP3, each as a real export can be.
struct DamagedMp3s {
    fs::path good, truncated, junk_inside, damaged_frames;
};

DamagedMp3s damaged_mp3s(const test::TempDir& dir) {
    DamagedMp3s m;
    m.good = encode_mp3(dir, music(), "good.mp3");
    const std::string bytes = test::file_bytes(m.good);
    const std::size_t half = bytes.size() / 2;
    // Cut off mid-frame (an export still being written): libmpg123 warned "Xing stream size off".
    m.truncated = dir / "truncated.mp3";
    test::write_file_bytes(m.truncated, bytes.substr(0, half + 7));
    // 64 kB of noise inside (a damaged copy): more than libmpg123's 1024-byte resync limit.
    std::mt19937 rng(20);
    std::string junk(65536, '\0');
    for (char& c : junk) c = static_cast<char>(rng() & 0xFF);
    m.junk_inside = dir / "junk_inside.mp3";
    test::write_file_bytes(m.junk_inside, bytes.substr(0, half) + junk + bytes.substr(half));
    // Side information scrambled in every frame of the second half, frame headers intact: the
    // frames are found but cannot be decoded ("big_values too large!"); libmpg123 conceals them.
    const std::string scrambled = test::scramble_mp3_side_info(bytes, half, 20);
    m.damaged_frames = dir / "damaged_frames.mp3";
    test::write_file_bytes(m.damaged_frames, scrambled);
    return m;
}

TEST(Mp3Errors, TruncatedAndJunkInsideGiveTheirKind) {
    MIXSCOUT_NEEDS_PROGRAM("ffmpeg");
    test::TempDir dir;
    const DamagedMp3s m = damaged_mp3s(dir);
    auto kind_and_text = [](const fs::path& p) -> std::pair<audio::DecodeError::Kind, std::string> {
        try {
            audio::Decoder d(p);
            while (d.read().frames() > 0) {
            }
        } catch (const audio::DecodeError& e) {
            return {e.kind(), e.what()};
        }
        return {audio::DecodeError::Kind::unreadable, "no error"};
    };
    const auto [truncated_kind, truncated_text] = kind_and_text(m.truncated);
    EXPECT_EQ(truncated_kind, audio::DecodeError::Kind::truncated);
    EXPECT_EQ(truncated_text.rfind(m.truncated.string() + ": truncated: header says 264600 frames, file has ", 0), 0u) << truncated_text;
    const auto [junk_kind, junk_text] = kind_and_text(m.junk_inside);
    EXPECT_EQ(junk_kind, audio::DecodeError::Kind::corrupt);
    EXPECT_EQ(junk_text.rfind(m.junk_inside.string() + ": damaged: the MPEG stream cannot be decoded after ", 0), 0u) << junk_text;
    EXPECT_NE(junk_text.find("resync"), std::string::npos) << junk_text;  // libmpg123's reason, in its words
}

/// MPEG frames ffmpeg's own MP3 decoder (an independent implementation) cannot decode.
std::int64_t frames_ffmpeg_rejects(const fs::path& mp3) {
    std::string log;
    EXPECT_EQ(test::run_command(test::find_program("ffmpeg"), {"-v", "error", "-i", mp3.string(), "-f", "null", "-"}, &log), 0) << log;
    std::int64_t n = 0;
    for (auto at = log.find("Error while decoding MPEG audio frame"); at != std::string::npos;
         at = log.find("Error while decoding MPEG audio frame", at + 1))
        ++n;
    return n;
}

// Issue 20: scrambled frames were concealed silently. The decoder counts the frames libmpg123
// conceals (side information it rejects or clamps), as many as ffmpeg's decoder refuses.
TEST(Mp3Errors, ConcealedFramesAreCountedAsFfmpegRefusesThem) {
    MIXSCOUT_NEEDS_PROGRAM("ffmpeg");
    test::TempDir dir;
    const DamagedMp3s m = damaged_mp3s(dir);
    auto concealed = [](const fs::path& p) {
        audio::Decoder d(p, 4096);
        EXPECT_EQ(d.concealed_frames(), 0);  // not known before the end
        while (d.read().frames() > 0) {
        }
        return std::pair{d.concealed_frames(), d.concealed_s()};
    };
    EXPECT_EQ(frames_ffmpeg_rejects(m.good), 0);
    EXPECT_EQ(concealed(m.good).first, 0);
    const std::int64_t refused = frames_ffmpeg_rejects(m.damaged_frames);
    ASSERT_GT(refused, 20);  // most of the second half's ~115 frames
    const auto [frames, seconds] = concealed(m.damaged_frames);
    EXPECT_EQ(frames, refused);
    EXPECT_DOUBLE_EQ(seconds, static_cast<double>(refused) * 1152 / 44100);  // MPEG-1 Layer III: 1152 samples a frame
}

TEST(Mp3Errors, TheCliPrintsOneLineAndNothingOfLibmpg123s) {
    MIXSCOUT_NEEDS_PROGRAM("ffmpeg");
    test::TempDir dir;
    const DamagedMp3s m = damaged_mp3s(dir);
    const std::vector<std::string> env = {"MIXSCOUT_DATA_DIR=" + (dir / "data").string()};
    // `compare` never muted stderr; `analyze` did (a process-wide dup2, now gone).
    for (const std::string command : {"analyze", "compare"}) {
        auto run = [&](const fs::path& file) {
            return command == "analyze" ? test::run_mixscout({"analyze", "--no-history", file.string()}, env)
                                        : test::run_mixscout({"compare", m.good.string(), "--against", file.string()}, env);
        };
        const auto truncated = run(m.truncated);
        EXPECT_EQ(truncated.code, 2) << command;
        EXPECT_EQ(truncated.err.rfind("mixscout: " + m.truncated.string() + ": truncated: header says ", 0), 0u) << command << "\n" << truncated.err;
        EXPECT_EQ(std::count(truncated.err.begin(), truncated.err.end(), '\n'), 1) << command << "\n" << truncated.err;

        const auto junk = run(m.junk_inside);
        EXPECT_EQ(junk.code, 2) << command;
        EXPECT_EQ(junk.err.rfind("mixscout: " + m.junk_inside.string() + ": damaged: the MPEG stream cannot be decoded after ", 0), 0u)
            << command << "\n" << junk.err;
        EXPECT_EQ(std::count(junk.err.begin(), junk.err.end(), '\n'), 1) << command << "\n" << junk.err;

        // Concealed frames: analysed, nothing of libmpg123's; `analyze` warns how many (the
        // count ffmpeg's decoder refuses) in one line.
        const auto concealed = run(m.damaged_frames);
        EXPECT_EQ(concealed.code, 0) << command << "\n" << concealed.err;
        if (command == "analyze") {
            const std::int64_t n = frames_ffmpeg_rejects(m.damaged_frames);
            char seconds[16];
            std::snprintf(seconds, sizeof seconds, "%.1f", static_cast<double>(n) * 1152 / 44100);
            EXPECT_EQ(concealed.err, "mixscout: warning: " + m.damaged_frames.string() + ": " + std::to_string(n) +
                                         " corrupt MP3 frames concealed (" + seconds + " s)\n");
        } else {
            EXPECT_EQ(concealed.err, "") << command;
        }
    }
    // And in the JSON.
    const auto json = test::run_mixscout({"analyze", "--no-history", "--json", m.damaged_frames.string()}, env);
    ASSERT_EQ(json.code, 0) << json.err;
    const auto j = nlohmann::json::parse(json.out);
    EXPECT_EQ(j["format"]["concealed_frames"].get<std::int64_t>(), frames_ffmpeg_rejects(m.damaged_frames));
    EXPECT_GT(j["format"]["concealed_s"].get<double>(), 0.0);
}

}  // namespace
}  // namespace mixscout
