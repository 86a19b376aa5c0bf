package raftkv.server.http;

import io.javalin.http.Context;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import raftkv.server.transport.StreamTransport;

/**
 * The {@code --cluster-token}, presented in {@link StreamTransport#TOKEN_HEADER}: by peers on
 * {@code /raft/*}, and by operators on {@code /admin/*}. A node started without one lets peers in
 * unchecked (local tests only; it warns at start), but refuses every admin request: a node that
 * holds no secret cannot tell an operator from anyone else.
 */
final class ClusterToken {

    private final byte[] token; // null: the node was started without --cluster-token

    ClusterToken(String token) {
        this.token = token == null ? null : token.getBytes(StandardCharsets.UTF_8);
    }

    /** {@code /raft/*}: the token, if this node has one. */
    void checkPeer(Context ctx) {
        if (token != null && !presented(ctx)) {
            throw new ApiException(ErrorCode.UNAUTHORIZED, "missing or wrong " + StreamTransport.TOKEN_HEADER);
        }
    }

    /** {@code /admin/*}: the token, always; a node without one refuses every admin request. */
    void checkAdmin(Context ctx) {
        if (token == null) {
            throw new ApiException(ErrorCode.UNAUTHORIZED, "this node was started without --cluster-token, so it"
                    + " cannot authenticate anyone: /admin/* is closed; restart it with --cluster-token");
        }
        if (!presented(ctx)) {
            throw new ApiException(ErrorCode.UNAUTHORIZED, "/admin/* needs the cluster token in "
                    + StreamTransport.TOKEN_HEADER);
        }
    }

    private boolean presented(Context ctx) {
        String presented = ctx.header(StreamTransport.TOKEN_HEADER);
        // Constant-time comparison: do not let response timing reveal the token byte by byte.
        return presented != null && MessageDigest.isEqual(token, presented.getBytes(StandardCharsets.UTF_8));
    }
}
