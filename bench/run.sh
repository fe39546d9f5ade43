#!/usr/bin/env bash
# Kavach's benchmark suite: builds what it needs, runs every figure and prints one line per figure
# (name, Kavach's median, the baseline's median from the same run, the ratio, the goal, PASS/FAIL/INFO/
# SKIP/ERROR). Writes the same as JSON to bench/results/latest.json (plus a timestamped copy) and the
# full progress log (JMH output, figure programs' errors) to bench/results/latest.log.
#
# usage: bench/run.sh [--full] [--no-build] [--only exec,noop,plugins,output,concurrency,cli,vm,attestation]
#   (a run with --only writes latest-partial.json and leaves latest.json alone)
#   --full      longer runs (more iterations, two JMH forks); the default short mode takes under 10 minutes on 2 cores
#   --no-build  use what is already built (kavach-benchmarks/target, kavach-cli/target)
#
# Environment: KAVACH_JAVA_HOME / JAVA_HOME (a JDK 21+; else the newest under /usr/lib/jvm),
# KAVACH_GUEST_KERNEL_DIR (guest kernel for the vm figure, default /var/cache/kavach/guest-kernel),
# KAVACH_TESTDATA (folder holding sev-snp/ for the attestation figure, default ../shared/testdata).
# Exit status: 0 when every figure was measured or skipped with a reason (goals may still FAIL);
# 1 when an assertion failed (leaked processes, descriptors, temp directories) or a measurement broke.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
build=1
suite_args=()
while [ $# -gt 0 ]; do
  case $1 in
    --full) suite_args+=(--full) ;;
    --no-build) build=0 ;;
    --only) [ $# -ge 2 ] || { echo "bench/run.sh: --only needs a list, e.g. --only exec,cli" >&2; exit 2; }
            suite_args+=(--only "$2"); shift ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "bench/run.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

# A JDK 21+: the one Kavach runs on; Maven itself needs it too.
jdk=""
for candidate in "${KAVACH_JAVA_HOME:-}" "${JAVA_HOME:-}"; do
  if [ -n "$candidate" ] && [ -x "$candidate/bin/javac" ] && \
     [ "$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$candidate/release" 2>/dev/null || echo 0)" -ge 21 ] 2>/dev/null; then
    jdk=$candidate; break
  fi
done
if [ -z "$jdk" ]; then
  best=0
  for candidate in /usr/lib/jvm/*; do
    major=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$candidate/release" 2>/dev/null || true)
    if [ -x "$candidate/bin/javac" ] && [ -n "$major" ] && [ "$major" -ge 21 ] && [ "$major" -gt "$best" ]; then
      jdk=$candidate; best=$major
    fi
  done
fi
[ -n "$jdk" ] || { echo "bench/run.sh: needs a JDK 21+ (set KAVACH_JAVA_HOME or JAVA_HOME)" >&2; exit 2; }

results="$root/bench/results"
mkdir -p "$results"
log="$results/latest.log"
: > "$log"

if [ "$build" = 1 ]; then
  echo "building Kavach, the CLI, the sev plugin and the benchmarks (log: $log) ..." >&2
  # The CLI and the plugin for the cli/vm figures, the benchmark module (profile bench) with its dependencies.
  (cd "$root" && JAVA_HOME="$jdk" ./mvnw -q -Pbench -DskipTests -pl kavach-cli,kavach-attestation-snp,kavach-backend-sev,kavach-benchmarks -am package) >>"$log" 2>&1 \
    || { echo "bench/run.sh: the build failed; see $log" >&2; tail -n 30 "$log" >&2; exit 2; }
fi

target="$root/kavach-benchmarks/target"
jar=""
for candidate in "$target"/kavach-benchmarks-*.jar; do
  # The module's own JAR, not its -sources or -javadoc JAR (which sort first and hold no classes).
  case $candidate in *-sources.jar|*-javadoc.jar|*-tests.jar) ;; *) [ -f "$candidate" ] && jar=$candidate ;; esac
done
[ -n "$jar" ] && [ -d "$target/lib" ] || { echo "bench/run.sh: $target has no benchmark JAR; run without --no-build" >&2; exit 2; }
# A snapshot of the JARs: a rebuild during the run must not change classes under the running JVMs.
snapshot="$results/work/classpath"
rm -rf "$snapshot"
mkdir -p "$snapshot/lib"
cp "$jar" "$snapshot/"
cp "$target"/lib/*.jar "$snapshot/lib/"
classpath="$snapshot/$(basename "$jar")"
for dep in "$snapshot"/lib/*.jar; do classpath="$classpath:$dep"; done

export KAVACH_TESTDATA="${KAVACH_TESTDATA:-$(cd "$root/.." && pwd)/shared/testdata}"
cd "$root"
# JMH on the classpath: its forked benchmark JVMs are started with this JVM's java.class.path.
# Figure lines go to stdout; progress, JMH's output and the figure programs' errors go to the log.
echo "running the suite; progress: tail -f $log" >&2
set +e
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git -C "$root" status --porcelain -- kavach-api kavach-core kavach-backend-process kavach-attestation-snp kavach-backend-sev kavach-cli kavach 2>/dev/null)" ]; then
  commit="$commit with uncommitted changes"
fi
[ "$build" = 1 ] || commit="$commit (--no-build: the JARs already built)"
"$jdk/bin/java" -cp "$classpath" -Dkbench.work="$results/work" -Dkbench.commit="$commit" \
  dev.kavach.benchmarks.Suite --root "$root" --out "$results" "${suite_args[@]}" 2>>"$log"
status=$?
set -e
grep -E '^[0-9]+ figures: ' "$log" | tail -n 1 >&2 || true
[ "$status" = 0 ] || echo "bench/run.sh: the suite failed (status $status): an assertion failed or a measurement broke; see $log" >&2
exit "$status"
