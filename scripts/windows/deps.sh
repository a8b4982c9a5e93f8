# Windows dependencies for scripts/test-windows (sourced): each built statically with mingw-w64
# from Debian's source package into $MIXSCOUT_DEPS_CACHE/windows/<pkg>-<version>
# (scripts/lib/debsrc.sh). Order matters: a package finds the ones before it through
# win_prefixes.
WIN_HOST=x86_64-w64-mingw32
WIN_TOOLCHAIN="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/mingw-toolchain.cmake"
win_prefixes=()

win_cmake() {  # a CMake project, static, into $1
  local prefix="$1"; shift
  local joined pc=""; joined="$(IFS=';'; echo "${win_prefixes[*]+"${win_prefixes[*]}"}")"
  for p in "${win_prefixes[@]+"${win_prefixes[@]}"}"; do pc+="$p/lib/pkgconfig:"; done
  # pkg-config sees the Windows prefixes only (never the build machine's JACK or PulseAudio).
  PKG_CONFIG_LIBDIR="$pc" PKG_CONFIG_PATH="" nice -n 10 cmake -S . -B _build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_TOOLCHAIN_FILE="$WIN_TOOLCHAIN" \
    -DMIXSCOUT_WIN_PREFIXES="$joined" -DCMAKE_PREFIX_PATH="$joined" -DCMAKE_INSTALL_PREFIX="$prefix" \
    -DBUILD_SHARED_LIBS=OFF -DBUILD_TESTING=OFF "$@"
  nice -n 10 cmake --build _build -j "$(nproc)"
  cmake --install _build
}
win_autotools() {  # an autotools project, static, into $1
  local prefix="$1"; shift
  local cpp="" ld="" pc=""
  for p in "${win_prefixes[@]+"${win_prefixes[@]}"}"; do cpp+=" -I$p/include"; ld+=" -L$p/lib"; pc+="$p/lib/pkgconfig:"; done
  [ -x configure ] || nice -n 10 autoreconf -fi
  CPPFLAGS="$cpp" LDFLAGS="$ld" PKG_CONFIG_LIBDIR="$pc" nice -n 10 ./configure --host=$WIN_HOST --prefix="$prefix" \
    --enable-static --disable-shared "$@"
  nice -n 10 make -j "$(nproc)"
  make install
}

