// mixscout app: the subcommands of the `mixscout` executable.
//
// Each subcommand lives in its own cmd_*.cpp and registers itself on the CLI11 app. A command
// reports its result through Context::exit_code: 0 ok, 1 findings/failure, 2 bad input.
// User-facing input problems are thrown as mixscout::InputError; main prints them as one line
// "mixscout: <message>" and exits 2.
#pragma once
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "rules/issue.hpp"

namespace mixscout::app {

struct Context {
    int exit_code = 0;
};

/// --focus AREA, --all, --top N, --fail-on LEVEL (analyze, compare, stems).
void add_focus_options(CLI::App* cmd, std::string& focus, bool& all, std::size_t& top_n, std::string& fail_on);
/// 1 when `fail_on` names a severity and an issue at least that severe is in `issues`, else 0.
int fail_on_exit_code(const std::vector<rules::Issue>& issues, const std::string& fail_on);

void add_analyze_command(CLI::App& app, Context& ctx);    // issue: analysis engine
void add_config_command(CLI::App& app, Context& ctx);     // config check | show
void add_stems_command(CLI::App& app, Context& ctx);      // stem clashes
void add_history_commands(CLI::App& app, Context& ctx);   // history, note, compare, reference
void add_daemon_command(CLI::App& app, Context& ctx);     // the main job
void add_monitor_commands(CLI::App& app, Context& ctx);   // devices, monitor
void add_master_command(CLI::App& app, Context& ctx);     // master against a reference
void add_tune_command(CLI::App& app, Context& ctx);       // measure FFT plans once
void add_report_command(CLI::App& app, Context& ctx);     // the HTML report of one export

}  // namespace mixscout::app
