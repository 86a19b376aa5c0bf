package raftkv.server.http;

import io.javalin.http.Context;
import io.javalin.http.Header;
import java.io.IOException;

/**
 * Reads a request body under a limit <em>while it streams</em>: at most {@code limit + 1} bytes
 * are ever read, whether the client declared a Content-Length or sent chunks, so a body over the
 * limit costs the node that much memory and no more. Javalin's own {@code bodyAsBytes()} has one
 * limit for every route; the client routes (64 KiB) and the peer routes (32 MiB) need two.
 */
final class RequestBody {

    private RequestBody() {}

    /** The whole body, or a 413 once more than {@code limit} bytes have arrived (or were declared). */
    static byte[] readAtMost(Context ctx, int limit) {
        if (ctx.contentLength() > limit) {
            throw tooLarge(ctx, limit);
        }
        byte[] bytes;
        try {
            bytes = ctx.req().getInputStream().readNBytes(limit + 1);
        } catch (IOException e) {
            // The connection broke (or was closed as too slow) inside the body: nothing was attempted.
            throw new ApiException(ErrorCode.INVALID_BODY, "the body could not be read: " + e.getMessage());
        }
        if (bytes.length > limit) {
            throw tooLarge(ctx, limit);
        }
        return bytes;
    }

    /**
     * A 413 that also closes the connection: the rest of the body is never read, and draining it
     * (up to 30 MiB of a hostile upload) to keep the connection would cost what the limit saves.
     */
    static ApiException tooLarge(Context ctx, long limit) {
        ctx.header(Header.CONNECTION, "close");
        return new ApiException(ErrorCode.PAYLOAD_TOO_LARGE, "bodies are at most " + limit + " bytes here");
    }
}
