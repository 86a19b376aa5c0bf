package raftkv.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.http.Context;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import raftkv.core.LogEntry;
import raftkv.core.Message;
import raftkv.server.EventLoop;
import raftkv.server.Json;
import raftkv.server.NodeConfig;
import raftkv.server.transport.HttpTransport;
import raftkv.server.transport.MessageType;

/**
 * {@code POST /raft/{message-type}}: a message from a peer (or a JSON array of them, as
 * {@link HttpTransport} sends). Each is checked and queued for the event loop, and the request is
 * acknowledged with 204 at once; the Raft reply, if any, travels back later as its own message.
 */
final class PeerRoutes {

    private final NodeConfig config;
    private final EventLoop loop;
    private final byte[] token;

    PeerRoutes(NodeConfig config, EventLoop loop) {
        this.config = config;
        this.loop = loop;
        this.token = config.clusterToken() == null ? null : config.clusterToken().getBytes(StandardCharsets.UTF_8);
    }

    void receive(Context ctx) {
        if (token != null) {
            String presented = ctx.header(HttpTransport.TOKEN_HEADER);
            // Constant-time comparison: do not let response timing reveal the token byte by byte.
            if (presented == null || !MessageDigest.isEqual(token, presented.getBytes(StandardCharsets.UTF_8))) {
                throw new ApiException(ErrorCode.UNAUTHORIZED, "missing or wrong " + HttpTransport.TOKEN_HEADER);
            }
        }
        MessageType type = MessageType.fromPath(ctx.pathParam("type"))
                .orElseThrow(() -> new ApiException(ErrorCode.NO_ROUTE, "no such Raft message type"));
        List<Message> messages = parse(ctx.bodyAsBytes(), type);
        messages.forEach(this::check);
        for (Message message : messages) {
            if (!loop.deliver(message)) {
                throw new ApiException(ErrorCode.OVERLOADED, "event queue full; messages dropped");
            }
        }
        ctx.status(204);
    }

    /** One message (a JSON object) or several of the same type (a JSON array of them). */
    private static List<Message> parse(byte[] body, MessageType type) {
        try {
            JsonNode tree = Json.MAPPER.readTree(body);
            if (tree != null && tree.isArray()) {
                List<Message> messages = new ArrayList<>(tree.size());
                for (JsonNode element : tree) {
                    messages.add(Json.MAPPER.treeToValue(element, type.type()));
                }
                return messages;
            }
            return List.of(Json.MAPPER.treeToValue(tree, type.type()));
        } catch (IOException | IllegalArgumentException e) {
            throw new ApiException(ErrorCode.INVALID_BODY, "not a valid " + type.path() + " message or array of them");
        }
    }

    /** What the core assumes of a message and cannot check itself without failing. */
    private void check(Message message) {
        if (message.from() == null || !config.id().equals(message.to())) {
            throw new ApiException(ErrorCode.INVALID_BODY, "message addressed to " + message.to() + ", this is "
                    + config.id());
        }
        if (message instanceof Message.AppendEntries append) {
            long expected = append.prevLogIndex() + 1;
            for (LogEntry entry : append.entries()) {
                if (entry.index() != expected++) {
                    throw new ApiException(ErrorCode.INVALID_BODY, "entries must follow prevLogIndex without gaps");
                }
            }
        }
    }
}
