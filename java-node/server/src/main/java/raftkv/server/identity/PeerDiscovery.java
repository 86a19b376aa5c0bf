package raftkv.server.identity;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import raftkv.server.Json;
import raftkv.server.transport.StreamTransport;

/**
 * The peers of a node that joined ({@code --join}) before its log holds a configuration: asked of
 * the member it joined through ({@code GET /admin/members}), so that its first replies to the
 * leader have somewhere to go. Without them a learner whose log is empty rejects the leader's first
 * AppendEntries into the void, and the leader never learns where to start. One request a second,
 * on a thread of its own, until the log's configuration takes over or the node closes.
 */
public final class PeerDiscovery {

    private static final Logger log = LoggerFactory.getLogger(PeerDiscovery.class);
    private static final Duration PAUSE = Duration.ofSeconds(1);

    private PeerDiscovery() {}

    /**
     * @param configured true once the node's own configuration names its peers (then this stops)
     * @param peers told the peers found (id to peer URL, this node excluded)
     */
    public static Thread start(String self, URI member, String clusterToken, BooleanSupplier configured,
            Consumer<Map<String, URI>> peers) {
        return Thread.ofPlatform().daemon().name("peer-discovery-" + self).start(() -> {
            try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(PAUSE).build()) {
                while (!configured.getAsBoolean() && !Thread.currentThread().isInterrupted()) {
                    Map<String, URI> found = ask(client, self, member, clusterToken);
                    if (!found.isEmpty() && !configured.getAsBoolean()) {
                        log.info("{} has no configuration yet; peers from {}: {}", self, member, found.keySet());
                        peers.accept(found);
                        return;
                    }
                    Thread.sleep(PAUSE);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // closing
            }
        });
    }

    private static Map<String, URI> ask(HttpClient client, String self, URI member, String token)
            throws InterruptedException {
        Map<String, URI> found = new TreeMap<>();
        try {
            HttpResponse<String> response = client.send(HttpRequest.newBuilder(member.resolve("/admin/members"))
                    .timeout(PAUSE.multipliedBy(5)).header(StreamTransport.TOKEN_HEADER, token == null ? "" : token)
                    .GET().build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                return found;
            }
            JsonNode body = Json.MAPPER.readTree(response.body());
            for (String role : new String[] {"voters", "learners"}) {
                for (JsonNode m : body.path(role)) {
                    String id = m.path("id").asText();
                    String url = m.path("peerUrl").asText("");
                    if (!id.equals(self) && !url.isEmpty()) {
                        found.put(id, URI.create(url));
                    }
                }
            }
        } catch (IOException | IllegalArgumentException e) {
            log.debug("asking {} for the members: {}", member, e.toString());
        }
        return found;
    }
}
