package raftkv.server;

import java.net.URI;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Where a node takes its peers' Raft streams. etcd separates the two from the start (clients on
 * 2379, peers on 2380); raftkv allows both, and every launcher in this repository separates them.
 *
 * <p>Why a port of their own: the client port's requests run on virtual threads, and under
 * thousands of client connections the two carrier threads of a 2-core machine are busy with them.
 * Jetty hands a connection's readable bytes to a task on the same executor as the handlers, so a
 * heartbeat waits behind client work, and at 10,000 connections a leader lost its followers
 * (an election) although nothing was wrong with the network. The peers' own port is served by a
 * small pool of platform threads, which the OS schedules by time slice whatever the virtual
 * threads do.
 */
public sealed interface PeerPort {

    /** Peers stream to the client port (the members' URLs): one port for all, simplest to set up. */
    record SharedWithClients() implements PeerPort {}

    /**
     * A port of its own.
     *
     * @param host where this node listens for peers
     * @param port that port (0: any free port, for tests)
     * @param urls every member's peer URL, this node's included, as {@code --peer-urls} lists them
     */
    record Own(String host, int port, SortedMap<String, URI> urls) implements PeerPort {
        public Own {
            urls = new TreeMap<>(urls);
        }
    }
}
