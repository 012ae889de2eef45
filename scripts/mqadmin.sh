#!/usr/bin/env bash
# Runs Apache RocketMQ's mqadmin 5.3.3 (org.apache.rocketmq:rocketmq-tools from Maven Central, resolved once
# into .cache/interop/mqadmin/lib/) with a small heap, e.g.
#   scripts/mqadmin.sh clusterList -n 127.0.0.1:9876
#   scripts/mqadmin.sh --fetch-only          (resolve the jars and exit)
# mqadmin exits 0 even when a command fails (it prints the exception): callers must read its output.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/java-tools.sh"

lib_dir="$TERN_ROOT/.cache/interop/mqadmin/lib"
stamp="$lib_dir/.complete"
if ! is_up_to_date "$stamp" "$TERN_ROOT/interop/mqadmin/pom.xml"; then
  require_java_and_maven
  echo "resolving rocketmq-tools into $lib_dir" >&2
  maven_package_into "$TERN_ROOT/interop/mqadmin" "$lib_dir"
  touch "$stamp"
fi
[[ "${1:-}" == "--fetch-only" ]] && exit 0

# user.home and rocketmq.home.dir keep the client's logs and ACL lookup inside the cache; MQADMIN_HOME picks another
# home, e.g. one whose conf/tools.yml holds the accessKey/secretKey mqadmin signs with.
home="${MQADMIN_HOME:-$TERN_ROOT/.cache/interop/mqadmin/home}"
mkdir -p "$home"
exec java -Xms32m -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
  "-Duser.home=$home" "-Drocketmq.home.dir=$home" "-Drocketmq.log.root=$home/logs" \
  -Drocketmq.client.logUseSlf4j=false \
  -cp "$lib_dir/*" org.apache.rocketmq.tools.command.MQAdminStartup "$@"
