package raftkv.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import raftkv.server.NodeProcesses.Reply;
import raftkv.server.transport.StreamTransport;

/**
 * Real node processes started from the shaded jar, crashed with kill -9. Every write the cluster
 * acknowledged must survive the leader's crash, and then the crash of every node at once.
 */
class ClusterIT extends NodeProcessesTest {

    private static final Duration MAX_FAILOVER = Duration.ofMillis(2L * NodeProcesses.ELECTION_MAX_MS);

    /** Writes the cluster acknowledged (200), and writes whose outcome is unknown (may or may not be there). */
    private final Map<String, String> acknowledged = new ConcurrentHashMap<>();
    private final Map<String, String> unknown = new ConcurrentHashMap<>();

    @ParameterizedTest(name = "{0} nodes")
    @ValueSource(ints = {3, 5})
    void acknowledgedWritesSurviveCrashes(int size) throws Exception {
        cluster = NodeProcesses.fresh(size + "-nodes", size);
        cluster.startAll();
        String leader = await("a leader", CLUSTER_UP, cluster::agreedLeader);

        // Writes through every node: followers forward to the leader.
        writeSequentially("before", 30);
        assertThat(acknowledged).hasSize(30);

        // kill -9 the leader; the others elect a new one quickly.
        long killedAt = System.nanoTime();
        cluster.kill(leader);
        String newLeader = await("a new leader", Duration.ofSeconds(10), cluster::agreedLeader);
        Duration failover = Duration.ofNanos(System.nanoTime() - killedAt);
        System.out.printf("%d nodes: %s took over from %s in %d ms%n", size, newLeader, leader, failover.toMillis());
        assertThat(newLeader).isNotEqualTo(leader);
        assertThat(failover).isLessThan(MAX_FAILOVER);

        writeSequentially("after-failover", 20);
        assertEveryAcknowledgedWriteIsReadable();

        // The crashed node comes back and catches up from the log.
        cluster.start(leader);
        awaitAllApplied(size);

        // Crash every node at once in the middle of a load, then restart them all.
        int acknowledgedBeforeLoad = acknowledged.size();
        AtomicBoolean loadRunning = new AtomicBoolean(true);
        List<Thread> writers = new ArrayList<>();
        for (int w = 0; w < 4; w++) {
            String prefix = "load" + w;
            writers.add(Thread.ofVirtual().start(() -> {
                for (int i = 0; loadRunning.get(); i++) {
                    write(prefix + "-" + i, randomNode());
                }
            }));
        }
        Thread.sleep(1_500);
        int acknowledgedUnderLoad = acknowledged.size() - acknowledgedBeforeLoad;
        cluster.killAll();
        loadRunning.set(false);
        for (Thread writer : writers) {
            // Each write is bounded by the client's request timeout; the loop stops at loadRunning.
            assertThat(writer.join(Duration.ofSeconds(30))).as("writer thread ended within 30 s").isTrue();
        }
        assertThat(acknowledgedUnderLoad).as("the load made progress before the crash").isPositive();

        cluster.startAll();
        await("a leader after the restart", CLUSTER_UP, cluster::agreedLeader);
        assertEveryAcknowledgedWriteIsReadable();
        Map<String, String> finalMap = awaitAllApplied(size);
        for (Map.Entry<String, String> write : unknown.entrySet()) {
            assertThat(finalMap.get(write.getKey())).as("a write of unknown outcome either happened or not")
                    .isIn(null, write.getValue());
        }
        System.out.printf("%d nodes: %d acknowledged writes survived, %d of unknown outcome, %d ids in the end%n",
                size, acknowledged.size(), unknown.size(), finalMap.size());
    }

