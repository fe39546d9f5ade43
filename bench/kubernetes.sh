#!/usr/bin/env bash
# The kubernetes backend's figures against fabric8's mock API server (no cluster needed): framework
# overhead per exec and throughput at 64 concurrent execs, each against bare fabric8 calls in the same run.
# Usage: bench/kubernetes.sh [SEQUENTIAL_EXECS [CONCURRENCY [TOTAL_EXECS]]]
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -B -q -ntp -pl kavach-backend-kubernetes -am test-compile -DskipTests 2>&1 | grep -E "ERROR" && exit 1 || true
cp_file=$(mktemp)
trap 'rm -f "$cp_file"' EXIT
./mvnw -B -q -ntp -pl kavach-backend-kubernetes dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$cp_file" >/dev/null
java_bin=java
for jdk in /usr/lib/jvm/*; do [ -x "$jdk/bin/java" ] && "$jdk/bin/java" -version 2>&1 | grep -qE 'version "(2[1-9]|[3-9][0-9])' && java_bin="$jdk/bin/java"; done
m=kavach-backend-kubernetes/target
exec "$java_bin" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$m/test-classes:$m/classes:kavach-api/target/classes:$(cat "$cp_file")" \
  dev.kavach.backend.kubernetes.MockClusterBenchmark "$@"
