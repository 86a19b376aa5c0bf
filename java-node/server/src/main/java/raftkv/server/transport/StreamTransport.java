package raftkv.server.transport;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import raftkv.core.Message;
import raftkv.server.identity.IdentityGate.Credentials;
import raftkv.storage.StoredIdentity;

/**
 * Sends peer messages over one long-lived stream per peer, on the peer's HTTP port: a
 * {@code POST /raft/stream} whose chunked body never ends and carries length-prefixed binary frames
 * ({@link MessageCodec}). A batch costs one write on an open connection, not a request/response
 * round, and the next batch does not wait for the previous one to be answered.
 *
 * <p>Each peer has a bounded queue and a sender (a virtual thread); the event loop only
 * {@code offer}s, and a full queue drops the message (Raft tolerates lost messages, §5.1). A
 * failed connection loses what was written to it and is never written again: its socket is closed
 * with an RST (linger 0), so the kernel discards what it had not sent yet, and the next batch opens
 * a new stream after a backoff. The stream's header names it ({@link #STREAM_HEADER}: this process's
 * incarnation and a counter), so the receiver delivers only from the newest stream of each peer and a
 * stale connection can neither reorder nor repeat anything.
 *
 * <p>TCP alone would keep a stream through a partition "alive" for minutes (writes land in the
 * socket buffer, retransmissions back off), and resume it long after the partition healed. So a
 * stream to a peer from which nothing has been heard for {@link #SILENCE_LIMIT_NANOS} while we kept
 * writing is dropped and reopened: every Raft request is answered, so a live peer is heard from.
 */
public final class StreamTransport implements Transport {

    private static final Logger log = LoggerFactory.getLogger(StreamTransport.class);

    /** The stream's route on every node's HTTP port. */
    public static final String STREAM_PATH = "/raft/stream";
    /** Header carrying the cluster token; see {@code --cluster-token}. */
    public static final String TOKEN_HEADER = "X-Raft-Token";
    /** Header naming the sending node. */
    public static final String FROM_HEADER = "X-Raft-From";
    /** Header naming the stream: {@code <incarnation>.<counter>}, see {@link StreamId}. */
    public static final String STREAM_HEADER = "X-Raft-Stream";
    /** Header naming the sender's cluster ({@link raftkv.server.identity.IdentityGate}). */
    public static final String CLUSTER_HEADER = "X-Raft-Cluster";
    /**
     * Header carrying the sender's data-directory incarnation (16 hex digits): which directory, not
     * which process ({@link #STREAM_HEADER} names the process). A wiped node has a new one.
     */
    public static final String INCARNATION_HEADER = "X-Raft-Incarnation";
    /** The largest frame either side writes or accepts. */
    public static final int MAX_FRAME_BYTES = 32 << 20;

    /** Messages queued for one peer at most; beyond, new ones are dropped (as a network would). */
    public static final int QUEUE_CAPACITY = 1024;
    static final int MAX_MESSAGES_PER_WRITE = 256;
    static final long SILENCE_LIMIT_NANOS = TimeUnit.MILLISECONDS.toNanos(2000);
    private static final int CONNECT_TIMEOUT_MILLIS = 500;
    private static final long MIN_BACKOFF_MILLIS = 10;
    private static final long MAX_BACKOFF_MILLIS = 100;

    private final String selfId;
    private final String token;
    private final long incarnation;
    /** One link per peer; changed at runtime as members come and go ({@link #updatePeers}). */
    private final Map<String, PeerLink> links = new java.util.concurrent.ConcurrentHashMap<>();
    private final TransportObserver observer;
    private final Isolation isolation;
    private static final int MAX_UNKNOWN_LOGGED = 64;
    /** Unknown peers already logged (bounded): a removed leader's messages would otherwise flood the log. */
    private final java.util.Set<String> unknownLogged = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final Supplier<Optional<Credentials>> credentials;

