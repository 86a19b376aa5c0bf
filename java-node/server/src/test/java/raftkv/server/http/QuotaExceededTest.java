package raftkv.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.core.StateQuota;
import raftkv.server.Json;

/**
 * Writes beyond {@code --max-state-bytes}: a definite 507 {@code quota_exceeded} (as etcd's NOSPACE),
 * while reads and deletes go on, and the state's size against the quota shows in /status and /metrics.
 */
class QuotaExceededTest {

    private static final long ENTRY = StateQuota.entryBytes("1", "Ada"); // 1 + 3 + 128

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

    @Test
    void aWriteBeyondTheQuotaIsADefinite507AndReadsAndDeletesKeepWorking() throws Exception {
        node = new InProcessNode(InProcessNode.config(dataDir, null, 2_000).toBuilder().quota(new StateQuota(2 * ENTRY)).build());
        node.awaitRole("leader");
        assertThat(node.send("PUT", "/kv/1", "{\"name\":\"Ada\"}").statusCode()).isEqualTo(200);
        assertThat(node.send("PUT", "/kv/2", "{\"name\":\"Bob\"}").statusCode()).isEqualTo(200);

        HttpResponse<String> refused = node.send("PUT", "/kv/3", "{\"name\":\"Cy\"}");
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(507);
        JsonNode body = json(refused);
        assertThat(body.get("error").asText()).isEqualTo("quota_exceeded");
        assertThat(body.get("definite").asBoolean()).isTrue();
        assertThat(body.get("stateBytes").asLong()).isEqualTo(2 * ENTRY);
        assertThat(body.get("quotaBytes").asLong()).isEqualTo(2 * ENTRY);
        assertThat(body.get("message").asText()).contains("--max-state-bytes", "deletes still work");
        assertThat(refused.headers().firstValue("Retry-After")).isEmpty();
        HttpResponse<String> cas = node.send("POST", "/kv/1/cas", "{\"expected\":\"Ada\",\"name\":\"Adam\"}");
        assertThat(cas.statusCode()).as(cas.body()).isEqualTo(507);

        assertThat(node.send("GET", "/kv/3", null).statusCode()).isEqualTo(404);
        assertThat(json(node.send("GET", "/kv/1", null)).get("name").asText()).isEqualTo("Ada");
        assertThat(node.send("DELETE", "/kv/2", null).statusCode()).isEqualTo(200);
        assertThat(node.send("PUT", "/kv/3", "{\"name\":\"Cy\"}").statusCode()).isEqualTo(200);

        JsonNode status = json(node.send("GET", "/status", null));
        assertThat(status.get("keys").asLong()).isEqualTo(2);
        assertThat(status.get("stateBytes").asLong()).isEqualTo(ENTRY + StateQuota.entryBytes("3", "Cy"));
        assertThat(status.get("stateQuotaBytes").asLong()).isEqualTo(2 * ENTRY);
        String metrics = node.send("GET", "/metrics", null).body();
        assertThat(metrics).contains("raftkv_state_bytes{node=\"n1\"} " + (double) (2 * ENTRY - 1),
                "raftkv_state_quota_bytes{node=\"n1\"} " + (double) (2 * ENTRY), "raftkv_state_keys{node=\"n1\"} 2.0",
                "raftkv_quota_refused_total{node=\"n1\"} 2.0");
    }
}
