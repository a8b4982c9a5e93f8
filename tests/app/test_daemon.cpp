// The daemon as a real child process (MIXSCOUT_BIN) on temp folders, with liblo's oscdump as the
// independent receiver and oscsend as the independent sender. Every wait is on an event with a
// deadline; "exactly once" is checked once the daemon reports itself idle with nothing being
// written or queued (no further analysis can then come without a new file).
#include <gtest/gtest.h>

#include <signal.h>
#ifdef __linux__
#include <sched.h>
#include <sys/mount.h>
#endif
#include <sndfile.h>
#include <sqlite3.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>
#include <random>
#include <regex>
#include <set>
#include <stdexcept>
#include <thread>
#include <utility>

#include "analysis/analyzer.hpp"
#include "app/daemon_pipeline.hpp"
#include "config/config.hpp"
#include "app/report_writer.hpp"
#include <nlohmann/json.hpp>

#include "support/process.hpp"
#include "support/signals.hpp"
#include "stems/stem_signals.hpp"

using namespace mixscout;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

constexpr auto kDeadline = 30s;

struct Fixture {
    test::TempDir dir;
    fs::path exports = dir / "exports";
    fs::path data = dir / "data";
    fs::path config = dir / "mixscout.yaml";
    fs::path config_home = dir / "config-home";  // XDG_CONFIG_HOME: the daemon's osc-token lives here
    test::OscDump dump;
    test::UdpClient device;  // a proven device's socket, once prove() said hello with the token

    Fixture() { fs::create_directories(exports); }

    void write_config(const std::string& yaml) {
        // Write-then-rename, as editors do: the daemon never reads half a file.
        const auto tmp = dir / "config.tmp";
        std::ofstream(tmp) << yaml;
        fs::rename(tmp, config);
    }
    /// heartbeat_s 0.2 keeps the idle checks quick.
    static std::string base_config(const std::string& extra = "") {
        return "osc:\n  heartbeat_s: 0.2\n" + extra;
    }
    std::unique_ptr<test::DaemonProcess> start(std::vector<std::string> extra = {"--watch"}, bool watch_exports = true) {
        if (!fs::exists(config)) write_config(base_config());
        std::vector<std::string> args{"--config", config.string(), "--data-dir", data.string(), "--listen", "0",
                                      "--send", "127.0.0.1:" + std::to_string(dump.port())};
        if (watch_exports && !extra.empty() && extra.back() == "--watch") {
            extra.back() = "--watch";
            extra.push_back(exports.string());
        }
        args.insert(args.end(), extra.begin(), extra.end());
        auto d = std::make_unique<test::DaemonProcess>(args, env());
        if (!d->started()) throw std::runtime_error("the daemon did not start: " + d->process().err());
        return d;
    }
    // XDG_CONFIG_HOME is Linux's; MIXSCOUT_CONFIG_DIR names the same folder on every OS.
    std::vector<std::string> env() const {
        return {"XDG_CONFIG_HOME=" + config_home.string(), "MIXSCOUT_CONFIG_DIR=" + (config_home / "mixscout").string()};
    }
    /// SIGTERM. Windows has no signals between processes: `mixscout stop` (OSC /mixscout/shutdown
    /// after a hello with the token), the same orderly stop.
    void stop(test::DaemonProcess& d) const {
#ifdef _WIN32
        const auto r = test::run_mixscout({"stop", "--port", std::to_string(d.port())}, env());
        EXPECT_EQ(r.code, 0) << r.out << r.err;
#else
        d.process().signal(SIGTERM);
#endif
    }
    std::string token() const { return test::read_osc_token(config_home); }
    /// Hello with the token from `device` (replies to its own socket, unread: the dump, a fixed
    /// destination, sees everything); later requests from `device` are handled in order after it
    /// (one socket, one receiving thread).
    void prove(int daemon_port) { device.send(daemon_port, "/mixscout/hello", "is", {std::to_string(device.port()), token()}); }
    void request(int daemon_port, const std::string& address, const std::string& arg) {
        device.send(daemon_port, address, "s", {arg});
    }
    /// An idle heartbeat saying `n` analysed with nothing queued or being written.
    bool wait_idle(test::OscDump& on, std::size_t n) {
        const std::string needle = "; " + std::to_string(n) + " analysed";
        return on.wait_for([&](const std::vector<test::DumpedMessage>& ms) {
            for (const auto& m : ms)
                if (m.address == "/mixscout/status" && m.args[0] == "idle" && m.args[1].ends_with(needle)) return true;
            return false;
        }, kDeadline);
    }
    bool wait_idle(std::size_t n) { return wait_idle(dump, n); }
    std::multiset<std::string> exported(const test::OscDump& on) const {
        std::multiset<std::string> out;
        for (const auto& m : on.with_address("/mixscout/export")) out.insert(fs::path(m.args[0]).filename().string());
        return out;
    }
    std::multiset<std::string> exported() const { return exported(dump); }
};

test::Signal short_mix(double seconds = 1.0, std::uint32_t seed = 3) { return test::pink_noise(-20, seconds, 48000, 2, seed); }

std::vector<char> wav_bytes(const test::Signal& s) {
    test::TempDir scratch;
    test::write_audio(scratch / "x.wav", s);
    std::ifstream in(scratch / "x.wav", std::ios::binary);
    return std::vector<char>(std::istreambuf_iterator<char>(in), {});
}

/// Live-style export: written elsewhere, then moved in.
void drop(const fs::path& p, const test::Signal& s) {
    const auto tmp = p.parent_path() / ("." + p.filename().string() + ".tmp");
    test::write_audio(tmp, s);
    fs::rename(tmp, p);
}

using test::liblo_packet;

}  // namespace

TEST(Daemon, SlowChunksAndTempRenameAreEachAnalysedOnce) {
    Fixture f;
    auto d = f.start();
    const auto bytes = wav_bytes(short_mix(2.0));
    std::thread writer([&] {  // an export rendered slower than real time, file open throughout
        std::ofstream out(f.exports / "Slow Song.wav", std::ios::binary);
        const std::size_t step = bytes.size() / 12 + 1;
        for (std::size_t at = 0; at < bytes.size(); at += step) {
            out.write(bytes.data() + at, static_cast<std::streamsize>(std::min(step, bytes.size() - at)));
            out.flush();
            std::this_thread::sleep_for(50ms);  // the writer's pace, part of the scenario
        }
    });
    const auto tmp = f.exports / "Renamed Song.wav.tmp";
    test::write_audio(tmp, short_mix(1.0, 9));
    fs::rename(tmp, f.exports / "Renamed Song.wav");
    writer.join();
    ASSERT_TRUE(f.wait_idle(2)) << d->process().err();
    EXPECT_EQ(f.exported(), (std::multiset<std::string>{"Renamed Song.wav", "Slow Song.wav"}));
    // The fixes follow each export, ending with fixes_end.
    EXPECT_EQ(f.dump.with_address("/mixscout/fixes_end").size(), 2u);
    for (const auto& v : f.dump.with_address("/mixscout/verdict")) EXPECT_EQ(v.args[0], "first");
    // ... and each gets its HTML report in <data dir>/reports/, announced by /mixscout/report.
    const auto reports = f.dump.with_address("/mixscout/report");
    ASSERT_EQ(reports.size(), 2u);
    for (const auto& r : reports) {
        const fs::path path = r.args[0];
        EXPECT_EQ(path.parent_path(), f.data / "reports");
        EXPECT_EQ(path.extension(), ".html");
        std::ifstream in(path, std::ios::binary);
        const std::string html((std::istreambuf_iterator<char>(in)), {});
        EXPECT_NE(html.find("id=\"mixscout-data\""), std::string::npos) << path;
    }
    EXPECT_TRUE(d->process().running());
}

TEST(Daemon, NoteFromOscsendLandsInTheDatabase) {
    MIXSCOUT_NEEDS_PROGRAM("sqlite3");  // reads the database independently
    Fixture f;
    auto d = f.start();
    drop(f.exports / "Note Song.wav", short_mix());
    ASSERT_TRUE(f.dump.wait_for("/mixscout/export", 1, kDeadline)) << d->process().err();
    const std::string note = "kick louder, bass -2 dB";
    f.prove(d->port());
    f.request(d->port(), "/mixscout/note", note);
    ASSERT_TRUE(f.dump.wait_for("/mixscout/note_logged", 1, kDeadline)) << d->process().err();
    const std::string id = f.dump.with_address("/mixscout/note_logged")[0].args[0];
    std::string rows;
    ASSERT_EQ(test::run_command(test::find_program("sqlite3"), {(f.data / "history.sqlite").string(), "SELECT export_id || '|' || text FROM notes;"}, &rows), 0);
    EXPECT_EQ(rows, id + "|" + note + "\n");
}

