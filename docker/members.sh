# Membership changes on the Docker cluster (issue 20), sourced by docker/cluster.sh, whose helpers
# (container, node_arg, raftkv_runs, start_node, cluster_token, log, die, ...) it uses:
#
#   add_node NODE      NODE, a container without raftkv, joins: empty data directory, raftkv started
#                      with --join through the leader (added as a learner, §4.2.1), then promoted
#                      to voter once it has caught up (the leader answers not_caught_up until then)
#   remove_node NODE   DELETE /admin/members/NODE through the leader (any member, the leader too,
#                      §4.2.2), then raftkv is stopped on NODE and its data directory emptied: the
#                      directory is no member's any more; NODE can be added again, as a new node
#
# Both talk to the nodes through the control container (as Jepsen does), with the cluster token.

MEMBER_WAIT_S=${MEMBER_WAIT_S:-120}

# `curl` of a node's client API from control: METHOD NODE PATH; prints "STATUS BODY".
member_api() {
  docker exec "$CONTROL" curl -s --max-time 20 -o /tmp/member-api.out -w '%{http_code}' -X "$1" \
    "http://$2:8080$3" -H "X-Raft-Token: $(cluster_token)" 2>/dev/null || printf '000'
  printf ' %s\n' "$(docker exec "$CONTROL" cat /tmp/member-api.out 2>/dev/null)"
}

# The ids of one role ("voters" or "learners") in a GET /admin/members body: "n1,n2,n3".
member_ids() {
  printf '%s' "$2" | grep -o "\"$1\":\[[^]]*\]" | grep -o '"id":"[^"]*"' | cut -d'"' -f4 | paste -sd, -
}

# "voters n1,n2,n3; learners n4", as the leader says now, or why not.
members_now() {
  local leader answer
  leader=$(current_leader) || { echo "(no leader known)"; return 0; }
  answer=$(member_api GET "$leader" /admin/members)
  [ "${answer%% *}" = 200 ] || { echo "(GET /admin/members on $leader: $answer)"; return 0; }
  echo "voters $(member_ids voters "${answer#* }"); learners $(member_ids learners "${answer#* }") (leader $leader)"
}

# Waits until some node names a leader that is not $1 (empty: any); prints it.
await_leader() {
  local deadline=$((SECONDS + 30)) leader
  while [ $SECONDS -lt $deadline ]; do
    leader=$(current_leader) && [ "$leader" != "${1:-}" ] && { echo "$leader"; return 0; }
    sleep 0.5
  done
  return 1
}

add_node() {
  local n=${1:-} c leader answer t0=$SECONDS deadline status
  node_arg "$n" add-node
  c=$(container "$n")
  raftkv_runs "$n" && die "raftkv already runs on $n: it is a member ('make remove-node NODE=$n' first, to replace it)"
  leader=$(await_leader) || die "no node names a leader: is raftkv running ('make cluster')?"
  answer=$(member_api GET "$leader" /admin/members)
  [ "${answer%% *}" = 200 ] || die "GET /admin/members on $leader: $answer"
  if [[ ",$(member_ids voters "${answer#* }"),$(member_ids learners "${answer#* }")," == *",$n,"* ]]; then
    die "$n is a member already, with raftkv down: 'make start NODE=$n' restarts it; to replace it, 'make remove-node NODE=$n' first"
  fi
  log "members before: $(members_now)"
  # A new node: an empty data directory (a directory that was a member's once is no new node).
  docker exec "$c" sh -c "rm -rf $DATA; mkdir -p $DATA; echo 'join $leader' > $ARGS_FILE; [ -s $NODE_JAR ]" \
    || { docker cp "$JAR" "$c:$NODE_JAR" >/dev/null; }
  start_node "$n"
  log "$n: raftkv started with --join http://$leader:8080 (an empty data directory): it asks to be added as a learner"
  # Promote once it has applied something: a learner the leader has not reached yet would only
  # be a voter that holds up commits. The leader refuses (not_caught_up) until it is close.
  deadline=$((SECONDS + MEMBER_WAIT_S))
  until docker exec "$CONTROL" curl -s --max-time 2 "http://$n:8080/status" | grep -q '"lastApplied":[1-9]'; do
    if [ $SECONDS -ge $deadline ] || ! raftkv_runs "$n"; then
      docker exec "$c" tail -20 "$LOGFILE" >&2 || true
      die "$n did not catch up within ${MEMBER_WAIT_S}s (its log is above)"
    fi
    sleep 0.5
  done
  log "$n: a learner, caught up ($((SECONDS - t0))s); promoting it"
  until leader=$(current_leader) && answer=$(member_api POST "$leader" "/admin/members/$n/promote") \
      && [ "${answer%% *}" = 200 ]; do
    [ $SECONDS -lt $deadline ] || die "$n was not promoted within ${MEMBER_WAIT_S}s: ${answer:-no leader}"
    sleep 0.5 # not caught up yet (not_caught_up), another change under way, or a new leader
  done
  log "$n: promoted to voter in $((SECONDS - t0))s"
  log "members after:  $(members_now)"
  status=$(docker exec "$CONTROL" curl -s --max-time 2 "http://$n:8080/status")
  log "$n /status: $status"
}

remove_node() {
  local n=${1:-} c leader="" answer="" deadline=$((SECONDS + 60)) t0=$SECONDS
  node_arg "$n" remove-node
  c=$(container "$n")
  log "members before: $(members_now)"
  while :; do
    leader=$(current_leader) && answer=$(member_api DELETE "$leader" "/admin/members/$n")
    case "${answer%% *}" in
      200) log "$n removed from the configuration (committed): ${answer#* }"; break ;;
      400) if [[ "$answer" == *unknown_member* ]]; then log "$n is no member (${answer#* }): stopping it all the same"; break; fi
           die "DELETE /admin/members/$n on $leader: $answer" ;;
      422) die "DELETE /admin/members/$n on $leader: $answer" ;; # would leave no voter: definite
    esac
    [ $SECONDS -lt $deadline ] || die "could not remove $n within 60s: ${answer:-no leader known}"
    sleep 0.5 # no leader yet, another change under way (change_in_progress), or a new leader
  done
  # The change committed; a removed leader hands over and steps down (§4.2.2). Then stop raftkv and
  # empty the directory, which belongs to no member now.
  docker exec "$c" sh -c "[ -f $PIDFILE ] && start-stop-daemon --stop --quiet --oknodo --pidfile $PIDFILE --remove-pidfile --retry TERM/10/KILL/5; rm -rf $DATA $ARGS_FILE; mkdir -p $DATA" || true
  log "$n: raftkv stopped, its data directory emptied ($((SECONDS - t0))s); 'make add-node NODE=$n' adds it again as a new node"
  await_leader "$n" >/dev/null || log "WARNING: no node names a leader other than $n within 30s"
  log "members after:  $(members_now)"
}
