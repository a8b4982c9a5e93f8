#include "rules/rules.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>

#include "core/error.hpp"
#include "core/units.hpp"
#include "rules/material.hpp"
#include "rules/evaluator.hpp"

namespace mixscout::rules {

using detail::Evaluator;
using detail::Profile;

namespace detail {

std::vector<Issue> Evaluator::run() {
    // A silent or near-silent export is the finding: nothing else about it means anything.
    if (silent_export()) {
        rank(out_);
        return std::move(out_);
    }
    const bool silent = a_.loudness.integrated_lufs <= silent_lufs;
    if (!silent) material_ = material_of(a_, cfg_);
    const bool clipped = float_overs() || clipping();
    if (!clipped) {
        true_peak();
        if (p_.premaster) headroom(silent);
    }
    if (!silent) {
        loudness();
        dynamics();
        tonal();
        if (a_.format.channels == 2) stereo();
        dc_offset();
        silence();
    }
    format();
    // A phase problem (whole file or bass) is the cause of the mono loss: report it once, in the
    // phase finding, at the higher of the two severities.
    const auto phase = std::find_if(out_.begin(), out_.end(), [](const Issue& i) { return i.rule == "phase" || i.rule == "phase.low" || i.rule == "phase.band"; });
    const auto loss = std::find_if(out_.begin(), out_.end(), [](const Issue& i) { return i.rule == "stereo.mono_loss"; });
    if (phase != out_.end() && loss != out_.end()) {
        phase->severity = std::min(phase->severity, loss->severity);  // enum order: critical first
        phase->detail += "; the mono fold-down loses " + num(a_.stereo.mono_loss_db) + " dB (at most " +
                         num(r_.stereo.mono_loss.max_loss_db) + ")";
        out_.erase(loss);
    }
    rank(out_);
    return std::move(out_);
}

Issue& Evaluator::add(std::string rule, std::string category, Severity sev) {
    Issue& i = out_.emplace_back();
    i.target_source = rule_source(rule);  // the rule's threshold in the config, unless set below
    i.rule = std::move(rule);
    i.category = std::move(category);
    i.severity = sev;
    return i;
}

/// "Utility on the master (first device): Gain -X dB" so the peaks land at peak_target_dbfs.
std::string Evaluator::gain_down_fix(double peak_db) const {
    if (p_.premaster) {
        const double target = r_.headroom.peak_target_dbfs;
        const double cut = std::max(1.0, half_db_up(peak_db - target));
        return "Utility on the master (first device): Gain -" + num(cut) + " dB, so peaks sit near " + num(target) +
               " dBFS; switch off any Limiter on the master for the mix export";
    }
    const double cut = std::max(0.5, half_db_up(peak_db - p_.ceiling_dbtp));
    return "Utility before the Limiter on the master: -" + num(cut) + " dB, and Limiter Ceiling " + num(p_.ceiling_dbtp) +
           " dB with True Peak on";
}

}  // namespace detail

namespace {

using namespace detail;

Profile read_profile(const config::Config& cfg, std::string_view name) {
    const auto& profiles = cfg.settings().profiles;
    const config::Profile* c = profiles.find(name);
    if (!c) throw InputError("unknown profile '" + std::string(name) + "' (one of: " + profiles.joined_names() + ")");
    Profile p;
    p.name = std::string(name);
    p.premaster = c->kind == config::ProfileKind::premaster;
    p.target_lufs = c->target_lufs;
    p.louder_tolerance_lu = c->louder_tolerance_lu;
    p.quieter_tolerance_lu = c->quieter_tolerance_lu;
    p.ceiling_dbtp = c->ceiling_dbtp;
    return p;
}

}  // namespace

std::vector<Issue> evaluate(const analysis::Analysis& a, const config::Config& cfg, std::string_view profile) {
    return Evaluator(a, cfg, read_profile(cfg, profile)).run();
}

std::vector<std::string> profile_names(const config::Config& cfg) { return cfg.settings().profiles.names(); }

TonalTarget tonal_target(const analysis::Analysis& a, const config::Config& cfg) {
    Evaluator e(a, cfg, Profile{});
    return e.tonal_target();
}

ProfileTargets profile_targets(const config::Config& cfg, std::string_view profile) {
    const Profile p = read_profile(cfg, profile);
    ProfileTargets t;
    t.name = p.name;
    t.premaster = p.premaster;
    t.target_lufs = p.target_lufs;
    t.louder_tolerance_lu = p.louder_tolerance_lu;
    t.quieter_tolerance_lu = p.quieter_tolerance_lu;
    t.ceiling_dbtp = p.ceiling_dbtp;
    t.plr_min_db = cfg.settings().rules.dynamics.plr_min_db;
    t.psr_min_db = cfg.settings().rules.dynamics.psr_min_db;
    t.saturated_share = cfg.settings().rules.dynamics.saturated_share;
    t.saturated_crest_db = cfg.settings().rules.dynamics.saturated_crest_db;
    return t;
}

Material material_of(const analysis::Analysis& a, const config::Config& cfg) {
    const config::Tonal& tonal = cfg.settings().tonal;
    if (tonal.choose == config::CurveChoice::automatic) return classify(a, cfg);
    Material m;
    m.curve = tonal.curve;
    m.family = m.curve == tonal.classifier.acoustic_curve ? "acoustic" : "modern";
    m.why = "tonal.choose: fixed, tonal.curve: " + m.curve;
    return m;
}

nlohmann::json to_json(const Material& m) {
    return nlohmann::json{{"family", m.family},
                          {"curve", m.curve},
                          {"votes", m.votes},
                          {"voters", m.voters},
                          {"why", m.why},
                          {"tilt_db_per_octave", m.tilt_db_per_octave},
                          {"plr_db", m.plr_db},
                          {"low_side_db", m.low_side_db},
                          {"low_share_db", m.low_share_db}};
}

std::string explain_line(const Issue& issue) {
    if (issue.target_source.empty()) return {};
    const std::string unit = issue.unit.empty() ? "" : " " + issue.unit;
    const int decimals = issue.unit == "" ? 2 : 1;
    return "measured " + num(issue.value, decimals) + unit + ", target " + num(issue.target, decimals) + unit + " (from " +
           issue.target_source + ")";
}

void check_profile(const config::Config& cfg, std::string_view profile) {
    (void)read_profile(cfg, profile);
    (void)target_curve(cfg.settings().tonal);
}

std::vector<Issue> top(const std::vector<Issue>& ranked, std::size_t n) {
    return {ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(std::min(n, ranked.size()))};
}

std::string format_time(double seconds) {
    const long long t = seconds > 0 ? static_cast<long long>(std::floor(seconds)) : 0;
    char buf[32];
    if (t >= 3600) std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", t / 3600, (t / 60) % 60, t % 60);
    else std::snprintf(buf, sizeof buf, "%lld:%02lld", t / 60, t % 60);
    return buf;
}

std::string summary_line(const Issue& issue, int position) {
    std::string sev(to_string(issue.severity));
    std::transform(sev.begin(), sev.end(), sev.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return sev + " " + std::to_string(position) + ". " + issue.title + " \u2014 " + issue.fix;
}

}  // namespace mixscout::rules

