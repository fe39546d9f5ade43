#!/usr/bin/env bash
# Builds and runs the README's "Use it from Java" example exactly as written, as a user's own project would:
# Kavach is installed into a temporary Maven repository (never ~/.m2's own dev/kavach), the project is made of
# the README's dependency block and Java class (extracted from README.md, so the README cannot drift), and it
# must print the sandboxed `uname -a` with exit code 0 and use no deprecated API (compiled with -Werror).
# Usage: .ci/readme-example.sh [WORKDIR]   (needs the Maven repository already filled, e.g. by ./mvnw verify)
set -euo pipefail
cd "$(dirname "$0")/.."
repo_root=$PWD
work=${1:-$(mktemp -d)}
mkdir -p "$work"

section() { # the fenced block of language $1 in README.md's "## Use it from Java" section
  awk -v lang="$1" '
    /^## / { inside = ($0 == "## Use it from Java") }
    inside && $0 == "```" lang { grab = 1; next }
    inside && grab && $0 == "```" { exit }
    grab { print }' README.md
}
deps=$(section xml)
example=$(section java)
# The session example: the java block of the "### Sessions: ..." subsection, built and run in the same project.
session_example=$(awk '
    /^## / { inside = ($0 == "## Use it from Java") }
    inside && /^### Sessions: / { sub_ = 1 }
    sub_ && $0 == "```java" { grab = 1; next }
    grab && $0 == "```" { exit }
    grab { print }' README.md)
[ -n "$deps" ] || { echo "README.md: no \`\`\`xml block in '## Use it from Java'" >&2; exit 1; }
[ -n "$example" ] || { echo "README.md: no \`\`\`java block in '## Use it from Java'" >&2; exit 1; }
class=$(printf '%s\n' "$example" | sed -n 's/^public class \([A-Za-z0-9_]*\).*/\1/p' | head -n 1)
[ -n "$class" ] || { echo "README.md: the Java block has no public class" >&2; exit 1; }

# A repository that has what the build already downloaded, but Kavach only from this install.
local_repo="$work/repository"
mkdir -p "$local_repo"
cp -a "${MAVEN_REPO:-$HOME/.m2/repository}/." "$local_repo/"
rm -rf "$local_repo/dev/kavach"
echo "== installing Kavach into $local_repo"
./mvnw -B -ntp -o -q install -DskipTests -Djapicmp.skip=true -Dmaven.repo.local="$local_repo" \
  -pl kavach-bom,kavach-api,kavach-core,kavach-backend-process -am

project="$work/user-project"
rm -rf "$project" && mkdir -p "$project/src/main/java"
printf '%s\n' "$example" > "$project/src/main/java/$class.java"
[ -n "$session_example" ] || { echo "README.md: no \`\`\`java block in '### Sessions: ...' of '## Use it from Java'" >&2; exit 1; }
printf '%s\n' "$session_example" > "$project/src/main/java/SessionExample.java"
cat > "$project/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.example</groupId>
  <artifactId>uses-kavach</artifactId>
  <version>1</version>
  <properties>
    <maven.compiler.release>21</maven.compiler.release>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
  </properties>
$deps
  <build>
    <plugins>
      <plugin>
        <!-- The README shows the current API: a deprecated call (Kavach.load, open(null)...) fails the build. -->
        <artifactId>maven-compiler-plugin</artifactId>
        <configuration>
          <compilerArgs><arg>-Xlint:deprecation</arg><arg>-Werror</arg></compilerArgs>
        </configuration>
      </plugin>
    </plugins>
  </build>
</project>
POM
# A user's project has no toolchain set-up: build and run it on a JDK 21+ itself.
user_jdk=""
for jdk in ${KAVACH_JAVA_HOME:-} ${JAVA_HOME:-} /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*; do
  if [ -r "$jdk/release" ] && grep -qE '^JAVA_VERSION="(2[1-9]|[3-9][0-9])' "$jdk/release"; then user_jdk=$jdk; break; fi
done
[ -n "$user_jdk" ] || { echo "no JDK 21+ found for the example project; set JAVA_HOME" >&2; exit 1; }
java_bin="$user_jdk/bin/java"
echo "== building the README's example against the installed artifacts (JDK $user_jdk)"
JAVA_HOME="$user_jdk" "$repo_root/mvnw" -B -ntp -o -q -f "$project/pom.xml" -Dmaven.repo.local="$local_repo" compile \
  dependency:build-classpath -Dmdep.outputFile="$project/classpath.txt"
echo "== running it"
output=$(cd "$project" && "$java_bin" -cp "target/classes:$(cat classpath.txt)" "$class")
printf '%s\n' "$output"
case $output in
  "0 Linux "*) echo "== the README's example works" ;;
  *) echo "the README's example did not print '0 Linux ...' (see above)" >&2; exit 1 ;;
esac
echo "== running the session example"
session_output=$(cd "$project" && "$java_bin" -cp "target/classes:$(cat classpath.txt)" SessionExample)
printf '%s\n' "$session_output"
case $session_output in
  *"FILE count.txt"*"DIRECTORY in"*"count 2 2") echo "== the README's session example works" ;;
  *) echo "the README's session example did not list its files and print 'count 2 2' (see above)" >&2; exit 1 ;;
esac
