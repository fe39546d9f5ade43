#!/usr/bin/env bash
# Kavach as a normal user on a pure cgroup v2 host whose systemd delegated a subtree to that user: the setup
# most users have (Ubuntu 24.04, Fedora, Debian 12 with systemd) and that the CI machine, cgroup v1 only,
# cannot give. So it boots one: a QEMU guest (software emulation is enough) whose kernel mounts only cgroup2,
# with every controller, and a tree built the way systemd builds it for `Delegate=yes`:
#   /sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/app.slice/<case>.scope
# where each ancestor enables memory, pids and cpu for its children (cgroup.subtree_control) and the scope is
# handed to uid 1000 as systemd's cg_set_access() hands a delegated unit over: the directory (0755) and its
# cgroup.procs, cgroup.subtree_control, cgroup.threads, memory.oom.group and memory.reclaim chowned, nothing
# else (its memory.max stays root's). A shell moves into the scope, as `systemd-run --user --scope -p
# Delegate=yes` puts one there, drops to the user `kuser` (uid 1000) with setpriv, and runs Kavach's
# distribution (bin/kavach on a jlink'd Java runtime) through the checks below. Results come back on the
# serial console, each line carrying a per-run token so that no command output can pass for one.
#
# Cases (several run in one boot, each in a fresh scope of its own):
#   configured  the scope named in ./kavach.conf as kavach.backends.process.cgroup-root (what README's
#               "Requirements" tells a normal user to do today)
#   auto        no setting: Kavach is expected to find and use the delegated cgroup it runs in by itself
#   leaf        as `configured`, but the user first moved their shell out of the scope into a leaf
#               (<scope>/shell), as systemd's delegation document asks of a delegated tree's owner
#               (no processes in inner cgroups)
# Checks, as kuser, in each case: `kavach backends` shows process available with memory, pids and cpu enforced
# by cgroup v2; the README's `kavach run -- uname -a` (basic preset: needs memory and pids limits) runs; a basic
# run sits in an exec group of its own below the scope whose memory.max and pids.max are the preset's (read from
# outside while it runs), sees only "0::/" inside (its cgroup namespace), and its timeout kills the whole tree
# through the group's cgroup.kill (exit 124); a strict run with max-pids 8 cannot fork a 9th process and --json
# names cgroup v2 for memory, pids and cpu; a 64 MiB memory limit holds (the kernel's OOM killer stops a 200 MiB
# fill of the sandbox's tmpfs, and Kavach reports it); afterwards no cgroup below the scope holds a process,
# every exec group seen is gone, and the tree is what the first run left (Kavach's empty parent groups).
#
# Usage (as root, on the CI machine: Debian 12 with qemu-system-x86, busybox-static, cpio, bubblewrap and
# util-linux, which .ci/run installs, and a JDK 21+ with jlink):
#   .ci/cgroup2-guest.sh [--cases configured,auto,leaf] [--expect CASES] [--skip-build]
# --cases     which cases to run (default: configured,auto,leaf)
# --expect    which of those must pass for exit status 0 (default: all that run; the others are only reported)
# --skip-build  use kavach-cli/target/kavach-0.1.0 as it is (after ./mvnw verify or package)
# Environment: KAVACH_GUEST_KERNEL_DIR (the 6.1 guest kernel, .ci/guest-kernel.sh), KAVACH_CG2_JDK (the JDK
# whose jlink makes the guest's runtime; default: Temurin 25, else the newest JDK 21+ in /usr/lib/jvm),
# KAVACH_CG2_CACHE (where the runtime is kept, default /var/cache/kavach/cgroup2-guest), KAVACH_CG2_TIMEOUT
# (seconds the guest may run, default 1200). The console log is kept in target/cgroup2-guest/console.log.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
started=$SECONDS

cases=configured,auto,leaf
unset expect
skip_build=no
while [ $# -gt 0 ]; do
  case $1 in
    --cases) cases=${2:?--cases needs a list, e.g. configured,auto}; shift 2 ;;
    --expect) expect=${2?--expect needs a list (may be empty)}; shift 2 ;;
    --skip-build) skip_build=yes; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "cgroup2-guest: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
