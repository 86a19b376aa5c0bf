package raftkv.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.server.Json;

/**
 * Node n1 as a follower whose leader (n2, played by the test) never answers a forward: the write
 * went out on the peer stream, so when the leader changes n1 cannot know whether it was appended.
 */
class FollowerForwardingTest {

    @TempDir
    Path dataDir;

    private InProcessNode node;

    @BeforeEach
    void start() throws Exception {
        node = new InProcessNode(dataDir, null, 3000, "n2", "n3");
    }

    @AfterEach
    void stop() throws Exception {
        node.close();
    }

    private void post(String type, String body) throws Exception {
        assertThat(node.send("POST", "/raft/" + type, body).statusCode()).isEqualTo(204);
    }

    private void heartbeat(long term, String leader) throws Exception {
        post("append-entries", "{\"term\":" + term + ",\"from\":\"" + leader + "\",\"to\":\"n1\",\"prevLogIndex\":0,"
                + "\"prevLogTerm\":0,\"entries\":[],\"leaderCommit\":0,\"round\":1}");
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!leader.equals(node.loop().status().leader())) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("n1 did not learn leader " + leader);
            }
            Thread.sleep(2);
        }
    }

    @Test
    void aForwardedWriteWhoseLeaderChangesBeforeItAnswersIsIndefinite() throws Exception {
        heartbeat(1, "n2");
        // n2 registers session "1" for the client, committed (n1 then proposes the write with it, as
        // it is; a write without a session would first need this node's own session registered).
        post("append-entries", "{\"term\":1,\"from\":\"n2\",\"to\":\"n1\",\"prevLogIndex\":0,\"prevLogTerm\":0,"
                + "\"entries\":[{\"term\":1,\"index\":1,\"command\":{\"type\":\"open_session\"}}],\"leaderCommit\":1,"
                + "\"round\":2}");
        long applied = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (node.loop().status().lastApplied() < 1) {
            if (System.nanoTime() > applied) {
                throw new AssertionError("n1 did not apply the registration");
            }
            Thread.sleep(2);
        }
        CompletableFuture<HttpResponse<String>> put = CompletableFuture.supplyAsync(() -> {
            try {
                return node.send("PUT", "/kv/a", "{\"name\":\"A\"}", "X-Client-Id", "1", "X-Client-Seq", "1");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(40); // the write reaches n1's loop and is forwarded to n2 (which never answers)
        heartbeat(2, "n3"); // a new leader, well within n1's election timeout

        HttpResponse<String> response = put.get(10, TimeUnit.SECONDS);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(502);
        JsonNode body = Json.MAPPER.readTree(response.body());
        assertThat(body.get("error").asText()).isEqualTo("forward_failed");
        assertThat(body.get("definite").asBoolean()).as("it may have been appended").isFalse();
    }

    @Test
    void aSessionlessWriteWhoseNodeSessionCannotBeOpenedFailsDefinitely() throws Exception {
        heartbeat(1, "n2"); // n2 never answers the forwarded registration: nothing else is ever proposed

        HttpResponse<String> response = node.send("PUT", "/kv/a", "{\"name\":\"A\"}");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(503);
        JsonNode body = Json.MAPPER.readTree(response.body());
        assertThat(body.get("error").asText()).isEqualTo("no_leader");
        assertThat(body.get("definite").asBoolean()).as("the write itself was never proposed").isTrue();
    }
}
