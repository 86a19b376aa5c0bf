package raftkv.server.http;

import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.json.JavalinJackson;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import raftkv.core.KvStore;
import raftkv.server.EventLoop;
import raftkv.server.Json;
import raftkv.server.NodeConfig;
import raftkv.server.NodeStatus;
import raftkv.server.history.EventRecorder;
import raftkv.server.PeerPort;
import raftkv.server.ReadOutcome;
import raftkv.server.identity.Bootstrap;
import raftkv.server.identity.IdentityGate;
import raftkv.server.metrics.NodeMetrics;
import raftkv.server.transport.Isolation;
import raftkv.server.transport.StreamTransport;

/**
 * The node's HTTP server (Javalin on Jetty, one virtual thread per request): the client API, the
 * status page, the peer endpoint, the metrics ({@link MetricsRoutes}) and the dashboard
 * ({@link DashboardRoutes}). Every error, including those Javalin raises itself (unknown
 * route, body too large) and those Jetty raises before routing ({@link JsonErrorHandler}), leaves
 * as the same JSON error body.
 */
public final class HttpApi {

    private static final Logger log = LoggerFactory.getLogger(HttpApi.class);

    static final String RETRY_AFTER = "Retry-After";

    private static final int HEADER_CACHE_BYTES = 0;
    /**
     * A connection's read buffer. A request waiting for admission keeps its connection's buffer (its
     * small body is in it), so the buffer's size is paid once per waiting request: Jetty's 8 KiB
     * default made 80 MiB at 10,000 connections, of a 256 MiB heap. A client request's head and body
     * are a few hundred bytes; a longer head (up to Jetty's 8 KiB limit) is parsed over several reads.
     */
    private static final int INPUT_BUFFER_BYTES = 2048;
    /** A response's write buffer, held while it is written: Jetty's default is 32 KiB; answers are small. */
    private static final int OUTPUT_BUFFER_BYTES = 8192;

    /** The largest body of {@code POST /raft/{type}} (a batch of JSON messages); client bodies get 64 KiB. */
    static final int MAX_PEER_BODY_BYTES = 32 << 20;

    /** Acceptor, selectors and Jetty's housekeeping; request handlers run on virtual threads. */
    private static final int JETTY_MAX_PLATFORM_THREADS = 16;
    private static final int JETTY_MIN_PLATFORM_THREADS = 4;
    /** The peers' port: acceptor, selector, a few JSON requests; plus four per peer for its streams. */
    private static final int PEER_THREADS_BASE = 8;
    private static final int PEER_CONNECTIONS_BASE = 16;
    /** The peers' port is sized for at least this many peers: a cluster may grow after the start. */
    private static final int MIN_PEERS_PROVIDED_FOR = 6;

    private final Javalin app;
    private final Admission admission;
    private final KvRoutes kv;

    private HttpApi(Javalin app, Admission admission, KvRoutes kv) {
        this.app = app;
        this.admission = admission;
        this.kv = kv;
    }

