package raftkv.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.core.SessionLimits;
import raftkv.server.Json;

/**
 * {@code POST /sessions} when the state machine's session table (dissertation §6.3) is full of
 * sessions in use: a definite 429 {@code too_many_sessions}, and the sessions in use keep working.
 */
class SessionTableFullTest {

    @TempDir
    Path dataDir;

    private InProcessNode node;

    @AfterEach
    void stopTheNode() throws Exception {
        node.close();
    }

    private static JsonNode json(HttpResponse<String> response) throws Exception {
        return Json.MAPPER.readTree(response.body());
    }

    private String openSession() throws Exception {
        HttpResponse<String> opened = node.send("POST", "/sessions", null);
        assertThat(opened.statusCode()).as(opened.body()).isEqualTo(201);
        return json(opened).get("client_id").asText();
    }

    @Test
    void aRegistrationFindingOnlySessionsInUseIsADefinite429AndTheSessionsKeepWorking_6_3() throws Exception {
        // Two sessions; one may be expired only after 3 entries that did not use it.
        node = new InProcessNode(InProcessNode.config(dataDir, null, 2_000).toBuilder().sessions(new SessionLimits(2, 3)).build());
        node.awaitRole("leader");
        String a = openSession();
        String b = openSession();
        long indexOfB = Long.parseLong(b);

        HttpResponse<String> refused = node.send("POST", "/sessions", null); // index b + 1: a was used two entries ago
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(429);
        assertThat(refused.headers().firstValue("Retry-After")).hasValue("1");
        assertThat(json(refused).get("error").asText()).isEqualTo("too_many_sessions");
        assertThat(json(refused).get("definite").asBoolean()).isTrue();
        assertThat(json(refused).get("message").asText()).contains("2 sessions", "3 log entries");

        String[] sessionB = {"X-Client-Id", b, "X-Client-Seq", "1"};
        assertThat(node.send("PUT", "/kv/k", "{\"name\":\"b\"}", sessionB).statusCode()).isEqualTo(200); // b + 2
        // Index b + 3: the three entries before it did not use a, the least recently used: it makes room.
        assertThat(openSession()).isEqualTo(Long.toString(indexOfB + 3));
        HttpResponse<String> expired = node.send("PUT", "/kv/k", "{\"name\":\"a\"}", "X-Client-Id", a,
                "X-Client-Seq", "1");
        assertThat(expired.statusCode()).as(expired.body()).isEqualTo(409);
        assertThat(json(expired).get("error").asText()).isEqualTo("session_expired");
        // b, in use, survived both registrations: its retry gets the recorded answer.
        HttpResponse<String> retry = node.send("PUT", "/kv/k", "{\"name\":\"b\"}", sessionB);
        assertThat(retry.statusCode()).as(retry.body()).isEqualTo(200);
        assertThat(json(retry).get("name").asText()).isEqualTo("b");
    }
}
