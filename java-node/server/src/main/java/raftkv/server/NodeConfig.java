package raftkv.server;

import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import raftkv.core.Bug;
import raftkv.core.ClusterConfig;
import raftkv.core.Member;
import raftkv.core.RaftConfig;
import raftkv.core.SessionLimits;
import raftkv.core.StateQuota;

/**
 * Everything a node is started with, validated. Times are in milliseconds here and converted to
 * the core's ticks by {@link #raftConfig()}.
 *
 * @param members every node of the cluster (this one included) and its base URL
 * @param electionTimeoutMinMs lower bound of the randomized election timeout
 * @param electionTimeoutMaxMs upper bound of the randomized election timeout
 * @param clusterToken shared secret peers must present on /raft/*, or null (local tests only)
 * @param requestTimeoutMs how long a client request may wait for commit (or its forward) in total
 * @param snapshotEntries applied entries between two snapshots (log compaction, dissertation §5.1)
 * @param snapshotTrailingEntries log entries kept behind each snapshot for slow followers
 * @param sessions how the state machine bounds its client sessions (dissertation §6.3): part of the
 *     replicated state machine, so every node of the cluster must be started with the same values
 * @param quota how many state bytes the map may hold ({@link StateQuota}): part of the replicated
 *     state machine too, so the same on every node ({@code --max-state-bytes})
 * @param limits how much client work the node holds at once ({@link Limits})
 * @param connections how the HTTP server bounds connections and slow clients ({@link Connections})
 * @param peerPort where this node takes its peers' Raft streams and where it sends its own ({@link PeerPort})
 * @param faultInjection whether the test-only {@code /admin/fault/*} routes answer ({@link FaultInjection})
 * @param joinUrl null: the node is one of the cluster's first members ({@code --peers}, the first
 *     configuration); else the member it asked to add it ({@code --join}): it starts with no
 *     configuration and learns it from the leader (a learner, §4.2.1)
 *
 * <p>Built with {@link #builder}: nineteen positional arguments would be read by nobody.
 */