    /**
     * A transport for a process that keeps no boot count (tests): its incarnation is read from the
     * monotonic clock, so that within one JVM a transport made later counts as a later incarnation.
     *
     * @param credentials the cluster and data-directory incarnation it presents
     */
    public StreamTransport(String selfId, Map<String, URI> peers, String clusterToken, Credentials credentials) {
        this(selfId, peers, clusterToken, System.nanoTime() & Long.MAX_VALUE, TransportObserver.NONE,
                () -> Optional.of(credentials));
    }

    /**
     * @param incarnation this process's place among the node's starts, higher for a later one
     *     ({@link raftkv.server.BootCounter}): a receiver never lets a stream of an earlier
     *     incarnation take over from a later one's
     * @param observer told of failed writes and dropped messages (metrics); must not block
     * @param credentials the cluster and data-directory incarnation every stream presents, once the
     *     node belongs to a cluster (before, it sends nothing: its event loop has not started)
     */
    public StreamTransport(String selfId, Map<String, URI> peers, String clusterToken, long incarnation,
            TransportObserver observer, Supplier<Optional<Credentials>> credentials) {
        this(selfId, peers, clusterToken, incarnation, observer, credentials, new Isolation());
    }

    /** @param isolation while on, every message is dropped before it is queued (test-only fault injection) */
    public StreamTransport(String selfId, Map<String, URI> peers, String clusterToken, long incarnation,
            TransportObserver observer, Supplier<Optional<Credentials>> credentials, Isolation isolation) {
        this.isolation = isolation;
        this.credentials = credentials;
        this.incarnation = incarnation;
        this.observer = observer;
        this.selfId = selfId;
        this.token = clusterToken;
        peers.forEach((id, uri) -> links.put(id, new PeerLink(id, uri)));
        links.values().forEach(link -> link.sender.start());
    }

    @Override
    public void send(List<Message> messages) {
        for (Message message : messages) {
            PeerLink link = links.get(message.to());
            if (link == null) {
                // A member this node does not know yet (its configuration entry arrives in this very
                // turn) or no longer knows (removed): lost, as on a network; said once per peer.
                if (unknownLogged.size() < MAX_UNKNOWN_LOGGED && unknownLogged.add(message.to())) {
                    log.warn("dropping messages to {}: not a peer of this node (yet, or any more)", message.to());
                }
            } else if (isolation.isolated()) {
                link.dropped.incrementAndGet(); // lost, as on a cut network
            } else {
                link.offer(message);
            }
        }
    }

    /**
     * The peers are now {@code peers} (every member of the latest configuration but this node, with
     * its peer URL): links to new members open, links to removed members close (their queued messages
     * are dropped, as a network would), and a member whose URL changed gets a new link.
     */
    public void updatePeers(Map<String, URI> peers) {
        for (Map.Entry<String, URI> peer : peers.entrySet()) {
            if (peer.getKey().equals(selfId)) {
                continue;
            }
            PeerLink current = links.get(peer.getKey());
            if (current == null || !current.base.equals(peer.getValue())) {
                PeerLink link = new PeerLink(peer.getKey(), peer.getValue());
                PeerLink replaced = links.put(peer.getKey(), link);
                if (replaced != null) {
                    replaced.stop();
                }
                link.sender.start();
                log.info("peer {} at {}: {}", peer.getKey(), peer.getValue(), replaced == null ? "added" : "moved");
            }
        }
        for (String id : List.copyOf(links.keySet())) {
            if (!peers.containsKey(id)) {
                PeerLink removed = links.remove(id);
                if (removed != null) {
                    removed.stop();
                    log.info("peer {} removed: its stream is closed", id);
                }
            }
        }
    }

    /** The peers this transport has links to now. */
    public java.util.Set<String> peers() {
        return java.util.Set.copyOf(links.keySet());
    }

    /** The receiving side saw a message from {@code peerId}: our stream to it is worth keeping. */
    public void heardFrom(String peerId) {
        PeerLink link = links.get(peerId);
        if (link != null) {
            link.lastHeardNanos = System.nanoTime();
        }
    }

