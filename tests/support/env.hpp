// Test support: sets (or unsets, with nullopt) an environment variable for a scope, then restores
// it. On Windows through _putenv_s (an empty value unsets there).
#pragma once
#include <cstdlib>
#include <optional>
#include <string>

namespace mixscout::test {

class EnvVar {
public:
    EnvVar(const char* name, std::optional<std::string> value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old;
        set(value);
    }
    ~EnvVar() { set(old_); }
    EnvVar(const EnvVar&) = delete;
    EnvVar& operator=(const EnvVar&) = delete;

private:
    void set(const std::optional<std::string>& value) {
#ifdef _WIN32
        ::_putenv_s(name_, value ? value->c_str() : "");
#else
        if (value) ::setenv(name_, value->c_str(), 1);
        else ::unsetenv(name_);
#endif
    }
    const char* name_;
    std::optional<std::string> old_;
};

}  // namespace mixscout::test
