#!/usr/bin/env bash
# Checks the Dockerfile's runtime stage against the built binaries, since no Docker engine may be
# at hand to build the image: every package it installs exists in Debian and is no -dev package,
# the demo pipeline's GStreamer plugin packages are there, and every shared library `ldd` lists
# for the binaries belongs to a listed package or to one of their dependencies.
#   check-runtime-deps.sh DOCKERFILE BINARY...   (run on Debian bookworm with the build's packages)
set -euo pipefail

if [ "${1:-}" = --help ] || [ $# -lt 2 ]; then
  sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'
  [ "${1:-}" = --help ]; exit $?
fi
dockerfile=$1
shift

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# The runtime stage's `apt-get install` arguments: from the bookworm-slim FROM line on, the words
# after `apt-get install` up to the `&&` that ends the command.
mapfile -t listed < <(awk '
  /^FROM / { runtime = ($2 ~ /bookworm-slim/) }
  runtime && /apt-get install/ { collecting = 1; sub(/.*apt-get install/, "") }
  collecting {
    for (i = 1; i <= NF; i++) {
      if ($i == "&&") { collecting = 0; break }
      if ($i != "\\" && $i !~ /^-/) print $i
    }
  }' "$dockerfile")
[ ${#listed[@]} -gt 0 ] || fail "$dockerfile: no apt-get install in a bookworm-slim stage"
echo "runtime packages in $dockerfile: ${listed[*]}"

[[ $(apt-cache policy libc6) =~ Candidate:\ [0-9] ]] ||
  fail "apt knows no packages here: run apt-get update first"
known=" $(apt-cache show --no-all-versions "${listed[@]}" 2>/dev/null | awk '/^Package:/ { printf "%s ", $2 }')"
for p in "${listed[@]}"; do
  [[ $known == *" $p "* ]] || fail "$dockerfile installs $p, which apt-cache does not know"
  case $p in *-dev) fail "$dockerfile installs the build-time package $p in the runtime stage" ;; esac
done
# resq-server's demo: filesrc ! decodebin (avidemux, jpegdec or avdec_*) ! videoconvert ! videorate ...
for p in gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-libav; do
  [[ " ${listed[*]} " == *" $p "* ]] || fail "$dockerfile lacks $p (the demo pipeline's plugins)"
done

# What apt installs for the list: the packages and their (pre-)dependencies, recursively.
declare -A covered
while read -r p; do covered[$p]=1; done < <(apt-cache depends --recurse --no-recommends \
  --no-suggests --no-conflicts --no-breaks --no-replaces --no-enhances "${listed[@]}" | grep -v '^[ <]')

# Each binary's libraries as "binary lib path" lines.
needed=()
for binary in "$@"; do
  [ -f "$binary" ] || fail "$binary does not exist (build it first)"
  libs=$(ldd "$binary") || fail "ldd $binary failed"
  if grep -q 'not found' <<<"$libs"; then fail "$binary: $(grep 'not found' <<<"$libs")"; fi
  mapfile -t -O ${#needed[@]} needed < <(awk -v b="$binary" '$2 == "=>" && $3 ~ /^\// { print b, $1, $3 }' <<<"$libs")
done

# Owners, by one dpkg -S over every spelling of each path: dpkg knows /usr/lib paths where ldd
# may print the merged /lib, and the real file behind an alternatives symlink (libblas.so.3).
declare -A owner_of real_of
mapfile -t paths < <(printf '%s\n' "${needed[@]##* }" | sort -u)
mapfile -t reals < <(readlink -f "${paths[@]}")
candidates=()
for i in "${!paths[@]}"; do
  real_of[${paths[i]}]=${reals[i]}
  candidates+=("${paths[i]}" "/usr${paths[i]}" "${reals[i]}")
done
while IFS= read -r line; do  # "libfoo1:amd64: /usr/lib/x86_64-linux-gnu/libfoo.so.1"
  pkg=${line%%: /*}
  pkg=${pkg%%,*}
  owner_of["/${line#*: /}"]=${pkg%%:*}
done < <(printf '%s\n' "${candidates[@]}" | sort -u | xargs dpkg -S 2>/dev/null || true)

missing=0
declare -A count
for entry in "${needed[@]}"; do
  read -r binary lib path <<<"$entry"
  pkg=${owner_of[$path]:-${owner_of[/usr$path]:-${owner_of[${real_of[$path]}]:-}}}
  [ -n "$pkg" ] || fail "$binary: no Debian package owns $path ($lib)"
  count[$binary]=$((${count[$binary]:-0} + 1))
  if [ -z "${covered[$pkg]:-}" ]; then
    echo "MISSING: $binary needs $lib from $pkg, which the runtime stage does not install" >&2
    missing=$((missing + 1))
  fi
done
for binary in "$@"; do
  [ -n "${count[$binary]:-}" ] || fail "$binary: ldd lists no shared libraries"
  echo "$binary: ${count[$binary]} shared libraries"
done
[ $missing -eq 0 ] || fail "$missing libraries not covered by $dockerfile's runtime packages"
echo "ok: every library comes from $dockerfile's runtime packages or their dependencies"
