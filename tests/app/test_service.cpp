// The service skeleton (app/service/): its route table checked against the real
// protocol/osc.json (read from the source tree, not the copy embedded in the binary), and the
// daemon's per-job state.
#include <gtest/gtest.h>

#include <fstream>
#include <optional>
#include <sstream>

#include "app/daemon.hpp"
#include "app/job_state.hpp"
#include "app/service/routes.hpp"
#include "app/service/service.hpp"
#include "core/error.hpp"
#include "osc/protocol.hpp"
#include "support/signals.hpp"

using namespace mixscout;
namespace fs = std::filesystem;

namespace {

osc::Protocol real_protocol() {
    std::ifstream in(fs::path(MIXSCOUT_SOURCE_DIR) / "protocol" / "osc.json");
    std::stringstream text;
    text << in.rdbuf();
    return osc::Protocol::parse(text.str());
}

/// One route per device_to_daemon message of `table`, with its type tags: a table that agrees.
std::vector<app::service::Route> routes_of(const osc::Protocol& table) {
    std::vector<app::service::Route> routes;
    for (const auto& m : table.messages)
        if (m.direction == osc::Direction::device_to_daemon)
            routes.push_back({m.address, m.type_tags(), app::service::Access::proven, [](const osc::Message&, const osc::Endpoint&) {}});
    return routes;
}

std::string router_error(std::vector<app::service::Route> routes, const osc::Protocol& table) {
    try {
        app::service::Router router(std::move(routes), table);
    } catch (const InputError& e) {
        return e.what();
    }
    return {};
}

}  // namespace

TEST(ServiceRoutes, TheDaemonRoutesEveryInboundMessageOfTheRealProtocol) {
    test::TempDir dir;
    std::ofstream(dir / "mixscout.yaml") << "osc:\n  heartbeat_s: 0.2\n";
    app::DaemonFlags flags;
    flags.config_file = dir / "mixscout.yaml";
    flags.watch = {dir / "exports"};
    flags.listen_port = 0;
    flags.data_dir = dir / "data";
    app::Daemon daemon(flags);  // its constructor already refused a table that does not match the embedded copy

    const osc::Protocol file = real_protocol();
    const auto& router = daemon.service().router();
    const auto problems = router.problems(file);
    std::string text;
    for (const auto& p : problems) text += p + "\n";
    EXPECT_TRUE(problems.empty()) << text;
    std::size_t inbound = 0;
    for (const auto& m : file.messages) {
        if (m.direction != osc::Direction::device_to_daemon) continue;
        ++inbound;
        const auto* route = router.find(m.address);
        ASSERT_NE(route, nullptr) << m.address;
        EXPECT_EQ(route->types, m.type_tags()) << m.address;
        // Only the hello, which proves a device, is open to anyone (osc/auth.hpp).
        EXPECT_EQ(route->access == app::service::Access::anyone, m.address == "/mixscout/hello") << m.address;
    }
    EXPECT_GE(inbound, 9u);  // hello, note, analyze, reference, history, master, ears, focus, shutdown
}

TEST(ServiceRoutes, EveryMismatchWithTheProtocolIsOneStartUpError) {
    const osc::Protocol file = real_protocol();
    EXPECT_EQ(router_error(routes_of(file), file), "");

    // An inbound message nobody handles.
    auto missing = routes_of(file);
    std::erase_if(missing, [](const app::service::Route& r) { return r.address == "/mixscout/note"; });
    EXPECT_NE(router_error(missing, file).find("/mixscout/note: in the protocol, but no route handles it"), std::string::npos);

    // A route the protocol does not list, one with other type tags, one for an outbound
    // message: all three named in one error.
    auto wrong = routes_of(file);
    wrong.push_back({"/mixscout/nosuch", "s", app::service::Access::proven, {}});
    wrong.push_back({"/mixscout/status", "ss", app::service::Access::proven, {}});
    for (auto& r : wrong)
        if (r.address == "/mixscout/hello") r.types = "i";
    const std::string error = router_error(wrong, file);
    EXPECT_EQ(error.rfind("osc routes do not match protocol/osc.json: ", 0), 0u) << error;
    EXPECT_NE(error.find("/mixscout/nosuch: routed, but not in the protocol"), std::string::npos) << error;
    EXPECT_NE(error.find("/mixscout/hello: routed with types 'i', the protocol says 'is'"), std::string::npos) << error;
    EXPECT_NE(error.find("/mixscout/status: routed, but the protocol sends it to the device"), std::string::npos) << error;
    EXPECT_EQ(error.find('\n'), std::string::npos) << error;  // one line
}

// Two master jobs at once: the first to finish used to clear the one shared flag, and the
// heartbeat said "idle" while the second was still mastering.
TEST(RunningJobs, TwoMasterJobsStayMasteringUntilTheSecondEnds) {
    app::RunningJobs jobs;
    std::optional<app::RunningJobs::Ticket> first(jobs.begin(app::Job::Kind::master));
    std::optional<app::RunningJobs::Ticket> second(jobs.begin(app::Job::Kind::master));
    const auto export_job = jobs.begin(app::Job::Kind::export_file);
    EXPECT_EQ(jobs.running(app::Job::Kind::master), 2u);
    EXPECT_EQ(jobs.running(), 3u);
    first.reset();
    EXPECT_EQ(jobs.running(app::Job::Kind::master), 1u);
    // A job that ends in an exception leaves too.
    try {
        const auto failing = jobs.begin(app::Job::Kind::master);
        EXPECT_EQ(jobs.running(app::Job::Kind::master), 2u);
        throw InputError("mix.wav: no reference tracks stored");
    } catch (const InputError&) {
    }
    EXPECT_EQ(jobs.running(app::Job::Kind::master), 1u);
    second.reset();
    EXPECT_EQ(jobs.running(app::Job::Kind::master), 0u);
    EXPECT_EQ(jobs.running(), 1u);
}