TEST(Daemon, BadPacketsAreDroppedAndItStillAnswersHello) {
    Fixture f;
    auto d = f.start();
    std::mt19937 rng(11);
    std::vector<char> noise(257);
    for (auto& c : noise) c = static_cast<char>(rng());
    const auto hello = liblo_packet("/mixscout/hello", "i", {"9"});
    test::send_udp(d->port(), noise);                                                   // random bytes
    test::send_udp(d->port(), std::vector<char>(hello.begin(), hello.end() - 4));      // truncated
    ASSERT_TRUE(test::oscsend(d->port(), "/mixscout/hello", "s", {"not a port"}));     // wrong type
    ASSERT_TRUE(test::oscsend(d->port(), "/mixscout/unknown", "i", {"1"}));            // unknown address
    test::send_udp(d->port(), std::vector<char>(4000, '\0'));                           // oversized
    ASSERT_TRUE(d->process().wait_for_err([](const std::string& t) {
        std::size_t n = 0;
        for (auto at = t.find("dropped"); at != std::string::npos; at = t.find("dropped", at + 1)) ++n;
        return n >= 5;
    }, kDeadline)) << d->process().err();
    // A device that was never configured says hello and gets the state on its own port.
    test::OscDump device;
    ASSERT_TRUE(test::oscsend(d->port(), "/mixscout/hello", "is", {std::to_string(device.port()), f.token()}));
    ASSERT_TRUE(device.wait_for("/mixscout/status", 1, kDeadline)) << d->process().err();
    EXPECT_TRUE(d->process().running());
}

TEST(Daemon, BurstOfTwentyGivesTwentyAnalyses) {
    Fixture f;
    f.write_config(Fixture::base_config("watch:\n  queue_capacity: 4\n"));  // most of the burst waits in the backlog
    auto d = f.start();
    std::multiset<std::string> expected;
    for (int i = 1; i <= 20; ++i) {
        char name[32];
        std::snprintf(name, sizeof name, "burst_%02d.wav", i);
        test::write_audio(f.exports / name, short_mix(0.5, static_cast<std::uint32_t>(i)));
        expected.insert(name);
    }
    ASSERT_TRUE(f.wait_idle(20)) << d->process().err();
    EXPECT_EQ(f.exported(), expected);  // none lost, none doubled
}

TEST(Daemon, StemsExportedTogetherAreOneStemsRun) {
    Fixture f;
    auto d = f.start();
    test::write_audio(f.exports / "Tune 1-Kick.wav", test::sine(60, -12, 1.5));
    test::write_audio(f.exports / "Tune 2-Bass.wav", test::sine(70, -12, 1.5));
    test::write_audio(f.exports / "Tune Master.wav", short_mix(1.5));
    ASSERT_TRUE(f.wait_idle(1)) << d->process().err();
    EXPECT_EQ(f.exported(), (std::multiset<std::string>{"Tune Master.wav"}));
    EXPECT_NE(d->process().err().find("stems run: 2 stems"), std::string::npos) << d->process().err();
}

// A hot reload re-judges the stored stems run of the latest export: with the priority swapped
// the other stem yields, and the re-sent fixes say so (the stems are not decoded again: they
// could be deleted by now). A clashes session keeps the fixes to the clash.
TEST(Daemon, AStemsConfigReloadReJudgesTheStoredClash) {
    Fixture f;
    const std::string roles = "focus: clashes\nstems:\n  roles: {\"thing\": kick}\n";
    f.write_config(Fixture::base_config(roles));
    auto d = f.start();
    // Written elsewhere and moved in together: they complete within group_window_s (0.3 s) of
    // each other however slowly a loaded machine writes them (the windows backend reports each
    // file quiet_period_s after its last write, so files written one after the other complete
    // that far apart).
    const auto staging = f.dir / "staging";
    fs::create_directories(staging);
    test::write_audio(staging / "Tune 1-Thing.wav", test::stems::kick(6.0));
    test::write_audio(staging / "Tune 2-Wobble.wav", test::stems::bass(6.0));
    test::write_audio(staging / "Tune Master.wav", short_mix(6.0));
    for (const auto* name : {"Tune 1-Thing.wav", "Tune 2-Wobble.wav", "Tune Master.wav"}) fs::rename(staging / name, f.exports / name);
    ASSERT_TRUE(f.dump.wait_for("/mixscout/fixes_end", 1, kDeadline)) << d->process().err();
    auto fixes_after = [&f](std::size_t nth_end) {
        std::vector<std::string> texts;
        std::size_t ends = 0;
        for (const auto& m : f.dump.messages()) {
            if (m.address == "/mixscout/fixes_end" && ++ends == nth_end) break;
            if (m.address == "/mixscout/fix" && ends + 1 == nth_end) texts.push_back(m.args[3]);
        }
        return texts;
    };
    const auto before = fixes_after(1);
    ASSERT_FALSE(before.empty()) << d->process().err();
    EXPECT_NE(before[0].find("side-chain from Thing"), std::string::npos) << before[0];  // the bass ducks under the kick
    for (const auto& stem : {"Tune 1-Thing.wav", "Tune 2-Wobble.wav"}) fs::remove(f.exports / stem);
    f.write_config(Fixture::base_config(roles + "  priority: [bass, kick]\n"));
    ASSERT_TRUE(f.dump.wait_for("/mixscout/fixes_end", 2, kDeadline)) << d->process().err();
    const auto after = fixes_after(2);
    ASSERT_FALSE(after.empty()) << d->process().err();
    EXPECT_NE(after[0].find("EQ Eight on Thing"), std::string::npos) << after[0];  // now the kick yields
}

TEST(Daemon, ConfigEditAppliesLive) {
    Fixture f;
    const auto a = f.dir / "A", b = f.dir / "B";
    f.write_config(Fixture::base_config("watch:\n  folders: ['" + a.string() + "']\n"));
    auto d = f.start({});
    f.write_config(Fixture::base_config("watch:\n  folders: ['" + b.string() + "']\n"));
    ASSERT_TRUE(d->process().wait_for_err_line("now watching " + b.string(), kDeadline)) << d->process().err();
    drop(b / "In B.wav", short_mix());
    ASSERT_TRUE(f.wait_idle(1)) << d->process().err();
    EXPECT_EQ(f.exported(), (std::multiset<std::string>{"In B.wav"}));
}

TEST(Daemon, BrokenConfigEditIsRejectedAndTheOldConfigStays) {
    Fixture f;
    const auto a = f.dir / "A";
    f.write_config(Fixture::base_config("watch:\n  folders: ['" + a.string() + "']\n"));
    auto d = f.start({});
    f.write_config("watch:\n  folders: [oops\n  settle_s: fast\n");
    ASSERT_TRUE(f.dump.wait_for("/mixscout/error", 1, kDeadline)) << d->process().err();
    const auto err = f.dump.with_address("/mixscout/error")[0].args[0];
    EXPECT_NE(err.find("config rejected"), std::string::npos) << err;
    EXPECT_NE(err.find("mixscout.yaml:"), std::string::npos) << err;  // file:line:col
    drop(a / "Still A.wav", short_mix());
    ASSERT_TRUE(f.wait_idle(1)) << d->process().err();
    EXPECT_EQ(f.exported(), (std::multiset<std::string>{"Still A.wav"}));
    EXPECT_TRUE(d->process().running());
}

TEST(Daemon, RestartPicksUpExportsThatArrivedWhileDown) {
    Fixture f;
    {
        auto d = f.start();
        drop(f.exports / "Before.wav", short_mix(1.0, 1));
        ASSERT_TRUE(f.wait_idle(1)) << d->process().err();
        f.stop(*d);
        ASSERT_EQ(d->process().wait_exit(kDeadline), std::optional<int>(0));
    }
    drop(f.exports / "While Down.wav", short_mix(1.0, 2));
    test::OscDump second;
    std::vector<std::string> args{"--config", f.config.string(), "--data-dir", f.data.string(), "--listen", "0",
                                  "--send", "127.0.0.1:" + std::to_string(second.port()), "--watch", f.exports.string()};
    test::DaemonProcess d(args, f.env());
    ASSERT_TRUE(d.started()) << d.process().err();
    ASSERT_TRUE(f.wait_idle(second, 1)) << d.process().err();
    EXPECT_EQ(f.exported(second), (std::multiset<std::string>{"While Down.wav"}));
}

// The history's created_at (Unix seconds) against the file's mtime: with the file clock's own
// epoch (libstdc++ counts from 2174) every export looked older than its analysis, so one that
// changed while the daemon was down was never picked up.
TEST(Daemon, RestartPicksUpAnExportChangedWhileDown) {
    Fixture f;
    {
        auto d = f.start();
        drop(f.exports / "Changed.wav", short_mix(1.0, 1));
        drop(f.exports / "Unchanged.wav", short_mix(1.0, 2));
        ASSERT_TRUE(f.wait_idle(2)) << d->process().err();
        f.stop(*d);
        ASSERT_EQ(d->process().wait_exit(kDeadline), std::optional<int>(0));
    }
    drop(f.exports / "Changed.wav", short_mix(1.0, 3));
    // Re-rendered after the analysis was stored (created_at has whole seconds: a clear margin).
    fs::last_write_time(f.exports / "Changed.wav", fs::file_time_type::clock::now() + 5s);
    test::OscDump second;
    std::vector<std::string> args{"--config", f.config.string(), "--data-dir", f.data.string(), "--listen", "0",
                                  "--send", "127.0.0.1:" + std::to_string(second.port()), "--watch", f.exports.string()};
    test::DaemonProcess d(args);
    ASSERT_TRUE(d.started()) << d.process().err();
    ASSERT_TRUE(f.wait_idle(second, 1)) << d.process().err();
    EXPECT_EQ(f.exported(second), (std::multiset<std::string>{"Changed.wav"}));
}