    /**
     * @param heardFrom told the id of each peer a message arrived from (the transport's liveness signal)
     * @param recorder the node's event history and timeline ({@code GET /events}, {@code /timeline})
     * @param isolation the test-only partition switch ({@code POST /admin/fault/*})
     * @param identity this node's data-directory identity, which every peer request is checked against
     */
    public static HttpApi start(NodeConfig config, EventLoop loop, NodeMetrics metrics, Consumer<String> heardFrom,
            EventRecorder recorder, Isolation isolation, IdentityGate identity) {
        KvRoutes kv = new KvRoutes(config, loop);
        SlowClientGuard slowClients = new SlowClientGuard(config.connections().readTimeoutMs(),
                config.requestTimeoutMs());
        ClusterToken token = new ClusterToken(config.clusterToken());
        PeerRoutes peers = new PeerRoutes(config, loop, heardFrom, token, slowClients, identity, isolation);
        AdminRoutes admin = new AdminRoutes(config, loop, isolation, recorder.history());
        MemberRoutes members = new MemberRoutes(config, loop, identity);
        Admission admission = new Admission(config.limits());
        Javalin app = Javalin.create(javalin -> {
            javalin.startup.showJavalinBanner = false;
            javalin.startup.showOldJavalinVersionWarning = false;
            javalin.concurrency.useVirtualThreads = true;
            javalin.jetty.threadPool = jettyThreads();
            // Every route reads its body through RequestBody, with its own limit, while it streams (64 KiB
            // on client routes, 32 MiB on /raft/{type}; /raft/stream reads frames). This bounds anything
            // that would still call ctx.bodyAsBytes() at the client limit.
            javalin.http.maxRequestSize = ClientRequests.MAX_BODY_BYTES;
            javalin.http.prefer405over404 = true;
            javalin.jsonMapper(new JavalinJackson(Json.MAPPER, true));
            javalin.jetty.host = config.listenHost();
            javalin.jetty.port = config.listenPort();
            javalin.jetty.addConnector((server, http) -> connector(server, http, config, slowClients));
            if (config.peerPort() instanceof PeerPort.Own own) {
                javalin.jetty.addConnector((server, http) -> peerConnector(server, http, config, own, slowClients));
            }
            // Requests Jetty refuses before routing (bad URI, oversized headers) get JSON errors too.
            javalin.jetty.modifyServer(server -> server.setErrorHandler(new JsonErrorHandler()));
            // Admission wraps everything Javalin serves (Javalin puts its handlers inside a wrapper it
            // finds on the server): a request is admitted, or waits, before Javalin sees it.
            javalin.jetty.modifyServer(server -> server.setHandler(admission));

            PeerPortGate gate = PeerPortGate.of(config.peerPort());
            javalin.routes.before(gate::check); // first: a request on the wrong port is refused before all else
            for (String path : new String[] {"/kv", "/kv/*", "/sessions", "/debug/*"}) {
                javalin.routes.after(path, admission::giveBack); // the place, back before the answer leaves
            }
            for (String path : new String[] {"/kv", "/kv/*", "/sessions", "/debug/*", "/admin/*"}) {
                javalin.routes.before(path, ctx -> requireMember(identity)); // nothing is served before the loop runs
            }
            javalin.routes.before("/kv/*", ClientRequests::checkContentLength);
            javalin.routes.before("/sessions", ClientRequests::checkContentLength);
            javalin.routes.post("/sessions", kv::openSession);
            javalin.routes.get("/kv", kv::list);
            javalin.routes.get("/kv/{id}", kv::get);
            javalin.routes.put("/kv/{id}", kv::put);
            javalin.routes.delete("/kv/{id}", kv::delete);
            javalin.routes.post("/kv/{id}/cas", kv::cas);
            javalin.routes.get("/status", ctx -> ctx.json(statusBody(config, loop.status(), identity)));
            javalin.routes.get("/debug/kv", ctx -> localState(ctx, loop));
            javalin.routes.get(Bootstrap.IDENTITY_PATH, peers::describeIdentity);
            javalin.routes.post(StreamTransport.STREAM_PATH, peers::receiveStream); // before /raft/{type}
            javalin.routes.post("/raft/{type}", peers::receive);
            MetricsRoutes.register(javalin, metrics, recorder.timeline());
            DashboardRoutes.register(javalin, config, loop, identity);
            HistoryRoutes.register(javalin, config, loop, recorder.history(), recorder.timeline());
            javalin.routes.before("/admin/*", token::checkAdmin); // operators present the cluster token too
            javalin.routes.before("/admin/*", ClientRequests::checkContentLength);
            javalin.routes.post("/admin/transfer-leader", admin::transferLeader);
            javalin.routes.post("/admin/fault/isolate", admin::isolate);
            javalin.routes.post("/admin/fault/heal", admin::heal);
            javalin.routes.get("/admin/members", members::list);
            javalin.routes.post("/admin/members", members::add);
            javalin.routes.post("/admin/members/{id}/promote", members::promote);
            javalin.routes.delete("/admin/members/{id}", members::remove);

            javalin.routes.exception(ApiException.class, (e, ctx) -> render(ctx, e));
            javalin.routes.exception(HttpResponseException.class, (e, ctx) -> fromJavalin(e.getStatus(), ctx));
            javalin.routes.exception(Exception.class, (e, ctx) -> {
                log.error("{} {} failed", ctx.method(), ctx.path(), e);
                render(ctx, new ApiException(ErrorCode.INTERNAL, "internal error: " + e));
            });
            // Javalin answers unknown routes and wrong methods itself; give those our error body too.
            javalin.routes.error(404, ctx -> fillIfEmpty(ctx, ErrorCode.NO_ROUTE, "no route " + ctx.path()));
            javalin.routes.error(405, ctx -> fillIfEmpty(ctx, ErrorCode.METHOD_NOT_ALLOWED,
                    ctx.method() + " is not allowed on " + ctx.path()));
        });
        try {
            app.start();
        } catch (RuntimeException e) { // e.g. the port is taken
            kv.close();
            throw e;
        }
        return new HttpApi(app, admission, kv);
    }

