#include "config/pattern.hpp"

#include <re2/re2.h>

#include "core/error.hpp"

namespace mixscout::config {

namespace {
std::shared_ptr<const re2::RE2> compile(const std::string& pattern) {
    re2::RE2::Options options;
    options.set_case_sensitive(false);
    options.set_log_errors(false);  // the error goes into our one-line message instead of stderr
    return std::make_shared<const re2::RE2>(pattern, options);
}
}  // namespace

Pattern::Pattern(const std::string& pattern) : re_(compile(pattern)) {
    if (!re_->ok()) throw InputError("'" + pattern + "' is not a valid regular expression (" + re_->error() + ")");
}

bool Pattern::search(std::string_view text) const {
    return re2::RE2::PartialMatch(re2::StringPiece(text.data(), text.size()), *re_);
}

std::string Pattern::error_of(const std::string& pattern) {
    const auto re = compile(pattern);
    return re->ok() ? std::string() : re->error();
}

}  // namespace mixscout::config