for c in ${cases//,/ }; do
  case $c in configured|auto|leaf) ;; *) echo "cgroup2-guest: unknown case '$c': use configured, auto or leaf" >&2; exit 2 ;; esac
done
expect=${expect-$cases}
for c in ${expect//,/ }; do
  case ",$cases," in *",$c,"*) ;; *) echo "cgroup2-guest: --expect names '$c', which --cases does not run" >&2; exit 2 ;; esac
done

die() { echo "cgroup2-guest: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "run this as root: the guest image holds files owned by uid 1000 and a /dev/console node"
for tool in qemu-system-x86_64 cpio bwrap setpriv bash ldd; do
  command -v "$tool" >/dev/null || die "$tool is missing (fix: apt-get install qemu-system-x86 cpio bubblewrap util-linux bash libc-bin, or run .ci/run)"
done
busybox=$(command -v busybox || true)
[ -n "$busybox" ] && ! ldd "$busybox" >/dev/null 2>&1 || die "a static busybox is missing (fix: apt-get install busybox-static)"

# --- A guest kernel (Debian 6.1: cgroup2 with memory, pids, cpu built in; user namespaces allowed) ---------------
kernel_dir=${KAVACH_GUEST_KERNEL_DIR:-/var/cache/kavach/guest-kernel}
bash .ci/guest-kernel.sh "$kernel_dir" >/dev/null
# shellcheck disable=SC1091
. "$kernel_dir/kernel.env"
[ -f "$KAVACH_GUEST_KERNEL" ] || die "no guest kernel at $KAVACH_GUEST_KERNEL (fix: .ci/guest-kernel.sh)"

# --- A small Java runtime for the CLI, made once --------------------------------------------------------------
jdk=${KAVACH_CG2_JDK:-}
if [ -z "$jdk" ]; then
  if [ -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/jlink ]; then
    jdk=/usr/lib/jvm/temurin-25-jdk-amd64
  else
    for candidate in /usr/lib/jvm/*/; do
      candidate=${candidate%/}
      version=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$candidate/release" 2>/dev/null || true)
      if [ -x "$candidate/bin/jlink" ] && [ "${version:-0}" -ge 21 ]; then jdk=$candidate; fi
    done
  fi
fi
[ -n "$jdk" ] && [ -x "$jdk/bin/jlink" ] || die "no JDK 21+ with jlink found (fix: set KAVACH_CG2_JDK to one)"
# What the CLI's modules and their libraries need (jdeps --print-module-deps over lib/: java.base and
# java.compiler; config's java.beans use is optional), and what bin/kavach's `--add-modules ALL-DEFAULT` and the
# backends use at run time (management for the process handle, naming/net.http/xml for plugins and config).
modules=java.base,java.compiler,java.logging,java.management,jdk.management,java.naming,java.net.http,java.xml,jdk.unsupported
jlink_opts=(--strip-debug --no-man-pages --no-header-files --compress=zip-6 --generate-cds-archive)
cache=${KAVACH_CG2_CACHE:-/var/cache/kavach/cgroup2-guest}
key=$( { cat "$jdk/release"; echo "$modules ${jlink_opts[*]}"; } | sha256sum | cut -c1-16)
jre=$cache/jre-$key
if [ ! -x "$jre/bin/java" ]; then
  echo "== a Java runtime for the guest (jlink, once): $jre"
  mkdir -p "$cache"
  rm -rf "$jre.tmp"
  "$jdk/bin/jlink" --add-modules "$modules" "${jlink_opts[@]}" --output "$jre.tmp" >/dev/null
  rm -f "$jre.tmp/lib/server/classes_nocoops.jsa" # only for heaps over 32 GiB
  mv "$jre.tmp" "$jre"
fi

# --- Kavach's distribution ---------------------------------------------------------------------------------------
dist=$repo/kavach-cli/target/kavach-0.1.0
if [ "$skip_build" = no ]; then
  echo "== building the distribution (./mvnw -o -pl kavach-cli -am package -DskipTests)"
  ./mvnw -B -ntp -o -q -pl kavach-cli -am package -DskipTests -Djapicmp.skip >&2
fi
[ -f "$dist/bin/kavach" ] && compgen -G "$dist/lib/kavach-cli-*.jar" >/dev/null \
  || die "no distribution in $dist (fix: ./mvnw -pl kavach-cli -am package -DskipTests, or drop --skip-build)"

# --- The guest's root file system ------------------------------------------------------------------------------
work=$repo/target/cgroup2-guest
root=$work/root
rm -rf "$root" "$work/initrd.cpio"
mkdir -p "$root"/{bin,sbin,usr/bin,etc,dev,proc,sys,tmp,run,opt,home/kuser,root}
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
  [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done
rm -f "$root/bin/setpriv" "$root/bin/bash" # the real ones below
ln -s ../../bin/env "$root/usr/bin/env"    # bin/kavach starts with #!/usr/bin/env bash
# The real bubblewrap, setpriv and bash, with every library ldd names and the loader.
copy_libs() {
  local lib
  for lib in $(ldd "$@" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// && $2 ~ /^\(/ {print $1}' | sort -u); do
    case $lib in "$root"/*) continue ;; esac
    [ -e "$root$lib" ] || cp -L --parents "$lib" "$root"
  done
}
cp -L "$(command -v bwrap)" "$root/usr/bin/bwrap"
cp -L "$(command -v setpriv)" "$root/usr/bin/setpriv"
cp -L "$(command -v bash)" "$root/bin/bash"
copy_libs "$(command -v bwrap)" "$(command -v setpriv)" "$(command -v bash)"
cp -a "$jre" "$root/opt/jre"
copy_libs "$root"/opt/jre/bin/* "$root"/opt/jre/lib/*.so "$root"/opt/jre/lib/server/*.so
for lib in /lib/x86_64-linux-gnu/libnss_files.so.2; do [ -e "$lib" ] && cp -L --parents "$lib" "$root"; done
mkdir -p "$root/opt/kavach"
cp -a "$dist/bin" "$dist/lib" "$dist/conf" "$root/opt/kavach/"
mkdir -p "$root/opt/kavach/plugins" # no plugins: auto must pick the process backend, and memory is saved
printf 'root:x:0:0:root:/root:/bin/sh\nkuser:x:1000:1000:Kavach test user:/home/kuser:/bin/sh\n' > "$root/etc/passwd"
printf 'root:x:0:\nkuser:x:1000:\n' > "$root/etc/group"
printf 'passwd: files\ngroup: files\n' > "$root/etc/nsswitch.conf"
chown 1000:1000 "$root/home/kuser"
chmod 1777 "$root/tmp"
mknod -m 600 "$root/dev/console" c 5 1 # the kernel opens it for /init's stdio before anything is mounted
# The launcher's class-data-sharing cache, trained here by the launcher itself with the guest's paths bound in
# (its key is the runtime's and the module path's location): each JVM start in the guest, the run's main cost
# under emulation, then needs about half the CPU. Without it (training failed) the guest only runs slower.
cds=$work/cds-home
rm -rf "$cds" && mkdir -p "$cds"
if unshare --mount --propagation private -- sh -c '
    mount --bind "$1/opt" /opt && cd "$2" && HOME="$2" KAVACH_JAVA_HOME=/opt/jre KAVACH_PLUGINS_DIR=/opt/kavach/plugins \
      /opt/kavach/bin/kavach --version >/dev/null 2>&1 || exit 1
    # The launcher trains in the background (a lock directory while it runs); the bind lives as long as it does.
    for _ in $(seq 300); do
      ls "$2"/.cache/kavach/cds/*.lock >/dev/null 2>&1 || break
      sleep 0.5
    done
    for archive in "$2"/.cache/kavach/cds/*.aot "$2"/.cache/kavach/cds/*.jsa; do [ -f "$archive" ] && exit 0; done
    exit 1' _ "$root" "$cds"; then
  mkdir -p "$root/home/kuser/.cache/kavach"
  cp -a "$cds/.cache/kavach/cds" "$root/home/kuser/.cache/kavach/"
  chown -R 1000:1000 "$root/home/kuser/.cache"
  echo "== class-data-sharing cache for the guest: $(cd "$root/home/kuser/.cache/kavach/cds" && ls)"
else
  echo "== no class-data-sharing cache (training it failed); the guest's JVMs start slower" >&2
fi

token=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf 'MARK=%s\nCASES="%s"\n' "KCG2-$token" "${cases//,/ }" > "$root/etc/cg2-guest.env"

# Stage 1 on the initramfs: bubblewrap cannot pivot_root out of rootfs (EINVAL), so the root moves to a tmpfs.
cat > "$root/init" <<'EOF'
#!/bin/sh
export PATH=/bin:/usr/bin
mount -t tmpfs -o mode=0755 root /mnt 2>/dev/null || { mkdir -p /mnt && mount -t tmpfs -o mode=0755 root /mnt; }
for entry in /*; do
  case $entry in /mnt|/proc|/sys|/dev) mkdir -p "/mnt$entry" ;; *) cp -a "$entry" /mnt/ ;; esac
done
exec switch_root /mnt /sbin/init2
EOF
mkdir -p "$root/mnt"

# Stage 2, PID 1 on the tmpfs: a host as systemd leaves it (cgroup2 only, mounted as systemd mounts it), then
# one scope per case, delegated, with a shell in it that drops to kuser for the checks.
cat > "$root/sbin/init2" <<'EOF'
#!/bin/sh
export PATH=/usr/bin:/bin
. /etc/cg2-guest.env
say() { echo "$MARK $*"; }
halt_now() { sync; poweroff -f; sleep 5; echo o > /proc/sysrq-trigger; }
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /tmp
mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /run
mount -t cgroup2 -o nosuid,nodev,noexec,nsdelegate,memory_recursiveprot cgroup2 /sys/fs/cgroup
cg=/sys/fs/cgroup
say "SETUP kernel $(uname -r), $(nproc) cpus, $(awk '/MemTotal/ {print $2 " kB"}' /proc/meminfo)"
say "SETUP cgroup mounts: $(awk '$3 ~ /^cgroup/ {printf "%s %s (%s); ", $3, $2, $4}' /proc/mounts)"
say "SETUP root cgroup.controllers: $(cat $cg/cgroup.controllers)"
for c in memory pids cpu; do
  grep -qw "$c" $cg/cgroup.controllers || { say "SETUP-FAILED the cgroup2 root lacks the $c controller"; halt_now; }
done
if awk '$3 == "cgroup" {found=1} END {exit !found}' /proc/mounts; then say "SETUP-FAILED a cgroup v1 hierarchy is mounted"; halt_now; fi
# Debian's kernels once gated unprivileged user namespaces behind this sysctl; bubblewrap needs them.
[ -w /proc/sys/kernel/unprivileged_userns_clone ] && echo 1 > /proc/sys/kernel/unprivileged_userns_clone
say "SETUP user.max_user_namespaces=$(cat /proc/sys/user/max_user_namespaces) unprivileged_userns_clone=$(cat /proc/sys/kernel/unprivileged_userns_clone 2>/dev/null || echo absent)"

# systemd's slices: every inner node enables the controllers for its children and holds no process.
app=$cg/user.slice/user-1000.slice/user@1000.service/app.slice
dir=$cg
for name in user.slice user-1000.slice user@1000.service app.slice; do
  echo "+memory +pids +cpu" > "$dir/cgroup.subtree_control" || { say "SETUP-FAILED enabling controllers in $dir"; halt_now; }
  dir=$dir/$name
  mkdir -p "$dir"
done
echo "+memory +pids +cpu" > "$app/cgroup.subtree_control" || { say "SETUP-FAILED enabling controllers in $app"; halt_now; }

for case in $CASES; do
  scope=$app/kavach-$case.scope
  mkdir "$scope"
  # systemd's cg_set_access() for a delegated unit: the directory and these files, nothing else.
  chmod 0755 "$scope"
  chown 1000:1000 "$scope"
  for f in cgroup.procs cgroup.subtree_control cgroup.threads memory.oom.group memory.reclaim; do
    [ -e "$scope/$f" ] && chown 1000:1000 "$scope/$f"
  done
  if [ "$case" = auto ]; then
    # As under a real user manager, which owns user@1000.service's tree: systemd-run --user --scope makes a fresh
    # scope in app.slice for each command and moves the command alone into it.
    chown 1000:1000 "$app" "$app/cgroup.procs"
  fi
  say "CASE $case scope ${scope#$cg} controllers: $(cat "$scope/cgroup.controllers")"
  mkdir -p "/home/kuser/$case"
  chown 1000:1000 "/home/kuser/$case"
  # A shell that joins the scope first, as systemd-run --scope does, then becomes kuser.
  sh -c 'echo $$ > "$1/cgroup.procs" && exec /usr/bin/setpriv --reuid 1000 --regid 1000 --clear-groups \
      env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/home/kuser USER=kuser LOGNAME=kuser \
      KAVACH_JAVA_HOME=/opt/jre /bin/sh /sbin/cg2-checks "$2" "$1" "$3"' \
    _ "$scope" "$case" "$MARK" </dev/null 2>&1
  say "CASE-END $case status $?"
done
say DONE
halt_now
EOF

# The checks, as kuser, from inside the case's scope.
cat > "$root/sbin/cg2-checks" <<'EOF'
#!/bin/sh
# Usage: cg2-checks CASE SCOPE MARK
case_name=$1 scope=$2 MARK=$3
cg=/sys/fs/cgroup
K=/opt/kavach/bin/kavach
cd "/home/kuser/$case_name" || exit 1
app=${scope%/*}
out=$PWD/out err=$PWD/err
failures=0
pass() { echo "$MARK PASS $case_name $1"; }
fail() {
  failures=$((failures + 1))
  echo "$MARK FAIL $case_name $1: $2"
  echo "---- kavach exit $rc; stdout (tail):"; tail -c 1500 "$out" 2>/dev/null; echo
  echo "---- stderr (tail):"; tail -c 1500 "$err" 2>/dev/null; echo "----"
}
runs=0
k() {
  echo "\$ kavach $*"; t0=$(date +%s)
  if [ "$case_name" = auto ]; then
    # What the launcher's systemd-run --user --scope -p Delegate=yes does: a fresh scope per command, with Kavach
    # exec'd alone into it (the user manager makes it, so it is the user's). Later checks look below that scope.
    runs=$((runs + 1)); scope=${app}/run-$runs-kavach.scope
    mkdir "$scope" && sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' _ "$scope" "$K" "$@" >"$out" 2>"$err"; rc=$?
  else
    "$K" "$@" >"$out" 2>"$err"; rc=$?
  fi
  echo "  (exit $rc, $(( $(date +%s) - t0 )) s)"
}
has() { grep -q -- "$1" "$2"; }
# Every cgroup below the scope with the processes in it, one "path: pids" line each.
tree() { find "$scope" -mindepth 1 -type d | sort | while read -r d; do echo "${d#$scope/}: $(tr '\n' ' ' < "$d/cgroup.procs")"; done; }

echo "== case $case_name: uid $(id -u), cgroup $(cat /proc/self/cgroup)"
if [ "$case_name" = leaf ]; then
  # systemd's rule for a delegated tree: its owner moves itself out of the inner node it was given.
  mkdir "$scope/shell" && echo $$ > "$scope/shell/cgroup.procs" || { echo "$MARK FAIL $case_name leaf: could not move into $scope/shell"; exit 1; }
  echo "moved to $(cat /proc/self/cgroup)"
fi
if [ "$case_name" != auto ]; then
  printf 'kavach.backends.process.cgroup-root = "%s"\n' "$scope" > kavach.conf
  echo "./kavach.conf: $(cat kavach.conf)"
fi
own=$(sed -n 's/^0:://p' /proc/self/cgroup)
rel=${scope#$cg}
[ "$case_name" = auto ] && rel=${app#$cg} # each command gets a fresh scope in app.slice

# 1. The probe: process available, every limit by cgroup v2.
k backends
if [ $rc = 0 ] && grep -q '^process  available' "$out" && has 'memory limit: enforced by cgroup v2' "$out" \
    && has 'pids limit: enforced by cgroup v2' "$out" && has 'cpu limit: enforced by cgroup v2' "$out"; then
  pass "backends: process available, memory, pids and cpu by cgroup v2 ($(grep -o 'cgroups: .*' "$out"))"
else
  fail backends "process not available, or a limit not by cgroup v2"
fi

# 2. README's first command (basic preset: memory 1024 MiB, 256 pids).
k run -- uname -a
if [ $rc = 0 ] && has '^Linux ' "$out"; then pass "uname: $(head -c 80 "$out")"; else fail uname "kavach run -- uname -a failed"; fi
if [ $rc != 0 ]; then
  # Why a refusal happened, in kernel terms: the controllers the scope and Kavach's groups below it enable for
  # their children, and whether this user can enable memory for the scope's children (a domain controller: cgroup
  # v2 refuses it with EBUSY while the scope holds processes of its own; pids and cpu are threaded and may be).
  why=$( { echo +memory > "$scope/cgroup.subtree_control"; } 2>&1 ) && why="succeeds"
  echo "$MARK NOTE $case_name: subtree_control: $(tree | sed 's/:.*//' | while read -r d; do printf '%s [%s] ' "$d" \
    "$(cat "$scope/$d/cgroup.subtree_control")"; done)scope [$(cat "$scope/cgroup.subtree_control")]; writing +memory to the" \
    "scope's cgroup.subtree_control as $(id -un): $why; processes in the scope itself: $(tr '\n' ' ' < "$scope/cgroup.procs")"
fi
after_first=$(tree | sed 's/:.*//')

refused=no
[ $rc = 125 ] && has 'cannot be enforced' "$err" && refused=yes
if [ $refused = no ]; then
  # 3. Where a basic run sits, what its group enforces (read from outside while it runs), what it sees of cgroups
  # (its own namespace), and a timeout that kills its whole tree through the group's cgroup.kill.
  probe=kcg2-probe-$$
  (
    end=$(( $(date +%s) + 120 ))
    while [ "$(date +%s)" -lt "$end" ]; do
      for p in /proc/[0-9]*; do
        # Shell builtins only until a process is in a cgroup below the scope other than this shell's own: a scan
        # that forks per process takes longer under emulation than the command lives.
        { read -r line < "$p/cgroup"; } 2>/dev/null || continue
        g=${line#0::}
        case $g in "$rel"/*) ;; *) continue ;; esac
        [ "$g" != "$own" ] || continue
        # The sandboxed sh (argv exactly: sh -c SCRIPT PROBE) or the bubblewrap that runs it (bwrap --args N -- sh
        # -c SCRIPT PROBE); the JVM's argv ends the same way, so neither the count nor the last word alone will do.
        args=$(tr '\0' '\n' 2>/dev/null < "$p/cmdline") || continue
        [ "$(echo "$args" | tail -n 1)" = "$probe" ] || continue
        case $(echo "$args" | wc -l):$(echo "$args" | head -n 1) in 4:*|*:*/bwrap|*:bwrap) ;; *) continue ;; esac
        echo "group=$g"
        echo "memory.max=$(cat "$cg$g/memory.max" 2>/dev/null)"
        echo "pids.max=$(cat "$cg$g/pids.max" 2>/dev/null)"
        echo "memory.swap.max=$(cat "$cg$g/memory.swap.max" 2>/dev/null)"
        exit 0
      done
      sleep 0.2
    done
    echo "group=none"
  ) > watch.txt &
  watcher=$!
  k run --json --timeout 12s -- sh -c 'cat /proc/self/cgroup; sleep 100 & sleep 100; exit 0' "$probe"
  kill $watcher 2>/dev/null # when Kavach refused to start the command, there is nothing to wait for
  wait $watcher
  sed 's/^/  /' watch.txt
  group=$(sed -n 's/^group=//p' watch.txt)
  case $group in
    "${scope#$cg}"/*)
      if grep -qx 'memory.max=1073741824' watch.txt && grep -qx 'pids.max=256' watch.txt; then
        pass "placement: exec group $group below the scope, memory.max=1073741824 pids.max=256 (basic's defaults)"
      else
        fail placement "exec group $group lacks basic's limits: $(tr '\n' ' ' < watch.txt)"
      fi ;;
    *) fail placement "the sandboxed command was not seen in a cgroup of its own below the scope (group: ${group:-none})" ;;
  esac
  if has '"stdout":{"text":"0::/\\n"' "$out"; then
    pass "cgroup namespace: the command sees 0::/, not the host path"
  else
    fail cgroupns "expected 0::/ as the command's only output"
  fi
  if [ $rc = 124 ] && has '"outcome":"TIMED_OUT"' "$out" && has 'cgroup v2 cgroup.kill' "$out"; then
    pass "timeout: exit 124, TIMED_OUT, tree killed by cgroup v2 cgroup.kill of the exec group"
  else
    fail timeout "expected exit 124, TIMED_OUT and cgroup.kill"
  fi

  # 4. strict with max-pids 8: a fork loop stops short; --json names cgroup v2 for every limit.
  k run --policy strict --json --timeout 120s -D kavach.policy.max-pids=8 \
    -- sh -c 'i=0; while [ $i -lt 40 ]; do sleep 30 & i=$((i+1)); echo "started $i"; done'
  if has '"mechanism":"cgroup v2 pids.max=8"' "$out" && has '"mechanism":"cgroup v2 memory.max=536870912' "$out" \
      && has '"mechanism":"cgroup v2 cpu.max=100000 100000"' "$out"; then
    pass "json: strict's enforcement names cgroup v2 pids.max=8, memory.max=536870912, cpu.max=100000 100000"
  else
    fail json "enforcement does not name cgroup v2 for pids, memory and cpu"
  fi
  if has "can't fork" "$out" && ! has 'started 40' "$out"; then
    pass "pids: the fork loop stopped at $(grep -o 'started [0-9]*' "$out" | tail -n 1) of 40 with \"can't fork\""
  else
    fail pids "the fork loop was not stopped by pids.max=8"
  fi

  # 5. A 64 MiB limit: filling the sandbox's tmpfs with 200 MiB wakes the OOM killer, and Kavach says so.
  k run --json --memory 64M --timeout 120s -- sh -c 'dd if=/dev/zero of=/tmp/fill bs=1M count=200 2>/dev/null; echo "dd exit $?"'
  if has '"mechanism":"cgroup v2 memory.max=67108864' "$out" && has 'memory limit 64 MiB exceeded' "$out"; then
    pass "memory: 200 MiB into tmpfs under memory.max=67108864 was stopped by the OOM killer ($(grep -o 'dd exit [0-9]*' "$out" || echo 'shell killed'))"
  else
    fail memory "no cgroup v2 memory.max=67108864, or no OOM reported"
  fi

else
  # Every run below needs cgroup limits that were just refused: one line each instead of five slow refusals.
  for check in placement cgroupns timeout json pids memory; do
    failures=$((failures + 1))
    echo "$MARK FAIL $case_name $check: not run, the cgroup limits were refused (see uname)"
  done
fi

# 6. Nothing left behind: no exec group seen above remains, no cgroup below the scope holds a process other than
# this shell, and the tree is the one the first run left (Kavach's parent groups, empty).
leftover=""
case $group in /*) [ -d "$cg$group" ] && [ "$group" != "$own" ] && leftover="$leftover exec group $group remains;" ;; esac
for d in $(find "$scope" -mindepth 1 -type d); do
  [ "${d#$cg}" = "$own" ] && continue
  procs=$(tr '\n' ' ' < "$d/cgroup.procs")
  [ -z "${procs% }" ] || leftover="$leftover ${d#$scope/} holds $procs;"
done
now=$(tree | sed 's/:.*//')
[ "$now" = "$after_first" ] || leftover="$leftover tree changed from [$(echo $after_first)] to [$(echo $now)];"
echo "tree below the scope:"; tree | sed 's/^/  /'
if [ -z "$leftover" ]; then pass "cleanup: no process or exec group left below the scope"; else rc=-; fail cleanup "$leftover"; fi

