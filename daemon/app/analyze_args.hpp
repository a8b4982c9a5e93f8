// mixscout app: what `mixscout analyze` and `mixscout report` share — their options and the
// analyse -> rules (+ stems) -> history (-> report) run (cmd_analyze.cpp).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "app/commands.hpp"
#include "history/pipeline.hpp"
#include "rules/issue.hpp"
#include "rules/material.hpp"
#include "stems/stems.hpp"

namespace mixscout::app {

struct AnalyzeArgs {
    std::string file;
    bool json = false;
    // [options] rules helper: --profile NAME, --config FILE; stems helper: --stems DIR.
    std::string profile = "mix";
    std::string config_file;
    std::vector<rules::Issue> issues;  ///< ranked; filled by the callback before reporting
    std::optional<rules::Material> material;  ///< the target family (rules/material.hpp), unless silent
    // history helper: --no-history, --data-dir; the stored export and its comparison.
    bool no_history = false;
    std::string data_dir;
    std::optional<history::IngestResult> history_result;
    // stems helper: --stems DIR, the mix's stems; their clashes rank with the rules' issues.
    std::string stems_dir;
    std::optional<stems::StemsReport> stems_report;
    // report: `analyze --report OUT.html`, `report FILE -o OUT.html [--master JSON]`.
    std::string report_file;
    std::string master_file;
    bool report_only = false;  ///< `mixscout report`: print the report's path, not the summary
    // The next fixes and how many issues to show.
    std::string focus;                 ///< --focus AREA; empty: the config's focus:
    bool all = false;                  ///< --all: every issue in the summary
    std::size_t top_n = 3;             ///< --top N
    std::string fail_on;               ///< --fail-on critical|important|polish: exit 1 when such an issue is found
    std::vector<rules::Issue> next;    ///< the next fixes (review::next_fixes; the comparison's when stored)
};

/// FILE, --profile, --config, --stems, --no-history, --data-dir, --focus, --all, --top, --fail-on.
void add_analyze_options(CLI::App* cmd, AnalyzeArgs& args);
/// The whole run; prints the summary, the JSON, or (report_only) the report's path.
void run_analyze(AnalyzeArgs& args, Context& ctx);

}  // namespace mixscout::app
