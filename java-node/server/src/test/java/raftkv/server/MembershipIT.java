package raftkv.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import raftkv.server.NodeProcesses.Reply;
import raftkv.server.transport.StreamTransport;

/**
 * Issue 20: membership changes on real node processes under a steady write load. Three nodes grow to
 * five (two learners join with --join, catch up and are promoted), the leader is removed (§4.2.2),
 * and a follower is replaced by a node with a fresh, empty data directory that rejoins as a learner
 * and catches up through InstallSnapshot. No acknowledged write may be lost, and every current
 * member's own map must be identical at the end.
 */
class MembershipIT extends NodeProcessesTest {

    private final Map<String, String> acknowledged = new ConcurrentHashMap<>();
    private final Map<String, String> unknown = new ConcurrentHashMap<>();
    private final Map<String, Integer> failures = new ConcurrentHashMap<>();
    private final List<String> members = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Test
    void threeNodesGrowToFiveLoseTheirLeaderAndReplaceAFollowerWithoutLosingAWrite() throws Exception {
        cluster = NodeProcesses.fresh("membership", 3).withArgs("--snapshot-entries", "200",
                "--snapshot-trailing-entries", "20");
        cluster.startAll();
        members.addAll(List.of("n1", "n2", "n3"));
        String leader = await("a leader", CLUSTER_UP, this::agreedLeader);
        AtomicBoolean loadRunning = new AtomicBoolean(true);
        List<Thread> writers = new ArrayList<>();
        for (int w = 0; w < 3; w++) {
            String prefix = "w" + w;
            writers.add(Thread.ofVirtual().start(() -> {
                for (int i = 0; loadRunning.get(); i++) {
                    write(prefix + "-" + i, members.get(ThreadLocalRandom.current().nextInt(members.size())));
                }
            }));
        }

        // Grow: n4 and n5 join as learners, catch up, and are promoted (§4.2.1).
        for (String joiner : List.of("n4", "n5")) {
            cluster.join(joiner, leader);
            await(joiner + " listed as a learner", CLUSTER_UP, () -> listed(joiner, "learners"));
            members.add(joiner);
            promote(joiner);
            System.out.printf("%s joined as a learner and was promoted%n", joiner);
        }
        assertThat(voters()).containsExactlyInAnyOrder("n1", "n2", "n3", "n4", "n5");

        // Remove the leader (§4.2.2): it hands over and steps down; the others elect a new one.
        String removed = leader;
        admin(removed, "DELETE", "/admin/members/" + removed, null, 200); // on the leader, which is the one removed
        members.remove(removed);
        leader = await("a new leader", Duration.ofSeconds(30), this::agreedLeader);
        assertThat(leader).isNotEqualTo(removed);
        cluster.kill(removed);
        System.out.printf("removed leader %s; %s leads%n", removed, leader);

        // Replace a follower with a fresh node under the same id: removed, wiped, back through --join.
        String replaced = someoneBut(leader);
        admin(leader, "DELETE", "/admin/members/" + replaced, null, 200);
        members.remove(replaced);
        cluster.kill(replaced);
        deleteRecursively(cluster.dataDir(replaced));
        Thread.sleep(1_500); // writes go on; the leader compacts past what the old node had
        cluster.join(replaced, leader);
        await(replaced + " listed as a learner", Duration.ofSeconds(60), () -> listed(replaced, "learners"));
        members.add(replaced);
        promote(replaced);
        System.out.printf("replaced %s with a fresh node%n", replaced);

        Thread.sleep(1_000);
        loadRunning.set(false);
        for (Thread writer : writers) {
            assertThat(writer.join(Duration.ofSeconds(30))).isTrue();
        }
        assertThat(Files.readString(cluster.logFile(replaced))).as("the fresh node's log").contains("(InstallSnapshot)");
        Map<String, String> map = awaitMembersApplied();
        assertThat(map).containsAllEntriesOf(acknowledged);
        for (Map.Entry<String, String> write : unknown.entrySet()) {
            assertThat(map.get(write.getKey())).isIn(null, write.getValue());
        }
        System.out.printf("membership: %d writes acknowledged, %d of unknown outcome, failures by status %s;"
                + " members %s, %d ids identical on all%n", acknowledged.size(), unknown.size(), new TreeMap<>(failures),
                voters(), map.size());
    }

    private void promote(String id) {
        await(id + " promoted", Duration.ofSeconds(60), () -> {
            Reply reply = adminReply(agreedLeader().orElse("n1"), "POST", "/admin/members/" + id + "/promote", null);
            return reply.status() == 200 || listed(id, "voters").isPresent() ? Optional.of(true) : Optional.empty();
        });
    }

