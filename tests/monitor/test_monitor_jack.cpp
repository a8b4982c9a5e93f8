// `mixscout monitor --api jack` against a real JACK server (jackd's dummy backend, real time),
// a known file played into its input ports with jack-play, and liblo's oscdump as the receiver.
//
// Each test starts its own jackd under a server name of its own (JACK_DEFAULT_SERVER, inherited
// by every child). The names are fixed, not per process: jackd 1.9.21 leaves its entry in JACK's
// shared-memory registry, which holds 8 servers ("Too many servers already active" after 8
// distinct names on one machine), and reclaims a dead entry only for the same name. ctest runs
// these tests one at a time (RESOURCE_LOCK jackd in tests/CMakeLists.txt), so fixed names never
// meet. Skipped only when the JACK tools are not installed.
#include <gtest/gtest.h>
#include <sndfile.h>
#include <sqlite3.h>


#include <atomic>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "audio/jack_input.hpp"

#include "support/allocation_count.hpp"
#include "support/ebur128_oracle.hpp"
#include "support/env.hpp"
#include "support/process.hpp"
#include "support/signals.hpp"

using namespace mixscout;
using namespace mixscout::test;
using std::chrono::milliseconds;

namespace {

struct Tools {
    std::string jackd = find_program("jackd"), jack_play = find_program("jack-play"), jack_lsp = find_program("jack_lsp"),
                jack_connect = find_program("jack_connect"), jack_transport = find_program("jack_transport");
    bool ok() const {
        return !jackd.empty() && !jack_play.empty() && !jack_lsp.empty() && !jack_connect.empty() && !jack_transport.empty();
    }
};

/// A JACK server (dummy backend, 48 kHz, no real-time scheduling so it runs unprivileged) under
/// a name of its own; children of this test inherit the name through the environment.
/// Timing::audio_time runs it in sync mode (-S) with a long client timeout: each cycle waits for
/// every client, so on a loaded machine the audio runs slower than real time instead of losing
/// periods (in the default async mode a late client misses its cycle, and the tests' timings in
/// audio time lost 25-200 ms under load). The server-gone test keeps the default: a sync server
/// being stopped under a client once left the monitor's reconnection waiting past its deadline.
class JackServer {
public:
    // Clients must never start a server of their own (JACK_NO_START_SERVER).
    enum class Timing { real_time, audio_time };
    JackServer(const Tools& tools, const std::string& name, Timing timing)
        : tools_(tools), timing_(timing), server_name_("JACK_DEFAULT_SERVER", name), no_start_("JACK_NO_START_SERVER", "1") {
        start();
    }
    ~JackServer() { stop(); }
    void start() {
        std::vector<std::string> args{"-r", "-d", "dummy", "-r", "48000", "-p", "256"};
        if (timing_ == Timing::audio_time) args.insert(args.begin() + 1, {"-S", "-t", "10000"});
        process_ = std::make_unique<Process>(tools_.jackd, args);
        ready_ = wait_until([&] { return !process_->running() || run_command(tools_.jack_lsp, {}) == 0; }, milliseconds(10000),
                            milliseconds(50)) &&
                 process_->running();
    }
    void stop() {
        if (!process_) return;
        process_->signal(SIGTERM);  // a clean exit removes its shared-memory files
        process_->wait_exit(milliseconds(5000));
        process_.reset();
    }
    bool ready() const { return ready_; }
    std::string log() const { return process_ ? process_->out() + process_->err() : ""; }
    /// The server's ports (jack_lsp), one per line.
    std::string ports() const {
        std::string out;
        run_command(tools_.jack_lsp, {}, &out);
        return out;
    }
    bool wait_for_port(const std::string& port, milliseconds deadline) const {
        return wait_until([&] { return ports().find(port + "\n") != std::string::npos; }, deadline, milliseconds(5));
    }

private:
    const Tools& tools_;
    Timing timing_;
    EnvVar server_name_, no_start_;
    std::unique_ptr<Process> process_;
    bool ready_ = false;
};

std::string server_name(const char* test) { return std::string("mixscout_") + test; }

/// Plays `file` into mixscout's input ports from its first sample: jack-play waits for the JACK
/// transport (-t), its ports are connected, then the transport rolls. (-c 3, zero-order hold:
/// jack-play always runs libsamplerate, and at ratio 1 only the hold passes samples unchanged;
/// the sinc converters would round a clipped flat top off. -b: a ring buffer of 22 s holds every
/// test file whole before the transport rolls, so a starved disk thread cannot drop audio.)
std::unique_ptr<Process> play_into_monitor(const Tools& tools, const JackServer& jack, const std::filesystem::path& file) {
    auto play = std::make_unique<Process>(tools.jack_play, std::vector<std::string>{"-t", "-u", "-n", "player", "-c", "3", "-b", "1048576", file.string()});
    EXPECT_TRUE(jack.wait_for_port("player:out_2", milliseconds(5000))) << jack.ports() << play->err();
    EXPECT_EQ(run_command(tools.jack_connect, {"player:out_1", "mixscout:inport 0"}), 0);
    EXPECT_EQ(run_command(tools.jack_connect, {"player:out_2", "mixscout:inport 1"}), 0);
    // jack_transport reads its commands from stdin.
    EXPECT_EQ(run_command("/bin/sh", {"-c", "echo play | '" + tools.jack_transport + "'"}), 0);
    return play;
}

struct Meter {
    double momentary, short_term, true_peak, correlation, time_s;
};

using test::ebur128_short_term;

struct Row {
    std::string kind, song;
    nlohmann::json analysis;
};

std::vector<Row> stored_exports(const std::filesystem::path& db_file) {
    std::vector<Row> rows;
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(db_file.string().c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
        sqlite3_close(db);
        return rows;
    }
    sqlite3_stmt* q = nullptr;
    sqlite3_prepare_v2(db, "SELECT e.kind, s.name, e.analysis_json FROM exports e JOIN songs s ON s.id = e.song_id", -1, &q,
                       nullptr);
    while (q && sqlite3_step(q) == SQLITE_ROW) {
        Row r;
        r.kind = reinterpret_cast<const char*>(sqlite3_column_text(q, 0));
        r.song = reinterpret_cast<const char*>(sqlite3_column_text(q, 1));
        r.analysis = nlohmann::json::parse(reinterpret_cast<const char*>(sqlite3_column_text(q, 2)));
        rows.push_back(std::move(r));
    }
    sqlite3_finalize(q);
    sqlite3_close(db);
    return rows;
}

}  // namespace

