// Options several subcommands share: the next fixes (--focus), how many issues to list
// (--all, --top N) and the exit-code policy (--fail-on; commands.hpp).
#include "app/commands.hpp"
#include "review/focus.hpp"

namespace mixscout::app {

void add_focus_options(CLI::App* cmd, std::string& focus, bool& all, std::size_t& top_n, std::string& fail_on) {
    cmd->add_option("--focus", focus,
                    "Limit the next fixes to one area: " + review::area_names("|") + " (default: the config's focus:)")
        ->check(CLI::IsMember({"all", "low-end", "low_end", "mids", "highs", "dynamics", "stereo", "clipping",
                               "loudness", "clashes"}));
    cmd->add_flag("--all", all, "List every issue, ranked (not only the next fixes)");
    cmd->add_option("--top", top_n, "List the first N ranked issues")->check(CLI::Range(1, 1000));
    cmd->add_option("--fail-on", fail_on, "Exit 1 when an issue this severe or worse is found (for scripts, like a linter)")
        ->check(CLI::IsMember({"critical", "important", "polish"}));
}

int fail_on_exit_code(const std::vector<rules::Issue>& issues, const std::string& fail_on) {
    const auto level = rules::parse_severity(fail_on);
    if (!level) return 0;
    for (const auto& i : issues)
        if (static_cast<int>(i.severity) <= static_cast<int>(*level)) return 1;
    return 0;
}

}  // namespace mixscout::app
