// Watching: real folders written the ways exports arrive (slowly, in chunks; through a temp
// name and a rename; closed and reopened per chunk), with both backends. A file is reported once,
// complete, never half-written.
#include <gtest/gtest.h>

#include <sndfile.h>

#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <fstream>
#include <thread>

#include "core/error.hpp"
#include "support/process.hpp"
#include "support/signals.hpp"
#include "watch/watcher.hpp"

using namespace mixscout;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

std::vector<char> file_bytes(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::vector<char>(std::istreambuf_iterator<char>(in), {});
}

/// The bytes of a complete WAV of `seconds` of noise, built by libsndfile in a scratch folder.
std::vector<char> wav_bytes(double seconds, int format = 0) {
    test::TempDir scratch;
    const auto p = scratch / (format == (SF_FORMAT_AIFF | SF_FORMAT_PCM_16) ? "x.aiff" : "x.wav");
    test::write_audio(p, test::pink_noise(-20, seconds, 48000, 2), format);
    return file_bytes(p);
}

/// Runs the io_context on the test thread until cond() holds or the deadline passes.
bool run_until(boost::asio::io_context& io, const std::function<bool()>& cond, std::chrono::milliseconds deadline) {
    return test::wait_until([&] {
        io.poll();
        return cond();
    }, deadline, 5ms);
}

struct Harness {
    explicit Harness(std::string backend, double give_up_s = 120.0) {
        options.folders = {dir.path() / "exports"};
        options.backend = std::move(backend);
        options.settle_s = 0.1;
        options.quiet_period_s = 0.3;
        options.poll_interval_s = 0.05;
        options.give_up_s = give_up_s;
        watcher = watch::make_watcher(io, options, [this](const watch::FileState& f) { ready.push_back(f); });
    }
    fs::path folder() const { return options.folders.front(); }
    /// All reported, nothing waiting: no further report can come without a new write.
    bool settled(std::size_t count) const { return ready.size() >= count && watcher->pending() == 0; }

    test::TempDir dir;
    boost::asio::io_context io;
    watch::Options options;
    std::vector<watch::FileState> ready;
    std::unique_ptr<watch::Watcher> watcher;
};

/// Writes `bytes` in `chunks` pieces with a pause between them, keeping the file open (an
/// exporter rendering slower than real time); `reopen` closes and reopens it for each chunk.
void write_slowly(const fs::path& p, const std::vector<char>& bytes, int chunks, std::chrono::milliseconds pause,
                  bool reopen = false) {
    const std::size_t step = bytes.size() / static_cast<std::size_t>(chunks) + 1;
    std::FILE* f = std::fopen(p.string().c_str(), "wb");
    for (std::size_t at = 0; at < bytes.size(); at += step) {
        if (reopen && !f) f = std::fopen(p.string().c_str(), "ab");
        std::fwrite(bytes.data() + at, 1, std::min(step, bytes.size() - at), f);
        std::fflush(f);
        if (reopen) {
            std::fclose(f);
            f = nullptr;
        }
        std::this_thread::sleep_for(pause);  // the writer's pace, part of the scenario
    }
    if (f) std::fclose(f);
}

}  // namespace

TEST(WatchNames, OnlyExportNamesCount) {
    EXPECT_TRUE(watch::is_export_name("/x/My Song.wav"));
    EXPECT_TRUE(watch::is_export_name("/x/Mix 3.AIFF"));
    EXPECT_TRUE(watch::is_export_name("/x/a.flac"));
    EXPECT_FALSE(watch::is_export_name("/x/My Song.wav.asd"));
    EXPECT_FALSE(watch::is_export_name("/x/.My Song.wav"));
    EXPECT_FALSE(watch::is_export_name("/x/~My Song.wav"));
    EXPECT_FALSE(watch::is_export_name("/x/My Song.wav.tmp"));
    EXPECT_FALSE(watch::is_export_name("/x/My Song.tmp.wav"));
    EXPECT_FALSE(watch::is_export_name("/x/My Song.part.wav"));
    EXPECT_FALSE(watch::is_export_name("/x/My Song.als"));
    EXPECT_FALSE(watch::is_export_name("/x/notes.txt"));
}

