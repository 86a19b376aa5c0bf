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
        String leader = await("a leader", Duration.ofSeconds(30), cluster::agreedLeader);

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
        await("a leader after the restart", Duration.ofSeconds(30), cluster::agreedLeader);
        assertEveryAcknowledgedWriteIsReadable();
        Map<String, String> finalMap = awaitAllApplied(size);
        for (Map.Entry<String, String> write : unknown.entrySet()) {
            assertThat(finalMap.get(write.getKey())).as("a write of unknown outcome either happened or not")
                    .isIn(null, write.getValue());
        }
        System.out.printf("%d nodes: %d acknowledged writes survived, %d of unknown outcome, %d ids in the end%n",
                size, acknowledged.size(), unknown.size(), finalMap.size());
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
                Optional<Reply> local = cluster.get(id, "/debug/kv");
                if (local.isEmpty()) {
                    return Optional.empty();
                }
                long theirs = local.get().body().get("lastApplied").asLong();
                Map<String, String> map = new TreeMap<>();
                local.get().body().get("kv").properties().forEach(e -> map.put(e.getKey(), e.getValue().asText()));
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