// Windows cannot send SIGTERM to another process: /mixscout/shutdown (liblo's oscsend, the
// independent encoder) and `mixscout stop` stop the daemon the same orderly way.
TEST(Daemon, ShutdownMessageStopsItLikeSigterm) {
    Fixture f;
    auto d = f.start();
    drop(f.exports / "Before Stop.wav", short_mix(1.0, 4));
    ASSERT_TRUE(f.wait_idle(1)) << d->process().err();
    // Not from a proven device: dropped (anyone on the machine could otherwise stop it).
    ASSERT_TRUE(test::oscsend(d->port(), "/mixscout/shutdown", "", {}));
    ASSERT_TRUE(d->process().wait_for_err([](const std::string& e) { return e.find("/mixscout/shutdown from") != std::string::npos; }, kDeadline));
    EXPECT_TRUE(d->process().running());
    f.prove(d->port());
    f.device.send(d->port(), "/mixscout/shutdown", "", {});
    ASSERT_EQ(d->process().wait_exit(kDeadline), std::optional<int>(0)) << d->process().err();
    EXPECT_NE(d->process().err().find("osc: /mixscout/shutdown from 127.0.0.1"), std::string::npos) << d->process().err();
    EXPECT_TRUE(f.dump.wait_for([](const std::vector<test::DumpedMessage>& ms) {
        for (const auto& m : ms)
            if (m.address == "/mixscout/status" && m.args[1] == "daemon stopped") return true;
        return false;
    }, kDeadline));
}

TEST(Daemon, StopCommandStopsIt) {
    Fixture f;
    auto d = f.start();
    test::Process stop(MIXSCOUT_BIN, {"stop", "--config", f.config.string(), "--port", std::to_string(d->port())}, f.env());
    ASSERT_EQ(stop.wait_exit(kDeadline), std::optional<int>(0)) << stop.err();
    const std::string out = stop.out();
    EXPECT_NE(out.find("sent /mixscout/shutdown to 127.0.0.1:" + std::to_string(d->port())), std::string::npos) << out;
    ASSERT_EQ(d->process().wait_exit(kDeadline), std::optional<int>(0)) << d->process().err();
}

// A peer hanging up is an error to handle, never the end of the daemon: libjack writes to a dead
// JACK server's socket with write(), which raises SIGPIPE (its default action ends the process
// without a word). The kernel's own signal, sent directly, stands in for that write.
TEST(Daemon, SigpipeDoesNotEndIt) {
#ifdef _WIN32
    GTEST_SKIP() << "Windows has no SIGPIPE";
#else
    Fixture f;
    auto d = f.start();
    drop(f.exports / "Before Pipe.wav", short_mix(1.0, 5));
    ASSERT_TRUE(f.wait_idle(1)) << d->process().err();
    d->process().signal(SIGPIPE);
    drop(f.exports / "After Pipe.wav", short_mix(1.0, 6));
    ASSERT_TRUE(f.wait_idle(2)) << d->process().err();
    EXPECT_EQ(f.exported(), (std::multiset<std::string>{"Before Pipe.wav", "After Pipe.wav"}));
    f.stop(*d);
    EXPECT_EQ(d->process().wait_exit(kDeadline), std::optional<int>(0)) << d->process().err();
#endif
}

TEST(Daemon, SigtermFinishesQueuedWork) {
    Fixture f;
    f.write_config(Fixture::base_config("watch:\n  workers: 1\n"));
    auto d = f.start();
    // Rendered elsewhere, then moved in together: all complete at once, one worker, a queue.
    const auto staging = f.dir / "staging";
    fs::create_directories(staging);
    for (int i = 1; i <= 8; ++i)
        test::write_audio(staging / ("Queued " + std::to_string(i) + ".wav"), short_mix(20.0, static_cast<std::uint32_t>(i)));
    for (int i = 1; i <= 8; ++i) {
        const std::string name = "Queued " + std::to_string(i) + ".wav";
        fs::rename(staging / name, f.exports / name);
    }
    // Wait until work is queued behind the one worker, then stop.
    ASSERT_TRUE(f.dump.wait_for([](const std::vector<test::DumpedMessage>& ms) {
        for (const auto& m : ms)
            if (m.address == "/mixscout/status" && m.args[1].find(" waiting") != std::string::npos) return true;
        return false;
    }, kDeadline)) << d->process().err();
    f.stop(*d);
    ASSERT_EQ(d->process().wait_exit(kDeadline), std::optional<int>(0)) << d->process().err();
    const std::string log = d->process().err();
    std::smatch m;
    ASSERT_TRUE(std::regex_search(log, m, std::regex(R"(stopping: finishing (\d+) queued job)"))) << log;
    const std::size_t queued = std::stoul(m[1].str());
    EXPECT_GE(queued, 1u);
    // Every job queued (or running) at SIGTERM was analysed and sent before the daemon said it stopped.
    ASSERT_TRUE(f.dump.wait_for([](const std::vector<test::DumpedMessage>& ms) {
        for (const auto& x : ms)
            if (x.address == "/mixscout/status" && x.args[1] == "daemon stopped") return true;
        return false;
    }, kDeadline));
    const auto after = log.substr(static_cast<std::size_t>(m.position(0)));
    std::size_t analysed_after = 0;
    for (auto at = after.find("info: analysed "); at != std::string::npos; at = after.find("info: analysed ", at + 1)) ++analysed_after;
    EXPECT_EQ(analysed_after, queued);
    std::size_t analysed_total = d->process().count_in_err("info: analysed ");
    EXPECT_EQ(f.exported().size(), analysed_total);
}

TEST(Daemon, DeviceRequestsAnalyzeHistoryReference) {
    Fixture f;
    auto d = f.start();
    drop(f.exports / "Request Song.wav", short_mix(1.0, 21));
    ASSERT_TRUE(f.wait_idle(1)) << d->process().err();
    // Analyse now (empty path: the newest export). Same content: the history says so, same iteration.
    f.prove(d->port());
    f.request(d->port(), "/mixscout/analyze", "");
    ASSERT_TRUE(f.dump.wait_for("/mixscout/export", 2, kDeadline)) << d->process().err();
    const auto exports = f.dump.with_address("/mixscout/export");
    EXPECT_EQ(exports[1].args[0], exports[0].args[0]);
    EXPECT_EQ(exports[1].args[2], "1");
    // The song's iterations.
    f.request(d->port(), "/mixscout/history", "");
    ASSERT_TRUE(f.dump.wait_for("/mixscout/history_end", 1, kDeadline)) << d->process().err();
    const auto end = f.dump.with_address("/mixscout/history_end")[0];
    EXPECT_EQ(end.args[0], exports[0].args[1]);  // the current song
    EXPECT_EQ(end.args[1], "1");
    ASSERT_EQ(f.dump.with_address("/mixscout/history_item").size(), 1u);
    // A reference track for the song.
    const auto ref = f.dir / "Reference.wav";
    test::write_audio(ref, short_mix(1.0, 22));
    f.request(d->port(), "/mixscout/reference", ref.string());
    ASSERT_TRUE(f.dump.wait_for("/mixscout/reference_added", 1, kDeadline)) << d->process().err();
    EXPECT_EQ(f.dump.with_address("/mixscout/reference_added")[0].args[0], ref.string());
    // A file that does not exist is an error message, not a crash.
    f.request(d->port(), "/mixscout/analyze", (f.dir / "nope.wav").string());
    ASSERT_TRUE(f.dump.wait_for("/mixscout/error", 1, kDeadline)) << d->process().err();
    EXPECT_TRUE(d->process().running());
}

