#!/usr/bin/env bash
# Fetches the pinned default model and the demo clips into the asset cache (outside git),
# verifies them by sha256, and installs resq-server's default calibration beside the model.
# Idempotent: verified files are not fetched again.
#   RESQ_ASSET_DIR  cache directory (default ${XDG_CACHE_HOME:-$HOME/.cache}/resq/assets)
set -euo pipefail

# shellcheck source=scripts/asset_dir.sh
source "$(dirname "$0")/asset_dir.sh"
dir=$resq_asset_dir
mkdir -p "$dir"

# name | sha256 of the file | how to get it
model_pkg="@mediapipe/selfie_segmentation@0.1.1675465747"
model_sha="8d13b7fae74af625c641226813616a2117bd6bca19eb3b75574621fc08557f27"
vtest_deb="opencv-doc=4.6.0+dfsg-12"
vtest_path="usr/share/doc/opencv-doc/examples/data/vtest.avi"
vtest_sha="45cddc9490be69345cbdab64ca583be65987e864ca408038e648db99e10516cf"
movie_deb="kphotoalbum=5.9.1-1"
movie_path="usr/share/kphotoalbum/demo/movie.avi"
movie_sha="4f5fb4ee2319d3bcb9f0fb46f73cb02e5b271e204e078302e50cb30b4e36960b"

verified() { [ -f "$1" ] && echo "$2  $1" | sha256sum --check --status; }

# Moves a fetched file into the cache only once its checksum matches, so an interrupted or
# offline run never leaves a half-fetched asset behind.
install_checked() {  # src dest sha
  if ! echo "$3  $1" | sha256sum --check --status; then
    echo "resq: $(basename "$2") does not match its pinned sha256 $3" >&2
    exit 1
  fi
  mv -f "$1" "$2"
  echo "resq: fetched $2"
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if ! verified "$dir/selfie_segmentation.tflite" "$model_sha"; then
  command -v npm >/dev/null 2>&1 || { echo "resq: npm is needed to fetch the model (run scripts/deps.sh)" >&2; exit 1; }
  if ! (cd "$tmp" && npm pack --loglevel=error "$model_pkg" >/dev/null 2>"$tmp/npm.log"); then
    echo "resq: could not download $model_pkg from the npm registry (network unreachable?):" >&2
    tail -3 "$tmp/npm.log" >&2
    exit 1
  fi
  tar -xzf "$tmp"/mediapipe-selfie_segmentation-*.tgz -C "$tmp" package/selfie_segmentation.tflite
  install_checked "$tmp/package/selfie_segmentation.tflite" "$dir/selfie_segmentation.tflite" "$model_sha"
fi

fetch_from_deb() {  # pkg=version path-in-deb dest sha
  verified "$3" "$4" && return 0
  if ! (cd "$tmp" && apt-get download -q "$1" >"$tmp/apt.log" 2>&1); then
    echo "resq: could not download Debian package $1 (network or mirror unreachable?):" >&2
    tail -3 "$tmp/apt.log" >&2
    exit 1
  fi
  local deb
  deb=$(ls "$tmp"/"${1%%=*}"_*.deb)
  mkdir -p "$tmp/x"
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp/x" "./$2"
  install_checked "$tmp/x/$2" "$3" "$4"
  rm -f "$deb"
}

fetch_from_deb "$vtest_deb" "$vtest_path" "$dir/vtest.avi" "$vtest_sha"
fetch_from_deb "$movie_deb" "$movie_path" "$dir/movie.avi" "$movie_sha"

# resq-server's default calibration (made by `resq calibrate`, kept in git) next to its model.
calibration="$(dirname "$0")/../deploy/calibration/selfie_segmentation.calib.json"
cmp -s "$calibration" "$dir/selfie_segmentation.calib.json" ||
  cp "$calibration" "$dir/selfie_segmentation.calib.json"
