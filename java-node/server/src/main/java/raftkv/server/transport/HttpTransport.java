package raftkv.server.transport;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import raftkv.core.Message;
import raftkv.server.Json;

/**
 * Sends peer messages as {@code POST <peer>/raft/<message-type>} with a JSON body.
 *
 * <p>Each peer has its own bounded queue and its own sender: a virtual thread that takes what is
 * queued and POSTs it, one request at a time, so a peer sees this node's messages in order. The
 * body is a JSON array of messages of the URL's type. The event loop only
 * {@code offer}s to the queue: when a peer is slow or dead its queue fills and further messages to
 * it are dropped, while the event loop and the other peers carry on. Replies come back the same way,
 * as separate one-way messages, so the HTTP response itself carries nothing but 204.
 */
public final class HttpTransport implements Transport {

    private static final Logger log = LoggerFactory.getLogger(HttpTransport.class);

    /** Header carrying the cluster token; see {@code --cluster-token}. */
    public static final String TOKEN_HEADER = "X-Raft-Token";

    static final int QUEUE_CAPACITY = 1024;
    static final int MAX_MESSAGES_PER_POST = 256;
    /** Soft bound on one POST body; the receiver accepts up to {@code HttpApi.MAX_PEER_BODY_BYTES}. */
    static final int MAX_BYTES_PER_POST = 1 << 20;
    private static final Duration CONNECT_TIMEOUT = Duration.ofMillis(500);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(2);

    private final Map<String, PeerLink> links = new TreeMap<>();
    private final HttpClient client;
    private final TransportObserver observer;

    public HttpTransport(Map<String, URI> peers, String clusterToken) {
        this(peers, clusterToken, TransportObserver.NONE);
    }

    public HttpTransport(Map<String, URI> peers, String clusterToken, TransportObserver observer) {
        this.observer = observer;
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(CONNECT_TIMEOUT)
                .executor(Executors.newVirtualThreadPerTaskExecutor())
                .build();
        peers.forEach((id, uri) -> links.put(id, new PeerLink(id, uri, clusterToken)));
        links.values().forEach(PeerLink::start);
    }

    @Override
    public void send(List<Message> messages) {
        for (Message message : messages) {
            PeerLink link = links.get(message.to());
            if (link == null) {
                log.warn("dropping {} to unknown peer {}", message.getClass().getSimpleName(), message.to());
            } else {
                link.offer(message);
            }
        }
    }

    /** Messages dropped so far because a peer's queue was full (for tests and status). */
    public long dropped() {
        return links.values().stream().mapToLong(l -> l.dropped.get()).sum();
    }

    private static String toJson(Message message) {
        try {
            return Json.MAPPER.writeValueAsString(message);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize " + message, e); // records of strings and numbers
        }
    }

    @Override
    public void close() {
        links.values().forEach(link -> link.sender.interrupt());
        client.close();
    }

    private final class PeerLink {
        private final String peerId;
        private final URI base;
        private final String token;
        private final BlockingQueue<Message> queue = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
        private final AtomicLong dropped = new AtomicLong();
        private final Thread sender;
        private boolean reachable = true; // only the sender thread touches it: for logging state changes

        PeerLink(String peerId, URI base, String token) {
            this.peerId = peerId;
            this.base = base;
            this.token = token;
            this.sender = Thread.ofVirtual().name("send-" + peerId).unstarted(this::run);
        }

        void start() {
            sender.start();
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
                    queue.drainTo(batch, MAX_MESSAGES_PER_POST - 1);
                    postInRuns(batch);
                    batch.clear();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // closing
            }
        }

        /**
         * Sends what accumulated while the previous POST was in flight: each run of consecutive
         * messages of one type goes as one JSON array, so order is kept and a busy leader's many
         * small AppendEntries cost one round trip, not one each.
         */
        private void postInRuns(List<Message> batch) throws InterruptedException {
            int start = 0;
            while (start < batch.size()) {
                MessageType type = MessageType.of(batch.get(start));
                StringBuilder body = new StringBuilder("[");
                int end = start;
                while (end < batch.size() && MessageType.of(batch.get(end)) == type
                        && body.length() < MAX_BYTES_PER_POST) {
                    body.append(end == start ? "" : ",").append(toJson(batch.get(end)));
                    end++;
                }
                post(type, body.append(']').toString());
                start = end;
            }
        }

        private void post(MessageType type, String jsonArray) throws InterruptedException {
            try {
                HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve("/raft/" + type.path()))
                        .timeout(REQUEST_TIMEOUT)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(jsonArray));
                if (token != null) {
                    request.header(TOKEN_HEADER, token);
                }
                HttpResponse<String> response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() / 100 != 2) {
                    observer.sendFailed(peerId);
                    log.warn("peer {} refused {}: HTTP {} {}", peerId, type.path(), response.statusCode(),
                            response.body());
                }
                if (!reachable) {
                    log.info("peer {} is reachable again", peerId);
                    reachable = true;
                }
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                // Lost, like any message on a network. Log the transition, not every failure.
                observer.sendFailed(peerId);
                if (reachable) {
                    log.warn("peer {} unreachable ({}); dropping messages to it until it answers", peerId,
                            e.toString());
                    reachable = false;
                }
            }
        }
    }
}
