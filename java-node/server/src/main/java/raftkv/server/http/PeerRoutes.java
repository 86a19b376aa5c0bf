package raftkv.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.http.Context;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import raftkv.core.LogEntry;
import raftkv.core.Message;
import raftkv.server.EventLoop;
import raftkv.server.Json;
import raftkv.server.NodeConfig;
import raftkv.server.identity.IdentityGate;
import raftkv.server.transport.MessageCodec;
import raftkv.server.transport.Isolation;
import raftkv.server.transport.MessageType;
import raftkv.server.transport.StreamTransport;
import raftkv.server.transport.StreamId;

/**
 * The peer endpoints. {@code POST /raft/stream} is what {@link StreamTransport} sends: a body that
 * never ends, of length-prefixed binary frames, one message each. {@code POST /raft/{message-type}}
 * takes one JSON message (or an array of them), for debugging with curl. Every message is checked
 * and queued for the event loop; the Raft reply, if any, travels back later as its own message.
 */
final class PeerRoutes {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(PeerRoutes.class);

    private final NodeConfig config;
    private final EventLoop loop;
    private final Consumer<String> heardFrom;
    private final SlowClientGuard slowClients;
    private final ClusterToken token;
    private final Isolation isolation;
    private final IdentityGate identity;
    /** The last identity refusal logged per peer, so that a refused peer's retries are not logged each time. */
    private final Map<String, String> refusalLogged = new java.util.concurrent.ConcurrentHashMap<>();
    private static final int MAX_REFUSALS_LOGGED = 64;
    /** The newest stream of each peer, and whether it has ended. */
    private record Current(StreamId id, boolean ended) {}

    /** The newest stream of each peer; only it may deliver (guarded by {@link #streamsLock}). */
    private final Map<String, Current> currentStreams = new HashMap<>();
    /**
     * A lock, not {@code synchronized}: this code runs on virtual threads, and on Java 21 a virtual
     * thread that blocks inside {@code synchronized} pins its carrier thread. Delivering means
     * taking the peer queue's lock, which can block; with two cores there are two carriers, and
     * two pinned stream readers froze every virtual thread of a node (HTTP, peer streams) under
     * Jepsen while its event loop ran on. {@link ReentrantLock} unmounts a blocked virtual thread
     * instead (and Java 24 stops pinning in {@code synchronized}, JEP 491).
     */
    private final ReentrantLock streamsLock = new ReentrantLock();

    /** @param isolation while on, every message that arrives is dropped unread (test-only fault injection) */
    PeerRoutes(NodeConfig config, EventLoop loop, Consumer<String> heardFrom, ClusterToken token,
            SlowClientGuard slowClients, IdentityGate identity, Isolation isolation) {
        this.identity = identity;
        this.isolation = isolation;
        this.config = config;
        this.loop = loop;
        this.heardFrom = heardFrom;
        this.slowClients = slowClients;
        this.token = token;
    }

    /**
     * Reads a peer's stream until it ends. A malformed frame ends it with 400 (the sender opens a
     * new one); a message the full peer queue cannot take is dropped, as a network would.
     */
    void receiveStream(Context ctx) throws IOException {
        token.checkPeer(ctx);
        String from = ctx.header(StreamTransport.FROM_HEADER);
        // Whether it is a member is the identity check's to say: members come and go (§4.1).
        if (from == null || from.equals(config.id())) {
            throw new ApiException(ErrorCode.INVALID_BODY, StreamTransport.FROM_HEADER + " must name a peer of "
                    + config.id() + ", got " + from);
        }
        checkIdentity(from, ctx);
        StreamId stream;
        try {
            stream = StreamId.parse(ctx.header(StreamTransport.STREAM_HEADER));
        } catch (IllegalArgumentException e) {
            throw new ApiException(ErrorCode.INVALID_BODY, "bad " + StreamTransport.STREAM_HEADER + ": " + e.getMessage());
        }
        if (!takeOver(from, stream)) {
            throw new ApiException(ErrorCode.INVALID_BODY, "stream " + stream + " of " + from + " is not its newest");
        }
        slowClients.longLived(ctx); // a body that never ends, by design: no deadline for it
        DataInputStream in = new DataInputStream(ctx.req().getInputStream());
        // The frames are read on a platform thread of their own, while this handler's virtual thread
        // waits: under a flood of client requests the carrier threads (two on a 2-core machine) are
        // busy with client handlers, and a virtual reader would wait its turn behind them while the
        // leader's heartbeats and the followers' acknowledgements age in the socket (an election at
        // 1,000 client connections). The OS gives a platform thread its time slice whatever the
        // virtual threads do. One such thread per peer stream: a handful per node.
        FutureTask<Void> reader = new FutureTask<>(() -> {
            readFrames(in, from, stream);
            return null;
        });
        Thread.ofPlatform().daemon().name("recv-" + from).start(reader);
        try {
            reader.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while reading " + from + "'s stream", e);
        } catch (ExecutionException e) {
            switch (e.getCause()) {
                case ApiException api -> throw api;
                case IOException io -> throw io;
                case RuntimeException re -> throw re;
                default -> throw new IllegalStateException(e.getCause());
            }
        } finally {
            ended(from, stream);
        }
        ctx.status(204); // the sender closed the stream between frames, or a newer stream took over
    }

