package raftkv.server.transport;

import java.util.List;
import raftkv.core.Message;

/**
 * Carries messages to peers. {@link #send} must never block the caller (the event loop): a message
 * that cannot be sent soon may be dropped, because Raft already tolerates lost messages (§5.1: "RPCs
 * ... may be lost"; leaders retry through heartbeats and replies).
 */
public interface Transport extends AutoCloseable {

    void send(List<Message> messages);

    @Override
    void close();
}