    /** Messages dropped so far because a peer's queue was full or its stream failed. */
    public long dropped() {
        return links.values().stream().mapToLong(l -> l.dropped.get()).sum();
    }

    @Override
    public void close() {
        links.values().forEach(PeerLink::stop);
    }

    private final class PeerLink {
        private final String peerId;
        private final URI base;
        private final BlockingQueue<Message> queue = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
        private final AtomicLong dropped = new AtomicLong();
        private final Thread sender;
        private long streams; // counter for StreamId; sender thread only
        private long backoffMillis = MIN_BACKOFF_MILLIS; // sender thread only
        private boolean reachable = true; // sender thread only: to log transitions, not every failure
        private volatile Socket socket; // written by the sender; closed by anyone to abandon the stream
        private volatile String refusal; // the status line of the last refusal, set by the reply watcher
        private OutputStream out; // sender thread only
        private volatile long lastHeardNanos = System.nanoTime();
        private long connectedAtNanos; // sender thread only

        PeerLink(String peerId, URI base) {
            this.peerId = peerId;
            this.base = base;
            // A platform thread, not a virtual one: under a flood of client requests the two carrier
            // threads of a 2-core machine are busy with client handlers, and a virtual sender waits
            // its turn behind them while heartbeats age (an election at 1,000 connections). The OS
            // schedules a platform thread by time slice, whatever the virtual threads do.
            this.sender = Thread.ofPlatform().daemon().name("send-" + peerId).unstarted(this::run);
        }

        void offer(Message message) {
            if (!queue.offer(message)) {
                dropped.incrementAndGet();
                observer.dropped(peerId);
            }
        }

