#!/usr/bin/env bash
# Puts a real Debian guest kernel and its modules in DIR without installing it on the host:
# apt-get download + dpkg-deb -x. SERIES is 6.1 (default: the vm backend's tests; 9p and virtio as plain
# .ko modules) or 6.12 (the sev backend's guest: CONFIG_TSM_REPORTS, sev-guest and configfs as .ko.xz
# modules, which Kavach decompresses when it builds the guest image). `kavach sev fetch-kernel` does the
# same for users. Idempotent: a DIR that already holds a complete kernel is left alone. The package ships
# no modules.dep (depmod runs at install); Kavach reads module dependencies from each .ko itself.
# Writes DIR/kernel.env (KAVACH_GUEST_KERNEL=..., KAVACH_GUEST_MODULES=...) and prints it.
# Usage: .ci/guest-kernel.sh [DIR] [SERIES]
set -euo pipefail
series="${2:-6.1}"
case "$series" in
  6.1) default_dir=/var/cache/kavach/guest-kernel; pattern='^linux-image-6\.1\.0-[0-9]+-amd64$' ;;
  6.12) default_dir=/var/cache/kavach/guest-kernel-6.12; pattern='^linux-image-6\.12\.[0-9]+\+deb12-amd64$' ;;
  *) echo "unknown kernel series '$series': use 6.1 or 6.12" >&2; exit 2 ;;
esac
if [ "$series" = 6.1 ]; then
  dir="${1:-${KAVACH_GUEST_KERNEL_DIR:-$default_dir}}"
else
  dir="${1:-${KAVACH_GUEST_KERNEL_612_DIR:-$default_dir}}"
fi
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"

if [ -f "$dir/kernel.env" ]; then
  # shellcheck disable=SC1091
  . "$dir/kernel.env"
  if [ -f "${KAVACH_GUEST_KERNEL:-}" ] && [ -f "${KAVACH_GUEST_MODULES:-}/modules.order" ]; then
    cat "$dir/kernel.env"
    exit 0
  fi
fi

# The generic flavour has 9p and virtio as modules (the cloud flavour has no 9p); pick the newest version.
pkg="$(apt-cache search --names-only "$pattern" | awk '{print $1}' | sort -V | tail -n 1)"
if [ -z "$pkg" ]; then
  echo "no package matching $pattern known to apt; run apt-get update (6.12 is in bookworm and bookworm-backports)" >&2
  exit 1
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
chmod 755 "$work" # apt-get download runs as the _apt user when it can write here
(cd "$work" && apt-get download "$pkg" >/dev/null)
dpkg-deb -x "$work"/*.deb "$dir/root"

release="${pkg#linux-image-}"
kernel="$dir/root/boot/vmlinuz-$release"
modules="$dir/root/lib/modules/$release"
[ -d "$modules" ] || modules="$dir/root/usr/lib/modules/$release"
if [ ! -f "$kernel" ] || [ ! -f "$modules/modules.order" ]; then
  echo "unexpected package layout in $pkg: missing $kernel or $modules/modules.order" >&2
  exit 1
fi
printf 'KAVACH_GUEST_KERNEL=%s\nKAVACH_GUEST_MODULES=%s\n' "$kernel" "$modules" > "$dir/kernel.env"
cat "$dir/kernel.env"
