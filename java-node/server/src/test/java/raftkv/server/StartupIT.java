package raftkv.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpRequest;
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
 * A user's first minute: three fresh node processes, and as soon as any node's {@code /status} names
 * a leader, 100 writes from 16 concurrent clients through the two followers. Not one may fail: the
 * port is open before the Raft clock starts, a new leader is not deposed while its first messages
 * are still on their way, and a request that meets an election waits for its outcome.
 */
class StartupIT extends NodeProcessesTest {

    private static final int WRITES = 100;
    private static final int CLIENTS = 16;

    @Test
    void aFreshClusterAcceptsEveryWriteThroughItsFollowersOnceALeaderIsReported() throws Exception {
        cluster = NodeProcesses.fresh("startup", 3);
        long started = System.nanoTime();
        cluster.startAll();
        String leader = awaitReportedLeader(Duration.ofSeconds(30));
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
    }

    /** The leader that any node's {@code /status} names first. */
    private String awaitReportedLeader(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            for (String id : cluster.ids()) {
                Optional<Reply> status = cluster.get(id, "/status");
                if (status.isPresent() && !status.get().body().path("leader").isNull()
                        && !status.get().body().path("leader").isMissingNode()) {
                    return status.get().body().get("leader").asText();
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no node reported a leader within " + timeout);
    }
}
