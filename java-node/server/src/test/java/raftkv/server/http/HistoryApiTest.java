package raftkv.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.server.FaultInjection;
import raftkv.server.Json;
import raftkv.server.transport.StreamTransport;

/**
 * {@code GET /events}, {@code /timeline}, {@code /cluster/history} and the test-only
 * {@code POST /admin/fault/*}: what they answer, and clear definite errors for bad input.
 */
class HistoryApiTest extends OneNodeClusterTest {

    private JsonNode getJson(String path) throws Exception {
        HttpResponse<String> response = node.send("GET", path, null);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return Json.MAPPER.readTree(response.body());
    }

    private static List<String> kinds(JsonNode events) {
        List<String> kinds = new ArrayList<>();
        events.get("events").forEach(e -> kinds.add(e.get("kind").asText()));
        return kinds;
    }

    @Test
    void eventsListTheStartAndTheElectionInOrderAndSinceSkipsWhatWasSeen() throws Exception {
        JsonNode all = getJson("/events");
        assertThat(all.get("node").asText()).isEqualTo("n1");
        assertThat(all.get("capacity").asInt()).isEqualTo(1_000);
        assertThat(all.get("boot").asLong()).isPositive();
        assertThat(kinds(all)).startsWith("started").contains("elected");
        JsonNode elected = all.get("events").get(kinds(all).indexOf("elected"));
        assertThat(elected.get("text").asText()).isEqualTo("n1 won the election of term " + elected.get("term").asLong()
                + " and leads (§5.2)");
        assertThat(elected.get("time").asLong()).isGreaterThanOrEqualTo(all.get("boot").asLong());
        long last = all.get("last").asLong();
        assertThat(getJson("/events?since=" + last).get("events")).isEmpty();
        assertThat(getJson("/events?since=0&limit=1").get("events")).hasSize(1);
    }

    @Test
    void badCursorsAndLimitsAreDefinite400s() throws Exception {
        for (String path : new String[] {"/events?since=-1", "/events?since=x", "/events?limit=0",
                "/events?limit=1001", "/cluster/history?since=n*9:1", "/cluster/history?since=n1", "/cluster/history?since=n1:x"}) {
            HttpResponse<String> response = node.send("GET", path, null);
            assertThat(response.statusCode()).as(path + ": " + response.body()).isEqualTo(400);
            JsonNode body = Json.MAPPER.readTree(response.body());
            assertThat(body.get("error").asText()).isEqualTo("invalid_query");
            assertThat(body.get("definite").asBoolean()).isTrue();
        }
    }

    @Test
    void theTimelineCountsAnsweredWritesWithTheirLatencyAndTheTerm() throws Exception {
        for (int i = 0; i < 3; i++) {
            assertThat(node.send("PUT", "/kv/t" + i, "{\"name\":\"x\"}").statusCode()).isEqualTo(200);
        }
        assertThat(node.send("GET", "/kv/t0", null).statusCode()).isEqualTo(200); // a read is no write
        JsonNode timeline = getJson("/timeline");
        assertThat(timeline.get("seconds").asInt()).isEqualTo(300);
        long writes = 0;
        double largest = 0;
        for (JsonNode sample : timeline.get("samples")) {
            writes += sample.get("writes").asLong();
            largest = Math.max(largest, sample.get("latencyMaxMs").asDouble());
        }
        assertThat(writes).isEqualTo(3);
        assertThat(largest).isPositive();
        JsonNode samples = timeline.get("samples"); // the first may be of the second before the election: term 0
        assertThat(samples.get(samples.size() - 1).get("term").asLong()).as("now, leading").isPositive();
    }

    @Test
    void clusterHistoryGathersEveryMemberAndSaysWhichOnesDoNotAnswer(@TempDir Path otherDir) throws Exception {
        JsonNode one = getJson("/cluster/history?since=n1:1");
        assertThat(one.get("members")).hasSize(1);
        // A page's cursor of a member removed since (§4.1) asks nothing of it and breaks nothing.
        assertThat(getJson("/cluster/history?since=n1:1,n9:4").get("members")).hasSize(1);
        JsonNode self = one.get("members").get(0);
        assertThat(self.get("reachable").asBoolean()).isTrue();
        assertThat(kinds(self.get("events"))).doesNotContain("started").contains("elected"); // seq 1 was the start
        assertThat(self.get("timeline").get("samples")).isNotEmpty();
        try (InProcessNode lonely = new InProcessNode(otherDir, "s3cret", 2_000, "n2")) {
            HttpResponse<String> response = lonely.send("GET", "/cluster/history", null);
            JsonNode members = Json.MAPPER.readTree(response.body()).get("members");
            assertThat(members.get(1).get("id").asText()).isEqualTo("n2");
            assertThat(members.get(1).get("reachable").asBoolean()).isFalse();
            assertThat(members.get(1).get("error").asText()).isEqualTo("connection refused");
        }
    }

    @Test
    void faultRoutesAnswerOnlyOnANodeStartedWithThemAndOnlyWithTheToken(@TempDir Path otherDir) throws Exception {
        HttpResponse<String> off = node.send("POST", "/admin/fault/isolate", null, StreamTransport.TOKEN_HEADER, "s3cret");
        assertThat(off.statusCode()).isEqualTo(404);
        assertThat(Json.MAPPER.readTree(off.body()).get("message").asText()).contains("--fault-injection-routes");
        try (InProcessNode faulty = new InProcessNode(InProcessNode.config(otherDir, "s3cret", 2_000).toBuilder()
                .faultInjection(FaultInjection.ADMIN_ROUTES).build())) {
            assertThat(faulty.send("POST", "/admin/fault/isolate", null).statusCode()).isEqualTo(401);
            HttpResponse<String> cut = faulty.send("POST", "/admin/fault/isolate", null, StreamTransport.TOKEN_HEADER, "s3cret");
            assertThat(cut.statusCode()).as(cut.body()).isEqualTo(200);
            assertThat(Json.MAPPER.readTree(cut.body()).get("isolated").asBoolean()).isTrue();
            HttpResponse<String> healed = faulty.send("POST", "/admin/fault/heal", null, StreamTransport.TOKEN_HEADER, "s3cret");
            assertThat(Json.MAPPER.readTree(healed.body()).get("isolated").asBoolean()).isFalse();
            JsonNode events = Json.MAPPER.readTree(faulty.send("GET", "/events", null).body());
            assertThat(kinds(events).stream().filter("fault"::equals)).hasSize(2);
        }
    }
}
