#!/usr/bin/env bash
# Installs what the service-backed tests need (PostgreSQL and Redis from
# Debian's packages) when it is missing. Safe to run again: it does nothing
# when both are present. Needs root (or sudo) to install.
#
#   scripts/install-test-services.sh        # e.g. from .ci/run
#
# The tests never use a system-wide server: tests/services.ts starts its
# own on a free loopback port and stops it at the end.
set -euo pipefail

packages=()
if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
  packages+=(postgresql)
fi
if [[ ! -x /usr/bin/redis-server || ! -x /usr/bin/redis-cli ]]; then
  packages+=(redis-server)
fi

if [[ ${#packages[@]} -eq 0 ]]; then
  echo "install-test-services: PostgreSQL and Redis are installed"
  exit 0
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
  if ! command -v sudo >/dev/null; then
    echo "install-test-services: need root to install ${packages[*]}" >&2
    exit 1
  fi
  sudo=(sudo)
fi

echo "install-test-services: installing ${packages[*]}"
export DEBIAN_FRONTEND=noninteractive
# Keep the packages from starting system-wide daemons on install: the
# tests do not use them.
policy=/usr/sbin/policy-rc.d
made_policy=""
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
  "${sudo[@]}" chmod +x "$policy"
  made_policy=1
fi
cleanup() { [[ -z $made_policy ]] || "${sudo[@]}" rm -f "$policy"; }
trap cleanup EXIT
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${packages[@]}"