// 0.5 s of silence, 6 s of pink noise at -20 dBFS RMS with 8 full-scale samples at 4.5 s into
// the noise, 0.5 s of silence, then whatever silence the server delivers after the file ends.
TEST(MonitorJack, MetersLiveIssueAndTakeFromAPlayedFile) {
    const Tools tools;
    if (!tools.ok()) GTEST_SKIP() << "JACK tools not installed (need jackd, jack-play, jack_lsp, jack_connect: "
                                     "apt install jackd2 jack-tools)";
    JackServer jack(tools, server_name("play"), JackServer::Timing::audio_time);
    ASSERT_TRUE(jack.ready()) << "jackd did not start: " << jack.log();

    TempDir dir;
    constexpr double lead_s = 0.5, noise_s = 6.0, clip_after_s = 4.5;
    // The file ends with 0.5 s of silence too: jack-play exits before the last ~75 ms it read.
    Signal s = concat(concat(silence(lead_s), pink_noise(-20.0, noise_s, 48000, 2, 21)), silence(0.5));
    insert_clip(s, lead_s + clip_after_s, 8, 0);
    const auto file = dir / "played.wav";
    write_audio(file, s, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
    const auto cfg = dir / "mixscout.yaml";
    std::ofstream(cfg) << "monitor:\n  take_end_silence_s: 1.0\n  min_take_s: 2.0\n";

    OscDump dump;
    Process mon(MIXSCOUT_BIN, {"monitor", "--api", "jack", "--send", "127.0.0.1:" + std::to_string(dump.port()), "--listen", "0",
                               "--data-dir", (dir / "data").string(), "--song", "Test Song", "--config", cfg.string()});
    ASSERT_TRUE(mon.wait_for_err([](const std::string& e) { return e.find("capturing jack") != std::string::npos; },
                                 milliseconds(15000)))
        << mon.err();
    ASSERT_TRUE(jack.wait_for_port("mixscout:inport 1", milliseconds(5000))) << jack.ports();

    const auto play = play_into_monitor(tools, jack, file);
    ASSERT_FALSE(::testing::Test::HasFailure());

    // The take ends 1 s after the noise: it is judged, stored and pushed like an export.
    ASSERT_TRUE(dump.wait_for("/mixscout/export", 1, milliseconds(20000))) << mon.err();
    ASSERT_TRUE(dump.wait_for("/mixscout/verdict", 1, milliseconds(5000)));
    mon.signal(SIGINT);
    ASSERT_EQ(mon.wait_exit(milliseconds(10000)), std::optional<int>(0)) << mon.err();

    // ---- meters: one per 100 ms of audio ------------------------------------------------------
    const auto all = dump.messages();
    std::vector<Meter> meters;
    std::optional<std::size_t> clip_issue_after;  // meters received before the clipping issue
    for (const auto& m : all) {
        if (m.address == "/mixscout/meter") {
            ASSERT_EQ(m.types, "ffff");
            meters.push_back({std::stod(m.args[0]), std::stod(m.args[1]), std::stod(m.args[2]), std::stod(m.args[3]), m.time_s});
        } else if (m.address == "/mixscout/live_issue" && !clip_issue_after && m.args[1].find("Clipping") != std::string::npos) {
            EXPECT_EQ(m.args[0], "critical");
            clip_issue_after = meters.size();
        }
    }
    const auto stopped = mon.wait_for_err_line("stopped:", milliseconds(1000));
    ASSERT_TRUE(stopped) << mon.err();
    const long long frames = std::stoll(stopped->substr(stopped->find("stopped: ") + 9));
    EXPECT_NEAR(static_cast<double>(meters.size()), static_cast<double>(frames) / 4800.0, 1.0) << *stopped;
    EXPECT_NE(stopped->find(" 0 overflows"), std::string::npos) << *stopped;
    ASSERT_GT(meters.size(), 70u);  // at least the file's 6.5 s plus the 1 s that ended the take
    // (Not checked against the wall clock: jackd's dummy backend without real-time scheduling
    // runs slower than real time on a loaded machine; audio time is what the meters follow.)
    // They are spread over the run as the audio came, not sent in a burst at the end:
    EXPECT_GT(meters.back().time_s - meters.front().time_s, 0.5 * static_cast<double>(frames) / 48000.0);

    // ---- short-term loudness against libebur128 on the file, aligned at the noise onset -------
    std::size_t h0 = 0;
    while (h0 < meters.size() && meters[h0].momentary <= -60.0) ++h0;
    ASSERT_LT(h0 + 65, meters.size()) << "no noise onset in the meters";
    const auto oracle = ebur128_short_term(s);
    const std::size_t onset_hop = static_cast<std::size_t>(lead_s * 10);  // the file's hop 5 holds the onset
    const std::size_t end_hop = onset_hop + static_cast<std::size_t>(noise_s * 10);
    for (std::size_t k = onset_hop + 31; k < end_hop; ++k) {  // complete 3 s windows of noise
        EXPECT_NEAR(meters[k - onset_hop + h0].short_term, oracle[k], 0.5) << "file hop " << k;
    }

    // ---- the clipped burst: a live issue within 200 ms of audio time --------------------------
    // The onset lies in meter h0's hop, so the burst lies in [h0 * 0.1 + 4.5, (h0 + 1) * 0.1 + 4.5) s;
    // an issue after n meters was found in hop n, [n * 0.1, (n + 1) * 0.1) s.
    std::string issues;
    for (const auto& m : dump.with_address("/mixscout/live_issue")) issues += "\n  " + m.line;
    ASSERT_TRUE(clip_issue_after) << "no clipping live issue; live issues:" << issues;
    const double n = static_cast<double>(*clip_issue_after), h = static_cast<double>(h0);
    const double latest_s = (n + 1) * 0.1 - (h * 0.1 + clip_after_s);   // longest possible delay
    const double earliest_s = n * 0.1 - ((h + 1) * 0.1 + clip_after_s); // shortest possible delay
    EXPECT_LE(latest_s, 0.2 + 0.1 + 1e-9) << "issue after " << n << " meters, onset at meter " << h0;  // + the 100 ms granularity of this measure
    EXPECT_GE(earliest_s, -0.2 - 1e-9) << "issue before the burst?";

    // ---- the take, stored as a live take of the song -----------------------------------------
    const auto exports = dump.with_address("/mixscout/export");
    ASSERT_EQ(exports.size(), 1u);
    EXPECT_EQ(exports[0].args[1], "Test Song");
    EXPECT_EQ(exports[0].args[2], "1");
    const auto fixes = dump.with_address("/mixscout/fix");
    ASSERT_FALSE(fixes.empty());
    EXPECT_EQ(fixes[0].args[1], "critical");  // the clipping comes first
    const auto rows = stored_exports(dir / "data" / "history.sqlite");
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].kind, "live_take");
    EXPECT_EQ(rows[0].song, "Test Song");
    // The take is the noise: it starts with the sound and the silence that ended it is not in it
    // (granularity: the frames of one read of the ring, about 25 ms, on each side). Periods the
    // JACK server skipped our client for never reach us: the dummy backend without real-time
    // scheduling does that on a loaded machine (seen under ASan: 16 ms short), and reports them as
    // xruns, so each reported xrun may take one 256-frame period off the take.
    const auto xruns_at = stopped->find(" driver xruns");
    ASSERT_NE(xruns_at, std::string::npos) << *stopped;
    const long long xruns = std::stoll(stopped->substr(stopped->rfind(", ", xruns_at) + 2));
    const double duration = rows[0].analysis["format"]["duration_s"].get<double>();
    EXPECT_GE(duration, noise_s - 0.01 - static_cast<double>(xruns) * 256.0 / 48000.0) << *stopped;
    EXPECT_LE(duration, noise_s + 0.2);
    EXPECT_EQ(rows[0].analysis["clipping"]["count"].get<int>(), 1);
}

