#!/usr/bin/env bash
# Installs what the test suites need on a fresh Debian machine: pnpm, and the independent peers
# (postfix's smtp-sink/smtp-source, swaks, dnsmasq, dig, aiosmtpd, ...). Idempotent; needs root for apt.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v pnpm >/dev/null 2>&1; then
  # corepack fails on these machines (signature check): install pnpm from npm.
  npm install -g pnpm@10 >/dev/null 2>&1
fi
if [ "$(id -u)" = 0 ]; then
  bash test/peers/install.sh
else
  sudo bash test/peers/install.sh
fi