echo "$MARK CASE-RESULT $case_name failures $failures"
exit 0
EOF
chmod 755 "$root/init" "$root/sbin/init2" "$root/sbin/cg2-checks"

(cd "$root" && find . -print0 | cpio --null -o -H newc --quiet) > "$work/initrd.cpio"
echo "== guest image: $(du -sh "$work/initrd.cpio" | cut -f1) uncompressed (runtime $(du -sh "$root/opt/jre" | cut -f1)), built in $((SECONDS - started)) s"
rm -rf "$root" "$cds" # the image holds it all

# --- Boot it ------------------------------------------------------------------------------------------------------
log=$work/console.log
boot_started=$SECONDS
echo "== booting (TCG, 2 vCPUs, 2560 MiB); console: $log"
set +e
timeout -k 10 "${KAVACH_CG2_TIMEOUT:-1200}" qemu-system-x86_64 -nodefaults -no-user-config -machine q35 -accel tcg -cpu max \
  -smp 2 -m 2560 -display none -serial stdio -no-reboot \
  -kernel "$KAVACH_GUEST_KERNEL" -initrd "$work/initrd.cpio" \
  -append "console=ttyS0 panic=-1 rdinit=/init cgroup_no_v1=all quiet" </dev/null 2>&1 | tr -d '\r' | tee "$log"
