package raftkv.server.http;

import io.javalin.http.Context;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.concurrent.Executors;

/**
 * Sends a client request that reached a follower on to the leader, and brings back its answer.
 *
 * <p>The request goes out as the client sent it — method, path, body and session headers — plus
 * {@value #FORWARDED_BY_HEADER}, so the receiver knows not to forward it again (no loops when two
 * nodes disagree about the leader). A follower does not invent a session for a client that sent
 * none: instead it retries only when the request provably never reached the leader (the connection
 * was refused), which cannot apply anything twice.
 */
final class Forwarder {

    static final String FORWARDED_BY_HEADER = "X-Raftkv-Forwarded-By";
    /** Set on a 503 by a node that got a forwarded request but is not the leader (any more). */
    static final String NOT_LEADER_HEADER = "X-Raftkv-Not-Leader";

    private static final Duration CONNECT_TIMEOUT = Duration.ofMillis(500);

    /** What came of one attempt to forward. */
    sealed interface Outcome {
        /** The leader answered; relay this verbatim (unless {@code notLeader}: ask again). */
        record Answered(int status, String contentType, byte[] body, boolean notLeader) implements Outcome {}

        /** Never delivered: safe to retry, with or without a session. */
        record Unreachable() implements Outcome {}

        /** Delivered (maybe), but no answer in time: the outcome is unknown. */
        record TimedOut() implements Outcome {}

        /** The connection broke after the request may have been delivered. */
        record Failed(String reason) implements Outcome {}
    }

    private final String selfId;
    private final HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(CONNECT_TIMEOUT)
            .executor(Executors.newVirtualThreadPerTaskExecutor())
            .build();

    Forwarder(String selfId) {
        this.selfId = selfId;
    }

    Outcome forward(Context ctx, URI leader, long deadlineNanos) throws InterruptedException {
        long remainingMillis = (deadlineNanos - System.nanoTime()) / 1_000_000;
        if (remainingMillis < 1) {
            return new Outcome.TimedOut();
        }
        String query = ctx.queryString();
        URI target = leader.resolve(ctx.path() + (query == null ? "" : "?" + query));
        HttpRequest.Builder request = HttpRequest.newBuilder(target)
                .timeout(Duration.ofMillis(remainingMillis))
                .header(FORWARDED_BY_HEADER, selfId)
                .method(ctx.method().name(), HttpRequest.BodyPublishers.ofByteArray(ctx.bodyAsBytes()));
        for (String header : new String[] {"Content-Type", ClientRequests.CLIENT_ID_HEADER,
                ClientRequests.CLIENT_SEQ_HEADER}) {
            String value = ctx.header(header);
            if (value != null) {
                request.header(header, value);
            }
        }
        try {
            HttpResponse<byte[]> response = client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            return new Outcome.Answered(response.statusCode(),
                    response.headers().firstValue("Content-Type").orElse("application/json"), response.body(),
                    response.headers().firstValue(NOT_LEADER_HEADER).isPresent());
        } catch (HttpConnectTimeoutException | ConnectException e) {
            return new Outcome.Unreachable();
        } catch (HttpTimeoutException e) {
            return new Outcome.TimedOut();
        } catch (IOException e) {
            return new Outcome.Failed(e.toString());
        }
    }
}
