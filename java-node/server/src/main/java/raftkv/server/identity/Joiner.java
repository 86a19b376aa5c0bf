package raftkv.server.identity;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import raftkv.server.Json;
import raftkv.server.transport.StreamTransport;
import raftkv.storage.StoredIdentity;

/**
 * {@code --join URL}: a node with a new, empty data directory asks a member of an existing cluster
 * to add it as a learner ({@code POST /admin/members}, following the leader's URL when the member
 * is not the leader), and takes the cluster's id and its members' incarnations from the answer. It
 * never votes until the leader's log makes it a voter (dissertation §4.2.1). Bounded: one attempt
 * at a time, a short pause between attempts, and a deadline.
 */
public final class Joiner {

    private static final Logger log = LoggerFactory.getLogger(Joiner.class);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(15);
    private static final Duration PAUSE = Duration.ofMillis(300);

    /** How the join ended. */
    public sealed interface Outcome {
        /** Added as a learner; its identity (the cluster's table and its own incarnation) is to be saved. */
        record Joined(StoredIdentity.Member identity) implements Outcome {}

        /** The cluster said no, definitely, or did not answer before the deadline. */
        record Refused(String reason) implements Outcome {}
    }

    /** Who is joining, and how it is reached. */
    public record Request(StoredIdentity.Bootstrapping self, String clientUrl, String peerUrl, String clusterToken) {}

    private Joiner() {}

    public static Outcome join(URI member, Request request, Duration deadline) throws InterruptedException {
        long end = System.nanoTime() + deadline.toNanos();
        URI target = member;
        String last = "no answer";
        try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(1)).build()) {
            while (System.nanoTime() - end < 0) {
                HttpResponse<String> response;
                try {
                    response = client.send(post(target, request), HttpResponse.BodyHandlers.ofString());
                } catch (IOException e) {
                    last = target + " did not answer: " + e;
                    Thread.sleep(PAUSE);
                    continue;
                }
                JsonNode body;
                try {
                    body = Json.MAPPER.readTree(response.body());
                } catch (IOException e) {
                    return new Outcome.Refused(target + " answered " + response.statusCode() + " without JSON");
                }
                String error = body.path("error").asText("");
                if (response.statusCode() == 200) {
                    log.info("{} added {} as a learner at index {}", target, request.self().node(), body.path("index"));
                    return joined(body, request.self());
                }
                if (error.equals("misdirected") && !body.path("leaderUrl").asText("").isEmpty()) {
                    target = URI.create(body.path("leaderUrl").asText());
                    continue;
                }
                if (error.equals("already_member")) {
                    return alreadyMember(client, target, request);
                }
                last = target + " answered " + response.statusCode() + " " + body.path("message").asText("");
                if (body.path("definite").asBoolean(false) && response.statusCode() != 503
                        && !error.equals("change_in_progress") && !error.equals("misdirected")
                        && !error.equals("overloaded")) {
                    return new Outcome.Refused(last);
                }
                Thread.sleep(PAUSE); // no leader yet, another change under way, or an unknown outcome: ask again
            }
        }
        return new Outcome.Refused("not added within " + deadline.toSeconds() + " s: " + last);
    }

    /**
     * The add committed before (an earlier attempt's answer was lost): if the cluster lists this node
     * as a learner and has never heard of any directory of it, this directory may be the learner.
     */
    private static Outcome alreadyMember(HttpClient client, URI target, Request request) throws InterruptedException {
        String self = request.self().node();
        try {
            HttpResponse<String> response = client.send(HttpRequest.newBuilder(target.resolve("/admin/members"))
                    .timeout(REQUEST_TIMEOUT).header(StreamTransport.TOKEN_HEADER, token(request)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            JsonNode body = Json.MAPPER.readTree(response.body());
            // This very directory, pinned by the entry that added it (the answer of an earlier attempt was lost).
            String pinned = PinnedIncarnation.pin(request.peerUrl(), request.self().incarnation());
            for (JsonNode m : body.path("learners")) {
                if (m.path("id").asText().equals(self) && m.path("peerUrl").asText().equals(pinned)) {
                    return joined(body, request.self());
                }
            }
        } catch (IOException e) {
            return new Outcome.Refused(target + " did not say what " + self + " is: " + e);
        }
        return new Outcome.Refused(self + " is a member of the cluster already, known by another data directory: "
                + Bootstrap.rejoinHint(self));
    }

    private static Outcome joined(JsonNode body, StoredIdentity.Bootstrapping self) {
        SortedMap<String, Long> incarnations = new TreeMap<>();
        for (Map.Entry<String, JsonNode> entry : body.path("incarnations").properties()) {
            incarnations.put(entry.getKey(), StoredIdentity.parse(entry.getValue().asText()));
        }
        incarnations.put(self.node(), self.incarnation());
        String clusterId = body.path("clusterId").asText("");
        if (clusterId.isEmpty()) {
            return new Outcome.Refused("the answer named no cluster id");
        }
        return new Outcome.Joined(new StoredIdentity.Member(self.node(), self.incarnation(), clusterId, incarnations));
    }

    private static HttpRequest post(URI target, Request request) throws IOException {
        byte[] body = Json.MAPPER.writeValueAsBytes(Map.of("id", request.self().node(), "clientUrl",
                request.clientUrl(), "peerUrl", request.peerUrl(),
                "incarnation", StoredIdentity.format(request.self().incarnation())));
        return HttpRequest.newBuilder(target.resolve("/admin/members")).timeout(REQUEST_TIMEOUT)
                .header(StreamTransport.TOKEN_HEADER, token(request)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
    }

    private static String token(Request request) {
        return request.clusterToken() == null ? "" : request.clusterToken();
    }
}
