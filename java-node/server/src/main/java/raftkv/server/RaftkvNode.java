package raftkv.server;

import java.io.IOException;
import java.time.Duration;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import raftkv.core.Bug;
import raftkv.core.SessionLimits;
import raftkv.core.StateQuota;
import raftkv.server.identity.Bootstrap;
import raftkv.storage.StorageCorruptedException;

/** {@code java -jar raftkv-node.jar --id n1 --listen 0.0.0.0:8080 --peers n1=http://n1:8080,...}. */
@Command(name = "raftkv-node", mixinStandardHelpOptions = true, version = "raftkv 0.1",
        description = "Runs one node of a raftkv cluster: a Raft-replicated map Id => name.")
public final class RaftkvNode implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(RaftkvNode.class);

    static final int EXIT_BAD_OPTIONS = 2;
    static final int EXIT_CORRUPTED = 3;
    static final int EXIT_FAILED = 1;
    /** The data directory is not the one the cluster knows under this id (it lost its data): issue 20. */
    static final int EXIT_NOT_A_MEMBER = 4;

    private static final Pattern ID = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
    private static final Pattern RANGE = Pattern.compile("(\\d+)-(\\d+)");
    private static final Pattern HOST_PORT = Pattern.compile("(.+):(\\d{1,5})");

    @Option(names = "--id", required = true, description = "This node's id; must appear in --peers.")
    String id;

    @Option(names = "--listen", required = true,
            description = "HOST:PORT to serve clients on (and peers, without --listen-peers).")
    String listen;

    @Option(names = "--peers",
            description = "The cluster's first members, this one included, and their client URLs: ID=URL,ID=URL,..."
                    + " e.g. n1=http://n1:8080 (for a new cluster, and for restarts of its members). Followers"
                    + " forward client requests there; without --peer-urls, peers stream Raft messages there too.")
    String peers;

    @Option(names = "--join",
            description = "Instead of --peers: the client URL of a member of an existing cluster, which adds this"
                    + " node (with a new, empty data directory) as a learner; restart it with the same option.")
    URI join;

    @Option(names = "--advertise-host",
            description = "With --join: the host the other members reach this node at (default: the --listen host).")
    String advertiseHost;

    @Option(names = "--listen-peers",
            description = "HOST:PORT to serve the peers' Raft streams on, apart from clients (on platform threads, so"
                    + " that no client load delays a heartbeat). Needs --peer-urls. Default: the --listen port.")
    String listenPeers;

    @Option(names = "--peer-urls",
            description = "Every node's peer URL (its --listen-peers): ID=URL,... e.g. n1=http://n1:8081; same ids as"
                    + " --peers. Needs --listen-peers.")
    String peerUrls;

    @Option(names = "--data-dir", required = true, description = "Directory for the WAL and the hard state.")
    Path dataDir;

    @Option(names = "--tick-ms", defaultValue = "10", description = "Raft clock period (default ${DEFAULT-VALUE}).")
    int tickMs;

    @Option(names = "--election-timeout-ms", defaultValue = "300-600",
            description = "MIN-MAX randomized election timeout (default ${DEFAULT-VALUE}).")
    String electionTimeout;

    @Option(names = "--heartbeat-ms", defaultValue = "50", description = "Leader heartbeat period (default ${DEFAULT-VALUE}).")
    int heartbeatMs;

    @Option(names = "--request-timeout-ms", defaultValue = "5000",
            description = "How long a client request may wait, forwarding included (default ${DEFAULT-VALUE}).")
    int requestTimeoutMs;

    @Option(names = "--snapshot-entries", defaultValue = "10000",
            description = "Take a snapshot and compact the log every this many applied entries (default ${DEFAULT-VALUE}).")
    int snapshotEntries;

    @Option(names = "--snapshot-trailing-entries", defaultValue = "1000",
            description = "Log entries kept behind each snapshot for followers a little behind (default ${DEFAULT-VALUE}).")
    int snapshotTrailingEntries;

    // The next three define the replicated state machine (dissertation §6.3): every node must be
    // started with the same values, or nodes could register, refuse and expire sessions, or refuse
    // writes, differently.
    @Option(names = "--max-sessions", defaultValue = "10000",
            description = "Client sessions the state machine keeps (default ${DEFAULT-VALUE}). Same on every node.")
    int maxSessions;

    @Option(names = "--session-idle-entries", defaultValue = "100000",
            description = "A registration may expire a session only if it went unused for this many log entries;"
                    + " otherwise it is refused with 429 too_many_sessions (default ${DEFAULT-VALUE}). Same on every node.")
    long sessionIdleEntries;

    @Option(names = "--max-state-bytes",
            description = "Quota of the map, in estimated heap bytes (UTF-8 id + name + 128 per entry): a put or"
                    + " compare-and-set that would grow it beyond is refused with 507 quota_exceeded; deletes"
                    + " still work (default: half of the heap, Runtime.maxMemory() / 2, 256 MiB at -Xmx512m)."
                    + " Same on every node: give it explicitly when the nodes' heaps differ.")
    Long maxStateBytes;

    @Option(names = "--max-inflight-requests", defaultValue = "" + NodeConfig.Limits.DEFAULT_MAX_INFLIGHT_REQUESTS,
            description = "Client requests this node holds at once: writes awaiting commit, reads awaiting a read"
                    + " index, requests waiting for or forwarded to the leader. Beyond, a request waits for a place"
                    + " (--max-waiting-requests, --admission-wait-ms), its body unread, or is answered 429"
                    + " (default ${DEFAULT-VALUE}: also the largest batch of writes behind one fsync).")
    int maxInflightRequests;

    @Option(names = "--max-inflight-body-kib", defaultValue = "" + NodeConfig.Limits.DEFAULT_MAX_INFLIGHT_BODY_KIB,
            description = "KiB of request bodies the in-flight requests may hold together; each reserves its declared"
                    + " length, a chunked one 64 KiB (default ${DEFAULT-VALUE}: an eighth of a -Xmx256m heap).")
    int maxInflightBodyKiB;

    @Option(names = "--max-waiting-requests", defaultValue = "" + NodeConfig.Limits.DEFAULT_MAX_WAITING_REQUESTS,
            description = "Client requests that may wait for a place among the in-flight ones, bodies unread; one"
                    + " that finds them all taken is answered 429 at once (default ${DEFAULT-VALUE}; 0: no waiting).")
    int maxWaitingRequests;

    @Option(names = "--admission-wait-ms", defaultValue = "" + NodeConfig.Limits.DEFAULT_ADMISSION_WAIT_MS,
            description = "How long a waiting request waits for a place before it is answered 429"
                    + " (default ${DEFAULT-VALUE}).")
    int admissionWaitMs;

    @Option(names = "--bug", description = "Enable a deliberate Raft violation (tests only; repeatable): "
            + "stale-read, commit-previous-term, forget-vote, ack-before-commit, snapshot-drops-sessions.")
    List<String> bugs = new ArrayList<>();

    @Option(names = "--fault-injection-routes",
            description = "Tests only: answer POST /admin/fault/isolate and /admin/fault/heal (cluster token"
                    + " required), which cut and restore this node's Raft traffic.")
    boolean faultInjectionRoutes;

    @Option(names = "--cluster-token",
            description = "Shared secret peers present on /raft/*. Without it anyone can speak Raft to this node:"
                    + " for local tests only.")
    String clusterToken;

    @Option(names = "--max-connections", defaultValue = "15000",
            description = "Open HTTP connections at most, clients and peers together; beyond, new ones wait in the"
                    + " kernel's backlog (default ${DEFAULT-VALUE}: above 10,000 clients, below a 20,000-fd limit).")
    int maxConnections;

    @Option(names = "--idle-timeout-ms", defaultValue = "30000",
            description = "Close a connection on which nothing moved for this long (default ${DEFAULT-VALUE}).")
    int idleTimeoutMs;

    @Option(names = "--read-timeout-ms", defaultValue = "10000",
            description = "A request's head must arrive within this long of its first byte, and its answer within this"
                    + " plus --request-timeout-ms after that; slower connections are closed (default ${DEFAULT-VALUE}).")
    int readTimeoutMs;

    public static void main(String[] args) {
        haltOnUncaughtErrors();
        CommandLine cli = new CommandLine(new RaftkvNode());
        cli.setParameterExceptionHandler(RaftkvNode::oneLineError);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (e instanceof IllegalArgumentException) {
                return oneLineError(new CommandLine.ParameterException(commandLine, e.getMessage()), args);
            }
            throw e;
        });
        int code = cli.execute(args);
        if (code != 0) {
            System.exit(code);
        }
        // On success the HTTP server's threads keep the JVM alive until SIGTERM.
    }

    private static int oneLineError(CommandLine.ParameterException e, String[] args) {
        PrintWriter err = e.getCommandLine().getErr();
        err.println("raftkv-node: " + e.getMessage() + " (see --help)");
        err.flush();
        return EXIT_BAD_OPTIONS;
    }

    @Override
    public Integer call() throws Exception {
        NodeConfig config = toConfig();
        if (config.joinUrl() != null) {
            Optional<String> refused = JoinCommand.joinUnlessJoined(config);
            if (refused.isPresent()) {
                log.error("REFUSING TO START: {}", refused.get());
                return EXIT_NOT_A_MEMBER;
            }
        }
        if (!config.bugs().isEmpty()) {
            log.warn("!!!!!!!! BUGS ENABLED: {} — this node deliberately violates Raft. NEVER use in production.",
                    config.bugs());
        }
        if (config.clusterToken() == null) {
            log.warn("no --cluster-token: anyone who can reach {} can send Raft messages (local tests only)", listen);
        }
        return start(config);
    }

    /**
     * Crash fast: an {@link Error} that ends any thread (the event loop's own are handled by its
     * {@code onFatal}, below) ends the process at once, with {@link #EXIT_FAILED}. A JVM that goes on
     * after an Error may serve nothing while it looks alive to its supervisor, which then never
     * restarts it; a node that is gone is a failure Raft is built for. (An OutOfMemoryError anywhere
     * is ended by {@code -XX:+ExitOnOutOfMemoryError}, which every launcher passes.)
     */
    static void haltOnUncaughtErrors() {
        Thread.setDefaultUncaughtExceptionHandler((thread, failure) -> {
            if (failure instanceof Error) {
                haltAfter(() -> log.error("fatal: {} in thread {}; exiting", failure, thread.getName()));
            } else {
                log.error("thread {} died", thread.getName(), failure);
            }
        });
    }

    /**
     * Runs {@code lastWords} (a log line), then halts with {@link #EXIT_FAILED} even if they throw: a
     * handler that logs an OutOfMemoryError may run out of memory itself, and an Error thrown from
     * the handler would leave the process alive. Halt, not exit: no shutdown hooks, no more promises.
     */
    static void haltAfter(Runnable lastWords) {
        haltAfter(lastWords, EXIT_FAILED);
    }

    private static void haltAfter(Runnable lastWords, int status) {
        try {
            lastWords.run();
        } finally {
            Runtime.getRuntime().halt(status);
        }
    }

    /** Starts the node; returns 0 once it is serving (the JVM then lives on in the server threads). */
    static int start(NodeConfig config) throws Exception {
        return start(config, running -> {});
    }

    /** @param serving told the started node (tests reach its event loop through it) */
    static int start(NodeConfig config, Consumer<RunningNode> serving) throws Exception {
        RunningNode running;
        try {
            running = RunningNode.start(config, new SplittableRandom(),
                    failure -> haltAfter(() -> log.error("fatal: {}; exiting", failure.toString())));
        } catch (StorageCorruptedException e) {
            log.error("REFUSING TO START: {}", e.getMessage());
            return EXIT_CORRUPTED;
        } catch (RuntimeException e) {
            log.error("cannot serve on {}:{}: {}", config.listenHost(), config.listenPort(), e.toString());
            return EXIT_FAILED;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("node {} shutting down", config.id());
            // A leader hands leadership on first (dissertation §3.10), so clients wait one election
            // round trip instead of a whole election timeout.
            running.handOffLeadership(Duration.ofMillis(config.electionTimeoutMaxMs()));
            try {
                running.close();
            } catch (IOException e) {
                log.warn("closing storage: {}", e.toString());
            }
        }, "shutdown"));
        log.info("node {} serving on {}:{} with peers {}", config.id(), config.listenHost(), running.port(),
                config.peers());
        // A node whose directory the cluster does not know under its id never takes part: it stops
        // here, saying how to rejoin (issue 20). Its event loop never ran, so there is nothing to save.
        running.membership().whenComplete((outcome, failure) -> {
            if (failure != null) {
                haltAfter(() -> log.error("fatal: the data directory's identity could not be saved: {}; exiting",
                        failure.toString()));
            } else if (outcome instanceof Bootstrap.Outcome.Refused refused) {
                haltAfter(() -> log.error("REFUSING TO START: {}", refused.reason()), EXIT_NOT_A_MEMBER);
            }
        });
        serving.accept(running);
        return 0;
    }

    NodeConfig toConfig() {
        if (!ID.matcher(id).matches()) {
            throw new IllegalArgumentException("--id must match " + ID.pattern());
        }
        Matcher hostPort = hostPort("--listen", listen);
        Matcher range = RANGE.matcher(electionTimeout);
        if (!range.matches()) {
            throw new IllegalArgumentException("--election-timeout-ms must be MIN-MAX, got '" + electionTimeout + "'");
        }
        if (maxSessions < 1 || sessionIdleEntries < 0) {
            throw new IllegalArgumentException("need --max-sessions >= 1 and --session-idle-entries >= 0, got "
                    + maxSessions + " and " + sessionIdleEntries);
        }
        if (maxStateBytes != null && maxStateBytes < 0) {
            throw new IllegalArgumentException("--max-state-bytes must be >= 0, got " + maxStateBytes);
        }
        Set<Bug> enabled = EnumSet.noneOf(Bug.class);
        for (String flag : bugs) {
            enabled.add(Bug.fromFlag(flag));
        }
        if ((peers == null) == (join == null)) {
            throw new IllegalArgumentException("give either --peers (a new cluster, or a member of it) or --join URL"
                    + " (a node added to an existing cluster), not both and not neither");
        }
        TreeMap<String, URI> members = join == null ? parseUrls("--peers", peers)
                : JoinCommand.self(id, advertiseHost == null ? hostPort.group(1) : advertiseHost,
                        Integer.parseInt(hostPort.group(2)));
        return NodeConfig.builder(id, members, dataDir)
                .join(join)
                .listen(hostPort.group(1), Integer.parseInt(hostPort.group(2)))
                .timing(tickMs, Integer.parseInt(range.group(1)), Integer.parseInt(range.group(2)), heartbeatMs)
                .bugs(enabled)
                .clusterToken(clusterToken)
                .requestTimeoutMs(requestTimeoutMs)
                .snapshots(snapshotEntries, snapshotTrailingEntries)
                .sessions(new SessionLimits(maxSessions, sessionIdleEntries))
                .quota(maxStateBytes == null ? NodeConfig.defaultQuota() : new StateQuota(maxStateBytes))
                .limits(new NodeConfig.Limits(maxInflightRequests, maxInflightBodyKiB, maxWaitingRequests, admissionWaitMs))
                .connections(new NodeConfig.Connections(maxConnections, idleTimeoutMs, readTimeoutMs))
                .peerPort(peerPort())
                .faultInjection(faultInjectionRoutes ? FaultInjection.ADMIN_ROUTES : FaultInjection.OFF)
                .build();
    }

    private PeerPort peerPort() {
        if (listenPeers == null && peerUrls == null) {
            return new PeerPort.SharedWithClients();
        }
        if (join != null && listenPeers != null && peerUrls == null) { // a joining node advertises its own
            Matcher hostPort = hostPort("--listen-peers", listenPeers);
            int port = Integer.parseInt(hostPort.group(2));
            return new PeerPort.Own(hostPort.group(1), port, JoinCommand.self(id,
                    advertiseHost == null ? hostPort.group(1) : advertiseHost, port));
        }
        if (listenPeers == null || peerUrls == null) {
            throw new IllegalArgumentException("--listen-peers and --peer-urls go together: give both or neither");
        }
        Matcher hostPort = hostPort("--listen-peers", listenPeers);
        return new PeerPort.Own(hostPort.group(1), Integer.parseInt(hostPort.group(2)), parseUrls("--peer-urls", peerUrls));
    }

    private static Matcher hostPort(String option, String value) {
        Matcher hostPort = HOST_PORT.matcher(value);
        if (!hostPort.matches() || Integer.parseInt(hostPort.group(2)) > 65535) {
            throw new IllegalArgumentException(option + " must be HOST:PORT, got '" + value + "'");
        }
        return hostPort;
    }

    /** {@code ID=URL,ID=URL,...}, checked: {@code --peers} or {@code --peer-urls}. */
    static TreeMap<String, URI> parseUrls(String option, String spec) {
        TreeMap<String, URI> members = new TreeMap<>();
        for (String part : spec.split(",")) {
            String[] idAndUrl = part.trim().split("=", 2);
            if (idAndUrl.length != 2 || !ID.matcher(idAndUrl[0]).matches()) {
                throw new IllegalArgumentException(option + " entries must be ID=URL, got '" + part + "'");
            }
            URI uri;
            try {
                uri = URI.create(idAndUrl[1]);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(option + ": bad URL '" + idAndUrl[1] + "'");
            }
            if (!"http".equals(uri.getScheme()) || uri.getHost() == null || uri.getPort() < 0) {
                throw new IllegalArgumentException(option + ": URL must be http://HOST:PORT, got '" + idAndUrl[1] + "'");
            }
            if (members.put(idAndUrl[0], uri) != null) {
                throw new IllegalArgumentException(option + ": duplicate id '" + idAndUrl[0] + "'");
            }
        }
        return members;
    }
}
