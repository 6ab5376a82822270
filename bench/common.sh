# Sourced by the bench/ scripts: paths (overridable from the environment) and option parsing.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
resq=${RESQ:-$root/build/release/engine/cli/resq}
# shellcheck source=scripts/asset_dir.sh
source "$root/scripts/asset_dir.sh"
assets=$resq_asset_dir
script=$(basename "$0")

# parse_options "OPTION VAR ..." ARGS...: `--OPTION N` sets VAR=N (a positive integer); --help
# prints the calling script's header comment. Exits 2 on anything else.
parse_options() {
  local -A vars
  local spec=($1) i
  shift
  for ((i = 0; i < ${#spec[@]}; i += 2)); do vars[--${spec[i]}]=${spec[i + 1]}; done
  while [ $# -gt 0 ]; do
    if [ "$1" = -h ] || [ "$1" = --help ]; then
      sed -n '2,/^[^#]/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0
    fi
    [ -n "${vars[$1]:-}" ] || { echo "$script: unknown argument '$1' (see --help)" >&2; exit 2; }
    [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || { echo "$script: $1 needs a positive integer" >&2; exit 2; }
    printf -v "${vars[$1]}" '%s' "$2"
    shift 2
  done
  [ -x "$resq" ] || { echo "$script: $resq not built (cmake --preset release && cmake --build --preset release --target resq)" >&2; exit 1; }
}