qemu_status=${PIPESTATUS[0]}
set -e
mark="KCG2-$token"

# --- The verdict ---------------------------------------------------------------------------------------------------
echo
echo "== summary (guest ran $((SECONDS - boot_started)) s, $((SECONDS - started)) s in all)"
status=0
if [ "$qemu_status" != 0 ]; then echo "QEMU exited with status $qemu_status (124: the guest ran past ${KAVACH_CG2_TIMEOUT:-1200} s)"; status=1; fi
if grep -q "^$mark SETUP-FAILED" "$log"; then grep "^$mark SETUP-FAILED" "$log" | sed "s/^$mark //"; status=1; fi
grep -q "^$mark DONE" "$log" || { echo "the guest did not finish its checks"; status=1; }
for c in ${cases//,/ }; do
  passed=$(grep -c "^$mark PASS $c " "$log" || true)
  failed=$(grep -c "^$mark FAIL $c " "$log" || true)
  required=no
  case ",$expect," in *",$c,"*) required=yes ;; esac
  if [ "$failed" = 0 ] && grep -q "^$mark CASE-RESULT $c failures 0" "$log"; then verdict=PASS
  else verdict=FAIL; [ $required = yes ] && status=1; fi
  echo "case $c: $verdict ($passed checks passed, $failed failed; must pass: $required)"
  grep -E "^$mark (PASS|FAIL|NOTE) $c[ :]" "$log" | sed "s/^$mark /  /" || true
done
[ $status = 0 ] && echo "cgroup2-guest: OK" || echo "cgroup2-guest: FAILED (console log: $log)"
exit $status
