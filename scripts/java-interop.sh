#!/usr/bin/env bash
# Runs the Java interop harness (building it first if needed), e.g.
#   scripts/java-interop.sh produce -n 127.0.0.1:9876 -t T -c 1000 --mode sync
# JAVA_OPTS adds JVM options (e.g. -Drocketmq.serialize.type=ROCKETMQ for binary headers).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/java-tools.sh"

"$TERN_ROOT/scripts/java-interop-build.sh" >/dev/null
log_dir="$TERN_ROOT/.cache/interop/java/logs"
mkdir -p "$log_dir"
# shellcheck disable=SC2086 # JAVA_OPTS is a list of options
exec java -Xms64m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
  "-Drocketmq.log.root=$log_dir" ${JAVA_OPTS:-} \
  -cp "$TERN_ROOT/.cache/interop/java/lib/*" io.tern.interop.Main "$@"
