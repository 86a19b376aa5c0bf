package raftkv.server.http;

import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.router.Endpoint;
import raftkv.server.metrics.NodeMetrics;

/** {@code GET /metrics} (Prometheus text format), and the timing of every HTTP request for it. */
final class MetricsRoutes {

    private MetricsRoutes() {}

    static void register(JavalinConfig javalin, NodeMetrics metrics) {
        javalin.routes.get("/metrics", ctx -> ctx.contentType(NodeMetrics.contentType()).result(metrics.scrape()));
        // Called once the response is complete, errors included, with the time Javalin spent on it.
        javalin.requestLogger.http((ctx, millis) -> {
            metrics.httpRequest(route(ctx), ctx.method().name(), ctx.statusCode(), (long) (millis * 1_000_000));
            if (ctx.header(Forwarder.FORWARDED_BY_HEADER) != null) {
                metrics.forwardedRequestReceived();
            }
        });
    }

    /** The route pattern ({@code /kv/{id}}), not the path: one time series per route, not per key. */
    private static String route(Context ctx) {
        Endpoint endpoint = ctx.endpoints().matchedHttpEndpoint();
        return endpoint == null ? "unmatched" : endpoint.path;
    }
}
