package raftkv.server.http;

import io.javalin.http.Context;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.eclipse.jetty.server.Connector;
import raftkv.server.PeerPort;

/**
 * Keeps the two ports apart when peers have their own ({@link PeerPort.Own}): the peers' port
 * serves {@code /raft/*} only, and the client port refuses it. Otherwise a client could take the
 * peers' few platform threads, or a misconfigured peer could stream through the client port and
 * lose the protection the separate port exists for, without anyone noticing.
 */
final class PeerPortGate {

    /** The Jetty name of the peers' connector. */
    static final String PEER_CONNECTOR = "peers";

    private static final String RAFT_PREFIX = "/raft/";

    private final boolean separate;
    private final String peerPortHint;

    private PeerPortGate(boolean separate, String peerPortHint) {
        this.separate = separate;
        this.peerPortHint = peerPortHint;
    }

    static PeerPortGate of(PeerPort peerPort) {
        return switch (peerPort) {
            case PeerPort.SharedWithClients shared -> new PeerPortGate(false, "");
            case PeerPort.Own own -> new PeerPortGate(true, own.host() + ":" + own.port());
        };
    }

    /** A before-handler for every path: a request on the wrong port is answered 404, nothing done. */
    void check(Context ctx) {
        if (!separate) {
            return;
        }
        boolean raftPath = ctx.path().startsWith(RAFT_PREFIX);
        boolean onPeerPort = PEER_CONNECTOR.equals(connector(ctx).getName());
        if (raftPath && !onPeerPort) {
            throw new ApiException(ErrorCode.NO_ROUTE, "peers send Raft messages to the peer port ("
                    + peerPortHint + ", see --listen-peers), not to the client port");
        }
        if (!raftPath && onPeerPort) {
            throw new ApiException(ErrorCode.NO_ROUTE, "this is the peer port: it serves " + RAFT_PREFIX
                    + "* only; clients use the --listen port");
        }
    }

    private static Connector connector(Context ctx) {
        return ServletContextRequest.getServletContextRequest(ctx.req()).getConnectionMetaData().getConnector();
    }
}
