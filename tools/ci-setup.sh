#!/usr/bin/env bash
# Installs, idempotently and quietly, what the test suite needs beyond npm packages.
# Each tool is checked first, so a second run (or a developer machine that has them) does nothing.
set -euo pipefail

need=()
command -v openssl >/dev/null 2>&1 || need+=(openssl)

if ((${#need[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "ci-setup: missing ${need[*]}; install them with: sudo apt-get install ${need[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
