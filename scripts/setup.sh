#!/usr/bin/env bash
# What a fresh Debian machine lacks for cspipe: the system libraries the package links (libxml2
# through pkg-config, zlib), GNU time (the memory test reads peak RSS from it), Chromium (the
# report test renders report.html headless) and jq (the README's shell examples, tested).
# Installs only what is missing; `make setup` and .ci/run call it. Needs root (apt-get).
set -euo pipefail
missing=()
pkg-config --exists libxml-2.0 2>/dev/null || missing+=(libxml2-dev pkg-config)
pkg-config --exists zlib 2>/dev/null || missing+=(zlib1g-dev)
[ -x /usr/bin/time ] || missing+=(time)
command -v chromium >/dev/null || missing+=(chromium)
command -v jq >/dev/null || missing+=(jq)  # the README's shell examples, tested
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
