#include "osc/outcome.hpp"

namespace mixscout::osc {

std::vector<ExportOutcome::Fix> top_fixes(const std::vector<rules::Issue>& ranked) {
    std::vector<ExportOutcome::Fix> out;
    for (const auto& i : ranked) {
        if (out.size() == 3) break;
        out.push_back({std::string(rules::to_string(i.severity)), i.title, i.fix});
    }
    return out;
}

std::vector<Message> export_messages(const ExportOutcome& o) {
    std::vector<Message> msgs;
    msgs.push_back(make_message("/mixscout/export", o.path, o.song, o.iteration));
    int rank = 0;
    for (const auto& f : o.fixes) msgs.push_back(make_message("/mixscout/fix", ++rank, f.severity, f.title, f.fix));
    msgs.push_back(make_message("/mixscout/fixes_end", rank));
    if (!o.verdict.empty()) msgs.push_back(make_message("/mixscout/verdict", o.verdict, o.summary));
    if (!o.stop_reason.empty()) msgs.push_back(make_message("/mixscout/stop", o.stop_reason));
    return msgs;
}

}  // namespace mixscout::osc