// Locate and ears, end to end: a clipped export's fixes each come with their times (the clipping
// fix with the moment it clips), a clean re-export is "better" by the numbers, the listener
// votes "worse" (oscsend), the vote lands in the database and the verdict turns into the advice.
TEST(Daemon, FixTimesAndEarsVote) {
    MIXSCOUT_NEEDS_PROGRAM("sqlite3");  // reads the database independently
    Fixture f;
    auto d = f.start();
    auto clipped = short_mix(2.0, 31);
    for (int ch = 0; ch < 2; ++ch) test::insert_clip(clipped, 1.25, 40, ch);
    drop(f.exports / "Ears Song.wav", clipped);
    ASSERT_TRUE(f.dump.wait_for("/mixscout/fixes_end", 1, kDeadline)) << d->process().err();
    const auto fixes = f.dump.with_address("/mixscout/fix");
    const auto times = f.dump.with_address("/mixscout/fix_times");
    ASSERT_FALSE(fixes.empty());
    ASSERT_EQ(times.size(), fixes.size());
    bool clip_located = false;
    for (std::size_t i = 0; i < fixes.size(); ++i) {
        EXPECT_EQ(times[i].args[0], fixes[i].args[0]) << "fix_times follows its fix";
        if (fixes[i].args[2].starts_with("Clipping")) {
            ASSERT_FALSE(times[i].args[1].empty()) << fixes[i].line;
            EXPECT_NEAR(std::stod(times[i].args[1]), 1.25, 0.06) << times[i].line;
            clip_located = true;
        }
    }
    EXPECT_TRUE(clip_located) << "no clipping fix among the top three";

    drop(f.exports / "Ears Song v2.wav", short_mix(2.0, 31));
    ASSERT_TRUE(f.dump.wait_for("/mixscout/verdict", 2, kDeadline)) << d->process().err();
    const auto numbers = f.dump.with_address("/mixscout/verdict")[1].args[0];
    ASSERT_TRUE(numbers == "significant_improvement" || numbers == "slight_improvement") << numbers;
    f.prove(d->port());
    f.request(d->port(), "/mixscout/ears", "worse");
    ASSERT_TRUE(f.dump.wait_for("/mixscout/ears_logged", 1, kDeadline)) << d->process().err();
    const auto logged = f.dump.with_address("/mixscout/ears_logged")[0];
    EXPECT_EQ(logged.args[1], "worse");
    ASSERT_TRUE(f.dump.wait_for("/mixscout/verdict", 3, kDeadline)) << d->process().err();
    const auto advice = f.dump.with_address("/mixscout/verdict")[2];
    EXPECT_EQ(advice.args[0], numbers);
    EXPECT_EQ(advice.args[1], "Ears said #2 was worse, numbers better: undo or halve that change");
    std::string rows;
    ASSERT_EQ(test::run_command(test::find_program("sqlite3"), {(f.data / "history.sqlite").string(), "SELECT export_id || '|' || vote FROM ears;"}, &rows), 0);
    EXPECT_EQ(rows, logged.args[0] + "|worse\n");
    // A vote outside the enum is dropped by the receiver; the daemon keeps answering.
    f.request(d->port(), "/mixscout/ears", "loud");
    f.request(d->port(), "/mixscout/history", "");
    ASSERT_TRUE(f.dump.wait_for("/mixscout/history_end", 1, kDeadline)) << d->process().err();
    const auto items = f.dump.with_address("/mixscout/history_item");
    ASSERT_EQ(items.size(), 2u);
    EXPECT_EQ(items[1].types, "iissss" "s");
    EXPECT_EQ(items[0].args[6], "");
    EXPECT_EQ(items[1].args[6], "worse");
    EXPECT_EQ(f.dump.with_address("/mixscout/ears_logged").size(), 1u);
}

// The audit's case 1: any local process could make the daemon read and record any file, learn
// from the replies whether a path exists, write masters, and push the real device off the list
// with hellos from other ports. Now only a sender that proved the token is heard.
TEST(Daemon, UnprovenSendersCannotDriveItNorPushTheDeviceOff) {
    MIXSCOUT_NEEDS_PROGRAM("sqlite3");  // reads the database independently
    Fixture f;
    f.write_config(Fixture::base_config("  max_devices: 2\nwatch:\n  workers: 1\n"));
    auto d = f.start();
    test::OscDump device_dump;
    test::UdpClient device;
    device.send(d->port(), "/mixscout/hello", "is", {std::to_string(device_dump.port()), f.token()});
    ASSERT_TRUE(device_dump.wait_for("/mixscout/status", 1, kDeadline)) << d->process().err();

    const auto secret = f.dir / "secret.wav";  // outside the watched folder
    test::write_audio(secret, short_mix(1.0, 31));
    test::OscDump intruder_dump;
    std::vector<std::unique_ptr<test::UdpClient>> intruders;
    for (int i = 0; i < 8; ++i) {
        auto c = std::make_unique<test::UdpClient>();
        const std::string token = i == 0 ? std::string(32, '0') : i == 1 ? f.token().substr(0, 31) + "x" : "";
        if (i < 2)
            c->send(d->port(), "/mixscout/hello", "is", {std::to_string(intruder_dump.port()), token});
        else
            c->send(d->port(), "/mixscout/hello", "i", {std::to_string(intruder_dump.port())});  // the old hello
        for (const auto& path : {secret.string(), (f.dir / "no such.wav").string(), std::string("/etc/shadow")}) {
            c->send(d->port(), "/mixscout/analyze", "s", {path});
            c->send(d->port(), "/mixscout/reference", "s", {path});
            c->send(d->port(), "/mixscout/master", "s", {path});
        }
        c->send(d->port(), "/mixscout/note", "s", {"intruder"});
        c->send(d->port(), "/mixscout/history", "s", {""});
        intruders.push_back(std::move(c));
    }
    // The device's own request, after all of that (one worker: its analysis comes after any
    // the intruders might have queued).
    const auto mine = f.dir / "mine.wav";
    test::write_audio(mine, short_mix(1.0, 32));
    device.send(d->port(), "/mixscout/analyze", "s", {mine.string()});
    ASSERT_TRUE(device_dump.wait_for("/mixscout/export", 1, kDeadline)) << d->process().err();
    ASSERT_TRUE(f.wait_idle(1)) << d->process().err();

    // The device is still registered and got the result; nothing else was analysed, stored or written.
    EXPECT_EQ(f.exported(device_dump), (std::multiset<std::string>{"mine.wav"}));
    EXPECT_EQ(f.exported(), (std::multiset<std::string>{"mine.wav"}));
    EXPECT_TRUE(f.dump.with_address("/mixscout/error").empty());
    EXPECT_TRUE(device_dump.with_address("/mixscout/error").empty());
    EXPECT_TRUE(f.dump.with_address("/mixscout/reference_added").empty());
    EXPECT_TRUE(f.dump.with_address("/mixscout/history_end").empty());
    EXPECT_FALSE(fs::exists(f.data / "masters"));
    std::string rows;
    ASSERT_EQ(test::run_command(test::find_program("sqlite3"), {(f.data / "history.sqlite").string(),
                                                     "SELECT count(*) FROM notes; SELECT count(*) FROM reference_tracks;"}, &rows), 0);
    // Intruders heard at most a status (the two with a wrong token: "not authorised").
    for (const auto& m : intruder_dump.messages()) EXPECT_EQ(m.address, "/mixscout/status") << m.line;
    for (const auto& m : intruder_dump.messages()) EXPECT_EQ(m.args[0], "error") << m.line;
    EXPECT_TRUE(d->process().running());
    EXPECT_EQ(rows, "0\n0\n");
}

TEST(DaemonMaster, AnEarlierMasterIsNeverOverwritten) {
    test::TempDir dir;
    const auto folder = dir / "masters" / "Song";
    fs::create_directories(folder);
    std::ofstream(folder / "Mix (master).wav") << "earlier master";
    const auto second = app::reserve_master_file(folder, "Mix");
    EXPECT_EQ(second.filename(), "Mix (master 2).wav");
    const auto third = app::reserve_master_file(folder, "Mix");
    EXPECT_EQ(third.filename(), "Mix (master 3).wav");
    std::ifstream in(folder / "Mix (master).wav");
    EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), "earlier master");
    EXPECT_EQ(app::reserve_master_file(dir / "new" / "Song", "Mix").filename(), "Mix (master).wav");
}

// The audit's case 2: a half-written FLAC that never completes was re-decoded every 0.5 s
// forever (the retry count never advanced) and the device was never told.
TEST(Daemon, TruncatedExportIsRetriedABoundedNumberOfTimesThenReported) {
    Fixture f;
    f.write_config(Fixture::base_config("watch:\n  retries: 2\n  give_up_s: 1\n"));
    auto d = f.start();
    const auto staging = f.dir / "Half.flac";
    test::write_audio(staging, short_mix(4.0, 41), SF_FORMAT_FLAC | SF_FORMAT_PCM_16);
    // Cut after the encoder finished the header (the audit's case): STREAMINFO promises the whole
    // length, the frames stop halfway; only the decoder can tell.
    fs::resize_file(staging, fs::file_size(staging) / 2);
    fs::rename(staging, f.exports / "Half.flac");
    ASSERT_TRUE(f.dump.wait_for("/mixscout/error", 1, kDeadline)) << d->process().err();
    const auto error = f.dump.with_address("/mixscout/error")[0].args[0];
    EXPECT_NE(error.find("Half.flac"), std::string::npos) << error;
    EXPECT_NE(error.find("truncated"), std::string::npos) << error;
    EXPECT_NE(error.find("tried 3 times"), std::string::npos) << error;
    const std::size_t tries = d->process().count_in_err("not complete yet");
    EXPECT_EQ(tries, 2u) << d->process().err();
    // Then nothing more: ten more heartbeats (2 s at 0.2 s), no further decode of the file.
    const std::size_t beats = f.dump.with_address("/mixscout/status").size();
    ASSERT_TRUE(f.dump.wait_for("/mixscout/status", beats + 10, kDeadline));
    EXPECT_EQ(d->process().count_in_err("not complete yet"), tries) << d->process().err();
    EXPECT_EQ(f.dump.with_address("/mixscout/error").size(), 1u);
    EXPECT_TRUE(f.exported().empty());
    // Finished later (the same name written again, complete): analysed as usual.
    drop(f.exports / "Half.flac", short_mix(1.0, 42));
    ASSERT_TRUE(f.dump.wait_for("/mixscout/export", 1, kDeadline)) << d->process().err();
}

