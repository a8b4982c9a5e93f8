// `mixscout config check` and `config show` through the real binary.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "support/signals.hpp"

namespace {

struct CliRun {
    int exit_code = -1;
    std::string out, err;
};

std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

CliRun run(const mixscout::test::TempDir& dir, const std::string& args) {
    const auto out = dir / "stdout.txt", err = dir / "stderr.txt";
    const std::string cmd = std::string("'") + MIXSCOUT_BIN + "' " + args + " >'" + out.string() + "' 2>'" + err.string() + "' </dev/null";
    const int status = std::system(cmd.c_str());
    CliRun r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = slurp(out);
    r.err = slurp(err);
    return r;
}

void write_text(const std::filesystem::path& p, const std::string& text) {
    std::ofstream(p, std::ios::binary) << text;
}

std::size_t lines(const std::string& s) { return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n')); }

}  // namespace

TEST(ConfigCli, CheckBrokenFileExits2WithOneLine) {
    mixscout::test::TempDir dir;
    const auto file = dir / "broken.yaml";
    write_text(file, "rules:\n  clipping:\n    enabled: maybe\n");
    const CliRun r = run(dir, "config check '" + file.string() + "'");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(lines(r.err), 1u) << r.err;
    EXPECT_NE(r.err.find(file.string() + ":3:14: rules.clipping.enabled: expected a boolean"), std::string::npos) << r.err;
}

TEST(ConfigCli, CheckSyntaxErrorExits2) {
    mixscout::test::TempDir dir;
    const auto file = dir / "syntax.yaml";
    write_text(file, "rules: [\n");
    const CliRun r = run(dir, "config check '" + file.string() + "'");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(lines(r.err), 1u) << r.err;
    EXPECT_NE(r.err.find("YAML syntax error"), std::string::npos) << r.err;
}

TEST(ConfigCli, CheckMissingFileExits2) {
    mixscout::test::TempDir dir;
    const CliRun r = run(dir, "config check '" + (dir / "absent.yaml").string() + "'");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(lines(r.err), 1u) << r.err;
}

TEST(ConfigCli, CheckGoodFileExits0) {
    mixscout::test::TempDir dir;
    const auto file = dir / "good.yaml";
    write_text(file, "rules:\n  clipping:\n    enabled: false\n");
    const CliRun r = run(dir, "config check '" + file.string() + "'");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(r.err.empty()) << r.err;
}

TEST(ConfigCli, ShowPrintsTheEffectiveConfig) {
    mixscout::test::TempDir dir;
    const auto file = dir / "user.yaml";
    write_text(file, "profiles:\n  streaming:\n    target_lufs: -13\n");
    const CliRun r = run(dir, "config show --json --config '" + file.string() + "'");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_DOUBLE_EQ(j["profiles"]["streaming"]["target_lufs"].get<double>(), -13.0);
    EXPECT_DOUBLE_EQ(j["profiles"]["apple"]["target_lufs"].get<double>(), -16.0);  // untouched default

    // The YAML form, fed back through `config check`, is a valid config.
    const CliRun y = run(dir, "config show --config '" + file.string() + "'");
    ASSERT_EQ(y.exit_code, 0) << y.err;
    write_text(dir / "shown.yaml", y.out);
    EXPECT_EQ(run(dir, "config check '" + (dir / "shown.yaml").string() + "'").exit_code, 0);

    // A broken --config is refused with one line, exit 2.
    write_text(dir / "bad.yaml", "profiles:\n  streaming:\n    target_lufs: loud\n");
    const CliRun b = run(dir, "config show --config '" + (dir / "bad.yaml").string() + "'");
    EXPECT_EQ(b.exit_code, 2);
    EXPECT_EQ(lines(b.err), 1u) << b.err;
    EXPECT_NE(b.err.find(":3:18:"), std::string::npos) << b.err;
}
