// Fuzz target: a file's bytes into the decoder front end (audio/decoder.hpp: libsndfile for WAV,
// AIFF, FLAC, Ogg/Opus; libvorbisfile for Ogg/Vorbis; libmpg123 for MP3), decoded to the end. An InputError is the expected answer to a bad
// file; a crash, a sanitizer report, a leak or a timeout is a finding. The bytes go through a
// real file, as the daemon reads them.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>

#include "audio/decoder.hpp"
#include "core/error.hpp"

namespace {
std::string scratch_file() {
    const char* dir = std::getenv("TMPDIR");
    return std::string(dir && *dir ? dir : "/tmp") + "/mixscout-fuzz-" + std::to_string(::getpid()) + ".audio";
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace mixscout;
    static const std::string path = scratch_file();
    if (std::FILE* f = std::fopen(path.c_str(), "wb")) {
        std::fwrite(data, 1, size, f);
        std::fclose(f);
    }
    try {
        audio::Decoder d(path, 1024);
        for (int blocks = 0; blocks < 4096 && d.read().frames() > 0; ++blocks) {
        }
    } catch (const InputError&) {
    }
    return 0;
}