// A file whose header still promises more than it holds, unchanged past give_up_s: the device
// hears it was skipped (it used to be only a log line).
TEST(Daemon, ExportThatNeverCompletesIsReportedToTheDevice) {
    Fixture f;
    f.write_config(Fixture::base_config("watch:\n  give_up_s: 1\n"));
    auto d = f.start();
    const auto staging = f.dir / "Stuck.wav";
    test::write_audio(staging, short_mix(2.0, 43));
    fs::resize_file(staging, fs::file_size(staging) / 2);
    fs::rename(staging, f.exports / "Stuck.wav");
    ASSERT_TRUE(f.dump.wait_for("/mixscout/error", 1, kDeadline)) << d->process().err();
    const auto error = f.dump.with_address("/mixscout/error")[0].args[0];
    EXPECT_NE(error.find("Stuck.wav: truncated: header promises more data"), std::string::npos) << error;
}

// The audit's case 9: the hot reload (and `config check`) accepted what start-up refuses, so the
// daemon ran on a config it would not start with again. Now one schema decides for all three.
TEST(Daemon, HotReloadRefusesWhatStartUpRefuses) {
    for (const std::string bad : {"watch:\n  profile: nosuch\n", "songs:\n  rename:\n    \"(a|\": \"X\"\n"}) {
        Fixture f;
        auto d = f.start();
        f.write_config(Fixture::base_config(bad));
        ASSERT_TRUE(f.dump.wait_for("/mixscout/error", 1, kDeadline)) << d->process().err();
        const auto err = f.dump.with_address("/mixscout/error")[0].args[0];
        EXPECT_NE(err.find("config rejected"), std::string::npos) << err;
        // `config check` and a fresh start say no to the same file.
        std::string out;
        EXPECT_EQ(test::run_command(MIXSCOUT_BIN, {"config", "check", f.config.string()}, &out), 2) << bad;
        test::Process second(MIXSCOUT_BIN, {"daemon", "--config", f.config.string(), "--listen", "0", "--data-dir",
                                            (f.dir / "data2").string(), "--watch", f.exports.string()}, f.env());
        EXPECT_EQ(second.wait_exit(kDeadline), std::optional<int>(2)) << second.err();
        // The running daemon keeps the last good config and keeps working.
        drop(f.exports / "After.wav", short_mix());
        ASSERT_TRUE(f.wait_idle(1)) << d->process().err();
    }
}

// The audit's case 7 (queue): 400 analyse requests delayed a real export by 38 s, and SIGTERM
// with 250 queued took 45 s. Requests now wait at most 8 deep (queued or being analysed); the
// rest are refused at once. How many of a flood get in depends on how fast the worker empties
// the queue meanwhile; what does not: every refusal happens at the bound, and a stop, however
// deep the flood, finishes at most the 8 waiting.
TEST(Daemon, AFloodOfRequestsIsBoundedAndAStopStaysQuick) {
    constexpr std::size_t kBound = 8, kFlood = 200;
    Fixture f;
    f.write_config(Fixture::base_config("watch:\n  workers: 1\n"));
    auto d = f.start();
    const auto file = f.dir / "Request.wav";
    test::write_audio(file, short_mix(5.0, 51));
    f.prove(d->port());
    const auto request = liblo_packet("/mixscout/analyze", "s", {file.string()});  // encoded once: a flood
    for (std::size_t i = 0; i < kFlood; ++i) f.device.send(d->port(), request);
    ASSERT_TRUE(f.dump.wait_for("/mixscout/error", 100, kDeadline)) << d->process().err();  // (UDP may drop a few)
    // A real export still gets through.
    drop(f.exports / "Real.wav", short_mix(1.0, 52));
    const auto real_exported = [](const std::vector<test::DumpedMessage>& ms) {
        for (const auto& m : ms)
            if (m.address == "/mixscout/export" && m.args[0].ends_with("Real.wav")) return true;
        return false;
    };
    ASSERT_TRUE(f.dump.wait_for(real_exported, kDeadline)) << d->process().err();
    // A second flood, and a stop as soon as it is being refused: the queue is full then.
    const std::size_t refused_before = f.dump.with_address("/mixscout/error").size();
    for (std::size_t i = 0; i < kFlood; ++i) f.device.send(d->port(), request);
    ASSERT_TRUE(f.dump.wait_for("/mixscout/error", refused_before + 1, kDeadline)) << d->process().err();
    f.stop(*d);
    ASSERT_EQ(d->process().wait_exit(kDeadline), std::optional<int>(0)) << d->process().err();
    const auto refusals = f.dump.with_address("/mixscout/error");
    for (const auto& e : refusals) EXPECT_EQ(e.args[0], "Request.wav: not queued, 8 requests are waiting already") << e.line;
    const std::string log = d->process().err();
    std::smatch m;
    ASSERT_TRUE(std::regex_search(log, m, std::regex(R"(stopping: finishing (\d+) queued job)"))) << log;
    const std::size_t at_stop = std::stoul(m[1].str());
    EXPECT_LE(at_stop, kBound) << log;  // the stop found at most the bound waiting
    // Only what was waiting at the stop was analysed after it: at most the bound. (Compared with
    // the bound, not at_stop: the stop line counts queued and running jobs, and a job between
    // the two, popped but not begun, or logged but not ended, can fall on either side of it.)
    const auto after = log.substr(static_cast<std::size_t>(m.position(0)));
    std::size_t analysed_after = 0;
    for (auto at = after.find("info: analysed "); at != std::string::npos; at = after.find("info: analysed ", at + 1)) ++analysed_after;
    EXPECT_LE(analysed_after, kBound) << log;
    // Everything analysed was sent.
    const auto exported = f.exported();
    EXPECT_EQ(exported.size(), d->process().count_in_err("info: analysed ")) << log;
    EXPECT_EQ(exported.count("Real.wav"), 1u);
    EXPECT_LE(exported.count("Request.wav") + refusals.size(), 2 * kFlood);
}

// The device's focus and a config edit both re-judge the latest export and send its fixes again.
TEST(Daemon, FocusAndConfigReloadReSendTheFixes) {
    Fixture f;
    auto d = f.start();
    f.prove(d->port());  // only a proven device may set the focus
    auto s = short_mix(2.0);
    test::insert_clip(s, 0.5, 20, 0);  // a known full-scale run: iteration 1's fix is the clipping
    test::insert_clip(s, 0.5, 20, 1);
    drop(f.exports / "Focus Song v1.wav", s);
    ASSERT_TRUE(f.dump.wait_for("/mixscout/fixes_end", 1, kDeadline)) << d->process().err();
    auto fixes_after = [&f](std::size_t nth_end) {
        // The /mixscout/fix messages between the (nth_end-1)th and nth_end-th fixes_end.
        std::vector<std::string> titles;
        std::size_t ends = 0;
        for (const auto& m : f.dump.messages()) {
            if (m.address == "/mixscout/fixes_end" && ++ends == nth_end) break;
            if (m.address == "/mixscout/fix" && ends + 1 == nth_end) titles.push_back(m.args[2]);
        }
        return titles;
    };
    const auto first = fixes_after(1);
    ASSERT_FALSE(first.empty());
    EXPECT_EQ(first[0].rfind("Clipping", 0), 0u) << first[0];
    // A clashes session on an export without stems: nothing to fix in that area.
    f.request(d->port(), "/mixscout/focus", "clashes");
    ASSERT_TRUE(f.dump.wait_for("/mixscout/fixes_end", 2, kDeadline)) << d->process().err();
    EXPECT_TRUE(fixes_after(2).empty());
    // 'all' clears it: the clipping is back.
    f.request(d->port(), "/mixscout/focus", "all");
    ASSERT_TRUE(f.dump.wait_for("/mixscout/fixes_end", 3, kDeadline)) << d->process().err();
    EXPECT_EQ(fixes_after(3), first);
    // A config edit switching the clipping and true-peak rules off re-ranks the stored export.
    f.write_config(Fixture::base_config("rules:\n  clipping: {enabled: false}\n  true_peak: {enabled: false}\n"));
    ASSERT_TRUE(f.dump.wait_for("/mixscout/fixes_end", 4, kDeadline)) << d->process().err();
    for (const auto& t : fixes_after(4)) EXPECT_EQ(t.rfind("Clipping", 0), std::string::npos) << t;
    // An area outside protocol/osc.json's enum is a bad packet: logged and dropped.
    f.request(d->port(), "/mixscout/focus", "vocals");
    ASSERT_TRUE(d->process().wait_for_err_line("'vocals' is not allowed", kDeadline)) << d->process().err();
    EXPECT_TRUE(d->process().running());
}

