package raftkv.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.server.Json;
import raftkv.server.transport.StreamTransport;

/** A membership change sent to a follower is refused, definitely, naming the leader and its URL (issue 20). */
class MembersOnAFollowerTest {

    @TempDir
    Path dataDir;

    private InProcessNode node;

    @AfterEach
    void stop() throws Exception {
        node.close();
    }

    @Test
    void aChangeSentToAFollowerIsMisdirectedWithTheLeadersUrlAndChangesNothing() throws Exception {
        node = new InProcessNode(dataDir, "s3cret", 2_000, "n2", "n3");
        // n2 leads term 1 (the test plays it): a heartbeat, sent as n2 with n2's identity.
        HttpResponse<String> heartbeat = node.send("POST", "/raft/append-entries", "{\"term\":1,\"from\":\"n2\","
                + "\"to\":\"n1\",\"prevLogIndex\":0,\"prevLogTerm\":0,\"entries\":[],\"leaderCommit\":0,\"round\":1}",
                StreamTransport.TOKEN_HEADER, "s3cret");
        assertThat(heartbeat.statusCode()).as(heartbeat.body()).isEqualTo(204);
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!"n2".equals(node.loop().status().leader()) && System.nanoTime() < deadline) {
            Thread.sleep(2);
        }

        HttpResponse<String> add = node.send("POST", "/admin/members",
                "{\"id\":\"n4\",\"clientUrl\":\"http://127.0.0.1:4\",\"peerUrl\":\"http://127.0.0.1:5\"}",
                StreamTransport.TOKEN_HEADER, "s3cret");
        assertThat(add.statusCode()).as(add.body()).isEqualTo(421);
        JsonNode body = Json.MAPPER.readTree(add.body());
        assertThat(body.get("error").asText()).isEqualTo("misdirected");
        assertThat(body.get("definite").asBoolean()).isTrue();
        if (!body.get("leader").isNull()) { // n1 may have timed out meanwhile: then no leader is known
            assertThat(body.get("leader").asText()).isEqualTo("n2");
            assertThat(body.get("leaderUrl").asText()).isEqualTo("http://127.0.0.1:2");
        }
        assertThat(node.loop().status().configuration().learnerIds()).isEmpty();
    }
}