// The JACK server goes away while monitoring: a clear error status, the process stays up, and
// monitoring resumes by itself when a server is back.
TEST(MonitorJack, ServerGoneIsReportedAndMonitoringResumes) {
    const Tools tools;
    if (!tools.ok()) GTEST_SKIP() << "JACK tools not installed (apt install jackd2 jack-tools)";
    JackServer jack(tools, server_name("gone"), JackServer::Timing::real_time);
    ASSERT_TRUE(jack.ready()) << jack.log();
    TempDir dir;
    OscDump dump;
    Process mon(MIXSCOUT_BIN, {"monitor", "--api", "jack", "--send", "127.0.0.1:" + std::to_string(dump.port()), "--listen", "0",
                               "--data-dir", (dir / "data").string()});
    ASSERT_TRUE(mon.wait_for_err([](const std::string& e) { return e.find("capturing jack") != std::string::npos; },
                                 milliseconds(15000)))
        << mon.err();
    ASSERT_TRUE(dump.wait_for("/mixscout/meter", 3, milliseconds(5000)));

    jack.stop();
    const auto is_error = [](const DumpedMessage& m) { return m.address == "/mixscout/status" && m.args[0] == "error"; };
    ASSERT_TRUE(dump.wait_for(
        [&](const std::vector<DumpedMessage>& ms) { return std::any_of(ms.begin(), ms.end(), is_error); }, milliseconds(10000)))
        << "monitor " << (mon.running() ? "still running" : "exited: " + std::to_string(mon.wait_exit(milliseconds(0)).value_or(-1)))
        << "\n" << mon.err();
    EXPECT_TRUE(mon.running());
    for (const auto& m : dump.messages()) {
        if (is_error(m)) {
            EXPECT_NE(m.args[1].find("jack"), std::string::npos) << m.line;  // says what is wrong
        }
    }

    jack.start();
    ASSERT_TRUE(jack.ready()) << jack.log();
    ASSERT_TRUE(mon.wait_for_err([](const std::string& e) {
        const auto first = e.find("capturing jack");
        return first != std::string::npos && e.find("capturing jack", first + 1) != std::string::npos;
    }, milliseconds(20000)))
        << mon.err();
    const std::size_t before = dump.with_address("/mixscout/meter").size();
    EXPECT_TRUE(dump.wait_for("/mixscout/meter", before + 3, milliseconds(5000)));
    mon.signal(SIGTERM);
    EXPECT_EQ(mon.wait_exit(milliseconds(10000)), std::optional<int>(0)) << mon.err();
}

