#!/usr/bin/env bash
# Builds the Java interop harness (interop/java) and assembles its runtime classpath in
# .cache/interop/java/lib/. Does nothing when the jar is newer than the pom and every source file.
#   usage: scripts/java-interop-build.sh [--force]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/java-tools.sh"

src_dir="$TERN_ROOT/interop/java"
lib_dir="$TERN_ROOT/.cache/interop/java/lib"
jar="$lib_dir/tern-java-interop.jar"

if [[ "${1:-}" != "--force" ]] && is_up_to_date "$jar" "$src_dir/pom.xml" "$src_dir/src"; then
  echo "java interop harness up to date: $jar"
  exit 0
fi

require_java_and_maven
maven_package_into "$src_dir" "$lib_dir"
[[ -f "$jar" ]] || { echo "error: maven finished but $jar is missing" >&2; exit 1; }
echo "built $jar ($(ls "$lib_dir" | wc -l) jars in $lib_dir)"
