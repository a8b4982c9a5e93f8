# Shared by scripts/test-libcxx and scripts/test-windows (sourced, not run): builds a dependency
# from Debian's source package once, into a cache folder keyed by target and Debian version, so a
# warm machine (CI runs on the same one) skips the build and a cold one rebuilds it.
#
#   MIXSCOUT_DEPS_CACHE   cache root (default /var/cache/mixscout/deps)
#   debsrc_prefix TARGET PKG         -> prints $MIXSCOUT_DEPS_CACHE/TARGET/PKG-VERSION
#   debsrc_build TARGET PKG FUNC     -> unless that prefix is complete: apt-get source PKG into a
#                                       scratch folder, cd into it, run FUNC PREFIX, mark it done;
#                                       prints its wall time and CPU time.
# Long builds run under `nice -n 10` (the machine is shared).

MIXSCOUT_DEPS_CACHE="${MIXSCOUT_DEPS_CACHE:-/var/cache/mixscout/deps}"

# deb-src lines are off in Debian's default sources; `apt-get source` needs them.
debsrc_enable() {
  if apt-cache showsrc --only-source sqlite3 2>/dev/null | grep -q '^Version:'; then return 0; fi
  local SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO tee /etc/apt/sources.list.d/mixscout-deb-src.sources >/dev/null <<'SRC'
# Added by mixscout's scripts/test-windows and scripts/test-libcxx: they build dependencies from
# Debian's source packages (apt-get source).
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  $SUDO apt-get update -qq
}

debsrc_version() {
  apt-cache showsrc --only-source "$1" | awk '/^Version:/ {print $2}' | sort -V | tail -1
}

# When apt-get source fails only because the mirror lacks a file the .dsc lists (an upstream
# signature .orig.tar.*.asc, or seen once: libebur128's .debian.tar.xz), the tarballs it did fetch
# were still checked against the .dsc (itself checked against the signed index): unpack them as
# dpkg-source would, Debian's patches applied when they are there.
debsrc_unpack() {
  local orig debian
  orig="$(ls ./*.orig.tar.* 2>/dev/null | grep -v '\.asc$' | head -1)"
  debian="$(ls ./*.debian.tar.* 2>/dev/null | head -1)"
  [ -n "$orig" ] || return 1
  echo "apt-get source failed; unpacking $orig ${debian:-(no Debian changes: the mirror lacks them; upstream as released)} by hand"
  mkdir src
  tar -xf "$orig" -C src --strip-components=1
  [ -z "$debian" ] || tar -xf "$debian" -C src
  if [ -f src/debian/patches/series ]; then
    (cd src && sed -e 's/#.*//' -e '/^[[:space:]]*$/d' debian/patches/series | while read -r patch opts; do
      patch -s ${opts:--p1} < "debian/patches/$patch" || exit 1
    done)
  fi
}

debsrc_prefix() {
  echo "$MIXSCOUT_DEPS_CACHE/$1/$2-$(debsrc_version "$2")"
}

debsrc_build() {
  local target="$1" pkg="$2" func="$3" prefix
  prefix="$(debsrc_prefix "$target" "$pkg")"
  if [ -f "$prefix/.complete" ]; then echo "   $pkg: cached in $prefix"; return 0; fi
  echo "   $pkg: building into $prefix"
  local started=$SECONDS cpu_before scratch; scratch="$(mktemp -d "${TMPDIR:-/tmp}/mixscout-deps.XXXXXX")"
  debsrc_cpu_s; cpu_before="$debsrc_cpu"
  rm -rf "$prefix"; mkdir -p "$prefix"
  (
    set -e
    cd "$scratch"
    apt-get source -qq "$pkg" >"$scratch/source.log" 2>&1 || debsrc_unpack >>"$scratch/source.log" 2>&1 ||
      { cat "$scratch/source.log"; exit 1; }
    cd "$(find . -mindepth 1 -maxdepth 1 -type d | head -1)"
    "$func" "$prefix" >"$scratch/build.log" 2>&1 || { tail -40 "$scratch/build.log"; exit 1; }
  )
  rm -rf "$scratch"
  touch "$prefix/.complete"
  debsrc_cpu_s
  echo "   $pkg: built in $((SECONDS - started)) s ($(awk -v a="$cpu_before" -v b="$debsrc_cpu" 'BEGIN {printf "%.0f", b - a}') s of CPU)"
}

# Sets debsrc_cpu: CPU seconds (user + system) of this shell's finished child processes so far
# (on a shared machine the wall time says more about the load than about the build). Called
# directly, never in $(...): a subshell's `times` counts only its own children.
debsrc_cpu_s() {
  local t; t="$(mktemp)"
  times >"$t"
  debsrc_cpu="$(awk 'NR == 2 { n = 0; for (i = 1; i <= 2; i++) { split($i, p, /[ms]/); n += p[1] * 60 + p[2] } printf "%.1f", n }' "$t")"
  rm -f "$t"
}
