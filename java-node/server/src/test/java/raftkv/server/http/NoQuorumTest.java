package raftkv.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.server.Json;

/**
 * Node n1 of a three-node cluster whose other two members never answer: it can never elect itself.
 * The test plays n2 by posting Raft messages, to reach the states where requests fail.
 */
class NoQuorumTest {

    private static final String[] NO_TOKEN = {};

    @TempDir
    Path dataDir;

    private InProcessNode node;

    @BeforeEach
    void start() throws Exception {
        node = new InProcessNode(dataDir, null, 800, "n2", "n3");
    }

    @AfterEach
    void stop() throws Exception {
        node.close();
    }

    private static void assertError(HttpResponse<String> response, int status, String code, boolean definite)
            throws Exception {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        JsonNode body = Json.MAPPER.readTree(response.body());
        assertThat(body.get("error").asText()).isEqualTo(code);
        assertThat(body.get("definite").asBoolean()).isEqualTo(definite);
    }

    @Test
    void withNoLeaderWritesAndReadsFailDefinitelyWith503() throws Exception {
        assertError(node.send("PUT", "/kv/a", "{\"name\":\"A\"}"), 503, "no_leader", true);
        assertError(node.send("GET", "/kv/a", null), 503, "no_leader", true);
        assertError(node.send("GET", "/kv", null), 503, "no_leader", true);
    }

    /** Makes n1 leader of a new term by granting it n2's pre-vote and vote; returns that term. */
    private long electN1() throws Exception {
        node.awaitRole("pre_candidate");
        long term = node.loop().status().term() + 1;
        post("pre-vote-reply", "{\"term\":" + term + ",\"from\":\"n2\",\"to\":\"n1\",\"voteGranted\":true}");
        post("request-vote-reply", "{\"term\":" + term + ",\"from\":\"n2\",\"to\":\"n1\",\"voteGranted\":true}");
        node.awaitRole("leader");
        return term;
    }

    private void post(String type, String body) throws Exception {
        assertThat(node.send("POST", "/raft/" + type, body, NO_TOKEN).statusCode()).isEqualTo(204);
    }

    @Test
    void aWriteThatCannotCommitTimesOutIndefinitely() throws Exception {
        electN1();

        // Appended to the leader's log, but no follower ever acknowledges it: it may yet commit.
        assertError(node.send("PUT", "/kv/a", "{\"name\":\"A\"}"), 504, "commit_timeout", false);
    }

    @Test
    void aWriteOverwrittenByANewLeaderFailsDefinitely() throws Exception {
        long term = electN1();
        CompletableFuture<HttpResponse<String>> write = CompletableFuture.supplyAsync(() -> {
            try {
                return node.send("PUT", "/kv/mine", "{\"name\":\"lost\"}");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        // The write sits at index 2 (after n1's no-op at 1), uncommitted.
        while (node.loop().status().logSize() < 2) {
            Thread.sleep(5);
        }

        // n2 wins the next term with a different entry at index 2 and commits it.
        long next = term + 1;
        post("append-entries", "{\"term\":" + next + ",\"from\":\"n2\",\"to\":\"n1\",\"prevLogIndex\":1,"
                + "\"prevLogTerm\":" + term + ",\"entries\":[{\"term\":" + next + ",\"index\":2,"
                + "\"command\":{\"type\":\"put\",\"id\":\"theirs\",\"name\":\"won\"}}],\"leaderCommit\":2,\"probe\":1}");

        assertError(write.get(), 503, "superseded", true);
        assertThat(node.loop().status().lastApplied()).isEqualTo(2);
    }
}
