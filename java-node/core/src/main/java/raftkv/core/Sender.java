package raftkv.core;

import java.util.List;

/**
 * Carries a {@link Ready}'s messages to their peers. It must not block its caller (the driver's
 * thread): a message that cannot go out soon may be dropped, because Raft tolerates lost messages
 * (§5.1: "RPCs ... may be lost"; leaders retry through heartbeats and replies).
 */
public interface Sender {

    void send(List<Message> messages);
}
