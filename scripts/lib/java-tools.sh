# Shared helpers for the scripts that drive Java tooling (sourced, not executed).
# Maven resolves everything into ~/.m2, so a fresh machine needs only a JDK 17+ and Maven 3.6+.

TERN_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

require_java_and_maven() {
  local missing=()
  command -v java >/dev/null 2>&1 || missing+=("java (JDK 17+)")
  command -v mvn >/dev/null 2>&1 || missing+=("mvn (Apache Maven 3.6+)")
  if ((${#missing[@]})); then
    local IFS=,
    echo "error: not found on PATH: ${missing[*]}; install them (e.g. apt-get install openjdk-17-jdk-headless maven)" >&2
    exit 2
  fi
}

# True when $1 exists and no file among the remaining paths (files or directories) is newer than it.
is_up_to_date() {
  local stamp="$1"; shift
  [[ -e "$stamp" ]] || return 1
  [[ -z "$(find "$@" -newer "$stamp" -print -quit 2>/dev/null)" ]]
}

# Runs the `package` phase of the pom in $1 with its runtime classpath copied into $2 (emptied first,
# so a dependency dropped from the pom does not linger). Maven output is shown only on failure.
maven_package_into() {
  local pom_dir="$1" lib_dir="$2" log
  log="$(mktemp)"
  rm -rf "$lib_dir"
  mkdir -p "$lib_dir"
  if ! (cd "$pom_dir" && mvn -q -B -Dstyle.color=never package "-Dinterop.libDir=$lib_dir") >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    echo "error: maven build of $pom_dir failed" >&2
    exit 1
  fi
  rm -f "$log"
}
