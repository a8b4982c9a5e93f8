// core/format.hpp: printf-style formatting of one number, checked against the C library's own
// rules (the expected strings are what printf prints).
#include <gtest/gtest.h>

#include <string>

#include "core/format.hpp"

namespace mixscout {
namespace {

TEST(Format, OneNumberAsPrintfPrintsIt) {
    EXPECT_EQ(fmt("%.0f Hz", 80.4), "80 Hz");
    EXPECT_EQ(fmt("%+.1f dB", 3.0), "+3.0 dB");
    EXPECT_EQ(fmt("bell at %.1f kHz, Q 1.5", 2.25), "bell at 2.2 kHz, Q 1.5");  // 2.25 is exact: ties go to even
    EXPECT_EQ(fmt("no number", 1.0), "no number");
}

TEST(Format, LongerThanTheSmallBuffer) {
    const std::string s = fmt("%300.1f", 1.5);  // right-aligned in 300 characters
    EXPECT_EQ(s.size(), 300u);
    EXPECT_EQ(s.substr(295), "  1.5");
    EXPECT_EQ(s.find_first_not_of(' '), 297u);
}

}  // namespace
}  // namespace mixscout
