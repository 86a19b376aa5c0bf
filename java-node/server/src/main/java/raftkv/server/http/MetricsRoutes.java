package raftkv.server.http;

import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.router.Endpoint;
import raftkv.server.history.Timeline;
import raftkv.server.metrics.NodeMetrics;

/**
 * {@code GET /metrics} (Prometheus text format), and the timing of every HTTP request for it; the
 * client writes answered 2xx also go to the {@link Timeline} (the dashboard's writes/s and commit latency).
 */
final class MetricsRoutes {

    private MetricsRoutes() {}

    static void register(JavalinConfig javalin, NodeMetrics metrics, Timeline timeline) {
        javalin.routes.get("/metrics", ctx -> ctx.contentType(NodeMetrics.contentType()).result(metrics.scrape()));
        // Called once the response is complete, errors included, with the time Javalin spent on it.
        javalin.requestLogger.http((ctx, millis) -> {
            String route = route(ctx);
            long nanos = (long) (millis * 1_000_000);
            metrics.httpRequest(route, ctx.method().name(), ctx.statusCode(), nanos);
            if (isWrite(route, ctx.method().name()) && ctx.statusCode() / 100 == 2) {
                timeline.writeAnswered(nanos);
            }
            if (ctx.header(Forwarder.FORWARDED_BY_HEADER) != null) {
                metrics.forwardedRequestReceived();
            }
        });
    }

    /** A put, compare-and-set or delete: what waits for a commit. */
    static boolean isWrite(String route, String method) {
        return route.equals("/kv/{id}") && (method.equals("PUT") || method.equals("DELETE"))
                || route.equals("/kv/{id}/cas") && method.equals("POST");
    }

    /** The route pattern ({@code /kv/{id}}), not the path: one time series per route, not per key. */
    private static String route(Context ctx) {
        Endpoint endpoint = ctx.endpoints().matchedHttpEndpoint();
        return endpoint == null ? "unmatched" : endpoint.path;
    }
}
