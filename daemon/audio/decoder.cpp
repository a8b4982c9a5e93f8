#include "audio/decoder.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <mpg123.h>
#include <sndfile.h>
#define OV_EXCLUDE_STATIC_CALLBACKS  // its stdio callbacks: unused here, and static in every includer
#include <ogg/ogg.h>
#include <vorbis/vorbisfile.h>
#ifdef _WIN32
#include <io.h>
#ifndef WIN32_LEAN_AND_MEAN  // no winsock.h: Asio, in other unity files, wants winsock2.h
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>
#else
#include <unistd.h>
#endif

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <system_error>
#include <utility>
#include <vector>

#include "core/content_hash.hpp"
#include "core/error.hpp"

namespace mixscout::audio {
namespace {

// ---- header sanity (half-written exports) ----------------------------------------------------
// libsndfile quietly clamps a WAV/AIFF whose header declares more data than the file holds, and
// reads a WAV whose data size is still the 0 placeholder as empty. Both mean "not finished
// writing"; we read the declared size ourselves to tell.

struct DeclaredSize {
    bool known = false;
    std::int64_t frames = 0;     ///< what the header says
    std::int64_t available = 0;  ///< what the file holds, in frames
};

std::uint32_t le32(const unsigned char* p) { return p[0] | (p[1] << 8) | (p[2] << 16) | (std::uint32_t(p[3]) << 24); }
std::uint16_t le16(const unsigned char* p) { return static_cast<std::uint16_t>(p[0] | (p[1] << 8)); }
std::uint32_t be32(const unsigned char* p) { return (std::uint32_t(p[0]) << 24) | (p[1] << 16) | (p[2] << 8) | p[3]; }

DeclaredSize wav_declared_size(std::ifstream& in, std::int64_t file_size) {
    DeclaredSize d;
    std::int64_t pos = 12;
    std::uint16_t block_align = 0;
    for (int guard = 0; guard < 64 && pos + 8 <= file_size; ++guard) {
        unsigned char h[8];
        in.seekg(pos);
        if (!in.read(reinterpret_cast<char*>(h), 8)) break;
        const std::uint32_t size = le32(h + 4);
        if (std::memcmp(h, "fmt ", 4) == 0 && size >= 14) {
            unsigned char f[14];
            if (!in.read(reinterpret_cast<char*>(f), 14)) break;
            block_align = le16(f + 12);
        } else if (std::memcmp(h, "data", 4) == 0) {
            // 0xFFFFFFFF (and 0x7FFFFFFF..) are "unknown length" markers of streaming writers;
            // libsndfile then reads to the end of the file, which is what we want too.
            if (block_align == 0 || size >= 0x7FFFFFFFu) return d;
            d.known = true;
            d.frames = size / block_align;
            d.available = std::max<std::int64_t>(0, file_size - (pos + 8)) / block_align;
            return d;
        }
        pos += 8 + static_cast<std::int64_t>(size) + (size & 1u);
    }
    return d;
}

DeclaredSize aiff_declared_size(std::ifstream& in, std::int64_t file_size, std::int64_t libsndfile_frames) {
    DeclaredSize d;
    std::int64_t pos = 12;
    for (int guard = 0; guard < 64 && pos + 8 <= file_size; ++guard) {
        unsigned char h[8];
        in.seekg(pos);
        if (!in.read(reinterpret_cast<char*>(h), 8)) break;
        const std::uint32_t size = be32(h + 4);
        if (std::memcmp(h, "COMM", 4) == 0 && size >= 6) {
            unsigned char c[6];
            if (!in.read(reinterpret_cast<char*>(c), 6)) break;
            d.known = true;
            d.frames = be32(c + 2);
            d.available = libsndfile_frames;  // libsndfile sizes it from the SSND bytes present
            return d;
        }
        pos += 8 + static_cast<std::int64_t>(size) + (size & 1u);
    }
    return d;
}

std::string container_name(int major) {
    switch (major) {
        case SF_FORMAT_WAV: return "wav";
        case SF_FORMAT_WAVEX: return "wav";
        case SF_FORMAT_RF64: return "rf64";
        case SF_FORMAT_W64: return "w64";
        case SF_FORMAT_AIFF: return "aiff";
        case SF_FORMAT_CAF: return "caf";
        case SF_FORMAT_FLAC: return "flac";
        case SF_FORMAT_OGG: return "ogg";
        case SF_FORMAT_MPEG: return "mp3";
        case SF_FORMAT_AU: return "au";
        case SF_FORMAT_RAW: return "raw";
        default: return "other";
    }
}

void encoding_of(int sub, std::string& name, int& bits) {
    bits = 0;
    switch (sub) {
        case SF_FORMAT_PCM_S8: name = "pcm_8"; bits = 8; break;
        case SF_FORMAT_PCM_U8: name = "pcm_u8"; bits = 8; break;
        case SF_FORMAT_PCM_16: name = "pcm_16"; bits = 16; break;
        case SF_FORMAT_PCM_24: name = "pcm_24"; bits = 24; break;
        case SF_FORMAT_PCM_32: name = "pcm_32"; bits = 32; break;
        case SF_FORMAT_FLOAT: name = "float"; break;
        case SF_FORMAT_DOUBLE: name = "double"; break;
        case SF_FORMAT_VORBIS: name = "vorbis"; break;
        case SF_FORMAT_OPUS: name = "opus"; break;
        case SF_FORMAT_MPEG_LAYER_I: name = "mp1"; break;
        case SF_FORMAT_MPEG_LAYER_II: name = "mp2"; break;
        case SF_FORMAT_MPEG_LAYER_III: name = "mp3"; break;
        case SF_FORMAT_ULAW: name = "ulaw"; break;
        case SF_FORMAT_ALAW: name = "alaw"; break;
        default: name = "other"; break;
    }
}

std::string one_line(std::string s) {
    std::replace(s.begin(), s.end(), '\n', ' ');
    while (!s.empty() && (s.back() == ' ' || s.back() == '.')) s.pop_back();
    return s;
}

/// The container a file's first bytes announce ("" when none we read).
std::string container_of_magic(const std::filesystem::path& path) {
    unsigned char h[12] = {};
    std::ifstream in(path, std::ios::binary);
    in.read(reinterpret_cast<char*>(h), sizeof h);
    const auto got = in.gcount();
    auto is = [&](const char* m, int at = 0) { return got >= at + 4 && std::memcmp(h + at, m, 4) == 0; };
    if ((is("RIFF") || is("RF64") || is("BW64")) && (got < 12 || is("WAVE", 8))) return "WAV";
    if (is("FORM")) return "AIFF";
    if (is("fLaC")) return "FLAC";
    if (is("OggS")) return "Ogg";
    // ID3v2: "ID3", version 2-4, then (when present) four 7-bit size bytes. MPEG frame sync: 11
    // set bits, a version and a layer that are not "reserved".
    const bool id3 = got >= 4 && std::memcmp(h, "ID3", 3) == 0 && h[3] >= 2 && h[3] <= 4 &&
                     (got < 10 || ((h[6] | h[7] | h[8] | h[9]) & 0x80) == 0);
    const bool sync = got >= 2 && h[0] == 0xFF && (h[1] & 0xE0) == 0xE0 && (h[1] & 0x18) != 0x08 && (h[1] & 0x06) != 0;
    if (id3 || sync) return "MP3";
    return "";
}

/// Why libsndfile could not open a file, in our words: a file that starts like an audio container
/// but cannot be opened was cut short or damaged (the usual case is an export still being
/// written); libsndfile's own text ("... (possibly a pipe?)", "Unspecified internal error") is not
/// about ordinary files and is not passed on.
std::string open_error(const std::filesystem::path& path, std::int64_t size) {
    const std::string container = container_of_magic(path);
    if (!container.empty())
        return "truncated or damaged: starts as " + container + " but its header cannot be read (" + std::to_string(size) +
               " bytes)";
    return "not an audio file (WAV, AIFF, FLAC, Ogg/Vorbis or MP3)";
}

}  // namespace

// Positioned reads of a read-only descriptor. Windows has no pread(); there the descriptor is
// opened in binary mode (text mode would translate CR/LF inside the audio) and not inherited
// (CreateFileW's handles are not, without SECURITY_ATTRIBUTES saying so).
namespace {
int open_read_only(const std::filesystem::path& path) {
#ifdef _WIN32
    // Shared for delete too (_wopen never is): Live may replace or rename an export while it is
    // decoded, as on POSIX; the hash check then sees the file changed.
    const HANDLE h = ::CreateFileW(path.c_str(), GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                                   nullptr, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr);
    if (h == INVALID_HANDLE_VALUE) {
        errno = ::GetLastError() == ERROR_FILE_NOT_FOUND || ::GetLastError() == ERROR_PATH_NOT_FOUND ? ENOENT : EACCES;
        return -1;
    }
    const int fd = ::_open_osfhandle(reinterpret_cast<intptr_t>(h), _O_RDONLY | _O_BINARY);
    if (fd < 0) ::CloseHandle(h);
    return fd;
#else
    return ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
#endif
}
std::int64_t read_at(int fd, char* out, std::size_t bytes, std::int64_t offset) {
#ifdef _WIN32
    if (::_lseeki64(fd, offset, SEEK_SET) < 0) return -1;
    return ::_read(fd, out, static_cast<unsigned>(bytes));
#else
    ssize_t got;
    do got = ::pread(fd, out, bytes, static_cast<off_t>(offset));
    while (got < 0 && errno == EINTR);
    return got;
#endif
}

// ---- Ogg pages (RFC 3533): 27 header bytes ("OggS", version, flags, granule, serial, sequence,
// CRC, segment count), the segment table, then the body.
constexpr std::size_t ogg_header_bytes = 27;
constexpr std::size_t ogg_max_page_bytes = ogg_header_bytes + 255 + 255 * 255;
constexpr unsigned char ogg_flag_last_page = 0x04;

/// The Ogg codecs libsndfile reads and libvorbisfile does not, told by the first packet's start:
/// Opus ("OpusHead") and FLAC ("\x7fFLAC"). Anything else that starts with "OggS" is Vorbis's to
/// accept or refuse.
bool ogg_is_opus_or_flac(int fd) {
    // As libsndfile classifies a stream: its first page that libogg accepts (capture pattern and
    // checksum; garbage and damaged pages before it are skipped), by that page's first packet.
    // Raw bytes at offset 0 are not enough: a first page with a bad checksum said "Opus" here
    // while libsndfile went on to a Vorbis page and leaked in its Vorbis open (fuzz_decoder).
    ogg_sync_state sync;
    ogg_sync_init(&sync);
    constexpr std::size_t probe_bytes = 64 * 1024;
    char* buffer = ogg_sync_buffer(&sync, static_cast<long>(probe_bytes));
    const std::int64_t got = buffer ? read_at(fd, buffer, probe_bytes, 0) : -1;
    bool opus_or_flac = false;
    if (got > 0 && ogg_sync_wrote(&sync, static_cast<long>(got)) == 0) {
        ogg_page page;
        int r;
        while ((r = ogg_sync_pageout(&sync, &page)) < 0) {
        }  // < 0: bytes skipped to the next capture pattern
        if (r == 1 && page.body_len >= 8)
            opus_or_flac = std::memcmp(page.body, "OpusHead", 8) == 0 || std::memcmp(page.body, "\x7f" "FLAC", 5) == 0;
    }
    ogg_sync_clear(&sync);
    return opus_or_flac;
}

/// Whether the file ends with a whole Ogg page flagged as the last of its stream. A writer sets
/// the flag on the page it writes last; a file cut off (or still being written) ends without it,
/// often inside a page. libvorbisfile does not look: it takes the last whole page's position as
/// the length, so a half-written export would decode cleanly as a shorter song.
bool ogg_ends_with_last_page(int fd, std::int64_t size) {
    const auto tail_bytes = static_cast<std::size_t>(std::min<std::int64_t>(size, ogg_max_page_bytes));
    std::vector<unsigned char> tail(tail_bytes);
    if (read_at(fd, reinterpret_cast<char*>(tail.data()), tail_bytes, size - static_cast<std::int64_t>(tail_bytes)) !=
        static_cast<std::int64_t>(tail_bytes))
        return false;
    // The last page is the one whose header, segment table and body end exactly at the end.
    for (std::size_t at = tail_bytes >= ogg_header_bytes ? tail_bytes - ogg_header_bytes + 1 : 0; at-- > 0;) {
        if (std::memcmp(tail.data() + at, "OggS", 4) != 0) continue;
        const std::size_t segments = tail[at + 26];
        if (at + ogg_header_bytes + segments > tail_bytes) continue;
        std::size_t page_bytes = ogg_header_bytes + segments;
        for (std::size_t i = 0; i < segments; ++i) page_bytes += tail[at + ogg_header_bytes + i];
        if (at + page_bytes == tail_bytes) return (tail[at + 5] & ogg_flag_last_page) != 0;
    }
    return false;
}
}  // namespace

// ---- reading ----------------------------------------------------------------------------------
// libsndfile reads PCM through its own 8 kB buffer, one read() system call each: 8 800 calls for a
// 4-minute 24-bit export, which perf put at ~10 % of `analyze` (kernel entry and copy). Through
// virtual I/O it reads from this 1 MiB read-ahead buffer instead (69 calls). Plain reads, not
// mmap: a file truncated while mapped (Live re-exporting over it) would SIGBUS the daemon.
struct Decoder::FileReader {
    static constexpr std::size_t buffer_bytes = 1 << 20;
    int fd = -1;
    bool owns_fd = true;         // false: a second reader over the decoder's descriptor
    sf_count_t size = 0;
    sf_count_t pos = 0;          // libsndfile's file position
    sf_count_t buffer_at = 0;    // file offset of buffer[0]
    sf_count_t buffered = 0;     // valid bytes in buffer
    std::vector<char> buffer;