        private void run() {
            List<Message> batch = new ArrayList<>();
            try {
                while (true) {
                    batch.add(queue.take());
                    queue.drainTo(batch, MAX_MESSAGES_PER_WRITE - 1);
                    if (socket == null || socket.isClosed()) {
                        connectOrBackOff();
                    } else if (peerSilentTooLong()) {
                        disconnect();
                        connectOrBackOff();
                    }
                    if (socket != null && !socket.isClosed()) {
                        write(batch);
                    } else {
                        dropped.addAndGet(batch.size());
                    }
                    batch.clear();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // closing
            }
        }

        /** The stream has been open a while and the peer said nothing back: it is probably cut. */
        private boolean peerSilentTooLong() {
            long now = System.nanoTime();
            return now - lastHeardNanos > SILENCE_LIMIT_NANOS && now - connectedAtNanos > SILENCE_LIMIT_NANOS;
        }

        private void connectOrBackOff() throws InterruptedException {
            if (refusal != null) { // the last stream was refused (a wrong token?): do not hammer the peer
                backOff();
            }
            Socket s = new Socket();
            try {
                s.setTcpNoDelay(true);
                s.setSoLinger(true, 0); // close = RST: unsent bytes of an abandoned stream are discarded
                s.connect(new InetSocketAddress(base.getHost(), base.getPort()), CONNECT_TIMEOUT_MILLIS);
                out = new BufferedOutputStream(s.getOutputStream(), 64 * 1024);
                out.write(requestHead().getBytes(StandardCharsets.US_ASCII));
                out.flush();
                socket = s;
                connectedAtNanos = System.nanoTime();
                Thread.ofPlatform().daemon().name("stream-reply-" + peerId).start(() -> watchForAnswer(s));
                if (refusal == null) {
                    backoffMillis = MIN_BACKOFF_MILLIS;
                }
            } catch (IOException e) {
                closeQuietly(s);
                unreachable(e.toString());
                backOff();
            }
        }

        private void backOff() throws InterruptedException {
            Thread.sleep(backoffMillis);
            backoffMillis = Math.min(MAX_BACKOFF_MILLIS, backoffMillis * 2);
        }

        private String requestHead() {
            String head = "POST " + STREAM_PATH + " HTTP/1.1\r\n"
                    + "Host: " + base.getHost() + ":" + base.getPort() + "\r\n"
                    + "Content-Type: application/x-raftkv-frames\r\n"
                    + "Transfer-Encoding: chunked\r\n"
                    + FROM_HEADER + ": " + selfId + "\r\n"
                    + STREAM_HEADER + ": " + new StreamId(incarnation, ++streams) + "\r\n"
                    + credentials.get().map(c -> CLUSTER_HEADER + ": " + c.clusterId() + "\r\n"
                            + INCARNATION_HEADER + ": " + StoredIdentity.format(c.incarnation()) + "\r\n").orElse("");
            return head + (token == null ? "" : TOKEN_HEADER + ": " + token + "\r\n") + "\r\n";
        }

        /** One HTTP chunk holding every frame of the batch: {@code length:int frame} each. */
        private void write(List<Message> batch) {
            try {
                ByteArrayOutputStream frames = new ByteArrayOutputStream(256 * batch.size());
                DataOutputStream data = new DataOutputStream(frames);
                for (Message message : batch) {
                    byte[] frame = MessageCodec.toBytes(message);
                    if (frame.length > MAX_FRAME_BYTES) {
                        log.error("dropping a {} of {} bytes to {}: over the frame limit",
                                message.getClass().getSimpleName(), frame.length, peerId);
                        dropped.incrementAndGet();
                        continue;
                    }
                    data.writeInt(frame.length);
                    data.write(frame);
                }
                if (frames.size() == 0) {
                    return; // an empty chunk would end the stream's body
                }
                out.write((Integer.toHexString(frames.size()) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                frames.writeTo(out);
                out.write('\r');
                out.write('\n');
                out.flush();
                if (refusal != null && System.nanoTime() - connectedAtNanos > SILENCE_LIMIT_NANOS) {
                    refusal = null; // this stream lasted: whatever was refused before is fixed
                    backoffMillis = MIN_BACKOFF_MILLIS;
                }
                if (!reachable) {
                    log.info("peer {} is reachable again", peerId);
                    reachable = true;
                }
            } catch (IOException e) {
                dropped.addAndGet(batch.size()); // lost, like any message on a network
                disconnect();
                unreachable(e.toString());
            }
        }

        /**
         * The receiver answers a stream only to end it: a refusal (wrong token, bad frame) or its
         * shutdown. Either way this stream is over; the sender opens a new one on its next batch.
         */
        private void watchForAnswer(Socket s) {
            try {
                InputStream in = s.getInputStream();
                byte[] buffer = new byte[512];
                int n = in.read(buffer);
                if (n > 0) {
                    String answer = new String(buffer, 0, n, StandardCharsets.UTF_8);
                    String statusLine = answer.lines().findFirst().orElse("");
                    String body = answer.substring(answer.lastIndexOf('\n') + 1);
                    if (statusLine.matches("HTTP/1\\.1 [45]\\d\\d.*") && !statusLine.contains(" 408 ")) {
                        if (!statusLine.equals(refusal)) { // once, not on every retry
                            log.warn("peer {} refused the stream: {} {}", peerId, statusLine, body); // misconfigured?
                        }
                        refusal = statusLine;
                    } else { // 408: the peer's idle timeout, on a stream we had nothing to send on
                        log.debug("peer {} ended the stream: {}", peerId, statusLine);
                    }
                }
            } catch (IOException e) {
                // reset or closed by us: the sender notices on its next write
            } finally {
                closeQuietly(s);
            }
        }

        private void unreachable(String reason) {
            observer.sendFailed(peerId);
            if (reachable) {
                log.warn("peer {} unreachable ({}); dropping messages to it until a stream opens", peerId, reason);
                reachable = false;
            }
        }

        void stop() {
            sender.interrupt();
            disconnect();
        }

        void disconnect() {
            Socket s = socket;
            if (s != null) {
                closeQuietly(s);
            }
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // nothing left to do with it
        }
    }
}
