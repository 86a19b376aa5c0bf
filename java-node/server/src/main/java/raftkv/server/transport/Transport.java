package raftkv.server.transport;

import raftkv.core.Sender;

/**
 * The server's peer transport: a {@link Sender} (never blocks the event loop; may drop what it
 * cannot send soon) with connections to close when the node stops.
 */
public interface Transport extends Sender, AutoCloseable {

    @Override
    void close();
}