    ~FileReader() {
#ifdef _WIN32
        if (fd >= 0 && owns_fd) ::_close(fd);
#else
        if (fd >= 0 && owns_fd) ::close(fd);
#endif
    }

    static FileReader& of(void* user) { return *static_cast<FileReader*>(user); }
    static sf_count_t get_filelen(void* user) { return of(user).size; }
    static sf_count_t tell(void* user) { return of(user).pos; }
    static sf_count_t write(const void*, sf_count_t, void*) { return 0; }
    static sf_count_t seek(sf_count_t offset, int whence, void* user) {
        FileReader& r = of(user);
        const sf_count_t base = whence == SEEK_CUR ? r.pos : whence == SEEK_END ? r.size : 0;
        if (base + offset < 0) return -1;
        r.pos = base + offset;
        return r.pos;
    }
    // libmpg123's reader callbacks (mpg123_replace_reader_handle): the same buffer and position.
    static mpg123_ssize_t mpg123_read(void* user, void* ptr, std::size_t count) {
        return static_cast<mpg123_ssize_t>(read(ptr, static_cast<sf_count_t>(count), user));
    }
    static off_t mpg123_seek(void* user, off_t offset, int whence) {
        return static_cast<off_t>(seek(static_cast<sf_count_t>(offset), whence, user));
    }
    // libvorbisfile's (ov_callbacks): the same again. No close: the Decoder closes fd.
    static std::size_t vorbis_read(void* ptr, std::size_t size, std::size_t items, void* user) {
        if (size == 0) return 0;
        return static_cast<std::size_t>(read(ptr, static_cast<sf_count_t>(size * items), user)) / size;
    }
    static int vorbis_seek(void* user, ogg_int64_t offset, int whence) {
        return seek(static_cast<sf_count_t>(offset), whence, user) < 0 ? -1 : 0;
    }
    static long vorbis_tell(void* user) { return static_cast<long>(of(user).pos); }
    static sf_count_t read(void* ptr, sf_count_t count, void* user) {
        FileReader& r = of(user);
        char* out = static_cast<char*>(ptr);
        sf_count_t done = 0;
        while (done < count) {
            if (r.pos >= r.buffer_at && r.pos < r.buffer_at + r.buffered) {
                const sf_count_t n = std::min(count - done, r.buffer_at + r.buffered - r.pos);
                std::memcpy(out + done, r.buffer.data() + (r.pos - r.buffer_at), static_cast<std::size_t>(n));
                done += n;
                r.pos += n;
                continue;
            }
            const std::int64_t got = read_at(r.fd, r.buffer.data(), r.buffer.size(), r.pos);
            if (got <= 0) break;  // end of file or an error: libsndfile sees a short read
            r.buffer_at = r.pos;
            r.buffered = got;
        }
        return done;
    }
};

void Decoder::fail(DecodeError::Kind kind, const std::string& what) const { throw DecodeError(kind, path_.string() + ": " + what); }

Decoder::Decoder(const std::filesystem::path& path, std::size_t block_frames)
    : path_(path), block_frames_(std::max<std::size_t>(1, block_frames)) {
    std::error_code ec;
    const auto st = std::filesystem::status(path_, ec);
    if (ec || !std::filesystem::exists(st)) fail(DecodeError::Kind::unreadable, "no such file");
    if (std::filesystem::is_directory(st)) fail(DecodeError::Kind::unreadable, "is a directory, not an audio file");
    if (!std::filesystem::is_regular_file(st)) fail(DecodeError::Kind::unreadable, "not a regular file");
    const auto size = static_cast<std::int64_t>(std::filesystem::file_size(path_, ec));
    if (ec) fail(DecodeError::Kind::unreadable, "cannot read: " + ec.message());
    if (size == 0) fail(DecodeError::Kind::unreadable, "empty file (0 bytes)");
    reader_ = std::make_unique<FileReader>();
    reader_->fd = open_read_only(path_);
    if (reader_->fd < 0) fail(DecodeError::Kind::unreadable, std::string("cannot read: ") + std::strerror(errno));
    reader_->size = size;
    reader_->buffer.resize(FileReader::buffer_bytes);
    opened_ = identity_of_fd();

    const std::string magic = container_of_magic(path_);
    if (magic == "MP3" || (magic == "Ogg" && !ogg_is_opus_or_flac(reader_->fd))) {
        if (magic == "MP3") open_mp3(size);
        else open_vorbis(size);
        buffer_.resize(2 * block_frames_ * static_cast<std::size_t>(info_.channels));
        return;
    }

    SF_VIRTUAL_IO io{&FileReader::get_filelen, &FileReader::seek, &FileReader::read, &FileReader::write, &FileReader::tell};
    SF_INFO sfinfo{};
    file_ = sf_open_virtual(&io, SFM_READ, &sfinfo, reader_.get());
    if (!file_) {
        std::string why = open_error(path_, size);
        fail(why.rfind("truncated", 0) == 0 ? DecodeError::Kind::truncated : DecodeError::Kind::unsupported, why);
    }

    const int major = sfinfo.format & SF_FORMAT_TYPEMASK;
    const int sub = sfinfo.format & SF_FORMAT_SUBMASK;
    info_.sample_rate = sfinfo.samplerate;
    info_.channels = sfinfo.channels;
    info_.container = container_name(major);
    encoding_of(sub, info_.encoding, info_.bit_depth);
    // MP3 and Ogg lengths are estimates (MP3 without a Xing header; Ogg's last granule position,
    // which libsndfile's Ogg decoders can stop short of: its Vorbis decoder, by 5806 frames of
    // wesnoth's northerners.ogg).
    exact_frames_ = major != SF_FORMAT_MPEG && major != SF_FORMAT_OGG;

    auto close_and_fail = [this](DecodeError::Kind kind, const std::string& what) {
        sf_close(file_);
        file_ = nullptr;
        fail(kind, what);
    };
    if (sfinfo.channels < 1 || sfinfo.channels > 2)
        close_and_fail(DecodeError::Kind::unsupported, std::to_string(sfinfo.channels) + " channels; only mono and stereo are supported");
    if (sfinfo.samplerate < 8000 || sfinfo.samplerate > 384000)
        close_and_fail(DecodeError::Kind::unsupported, "sample rate " + std::to_string(sfinfo.samplerate) + " Hz is outside 8000..384000 Hz");
    if (sfinfo.frames == SF_COUNT_MAX)
        close_and_fail(DecodeError::Kind::truncated, "truncated: the stream has no end (length unknown), is it still being written?");

    if (major == SF_FORMAT_WAV || major == SF_FORMAT_WAVEX || major == SF_FORMAT_AIFF) {
        std::ifstream in(path_, std::ios::binary);
        const DeclaredSize d = major == SF_FORMAT_AIFF ? aiff_declared_size(in, size, sfinfo.frames)
                                                       : wav_declared_size(in, size);
        if (d.known && d.frames > d.available)
            close_and_fail(DecodeError::Kind::truncated, "truncated: header says " + std::to_string(d.frames) + " frames, file has " +
                           std::to_string(d.available));
        if (d.known && d.frames == 0 && d.available > 0)
            close_and_fail(DecodeError::Kind::incomplete, "incomplete: header says 0 frames, file has " + std::to_string(d.available) +
                           " (header not finalised; is it still being written?)");
    }
    if (sfinfo.frames <= 0) close_and_fail(DecodeError::Kind::unsupported, "no audio (0 frames)");

    // Integer PCM cannot hold NaN or Inf; float and double samples are checked as they are read.
    float_samples_ = sub == SF_FORMAT_FLOAT || sub == SF_FORMAT_DOUBLE;
    info_.frames = sfinfo.frames;
    info_.duration_s = static_cast<double>(info_.frames) / info_.sample_rate;
    buffer_.resize(2 * block_frames_ * static_cast<std::size_t>(info_.channels));
    // Integer PCM read as float lands in [-1, 1) with full scale = 1.0 (libsndfile's default
    // normalisation); floats are passed through unchanged (may exceed 1.0: that is clipping).
}

// ---- MP3 -------------------------------------------------------------------------------------
// libsndfile decodes MP3 through a libmpg123 handle it makes without MPG123_QUIET, so damaged
// frames made libmpg123 print its own notes ("big_values too large!", "Xing stream size off")
// on the daemon's and the CLI's stderr. Our own handle is quiet and reads through FileReader (the
// same descriptor content_hash() reads). Flags as libsndfile set them: float output, gapless (the
// encoder delay and padding of the LAME/Xing header trimmed), no resampling. The length is
// mpg123_length without mpg123_scan (which would read the whole file): exact from a Xing/Info
// header, else estimated from the file size, hence exact_frames_ = false and read()'s 1 % slack.
void Decoder::open_mp3(std::int64_t size) {
    static const int initialised = mpg123_init();  // a no-op since 1.27; older ones need it once
    (void)initialised;
    int err = MPG123_OK;
    mp3_ = mpg123_new(nullptr, &err);
    if (!mp3_) fail(DecodeError::Kind::unreadable, std::string("cannot start the MP3 decoder: ") + mpg123_plain_strerror(err));
    auto close_and_fail = [this](DecodeError::Kind kind, const std::string& what) {
        mpg123_delete(mp3_);
        mp3_ = nullptr;
        fail(kind, what);
    };
    mpg123_param(mp3_, MPG123_FLAGS, MPG123_QUIET | MPG123_GAPLESS | MPG123_FORCE_FLOAT, 0.0);
    // Float output only, at the stream's own rate and channel count.
    mpg123_format_none(mp3_);
    const long* rates = nullptr;
    std::size_t rate_count = 0;
    mpg123_rates(&rates, &rate_count);
    for (std::size_t i = 0; i < rate_count; ++i) mpg123_format(mp3_, rates[i], MPG123_MONO | MPG123_STEREO, MPG123_ENC_FLOAT_32);
    if (mpg123_replace_reader_handle(mp3_, &FileReader::mpg123_read, &FileReader::mpg123_seek, nullptr) != MPG123_OK ||
        mpg123_open_handle(mp3_, reader_.get()) != MPG123_OK)
        close_and_fail(DecodeError::Kind::unreadable, std::string("cannot open the MP3 decoder: ") + mpg123_strerror(mp3_));
    long rate = 0;
    int channels = 0, encoding = 0;
    // Reads up to the first frame: fails when no MPEG frame follows the ID3 tag or the first
    // bytes (cut off, or not MP3 after all).
    if (mpg123_getformat(mp3_, &rate, &channels, &encoding) != MPG123_OK || encoding != MPG123_ENC_FLOAT_32) {
        const std::string why = open_error(path_, size);
        close_and_fail(why.rfind("truncated", 0) == 0 ? DecodeError::Kind::truncated : DecodeError::Kind::unsupported, why);
    }
    info_.sample_rate = static_cast<int>(rate);
    info_.channels = channels;
    info_.container = "mp3";
    info_.bit_depth = 0;
    mpg123_frameinfo frame{};
    mpg123_info(mp3_, &frame);
    info_.encoding = frame.layer == 1 ? "mp1" : frame.layer == 2 ? "mp2" : "mp3";
    exact_frames_ = false;
    float_samples_ = false;  // libmpg123's synthesis output is bounded: no NaN/Inf to check for
    if (channels < 1 || channels > 2)
        close_and_fail(DecodeError::Kind::unsupported, std::to_string(channels) + " channels; only mono and stereo are supported");
    if (rate < 8000 || rate > 384000)
        close_and_fail(DecodeError::Kind::unsupported, "sample rate " + std::to_string(rate) + " Hz is outside 8000..384000 Hz");
    const off_t frames = mpg123_length(mp3_);
    if (frames < 0)
        close_and_fail(DecodeError::Kind::truncated, "truncated: the stream has no end (length unknown), is it still being written?");
    if (frames == 0) close_and_fail(DecodeError::Kind::unsupported, "no audio (0 frames)");
    info_.frames = static_cast<std::int64_t>(frames);
    info_.duration_s = static_cast<double>(info_.frames) / info_.sample_rate;
}

// ---- Ogg/Vorbis --------------------------------------------------------------------------------
// libsndfile 1.2's ogg_vorbis_open returns vorbis_read_header's error before it sets its close
// function, so every malformed Ogg/Vorbis file it refuses leaks libvorbis' codec setup (5.8 KB a
// file; the audit measured +25 MB per 5,000 opens in a running daemon). libvorbisfile clears its
// state itself when ov_open_callbacks fails, and reads through FileReader like the other two.
// Samples are libvorbis' synthesis output, as libsndfile passed them on (same float values).
void Decoder::open_vorbis(std::int64_t size) {
    vorbis_ = new OggVorbis_File{};
    const ov_callbacks io{&FileReader::vorbis_read, &FileReader::vorbis_seek, nullptr, &FileReader::vorbis_tell};
    const int rc = ov_open_callbacks(reader_.get(), vorbis_, nullptr, 0, io);
    auto close_and_fail = [this](DecodeError::Kind kind, const std::string& what) {
        close_codec();
        fail(kind, what);
    };
    if (rc != 0) {
        delete vorbis_;  // ov_open_callbacks cleared what it had set up: no ov_clear
        vorbis_ = nullptr;
        if (rc == OV_EREAD) fail(DecodeError::Kind::unreadable, "cannot read: I/O error");
        if (rc == OV_EVERSION) fail(DecodeError::Kind::unsupported, "an Ogg/Vorbis version this decoder does not read");
        const std::string why = open_error(path_, size);
        fail(why.rfind("truncated", 0) == 0 ? DecodeError::Kind::truncated : DecodeError::Kind::unsupported, why);
    }
    const vorbis_info* vi = ov_info(vorbis_, 0);
    info_.sample_rate = vi ? static_cast<int>(vi->rate) : 0;
    info_.channels = vi ? vi->channels : 0;
    info_.container = "ogg";
    info_.encoding = "vorbis";
    info_.bit_depth = 0;
    // The length is the last page's granule position, the encoder's claim: a stream whose last
    // packets hold fewer samples ends before it. read()'s 1 % slack, as for MP3.
    exact_frames_ = false;
    // libvorbis' synthesis of a damaged packet is not bounded like libmpg123's: checked per block.
    float_samples_ = true;
    if (info_.channels < 1 || info_.channels > 2)
        close_and_fail(DecodeError::Kind::unsupported, std::to_string(info_.channels) + " channels; only mono and stereo are supported");
    if (info_.sample_rate < 8000 || info_.sample_rate > 384000)
        close_and_fail(DecodeError::Kind::unsupported,
                       "sample rate " + std::to_string(info_.sample_rate) + " Hz is outside 8000..384000 Hz");
    if (!ogg_ends_with_last_page(reader_->fd, size))
        close_and_fail(DecodeError::Kind::truncated, "truncated: the stream has no end (length unknown), is it still being written?");
    const ogg_int64_t frames = ov_pcm_total(vorbis_, -1);
    if (frames <= 0) close_and_fail(DecodeError::Kind::unsupported, "no audio (0 frames)");
    info_.frames = static_cast<std::int64_t>(frames);
    info_.duration_s = static_cast<double>(info_.frames) / info_.sample_rate;
}

std::size_t Decoder::read_vorbis(std::span<float> dst) {
    const auto channels = static_cast<std::size_t>(info_.channels);
    const std::size_t want = dst.size() / channels;
    std::size_t have = 0;
    while (have < want) {
        float** pcm = nullptr;
        int link = 0;
        const long got = ov_read_float(vorbis_, &pcm, static_cast<int>(std::min<std::size_t>(want - have, 1 << 20)), &link);
        if (got == 0) break;
        const std::int64_t frame = position_ + static_cast<std::int64_t>(have);
        if (got < 0) {
            char at[48];
            std::snprintf(at, sizeof at, "%.3f s (frame %lld of %lld)", static_cast<double>(frame) / info_.sample_rate,
                          static_cast<long long>(frame), static_cast<long long>(info_.frames));
            fail(DecodeError::Kind::corrupt, std::string("damaged: the Ogg/Vorbis stream ") +
                 (got == OV_HOLE ? "has a gap (a page missing or failing its checksum)" : "cannot be decoded") + " at " + at);
        }
        const vorbis_info* vi = ov_info(vorbis_, link);
        if (!vi || vi->channels != info_.channels || vi->rate != info_.sample_rate)
            fail(DecodeError::Kind::corrupt, "damaged: the Ogg/Vorbis stream changes format at frame " + std::to_string(frame) + " (" +
                 std::to_string(vi ? vi->rate : 0) + " Hz, " + std::to_string(vi ? vi->channels : 0) + " channels)");
        // libvorbis hands out one buffer per channel: interleave.
        float* out = dst.data() + have * channels;
        for (long i = 0; i < got; ++i)
            for (std::size_t c = 0; c < channels; ++c) *out++ = pcm[c][i];
        have += static_cast<std::size_t>(got);
    }
    return have;
}

namespace {
/// MSB-first bits of a frame body; reads past the end give 0 and set `overrun`.
struct Bits {
    const unsigned char* data;
    std::size_t bytes;
    std::size_t at = 0;  // bit position
    bool overrun = false;
    unsigned get(int n) {
        unsigned v = 0;
        for (int i = 0; i < n; ++i, ++at) {
            if (at / 8 >= bytes) {
                overrun = true;
                return 0;
            }
            v = (v << 1) | ((data[at / 8] >> (7 - at % 8)) & 1u);
        }
        return v;
    }
};

/// Whether libmpg123 conceals this frame rather than decode it as written: its Layer III side
/// information (ISO 11172-3 2.4.1.7; ISO 13818-3 for MPEG-2/2.5) has a window switch with block
/// type 0 (libmpg123: "not allowed", the frame is silenced) or more than 288 big values (it
/// clamps them: "big_values too large!", the frame is a guess). Layers I and II have no side
/// information and are never counted.
bool layer3_frame_concealed(unsigned long header, const unsigned char* body, std::size_t body_bytes) {
    const unsigned version = (header >> 19) & 3u;  // 3: MPEG-1, 2: MPEG-2, 0: MPEG-2.5
    if (((header >> 17) & 3u) != 1u) return false;  // not Layer III
    const bool crc = ((header >> 16) & 1u) == 0;    // protection bit 0: a CRC-16 precedes the side information
    const bool mono = ((header >> 6) & 3u) == 3u;
    const bool lsf = version != 3;  // MPEG-2/2.5: one granule, shorter fields
    const int channels = mono ? 1 : 2;
    Bits b{body, body_bytes};
    b.get(crc ? 16 : 0);
    b.get(lsf ? 8 : 9);                                 // main_data_begin
    b.get(lsf ? (mono ? 1 : 2) : (mono ? 5 : 3));       // private bits
    if (!lsf) b.get(4 * channels);                      // scfsi
    for (int gr = 0; gr < (lsf ? 1 : 2); ++gr) {
        for (int ch = 0; ch < channels; ++ch) {
            b.get(12);                                   // part2_3_length
            const unsigned big_values = b.get(9);
            b.get(8);                                    // global_gain
            b.get(lsf ? 9 : 4);                          // scalefac_compress
            bool bad = big_values > 288;
            if (b.get(1)) {                              // window switching
                const unsigned block_type = b.get(2);
                bad = bad || block_type == 0;
                b.get(1 + 2 * 5 + 3 * 3);                // mixed block, table selects, subblock gains
            } else {
                b.get(3 * 5 + 4 + 3);                    // table selects, region counts
            }
            b.get(lsf ? 2 : 3);                          // (preflag,) scalefac_scale, count1table_select
            if (b.overrun) return false;                 // a short body is the parser's business, not ours
            if (bad) return true;
        }
    }
    return false;
}
}  // namespace

// libmpg123 conceals frames without a word (quiet) and has no counter of them: a second handle
// parses the frames (no decoding: cheap) through a second reader over the same descriptor, and
// each Layer III frame's side information is checked as libmpg123 checks it. Once per decoder.
void Decoder::count_concealed_mp3_frames() {
    concealed_counted_ = true;
    FileReader scan;
    scan.fd = reader_->fd;
    scan.owns_fd = false;
    scan.size = reader_->size;
    scan.buffer.resize(FileReader::buffer_bytes);
    int err = MPG123_OK;
    mpg123_handle* h = mpg123_new(nullptr, &err);
    if (!h) return;
    mpg123_param(h, MPG123_FLAGS, MPG123_QUIET, 0.0);
    if (mpg123_replace_reader_handle(h, &FileReader::mpg123_read, &FileReader::mpg123_seek, nullptr) == MPG123_OK &&
        mpg123_open_handle(h, &scan) == MPG123_OK) {
        for (int rc = mpg123_framebyframe_next(h); rc == MPG123_OK || rc == MPG123_NEW_FORMAT; rc = mpg123_framebyframe_next(h)) {
            unsigned long header = 0;
            unsigned char* body = nullptr;
            std::size_t body_bytes = 0;
            if (mpg123_framedata(h, &header, &body, &body_bytes) != MPG123_OK || !layer3_frame_concealed(header, body, body_bytes))
                continue;
            ++concealed_frames_;
            concealed_samples_ += ((header >> 19) & 3u) == 3u ? 1152 : 576;  // Layer III samples per frame
        }
    }
    mpg123_delete(h);
}

std::size_t Decoder::read_mp3(std::span<float> dst) {
    const auto channels = static_cast<std::size_t>(info_.channels);
    auto* out = reinterpret_cast<unsigned char*>(dst.data());
    const std::size_t want_bytes = dst.size() / channels * channels * sizeof(float);
    std::size_t have_bytes = 0;
    while (have_bytes < want_bytes) {
        std::size_t done = 0;
        const int rc = mpg123_read(mp3_, out + have_bytes, want_bytes - have_bytes, &done);
        have_bytes += done;
        if (rc == MPG123_OK) continue;
        if (rc == MPG123_DONE) break;
        if (rc == MPG123_NEW_FORMAT) {
            long rate = 0;
            int now_channels = 0, encoding = 0;
            mpg123_getformat(mp3_, &rate, &now_channels, &encoding);
            if (rate == info_.sample_rate && now_channels == info_.channels && encoding == MPG123_ENC_FLOAT_32) continue;
            fail(DecodeError::Kind::corrupt, "damaged: the MPEG stream changes format at frame " +
                 std::to_string(position_ + static_cast<std::int64_t>(have_bytes / (channels * sizeof(float)))) + " (" +
                 std::to_string(rate) + " Hz, " + std::to_string(now_channels) + " channels)");
        }
        char at[48];
        const std::int64_t frame = position_ + static_cast<std::int64_t>(have_bytes / (channels * sizeof(float)));
        std::snprintf(at, sizeof at, "%.3f s (frame %lld of %lld)", static_cast<double>(frame) / info_.sample_rate,
                      static_cast<long long>(frame), static_cast<long long>(info_.frames));
        fail(DecodeError::Kind::corrupt, std::string("damaged: the MPEG stream cannot be decoded after ") + at + ": " +
             one_line(mpg123_plain_strerror(mpg123_errcode(mp3_))));
    }
    return have_bytes / (channels * sizeof(float));
}

void Decoder::close_codec() {
    if (file_) sf_close(std::exchange(file_, nullptr));
    if (mp3_) mpg123_delete(std::exchange(mp3_, nullptr));
    if (vorbis_) {
        ov_clear(vorbis_);
        delete std::exchange(vorbis_, nullptr);
    }
}

Decoder::~Decoder() { close_codec(); }

Decoder::Decoder(Decoder&& o) noexcept
    : path_(std::move(o.path_)), reader_(std::move(o.reader_)), file_(std::exchange(o.file_, nullptr)),
      mp3_(std::exchange(o.mp3_, nullptr)), vorbis_(std::exchange(o.vorbis_, nullptr)), info_(std::move(o.info_)),
      buffer_(std::move(o.buffer_)), next_half_(o.next_half_), block_frames_(o.block_frames_), position_(o.position_),
      exact_frames_(o.exact_frames_), float_samples_(o.float_samples_), opened_(o.opened_),
      concealed_counted_(o.concealed_counted_), concealed_frames_(o.concealed_frames_), concealed_samples_(o.concealed_samples_) {}

Decoder& Decoder::operator=(Decoder&& o) noexcept {
    if (this != &o) {
        close_codec();
        path_ = std::move(o.path_);
        reader_ = std::move(o.reader_);
        file_ = std::exchange(o.file_, nullptr);
        mp3_ = std::exchange(o.mp3_, nullptr);
        vorbis_ = std::exchange(o.vorbis_, nullptr);
        info_ = std::move(o.info_);
        buffer_ = std::move(o.buffer_);
        next_half_ = o.next_half_;
        block_frames_ = o.block_frames_;
        position_ = o.position_;
        exact_frames_ = o.exact_frames_;
        float_samples_ = o.float_samples_;
        opened_ = o.opened_;
        concealed_counted_ = o.concealed_counted_;
        concealed_frames_ = o.concealed_frames_;
        concealed_samples_ = o.concealed_samples_;
    }
    return *this;
}

Block Decoder::read() {
    if (!is_open()) return {};
    const std::size_t block_samples = block_frames_ * static_cast<std::size_t>(info_.channels);
    const Block b = read_into(std::span<float>(buffer_.data() + next_half_ * block_samples, block_samples));
    next_half_ ^= 1u;
    return b;
}

Block Decoder::read_into(std::span<float> dst) {
    if (!is_open()) return {};
    const auto frames = static_cast<sf_count_t>(dst.size() / static_cast<std::size_t>(info_.channels));
    const sf_count_t got = frames <= 0 ? 0
                           : mp3_      ? static_cast<sf_count_t>(read_mp3(dst))
                           : vorbis_   ? static_cast<sf_count_t>(read_vorbis(dst))
                                       : sf_readf_float(file_, dst.data(), frames);
    if (got < 0) fail(DecodeError::Kind::corrupt, "decode error: " + one_line(sf_strerror(file_)));
    if (got == 0) {
        const int err = file_ ? sf_error(file_) : SF_ERR_NO_ERROR;  // read_mp3 and read_vorbis throw their errors
        if (err != SF_ERR_NO_ERROR && position_ < info_.frames)
            fail(DecodeError::Kind::truncated, "truncated or corrupt: decoding stopped after " + std::to_string(position_) + " of " +
                 std::to_string(info_.frames) + " frames (" + one_line(sf_strerror(file_)) + ")");
        // A stream that ends short of its declared length is half a file. Inexact lengths (MP3,
        // Ogg: see the constructor) get 1 % slack, at least two MPEG frames. A half-written Ogg
        // has no end page and is refused in the constructor.
        const std::int64_t slack = exact_frames_ ? 0 : std::max<std::int64_t>(info_.frames / 100, 2304);
        if (position_ + slack < info_.frames)
            fail(DecodeError::Kind::truncated, "truncated: header says " + std::to_string(info_.frames) + " frames, file has " +
                 std::to_string(position_));
        if (mp3_ && !concealed_counted_) count_concealed_mp3_frames();
        return {};
    }
    if (float_samples_) refuse_non_finite(dst.first(static_cast<std::size_t>(got) * info_.channels));
    position_ += got;
    return Block{std::span<const float>(dst.data(), static_cast<std::size_t>(got) * info_.channels), info_.channels};
}

void Decoder::refuse_non_finite(std::span<const float> samples) const {
    // One pass, no branch per sample in the common case: NaN and Inf are the values with an
    // all-ones exponent (an Inf added to anything finite stays non-finite, a NaN stays NaN).
    float sum = 0.0f;
    for (const float x : samples) sum += x * 0.0f;
    if (std::isfinite(sum)) return;
    const auto it = std::find_if(samples.begin(), samples.end(), [](float x) { return !std::isfinite(x); });
    const auto index = static_cast<std::int64_t>(it - samples.begin());
    const std::int64_t frame = position_ + index / info_.channels;
    char at[64];
    std::snprintf(at, sizeof at, "%.3f s (frame %lld, channel %lld)", static_cast<double>(frame) / info_.sample_rate,
                  static_cast<long long>(frame), static_cast<long long>(index % info_.channels + 1));
    fail(DecodeError::Kind::corrupt, std::string("damaged: ") + (std::isnan(*it) ? "NaN" : *it > 0 ? "+Inf" : "-Inf") + " sample at " + at +
         "; a float export with NaN or infinite samples cannot be measured (usually a plug-in that blew up: "
         "find it, then export again)");
}

Decoder::Identity Decoder::identity_of_fd() const {
    Identity id;
#ifdef _WIN32
    std::error_code ec;
    id.size = static_cast<std::int64_t>(std::filesystem::file_size(path_, ec));
    id.mtime_ns = std::filesystem::last_write_time(path_, ec).time_since_epoch().count();
#else
    struct stat st {};
    if (::fstat(reader_->fd, &st) == 0) {
        id.device = static_cast<std::uint64_t>(st.st_dev);
        id.inode = static_cast<std::uint64_t>(st.st_ino);
        id.size = static_cast<std::int64_t>(st.st_size);
#ifdef __APPLE__
        const struct timespec& mtime = st.st_mtimespec;
#else
        const struct timespec& mtime = st.st_mtim;
#endif
        id.mtime_ns = static_cast<std::int64_t>(mtime.tv_sec) * 1'000'000'000 + mtime.tv_nsec;
    }
#endif
    return id;
}

void Decoder::check_unchanged() const {
    const char* what = nullptr;
    if (!(identity_of_fd() == opened_)) what = "rewritten";
#ifndef _WIN32
    struct stat at_path {};
    if (!what && (::stat(path_.c_str(), &at_path) != 0 || static_cast<std::uint64_t>(at_path.st_ino) != opened_.inode ||
                  static_cast<std::uint64_t>(at_path.st_dev) != opened_.device))
        what = "replaced";
#endif
    if (what) fail(DecodeError::Kind::changed, std::string("changed while it was being analysed (") + what + "); analysed again once it settles");
}

std::string Decoder::content_hash() const {
    check_unchanged();
    ContentHash h;
    std::vector<char> chunk(FileReader::buffer_bytes);
    for (;;) {
        const std::int64_t got = read_at(reader_->fd, chunk.data(), chunk.size(), static_cast<std::int64_t>(h.bytes()));
        if (got < 0) fail(DecodeError::Kind::unreadable, std::string("read error while hashing: ") + std::strerror(errno));
        if (got == 0) break;
        h.update(std::span<const char>(chunk.data(), static_cast<std::size_t>(got)));
    }
    check_unchanged();  // and still so after the hash's own read
    return h.text();
}

void Decoder::rewind() {
    if (!is_open()) return;
    const bool failed = mp3_ ? mpg123_seek(mp3_, 0, SEEK_SET) < 0 : vorbis_ ? ov_pcm_seek(vorbis_, 0) != 0 : sf_seek(file_, 0, SEEK_SET) < 0;
    if (failed) fail(DecodeError::Kind::unreadable, "cannot seek back to the start");
    position_ = 0;
}

StreamInfo probe(const std::filesystem::path& path) { return Decoder(path, 1).info(); }

}  // namespace mixscout::audio