public record NodeConfig(
        String id,
        String listenHost,
        int listenPort,
        SortedMap<String, URI> members,
        Path dataDir,
        int tickMs,
        int electionTimeoutMinMs,
        int electionTimeoutMaxMs,
        int heartbeatMs,
        Set<Bug> bugs,
        String clusterToken,
        int requestTimeoutMs,
        int snapshotEntries,
        int snapshotTrailingEntries,
        SessionLimits sessions,
        StateQuota quota,
        Limits limits,
        Connections connections,
        PeerPort peerPort,
        FaultInjection faultInjection,
        URI joinUrl) {

    /**
     * The HTTP server's bounds on connections, against floods and slow clients (slowloris), on the
     * client port (and on the peers' port when they share it). A peer stream, once its token is
     * checked, has no deadline: it is a request whose body never ends, by design.
     *
     * @param maxConnections open connections at most; at the bound Jetty stops accepting, and new
     *     connections wait in the kernel's backlog until one closes
     * @param idleTimeoutMs a connection on which nothing moves for this long is closed
     * @param readTimeoutMs a request's head must arrive within this long of its first byte, and the
     *     request must be answered within this long plus {@code requestTimeoutMs} after its head
     */
    public record Connections(int maxConnections, int idleTimeoutMs, int readTimeoutMs) {

        /** Above the 10,000 client connections a node must answer, below the usual 20,000-fd limit. */
        public static final Connections DEFAULT = new Connections(15_000, 30_000, 10_000);

        public Connections {
            if (maxConnections < 1 || idleTimeoutMs < 1 || readTimeoutMs < 1) {
                throw new IllegalArgumentException("--max-connections, --idle-timeout-ms and --read-timeout-ms must be"
                        + " >= 1, got " + maxConnections + ", " + idleTimeoutMs + ", " + readTimeoutMs);
            }
        }
    }

    /**
     * The bounds that keep a node alive under more load than it can serve: beyond them it refuses
     * work ({@code 429}, definite) instead of holding it. Grouped here, not as positional fields of
     * the config, so that new limits are added by name.
     *
     * @param maxInflightRequests client requests a node holds at once: writes awaiting commit, reads
     *     awaiting a read index, requests waiting for or forwarded to a leader ({@code --max-inflight-requests})
     * @param maxInflightBodyKiB the bodies those requests may hold together, in KiB: each reserves its
     *     declared length, a chunked one the 64 KiB a client body may reach ({@code --max-inflight-body-kib})
     * @param maxWaitingRequests requests that may wait for one of those places, their bodies unread
     *     ({@code --max-waiting-requests}); one that finds this waiting room full is refused at once
     * @param admissionWaitMs how long a request waits there at most before it is refused
     *     ({@code --admission-wait-ms})
     */
    public record Limits(int maxInflightRequests, int maxInflightBodyKiB, int maxWaitingRequests,
            int admissionWaitMs) {

        /**
         * 512 requests: a turn of the event loop proposes them together behind one fsync (group
         * commit), so the bound is also the largest batch. Larger batches help a slow disk, but the
         * answers of a batch are written by virtual threads that all become runnable at once, and a
         * {@code GET /status} queues behind them for the two carrier threads of a 2-core machine:
         * at 2,048 it waited over a second under 3,000 connections.
         */
        public static final int DEFAULT_MAX_INFLIGHT_REQUESTS = 512;

        /** 32 MiB of bodies, an eighth of that heap: 512 bodies of the largest size, 64 KiB. */
        public static final int DEFAULT_MAX_INFLIGHT_BODY_KIB = 32 * 1024;

        /**
         * A waiting request holds no body and no event, only its connection's buffers and a parked
         * virtual thread: a few KiB (docs/api.md, "Admission control", has the measurement). 16,384:
         * more than {@link Connections#DEFAULT}'s connections, and an HTTP/1.1 connection has one
         * request at a time, so with the default bounds the room is never full; every client waits
         * its turn instead. (At 8,192 the requests of 10,000 connections that found it full were
         * refused, sent again at once, and their refusals took the CPU the writes needed.)
         */
        public static final int DEFAULT_MAX_WAITING_REQUESTS = 16_384;

        /**
         * Five seconds, the default {@code --request-timeout-ms}: a place goes first come, first
         * served, so a request waits about (requests ahead of it) / (requests answered per second),
         * 1.5-2 s at 10,000 connections of writes on a 2-core machine. A shorter wait refused the
         * tail of that queue, whose clients came straight back.
         */
        public static final int DEFAULT_ADMISSION_WAIT_MS = 5_000;

        public static final Limits DEFAULTS = new Limits(DEFAULT_MAX_INFLIGHT_REQUESTS, DEFAULT_MAX_INFLIGHT_BODY_KIB,
                DEFAULT_MAX_WAITING_REQUESTS, DEFAULT_ADMISSION_WAIT_MS);

        public Limits {
            if (maxInflightRequests < 1) {
                throw new IllegalArgumentException("--max-inflight-requests must be >= 1, got " + maxInflightRequests);
            }
            if (maxInflightBodyKiB < 64) {
                throw new IllegalArgumentException("--max-inflight-body-kib must be >= 64 (one largest body), got "
                        + maxInflightBodyKiB);
            }
            if (maxWaitingRequests < 0) {
                throw new IllegalArgumentException("--max-waiting-requests must be >= 0, got " + maxWaitingRequests);
            }
            if (admissionWaitMs < 0) {
                throw new IllegalArgumentException("--admission-wait-ms must be >= 0, got " + admissionWaitMs);
            }
        }

        public Limits withMaxInflightRequests(int requests) {
            return new Limits(requests, maxInflightBodyKiB, maxWaitingRequests, admissionWaitMs);
        }

        /** The same limits with no waiting room: a request that finds no free place is refused at once. */
        public Limits withoutWaiting() {
            return new Limits(maxInflightRequests, maxInflightBodyKiB, 0, 0);
        }

        public Limits withWaiting(int requests, int waitMs) {
            return new Limits(maxInflightRequests, maxInflightBodyKiB, requests, waitMs);
        }

        /**
         * The event loop's client queue: an admitted request has one event queued at a time, so
         * twice the admission bound leaves as much again for the routes outside admission (the
         * dashboard, {@code /admin}) and for events left behind by requests that stopped waiting.
         */
        public int clientQueueCapacity() {
            return 2 * maxInflightRequests;
        }
    }

    /**
     * The default quota, {@link StateQuota#halfOfHeap half of this JVM's heap}: nodes started with the
     * same {@code -Xmx} agree on it (in-process tests share one heap, so one value).
     */
    public static StateQuota defaultQuota() {
        return StateQuota.halfOfHeap(Runtime.getRuntime().maxMemory());
    }

    public NodeConfig {
        Objects.requireNonNull(id, "id");
        members = new TreeMap<>(members);
        bugs = Set.copyOf(bugs);
        Objects.requireNonNull(sessions, "sessions");
        Objects.requireNonNull(quota, "quota");
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(connections, "connections");
        Objects.requireNonNull(peerPort, "peerPort");
        Objects.requireNonNull(faultInjection, "faultInjection");
        if (peerPort instanceof PeerPort.Own own && !own.urls().keySet().equals(members.keySet())) {
            throw new IllegalArgumentException("--peer-urls must name the same nodes as --peers: "
                    + own.urls().keySet() + " vs " + members.keySet());
        }
        if (!members.containsKey(id)) {
            throw new IllegalArgumentException("--peers must include this node's own id '" + id + "'");
        }
        if (tickMs < 1) {
            throw new IllegalArgumentException("--tick-ms must be >= 1");
        }
        if (heartbeatMs < tickMs) {
            throw new IllegalArgumentException("--heartbeat-ms must be at least one tick (" + tickMs + " ms)");
        }
        if (electionTimeoutMinMs <= heartbeatMs || electionTimeoutMaxMs <= electionTimeoutMinMs) {
            throw new IllegalArgumentException("need heartbeat < election timeout MIN < MAX, got heartbeat "
                    + heartbeatMs + " ms and election " + electionTimeoutMinMs + "-" + electionTimeoutMaxMs + " ms");
        }
        if (electionTimeoutMaxMs / tickMs <= electionTimeoutMinMs / tickMs) {
            throw new IllegalArgumentException("election timeout range is shorter than one tick");
        }
        if (requestTimeoutMs < 1) {
            throw new IllegalArgumentException("--request-timeout-ms must be >= 1");
        }
        if (snapshotEntries < 1) {
            throw new IllegalArgumentException("--snapshot-entries must be >= 1, got " + snapshotEntries);
        }
        if (snapshotTrailingEntries < 0) {
            throw new IllegalArgumentException("--snapshot-trailing-entries must be >= 0, got " + snapshotTrailingEntries);
        }
    }

    /** The peers' client URLs (every member but this node): where client requests are forwarded. */
    public Map<String, URI> peers() {
        Map<String, URI> peers = new TreeMap<>(members);
        peers.remove(id);
        return peers;
    }

    /** Where this node streams Raft messages to each peer: their peer ports, or their client URLs. */
    public Map<String, URI> peerStreamUrls() {
        Map<String, URI> urls = new TreeMap<>(switch (peerPort) {
            case PeerPort.SharedWithClients shared -> members;
            case PeerPort.Own own -> own.urls();
        });
        urls.remove(id);
        return urls;
    }

    /** A builder for a node {@code id} of the cluster {@code members} (client URLs), keeping its data in {@code dataDir}. */
    public static Builder builder(String id, SortedMap<String, URI> members, Path dataDir) {
        return new Builder(id, members, dataDir);
    }

    /** A builder holding this configuration, to change a setting or two (tests, benchmarks). */
    public Builder toBuilder() {
        return new Builder(id, members, dataDir)
                .listen(listenHost, listenPort)
                .timing(tickMs, electionTimeoutMinMs, electionTimeoutMaxMs, heartbeatMs)
                .bugs(bugs)
                .clusterToken(clusterToken)
                .requestTimeoutMs(requestTimeoutMs)
                .snapshots(snapshotEntries, snapshotTrailingEntries)
                .sessions(sessions)
                .quota(quota)
                .limits(limits)
                .connections(connections)
                .peerPort(peerPort)
                .faultInjection(faultInjection)
                .join(joinUrl);
    }

    /** Builds a {@link NodeConfig}; every setting has the default {@code raftkv-node --help} shows. */
    public static final class Builder {
        private final String id;
        private final SortedMap<String, URI> members;
        private final Path dataDir;
        private String listenHost = "127.0.0.1";
        private int listenPort;
        private int tickMs = 10;
        private int electionTimeoutMinMs = 300;
        private int electionTimeoutMaxMs = 600;
        private int heartbeatMs = 50;
        private Set<Bug> bugs = Set.of();
        private String clusterToken;
        private int requestTimeoutMs = 5_000;
        private int snapshotEntries = RaftConfig.DEFAULT_SNAPSHOT_ENTRIES;
        private int snapshotTrailingEntries = RaftConfig.DEFAULT_SNAPSHOT_TRAILING_ENTRIES;
        private SessionLimits sessions = SessionLimits.DEFAULT;
        private StateQuota quota = defaultQuota();
        private Limits limits = Limits.DEFAULTS;
        private Connections connections = Connections.DEFAULT;
        private PeerPort peerPort = new PeerPort.SharedWithClients();
        private FaultInjection faultInjection = FaultInjection.OFF;
        private URI joinUrl;

        private Builder(String id, SortedMap<String, URI> members, Path dataDir) {
            this.id = id;
            this.members = members;
            this.dataDir = dataDir;
        }

        /** Where clients connect (port 0: any free port, for tests). */
        public Builder listen(String host, int port) {
            this.listenHost = host;
            this.listenPort = port;
            return this;
        }

        /** The Raft clock period, the randomized election timeout's range and the heartbeat period. */
        public Builder timing(int tick, int electionMinMs, int electionMaxMs, int heartbeat) {
            this.tickMs = tick;
            this.electionTimeoutMinMs = electionMinMs;
            this.electionTimeoutMaxMs = electionMaxMs;
            this.heartbeatMs = heartbeat;
            return this;
        }

        public Builder bugs(Set<Bug> enabled) {
            this.bugs = enabled;
            return this;
        }

        /** The shared secret of peers and operators; null: none (local tests only). */
        public Builder clusterToken(String token) {
            this.clusterToken = token;
            return this;
        }

        public Builder requestTimeoutMs(int millis) {
            this.requestTimeoutMs = millis;
            return this;
        }

        public Builder snapshots(int entries, int trailingEntries) {
            this.snapshotEntries = entries;
            this.snapshotTrailingEntries = trailingEntries;
            return this;
        }

        public Builder sessions(SessionLimits newSessions) {
            this.sessions = newSessions;
            return this;
        }

        public Builder quota(StateQuota newQuota) {
            this.quota = newQuota;
            return this;
        }

        public Builder limits(Limits newLimits) {
            this.limits = newLimits;
            return this;
        }

        public Builder connections(Connections newConnections) {
            this.connections = newConnections;
            return this;
        }

        public Builder peerPort(PeerPort newPeerPort) {
            this.peerPort = newPeerPort;
            return this;
        }

        public Builder faultInjection(FaultInjection newFaultInjection) {
            this.faultInjection = newFaultInjection;
            return this;
        }

        /** The node joined an existing cluster through {@code member} ({@code --join}); null: it bootstraps. */
        public Builder join(URI member) {
            this.joinUrl = member;
            return this;
        }

        public NodeConfig build() {
            return new NodeConfig(id, listenHost, listenPort, members, dataDir, tickMs, electionTimeoutMinMs,
                    electionTimeoutMaxMs, heartbeatMs, bugs, clusterToken, requestTimeoutMs, snapshotEntries,
                    snapshotTrailingEntries, sessions, quota, limits, connections, peerPort, faultInjection, joinUrl);
        }
    }

    /**
     * The core's configuration: the members of {@code --peers} as the first configuration's voters,
     * with their URLs, or, for a node that joined, no configuration until the leader sends one.
     */
    public RaftConfig raftConfig() {
        RaftConfig raft = RaftConfig.of(id, new ArrayList<>(members.keySet()))
                .withTiming(electionTimeoutMinMs / tickMs, electionTimeoutMaxMs / tickMs, heartbeatMs / tickMs)
                .withBugs(bugs)
                .withSnapshots(snapshotEntries, snapshotTrailingEntries);
        if (joinUrl != null) {
            return raft.joining();
        }
        Map<String, URI> peerUrls = switch (peerPort) {
            case PeerPort.SharedWithClients shared -> members;
            case PeerPort.Own own -> own.urls();
        };
        List<Member> voters = new ArrayList<>();
        members.forEach((member, url) -> voters.add(new Member(member, url.toString(), peerUrls.get(member).toString())));
        return raft.withBootstrap(new ClusterConfig(voters, List.of()));
    }
}
