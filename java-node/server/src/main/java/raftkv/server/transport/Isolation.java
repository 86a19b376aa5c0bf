package raftkv.server.transport;

/**
 * A test-only partition of one node from all its peers, on one machine where no firewall is at
 * hand ({@code POST /admin/fault/isolate}, {@code /heal}; only with {@code --fault-injection-routes}).
 * While isolated, the node's transport drops every Raft message it would send and its peer routes
 * drop every one that arrives, as a network that lost them would: nothing is refused, so the peers'
 * streams stay open and the senders see only silence. Client HTTP (/status, /kv, the dashboard) is
 * not cut. Off unless switched on; read on every message, from any thread.
 */
public final class Isolation {

    private volatile boolean isolated;

    public void isolate() {
        isolated = true;
    }

    public void heal() {
        isolated = false;
    }

    public boolean isolated() {
        return isolated;
    }
}
