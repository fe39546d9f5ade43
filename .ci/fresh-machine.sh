#!/usr/bin/env bash
# The first run on a machine that truly lacks bubblewrap and QEMU, as a newcomer's Debian 12 with only a JDK.
# Usage (as root on a Debian host with bwrap and mmdebstrap): .ci/fresh-machine.sh [ROOTFS] [JDK]
#
# It makes a minimal Debian root (mmdebstrap --variant=apt: no bubblewrap, QEMU or busybox), puts a copy of
# this checkout (HEAD) and the JDK in it, and runs the README's first command there as root and as a normal
# user, before and after `kavach setup`. A plain chroot cannot be used: the kernel refuses user namespaces
# to a chrooted process (unshare(2): EPERM), which would fail every sandbox for a reason no real machine has.
# So the root is entered through the host's bwrap in a new mount namespace (pivot_root) as real root, with the
# host's /proc bound in (a fresh proc mount under bwrap's read-only covers would make every nested proc mount fail):
# nothing of the host but /proc, /dev, /sys (its cgroups, as on a real machine), the JDK and the Maven repository is visible.
# The Maven repository is a copy of the host's, so the first build does not download everything again.
set -euo pipefail
cd "$(dirname "$0")/.."
rootfs=${1:-/tmp/kavach-fresh-machine}
jdk=${2:-/usr/lib/jvm/temurin-25-jdk-amd64}

if [ ! -x "$rootfs/usr/bin/apt-get" ]; then
  mmdebstrap --variant=apt bookworm "$rootfs"
fi
for tool in bwrap qemu-system-x86_64 busybox; do
  if [ -e "$rootfs/usr/bin/$tool" ]; then echo "the root at $rootfs already has $tool: use a new one" >&2; exit 1; fi
done
# KEEP_BUILD=1 keeps an earlier run's build in the root (a rerun then skips the launcher's first build).
if [ "${KEEP_BUILD:-0}" != 1 ]; then rm -rf "$rootfs/opt/kavach"; fi
mkdir -p "$rootfs/opt/kavach" "$rootfs$jdk"
git archive HEAD | tar -x -C "$rootfs/opt/kavach"
[ -d "$rootfs/root/.m2/repository" ] || { mkdir -p "$rootfs/root/.m2" && cp -a "$HOME/.m2/." "$rootfs/root/.m2/"; }
cp /etc/resolv.conf "$rootfs/etc/resolv.conf"

inside() {
  bwrap --bind "$rootfs" / --dev-bind /proc /proc --dev-bind /dev /dev --bind /sys /sys --ro-bind "$jdk" "$jdk" \
    --perms 1777 --tmpfs /tmp --unshare-ipc --unshare-uts --die-with-parent --setenv HOME /root \
    --setenv PATH /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --chdir /opt/kavach -- /bin/bash -c "$1"
}
step() { printf '\n== %s\n' "$1"; }

step "no bubblewrap, QEMU or busybox in the root"
inside 'for t in bwrap qemu-system-x86_64 busybox; do command -v $t || echo "$t: not installed"; done; java -version 2>&1 | head -1 || true'
step "root, no terminal: ./kavach run -- uname -a (builds first)"
inside './kavach run -- uname -a </dev/null; echo "exit $?"'
step "a normal user, no terminal: ./kavach run -- uname -a"
inside 'id newcomer >/dev/null 2>&1 || useradd -m newcomer; chmod -R a+rX /opt/kavach; runuser -u newcomer -- ./kavach run -- uname -a </dev/null; echo "exit $?"'
step "the normal user: ./kavach setup (no sudo, no terminal)"
inside 'runuser -u newcomer -- ./kavach setup </dev/null; echo "exit $?"'
step "root: ./kavach setup --dry-run, then ./kavach setup without a terminal"
inside './kavach setup --dry-run; echo "exit $?"; ./kavach setup </dev/null; echo "exit $?"'
step "root, on a terminal (script(1) makes the pty): ./kavach run -- uname -a, answering n to the offer"
inside 'printf "n\n" | script -qec "./kavach run -- uname -a" /dev/null; echo "exit $?"'
step "root, on a terminal: the offer is not repeated after a no"
inside 'printf "y\n" | script -qec "./kavach run -- uname -a" /dev/null; echo "exit $?"'
step "root, on a terminal, after rm ~/.cache/kavach/setup-declined: answering y installs bubblewrap, then the run goes on"
inside 'rm -f /root/.cache/kavach/setup-declined; printf "y\n" | script -qec "./kavach run -- uname -a" /dev/null 2>&1 | grep -v "^\(Get\|Hit\|Selecting\|Preparing\|Unpacking\|Setting up\|Reading\|Building\|Processing\|Fetched\|(Reading\)"; echo "exit ${PIPESTATUS[1]}"'
step "root: ./kavach run -- uname -a"
inside './kavach run -- uname -a </dev/null; echo "exit $?"'
step "the normal user: ./kavach run -- uname -a, then every preset"
inside 'for p in minimal basic strict; do echo "-- $p"; runuser -u newcomer -- ./kavach run --policy $p -- uname -a </dev/null; echo "exit $?"; done'
