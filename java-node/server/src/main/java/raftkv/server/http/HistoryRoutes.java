package raftkv.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import raftkv.server.EventLoop;
import raftkv.server.Json;
import raftkv.server.NodeConfig;
import raftkv.server.history.EventHistory;
import raftkv.server.history.NodeEvent;
import raftkv.server.history.Timeline;

/**
 * What a node remembers, for the dashboard: {@code GET /events?since=N} (its event history),
 * {@code GET /timeline} (a sample per second of the last minutes), and {@code GET /cluster/history}
 * (both, of every member, gathered by this node as {@code /cluster} gathers statuses, so the page
 * needs to reach one node only). docs/api.md describes the bodies.
 */
final class HistoryRoutes {

    private static final java.util.regex.Pattern MEMBER_ID = java.util.regex.Pattern.compile("[A-Za-z0-9_.-]{1,64}");

    private final NodeConfig config;
    private final EventLoop loop;
    private final EventHistory events;
    private final Timeline timeline;
    private final HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(DashboardRoutes.PEER_TIMEOUT)
            .executor(Executors.newVirtualThreadPerTaskExecutor())
            .build();

    private HistoryRoutes(NodeConfig config, EventLoop loop, EventHistory events, Timeline timeline) {
        this.config = config;
        this.loop = loop;
        this.events = events;
        this.timeline = timeline;
    }

    static void register(JavalinConfig javalin, NodeConfig config, EventLoop loop, EventHistory events,
            Timeline timeline) {
        HistoryRoutes routes = new HistoryRoutes(config, loop, events, timeline);
        javalin.routes.get("/events", ctx -> ctx.header("Cache-Control", "no-store")
                .json(routes.eventsBody(since(ctx.queryParam("since")), limit(ctx.queryParam("limit")))));
        javalin.routes.get("/timeline", ctx -> ctx.header("Cache-Control", "no-store").json(routes.timelineBody()));
        javalin.routes.get("/cluster/history", routes::clusterHistory);
        for (String path : new String[] {"/events", "/timeline", "/cluster/history"}) {
            javalin.routes.before(path, ctx -> ctx.header("Access-Control-Allow-Origin", "*"));
        }
    }

