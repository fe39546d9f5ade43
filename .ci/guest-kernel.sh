#!/usr/bin/env bash
# Puts a real Debian 6.1 kernel and its modules in DIR (default /var/cache/kavach/guest-kernel) for the
# vm backend's end-to-end tests, without installing it on the host: apt-get download + dpkg-deb -x.
# Idempotent: a DIR that already holds a complete kernel is left alone. The package ships no modules.dep
# (depmod runs at install); Kavach reads module dependencies from each .ko itself.
# Writes DIR/kernel.env (KAVACH_GUEST_KERNEL=..., KAVACH_GUEST_MODULES=...) and prints the paths.
set -euo pipefail
dir="${1:-${KAVACH_GUEST_KERNEL_DIR:-/var/cache/kavach/guest-kernel}}"
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

# The generic kernel has 9p and virtio as modules (the cloud flavour has no 9p); pick the newest ABI.
pkg="$(apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-amd64$' \
  | awk '{print $1}' | sort -t- -k5,5n | tail -n 1)"
if [ -z "$pkg" ]; then
  echo "no linux-image-6.1.0-N-amd64 package known to apt; run apt-get update" >&2
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
if [ ! -f "$kernel" ] || [ ! -f "$modules/modules.order" ]; then
  echo "unexpected package layout in $pkg: missing $kernel or $modules/modules.order" >&2
  exit 1
fi
printf 'KAVACH_GUEST_KERNEL=%s\nKAVACH_GUEST_MODULES=%s\n' "$kernel" "$modules" > "$dir/kernel.env"
cat "$dir/kernel.env"