// The JACK process callback (audio/jack_input.cpp) interleaves each period without allocating:
// the sink, called on the JACK process thread, reads that thread's own allocation count; from
// the first period to the hundredth (half a second) it must not move.
namespace {
struct ProcessThreadProbe {
    std::atomic<long> periods{0}, first_count{0}, last_count{0};
    static void sink(void* user, const float*, std::size_t, bool) noexcept {
        auto& p = *static_cast<ProcessThreadProbe*>(user);
        if (p.periods.load() == 0) p.first_count = t_allocations;
        p.last_count = t_allocations;
        p.periods.fetch_add(1);
    }
};
}  // namespace

TEST(MonitorJack, CaptureCallbackDoesNotAllocate) {
    const Tools tools;
    if (!tools.ok()) GTEST_SKIP() << "JACK tools not installed (apt install jackd2 jack-tools)";
    JackServer jack(tools, server_name("alloc"), JackServer::Timing::real_time);
    ASSERT_TRUE(jack.ready()) << jack.log();
    ProcessThreadProbe probe;
    audio::JackInput input("alloc_probe", "system", 0, 2, &ProcessThreadProbe::sink, &probe);
    ASSERT_EQ(input.sample_rate(), 48000u);
    ASSERT_TRUE(wait_until([&] { return probe.periods.load() >= 100; }, milliseconds(10000))) << "periods stopped arriving";
    EXPECT_EQ(probe.last_count.load() - probe.first_count.load(), 0) << "allocations on the JACK process thread";
    EXPECT_FALSE(input.stopped()) << input.why();
}