    /** {"node", "boot", "first", "last", "capacity", "events": [{seq, time, kind, term, text}]}. */
    Map<String, Object> eventsBody(long since, int limit) {
        EventHistory.Page page = events.since(since, limit);
        List<Map<String, Object>> list = new ArrayList<>(page.events().size());
        for (NodeEvent e : page.events()) {
            Map<String, Object> event = new LinkedHashMap<>();
            event.put("seq", e.seq());
            event.put("time", e.timeMillis());
            event.put("kind", e.kind().label());
            event.put("term", e.term());
            event.put("text", e.text());
            list.add(event);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("node", config.id());
        body.put("boot", events.bootMillis());
        body.put("first", page.first());
        body.put("last", page.last());
        body.put("capacity", events.capacity());
        body.put("events", list);
        return body;
    }

    /** {"node", "seconds", "samples": [{t, term, commitIndex, writes, latencyMeanMs, latencyMaxMs}]}. */
    Map<String, Object> timelineBody() {
        List<Map<String, Object>> samples = new ArrayList<>();
        for (Timeline.Sample s : timeline.samples()) {
            Map<String, Object> sample = new LinkedHashMap<>();
            sample.put("t", s.second());
            sample.put("term", s.term());
            sample.put("commitIndex", s.commitIndex());
            sample.put("writes", s.writes());
            sample.put("latencyMeanMs", Math.round(s.latencyMeanMs() * 100) / 100.0);
            sample.put("latencyMaxMs", Math.round(s.latencyMaxMs() * 100) / 100.0);
            samples.add(sample);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("node", config.id());
        body.put("seconds", timeline.seconds());
        body.put("samples", samples);
        return body;
    }

    /**
     * {@code ?since=n1:12,n3:40}: each member's events after its own cursor (0 for one not named),
     * and its timeline; a member that does not answer within the peer timeout is reported as
     * unreachable, like in {@code /cluster}. The members are those of this node's latest
     * configuration (§4.1), as in {@code /cluster}: one added later is asked from then on, and a
     * cursor of one removed since is ignored (nothing is asked of it).
     */
    private void clusterHistory(Context ctx) {
        Map<String, Long> cursors = cursors(ctx.queryParam("since"));
        Map<String, CompletableFuture<Map<String, Object>>> asked = new LinkedHashMap<>();
        DashboardRoutes.memberUrls(config, loop.status()).forEach((id, url) -> {
            long since = cursors.getOrDefault(id, 0L);
            asked.put(id, id.equals(config.id())
                    ? CompletableFuture.completedFuture(answered(Json.MAPPER.valueToTree(eventsBody(since,
                            EventHistory.DEFAULT_CAPACITY)), Json.MAPPER.valueToTree(timelineBody())))
                    : ask(URI.create(url), since));
        });
        List<Map<String, Object>> members = new ArrayList<>();
        asked.forEach((id, answer) -> {
            Map<String, Object> member = new LinkedHashMap<>();
            member.put("id", id);
            member.putAll(answer.join()); // each future ends within the peer timeout, one way or the other
            members.add(member);
        });
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("from", config.id());
        body.put("time", System.currentTimeMillis());
        body.put("members", members);
        ctx.header("Cache-Control", "no-store").json(body);
    }

    private CompletableFuture<Map<String, Object>> ask(URI base, long since) {
        CompletableFuture<JsonNode> eventsAnswer = get(base.resolve("/events?since=" + since));
        CompletableFuture<JsonNode> timelineAnswer = get(base.resolve("/timeline"));
        return eventsAnswer.thenCombine(timelineAnswer, HistoryRoutes::answered)
                .exceptionally(failure -> {
                    Map<String, Object> answer = new LinkedHashMap<>();
                    answer.put("reachable", false);
                    answer.put("error", DashboardRoutes.describe(failure));
                    return answer;
                });
    }

    private CompletableFuture<JsonNode> get(URI uri) {
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(DashboardRoutes.PEER_TIMEOUT).GET().build();
        return client.sendAsync(request, HttpResponse.BodyHandlers.ofString()).thenApply(response -> {
            if (response.statusCode() != 200) {
                throw new IllegalStateException("HTTP " + response.statusCode());
            }
            try {
                return Json.MAPPER.readTree(response.body());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    private static Map<String, Object> answered(JsonNode eventsBody, JsonNode timelineBody) {
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("reachable", true);
        answer.put("events", eventsBody);
        answer.put("timeline", timelineBody);
        return answer;
    }

    static long since(String param) {
        if (param == null) {
            return 0;
        }
        try {
            long since = Long.parseLong(param);
            if (since >= 0) {
                return since;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw new ApiException(ErrorCode.INVALID_QUERY, "since must be an event seq >= 0 (the 'last' of the"
                + " previous answer), got '" + param + "'");
    }

    static int limit(String param) {
        if (param == null) {
            return EventHistory.DEFAULT_CAPACITY;
        }
        try {
            int limit = Integer.parseInt(param);
            if (limit >= 1 && limit <= EventHistory.DEFAULT_CAPACITY) {
                return limit;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw new ApiException(ErrorCode.INVALID_QUERY, "limit must be an integer from 1 to "
                + EventHistory.DEFAULT_CAPACITY + ", got '" + param + "'");
    }

    /** "n1:12,n3:40" → {n1=12, n3=40}: member ids (present or former) and seqs. */
    private Map<String, Long> cursors(String param) {
        Map<String, Long> cursors = new LinkedHashMap<>();
        if (param == null || param.isEmpty()) {
            return cursors;
        }
        for (String part : param.split(",", -1)) {
            int colon = part.indexOf(':');
            String id = colon < 0 ? "" : part.substring(0, colon);
            if (!MEMBER_ID.matcher(id).matches()) {
                throw new ApiException(ErrorCode.INVALID_QUERY, "since must be MEMBER:SEQ,... (member ids are 1-64"
                        + " characters of A-Z a-z 0-9 _ . -; current members: "
                        + DashboardRoutes.memberUrls(config, loop.status()).keySet() + "), got '" + part + "'");
            }
            cursors.put(id, since(part.substring(colon + 1)));
        }
        return cursors;
    }
}
