package raftkv.server.identity;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import raftkv.server.Json;
import raftkv.server.transport.StreamTransport;
import raftkv.storage.StoredIdentity;

/**
 * The first start of a node whose data directory belongs to no cluster yet: asks every peer's
 * {@code GET /raft/identity} until {@link BootstrapDecision} says join or refuse, on a thread of its
 * own (the node serves meanwhile, so its peers can ask it too). Bounded: one request per peer per
 * {@link #POLL_INTERVAL}, each with a short timeout; no answer is kept but the newest per peer.
 */
public final class Bootstrap {

    private static final Logger log = LoggerFactory.getLogger(Bootstrap.class);

    /** The identity route on every node's peer port. */
    public static final String IDENTITY_PATH = "/raft/identity";

    static final Duration POLL_INTERVAL = Duration.ofMillis(100);
    private static final Duration CONNECT_TIMEOUT = Duration.ofMillis(500);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(1);
    private static final long LOG_EVERY_NANOS = Duration.ofSeconds(5).toNanos();

    /** How the first start ended. */
    public sealed interface Outcome {
        /** The node belongs to the cluster (its identity saved); it takes part in Raft from now on. */
        record Joined(StoredIdentity.Member identity) implements Outcome {}

        /** The node must not take part: its directory is not the one the cluster knows by its id. */
        record Refused(String reason) implements Outcome {}
    }

    /** Saves the identity durably before the node may act on it. */
    @FunctionalInterface
    public interface Saver {
        void save(StoredIdentity.Member member) throws IOException;
    }

    /** What the node is and whom to ask. */
    public record Request(StoredIdentity.Bootstrapping self, BootstrapDecision.RaftState state, Set<String> members,
            Map<String, URI> peerUrls, String clusterToken) {}

    private final Request request;
    private final IdentityGate gate;
    private final Saver saver;
    private final CompletableFuture<Outcome> outcome = new CompletableFuture<>();
    private final Thread thread;

    private Bootstrap(Request request, IdentityGate gate, Saver saver) {
        this.request = request;
        this.gate = gate;
        this.saver = saver;
        this.thread = Thread.ofPlatform().daemon().name("bootstrap-" + request.self().node()).unstarted(this::run);
    }

    /** Starts asking; the future completes once, with the outcome, or exceptionally if saving failed. */
    public static Bootstrap start(Request request, IdentityGate gate, Saver saver) {
        Bootstrap bootstrap = new Bootstrap(request, gate, saver);
        bootstrap.thread.start();
        return bootstrap;
    }

    public CompletableFuture<Outcome> outcome() {
        return outcome;
    }

    /** Stops asking (the node is closing); the outcome stays incomplete if none was reached. */
    public void stop() throws InterruptedException {
        thread.interrupt();
        thread.join(REQUEST_TIMEOUT.multipliedBy(2));
    }

    /** How to bring a node back whose data directory the cluster does not know (docs/api.md, "Membership"). */
    public static String rejoinHint(String node) {
        return "To bring " + node + " back as a new node: remove it from the cluster (DELETE /admin/members/" + node
                + " on any member), empty its data directory and start it with --join URL (a member's client URL)"
                + " instead of --peers: it joins as a learner, catches up, and can then be promoted.";
    }

    private void run() {
        Map<String, PeerIdentity> answers = new TreeMap<>();
        long lastLog = System.nanoTime() - LOG_EVERY_NANOS;
        try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(CONNECT_TIMEOUT).build()) {
            while (!Thread.currentThread().isInterrupted()) {
                request.peerUrls().forEach((id, url) -> ask(client, id, url).ifPresent(a -> answers.put(id, a)));
                BootstrapDecision.Verdict verdict = BootstrapDecision.decide(request.self(), request.state(),
                        request.members(), answers, rejoinHint(request.self().node()));
                switch (verdict) {
                    case BootstrapDecision.Verdict.Wait wait -> {
                        gate.waiting("not heard from " + wait.missing() + " yet (a cluster's first start needs every"
                                + " node of --peers once)");
                        if (System.nanoTime() - lastLog >= LOG_EVERY_NANOS) {
                            log.info("first start of {}: waiting for {} to describe their data directories (every"
                                    + " node of --peers must start once before the cluster does)",
                                    request.self().node(), wait.missing());
                            lastLog = System.nanoTime();
                        }
                        Thread.sleep(POLL_INTERVAL);
                    }
                    case BootstrapDecision.Verdict.Join join -> {
                        saver.save(join.identity());
                        gate.established(join.identity());
                        log.info("{} is a member of cluster {} (data directory incarnation {}; members {})",
                                request.self().node(), join.identity().clusterId(),
                                StoredIdentity.format(join.identity().incarnation()), join.identity().incarnations().keySet());
                        outcome.complete(new Outcome.Joined(join.identity()));
                        return;
                    }
                    case BootstrapDecision.Verdict.Refuse refuse -> {
                        gate.waiting("it is not a member: " + refuse.reason());
                        outcome.complete(new Outcome.Refused(refuse.reason()));
                        return;
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // closing
        } catch (IOException | RuntimeException e) {
            outcome.completeExceptionally(e);
        }
    }

    private java.util.Optional<PeerIdentity> ask(HttpClient client, String id, URI base) {
        HttpRequest.Builder get = HttpRequest.newBuilder(base.resolve(IDENTITY_PATH)).timeout(REQUEST_TIMEOUT).GET();
        if (request.clusterToken() != null) {
            get.header(StreamTransport.TOKEN_HEADER, request.clusterToken());
        }
        try {
            HttpResponse<byte[]> response = client.send(get.build(), HttpResponse.BodyHandlers.ofByteArray());
            if (response.statusCode() != 200) {
                log.debug("{} answered {} to {}", id, response.statusCode(), IDENTITY_PATH);
                return java.util.Optional.empty();
            }
            PeerIdentity answer = Json.MAPPER.readValue(response.body(), PeerIdentity.class);
            if (!id.equals(answer.node())) {
                log.warn("{}'s URL {} is served by node {}: check --peers", id, base, answer.node());
                return java.util.Optional.empty();
            }
            StoredIdentity.parse(answer.incarnation()); // a malformed answer is no answer
            return java.util.Optional.of(answer);
        } catch (com.fasterxml.jackson.core.JacksonException | IllegalArgumentException e) {
            log.warn("{} answered {} with something else than an identity: {}", id, IDENTITY_PATH, e.toString());
            return java.util.Optional.empty();
        } catch (IOException e) {
            return java.util.Optional.empty(); // down, or not yet listening: ask again
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return java.util.Optional.empty();
        }
    }
}
