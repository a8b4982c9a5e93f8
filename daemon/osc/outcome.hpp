// mixscout osc: what the device is told about one analysed export or live take.
//
// The daemon (app/daemon.cpp) and the live monitor (monitor/take_outcome.cpp) both fill an
// ExportOutcome and send export_messages(): /mixscout/export, up to three /mixscout/fix (each
// followed by its /mixscout/fix_times), /mixscout/fixes_end, /mixscout/report (when one was
// written), /mixscout/verdict (when known) and /mixscout/stop (when it fired).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "osc/message.hpp"
#include "rules/issue.hpp"

namespace mixscout::osc {

struct ExportOutcome {
    struct Fix {
        std::string severity, title, fix;
        std::vector<double> times_s;  ///< where it happens (rules::Issue::times_s), seconds from the start
    };
    std::string path, song;
    int iteration = 0;
    std::int64_t export_id = 0;
    bool is_new = true;          ///< false: identical content already in the history
    std::vector<Fix> fixes;      ///< at most three, in rank (focus) order
    std::string verdict;         ///< protocol enum; empty = no /mixscout/verdict
    std::string summary;
    std::string stop_reason;     ///< non-empty: send /mixscout/stop
    std::string status;          ///< one line for /mixscout/status and the log
    std::string report_path;     ///< non-empty: the HTML report written for it (/mixscout/report)
};

/// The first three of `ranked` (already in rank or focus order) as fixes for the panel.
std::vector<ExportOutcome::Fix> top_fixes(const std::vector<rules::Issue>& ranked);

/// /mixscout/fix_times' text: "45.2,83.0" (one decimal, comma-separated, no spaces); as many
/// times as fit max_string_bytes whole (never a cut number); empty for no times.
std::string times_text(const std::vector<double>& times_s);

/// The message sequence for one outcome, in the order the device expects.
std::vector<Message> export_messages(const ExportOutcome& outcome);

}  // namespace mixscout::osc
