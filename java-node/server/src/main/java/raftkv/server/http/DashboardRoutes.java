package raftkv.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import raftkv.core.ClusterConfig;
import raftkv.server.EventLoop;
import raftkv.server.Json;
import raftkv.server.NodeConfig;

/**
 * The live dashboard: {@code GET /} (also {@code /dashboard}) serves a static page shipped in the
 * jar, and {@code GET /cluster} gathers every member's {@code /status} so that the page needs to
 * reach one node only (in Docker, the peers' addresses are not reachable from the host).
 *
 * <p>A member that does not answer within {@link #PEER_TIMEOUT} is reported unreachable — killed
 * and partitioned nodes alike — so the page can refresh about three times a second and show a fault at once.
 * Both read-only JSON routes allow any origin, so that a page whose own node died can ask another.
 */
final class DashboardRoutes {

    static final Duration PEER_TIMEOUT = Duration.ofMillis(600);
    private static final String RESOURCES = "/raftkv/dashboard/";

    private final NodeConfig config;
    private final EventLoop loop;
    private final HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(PEER_TIMEOUT)
            .executor(Executors.newVirtualThreadPerTaskExecutor())
            .build();

    private final raftkv.server.identity.IdentityGate identity;

    private DashboardRoutes(NodeConfig config, EventLoop loop, raftkv.server.identity.IdentityGate identity) {
        this.config = config;
        this.loop = loop;
        this.identity = identity;
    }

    static void register(JavalinConfig javalin, NodeConfig config, EventLoop loop,
            raftkv.server.identity.IdentityGate identity) {
        DashboardRoutes routes = new DashboardRoutes(config, loop, identity);
        javalin.routes.get("/", ctx -> resource(ctx, "index.html", "text/html; charset=utf-8"));
        javalin.routes.get("/dashboard", ctx -> resource(ctx, "index.html", "text/html; charset=utf-8"));
        javalin.routes.get("/dashboard/app.js", ctx -> resource(ctx, "app.js", "text/javascript; charset=utf-8"));
        javalin.routes.get("/dashboard/history.js", ctx -> resource(ctx, "history.js", "text/javascript; charset=utf-8"));
        javalin.routes.get("/dashboard/style.css", ctx -> resource(ctx, "style.css", "text/css; charset=utf-8"));
        javalin.routes.get("/cluster", routes::cluster);
        javalin.routes.before("/cluster", DashboardRoutes::anyOrigin);
        javalin.routes.before("/status", DashboardRoutes::anyOrigin);
    }

    private static void anyOrigin(Context ctx) {
        ctx.header("Access-Control-Allow-Origin", "*");
    }

    private static void resource(Context ctx, String name, String contentType) {
        try (InputStream in = DashboardRoutes.class.getResourceAsStream(RESOURCES + name)) {
            if (in == null) {
                throw new IllegalStateException("the jar lacks " + RESOURCES + name);
            }
            ctx.contentType(contentType).header("Cache-Control", "no-cache").result(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {"from": id, "time": ms, "members": [{id, url, self, membership, reachable, status | error}, ...]}. */
    private void cluster(Context ctx) {
        Map<String, CompletableFuture<Map<String, Object>>> asked = new LinkedHashMap<>();
        Map<String, String> urls = memberUrls(config, loop.status());
        urls.forEach((id, url) -> asked.put(id, id.equals(config.id())
                ? CompletableFuture.completedFuture(reachable(HttpApi.statusBody(config, loop.status(), identity)))
                : askStatus(URI.create(url))));
        List<Map<String, Object>> members = new ArrayList<>();
        asked.forEach((id, answer) -> {
            Map<String, Object> member = new LinkedHashMap<>();
            member.put("id", id);
            member.put("url", urls.get(id));
            member.put("self", id.equals(config.id()));
            // voter or learner (§4.2.1) in this node's latest configuration (§4.1): shown for a member
            // that does not answer too; the page prefers the leader's view where it has one.
            ClusterConfig configuration = loop.status().configuration();
            member.put("membership", configuration.isVoter(id) ? "voter" : configuration.isLearner(id) ? "learner" : null);
            member.putAll(answer.join()); // each future ends within PEER_TIMEOUT, one way or the other
            members.add(member);
        });
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("from", config.id());
        body.put("time", System.currentTimeMillis());
        body.put("members", members);
        ctx.header("Cache-Control", "no-store").json(body);
    }

    /**
     * Every member of the latest configuration this node knows (§4.1), this node included, by id, with
     * its client URL: the members {@code /cluster} and {@code /cluster/history} ask. A member added
     * later is in it as soon as this node has the configuration entry that adds it.
     */
    static Map<String, String> memberUrls(NodeConfig config, raftkv.server.NodeStatus status) {
        Map<String, String> urls = new java.util.TreeMap<>(HttpApi.clientUrls(config, status));
        urls.put(config.id(), config.members().get(config.id()).toString());
        urls.values().removeIf(String::isEmpty); // a member whose URL nobody told this node
        return urls;
    }

    private CompletableFuture<Map<String, Object>> askStatus(URI base) {
        HttpRequest request = HttpRequest.newBuilder(base.resolve("/status")).timeout(PEER_TIMEOUT).GET().build();
        return client.sendAsync(request, HttpResponse.BodyHandlers.ofString())
                .thenApply(response -> response.statusCode() == 200
                        ? reachable(parse(response.body()))
                        : unreachable("HTTP " + response.statusCode()))
                .exceptionally(failure -> unreachable(describe(failure)));
    }

    private static Map<String, Object> reachable(Object status) {
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("reachable", true);
        answer.put("status", status);
        return answer;
    }

    private static Map<String, Object> unreachable(String why) {
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("reachable", false);
        answer.put("error", why);
        return answer;
    }

    private static JsonNode parse(String body) {
        try {
            return Json.MAPPER.readTree(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** "connection refused" (the process is down) vs "timed out" (partitioned, paused, or overloaded). */
    static String describe(Throwable failure) {
        Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
        String name = cause.getClass().getSimpleName();
        if (name.contains("Timeout")) {
            return "timed out after " + PEER_TIMEOUT.toMillis() + " ms";
        }
        if (name.equals("ConnectException")) {
            return "connection refused";
        }
        return cause.getMessage() == null ? name : name + ": " + cause.getMessage();
    }
}
