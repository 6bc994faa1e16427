#!/usr/bin/env bash
# Provides a nats-server >= 2.10 (cluster mode needs `jetstream { sync_interval: always }`,
# which 2.9 lacks) and prints its path on stdout.
#  1. NATS_SERVER=<path>, or a nats-server >= 2.10 on PATH, is used as it is;
#  2. otherwise Debian trixie's package is fetched with `apt-get download` under a private apt
#     state directory (the machine's own apt sources and state are never touched), unpacked with
#     `dpkg-deb -x` into the git-ignored cache folder, and checked with `nats-server --version`.
# Other systems: install nats-server >= 2.10 yourself (https://docs.nats.io) and put it on PATH.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${MNEME_CACHE:-$root/.cache}/nats-server"
suite="${NATS_DEBIAN_SUITE:-trixie}"
mirror="${NATS_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
keyring="/usr/share/keyrings/debian-archive-keyring.gpg"

log() { echo "nats-server.sh: $*" >&2; }

# Prints the binary's version (x.y.z) or nothing.
version_of() { "$1" --version 2>/dev/null | sed -n 's/.*v\([0-9][0-9]*\.[0-9][0-9]*\.[0-9][0-9]*\).*/\1/p' | head -n1; }

# True when the version given is at least 2.10.
recent_enough() {
  local major minor
  IFS=. read -r major minor _ <<<"$1"
  [[ -n "$major" && -n "$minor" ]] && { ((major > 2)) || ((major == 2 && minor >= 10)); }
}

usable() {
  local bin="$1" v
  [[ -x "$bin" ]] || return 1
  v="$(version_of "$bin")"
  recent_enough "$v"
}

for candidate in "${NATS_SERVER:-}" "$(command -v nats-server || true)" "$cache/root/usr/sbin/nats-server"; do
  if [[ -n "$candidate" ]] && usable "$candidate"; then
    echo "$candidate"
    exit 0
  fi
done

command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || {
  log "no nats-server >= 2.10 found and this is not a Debian-like system: install nats-server >= 2.10 and put it on PATH (or set NATS_SERVER)"
  exit 1
}
[[ -r "$keyring" ]] || {
  log "Debian's archive keyring $keyring is missing (apt-get install debian-archive-keyring)"
  exit 1
}

apt_dir="$cache/apt"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/etc" "$cache/debs"
echo "deb [signed-by=$keyring] $mirror $suite main" >"$apt_dir/etc/sources.list"
apt_opts=(
  -o "Dir::State::Lists=$apt_dir/lists"
  -o "Dir::Cache=$apt_dir/cache"
  -o "Dir::Etc::sourcelist=$apt_dir/etc/sources.list"
  -o "Dir::Etc::sourceparts=-"
  -o "APT::Get::List-Cleanup=0"
  -o "Debug::NoLocking=1"
  -o "APT::Sandbox::User=root"
)

log "fetching Debian $suite's nats-server package into $cache"
apt-get "${apt_opts[@]}" -qq update >&2
(cd "$cache/debs" && rm -f nats-server_*.deb && apt-get "${apt_opts[@]}" -qq download nats-server >&2)
deb="$(ls "$cache/debs"/nats-server_*.deb | head -n1)"
rm -rf "$cache/root.tmp"
dpkg-deb -x "$deb" "$cache/root.tmp"
rm -rf "$cache/root"
mv "$cache/root.tmp" "$cache/root"

bin="$cache/root/usr/sbin/nats-server"
if ! usable "$bin"; then
  log "the unpacked $bin does not run or is older than 2.10 ($(version_of "$bin" || true))"
  exit 1
fi
log "using $bin ($(version_of "$bin"))"
echo "$bin"