// Iteration 5 is the polish tier, and a critical issue that remains is still listed first (it is
// damage: never hidden); important issues wait. The CLI's `next` (summary and JSON) and the
// fixes the daemon sends the device are the same list, from the same rule (review::next_fixes).
// Five exports of one song; the fifth still clips (full-scale runs on both channels: critical)
// and ends in 2 s of digital silence (silence at the tail: polish).
TEST(Daemon, IterationFiveListsARemainingCriticalFirstThenPolishLikeTheCli) {
    Fixture f;
    auto d = f.start();
    test::TempDir cli_dir;
    std::vector<fs::path> files;
    for (int v = 1; v <= 5; ++v) {
        auto s = short_mix(3.0, static_cast<std::uint32_t>(40 + v));
        if (v == 5) {
            test::insert_clip(s, 0.5, 20, 0);
            test::insert_clip(s, 0.5, 20, 1);
            s = test::concat(s, test::silence(2.0));
        }
        const auto name = "Five v" + std::to_string(v) + ".wav";
        test::write_audio(cli_dir / name, s);
        files.push_back(cli_dir / name);
        drop(f.exports / name, s);
        ASSERT_TRUE(f.dump.wait_for("/mixscout/fixes_end", static_cast<std::size_t>(v), kDeadline)) << d->process().err();
    }
    // The daemon's fixes for the fifth export: those between the 4th and 5th fixes_end.
    std::vector<std::pair<std::string, std::string>> sent;
    std::size_t ends = 0;
    for (const auto& m : f.dump.messages()) {
        if (m.address == "/mixscout/fixes_end" && ++ends == 5) break;
        if (m.address == "/mixscout/fix" && ends == 4) sent.emplace_back(m.args[1], m.args[2]);
    }
    // The CLI on the same five files, in its own history.
    nlohmann::json last;
    for (const auto& file : files) {
        const auto r = test::run_mixscout({"analyze", file.string(), "--data-dir", (cli_dir / "data").string(), "--json"});
        ASSERT_EQ(r.code, 0) << r.err;
        last = test::stdout_json(r);
    }
    ASSERT_EQ(last["history"]["iteration"], 5);
    bool has_important = false, has_polish = false;
    for (const auto& i : last["issues"]) {
        has_important |= i["severity"] == "important";
        has_polish |= i["severity"] == "polish";
    }
    ASSERT_TRUE(has_important && has_polish) << last["issues"].dump();  // else the tier has nothing to choose
    const auto& next = last["next"];
    ASSERT_GE(next.size(), 2u) << next.dump();
    EXPECT_EQ(next[0]["severity"], "critical") << next.dump();
    EXPECT_EQ(next[0]["rule"], "clipping");
    for (std::size_t k = 1; k < next.size(); ++k) EXPECT_EQ(next[k]["severity"], "polish") << next.dump();
    std::vector<std::pair<std::string, std::string>> cli;
    for (const auto& i : next) cli.emplace_back(i["severity"].get<std::string>(), i["title"].get<std::string>());
    EXPECT_EQ(sent, cli);
    // The stop signal does not fire over the critical.
    EXPECT_FALSE(last["comparison"]["stop"]["fired"].get<bool>()) << last["comparison"]["stop"].dump();
}

// A stems run without a mix gets its fixes by the same tier rule as every export
// (review::next_fixes): the tier of the song's current iteration. Kick (60 Hz) and Bass (70 Hz)
// sines at -12 dBFS fight all the time and carry the mix's energy (a clash, capped at
// important); Pad, a 1 kHz sine at -50 dBFS, puts the median of "the others" ~17 LU below Kick
// and Bass (each a loud stem: polish, stems.loud_stem.loud_lu 12).
TEST(DaemonStemsOnly, FixesFollowTheTierOfTheSongsIteration) {
    test::TempDir dir;
    const auto cfg = config::Config::defaults();
    app::StoreAccess access;
    access.store.emplace(history::Store::open(dir / "data"));
    app::Job job;
    job.kind = app::Job::Kind::stems_only;
    for (const auto& [name, hz, dbfs] : {std::tuple{"Tune 1-Kick.wav", 60.0, -12.0}, std::tuple{"Tune 2-Bass.wav", 70.0, -12.0},
                                         std::tuple{"Tune 3-Pad.wav", 1000.0, -50.0}}) {
        test::write_audio(dir / name, test::sine(hz, dbfs, 4.0));
        job.stems.push_back(dir / name);
    }
    auto severities = [](const app::Outcome& o) {
        std::vector<std::string> out;
        for (const auto& fx : o.fixes) out.push_back(fx.severity);
        return out;
    };
    // No mix of "Tune" stored: iteration 1, critical first, widened to important: the clash only.
    const auto first = app::process_export(job, cfg, access);
    EXPECT_EQ(first.song, "Tune");
    ASSERT_FALSE(first.fixes.empty()) << first.summary;
    EXPECT_EQ(severities(first), std::vector<std::string>(first.fixes.size(), "important")) << first.summary;
    EXPECT_NE(first.summary.find("iteration 1"), std::string::npos) << first.summary;
    EXPECT_NE(first.fixes[0].title.find("clash"), std::string::npos) << first.fixes[0].title;
    // Five mixes of Tune stored: iteration 5 is polish: the loud stems, not the clash.
    for (int v = 1; v <= 5; ++v) {
        const auto mix = dir / ("Tune_v" + std::to_string(v) + ".wav");
        test::write_audio(mix, short_mix(0.5, static_cast<std::uint32_t>(v)));
        access.store->record_export(mix, analysis::analyze_file(mix), {});
    }
    const auto fifth = app::process_export(job, cfg, access);
    ASSERT_EQ(severities(fifth), (std::vector<std::string>{"polish", "polish"})) << fifth.summary;
    for (const auto& fx : fifth.fixes) EXPECT_NE(fx.title.find("louder than the others"), std::string::npos) << fx.title;
    EXPECT_NE(fifth.summary.find("iteration 5"), std::string::npos) << fifth.summary;
}

// The report's path goes to the device over OSC, whose strings are ASCII and short: the song's
// name is made ASCII and file-system safe, and cut at 48 bytes.
TEST(DaemonReportPath, AsciiSafeAndShort) {
    const fs::path data = "/data";
    EXPECT_EQ(app::daemon_report_path(data, "Caf\xc3\xa9 / Mix: v2", 3), fs::path("/data/reports/Caf__ _ Mix_ v2 3.html"));
    EXPECT_EQ(app::daemon_report_path(data, "", 1), fs::path("/data/reports/export 1.html"));
    EXPECT_EQ(app::daemon_report_path(data, "trailing. ", 2), fs::path("/data/reports/trailing 2.html"));
    EXPECT_EQ(app::daemon_report_path(data, std::string(100, 'a'), 7).filename().string(), std::string(48, 'a') + " 7.html");
}

// ---- the database under trouble (issue 20, case 8), the heartbeat, a stop during the scan ------

