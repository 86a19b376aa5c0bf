# Sourced by scripts/overload.sh after cluster-lib.sh: watches a cluster's three members while a
# load runs, from outside (as a supervisor or an operator would), once a second:
#   - each member's status over HTTP, with its latency: raftkv GET /status, etcd POST
#     /v3/maintenance/status; from the answers, the term and who leads it;
#   - each member's resident set size (VmRSS in /proc/PID/status).
# A new connection per probe, as a new client would open: a server short of connections fails it.

# One status probe of member $2 of system $1 at second $3; prints one line
#   status SECOND MEMBER HTTP_CODE SECONDS TERM LEADER_OF_THAT_TERM
# with "-" for what the answer did not say. curl gives up after 2 s (code 000, seconds ~2).
probe_status() {
  local sys=$1 i=$2 t=$3 out body code secs term="-" leader="-"
  if [ "$sys" = etcd ]; then
    out=$(curl -s -m 2 -X POST -d '{}' -w '\n%{http_code} %{time_total}' "$(etcd_url "$i")/v3/maintenance/status") || true
  else
    out=$(curl -s -m 2 -w '\n%{http_code} %{time_total}' "$(raftkv_url "$i")/status") || true
  fi
  body=${out%$'\n'*}
  read -r code secs <<<"${out##*$'\n'}"
  if [ "$sys" = etcd ]; then
    [[ $body =~ \"raftTerm\":\"([0-9]+)\" ]] && term=${BASH_REMATCH[1]}
    # etcd names its leader by member id; only the leader itself can say which of e1..e3 that is.
    local me="" lead=""
    [[ $body =~ \"member_id\":\"([0-9]+)\" ]] && me=${BASH_REMATCH[1]}
    [[ $body =~ \"leader\":\"([0-9]+)\" ]] && lead=${BASH_REMATCH[1]}
    [ -n "$me" ] && [ "$me" = "$lead" ] && leader=e$i
  else
    [[ $body =~ \"term\":([0-9]+) ]] && term=${BASH_REMATCH[1]}
    [[ $body =~ \"leader\":\"([^\"]+)\" ]] && leader=${BASH_REMATCH[1]}
  fi
  echo "status $t $i ${code:-000} ${secs:-2} $term $leader"
}

# In the background: once a second, for at most $3 seconds or until the file $2.stop exists, the
# status of every member of $1 and their RSS (KiB, "-" once a process is gone), appended to $2.
watch_nodes() {
  local sys=$1 file=$2 secs=$3 t i p start left pids rss
  read -ra pids <<<"$(pids_of "$sys")"
  for ((t = 0; t < secs; t++)); do
    [ -e "$file.stop" ] && break
    start=${EPOCHREALTIME/./}
    for i in 1 2 3; do probe_status "$sys" "$i" "$t" >>"$file" & done
    rss=""
    # A process gone, or exiting (no VmRSS line any more), counts as "-".
    for p in "${pids[@]}"; do rss+=" $(awk '/^VmRSS:/ {r = $2} END {print (r == "" ? "-" : r)}' "/proc/$p/status" 2>/dev/null || echo -)"; done
    echo "rss $t$rss" >>"$file"
    wait # the probes: at most 2 s each
    left=$((1000000 - (${EPOCHREALTIME/./} - start)))
    [ "$left" -le 0 ] || sleep "$(printf '0.%06d' "$left")"
  done
}

# Starts watch_nodes for system $1 into file $2 for at most $3 seconds; sets WATCH_PID.
watch_start() {
  rm -f "$2" "$2.stop"
  : >"$2"
  watch_nodes "$1" "$2" "$3" &
  WATCH_PID=$!
  BG_PIDS+=("$WATCH_PID")
}

# Stops the watcher of file $1 (it ends within a cycle, at most about 3 s).
watch_stop() {
  touch "$1.stop"
  wait "$WATCH_PID" 2>/dev/null || true
}

# What a watch file says, as name=value words:
#   status_ms=A/B/C   the slowest status answer of each member, in ms (">2000" for no answer)
#   status_bad=A/B/C  probes per member not answered 200 within 1 s
#   elections=N       terms begun while watched (last term seen - first term seen)
#   leaders=n1→n2     the leader of each term seen, in term order, repeats collapsed
#   rss_mib=A/B/C     the largest RSS sampled per member
summarize_watch() {
  awk '
    $1 == "status" {
      i = $3; took = $5 * 1000
      if ($4 != "200") took = (took < 1900 ? took : 2001)
      if (took > max[i]) max[i] = took
      if ($4 != "200" || $5 > 1) bad[i]++
      if ($6 != "-") { if (first == "") first = $6; if ($6 + 0 > last) last = $6 + 0 }
      if ($6 != "-" && $7 != "-") leader[$6 + 0] = $7
    }
    $1 == "rss" { for (i = 3; i <= 5; i++) if ($i != "-" && $i + 0 > rss[i - 2]) rss[i - 2] = $i + 0 }
    END {
      seq = ""; prev = ""
      for (t = first + 0; t <= last; t++) if (t in leader && leader[t] != prev) { seq = seq (seq == "" ? "" : "→") leader[t]; prev = leader[t] }
      for (i = 1; i <= 3; i++) {
        slowest[i] = (max[i] > 2000 ? ">2000" : sprintf("%.0f", max[i])); r[i] = sprintf("%.0f", rss[i] / 1024)
      }
      printf "status_ms=%s/%s/%s status_bad=%d/%d/%d elections=%d leaders=%s rss_mib=%s/%s/%s\n",
        slowest[1], slowest[2], slowest[3], bad[1], bad[2], bad[3], (first == "" ? 0 : last - first), (seq == "" ? "?" : seq), r[1], r[2], r[3]
    }' "$1"
}

# Empty if every member of $1 is alive, answers its status and agrees on a leader within 10 s;
# otherwise what is wrong.
unhealthy() {
  local sys=$1 i p pids wrong=""
  read -ra pids <<<"$(pids_of "$sys")"
  for i in 1 2 3; do
    p=${pids[$((i - 1))]}
    if ! kill -0 "$p" 2>/dev/null; then wrong+="member $i exited; "; continue; fi
    [ "$(probe_status "$sys" "$i" x | cut -d' ' -f4)" = 200 ] || wrong+="member $i does not answer its status; "
  done
  [ -n "$wrong" ] || [ -n "$(try_wait_leader "$sys" 100)" ] || wrong+="no agreed leader within 10 s; "
  echo "${wrong%; }"
}