    private Optional<Boolean> listed(String id, String role) {
        String node = agreedLeader().orElse(null);
        if (node == null) {
            return Optional.empty();
        }
        Reply reply = adminReply(node, "GET", "/admin/members", null);
        for (JsonNode member : reply.body().path(role)) {
            if (member.path("id").asText().equals(id)) {
                return Optional.of(true);
            }
        }
        return Optional.empty();
    }

    private List<String> voters() {
        Reply reply = adminReply(agreedLeader().orElseThrow(), "GET", "/admin/members", null);
        List<String> ids = new ArrayList<>();
        reply.body().path("voters").forEach(m -> ids.add(m.path("id").asText()));
        return ids;
    }

    private void admin(String node, String method, String path, String body, int expected) {
        Reply reply = adminReply(node, method, path, body);
        assertThat(reply.status()).as(method + " " + path + " on " + node + ": " + reply.body()).isEqualTo(expected);
    }

    private Reply adminReply(String node, String method, String path, String body) {
        return cluster.send(node, HttpRequest.newBuilder(cluster.url(node).resolve(path))
                .header(StreamTransport.TOKEN_HEADER, NodeProcesses.CLUSTER_TOKEN)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body))).orElse(Reply.NOT_DELIVERED);
    }

    private String someoneBut(String id) {
        return members.stream().filter(m -> !m.equals(id)).findFirst().orElseThrow();
    }

    /** The leader every current member names, if they agree. */
    private Optional<String> agreedLeader() {
        String leader = null;
        for (String id : members) {
            Optional<Reply> status = cluster.get(id, "/status");
            if (status.isEmpty() || status.get().body().path("leader").isNull()) {
                return Optional.empty();
            }
            String theirs = status.get().body().get("leader").asText();
            if (leader != null && !leader.equals(theirs) || !members.contains(theirs)) {
                return Optional.empty();
            }
            leader = theirs;
        }
        return Optional.ofNullable(leader);
    }

    private void write(String id, String node) {
        String name = "name-of-" + id;
        Optional<Reply> reply = cluster.send(node, HttpRequest.newBuilder(cluster.url(node).resolve("/kv/" + id))
                .PUT(HttpRequest.BodyPublishers.ofString("{\"name\":\"" + name + "\"}")));
        if (reply.isPresent() && reply.get().status() == 200) {
            acknowledged.put(id, name);
            return;
        }
        failures.merge(reply.map(r -> r.status() + (r.body().path("definite").asBoolean(false) ? "" : "?"))
                .orElse("none"), 1, Integer::sum);
        if (reply.isPresent() && reply.get().notDelivered()) {
            return;
        }
        if (reply.isEmpty() || !reply.get().body().path("definite").asBoolean(false)) {
            unknown.put(id, name);
        }
    }

    /** Every current member applied the same prefix, all that is committed; their maps are identical. */
    private Map<String, String> awaitMembersApplied() {
        return await("every member to apply the same log", Duration.ofSeconds(60), () -> {
            Map<String, String> agreed = null;
            long applied = -1;
            for (String id : members) {
                Optional<Reply> page = cluster.get(id, "/debug/kv?limit=10000");
                if (page.isEmpty() || page.get().status() != 200 || !page.get().body().path("next").isNull()) {
                    return Optional.empty();
                }
                long theirs = page.get().body().get("lastApplied").asLong();
                Map<String, String> map = new TreeMap<>();
                page.get().body().get("kv").properties().forEach(e -> map.put(e.getKey(), e.getValue().asText()));
                if (applied >= 0 && theirs != applied) {
                    return Optional.empty();
                }
                if (agreed != null) {
                    assertThat(map).as("%s's map at lastApplied %d", id, theirs).isEqualTo(agreed);
                }
                applied = theirs;
                agreed = map;
            }
            return Optional.ofNullable(agreed);
        });
    }

    private <T> T await(String what, Duration timeout, Supplier<Optional<T>> probe) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Optional<T> value;
            try {
                value = probe.get();
            } catch (RuntimeException e) {
                value = Optional.empty();
            }
            if (value.isPresent()) {
                return value.get();
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no " + what + " within " + timeout + "; logs in " + cluster.workDir());
            }
            try {
                TimeUnit.MILLISECONDS.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }
    }

    private static void deleteRecursively(Path dir) throws java.io.IOException {
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