namespace {

/// Another program's write lock on the history: a second, real SQLite connection inside
/// BEGIN EXCLUSIVE until release().
class DbLock {
public:
    explicit DbLock(const fs::path& file) {
        if (sqlite3_open_v2(file.string().c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK)
            throw std::runtime_error("cannot open " + file.string());
        sqlite3_busy_timeout(db_, 10000);
        if (sqlite3_exec(db_, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr) != SQLITE_OK)
            throw std::runtime_error(std::string("cannot lock: ") + sqlite3_errmsg(db_));
    }
    ~DbLock() { release(); }
    DbLock(const DbLock&) = delete;
    DbLock& operator=(const DbLock&) = delete;
    void release() {
        if (!db_) return;
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        sqlite3_close(db_);
        db_ = nullptr;
    }

private:
    sqlite3* db_ = nullptr;
};

std::size_t index_of(const std::vector<test::DumpedMessage>& ms, const std::string& address, std::size_t nth = 0) {
    for (std::size_t i = 0; i < ms.size(); ++i)
        if (ms[i].address == address && nth-- == 0) return i;
    return ms.size();
}

bool status_with(const std::vector<test::DumpedMessage>& ms, const std::string& needle) {
    for (const auto& m : ms)
        if (m.address == "/mixscout/status" && m.args[1].find(needle) != std::string::npos) return true;
    return false;
}

}  // namespace

// A database locked by another program: the device's requests wait for it on the store thread,
// in their order, while the OSC thread keeps answering (it used to block 3 s per request).
TEST(DaemonStore, ALockedDatabaseDelaysRepliesInOrderButNeverTheOscThread) {
    MIXSCOUT_NEEDS_PROGRAM("sqlite3");
    Fixture f;
    f.write_config(Fixture::base_config("history:\n  busy_timeout_ms: 60000\n"));
    auto d = f.start();
    drop(f.exports / "Lock Song.wav", short_mix(1.0, 61));
    ASSERT_TRUE(f.wait_idle(1)) << d->process().err();
    f.prove(d->port());
    DbLock lock(f.data / "history.sqlite");
    f.request(d->port(), "/mixscout/note", "first");
    f.request(d->port(), "/mixscout/note", "second");
    f.request(d->port(), "/mixscout/history", "");
    // While both notes wait for the lock, another device's hello is answered.
    test::OscDump other;
    test::UdpClient other_socket;
    other_socket.send(d->port(), "/mixscout/hello", "is", {std::to_string(other.port()), f.token()});
    ASSERT_TRUE(other.wait_for("/mixscout/status", 1, kDeadline)) << d->process().err();
    EXPECT_TRUE(f.dump.with_address("/mixscout/note_logged").empty());
    EXPECT_TRUE(f.dump.with_address("/mixscout/error").empty());
    lock.release();
    ASSERT_TRUE(f.dump.wait_for("/mixscout/history_end", 1, kDeadline)) << d->process().err();
    const auto ms = f.dump.messages();
    const std::size_t first = index_of(ms, "/mixscout/note_logged"), second = index_of(ms, "/mixscout/note_logged", 1),
                      end = index_of(ms, "/mixscout/history_end");
    EXPECT_LT(first, second);
    EXPECT_LT(second, end);
    const auto items = f.dump.with_address("/mixscout/history_item");
    ASSERT_EQ(items.size(), 1u);
    EXPECT_EQ(items[0].args[5], "second");  // the newest note, stored before the history was read
    EXPECT_TRUE(f.dump.with_address("/mixscout/error").empty());
    std::string rows;
    ASSERT_EQ(test::run_command(test::find_program("sqlite3"), {(f.data / "history.sqlite").string(), "SELECT text FROM notes ORDER BY id;"}, &rows), 0);
    EXPECT_EQ(rows, "first\nsecond\n");
}

// An export that arrives while the database refuses writes: the device gets its fixes and a
// clear /mixscout/error; the export is kept and recorded once the lock is gone, before the
// next export, so the iterations stay in order and nothing is lost.
TEST(DaemonStore, AnExportTheDatabaseRefusesIsReportedKeptAndRecordedInOrder) {
    MIXSCOUT_NEEDS_PROGRAM("sqlite3");
    Fixture f;
    f.write_config(Fixture::base_config("history:\n  busy_timeout_ms: 100\n"));
    auto d = f.start();
    drop(f.exports / "Kept Song v1.wav", short_mix(1.0, 71));
    ASSERT_TRUE(f.wait_idle(1)) << d->process().err();
    {
        DbLock lock(f.data / "history.sqlite");
        drop(f.exports / "Kept Song v2.wav", short_mix(1.0, 72));
        ASSERT_TRUE(f.dump.wait_for("/mixscout/error", 1, kDeadline)) << d->process().err();
        EXPECT_EQ(f.dump.with_address("/mixscout/error")[0].args[0],
                  "Kept Song v2.wav: analysed, not recorded in the history: the database is locked by another program; "
                  "kept until the history can be written");
        ASSERT_TRUE(f.dump.wait_for("/mixscout/export", 2, kDeadline)) << d->process().err();  // its fixes
        ASSERT_TRUE(f.dump.wait_for([](const auto& ms) { return status_with(ms, "; 1 not recorded yet"); }, kDeadline));
    }
    ASSERT_TRUE(f.dump.wait_for([](const auto& ms) { return status_with(ms, "recorded 1 export(s) kept while the history was unavailable"); },
                                kDeadline)) << d->process().err();
    drop(f.exports / "Kept Song v3.wav", short_mix(1.0, 73));
    ASSERT_TRUE(f.wait_idle(3)) << d->process().err();
    EXPECT_EQ(f.dump.with_address("/mixscout/error").size(), 1u);
    std::string rows;
    ASSERT_EQ(test::run_command(test::find_program("sqlite3"), {(f.data / "history.sqlite").string(),
                                                               "SELECT iteration || '|' || path FROM exports ORDER BY id;"}, &rows), 0);
    EXPECT_EQ(rows, "1|" + (f.exports / "Kept Song v1.wav").string() + "\n2|" + (f.exports / "Kept Song v2.wav").string() + "\n3|" +
                        (f.exports / "Kept Song v3.wav").string() + "\n");
}

// The audit's case 3: the heartbeat said "watching 1 folder(s)" after the folder was deleted.
TEST(Daemon, HeartbeatSaysWhenTheWatchedFolderIsGone) {
    Fixture f;
    auto d = f.start();
    ASSERT_TRUE(f.dump.wait_for([](const auto& ms) { return status_with(ms, "watching 1 folder(s)"); }, kDeadline));
    // Windows refuses to delete a folder while a program lists it (the daemon's start-up scan may
    // still be at it): deleted as a user would, again until it is gone.
    ASSERT_TRUE(test::wait_until([&] {
        std::error_code ec;
        fs::remove_all(f.exports, ec);
        return !ec;
    }, kDeadline, 50ms)) << d->process().err();
    ASSERT_TRUE(f.dump.wait_for([](const auto& ms) { return status_with(ms, "watching 0 of 1 folder(s)"); }, kDeadline))
        << d->process().err();
}

// The audit's case 7 (stop): SIGTERM while the start-up scan's exports are queued finishes the
// one being analysed and leaves the rest, which the next start picks up: nothing is lost.
TEST(Daemon, SigtermDuringTheStartUpScanStopsAfterTheCurrentFile) {
    Fixture f;
    f.write_config(Fixture::base_config("watch:\n  workers: 1\n"));
    constexpr int kFiles = 12;
    for (int i = 1; i <= kFiles; ++i)
        test::write_audio(f.exports / ("Scanned " + std::to_string(i) + ".wav"), short_mix(10.0, static_cast<std::uint32_t>(80 + i)));
    std::size_t analysed = 0;
    {
        auto d = f.start();
        ASSERT_TRUE(d->process().wait_for_err_line("picking up " + std::to_string(kFiles) + " export(s)", kDeadline)) << d->process().err();
        ASSERT_TRUE(f.dump.wait_for([](const auto& ms) {
            for (const auto& m : ms)
                if (m.address == "/mixscout/status" && m.args[0] == "analysing") return true;
            return false;
        }, kDeadline)) << d->process().err();
        f.stop(*d);
        ASSERT_EQ(d->process().wait_exit(kDeadline), std::optional<int>(0)) << d->process().err();
        const std::string log = d->process().err();
        const auto stop_at = log.find("stopping: ");
        ASSERT_NE(stop_at, std::string::npos) << log;
        std::size_t after = 0;
        for (auto at = log.find("info: analysed ", stop_at); at != std::string::npos; at = log.find("info: analysed ", at + 1)) ++after;
        EXPECT_LE(after, 1u) << log;  // at most the one file the worker had begun
        analysed = d->process().count_in_err("info: analysed ");
        ASSERT_LT(analysed, static_cast<std::size_t>(kFiles)) << log;
        EXPECT_NE(log.find("left for the next start"), std::string::npos) << log;
    }
    test::OscDump second;
    test::DaemonProcess d(std::vector<std::string>{"--config", f.config.string(), "--data-dir", f.data.string(), "--listen", "0", "--send",
                                                   "127.0.0.1:" + std::to_string(second.port()), "--watch", f.exports.string()},
                          f.env());
    ASSERT_TRUE(d.started()) << d.process().err();
    EXPECT_TRUE(d.process().wait_for_err_line("picking up " + std::to_string(kFiles - static_cast<int>(analysed)) + " export(s)", kDeadline))
        << d.process().err();
}

#ifdef __linux__
/// A 16 MB tmpfs on `at` (created) in a mount namespace of this test process alone (the daemon,
/// its child, shares it; the mount goes with them), unmounted when this goes. Nothing (errno
/// set) without CAP_SYS_ADMIN. Declare it before the daemon: the daemon goes first.
struct PrivateTmpfs {
    fs::path at;
    static std::optional<PrivateTmpfs> mount_on(const fs::path& at) {
        if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return std::nullopt;
        fs::create_directories(at);
        if (::mount("tmpfs", at.c_str(), "tmpfs", 0, "size=16m") != 0) return std::nullopt;
        return PrivateTmpfs{at};
    }
    PrivateTmpfs(const PrivateTmpfs&) = delete;
    PrivateTmpfs(PrivateTmpfs&& o) noexcept : at(std::exchange(o.at, {})) {}
    ~PrivateTmpfs() {
        if (!at.empty()) ::umount2(at.c_str(), MNT_DETACH);
    }

private:
    explicit PrivateTmpfs(fs::path p) : at(std::move(p)) {}
};
#endif

// A full disk, really: the data folder on a 16 MB tmpfs mounted in a mount namespace of this
// test process alone (the daemon, its child, shares it; the mount goes with them). Needs
// CAP_SYS_ADMIN (root in CI's container); skipped, saying so, without it.
TEST(DaemonStore, AFullDiskIsReportedAndTheExportRecordedWhenThereIsRoomAgain) {
#ifndef __linux__
    GTEST_SKIP() << "a tmpfs in a private mount namespace (unshare, mount) is Linux's";
#else
    MIXSCOUT_NEEDS_PROGRAM("sqlite3");
    Fixture f;
    const std::optional<PrivateTmpfs> data = PrivateTmpfs::mount_on(f.data);  // unmounted after the daemon below
    if (!data) GTEST_SKIP() << "no private mount namespace here (" << std::strerror(errno) << "): this test needs CAP_SYS_ADMIN";
    auto d = f.start();
    drop(f.exports / "Full Song v1.wav", short_mix(1.0, 91));
    ASSERT_TRUE(f.wait_idle(1)) << d->process().err();
    // Fill what is left, to the last byte.
    const auto filler = f.data / "filler";
    {
        std::FILE* out = std::fopen(filler.c_str(), "wb");
        ASSERT_NE(out, nullptr);
        std::setvbuf(out, nullptr, _IONBF, 0);
        std::vector<char> chunk(64 * 1024, 'x');
        for (std::size_t size = chunk.size(); size > 0; size /= 2)
            while (std::fwrite(chunk.data(), 1, size, out) == size) {
            }
        std::fclose(out);
    }
    drop(f.exports / "Full Song v2.wav", short_mix(1.0, 92));
    ASSERT_TRUE(f.dump.wait_for("/mixscout/error", 1, kDeadline)) << d->process().err();
    EXPECT_EQ(f.dump.with_address("/mixscout/error")[0].args[0],
              "Full Song v2.wav: analysed, not recorded in the history: the disk is full; kept until the history can be written")
        << d->process().err();
    fs::remove(filler);
    ASSERT_TRUE(f.dump.wait_for([](const auto& ms) { return status_with(ms, "recorded 1 export(s) kept while the history was unavailable"); },
                                kDeadline)) << d->process().err();
    std::string rows;
    ASSERT_EQ(test::run_command(test::find_program("sqlite3"), {(f.data / "history.sqlite").string(),
                                                               "SELECT iteration || '|' || path FROM exports ORDER BY id;"}, &rows), 0);
    EXPECT_EQ(rows, "1|" + (f.exports / "Full Song v1.wav").string() + "\n2|" + (f.exports / "Full Song v2.wav").string() + "\n");
    d->process().signal(SIGTERM);
    EXPECT_EQ(d->process().wait_exit(kDeadline), std::optional<int>(0));
#endif
}


// Issue 20 (the audit's faults): a history database that cannot be written. Permissions do not
// stop root (CI's tests run as root), so the data folder is a tmpfs remounted read-only in a
// private mount namespace: the kernel refuses every write with EROFS, to root too. The daemon
// starts on it, analyses, tells the device in one clear line, keeps running, and records what
// it kept once the folder is writable again. Needs CAP_SYS_ADMIN; skipped, saying so, without it.
TEST(DaemonStore, AReadOnlyDatabaseIsReportedAndTheDaemonKeepsRunning) {
#ifndef __linux__
    GTEST_SKIP() << "a read-only tmpfs in a private mount namespace (unshare, mount) is Linux's";
#else
    MIXSCOUT_NEEDS_PROGRAM("sqlite3");
    Fixture f;
    const std::optional<PrivateTmpfs> data = PrivateTmpfs::mount_on(f.data);  // unmounted after the daemon below
    if (!data) GTEST_SKIP() << "no private mount namespace here (" << std::strerror(errno) << "): this test needs CAP_SYS_ADMIN";
    {
        auto d = f.start();
        drop(f.exports / "Read Song v1.wav", short_mix(1.0, 101));
        ASSERT_TRUE(f.wait_idle(1)) << d->process().err();
        f.stop(*d);
        ASSERT_EQ(d->process().wait_exit(kDeadline), std::optional<int>(0)) << d->process().err();
    }
    ASSERT_EQ(::mount(nullptr, f.data.c_str(), nullptr, MS_REMOUNT | MS_RDONLY, nullptr), 0) << std::strerror(errno);
    {
        std::FILE* probe = std::fopen((f.data / "probe").c_str(), "wb");
        const int why = errno;
        if (probe) std::fclose(probe);
        ASSERT_EQ(probe, nullptr) << "the read-only mount let root write";
        ASSERT_EQ(why, EROFS) << std::strerror(why);
    }

    test::OscDump dump;  // the second daemon's messages only
    test::DaemonProcess d(std::vector<std::string>{"--config", f.config.string(), "--data-dir", f.data.string(), "--listen", "0", "--send",
                                                   "127.0.0.1:" + std::to_string(dump.port()), "--watch", f.exports.string()},
                          f.env());
    ASSERT_TRUE(d.started()) << d.process().err();
    // Without its history the start-up scan cannot know v1 was recorded: analysed and kept again
    // (recorded once, by its content hash, when the history is back).
    ASSERT_TRUE(dump.wait_for([](const auto& ms) { return status_with(ms, "1 analysed; 1 not recorded yet"); }, kDeadline))
        << d.process().err();
    drop(f.exports / "Read Song v2.wav", short_mix(1.0, 102));
    ASSERT_TRUE(dump.wait_for("/mixscout/error", 2, kDeadline)) << d.process().err();
    EXPECT_EQ(dump.with_address("/mixscout/error")[1].args[0],
              "Read Song v2.wav: analysed, not recorded in the history: the database cannot be written (read-only); "
              "kept until the history can be written")
        << d.process().err();
    ASSERT_TRUE(dump.wait_for("/mixscout/export", 2, kDeadline)) << d.process().err();  // its fixes all the same
    EXPECT_EQ(fs::path(dump.with_address("/mixscout/export")[1].args[0]).filename(), "Read Song v2.wav");
    // Still running: the next export is analysed too, and the heartbeat counts what waits.
    drop(f.exports / "Read Song v3.wav", short_mix(1.0, 103));
    ASSERT_TRUE(dump.wait_for([](const auto& ms) { return status_with(ms, "3 analysed; 3 not recorded yet"); }, kDeadline))
        << d.process().err();
    EXPECT_FALSE(d.process().wait_exit(std::chrono::milliseconds(0)).has_value());

    // Writable again: the kept exports are recorded, in order, after the first daemon's.
    ASSERT_EQ(::mount(nullptr, f.data.c_str(), nullptr, MS_REMOUNT, nullptr), 0) << std::strerror(errno);
    ASSERT_TRUE(dump.wait_for([](const auto& ms) { return status_with(ms, "recorded 3 export(s) kept while the history was unavailable"); },
                              kDeadline)) << d.process().err();
    std::string rows;
    ASSERT_EQ(test::run_command(test::find_program("sqlite3"), {(f.data / "history.sqlite").string(),
                                                               "SELECT iteration || '|' || path FROM exports ORDER BY id;"}, &rows), 0);
    EXPECT_EQ(rows, "1|" + (f.exports / "Read Song v1.wav").string() + "\n2|" + (f.exports / "Read Song v2.wav").string() + "\n3|" +
                        (f.exports / "Read Song v3.wav").string() + "\n");
    d.process().signal(SIGTERM);
    EXPECT_EQ(d.process().wait_exit(kDeadline), std::optional<int>(0));
#endif
}

// Issue 20: an MP3 export whose frames libmpg123 conceals (side information scrambled) is
// analysed, and the device is told how much of it was guessed, with that export's verdict.
TEST(Daemon, ConcealedMp3FramesAreInTheExportsVerdict) {
    MIXSCOUT_NEEDS_PROGRAM("ffmpeg");
    Fixture f;
    auto d = f.start();
    const fs::path wav = f.dir / "mix.wav", mp3 = f.dir / "mix.mp3";
    test::write_audio(wav, test::pink_noise(-20, 6.0, 44100, 2, 111));
    std::string log;
    ASSERT_EQ(test::run_command(test::find_program("ffmpeg"), {"-v", "error", "-y", "-i", wav.string(), "-c:a", "libmp3lame", "-b:a", "192k", mp3.string()},
                                &log), 0) << log;
    const std::string bytes = test::file_bytes(mp3);
    test::write_file_bytes(f.dir / "Damaged Song.mp3", test::scramble_mp3_side_info(bytes, bytes.size() / 2, 7));
    log.clear();
    // The independent count: frames ffmpeg's own decoder refuses.
    test::run_command(test::find_program("ffmpeg"), {"-v", "error", "-i", (f.dir / "Damaged Song.mp3").string(), "-f", "null", "-"}, &log);
    std::size_t refused = 0;
    for (auto at = log.find("Error while decoding MPEG audio frame"); at != std::string::npos; at = log.find("Error while decoding MPEG audio frame", at + 1))
        ++refused;
    ASSERT_GT(refused, 20u) << log;
    fs::rename(f.dir / "Damaged Song.mp3", f.exports / "Damaged Song.mp3");
    ASSERT_TRUE(f.dump.wait_for("/mixscout/verdict", 1, kDeadline)) << d->process().err();
    const std::string summary = f.dump.with_address("/mixscout/verdict")[0].args[1];
    EXPECT_NE(summary.find("; " + std::to_string(refused) + " corrupt MP3 frames concealed ("), std::string::npos) << summary;
    EXPECT_NE(d->process().err().find("mixscout warn: Damaged Song.mp3: " + std::to_string(refused) + " corrupt MP3 frames concealed ("), std::string::npos)
        << d->process().err();
    EXPECT_EQ(f.dump.with_address("/mixscout/export").size(), 1u);  // analysed all the same
}
