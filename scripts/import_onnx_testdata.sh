#!/usr/bin/env bash
# (Re)creates tests/data/onnx-node/ from Debian's libonnx-testdata: the ONNX node tests whose
# model uses only op types the engine supports (engine/op_registry.cc, plus the ones the ONNX
# importer folds away) and only float32 / int64 / int32 tensors. Prints every excluded test and why.
#
# Usage: scripts/import_onnx_testdata.sh [SOURCE_DIR]
#   SOURCE_DIR defaults to /usr/share/libonnx-testdata/data/node (package libonnx-testdata).
# Needs protoc and the ONNX schema (packages protobuf-compiler, libonnx-dev).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
src=${1:-/usr/share/libonnx-testdata/data/node}
dst=$repo/tests/data/onnx-node
schema_dir=/usr/include
schema=onnx/onnx.proto

[[ -d $src ]] || { echo "error: $src not found (apt-get install libonnx-testdata)" >&2; exit 1; }
[[ -f $schema_dir/$schema ]] ||
  { echo "error: $schema_dir/$schema not found (libonnx-dev)" >&2; exit 1; }
command -v protoc >/dev/null || { echo "error: protoc not found (protobuf-compiler)" >&2; exit 1; }

# Op types of the registry, read from its table so this list cannot drift from the code.
mapfile -t registry_ops < <(sed -n 's/^ *{"\([A-Za-z]*\)", make_[a-z_]*},$/\1/p' \
                             "$repo/engine/op_registry.cc")
[[ ${#registry_ops[@]} -gt 0 ]] ||
  { echo "error: no ops found in engine/op_registry.cc" >&2; exit 1; }
# The importer turns these into constants or aliases; they never reach the executor.
importer_ops=(Constant Identity Dropout)
declare -A supported=()
for op in "${registry_ops[@]}" "${importer_ops[@]}"; do supported[$op]=1; done

# TensorProto.DataType numbers the engine computes: FLOAT = 1, INT64 = 7, and INT32 = 6, which
# the importer widens to int64 losslessly.
dtype_name() {
  case $1 in
    2) echo uint8 ;; 3) echo int8 ;; 4) echo uint16 ;; 5) echo int16 ;; 6) echo int32 ;;
    8) echo string ;; 9) echo bool ;; 10) echo float16 ;; 11) echo double ;; 12) echo uint32 ;;
    13) echo uint64 ;; 14) echo complex64 ;; 15) echo complex128 ;; 16) echo bfloat16 ;;
    *) echo "type $1" ;;
  esac
}

rm -rf "$dst"
mkdir -p "$dst"
copied=0
excluded=0
for dir in "$src"/test_*/; do
  name=$(basename "$dir")
  text=$(cd "$schema_dir" && protoc --decode=onnx.ModelProto "$schema" < "$dir/model.onnx")

  reason=""
  mapfile -t ops < <(sed -n 's/^ *op_type: "\(.*\)"$/\1/p' <<<"$text" | sort -u)
  for op in "${ops[@]}"; do
    [[ -n ${supported[$op]:-} ]] || { reason="op $op not supported"; break; }
  done
  non_tensor='^ *(sequence_type|optional_type|map_type|sparse_tensor_type) \{'
  if [[ -z $reason ]] && grep -qE "$non_tensor" <<<"$text"; then
    reason="non-tensor value type"
  fi
  if [[ -z $reason ]]; then
    for t in $(sed -n 's/^ *\(elem_type\|data_type\): \([0-9]*\)$/\2/p' <<<"$text" | sort -u); do
      [[ $t == 1 || $t == 7 || $t == 6 ]] || { reason="dtype $(dtype_name "$t") not computed"; break; }
    done
  fi

  if [[ -n $reason ]]; then
    echo "excluded $name: $reason"
    excluded=$((excluded + 1))
  else
    cp -r "${dir%/}" "$dst/"
    copied=$((copied + 1))
  fi
done
echo "copied $copied tests to $dst, excluded $excluded"
[[ $copied -gt 0 ]] || { echo "error: no test copied" >&2; exit 1; }