// `mixscout devices` lists the server's recordable clients as jack_lsp sees them: "system" with
// one input channel per capture port, at the server's rate; a stopped server is named as such.
TEST(MonitorJack, DevicesAreTheServersClientsWithOutputPorts) {
    const Tools tools;
    if (!tools.ok()) GTEST_SKIP() << "JACK tools not installed (apt install jackd2 jack-tools)";
    JackServer jack(tools, server_name("devices"), JackServer::Timing::real_time);
    ASSERT_TRUE(jack.ready()) << jack.log();
    std::size_t capture_ports = 0;
    std::istringstream lines(jack.ports());
    for (std::string line; std::getline(lines, line);)
        if (line.rfind("system:capture_", 0) == 0) ++capture_ports;
    ASSERT_GT(capture_ports, 0u) << jack.ports();
    const auto jack_entry = [](const nlohmann::json& j) {
        for (const auto& a : j)
            if (a["api"] == "jack") return a;
        return nlohmann::json();
    };
    auto r = run_mixscout({"devices", "--json"});
    ASSERT_EQ(r.code, 0) << r.err;
    auto entry = jack_entry(stdout_json(r));
    ASSERT_EQ(entry["inputs"].size(), 1u) << entry.dump();
    EXPECT_EQ(entry["inputs"][0]["name"], "system");
    EXPECT_EQ(entry["inputs"][0]["input_channels"].get<std::size_t>(), capture_ports);
    EXPECT_EQ(entry["inputs"][0]["preferred_sample_rate"].get<int>(), 48000);
    EXPECT_TRUE(entry["inputs"][0]["default"].get<bool>());

    jack.stop();
    r = run_mixscout({"devices", "--json"});
    ASSERT_EQ(r.code, 0) << r.err;
    entry = jack_entry(stdout_json(r));
    EXPECT_TRUE(entry["inputs"].empty()) << entry.dump();
    EXPECT_NE(entry.value("error", "").find("JACK server not running"), std::string::npos) << entry.dump();
}

