# shellcheck shell=bash disable=SC2034  # resq_asset_dir is read by the scripts that source this
# Sourced by the scripts: where the model and clips live. The one rule, which CMakeLists.txt
# (RESQ_ASSET_DIR's default), resq-server (server/main.cc) and examples/camera_client.py state in
# their own languages: $RESQ_ASSET_DIR, else ${XDG_CACHE_HOME:-$HOME/.cache}/resq/assets.
resq_asset_dir="${RESQ_ASSET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/resq/assets}"
