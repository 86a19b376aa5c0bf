package raftkv.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import raftkv.server.Json;
import raftkv.server.transport.StreamTransport;

/** Every status code of the client API on a one-node cluster, and every kind of bad input. */
class HttpApiTest extends OneNodeClusterTest {

    private static JsonNode json(HttpResponse<String> response) throws Exception {
        return Json.MAPPER.readTree(response.body());
    }

    /** The response is an error body with this code, status and definiteness. */
    private static void assertError(HttpResponse<String> response, int status, String code, boolean definite)
            throws Exception {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        JsonNode body = json(response);
        assertThat(body.get("error").asText()).isEqualTo(code);
        assertThat(body.get("definite").asBoolean()).isEqualTo(definite);
        assertThat(body.get("message").asText()).isNotBlank();
    }

    @Test
    void putThenGetReturnsTheName() throws Exception {
        HttpResponse<String> put = node.send("PUT", "/kv/alice", "{\"name\":\"Alice\"}");
        assertThat(put.statusCode()).isEqualTo(200);
        assertThat(json(put).get("name").asText()).isEqualTo("Alice");

        HttpResponse<String> get = node.send("GET", "/kv/alice", null);
        assertThat(get.statusCode()).isEqualTo(200);
        assertThat(get.body()).isEqualTo("{\"id\":\"alice\",\"name\":\"Alice\"}");
    }

    @Test
    void getOfAnAbsentIdIs404NotFound() throws Exception {
        assertError(node.send("GET", "/kv/nobody", null), 404, "not_found", true);
    }

    @Test
    void listReturnsAPageOfTheMapSorted() throws Exception {
        node.send("PUT", "/kv/b", "{\"name\":\"B\"}");
        node.send("PUT", "/kv/a", "{\"name\":\"A\"}");

        HttpResponse<String> list = node.send("GET", "/kv", null);

        assertThat(list.statusCode()).isEqualTo(200);
        assertThat(list.body()).isEqualTo("{\"kv\":{\"a\":\"A\",\"b\":\"B\"},\"next\":null}");
    }

    @Test
    void casSwapsOnlyWhenTheExpectedNameIsThere() throws Exception {
        node.send("PUT", "/kv/k", "{\"name\":\"one\"}");

        HttpResponse<String> swapped = node.send("POST", "/kv/k/cas", "{\"expected\":\"one\",\"name\":\"two\"}");
        assertThat(swapped.statusCode()).isEqualTo(200);
        assertThat(json(swapped).get("name").asText()).isEqualTo("two");

        HttpResponse<String> mismatch = node.send("POST", "/kv/k/cas", "{\"expected\":\"one\",\"name\":\"three\"}");
        assertError(mismatch, 409, "cas_mismatch", true);
        assertThat(json(mismatch).get("current").asText()).isEqualTo("two");

        assertError(node.send("POST", "/kv/absent/cas", "{\"expected\":\"x\",\"name\":\"y\"}"), 404, "not_found", true);
    }

    @Test
    void deleteRemovesOnceThen404() throws Exception {
        node.send("PUT", "/kv/gone", "{\"name\":\"soon\"}");

        HttpResponse<String> deleted = node.send("DELETE", "/kv/gone", null);
        assertThat(deleted.statusCode()).isEqualTo(200);
        assertThat(json(deleted).get("name").asText()).isEqualTo("soon");

        assertError(node.send("DELETE", "/kv/gone", null), 404, "not_found", true);
        assertError(node.send("GET", "/kv/gone", null), 404, "not_found", true);
    }

    /** POST /sessions; returns the issued client id. */
    private String openSession() throws Exception {
        HttpResponse<String> opened = node.send("POST", "/sessions", null);
        assertThat(opened.statusCode()).as(opened.body()).isEqualTo(201);
        return json(opened).get("client_id").asText();
    }

    @Test
    void openingASessionReturns201WithTheIndexOfItsEntryAsClientId_6_3() throws Exception {
        long before = node.loop().status().lastApplied();
        HttpResponse<String> opened = node.send("POST", "/sessions", "{}");
        assertThat(opened.statusCode()).as(opened.body()).isEqualTo(201);
        assertThat(json(opened).get("client_id").asText()).isEqualTo(Long.toString(before + 1));
        assertThat(openSession()).isEqualTo(Long.toString(before + 2));
        assertError(node.send("POST", "/sessions", "{\"id\":\"mine\"}"), 400, "invalid_body", true);
        assertError(node.send("GET", "/sessions", null), 405, "method_not_allowed", true);
    }

    @Test
    void aRetriedSessionCommandAppliesAtMostOnce_6_3() throws Exception {
        node.send("PUT", "/kv/x", "{\"name\":\"v\"}");
        String[] session = {"X-Client-Id", openSession(), "X-Client-Seq", "1"};

        HttpResponse<String> first = node.send("DELETE", "/kv/x", null, session);
        HttpResponse<String> retry = node.send("DELETE", "/kv/x", null, session);

        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(retry.statusCode()).as("the retry gets the recorded answer, not a second delete").isEqualTo(200);
        assertThat(retry.body()).isEqualTo(first.body());
    }

