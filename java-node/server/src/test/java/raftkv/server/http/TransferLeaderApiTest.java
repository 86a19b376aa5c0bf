package raftkv.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.server.Json;
import raftkv.server.transport.StreamTransport;

/**
 * {@code POST /admin/transfer-leader}: only with the cluster token; bad input and impossible
 * transfers get clear, definite errors.
 */
class TransferLeaderApiTest extends OneNodeClusterTest {

    /** A request to the transfer route with the cluster token (OneNodeClusterTest's "s3cret"). */
    private HttpResponse<String> admin(String method, String body) throws Exception {
        return node.send(method, "/admin/transfer-leader", body, StreamTransport.TOKEN_HEADER, "s3cret");
    }

    private static void assertError(HttpResponse<String> response, int status, String code, boolean definite)
            throws Exception {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        JsonNode body = Json.MAPPER.readTree(response.body());
        assertThat(body.get("error").asText()).isEqualTo(code);
        assertThat(body.get("definite").asBoolean()).isEqualTo(definite);
        assertThat(body.get("message").asText()).isNotBlank();
    }

    @Test
    void withoutTheClusterTokenAdminRequestsAre401AndChangeNothing() throws Exception {
        HttpResponse<String> none = node.send("POST", "/admin/transfer-leader", "{}");
        assertError(none, 401, "unauthorized", true);
        assertThat(Json.MAPPER.readTree(none.body()).get("message").asText()).contains(StreamTransport.TOKEN_HEADER);
        assertError(node.send("POST", "/admin/transfer-leader", "{}", StreamTransport.TOKEN_HEADER, "s3cre"), 401,
                "unauthorized", true);
        assertError(node.send("POST", "/admin/transfer-leader", "{}", StreamTransport.TOKEN_HEADER, "s3cret2"), 401,
                "unauthorized", true);
        // Refused before its body is even looked at.
        assertError(node.send("POST", "/admin/transfer-leader", "x".repeat(70_000)), 401, "unauthorized", true);
        assertThat(node.loop().status().role()).isEqualTo("leader");
    }

    @Test
    void aNodeStartedWithoutAClusterTokenRefusesEveryAdminRequest(@TempDir Path otherDir) throws Exception {
        try (InProcessNode open = new InProcessNode(otherDir, null, 2_000)) {
            open.awaitRole("leader");
            for (String token : new String[] {"s3cret", "anything"}) {
                HttpResponse<String> refused = open.send("POST", "/admin/transfer-leader", "{}",
                        StreamTransport.TOKEN_HEADER, token);
                assertError(refused, 401, "unauthorized", true);
                assertThat(Json.MAPPER.readTree(refused.body()).get("message").asText()).contains("--cluster-token");
            }
        }
    }

    @Test
    void aOneNodeClusterHasNoOneToHandLeadershipTo() throws Exception {
        assertError(admin("POST", ""), 409, "no_other_member", true);
        assertError(admin("POST", "{}"), 409, "no_other_member", true);
        assertThat(node.loop().status().role()).isEqualTo("leader");
    }

    @Test
    void malformedBodiesAreRefusedAndChangeNothing() throws Exception {
        assertError(admin("POST", "{\"to\":"), 400, "invalid_body", true);
        assertError(admin("POST", "[]"), 400, "invalid_body", true);
        assertError(admin("POST", "{\"to\":\"n2\",\"now\":true}"), 400, "invalid_body",
                true);
        assertError(admin("POST", "{\"to\":[\"n2\"]}"), 400, "invalid_body", true);
        assertError(admin("POST", "x".repeat(70_000)), 413, "payload_too_large", true);
        assertError(admin("GET", null), 405, "method_not_allowed", true);
        assertThat(node.loop().status().role()).isEqualTo("leader");
    }

    @Test
    void aTargetThatIsNotAMemberIsRefused() throws Exception {
        assertError(admin("POST", "{\"to\":\"n7\"}"), 400, "unknown_member", true);
        assertError(admin("POST", "{\"to\":\"n1\"}"), 400, "unknown_member", true);
    }
}