    /**
     * Issue 10: a follower that was down while the leader compacted its log comes back behind the
     * leader's snapshot and catches up through InstallSnapshot with the identical map. Issue 20: the
     * same follower with its data directory wiped (rm -rf) is a new node, not the member its peers
     * know: it refuses to start (exit 4), saying how to rejoin, and the cluster goes on without it.
     */
    @org.junit.jupiter.api.Test
    void aFollowerBehindTheSnapshotCatchesUpAndAWipedOneRefusesToStart() throws Exception {
        cluster = NodeProcesses.fresh("wiped-follower", 3).withArgs("--snapshot-entries", "40",
                "--snapshot-trailing-entries", "5");
        cluster.startAll();
        String leader = await("a leader", CLUSTER_UP, cluster::agreedLeader);
        writeSequentially("before", 120);
        String follower = cluster.ids().stream().filter(id -> !id.equals(leader)).findFirst().orElseThrow();
        cluster.kill(follower);
        writeSequentially("while-away", 100);

        cluster.start(follower);
        Map<String, String> map = awaitAllApplied(3);
        assertThat(map).containsAllEntriesOf(acknowledged);
        assertThat(java.nio.file.Files.readString(cluster.logFile(follower)))
                .as("the follower's log").contains("(InstallSnapshot)");
        System.out.printf("follower %s caught up via InstallSnapshot: %d ids, identical on all 3 nodes%n",
                follower, map.size());

        cluster.kill(follower);
        deleteRecursively(cluster.dataDir(follower));
        cluster.start(follower);
        Process wiped = cluster.process(follower);
        assertThat(wiped.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).as("the wiped node exits").isTrue();
        assertThat(wiped.exitValue()).as("exit code of a node that is not a member").isEqualTo(4);
        cluster.kill(follower); // already gone: forget it
        String wipedLog = java.nio.file.Files.readString(cluster.logFile(follower));
        assertThat(wipedLog).contains("REFUSING TO START").contains("lost its data").contains("--join");
        writeSequentially("after-wipe", 20);
        assertEveryAcknowledgedWriteIsReadable();
        System.out.printf("wiped follower %s refused to start (exit 4); the other two took %d more writes%n",
                follower, 20);
    }

    /** Issue 10, §3.10: POST /admin/transfer-leader moves leadership within one election timeout. */
    @org.junit.jupiter.api.Test
    void transferLeaderMovesLeadershipWithinOneElectionTimeout() throws Exception {
        cluster = NodeProcesses.fresh("transfer", 3);
        cluster.startAll();
        String leader = await("a leader", CLUSTER_UP, cluster::agreedLeader);
        writeSequentially("before", 10);
        String target = cluster.ids().stream().filter(id -> !id.equals(leader)).findFirst().orElseThrow();

        Reply notLeader = transfer(target, "{}");
        assertThat(notLeader.status()).isEqualTo(409);
        assertThat(notLeader.body().get("error").asText()).isEqualTo("not_leader");
        Reply unknownMember = transfer(leader, "{\"to\":\"n9\"}");
        assertThat(unknownMember.status()).isEqualTo(400);
        assertThat(unknownMember.body().get("error").asText()).isEqualTo("unknown_member");
        assertThat(transfer(leader, "{\"to\":5}").body().get("error").asText()).isEqualTo("invalid_body");

        long start = System.nanoTime();
        Reply moved = transfer(leader, "{\"to\":\"" + target + "\"}");
        long tookMs = (System.nanoTime() - start) / 1_000_000;
        assertThat(moved.status()).as(moved.body().toString()).isEqualTo(200);
        assertThat(moved.body().get("leader").asText()).isEqualTo(target);
        assertThat(tookMs).as("ms to move leadership").isLessThan(NodeProcesses.ELECTION_MAX_MS);
        assertThat(await("the cluster to agree", Duration.ofSeconds(5), cluster::agreedLeader)).isEqualTo(target);
        // No "to": the most up-to-date follower.
        Reply back = transfer(target, "");
        assertThat(back.status()).as(back.body().toString()).isEqualTo(200);
        assertThat(back.body().get("leader").asText()).isNotEqualTo(target);
        writeSequentially("after", 10);
        System.out.printf("transfer-leader %s -> %s took %d ms (election timeout %d-%d ms)%n", leader, target, tookMs,
                NodeProcesses.ELECTION_MIN_MS, NodeProcesses.ELECTION_MAX_MS);
    }

