// Ogg/Vorbis through libvorbisfile directly (issue 20 item 7): the same samples libsndfile
// decoded, a file cut at a page boundary or with a lost page still refused, and malformed files
// that leave nothing behind (libsndfile 1.2's ogg_vorbis_open leaked libvorbis' codec setup,
// ~5.8 KB, on every malformed file it refused: +29 MB per 5,000 opens).
#include <gtest/gtest.h>
#include <sndfile.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "audio/decoder.hpp"
#include "core/error.hpp"
#include "support/process.hpp"
#include "support/signals.hpp"

namespace mixscout {
namespace {

namespace fs = std::filesystem;
using Kind = audio::DecodeError::Kind;

test::Signal decode_ogg(const fs::path& p) {
    audio::Decoder d(p, 4096);
    EXPECT_EQ(d.info().container, "ogg");
    EXPECT_EQ(d.info().encoding, "vorbis");
    test::Signal s;
    s.sample_rate = d.info().sample_rate;
    s.channels = d.info().channels;
    for (audio::Block b = d.read(); b.frames() > 0; b = d.read()) s.samples.insert(s.samples.end(), b.interleaved.begin(), b.interleaved.end());
    return s;
}

/// The Ogg/Vorbis file's error kind and message, or nothing when it decodes to the end.
std::optional<std::pair<Kind, std::string>> ogg_error(const fs::path& p) {
    try {
        audio::Decoder d(p, 4096);
        while (d.read().frames() > 0) {
        }
    } catch (const audio::DecodeError& e) {
        return std::make_pair(e.kind(), std::string(e.what()));
    }
    return std::nullopt;
}


/// Start offsets of the Ogg pages in a well-formed file (RFC 3533: 27-byte header, segment table).
std::vector<std::size_t> page_starts(const std::string& ogg) {
    std::vector<std::size_t> starts;
    for (std::size_t at = 0; at + 27 <= ogg.size() && ogg.compare(at, 4, "OggS") == 0;) {
        starts.push_back(at);
        const auto segments = static_cast<unsigned char>(ogg[at + 26]);
        std::size_t bytes = 27 + segments;
        for (std::size_t i = 0; i < segments; ++i) bytes += static_cast<unsigned char>(ogg[at + 27 + i]);
        at += bytes;
    }
    return starts;
}

// Parity with the path it replaces: libsndfile's Ogg/Vorbis decoder (test::read_audio) on files
// from three encoders (libsndfile's, ffmpeg's libvorbis, sox's), mono and stereo: the same frame
// count and the same float samples, bit for bit (both hand on libvorbis' synthesis output).
TEST(OggVorbis, SameSamplesAsLibsndfile) {
    MIXSCOUT_NEEDS_PROGRAM("ffmpeg");
    MIXSCOUT_NEEDS_PROGRAM("sox");
    test::TempDir dir;
    test::Signal stereo = test::pink_noise(-18, 3.0, 44100, 2);
    test::mix_into(stereo, test::sine(997, -12, 3.0, 44100, 2));
    const test::Signal mono = test::sine(440, -6, 1.5, 48000, 1);
    std::vector<fs::path> files;
    for (const auto& [name, s] : {std::pair{"stereo", stereo}, std::pair{"mono", mono}}) {
        const fs::path wav = dir / (std::string(name) + ".wav");
        test::write_audio(wav, s);
        files.push_back(dir / (std::string(name) + "-libsndfile.ogg"));
        test::write_audio(files.back(), s, SF_FORMAT_OGG | SF_FORMAT_VORBIS);
        files.push_back(dir / (std::string(name) + "-ffmpeg.ogg"));
        std::string log;
        ASSERT_EQ(test::run_command(test::find_program("ffmpeg"),
                                    {"-v", "error", "-y", "-i", wav.string(), "-c:a", "libvorbis", "-q:a", "5", files.back().string()}, &log),
                  0) << log;
        files.push_back(dir / (std::string(name) + "-sox.ogg"));
        ASSERT_EQ(test::run_command(test::find_program("sox"), {wav.string(), files.back().string()}, &log), 0) << log;
    }
    // A real song's excerpt where Debian's wesnoth-1.16-music is installed (victory.ogg, 5.5 s).
    const fs::path wesnoth = "/usr/share/games/wesnoth/1.16/data/core/music/victory.ogg";
    if (fs::exists(wesnoth)) files.push_back(wesnoth);

    for (const fs::path& f : files) {
        const test::Signal ours = decode_ogg(f);
        const test::Signal reference = test::read_audio(f);
        ASSERT_EQ(ours.channels, reference.channels) << f;
        ASSERT_EQ(ours.sample_rate, reference.sample_rate) << f;
        ASSERT_EQ(ours.frames(), reference.frames()) << f;
        ASSERT_GT(ours.frames(), 0u);
        std::size_t differing = 0;
        for (std::size_t i = 0; i < ours.samples.size(); ++i) differing += ours.samples[i] != reference.samples[i];
        EXPECT_EQ(differing, 0u) << f << ": samples that differ from libsndfile's";
    }
}

TEST(OggVorbis, RewindDecodesTheSameSamplesAgain) {
    test::TempDir dir;
    const fs::path p = dir / "a.ogg";
    test::write_audio(p, test::white_noise(-12, 1.0, 44100, 2), SF_FORMAT_OGG | SF_FORMAT_VORBIS);
    audio::Decoder d(p, 1000);
    const audio::Block first = d.read();
    const std::vector<float> head(first.interleaved.begin(), first.interleaved.end());
    while (d.read().frames() > 0) {
    }
    d.rewind();
    EXPECT_EQ(d.position(), 0);
    const audio::Block again = d.read();
    EXPECT_EQ(std::vector<float>(again.interleaved.begin(), again.interleaved.end()), head);
}

// Ogg/Opus (and Ogg/FLAC) are not libvorbisfile's: they still go to libsndfile, told apart by
// the first packet ("OpusHead"), and decode to the length ffmpeg wrote.
TEST(OggVorbis, OggOpusStillDecodesThroughLibsndfile) {
    MIXSCOUT_NEEDS_PROGRAM("ffmpeg");
    test::TempDir dir;
    const fs::path wav = dir / "a.wav", opus = dir / "a.opus";
    test::write_audio(wav, test::sine(440, -12, 1.0, 48000, 2));
    std::string log;
    ASSERT_EQ(test::run_command(test::find_program("ffmpeg"), {"-v", "error", "-y", "-i", wav.string(), "-c:a", "libopus", opus.string()}, &log), 0)
        << log;
    audio::Decoder d(opus, 4096);
    EXPECT_EQ(d.info().container, "ogg");
    EXPECT_EQ(d.info().encoding, "opus");
    std::int64_t frames = 0;
    for (audio::Block b = d.read(); b.frames() > 0; b = d.read()) frames += static_cast<std::int64_t>(b.frames());
    EXPECT_EQ(frames, 48000);
}

// A file cut exactly after a whole page decodes cleanly to a shorter length (libvorbisfile takes
// the last page's position as the length): it has no end-of-stream page, so it is half an export.
TEST(OggVorbis, CutAtAPageBoundaryIsTruncated) {
    test::TempDir dir;
    const fs::path whole = dir / "whole.ogg";
    test::write_audio(whole, test::white_noise(-12, 4.0, 44100, 2), SF_FORMAT_OGG | SF_FORMAT_VORBIS);
    const std::string bytes = test::file_bytes(whole);
    const std::vector<std::size_t> pages = page_starts(bytes);
    ASSERT_GE(pages.size(), 5u) << "expected header pages and several audio pages";
    EXPECT_EQ(ogg_error(whole), std::nullopt);
    for (const std::size_t cut : {pages[pages.size() - 1], pages[pages.size() / 2], pages[pages.size() / 2] + 100}) {
        const fs::path p = dir / ("cut-" + std::to_string(cut) + ".ogg");
        test::write_file_bytes(p, bytes.substr(0, cut));
        const auto e = ogg_error(p);
        ASSERT_TRUE(e.has_value()) << "cut at byte " << cut << " of " << bytes.size() << " decoded without an error";
        EXPECT_EQ(e->first, Kind::truncated) << e->second;
        EXPECT_EQ(e->second, p.string() + ": truncated: the stream has no end (length unknown), is it still being written?");
    }
}

// One flipped byte inside an audio page fails its checksum: libogg drops the page, and the
// decoder says where the gap is instead of analysing a song with a hole in it.
TEST(OggVorbis, LostPageIsCorruptWithItsPlace) {
    test::TempDir dir;
    const fs::path p = dir / "hole.ogg";
    test::write_audio(p, test::white_noise(-12, 4.0, 44100, 2), SF_FORMAT_OGG | SF_FORMAT_VORBIS);
    std::string bytes = test::file_bytes(p);
    const std::vector<std::size_t> pages = page_starts(bytes);
    ASSERT_GE(pages.size(), 5u);
    bytes[pages[pages.size() / 2] + 200] ^= 0x5A;
    test::write_file_bytes(p, bytes);
    const auto e = ogg_error(p);
    ASSERT_TRUE(e.has_value());
    EXPECT_EQ(e->first, Kind::corrupt) << e->second;
    EXPECT_NE(e->second.find(": damaged: the Ogg/Vorbis stream has a gap (a page missing or failing its checksum) at "), std::string::npos)
        << e->second;
}

// The leak the audit and fuzz_decoder found (docs/FUZZING.md, finding 1): Ogg/Vorbis files cut or
// damaged inside their header pages, opened 2,000 times. Heap in use (glibc's count) must not
// grow: through libsndfile 1.2 the same loop grew it by ~12 MB. Under ASan, LeakSanitizer checks
// the same at exit (no suppression).
TEST(OggVorbis, MalformedFilesLeaveNothingBehind) {
    test::TempDir dir;
    const fs::path whole = dir / "whole.ogg";
    test::write_audio(whole, test::white_noise(-12, 1.0, 44100, 2), SF_FORMAT_OGG | SF_FORMAT_VORBIS);
    const std::string bytes = test::file_bytes(whole);
    const std::vector<std::size_t> pages = page_starts(bytes);
    ASSERT_GE(pages.size(), 3u);
    // Cut inside the comment/setup header page, and that page with bytes flipped (checksum
    // fixed or not, libvorbis sees a damaged header or none).
    std::vector<fs::path> bad;
    for (const std::size_t cut : {pages[1] + 40, (pages[1] + pages[2]) / 2, pages[2] - 1}) {
        bad.push_back(dir / ("cut-" + std::to_string(cut) + ".ogg"));
        test::write_file_bytes(bad.back(), bytes.substr(0, cut));
    }
    for (const std::size_t at : {pages[1] + 60, (pages[1] + pages[2]) / 2}) {
        std::string damaged = bytes;
        damaged[at] ^= 0x21;
        bad.push_back(dir / ("flip-" + std::to_string(at) + ".ogg"));
        test::write_file_bytes(bad.back(), damaged);
    }
    for (const fs::path& p : bad) {
        const auto e = ogg_error(p);
        ASSERT_TRUE(e.has_value()) << p;
        EXPECT_TRUE(e->first == Kind::truncated || e->first == Kind::corrupt) << e->second;
    }
#if defined(__GLIBC__)
    const auto heap_in_use = [] { return static_cast<long long>(::mallinfo2().uordblks); };
    const long long before = heap_in_use();
    for (int i = 0; i < 400; ++i)
        for (const fs::path& p : bad) (void)ogg_error(p);
    const long long grown = heap_in_use() - before;
    EXPECT_LT(grown, 64 * 1024) << "heap grew by " << grown << " bytes over " << 400 * bad.size() << " malformed opens";
#endif
}

}  // namespace
}  // namespace mixscout
