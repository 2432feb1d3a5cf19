#!/usr/bin/env bash
# Debian packages MotCua needs on a machine: Python 3.11 venv support, the PostgreSQL server (tests), for
# the printed documents (WeasyPrint): Pango/HarfBuzz, fonts that cover Vietnamese, poppler-utils (pdftotext,
# pdfinfo, pdftoppm) and zbar-tools (zbarimg) with which the tests read the PDFs back; Java 17 and Maven (to
# fetch and run Keycloak: `motcua keycloak fetch|up`), Chromium (browser tests, via Playwright), Node.js and npm
# (the portal's assets are built from npm packages).
# Idempotent and quiet when everything is already there.
set -euo pipefail

need=()
command -v python3.11 >/dev/null 2>&1 || need+=(python3.11 python3.11-venv)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v runuser >/dev/null 2>&1 || need+=(util-linux)
for pkg in libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-liberation2 fonts-dejavu-core \
  poppler-utils zbar-tools; do
  dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null | grep -q '^ii' || need+=("$pkg")
done
command -v java >/dev/null 2>&1 || need+=(openjdk-17-jre-headless)
command -v mvn >/dev/null 2>&1 || need+=(maven)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)

if [ "${#need[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "Missing Debian packages: ${need[*]} — install them as root (apt-get install ${need[*]})." >&2
    exit 1
  fi
  echo "Installing Debian packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=900 update -qq >/dev/null
  apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  # The Debian package starts a cluster of its own; the tests start their own, so stop it.
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    for c in /etc/postgresql/*/main; do
      [ -d "$c" ] || continue
      v=$(basename "$(dirname "$c")")
      pg_ctlcluster "$v" main stop >/dev/null 2>&1 || true
    done
  fi
fi