    @Test
    void anOlderSequenceThanTheSessionsLatestIsRefusedIndefinitely_6_3() throws Exception {
        String client = openSession();
        node.send("PUT", "/kv/y", "{\"name\":\"2\"}", "X-Client-Id", client, "X-Client-Seq", "2");

        HttpResponse<String> stale = node.send("PUT", "/kv/y", "{\"name\":\"1\"}", "X-Client-Id", client,
                "X-Client-Seq", "1");

        // An earlier attempt with sequence 1 may have executed: the operation's outcome is not known.
        assertError(stale, 409, "stale_session", false);
        assertThat(json(stale).get("lastSequence").asLong()).isEqualTo(2);
        assertThat(json(node.send("GET", "/kv/y", null)).get("name").asText()).isEqualTo("2");
    }

    @Test
    void aWriteWithAnUnknownClientIdIsRefusedAsSessionExpiredIndefinitely_6_3() throws Exception {
        HttpResponse<String> refused = node.send("PUT", "/kv/u", "{\"name\":\"n\"}", "X-Client-Id", "chosen-by-me",
                "X-Client-Seq", "1");

        assertError(refused, 409, "session_expired", false);
        assertThat(json(refused).get("message").asText()).contains("POST /sessions");
        assertError(node.send("GET", "/kv/u", null), 404, "not_found", true);
    }

    @Test
    void badSessionHeadersAre400() throws Exception {
        assertError(node.send("PUT", "/kv/z", "{\"name\":\"n\"}", "X-Client-Id", "only-id"), 400, "invalid_session", true);
        assertError(node.send("PUT", "/kv/z", "{\"name\":\"n\"}", "X-Client-Id", "c", "X-Client-Seq", "0"), 400,
                "invalid_session", true);
        assertError(node.send("PUT", "/kv/z", "{\"name\":\"n\"}", "X-Client-Id", "c", "X-Client-Seq", "one"), 400,
                "invalid_session", true);
        assertError(node.send("PUT", "/kv/z", "{\"name\":\"n\"}", "X-Client-Id", "bad id!", "X-Client-Seq", "1"), 400,
                "invalid_session", true);
    }

    @Test
    void idsOutsideTheCharsetOrTooLongAre400() throws Exception {
        assertError(node.send("PUT", "/kv/has%20space", "{\"name\":\"n\"}"), 400, "invalid_id", true);
        assertError(node.send("GET", "/kv/" + "a".repeat(129), null), 400, "invalid_id", true);
        assertError(node.send("DELETE", "/kv/%C3%A9", null), 400, "invalid_id", true);
        assertThat(node.send("PUT", "/kv/" + "a".repeat(128), "{\"name\":\"n\"}").statusCode()).isEqualTo(200);
    }

    private static String message(HttpResponse<String> response) throws Exception {
        return json(response).get("message").asText();
    }

    @Test
    void everyBodyParserSaysWhatIsWrongWithTheBody() throws Exception {
        String[] token = {StreamTransport.TOKEN_HEADER, "s3cret"};
        // Routes with required fields (put, cas).
        assertThat(message(node.send("PUT", "/kv/b", "[]"))).isEqualTo("the body must be a JSON object");
        assertThat(message(node.send("PUT", "/kv/b", ""))).isEqualTo("the body must be a JSON object");
        assertThat(message(node.send("PUT", "/kv/b", "{\"name\":\"x\",\"x\":1}"))).isEqualTo("unexpected field 'x'");
        assertThat(message(node.send("PUT", "/kv/b", "{\"name\":5}"))).isEqualTo("field 'name' must be a string");
        assertThat(message(node.send("POST", "/kv/b/cas", "{\"name\":\"x\"}")))
                .isEqualTo("field 'expected' must be a string");
        assertThat(message(node.send("POST", "/kv/b/cas", "{\"expected\":\"" + "x".repeat(1025) + "\",\"name\":5}")))
                .isEqualTo("'expected' is longer than 1024 characters");
        // A route that takes no field (open a session).
        assertThat(message(node.send("POST", "/sessions", "{\"id\":\"mine\"}"))).isEqualTo("send no body, or {}");
        assertThat(message(node.send("POST", "/sessions", "[]"))).isEqualTo("send no body, or {}");
        // A route with an optional field (transfer leadership).
        assertThat(message(node.send("POST", "/admin/transfer-leader", "[]", token)))
                .isEqualTo("the body must be a JSON object");
        assertThat(message(node.send("POST", "/admin/transfer-leader", "{\"too\":\"n2\"}", token)))
                .isEqualTo("unexpected field 'too'");
        assertThat(message(node.send("POST", "/admin/transfer-leader", "{\"to\":2}", token)))
                .isEqualTo("field 'to' must be a string");
    }

    @Test
    void namesOverTheLimitAre400() throws Exception {
        assertError(node.send("PUT", "/kv/long", "{\"name\":\"" + "x".repeat(1025) + "\"}"), 400, "invalid_name", true);
        assertThat(node.send("PUT", "/kv/long", "{\"name\":\"" + "x".repeat(1024) + "\"}").statusCode()).isEqualTo(200);
    }

