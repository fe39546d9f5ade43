#!/usr/bin/env bash
# The process backend's tests as a normal user, as most people run Kavach: a user made for it, a copy of the
# checkout it owns, and its own Maven directory copied from root's (so the run is offline, from what root's
# build already downloaded). Root-only tests skip with the reason; everything else must pass, CI=true included.
# Usage (as root): .ci/nonroot-tests.sh [USER]
set -euo pipefail
cd "$(dirname "$0")/.."
user=${1:-kavach-ci}
[ "$(id -u)" = 0 ] || { echo "run this as root: it creates the user $user" >&2; exit 1; }
id "$user" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$user"
home=$(getent passwd "$user" | cut -d: -f6)
# In the user's home, not /tmp: every sandbox gets a private /tmp, and some tests use a host directory of the checkout.
work=$(mktemp -d "$home/kavach-checkout.XXXXXX")
trap 'rm -rf "$work"' EXIT
tar --exclude='./*/target' --exclude='./target' --exclude='./.git' -cf - . | tar -xf - -C "$work"
rm -rf "$home/.m2" && cp -a "${HOME:-/root}/.m2" "$home/.m2"
chown -R "$user:" "$work" "$home/.m2"
chmod 0755 "$work"
echo "== the process backend's tests as $user (uid $(id -u "$user"))"
runuser -u "$user" -- env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$home" CI="${CI:-true}" ${JAVA_HOME:+JAVA_HOME=$JAVA_HOME} \
  bash -c 'cd "$1" && ./mvnw -B -ntp -o -pl kavach-backend-process -am verify -DexcludedGroups=slow' _ "$work"
