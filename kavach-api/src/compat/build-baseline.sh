#!/usr/bin/env bash
# Rebuilds kavach-api-0.1.0.jar, the baseline the compatibility gate (japicmp, see kavach-api/pom.xml)
# compares the current API against. 0.1.0 was never published to a repository, so the baseline is built
# from the git commit that is 0.1.0's API and committed beside this script: a fresh clone needs nothing else.
# Usage: kavach-api/src/compat/build-baseline.sh [JDK_HOME]   (a JDK 21+; default: the newest under /usr/lib/jvm)
set -euo pipefail
cd "$(dirname "$0")/../../.."
COMMIT=07d1fd1
JDK="${1:-$(ls -d /usr/lib/jvm/*/ | while read -r d; do [ -x "$d/bin/javac" ] && "$d/bin/javac" -version 2>&1 | awk -v d="$d" '{split($2,v,"."); if (v[1] >= 21) print d}'; done | tail -n 1)}"
[ -x "$JDK/bin/javac" ] || { echo "no JDK 21+ found; pass its home as the first argument" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
git archive "$COMMIT" kavach-api/src/main/java | tar -x -C "$work"
find "$work/kavach-api/src/main/java" -name '*.java' > "$work/sources"
"$JDK/bin/javac" --release 21 -nowarn -d "$work/classes" @"$work/sources"
# Fixed timestamps, so that the committed jar is reproducible byte for byte.
"$JDK/bin/jar" --create --date=2026-11-29T00:00:00Z --file kavach-api/src/compat/kavach-api-0.1.0.jar -C "$work/classes" .
echo "wrote kavach-api/src/compat/kavach-api-0.1.0.jar from $COMMIT"