    @Test
    void malformedOrMistypedBodiesAre400() throws Exception {
        assertError(node.send("PUT", "/kv/b", "{\"name\":"), 400, "invalid_body", true);
        assertError(node.send("PUT", "/kv/b", "not json"), 400, "invalid_body", true);
        assertError(node.send("PUT", "/kv/b", ""), 400, "invalid_body", true);
        assertError(node.send("PUT", "/kv/b", "[\"name\"]"), 400, "invalid_body", true);
        assertError(node.send("PUT", "/kv/b", "{\"name\":5}"), 400, "invalid_body", true);
        assertError(node.send("PUT", "/kv/b", "{\"name\":null}"), 400, "invalid_body", true);
        assertError(node.send("PUT", "/kv/b", "{\"nmae\":\"typo\"}"), 400, "invalid_body", true);
        assertError(node.send("POST", "/kv/b/cas", "{\"name\":\"no expected\"}"), 400, "invalid_body", true);
    }

    @Test
    void bodiesOver64KiBAre413() throws Exception {
        String huge = "{\"name\":\"" + "x".repeat(70_000) + "\"}";
        assertError(node.send("PUT", "/kv/big", huge), 413, "payload_too_large", true);
        assertError(node.send("POST", "/kv/big/cas", huge), 413, "payload_too_large", true);
    }

    @Test
    void unknownRoutesAre404AndWrongMethods405() throws Exception {
        assertError(node.send("GET", "/nope", null), 404, "no_route", true);
        assertError(node.send("GET", "/kv/a/b/c", null), 404, "no_route", true);
        assertError(node.send("PATCH", "/kv/a", "{}"), 405, "method_not_allowed", true);
        assertError(node.send("POST", "/kv", "{}"), 405, "method_not_allowed", true);
    }

    @Test
    void theNodeKeepsServingAfterBadInput() throws Exception {
        for (int i = 0; i < 20; i++) {
            node.send("PUT", "/kv/b", "{\"name\":");
            node.send("POST", "/raft/append-entries", "garbage", "X-Raft-Token", "s3cret");
        }
        assertThat(node.send("PUT", "/kv/still", "{\"name\":\"alive\"}").statusCode()).isEqualTo(200);
    }

    @Test
    void statusReportsRoleTermAndIndexes() throws Exception {
        node.send("PUT", "/kv/s", "{\"name\":\"t\"}");

        HttpResponse<String> status = node.send("GET", "/status", null);

        assertThat(status.statusCode()).isEqualTo(200);
        JsonNode body = json(status);
        assertThat(body.get("id").asText()).isEqualTo("n1");
        assertThat(body.get("role").asText()).isEqualTo("leader");
        assertThat(body.get("leader").asText()).isEqualTo("n1");
        assertThat(body.get("term").asLong()).isPositive();
        // The leader's no-op, the session the node registered to lend the write (sent without one), the put.
        assertThat(body.get("commitIndex").asLong()).isEqualTo(3);
        assertThat(body.get("lastApplied").asLong()).isEqualTo(3);
        assertThat(body.get("lastIndex").asLong()).isEqualTo(3);
        assertThat(body.get("logSize").asLong()).as("the deprecated alias of lastIndex").isEqualTo(3);
    }

    @Test
    void raftMessagesWithoutTheClusterTokenAre401() throws Exception {
        String vote = "{\"term\":99,\"from\":\"n2\",\"to\":\"n1\",\"lastLogIndex\":0,\"lastLogTerm\":0}";

        assertError(node.send("POST", "/raft/request-vote", vote), 401, "unauthorized", true);
        assertError(node.send("POST", "/raft/request-vote", vote, "X-Raft-Token", "wrong"), 401, "unauthorized", true);
        assertThat(node.loop().status().term()).as("the refused vote request changed nothing").isLessThan(99);
    }

    @Test
    void badRaftMessagesAre4xx() throws Exception {
        String[] token = {"X-Raft-Token", "s3cret"};
        assertError(node.send("POST", "/raft/no-such-type", "{}", token), 404, "no_route", true);
        assertError(node.send("POST", "/raft/request-vote", "{\"term\":\"x\"}", token), 400, "invalid_body", true);
        assertError(node.send("POST", "/raft/request-vote",
                "{\"term\":1,\"from\":\"n2\",\"to\":\"n9\",\"lastLogIndex\":0,\"lastLogTerm\":0}", token), 400,
                "invalid_body", true);
        assertError(node.send("POST", "/raft/append-entries", "{\"term\":1,\"from\":\"n2\",\"to\":\"n1\","
                + "\"prevLogIndex\":0,\"prevLogTerm\":0,\"entries\":[{\"term\":1,\"index\":5,"
                + "\"command\":{\"type\":\"noop\"}}],\"leaderCommit\":0,\"round\":1}", token), 400, "invalid_body", true);
    }
}
