// Issue 20 item 4, with real files: an MP3 without a Xing/Info frame written in chunks is one
// iteration, not one per chunk; a file replaced or rewritten while it is decoded never has its
// analysis stored under the other file's hash.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <iterator>

#include "analysis/analyzer.hpp"
#include "audio/decoder.hpp"
#include "config/config.hpp"
#include "core/error.hpp"
#include "history/pipeline.hpp"
#include "history/store.hpp"
#include "fixtures.hpp"
#include "support/process.hpp"
#include "support/signals.hpp"

using namespace mixscout;
namespace fs = std::filesystem;

namespace {

std::string file_text(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

/// An MP3 as an encoder writing it live leaves it: no Xing/Info frame (nothing in it says how
/// long it is), made by ffmpeg.
fs::path mp3_without_xing(const fs::path& dir, const std::string& name, double freq_hz, double seconds) {
    const fs::path out = dir / name;
    std::string log;
    const int rc = test::run_command(test::find_program("ffmpeg"), {"-v", "error", "-y", "-f", "lavfi", "-i",
                                                "sine=frequency=" + std::to_string(freq_hz) + ":duration=" + std::to_string(seconds),
                                                "-ac", "2", "-ar", "44100", "-b:a", "192k", "-write_xing", "0", out.string()},
                                     &log);
    EXPECT_EQ(rc, 0) << log;
    const std::string bytes = file_text(out);
    EXPECT_EQ(bytes.find("Xing"), std::string::npos);
    EXPECT_EQ(bytes.find("Info"), std::string::npos);
    return out;
}

config::Config default_config() { return config::Config::defaults(); }

}  // namespace

TEST(ExportsThatGrow, ChunkedMp3WithoutXingIsOneIterationReplacedUntilComplete) {
    MIXSCOUT_NEEDS_PROGRAM("ffmpeg");
    test::TempDir dir;
    const std::string whole = file_text(mp3_without_xing(dir.path(), "source.mp3", 440, 8.0));
    const fs::path exports = dir / "exports";
    fs::create_directories(exports);
    const fs::path p = exports / "Night Drive.mp3";
    const auto cfg = default_config();
    auto store = history::Store::open(dir / "data", history::store_options(cfg));
    // Twelve chunks, each closed (the way a slow writer looks finished after every chunk); after
    // each, what the daemon does with a file the watcher reported: analyse it, record it.
    const std::size_t step = whole.size() / 12 + 1;
    int recorded = 0, replaced = 0;
    std::int64_t export_id = 0;
    for (std::size_t at = 0; at < whole.size(); at += step) {
        std::ofstream(p, std::ios::binary | std::ios::app).write(whole.data() + at, static_cast<std::streamsize>(std::min(step, whole.size() - at)));
        try {
            const auto analysed = analysis::analyze_export(p);
            history::IngestInput in;
            in.hash = analysed.content_hash;
            in.size_bytes = analysed.size_bytes;
            const auto r = history::ingest(store, p, analysed.analysis, cfg, in);
            EXPECT_EQ(r.record.iteration, 1) << "after " << at + step << " bytes";
            if (export_id) {
                EXPECT_EQ(r.record.export_id, export_id);
            }
            export_id = r.record.export_id;
            ++recorded;
            replaced += r.record.replaced ? 1 : 0;
            EXPECT_EQ(r.comparison.verdict, review::Verdict::first);  // still the song's only export
        } catch (const InputError&) {
            // The first chunk can be too short to decode: the daemon tries it again later.
        }
    }
    ASSERT_GE(recorded, 10);
    EXPECT_EQ(replaced, recorded - 1);
    const auto h = store.history("Night Drive");
    ASSERT_EQ(h.size(), 1u);
    EXPECT_EQ(h[0].content_hash, history::content_hash(p));  // the complete file's record
    const auto stored = store.load_export(h[0].export_id);
    EXPECT_NEAR(stored.analysis.format.duration_s, 8.0, 0.1);

    // A real re-export rewrites the file from its first byte: the next iteration, as before.
    fs::copy_file(mp3_without_xing(dir.path(), "v2.mp3", 330, 9.0), p, fs::copy_options::overwrite_existing);
    const auto analysed = analysis::analyze_export(p);
    history::IngestInput in;
    in.hash = analysed.content_hash;
    in.size_bytes = analysed.size_bytes;
    const auto r2 = history::ingest(store, p, analysed.analysis, cfg, in);
    EXPECT_EQ(r2.record.iteration, 2);
    EXPECT_FALSE(r2.record.replaced);
}

TEST(ExportsThatGrow, OnlyTheNewestRecordOfItsSongGrows) {
    // "a" then "b" recorded; the file of "a" then grows: "a" is no longer the song's latest, so
    // the grown file is a new iteration (history is never rewritten behind a later export).
    test::TempDir dir;
    auto store = history::Store::open(dir.path());
    const auto write = [&](const fs::path& p, const std::string& s) {
        std::ofstream(p, std::ios::binary) << s;
        return p;
    };
    const fs::path a = write(dir / "Song v1.wav", "first bytes");
    const auto r1 = store.record_export(a, test::make_analysis(), {});
    const auto grown = store.record_export(write(a, "first bytes and more"), test::make_analysis(), {});
    EXPECT_TRUE(grown.replaced);
    EXPECT_EQ(grown.export_id, r1.export_id);
    store.record_export(write(dir / "Song v2.wav", "second"), test::make_analysis(), {});
    const auto late = store.record_export(write(a, "first bytes and more, later"), test::make_analysis(), {});
    EXPECT_FALSE(late.replaced);
    // A new iteration, numbered by its version (iterations follow version numbers): a second v1,
    // so after the first v1 and before v2.
    EXPECT_EQ(late.iteration, 2);
    EXPECT_NE(late.export_id, r1.export_id);
}

TEST(ExportsThatGrow, FileReplacedOrRewrittenWhileDecodedIsNotHashed) {
    test::TempDir dir;
    const fs::path p = dir / "mix.wav";
    test::write_audio(p, test::pink_noise(-20, 1.0, 48000, 2));
    test::write_audio(dir / "other.wav", test::pink_noise(-20, 1.5, 48000, 2, 7));
    {
        // Unchanged: the hash of the bytes decoded is the file's hash.
        audio::Decoder d(p);
        while (d.read().frames() > 0) {
        }
        EXPECT_EQ(d.content_hash(), history::content_hash(p));
        EXPECT_EQ(d.size_bytes(), static_cast<std::int64_t>(fs::file_size(p)));
    }
    {
        // Renamed over while decoded (the audit's case): refused, not filed under the new bytes.
        audio::Decoder d(p);
        std::error_code ec;
        fs::rename(dir / "other.wav", p, ec);
        if (ec) {
#ifdef _WIN32
            // Without POSIX rename semantics (older Windows, wine) a file open for reading cannot
            // be replaced at all, even shared for delete: the writer is refused, nothing to detect.
            EXPECT_EQ(ec, std::errc::permission_denied) << ec.message();
#else
            FAIL() << ec.message();
#endif
        } else {
            while (d.read().frames() > 0) {
            }
            try {
                (void)d.content_hash();
                ADD_FAILURE() << "no error for a replaced file";
            } catch (const InputError& e) {
                EXPECT_NE(std::string(e.what()).find("changed while it was being analysed (replaced)"), std::string::npos) << e.what();
            }
        }
    }
    {
        // Rewritten in place (same file, new size).
        audio::Decoder d(p);
        std::ofstream(p, std::ios::binary | std::ios::app) << "more bytes";
        try {
            (void)d.content_hash();
            ADD_FAILURE() << "no error for a rewritten file";
        } catch (const InputError& e) {
            EXPECT_NE(std::string(e.what()).find("changed while it was being analysed (rewritten)"), std::string::npos) << e.what();
        }
    }
}
