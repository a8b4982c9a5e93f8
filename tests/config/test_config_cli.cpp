// `mixscout config check` and `config show` through the real binary.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <vector>
#include <string>

#include "support/cli_run.hpp"
#include "support/process.hpp"
#include "support/signals.hpp"
#include "support/text.hpp"

namespace {

// The one way tests run the real binary (tests/support/cli_run.hpp).
using CliRun = mixscout::test::CliResult;
CliRun run(const std::vector<std::string>& args) { return mixscout::test::run_cli(args); }

using mixscout::test::write_text;

std::size_t lines(const std::string& s) { return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n')); }

}  // namespace

TEST(ConfigCli, CheckBrokenFileExits2WithOneLine) {
    mixscout::test::TempDir dir;
    const auto file = dir / "broken.yaml";
    write_text(file, "rules:\n  clipping:\n    enabled: maybe\n");
    const CliRun r = run({"config", "check", file.string()});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(lines(r.err), 1u) << r.err;
    EXPECT_NE(r.err.find(file.string() + ":3:14: rules.clipping.enabled: expected a boolean"), std::string::npos) << r.err;
}

TEST(ConfigCli, CheckSyntaxErrorExits2) {
    mixscout::test::TempDir dir;
    const auto file = dir / "syntax.yaml";
    write_text(file, "rules: [\n");
    const CliRun r = run({"config", "check", file.string()});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(lines(r.err), 1u) << r.err;
    EXPECT_NE(r.err.find("YAML syntax error"), std::string::npos) << r.err;
}

TEST(ConfigCli, CheckMissingFileExits2) {
    mixscout::test::TempDir dir;
    const CliRun r = run({"config", "check", (dir / "absent.yaml").string()});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(lines(r.err), 1u) << r.err;
}

TEST(ConfigCli, CheckGoodFileExits0) {
    mixscout::test::TempDir dir;
    const auto file = dir / "good.yaml";
    write_text(file, "rules:\n  clipping:\n    enabled: false\n");
    const CliRun r = run({"config", "check", file.string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(r.err.empty()) << r.err;
}

TEST(ConfigCli, ShowPrintsTheEffectiveConfig) {
    mixscout::test::TempDir dir;
    const auto file = dir / "user.yaml";
    write_text(file, "profiles:\n  streaming:\n    target_lufs: -13\n");
    const CliRun r = run({"config", "show", "--json", "--config", file.string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_DOUBLE_EQ(j["profiles"]["streaming"]["target_lufs"].get<double>(), -13.0);
    EXPECT_DOUBLE_EQ(j["profiles"]["apple"]["target_lufs"].get<double>(), -16.0);  // untouched default

    // The YAML form, fed back through `config check`, is a valid config.
    const CliRun y = run({"config", "show", "--config", file.string()});
    ASSERT_EQ(y.exit_code, 0) << y.err;
    write_text(dir / "shown.yaml", y.out);
    EXPECT_EQ(run({"config", "check", (dir / "shown.yaml").string()}).exit_code, 0);

    // A broken --config is refused with one line, exit 2.
    write_text(dir / "bad.yaml", "profiles:\n  streaming:\n    target_lufs: loud\n");
    const CliRun b = run({"config", "show", "--config", (dir / "bad.yaml").string()});
    EXPECT_EQ(b.exit_code, 2);
    EXPECT_EQ(lines(b.err), 1u) << b.err;
    EXPECT_NE(b.err.find(":3:18:"), std::string::npos) << b.err;
}
