package raftkv.core;

import java.util.Objects;

/**
 * A client session (dissertation §6.3): the client numbers its commands, so a command retried after
 * a timeout is recognised by its (clientId, sequence) and answered from the recorded result instead
 * of being applied twice. A client issues its commands one at a time, in increasing sequence order.
 */
public record Session(String clientId, long sequence) {
    public Session {
        Objects.requireNonNull(clientId, "clientId");
        if (sequence < 1) {
            throw new IllegalArgumentException("session sequence numbers start at 1, got " + sequence);
        }
    }
}
