#include "stems/roles.hpp"

#include <cctype>

namespace mixscout::stems {

std::vector<std::string> name_words(std::string_view name) {
    std::vector<std::string> words;
    std::string cur;
    auto flush = [&] {
        if (!cur.empty()) words.push_back(cur);
        cur.clear();
    };
    for (std::size_t i = 0; i < name.size(); ++i) {
        const unsigned char c = static_cast<unsigned char>(name[i]);
        if (!std::isalnum(c)) {
            flush();
            continue;
        }
        if (!cur.empty()) {
            const unsigned char prev = static_cast<unsigned char>(name[i - 1]);
            const bool digit_edge = std::isdigit(c) != std::isdigit(prev);
            const bool camel = std::isupper(c) && std::islower(prev);
            if (digit_edge || camel) flush();
        }
        cur += static_cast<char>(std::tolower(c));
    }
    flush();
    return words;
}

std::string role_from_name(std::string_view name, const std::vector<std::pair<std::string, std::vector<std::string>>>& keywords) {
    const std::vector<std::string> words = name_words(name);
    std::string joined;  // for multi-word keywords ("bass drum" -> "bassdrum")
    for (const std::string& w : words) joined += w;
    for (const auto& [role, keys] : keywords)
        for (const std::string& key : keys) {
            std::string k;
            for (char c : key)
                if (std::isalnum(static_cast<unsigned char>(c))) k += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            if (k.empty()) continue;
            for (const std::string& w : words)
                if (w.rfind(k, 0) == 0) return role;
            if (k.size() >= 6 && joined.find(k) != std::string::npos) return role;
        }
    return {};
}

std::string role_from_features(double centroid_hz, double low_share, bool percussive) {
    if (low_share >= 0.5) return percussive ? "kick" : (centroid_hz < 70.0 ? "sub" : "bass");
    if (percussive) return centroid_hz >= 4000.0 ? "hat" : "perc";
    if (centroid_hz < 250.0) return "bass";
    return "other";
}

RoleGuess guess_role(std::string_view name, const std::map<std::string, std::string>& overrides,
                     const std::vector<std::pair<std::string, std::vector<std::string>>>& keywords,
                     double centroid_hz, double low_share, bool percussive) {
    auto lower = [](std::string_view s) {
        std::string out;
        for (char c : s) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return out;
    };
    const std::string key = lower(name);
    for (const auto& [track, role] : overrides)
        if (lower(track) == key) return {role, "config"};
    if (std::string r = role_from_name(name, keywords); !r.empty()) return {r, "name"};
    return {role_from_features(centroid_hz, low_share, percussive), "spectrum"};
}

}  // namespace mixscout::stems
