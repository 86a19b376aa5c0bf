#!/usr/bin/env bash
# Prints the home of a JDK >= 21 (javac included): $JAVA_HOME if it qualifies, else the newest one
# under /usr/lib/jvm. Prints nothing (and exits 1) if there is none.
set -u
major() { # java home -> major version, or 0
  local v
  v=$("$1/bin/java" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}')
  echo "${v:-0}" | cut -d. -f1
}
ok() { [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] && [ "$(major "$1")" -ge 21 ]; }
if [ -n "${JAVA_HOME:-}" ] && ok "$JAVA_HOME"; then echo "$JAVA_HOME"; exit 0; fi
best=""; best_v=0
for home in /usr/lib/jvm/*; do
  [ -d "$home" ] && [ ! -L "$home" ] || continue
  if ok "$home"; then v=$(major "$home"); if [ "$v" -gt "$best_v" ]; then best=$home; best_v=$v; fi; fi
done
[ -n "$best" ] && { echo "$best"; exit 0; }
exit 1