// The daemon monitors next to watching folders when its config says monitor.enabled; a take is
// pushed like an export and stored as a live take.
TEST(MonitorJack, DaemonMonitorsWhenTheConfigSaysSo) {
    const Tools tools;
    if (!tools.ok()) GTEST_SKIP() << "JACK tools not installed (apt install jackd2 jack-tools)";
    JackServer jack(tools, server_name("daemon"), JackServer::Timing::audio_time);
    ASSERT_TRUE(jack.ready()) << jack.log();
    TempDir dir;
    std::filesystem::create_directories(dir / "exports");
    const auto file = dir / "played.wav";
    write_audio(file, concat(concat(silence(0.3), pink_noise(-20.0, 2.5, 48000, 2, 8)), silence(0.5)),
                SF_FORMAT_WAV | SF_FORMAT_FLOAT);
    const auto cfg = dir / "mixscout.yaml";
    std::ofstream(cfg) << "monitor:\n  enabled: true\n  api: jack\n  song: Daemon Song\n  take_end_silence_s: 0.5\n"
                          "  min_take_s: 1.0\nwatch:\n  pick_up_on_start: false\n";
    OscDump dump;
    DaemonProcess daemon({"--config", cfg.string(), "--watch", (dir / "exports").string(), "--listen", "0", "--send",
                          "127.0.0.1:" + std::to_string(dump.port()), "--data-dir", (dir / "data").string()});
    ASSERT_TRUE(daemon.started()) << daemon.process().err();
    ASSERT_TRUE(daemon.process().wait_for_err([](const std::string& e) { return e.find("capturing jack") != std::string::npos; },
                                              milliseconds(15000)))
        << daemon.process().err();
    ASSERT_TRUE(dump.wait_for("/mixscout/meter", 3, milliseconds(5000)));
    ASSERT_TRUE(jack.wait_for_port("mixscout:inport 1", milliseconds(5000))) << jack.ports();
    const auto play = play_into_monitor(tools, jack, file);
    ASSERT_FALSE(::testing::Test::HasFailure());
    ASSERT_TRUE(dump.wait_for("/mixscout/fixes_end", 1, milliseconds(15000))) << daemon.process().err();
    const auto exports = dump.with_address("/mixscout/export");
    ASSERT_EQ(exports.size(), 1u);
    EXPECT_EQ(exports[0].args[1], "Daemon Song");
    // The heartbeat (every osc.heartbeat_s = 2 s) says "monitoring" while the stream is open, not
    // "idle" over the monitor's own status.
    const std::size_t statuses = dump.with_address("/mixscout/status").size();
    ASSERT_TRUE(dump.wait_for("/mixscout/status", statuses + 1, milliseconds(6000)));
    const auto latest = dump.with_address("/mixscout/status").back();
    EXPECT_EQ(latest.args[0], "monitoring") << latest.args[1];
    daemon.process().signal(SIGTERM);
    EXPECT_EQ(daemon.process().wait_exit(milliseconds(10000)), std::optional<int>(0)) << daemon.process().err();
    const auto rows = stored_exports(dir / "data" / "history.sqlite");
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].kind, "live_take");
    const double duration = rows[0].analysis["format"]["duration_s"].get<double>();
    EXPECT_GE(duration, 2.5 - 0.01);
    EXPECT_LE(duration, 2.5 + 0.2);
}
