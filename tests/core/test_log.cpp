// core/log: what goes into a log line. The audit wrote names and OSC notes with newlines and
// escape sequences that went raw to the terminal, and lines without a bound.
#include <gtest/gtest.h>

#include <string>

#include "core/log.hpp"

using mixscout::log::printable;

TEST(LogPrintable, ControlCharactersCannotForgeLinesOrDriveTheTerminal) {
    EXPECT_EQ(printable("note\n12:00:00.000 mixscout info: forged"), "note\\n12:00:00.000 mixscout info: forged");
    EXPECT_EQ(printable("red \x1b[31mtext\x1b[0m\r\t\x07"), "red \\e[31mtext\\e[0m\\r\\t\\x07");
    EXPECT_EQ(printable(std::string("nul\0byte", 8)), "nul\\x00byte");
    EXPECT_EQ(printable("del\x7f"), "del\\x7f");
}

TEST(LogPrintable, ValidUtf8IsKeptInvalidBytesAreEscaped) {
    EXPECT_EQ(printable("Caf\xc3\xa9 \xe2\x80\x94 \xf0\x9f\x8e\xb5"), "Caf\xc3\xa9 \xe2\x80\x94 \xf0\x9f\x8e\xb5");  // é — 🎵
    EXPECT_EQ(printable("caf\xe9.wav"), "caf\\xe9.wav");          // Latin-1 é: not UTF-8
    EXPECT_EQ(printable("\xc0\xaf"), "\\xc0\\xaf");                // overlong '/'
    EXPECT_EQ(printable("\xed\xa0\x80"), "\\xed\\xa0\\x80");       // a UTF-16 surrogate
    EXPECT_EQ(printable("\xe2\x80"), "\\xe2\\x80");                // cut short
}

TEST(LogPrintable, LinesAreBounded) {
    const std::string note(100000, 'x');
    const std::string line = printable(note);
    EXPECT_EQ(line, std::string(mixscout::log::max_message_bytes, 'x') + " ...(" +
                        std::to_string(100000 - mixscout::log::max_message_bytes) + " more bytes)");
}
