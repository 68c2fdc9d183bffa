#!/usr/bin/env bash
# Installs the LiteLLM proxy (PyPI `litellm[proxy]`) into a virtualenv in a cache outside the clone, once.
# Prints the path of the `litellm` executable on stdout; everything else goes to stderr.
#
#   scripts/litellm/install.sh            # honours SLUICE_LITELLM_CACHE and LITELLM_VERSION
#
# Cache: ${SLUICE_LITELLM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sluice}/litellm-<version>/venv
# A `.complete` marker is written last, so an interrupted install is redone on the next run.
set -euo pipefail

version="${LITELLM_VERSION:-1.108.7}"
cache_root="${SLUICE_LITELLM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sluice}"
dir="$cache_root/litellm-$version"
bin="$dir/venv/bin/litellm"

if [[ -f "$dir/.complete" ]]; then
  echo "$bin"
  exit 0
fi

command -v python3 >/dev/null || { echo "litellm: python3 is not installed" >&2; exit 2; }
echo "litellm: installing litellm[proxy]==$version into $dir (once)" >&2
rm -rf "$dir"
mkdir -p "$dir"
python3 -m venv "$dir/venv"
"$dir/venv/bin/pip" install -q --disable-pip-version-check "litellm[proxy]==$version" >&2
"$bin" --version >&2 || true
touch "$dir/.complete"
echo "$bin"
