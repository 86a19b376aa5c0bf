package raftkv.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import raftkv.server.Json;
import raftkv.server.transport.StreamTransport;

/**
 * {@code /admin/members} on a one-node cluster (issue 20): only with the cluster token; each change
 * answers once committed; bad input and impossible changes get definite errors, and change nothing.
 */
class MembersApiTest extends OneNodeClusterTest {

    private static final String N2 = "{\"id\":\"n2\",\"clientUrl\":\"http://127.0.0.1:2\",\"peerUrl\":\"http://127.0.0.1:3\"}";

    private HttpResponse<String> admin(String method, String path, String body) throws Exception {
        return node.send(method, path, body, StreamTransport.TOKEN_HEADER, "s3cret");
    }

    private static JsonNode assertError(HttpResponse<String> response, int status, String code) throws Exception {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        JsonNode body = Json.MAPPER.readTree(response.body());
        assertThat(body.get("error").asText()).isEqualTo(code);
        assertThat(body.get("definite").asBoolean()).as("nothing was appended").isTrue();
        return body;
    }

    private List<String> ids(String role) throws Exception {
        JsonNode body = Json.MAPPER.readTree(admin("GET", "/admin/members", null).body());
        List<String> ids = new ArrayList<>();
        body.get(role).forEach(m -> ids.add(m.get("id").asText()));
        return ids;
    }

    @Test
    void membersAreListedOnlyWithTheClusterToken() throws Exception {
        assertError(node.send("GET", "/admin/members", null), 401, "unauthorized");
        HttpResponse<String> list = admin("GET", "/admin/members", null);
        assertThat(list.statusCode()).isEqualTo(200);
        JsonNode body = Json.MAPPER.readTree(list.body());
        assertThat(body.get("voters").get(0).get("id").asText()).isEqualTo("n1");
        assertThat(body.get("learners")).isEmpty();
        assertThat(body.get("clusterId").asText()).hasSize(16);
        assertThat(body.get("incarnations").has("n1")).isTrue();
    }

    @Test
    void aLearnerIsAddedAndRemovedOnceEachChangeCommitted_4_1() throws Exception {
        HttpResponse<String> added = admin("POST", "/admin/members", N2);
        assertThat(added.statusCode()).as(added.body()).isEqualTo(200);
        JsonNode body = Json.MAPPER.readTree(added.body());
        assertThat(body.get("change").asText()).isEqualTo("AddLearner");
        assertThat(body.get("index").asLong()).isPositive();
        assertThat(ids("learners")).containsExactly("n2");
        assertThat(ids("voters")).containsExactly("n1");

        assertError(admin("POST", "/admin/members", N2), 409, "already_member");

        HttpResponse<String> removed = admin("DELETE", "/admin/members/n2", null);
        assertThat(removed.statusCode()).as(removed.body()).isEqualTo(200);
        assertThat(ids("learners")).isEmpty();
    }

    @Test
    void aLearnersIncarnationIsPinnedInItsPeerUrl() throws Exception {
        HttpResponse<String> added = admin("POST", "/admin/members", N2.replace("}", ",\"incarnation\":\"00000000000000ab\"}"));
        assertThat(added.statusCode()).as(added.body()).isEqualTo(200);
        JsonNode learner = Json.MAPPER.readTree(added.body()).get("learners").get(0);
        assertThat(learner.get("peerUrl").asText()).isEqualTo("http://127.0.0.1:3#incarnation=00000000000000ab");
        assertError(admin("POST", "/admin/members", N2.replace("n2", "n3").replace("}", ",\"incarnation\":\"xyz\"}")),
                400, "invalid_body");
    }

    @Test
    void impossibleChangesAreDefiniteErrorsThatChangeNothing() throws Exception {
        assertError(admin("DELETE", "/admin/members/n9", null), 400, "unknown_member");
        assertError(admin("POST", "/admin/members/n9/promote", null), 400, "unknown_member");
        assertError(admin("DELETE", "/admin/members/n1", null), 422, "would_leave_no_quorum");
        assertError(admin("POST", "/admin/members", "{\"id\":\"n2\",\"clientUrl\":\"ftp://x\",\"peerUrl\":\"http://a:1\"}"),
                400, "invalid_body");
        assertError(admin("POST", "/admin/members", "{\"id\":\"n 2\",\"clientUrl\":\"http://a:1\",\"peerUrl\":\"http://a:2\"}"),
                400, "invalid_id");
        assertError(admin("POST", "/admin/members", "{\"id\":\"n2\"}"), 400, "invalid_body");
        assertThat(ids("voters")).containsExactly("n1");
        assertThat(ids("learners")).isEmpty();
    }
}