    /**
     * Issue 10: a rolling restart (SIGTERM, restart, catch up; node by node, the leader included).
     * A SIGTERM'd leader hands leadership off before it exits. Reports the writes that failed.
     */
    @org.junit.jupiter.api.Test
    void aRollingRestartWithLeaderHandOffLosesNoAcknowledgedWrite() throws Exception {
        cluster = NodeProcesses.fresh("rolling", 3).withArgs("--snapshot-entries", "200",
                "--snapshot-trailing-entries", "20");
        cluster.startAll();
        await("a leader", CLUSTER_UP, cluster::agreedLeader);
        Map<Integer, Integer> outcomes = new ConcurrentHashMap<>(); // HTTP status (0: connection refused) -> count
        AtomicBoolean loadRunning = new AtomicBoolean(true);
        Thread writer = Thread.ofVirtual().start(() -> {
            for (int i = 0; loadRunning.get(); i++) {
                String id = "rolling-" + i;
                String node = randomNode();
                Optional<Reply> reply = cluster.send(node, HttpRequest.newBuilder(cluster.url(node).resolve("/kv/" + id))
                        .PUT(HttpRequest.BodyPublishers.ofString("{\"name\":\"name-of-" + id + "\"}")));
                int status = reply.map(Reply::status).orElse(-1);
                outcomes.merge(status, 1, Integer::sum);
                if (status == 200) {
                    acknowledged.put(id, "name-of-" + id);
                } else if (status != 0 && !reply.map(r -> r.body().path("definite").asBoolean(false)).orElse(false)) {
                    unknown.put(id, "name-of-" + id);
                }
            }
        });
        Thread.sleep(500);
        List<String> order = new ArrayList<>(cluster.ids());
        String firstLeader = cluster.agreedLeader().orElseThrow();
        order.remove(firstLeader);
        order.add(firstLeader); // the leader last, as an operator would
        for (String id : order) {
            boolean wasLeader = id.equals(cluster.agreedLeader().orElse(""));
            cluster.terminate(id);
            if (wasLeader) {
                assertThat(java.nio.file.Files.readString(cluster.logFile(id)))
                        .as("the SIGTERM'd leader handed off first").contains("handing leadership off before shutdown")
                        .containsPattern("leader is now n[0-9]");
            }
            cluster.start(id);
            await(id + " back and caught up", CLUSTER_UP, () -> cluster.get(id, "/status")
                    .filter(r -> r.body().get("leader").isTextual()).filter(r -> r.body().get("lastApplied").asLong()
                            > 0));
            Thread.sleep(300);
        }
        loadRunning.set(false);
        assertThat(writer.join(Duration.ofSeconds(30))).isTrue();
        assertEveryAcknowledgedWriteIsReadable();
        awaitAllApplied(3);
        int attempts = outcomes.values().stream().mapToInt(Integer::intValue).sum();
        int refused = outcomes.getOrDefault(0, 0);
        System.out.printf("rolling restart of 3 nodes (leader %s last): %d writes attempted, %d acknowledged, %d"
                + " refused by a node not listening (never delivered), %d failed after delivery (%d of unknown"
                + " outcome); by HTTP status %s%n", firstLeader, attempts, acknowledged.size(), refused,
                attempts - acknowledged.size() - refused, unknown.size(), new TreeMap<>(outcomes));
        assertThat(acknowledged).isNotEmpty();
    }

    private Reply transfer(String node, String body) {
        return cluster.send(node, HttpRequest.newBuilder(cluster.url(node).resolve("/admin/transfer-leader"))
                .header(StreamTransport.TOKEN_HEADER, NodeProcesses.CLUSTER_TOKEN)
                .POST(HttpRequest.BodyPublishers.ofString(body))).orElseThrow();
    }

    private static void deleteRecursively(java.nio.file.Path dir) throws java.io.IOException {
        try (var paths = java.nio.file.Files.walk(dir)) {
            for (java.nio.file.Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                java.nio.file.Files.delete(p);
            }
        }
    }

    private String randomNode() {
        List<String> ids = cluster.runningIds();
        return ids.isEmpty() ? cluster.ids().getFirst() : ids.get(ThreadLocalRandom.current().nextInt(ids.size()));
    }

    private void writeSequentially(String prefix, int count) {
        for (int i = 0; i < count; i++) {
            String id = prefix + "-" + i;
            // A definite failure (e.g. 503 while the cluster elects) may be retried; an unknown one may not.
            for (int attempt = 0; attempt < 50 && !acknowledged.containsKey(id) && !unknown.containsKey(id); attempt++) {
                write(id, randomNode());
            }
            assertThat(acknowledged).as("write %s was acknowledged", id).containsKey(id);
        }
    }