    /**
     * Jetty's own work — accepting connections, the selector loops — on a few platform threads;
     * each request's handler on a virtual thread of its own. Javalin's virtual-thread pool would
     * run the selectors on virtual threads as well, where a selector blocked in {@code epoll_wait}
     * holds a carrier (on Java 21 it pins it) and HTTP on the node stalls once the carriers are
     * taken; with platform threads for them, the HTTP machinery keeps turning whatever the
     * handlers do. Jetty recommends this split for virtual threads.
     */
    private static QueuedThreadPool jettyThreads() {
        QueuedThreadPool pool = new QueuedThreadPool(JETTY_MAX_PLATFORM_THREADS, JETTY_MIN_PLATFORM_THREADS);
        pool.setName("jetty");
        pool.setVirtualThreadsExecutor(Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("http-", 0).factory()));
        return pool;
    }

    /**
     * The one port, for clients and peers, with the bounds of {@link NodeConfig.Connections}: Jetty's
     * idle timeout, the {@link SlowClientGuard}'s deadlines, and at most {@code maxConnections} open
     * connections (at the bound Jetty stops accepting; the kernel's backlog holds new ones until a
     * connection closes, so nobody is refused outright and the node's memory stays bounded).
     */
    private static ServerConnector connector(Server server, HttpConfiguration http, NodeConfig config,
            SlowClientGuard slowClients) {
        NodeConfig.Connections limits = config.connections();
        // No cache of header fields per connection: Jetty's parser builds one (a trie of some 11 KiB
        // of char[], even at a small size) for every connection, 74 MiB of a 256 MiB heap at 3,000
        // connections (measured with jcmd GC.class_histogram under make overload). Clients send a
        // handful of short headers; parsing them without a cache costs little.
        http.setHeaderCacheSize(HEADER_CACHE_BYTES);
        // Connection buffers on the heap, not direct: Jetty's direct buffers live outside -Xmx, and
        // at 10,000 connections they were 81 MiB of native memory beside a heap with room to spare
        // (jcmd VM.native_memory, "Other"), pushing the node's RSS past 512 MiB. On the heap they
        // are bounded by -Xmx and reclaimed by the collector like everything else.
        http.setUseInputDirectByteBuffers(false);
        http.setUseOutputDirectByteBuffers(false);
        http.setOutputBufferSize(OUTPUT_BUFFER_BYTES);
        HttpConnectionFactory factory = new HttpConnectionFactory(http);
        factory.setInputBufferSize(INPUT_BUFFER_BYTES);
        ServerConnector connector = new ServerConnector(server, factory);
        connector.setHost(config.listenHost());
        connector.setPort(config.listenPort());
        connector.setIdleTimeout(limits.idleTimeoutMs());
        connector.addBean(slowClients); // started and stopped with the connector, told of each connection
        server.addBean(new NetworkConnectionLimit(limits.maxConnections(), connector));
        return connector;
    }

    /**
     * The peers' own port ({@link PeerPort.Own}): a connector of its own with a small pool of
     * platform threads, which Jetty uses for everything on it (selecting, parsing, the handlers),
     * so that no client work on the virtual threads delays a heartbeat. At most
     * {@link #peerConnections} connections: a stream from each peer, a superseded one closing, and
     * room for the JSON route and curl; the slow-client deadlines and the idle timeout apply as on
     * the client port (a stream, once its token is checked, is exempt).
     */
    private static ServerConnector peerConnector(Server server, HttpConfiguration http, NodeConfig config,
            PeerPort.Own own, SlowClientGuard slowClients) {
        int peers = Math.max(MIN_PEERS_PROVIDED_FOR, config.peers().size()); // members come and go (§4.1)
        QueuedThreadPool pool = new QueuedThreadPool(PEER_THREADS_BASE + 4 * peers, 4);
        pool.setName("peers");
        pool.setReservedThreads(0); // no threads parked for bursts: the peers' traffic is a few streams
        ServerConnector connector = new ServerConnector(server, pool, null, null, 1, 1, new HttpConnectionFactory(http));
        connector.setName(PeerPortGate.PEER_CONNECTOR);
        connector.setHost(own.host());
        connector.setPort(own.port());
        connector.setIdleTimeout(config.connections().idleTimeoutMs());
        connector.addBean(slowClients);
        server.addBean(new NetworkConnectionLimit(peerConnections(peers), connector));
        return connector;
    }

    /** Open connections at most on the peers' port. */
    static int peerConnections(int peers) {
        return PEER_CONNECTIONS_BASE + 4 * peers;
    }

    /** Client requests holding a place now (admission control). */
    public int inflightRequests() {
        return admission.inflight();
    }

    /** Client requests waiting for a place now (admission control). */
    public int waitingRequests() {
        return admission.waiting();
    }

    public int port() {
        return app.port();
    }

    /** The port peers stream to: the peers' own, or the client port. */
    public int peerPort() {
        for (Connector connector : app.jettyServer().server().getConnectors()) {
            if (PeerPortGate.PEER_CONNECTOR.equals(connector.getName()) && connector instanceof ServerConnector peer) {
                return peer.getLocalPort();
            }
        }
        return port();
    }

    public void stop() {
        app.stop();
        kv.close();
    }

    private static void render(Context ctx, ApiException e) {
        e.code().retryAfterSeconds().ifPresent(seconds -> ctx.header(RETRY_AFTER, Integer.toString(seconds)));
        ctx.status(e.code().status()).json(e.body());
    }

    private static void fromJavalin(int status, Context ctx) {
        ErrorCode code = switch (status) {
            case 404 -> ErrorCode.NO_ROUTE;
            case 405 -> ErrorCode.METHOD_NOT_ALLOWED;
            case 413 -> ErrorCode.PAYLOAD_TOO_LARGE;
            default -> status >= 500 ? ErrorCode.INTERNAL : ErrorCode.INVALID_BODY;
        };
        render(ctx, new ApiException(code, "HTTP " + status + " for " + ctx.method() + " " + ctx.path()));
    }

    private static void fillIfEmpty(Context ctx, ErrorCode code, String message) {
        String body = ctx.result();
        if (body == null || body.isEmpty()) {
            render(ctx, new ApiException(code, message));
        }
    }

    /** Until this node belongs to a cluster its event loop does not run: refuse at once, definitely. */
    private static void requireMember(IdentityGate identity) {
        if (identity.member().isEmpty()) {
            throw new ApiException(ErrorCode.NOT_A_MEMBER, identity.identity().node() + " serves no requests yet: "
                    + identity.notReadyReason());
        }
    }

    static Map<String, Object> statusBody(NodeConfig config, NodeStatus status, IdentityGate identity) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("id", status.id());
        body.put("clusterId", identity.member().map(m -> m.clusterId()).orElse(null));
        if (identity.member().isEmpty()) {
            body.put("notAMember", identity.notReadyReason());
        }
        body.put("role", status.role());
        body.put("term", status.term());
        body.put("leader", status.leader());
        body.put("commitIndex", status.commitIndex());
        body.put("lastApplied", status.lastApplied());
        body.put("lastIndex", status.lastIndex());
        body.put("logSize", status.lastIndex()); // deprecated alias of lastIndex, still read by jepsen-test
        body.put("lastLogTerm", status.lastLogTerm());
        body.put("snapshotIndex", status.snapshotIndex());
        body.put("logEntries", status.logEntries());
        body.put("keys", status.keys());
        body.put("stateBytes", status.stateBytes());
        body.put("stateQuotaBytes", status.stateQuotaBytes());
        body.put("membership", membership(status.configuration(), status.id()));
        Map<String, Object> peers = new LinkedHashMap<>();
        clientUrls(config, status).forEach((id, url) -> {
            Map<String, Object> peer = new LinkedHashMap<>();
            peer.put("url", url);
            peer.put("membership", membership(status.configuration(), id));
            Long matchIndex = status.matchIndex().get(id); // known on the leader only
            if (matchIndex != null) {
                peer.put("matchIndex", matchIndex);
            }
            if (status.lostData().contains(id)) { // on the leader: it is sent heartbeats only (issue 20)
                peer.put("lostData", true);
            }
            peers.put(id, peer);
        });
        body.put("peers", peers);
        return body;
    }

    /** "voter" or "learner" (§4.2.1) in this node's latest configuration (§4.1), or null: not in it. */
    private static String membership(raftkv.core.ClusterConfig configuration, String id) {
        return configuration.isVoter(id) ? "voter" : configuration.isLearner(id) ? "learner" : null;
    }

    /**
     * Every other member's client URL: from the latest configuration (§4.1), or from {@code --peers}
     * for a member the configuration names without one.
     */
    static Map<String, String> clientUrls(NodeConfig config, NodeStatus status) {
        Map<String, String> urls = new java.util.TreeMap<>();
        if (status.configuration().ids().isEmpty()) {
            config.peers().forEach((id, url) -> urls.put(id, url.toString()));
            return urls;
        }
        for (String id : status.configuration().ids()) {
            String url = status.configuration().member(id).map(raftkv.core.Member::clientUrl).orElse("");
            if (url.isEmpty() && config.members().containsKey(id)) {
                url = config.members().get(id).toString();
            }
            if (!id.equals(config.id())) {
                urls.put(id, url);
            }
        }
        return urls;
    }

    /** A page of one node's own map, and how far that node had applied when it was read. */
    private record LocalPage(long lastApplied, KvStore.Page page) {}

    /**
     * A page of this node's own map, with its lastApplied, without ReadIndex: for tests and
     * debugging only. Paginated like {@code GET /kv}; each page may come from a different lastApplied.
     */
    private static void localState(Context ctx, EventLoop loop) throws Exception {
        ClientRequests.PageRequest page = ClientRequests.pageRequest(ctx);
        CompletableFuture<ReadOutcome<LocalPage>> reply =
                loop.readLocal(kv -> new LocalPage(kv.lastApplied(), kv.page(page.after(), page.limit())));
        switch (reply.get(5, TimeUnit.SECONDS)) {
            case ReadOutcome.Served<LocalPage> served -> {
                Map<String, Object> body = new LinkedHashMap<>();
                body.put("lastApplied", served.value().lastApplied());
                body.putAll(Answers.pageBody(served.value().page()));
                ctx.json(body);
            }
            default -> render(ctx, new ApiException(ErrorCode.OVERLOADED, "event queue full"));
        }
    }
}
