package raftkv.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import raftkv.server.NodeProcesses.Reply;

/**
 * A user's first minute: three fresh node processes, and as soon as every node answers
 * {@code /status} and one of them names a leader (what {@code make cluster} waits for), 100 writes
 * from 16 concurrent clients through the two followers. Not one may fail: the port is open before
 * the Raft clock starts, a new leader is not deposed while its first messages are still on their
 * way, and a request that meets an election waits for its outcome.
 *
 * <p>Waiting for every node matters on a loaded machine: two JVMs can elect a leader while the
 * third is still loading classes, and a process that has not opened its port yet refuses
 * connections however correct the node is. That the port opens before the Raft clock starts is
 * checked separately, in each node's log.
 */
class StartupIT extends NodeProcessesTest {

    private static final int WRITES = 100;
    private static final int CLIENTS = 16;

    @Test
    void aFreshClusterAcceptsEveryWriteThroughItsFollowersOnceALeaderIsReported() throws Exception {
        cluster = NodeProcesses.fresh("startup", 3);
        long started = System.nanoTime();
        cluster.startAll();
        String leader = awaitEveryNodeUpAndALeader(CLUSTER_UP);
        System.out.printf("startup: %s reported as leader %d ms after the processes started%n", leader,
                Duration.ofNanos(System.nanoTime() - started).toMillis());
        List<String> followers = cluster.ids().stream().filter(id -> !id.equals(leader)).toList();

        Map<String, String> failures = new ConcurrentHashMap<>();
        try (ExecutorService clients = Executors.newFixedThreadPool(CLIENTS)) {
            List<Future<?>> writes = new ArrayList<>();
            for (int i = 0; i < WRITES; i++) {
                String id = "w" + i;
                String via = followers.get(i % followers.size());
                writes.add(clients.submit(() -> {
                    Optional<Reply> reply = cluster.send(via, HttpRequest.newBuilder(cluster.url(via).resolve("/kv/" + id))
                            .timeout(Duration.ofSeconds(5))
                            .PUT(HttpRequest.BodyPublishers.ofString("{\"name\":\"n-" + id + "\"}")));
                    if (reply.isEmpty() || reply.get().status() != 200) {
                        failures.put(id, via + ": " + reply.map(r -> r.status() + " " + r.body()).orElse("no answer"));
                    }
                }));
            }
            for (Future<?> write : writes) {
                write.get(Duration.ofSeconds(30).toMillis(), TimeUnit.MILLISECONDS);
            }
        }
        assertThat(failures).as("writes that failed; node logs in %s", cluster.workDir()).isEmpty();
        for (String id : cluster.ids()) {
            assertPortOpenedBeforeTheFirstCampaign(id);
        }
    }

    /**
     * A node that campaigns and votes before its port is open delays the first election and refuses
     * the clients that the leader it helped elect sends its way. Its log says which came first.
     */
    private void assertPortOpenedBeforeTheFirstCampaign(String id) throws IOException {
        List<String> lines = Files.readAllLines(cluster.logFile(id));
        int portOpen = indexOfFirst(lines, "accepts connections on port");
        int firstRoleChange = indexOfFirst(lines, "EventLoop - term ");
        assertThat(portOpen).as("%s logs that its port is open", id).isNotNegative();
        if (firstRoleChange >= 0) {
            assertThat(portOpen).as("%s opened its port before its first role change", id).isLessThan(firstRoleChange);
        }
    }

    private static int indexOfFirst(List<String> lines, String text) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(text)) {
                return i;
            }
        }
        return -1;
    }

    /** Waits until every node answers {@code /status}; returns the leader one of them names. */
    private String awaitEveryNodeUpAndALeader(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            String leader = null;
            boolean everyNodeUp = true;
            for (String id : cluster.ids()) {
                Optional<Reply> status = cluster.get(id, "/status");
                everyNodeUp &= status.isPresent();
                if (status.isPresent() && status.get().body().path("leader").isTextual()) {
                    leader = status.get().body().get("leader").asText();
                }
            }
            if (everyNodeUp && leader != null) {
                return leader;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("not every node was up with a leader named within " + timeout);
    }
}