TEST(WatchHeader, CompleteOnlyWhenTheSizesAddUp) {
    test::TempDir dir;
    for (int format : {0, SF_FORMAT_WAV | SF_FORMAT_FLOAT, SF_FORMAT_AIFF | SF_FORMAT_PCM_16}) {
        const auto bytes = wav_bytes(0.5, format);
        const auto p = dir / "f.bin";
        std::ofstream(p, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        EXPECT_EQ(watch::check_header(p, bytes.size()), watch::HeaderState::complete) << format;
        for (std::size_t cut : {bytes.size() / 2, std::size_t{100}, bytes.size() - 1}) {
            std::ofstream(p, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(cut));
            EXPECT_EQ(watch::check_header(p, cut), watch::HeaderState::incomplete) << format << " cut " << cut;
        }
    }
    // libsndfile mid-write: the header is a placeholder until sf_close.
    const auto p = dir / "open.wav";
    SF_INFO info{};
    info.samplerate = 48000;
    info.channels = 2;
    info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_24;
    SNDFILE* f = sf_open(p.string().c_str(), SFM_WRITE, &info);
    ASSERT_NE(f, nullptr);
    const auto sig = test::sine(440, -6, 1.0);
    sf_writef_float(f, sig.samples.data(), static_cast<sf_count_t>(sig.frames()));
    sf_write_sync(f);
    EXPECT_EQ(watch::check_header(p, fs::file_size(p)), watch::HeaderState::incomplete);
    sf_close(f);
    EXPECT_EQ(watch::check_header(p, fs::file_size(p)), watch::HeaderState::complete);
}

class WatchBackends : public ::testing::TestWithParam<std::string> {};

TEST_P(WatchBackends, SlowlyWrittenFileIsReportedOnceComplete) {
    Harness h(GetParam());
    const auto bytes = wav_bytes(2.0);
    const auto p = h.folder() / "Slow Song.wav";
    std::thread writer(write_slowly, p, bytes, 12, 40ms, false);
    const bool ok = run_until(h.io, [&] { return h.settled(1); }, 10s);
    writer.join();
    ASSERT_TRUE(ok);
    run_until(h.io, [&] { return h.settled(1); }, 1s);
    ASSERT_EQ(h.ready.size(), 1u);
    EXPECT_EQ(h.ready[0].path, p);
    EXPECT_EQ(h.ready[0].size, bytes.size());  // never half-written
}

TEST_P(WatchBackends, ClosedAndReopenedPerChunkIsReportedOnceComplete) {
    Harness h(GetParam());
    const auto bytes = wav_bytes(2.0);
    const auto p = h.folder() / "Chunks.wav";
    // Pauses longer than the inotify settle time: only the header check keeps it waiting.
    std::thread writer(write_slowly, p, bytes, 6, 150ms, true);
    const bool ok = run_until(h.io, [&] { return h.settled(1); }, 10s);
    writer.join();
    ASSERT_TRUE(ok);
    run_until(h.io, [&] { return h.settled(1); }, 1s);
    ASSERT_EQ(h.ready.size(), 1u);
    EXPECT_EQ(h.ready[0].size, bytes.size());
}

TEST_P(WatchBackends, TempThenRenameIsReportedOnceUnderItsFinalName) {
    Harness h(GetParam());
    const auto bytes = wav_bytes(1.0);
    const auto tmp = h.folder() / "Renamed.wav.tmp";
    std::ofstream(tmp, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    fs::rename(tmp, h.folder() / "Renamed.wav");
    std::ofstream(h.folder() / "Renamed.wav.asd") << "Live's analysis file";
    std::ofstream(h.folder() / ".hidden.wav") << "dotfile";
    ASSERT_TRUE(run_until(h.io, [&] { return h.settled(1); }, 10s));
    ASSERT_EQ(h.ready.size(), 1u);
    EXPECT_EQ(h.ready[0].path, h.folder() / "Renamed.wav");
}

TEST_P(WatchBackends, TruncatedFileIsNeverReported) {
    Harness h(GetParam(), /*give_up_s=*/0.4);
    const auto bytes = wav_bytes(1.0);
    const auto p = h.folder() / "Broken.wav";
    std::ofstream(p, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size() / 2));
    // It enters the gate, stays incomplete, and is given up (logged) after give_up_s.
    ASSERT_TRUE(run_until(h.io, [&] { return h.watcher->pending() == 1; }, 5s));
    ASSERT_TRUE(run_until(h.io, [&] { return h.watcher->pending() == 0; }, 5s));
    EXPECT_TRUE(h.ready.empty());
}

// inotify exists on Linux only, ReadDirectoryChangesW on Windows only; polling everywhere.
#ifdef __linux__
INSTANTIATE_TEST_SUITE_P(Backends, WatchBackends, ::testing::Values("inotify", "polling"));
#elif defined(_WIN32)
INSTANTIATE_TEST_SUITE_P(Backends, WatchBackends, ::testing::Values("windows", "polling"));
#else
INSTANTIATE_TEST_SUITE_P(Backends, WatchBackends, ::testing::Values("polling"));
#endif

// The file's mtime as FileState carries it: nanoseconds since 1970, whatever the standard
// library's file clock counts from (libstdc++'s starts in 2174), against the system clock.
TEST(WatchStat, MtimeIsUnixTime) {
    test::TempDir dir;
    const auto p = dir / "x.wav";
    const auto before_s = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    std::ofstream(p) << "x";
    const auto after_s = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    watch::FileState s;
    ASSERT_TRUE(watch::stat_file(p, s));
    // File systems round mtimes (FAT: 2 s); a second either side is plenty and still tells epochs apart.
    EXPECT_GE(s.mtime_ns / 1'000'000'000, before_s - 2);
    EXPECT_LE(s.mtime_ns / 1'000'000'000, after_s + 2);
}

#ifdef __linux__
TEST(WatchInotify, RecursiveSeesNewSubfolders) {
    Harness h("inotify");
    h.watcher.reset();
    h.options.recursive = true;
    h.watcher = watch::make_watcher(h.io, h.options, [&](const watch::FileState& f) { h.ready.push_back(f); });
    fs::create_directories(h.folder() / "Album" / "Song");
    h.io.poll();  // the new folders' events reach the watcher before the file is written
    const auto bytes = wav_bytes(0.5);
    std::ofstream(h.folder() / "Album" / "Song" / "deep.wav", std::ios::binary)
        .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    ASSERT_TRUE(run_until(h.io, [&] { return h.settled(1); }, 10s));
    EXPECT_EQ(h.ready[0].path.filename(), "deep.wav");
}
#endif

TEST(WatchFolders, MissingFoldersAreCreatedAndBadBackendRefused) {
    test::TempDir dir;
    boost::asio::io_context io;
    watch::Options o;
    o.folders = {dir / "a" / "b"};
    auto w = watch::make_watcher(io, o, [](const watch::FileState&) {});
    EXPECT_TRUE(fs::is_directory(dir / "a" / "b"));
    o.backend = "kqueue";
    EXPECT_THROW(watch::make_watcher(io, o, [](const watch::FileState&) {}), InputError);
}

// Issue 20 item 3: a watched folder deleted, or moved away and recreated, is watched again, and
// the watcher says which folders it watches (the heartbeat reads it). Real folders, real files.
TEST_P(WatchBackends, DeletedFolderIsWatchedAgainWhenRecreated) {
    Harness h(GetParam());
    h.watcher.reset();
    h.options.missing_recheck_s = 0.05;
    h.watcher = watch::make_watcher(h.io, h.options, [&](const watch::FileState& f) { h.ready.push_back(f); });
    ASSERT_EQ(h.watcher->watched_count(), 1u);
    fs::remove_all(h.folder());
    ASSERT_TRUE(run_until(h.io, [&] { return h.watcher->watched_count() == 0; }, 5s)) << "deletion not noticed";
    EXPECT_FALSE(h.watcher->folder_status().front().watched);
    fs::create_directories(h.folder());
    ASSERT_TRUE(run_until(h.io, [&] { return h.watcher->watched_count() == 1; }, 5s)) << "recreated folder not watched";
    const auto bytes = wav_bytes(0.5);
    const auto p = h.folder() / "After.wav";
    std::ofstream(p, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    ASSERT_TRUE(run_until(h.io, [&] { return h.settled(1); }, 10s)) << "export in the recreated folder not reported";
    EXPECT_EQ(h.ready[0].path, p);
    EXPECT_EQ(h.ready[0].size, bytes.size());
}

TEST_P(WatchBackends, MovedAwayFolderIsWatchedAgainWhenRecreated) {
    Harness h(GetParam());
    h.watcher.reset();
    h.options.missing_recheck_s = 0.05;
    h.watcher = watch::make_watcher(h.io, h.options, [&](const watch::FileState& f) { h.ready.push_back(f); });
    fs::rename(h.folder(), h.dir.path() / "exports.old");
    ASSERT_TRUE(run_until(h.io, [&] { return h.watcher->watched_count() == 0; }, 5s)) << "move not noticed";
    // A file written into the moved folder is no export of the watched path any more.
    const auto bytes = wav_bytes(0.5);
    std::ofstream(h.dir.path() / "exports.old" / "Moved.wav", std::ios::binary)
        .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    fs::create_directories(h.folder());
    // Written before the watcher saw the folder back: found when it is watched again.
    const auto p = h.folder() / "New.wav";
    std::ofstream(p, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    ASSERT_TRUE(run_until(h.io, [&] { return h.watcher->watched_count() == 1 && h.settled(1); }, 10s));
    ASSERT_EQ(h.ready.size(), 1u);
    EXPECT_EQ(h.ready[0].path, p);
}

// Issue 20 item 4: an MP3 has no length in its header; a writer closing it after every chunk
// makes it look finished after each one. It is reported once, complete.
TEST_P(WatchBackends, UnsizedFileWrittenInClosedChunksIsReportedOnce) {
    Harness h(GetParam());
    h.watcher.reset();
    h.options.unsized_quiet_s = 0.6;
    h.watcher = watch::make_watcher(h.io, h.options, [&](const watch::FileState& f) { h.ready.push_back(f); });
    test::TempDir scratch;
    test::write_audio(scratch / "x.mp3", test::pink_noise(-20, 2.0, 44100, 2), SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III);
    const auto bytes = file_bytes(scratch / "x.mp3");
    ASSERT_EQ(watch::check_header(scratch / "x.mp3", bytes.size()), watch::HeaderState::unsized);
    const auto p = h.folder() / "Chunked.mp3";
    // 12 chunks, closed after each, 150 ms apart: longer than the settle and poll times, shorter
    // than unsized_quiet_s.
    std::thread writer(write_slowly, p, bytes, 12, 150ms, true);
    const bool ok = run_until(h.io, [&] { return h.settled(1); }, 15s);
    writer.join();
    ASSERT_TRUE(ok);
    run_until(h.io, [&] { return h.settled(2); }, 1s);  // a second report would show up here
    ASSERT_EQ(h.ready.size(), 1u);
    EXPECT_EQ(h.ready[0].size, bytes.size());
}

#ifdef __linux__
// Issue 20 item 7: a recursive watch does not follow links to folders: neither a loop (a link to
// the watched folder itself) nor a way out of it (a link to another tree) is walked.
TEST(WatchInotify, RecursiveWatchDoesNotFollowFolderLinks) {
    test::TempDir dir;
    const fs::path root = dir / "exports";
    const fs::path outside = dir / "elsewhere";
    fs::create_directories(root / "Album");
    fs::create_directories(outside / "deep");
    fs::create_directory_symlink(root, root / "Album" / "loop");
    fs::create_directory_symlink(outside, root / "out");
    const auto bytes = wav_bytes(0.5);
    boost::asio::io_context io;
    watch::Options o;
    o.folders = {root};
    o.recursive = true;
    o.backend = "inotify";
    o.settle_s = 0.05;
    std::vector<watch::FileState> ready;
    auto w = watch::make_watcher(io, o, [&](const watch::FileState& f) { ready.push_back(f); });
    std::ofstream(outside / "deep" / "Outside.wav", std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    std::ofstream(root / "Album" / "Inside.wav", std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    ASSERT_TRUE(run_until(io, [&] { return !ready.empty() && w->pending() == 0; }, 10s));
    run_until(io, [&] { return ready.size() > 1; }, 500ms);  // anything from the link would show up now
    ASSERT_EQ(ready.size(), 1u);
    EXPECT_EQ(ready[0].path, root / "Album" / "Inside.wav");
    // list_exports (the start-up scan) does not go through the links either.
    EXPECT_EQ(watch::list_exports(o), std::vector<fs::path>{root / "Album" / "Inside.wav"});
}
#endif

// Issue 20 item 7: the start-up scan is bounded: a huge tree is cut at max_entries (listing)
// and max_folders (watches), with a warning, instead of keeping the daemon busy for minutes.
TEST(WatchFolders, ListingAndRecursiveWatchesAreBounded) {
    test::TempDir dir;
    watch::Options o;
    o.folders = {dir / "exports"};
    o.recursive = true;
    for (int k = 0; k < 12; ++k) {
        fs::create_directories(o.folders[0] / ("sub" + std::to_string(k)));
        std::ofstream(o.folders[0] / ("sub" + std::to_string(k)) / "x.wav") << "x";
    }
    EXPECT_EQ(watch::list_exports(o).size(), 12u);
    o.max_entries = 10;  // 12 folders + 12 files: the listing stops after 10 entries
    EXPECT_LT(watch::list_exports(o).size(), 12u);
#ifdef __linux__
    o.backend = "inotify";
    o.max_folders = 4;  // the watched folder and three subfolders
    o.settle_s = 0.05;
    boost::asio::io_context io;
    std::vector<watch::FileState> ready;
    auto w = watch::make_watcher(io, o, [&](const watch::FileState& f) { ready.push_back(f); });
    // A new export in every subfolder: only the three watched ones report theirs.
    const auto bytes = wav_bytes(0.2);
    for (int k = 0; k < 12; ++k)
        std::ofstream(o.folders[0] / ("sub" + std::to_string(k)) / "new.wav", std::ios::binary)
            .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    ASSERT_TRUE(run_until(io, [&] { return ready.size() >= 3 && w->pending() == 0; }, 10s));
    run_until(io, [&] { return ready.size() > 3; }, 500ms);  // a fourth would show up now
    EXPECT_EQ(ready.size(), 3u);
    EXPECT_EQ(w->watched_count(), 1u);
#endif
}