    /** PUT id -> "name-of-id" through {@code node}, recording the outcome. */
    private void write(String id, String node) {
        String name = "name-of-" + id;
        Optional<Reply> reply = cluster.send(node, HttpRequest.newBuilder(cluster.url(node).resolve("/kv/" + id))
                .PUT(HttpRequest.BodyPublishers.ofString("{\"name\":\"" + name + "\"}")));
        if (reply.isPresent() && reply.get().status() == 200) {
            acknowledged.put(id, name);
        } else if (reply.isPresent() && reply.get().notDelivered()) {
            return; // connection refused: it never reached a node
        } else if (reply.isEmpty() || !reply.get().body().path("definite").asBoolean(false)) {
            unknown.put(id, name);
        }
    }

    private void assertEveryAcknowledgedWriteIsReadable() {
        for (Map.Entry<String, String> write : acknowledged.entrySet()) {
            JsonNode body = await("a read of " + write.getKey(), Duration.ofSeconds(10), () -> {
                String node = randomNode();
                return cluster.get(node, "/kv/" + write.getKey()).filter(r -> r.status() == 200 || r.status() == 404)
                        .map(Reply::body);
            });
            assertThat(body.path("name").asText(null)).as("acknowledged write %s", write.getKey())
                    .isEqualTo(write.getValue());
        }
    }

    /**
     * Waits until every node has applied the same prefix of the log and checks that their maps are
     * identical (each node's own state, read without forwarding); returns that map.
     */
    private Map<String, String> awaitAllApplied(int size) {
        return await("all " + size + " nodes to apply the same log", Duration.ofSeconds(30), () -> {
            Map<String, String> agreed = null;
            long applied = -1;
            for (String id : cluster.ids()) {
                Optional<LocalMap> local = localMap(id);
                if (local.isEmpty()) {
                    return Optional.empty();
                }
                long theirs = local.get().lastApplied();
                Map<String, String> map = local.get().map();
                if (applied >= 0 && theirs != applied) {
                    return Optional.empty();
                }
                if (agreed != null) {
                    assertThat(map).as("%s's map at lastApplied %d", id, theirs).isEqualTo(agreed);
                }
                applied = theirs;
                agreed = map;
            }
            // Everyone applied the same prefix; it must also be all that is committed.
            long committed = cluster.get(cluster.agreedLeader().orElseThrow(), "/status").orElseThrow()
                    .body().get("commitIndex").asLong();
            return applied == committed ? Optional.of(agreed) : Optional.empty();
        });
    }

    /** A node's own map and the lastApplied it was read at. */
    private record LocalMap(long lastApplied, Map<String, String> map) {}

    /**
     * Node {@code id}'s own map, page by page through {@code /debug/kv}; empty if a page is not
     * answered or the pages were read at different lastApplied (the node was still applying).
     */
    private Optional<LocalMap> localMap(String id) {
        Map<String, String> map = new TreeMap<>();
        long applied = -1;
        String after = null;
        do {
            Optional<Reply> page = cluster.get(id, "/debug/kv?limit=10000" + (after == null ? "" : "&after=" + after));
            if (page.isEmpty() || page.get().status() != 200) {
                return Optional.empty();
            }
            long theirs = page.get().body().get("lastApplied").asLong();
            if (applied >= 0 && theirs != applied) {
                return Optional.empty();
            }
            applied = theirs;
            page.get().body().get("kv").properties().forEach(e -> map.put(e.getKey(), e.getValue().asText()));
            JsonNode next = page.get().body().get("next");
            after = next.isNull() ? null : next.asText();
        } while (after != null);
        return Optional.of(new LocalMap(applied, map));
    }

    private <T> T await(String what, Duration timeout, Supplier<Optional<T>> probe) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Optional<T> value;
            try {
                value = probe.get();
            } catch (RuntimeException e) {
                value = Optional.empty(); // a node mid-restart; an AssertionError still fails the test
            }
            if (value.isPresent()) {
                return value.get();
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no " + what + " within " + timeout + "; logs in " + logs());
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }
    }

    private String logs() {
        return cluster.ids().stream().map(id -> cluster.logFile(id).toString()).toList().toString();
    }
}
