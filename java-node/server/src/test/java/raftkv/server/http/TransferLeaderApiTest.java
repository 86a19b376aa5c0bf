package raftkv.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import raftkv.server.Json;

/** {@code POST /admin/transfer-leader}: bad input and impossible transfers get clear, definite errors. */
class TransferLeaderApiTest extends OneNodeClusterTest {

    private static void assertError(HttpResponse<String> response, int status, String code, boolean definite)
            throws Exception {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        JsonNode body = Json.MAPPER.readTree(response.body());
        assertThat(body.get("error").asText()).isEqualTo(code);
        assertThat(body.get("definite").asBoolean()).isEqualTo(definite);
        assertThat(body.get("message").asText()).isNotBlank();
    }

    @Test
    void aOneNodeClusterHasNoOneToHandLeadershipTo() throws Exception {
        assertError(node.send("POST", "/admin/transfer-leader", ""), 409, "no_other_member", true);
        assertError(node.send("POST", "/admin/transfer-leader", "{}"), 409, "no_other_member", true);
        assertThat(node.loop().status().role()).isEqualTo("leader");
    }

    @Test
    void malformedBodiesAreRefusedAndChangeNothing() throws Exception {
        assertError(node.send("POST", "/admin/transfer-leader", "{\"to\":"), 400, "invalid_body", true);
        assertError(node.send("POST", "/admin/transfer-leader", "[]"), 400, "invalid_body", true);
        assertError(node.send("POST", "/admin/transfer-leader", "{\"to\":\"n2\",\"now\":true}"), 400, "invalid_body",
                true);
        assertError(node.send("POST", "/admin/transfer-leader", "{\"to\":[\"n2\"]}"), 400, "invalid_body", true);
        assertError(node.send("POST", "/admin/transfer-leader", "x".repeat(70_000)), 413, "payload_too_large", true);
        assertError(node.send("GET", "/admin/transfer-leader", null), 405, "method_not_allowed", true);
        assertThat(node.loop().status().role()).isEqualTo("leader");
    }

    @Test
    void aTargetThatIsNotAMemberIsRefused() throws Exception {
        assertError(node.send("POST", "/admin/transfer-leader", "{\"to\":\"n7\"}"), 400, "unknown_member", true);
        assertError(node.send("POST", "/admin/transfer-leader", "{\"to\":\"n1\"}"), 400, "unknown_member", true);
    }
}