build_libogg() { win_cmake "$1" -DINSTALL_DOCS=OFF; }
build_libvorbis() { win_cmake "$1"; }
# Its 1.3.1 release lacks a file its CMake build includes (opus_buildtype.cmake): autotools.
build_opus() { win_autotools "$1" --disable-doc --disable-extra-programs; }
build_flac() { win_cmake "$1" -DBUILD_PROGRAMS=OFF -DBUILD_EXAMPLES=OFF -DBUILD_DOCS=OFF -DINSTALL_MANPAGES=OFF -DWITH_OGG=ON -DBUILD_CXXLIBS=OFF; }
build_mpg123() { win_autotools "$1" --disable-components --enable-libmpg123 --with-cpu=generic_dither --disable-modules; }
build_lame() { win_autotools "$1" --disable-frontend --disable-decoder --disable-gtktest; }
build_libsndfile() {
  # Static FLAC: without FLAC__NO_DLL its headers declare dllimport symbols.
  win_cmake "$1" -DBUILD_PROGRAMS=OFF -DBUILD_EXAMPLES=OFF -DENABLE_EXTERNAL_LIBS=ON -DENABLE_MPEG=ON \
    -DCMAKE_C_FLAGS="-DFLAC__NO_DLL" -DENABLE_CPACK=OFF -DINSTALL_MANPAGES=OFF
}
build_fftw3() {
  # FFTW's CMake build misses _mm_malloc's check on mingw (its own aligned malloc then fails).
  # SSE/SSE2 only: its CMake build (unlike its autotools build) adds -mavx/-mavx2 -mfma to every
  # file, so the whole library would need an AVX2 CPU; x86-64 always has SSE2.
  win_cmake "$1" -DENABLE_FLOAT=ON -DENABLE_SSE=ON -DENABLE_SSE2=ON -DENABLE_AVX=OFF -DENABLE_AVX2=OFF \
    -DENABLE_THREADS=OFF -DBUILD_TESTS=OFF -DCMAKE_C_FLAGS="-DHAVE__MM_MALLOC=1"
  # ... and writes a wrong Version into its .pc file; pkg-config only needs the name to resolve.
  sed -i 's/^Version:.*/Version: 3.3.10/' "$1"/lib/pkgconfig/fftw3f.pc
}
build_sqlite3() {
  # Its autotools cross build runs helper programs it built for Windows (lemon, mksourceid): make
  # the amalgamation natively, then compile that one file for Windows.
  local prefix="$1" version
  mkdir -p _native
  (cd _native && ../configure --disable-tcl --disable-readline && nice -n 10 make -j "$(nproc)" sqlite3.c sqlite3.h)
  nice -n 10 $WIN_HOST-gcc -O2 -DSQLITE_THREADSAFE=1 -DSQLITE_ENABLE_MATH_FUNCTIONS -DSQLITE_ENABLE_COLUMN_METADATA \
    -c _native/sqlite3.c -o _native/sqlite3.o
  mkdir -p "$prefix/lib/pkgconfig" "$prefix/include"
  $WIN_HOST-ar rcs "$prefix/lib/libsqlite3.a" _native/sqlite3.o
  cp _native/sqlite3.h src/sqlite3ext.h "$prefix/include/"
  version="$(cat VERSION)"
  printf 'prefix=%s\nlibdir=${prefix}/lib\nincludedir=${prefix}/include\n\nName: SQLite\nDescription: SQL database engine\nVersion: %s\nLibs: -L${libdir} -lsqlite3\nCflags: -I${includedir}\n' \
    "$prefix" "$version" > "$prefix/lib/pkgconfig/sqlite3.pc"
}
build_re2() {
  # Debian's +dfsg tarball drops the generated tables; they are made from unicode-data, as
  # Debian's own build does (REBUILD_TABLES).
  make REBUILD_TABLES=1 re2/perl_groups.cc re2/unicode_casefold.cc re2/unicode_groups.cc
  win_cmake "$1" -DRE2_BUILD_TESTING=OFF
  # Its CMake build (2022-06-01) installs no .pc file; the project finds re2 through pkg-config.
  if [ ! -f "$1/lib/pkgconfig/re2.pc" ]; then
    mkdir -p "$1/lib/pkgconfig"
    printf 'prefix=%s\nlibdir=${prefix}/lib\nincludedir=${prefix}/include\n\nName: re2\nDescription: RE2 regular expressions\nVersion: 0\nLibs: -L${libdir} -lre2\nCflags: -I${includedir}\n' "$1" \
      > "$1/lib/pkgconfig/re2.pc"
  fi
}
build_yaml_cpp() { win_cmake "$1" -DYAML_CPP_BUILD_TESTS=OFF -DYAML_CPP_BUILD_TOOLS=OFF -DYAML_CPP_BUILD_CONTRIB=OFF; }
build_rtaudio() {
  win_cmake "$1" -DRTAUDIO_BUILD_TESTING=OFF -DRTAUDIO_API_WASAPI=ON -DRTAUDIO_API_DS=ON -DRTAUDIO_API_ASIO=OFF \
    -DRTAUDIO_API_JACK=OFF -DRTAUDIO_API_PULSE=OFF -DRTAUDIO_API_ALSA=OFF
  # Its .pc lists -lpthread (CMake then picks winpthread's import library, which clashes with the
  # static one) and none of the system libraries a static link needs: list those instead.
  sed -i 's/^Libs.private:.*/Libs.private: -ldsound -lksuser -lmfplat -lmfuuid -lwmcodecdspuuid -lwinmm -lole32 -luuid/' \
    "$1/lib/pkgconfig/rtaudio.pc"
}
build_oscpack() {
  local prefix="$1"
  sed -i 's/^ADD_LIBRARY(oscpack/ADD_LIBRARY(oscpack STATIC/I' CMakeLists.txt
  local joined; joined="$(IFS=';'; echo "${win_prefixes[*]}")"
  nice -n 10 cmake -S . -B _build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_TOOLCHAIN_FILE="$WIN_TOOLCHAIN" -DMIXSCOUT_WIN_PREFIXES="$joined"
  nice -n 10 cmake --build _build -j "$(nproc)" --target oscpack
  mkdir -p "$prefix/lib" "$prefix/include/oscpack/osc" "$prefix/include/oscpack/ip"
  cp _build/liboscpack.a "$prefix/lib/"
  cp osc/*.h "$prefix/include/oscpack/osc/"; cp ip/*.h "$prefix/include/oscpack/ip/"
}
build_googletest() { win_cmake "$1" -DBUILD_GMOCK=ON -DINSTALL_GTEST=ON -Dgtest_disable_pthreads=OFF; }
build_libebur128() { win_cmake "$1" -DENABLE_INTERNAL_QUEUE_H=ON; }

win_deps() {
  for pkg in libogg libvorbis opus flac mpg123 lame libsndfile fftw3 sqlite3 re2 yaml-cpp rtaudio oscpack googletest libebur128; do
    debsrc_build windows "$pkg" "build_${pkg//-/_}"
    win_prefixes+=("$(debsrc_prefix windows "$pkg")")
  done
}