    /** Reads frames until the stream ends between two frames, or a newer stream of {@code from} took over. */
    private void readFrames(DataInputStream in, String from, StreamId stream) throws IOException {
        while (true) {
            int length;
            try {
                length = in.readInt();
            } catch (EOFException e) {
                return; // the sender closed the stream between frames
            }
            if (length < 1 || length > StreamTransport.MAX_FRAME_BYTES) {
                throw new ApiException(ErrorCode.INVALID_BODY, "frame length " + length + " out of range");
            }
            byte[] frame = in.readNBytes(length);
            if (frame.length < length) {
                throw new ApiException(ErrorCode.INVALID_BODY, "stream ended inside a frame");
            }
            Message message;
            try {
                message = MessageCodec.fromBytes(frame);
            } catch (MessageCodec.MalformedFrameException e) {
                throw new ApiException(ErrorCode.INVALID_BODY, e.getMessage());
            }
            check(message);
            if (!from.equals(message.from())) {
                throw new ApiException(ErrorCode.INVALID_BODY, "a message from " + message.from() + " on "
                        + from + "'s stream");
            }
            if (isolation.isolated()) {
                continue; // lost, as on a cut network
            }
            heardFrom.accept(from);
            streamsLock.lock();
            try {
                if (!stream.equals(currentStreams.get(from).id())) {
                    return; // a newer stream took over: this one's leftovers are stale, deliver none
                }
                loop.deliver(message); // false: the peer queue is full and the message is lost (§5.1)
            } finally {
                streamsLock.unlock();
            }
        }
    }

    /**
     * Whether {@code stream} may become {@code from}'s current one: a later stream of the same
     * incarnation, or a stream of a later incarnation (the peer restarted), takes over; a stream of
     * an earlier incarnation, a late connection of a process that has since died, never takes over
     * from a live stream of a later one. It may only once that stream has ended: a node whose data
     * directory was restored from a backup counts its incarnations from an older number again, and must
     * not be shut out for good by the streams of its previous life. (A wiped directory never gets this
     * far: its data-directory incarnation is refused first, {@link #checkIdentity}.)
     */
    private boolean takeOver(String from, StreamId stream) {
        streamsLock.lock();
        try {
            Current current = currentStreams.get(from);
            boolean takesOver = current == null || stream.newerThan(current.id())
                    || current.ended() && stream.earlierIncarnationThan(current.id());
            if (takesOver) {
                currentStreams.put(from, new Current(stream, false));
            }
            return takesOver;
        } finally {
            streamsLock.unlock();
        }
    }

    /** {@code stream} of {@code from} ended; if it is still the current one, say so. */
    private void ended(String from, StreamId stream) {
        streamsLock.lock();
        try {
            currentStreams.computeIfPresent(from, (peer, current) ->
                    current.id().equals(stream) ? new Current(stream, true) : current);
        } finally {
            streamsLock.unlock();
        }
    }

    void receive(Context ctx) {
        token.checkPeer(ctx);
        MessageType type = MessageType.fromPath(ctx.pathParam("type"))
                .orElseThrow(() -> new ApiException(ErrorCode.NO_ROUTE, "no such Raft message type"));
        List<Message> messages = parse(RequestBody.readAtMost(ctx, HttpApi.MAX_PEER_BODY_BYTES), type);
        messages.forEach(this::check);
        if (isolation.isolated()) {
            ctx.status(204); // lost, as on a cut network
            return;
        }
        for (Message message : messages) {
            checkIdentity(message.from(), ctx);
        }
        for (Message message : messages) {
            if (!loop.deliver(message)) {
                throw new ApiException(ErrorCode.OVERLOADED, "peer queue full; messages dropped");
            }
        }
        ctx.status(204);
    }

    /**
     * {@code GET /raft/identity}: what this node says of its data directory and cluster
     * ({@link raftkv.server.identity.PeerIdentity}); a node at its first start asks every peer.
     */
    void describeIdentity(Context ctx) {
        token.checkPeer(ctx);
        ctx.json(identity.describe(loop.status()));
    }

    /**
     * The sender's cluster and data-directory incarnation must be those this node's member table
     * holds for {@code from} (issue 20): a node that lost its data, or one of another cluster, is
     * refused, so none of its messages (votes, acknowledgements) ever reaches the core.
     */
    private void checkIdentity(String from, Context ctx) {
        switch (identity.check(from, ctx.header(StreamTransport.CLUSTER_HEADER),
                ctx.header(StreamTransport.INCARNATION_HEADER))) {
            case IdentityGate.Check.Accepted accepted -> refusalLogged.remove(from);
            case IdentityGate.Check.NotReady notReady -> throw new ApiException(ErrorCode.NOT_A_MEMBER, notReady.reason());
            case IdentityGate.Check.Refused refused -> {
                // Bounded: a sender can name any id, so past MAX_REFUSALS_LOGGED ids a refusal is
                // logged without being remembered (a log line per request, never a growing map).
                if (refusalLogged.size() >= MAX_REFUSALS_LOGGED && !refusalLogged.containsKey(from)) {
                    log.warn("refusing peer messages: {}", refused.reason());
                } else if (!refused.reason().equals(refusalLogged.put(from, refused.reason()))) {
                    log.warn("refusing peer messages: {}", refused.reason());
                }
                throw new ApiException(ErrorCode.IDENTITY_MISMATCH, refused.reason());
            }
        }
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
