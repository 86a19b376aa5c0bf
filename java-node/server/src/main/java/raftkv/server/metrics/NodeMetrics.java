package raftkv.server.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;
import raftkv.core.ClusterConfig;
import raftkv.core.Command;
import raftkv.core.LogEntry;
import raftkv.core.Message;
import raftkv.core.Ready;
import raftkv.core.Result;
import raftkv.core.Role;
import raftkv.core.Snapshot;
import raftkv.server.LoopObserver;
import raftkv.server.NodeStatus;
import raftkv.server.transport.TransportObserver;
import raftkv.storage.fs.FileSystem;

/**
 * A node's meters, exposed as {@code GET /metrics} in the Prometheus text format. Every name starts
 * with {@code raftkv_}; docs/api.md lists them all.
 *
 * <p>It watches from the outside: the event loop and the transport call it (on their own threads,
 * without waiting: Micrometer's counters and timers are lock-free), the storage is measured
 * through a wrapping {@link FileSystem}, and the Raft gauges read the status the loop publishes.
 * Nothing here touches the Raft state.
 */
public final class NodeMetrics implements LoopObserver, TransportObserver {

    /** Histogram buckets for fsyncs and loop turns: from a fast SSD's flush to a stalled disk. */
    private static final Duration[] LATENCY_BUCKETS = {
        Duration.ofNanos(100_000), Duration.ofNanos(250_000), Duration.ofNanos(500_000), Duration.ofMillis(1),
        Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25),
        Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
        Duration.ofSeconds(1), Duration.ofSeconds(5),
    };

    /** Histogram buckets for taking a snapshot: a tiny state's milliseconds to a big one's seconds. */
    private static final Duration[] SNAPSHOT_BUCKETS = {
        Duration.ofMillis(10), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
        Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(5),
        Duration.ofSeconds(10), Duration.ofSeconds(30),
    };

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Counter proposals;
    private final Counter reads;
    private final Counter readIndexRounds;
    private final Counter applied;
    private final Counter electionsStarted;
    private final Counter electionsWon;
    private final Counter leaderChanges;
    private final Counter appendRejected;
    private final Timer loopTurn;
    private final Timer snapshotTaken;
    private final Timer snapshotWrite;
    private final Timer snapshotRestore;
    private final Counter configurationChanges;
    private final String self;
    private String lastKnownLeader; // loop thread only
    private Supplier<NodeStatus> watched; // set by watch(), before the loop starts
    /** Per member of the latest configuration, its gauges (loop thread only). */
    private final Map<String, List<Meter>> memberMeters = new HashMap<>();

    public NodeMetrics(String nodeId) {
        self = nodeId;
        registry.config().commonTags("node", nodeId);
        proposals = counter("raftkv.proposals", "client writes handed to the Raft core");
        reads = counter("raftkv.reads", "linearizable reads that were given a ReadIndex round");
        readIndexRounds = counter("raftkv.read.index.rounds", "ReadIndex rounds, each confirming a batch of reads (§6.4)");
        applied = counter("raftkv.entries.applied", "committed log entries applied to the state machine (§5.3)");
        electionsStarted = counter("raftkv.elections.started", "times this node became a candidate in a new term (§5.2)");
        electionsWon = counter("raftkv.elections.won", "times this node became leader (§5.2)");
        leaderChanges = counter("raftkv.leader.changes", "times this node learned of a different leader");
        appendRejected = counter("raftkv.append.entries.rejected",
                "AppendEntries this node refused (log mismatch or stale term, §5.3)");
        configurationChanges = counter("raftkv.configuration.changes", "configuration entries (one member added,"
                + " promoted or removed, §4.1) this process applied; a snapshot installed over them counts none");
        loopTurn = latency("raftkv.event.loop.turn", "one event-loop turn's work (step, persist, send, apply)");
        snapshotTaken = snapshotTimer("raftkv.snapshot",
                "taking a snapshot (§5.1): from freezing the state machine until the loop has it back durable");
        snapshotWrite = snapshotTimer("raftkv.snapshot.write",
                "the snapshot-writer thread's part of a snapshot: streaming the frozen state to a file, fsync, rename");
        snapshotRestore = snapshotTimer("raftkv.snapshot.restore",
                "the snapshot-restorer thread's decoding of a snapshot the leader sent, off the loop");
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
    }

    /**
     * The Raft gauges: read from the status the event loop publishes after every turn; the per-member
     * ones follow the latest configuration from now on ({@link #syncMembers}).
     */
    public void watch(Supplier<NodeStatus> status) {
        watched = status;
        syncMembers(status.get().configuration());
        gauge("raftkv.term", "current term (§5.1)", status, NodeStatus::term);
        gauge("raftkv.commit.index", "highest log index known to be committed", status, NodeStatus::commitIndex);
        gauge("raftkv.last.applied", "highest log index applied to the state machine", status, NodeStatus::lastApplied);
        gauge("raftkv.last.log.index", "index of the last entry in this node's log", status, NodeStatus::lastIndex);
        gauge("raftkv.state.keys", "ids in the state machine's map", status, NodeStatus::keys);
        // Base unit "bytes": Prometheus names them raftkv_state_bytes and raftkv_state_quota_bytes.
        Gauge.builder("raftkv.state", status, s -> s.get().stateBytes()).baseUnit("bytes")
                .description("the map's estimated heap cost: UTF-8 id + name + 128 bytes per entry (StateQuota)")
                .strongReference(true).register(registry);
        Gauge.builder("raftkv.state.quota", status, s -> s.get().stateQuotaBytes()).baseUnit("bytes")
                .description("--max-state-bytes: beyond, puts and compare-and-sets are refused (507 quota_exceeded)")
                .strongReference(true).register(registry);
        gauge("raftkv.leader.known", "1 if this node knows a leader for its term, else 0", status,
                s -> s.leader() == null ? 0 : 1);
        for (Role role : Role.values()) {
            String name = role.name().toLowerCase(Locale.ROOT);
            Gauge.builder("raftkv.role", status, s -> name.equals(s.get().role()) ? 1 : 0)
                    .description("1 for the role this node is in, 0 for the others").tag("role", name)
                    .strongReference(true).register(registry);
        }
    }

    /**
     * Per-member gauges for every member of the latest configuration (§4.1), kept in step with it:
     * a member added at runtime gets them, a removed one loses them. {@code raftkv_follower_match_index}
     * (the leader's view, NaN elsewhere and for this node itself) and {@code raftkv_member_role}
     * (voter/learner, 1 for the member's role in this node's latest configuration, 0 for the other).
     * Loop thread only (from {@link #watch} and {@link #published}): registering a meter takes
     * Micrometer's registry lock briefly, and configurations change rarely.
     */
    private void syncMembers(ClusterConfig configuration) {
        for (String gone : List.copyOf(memberMeters.keySet())) {
            if (!configuration.contains(gone)) {
                memberMeters.remove(gone).forEach(registry::remove);
            }
        }
        for (String id : configuration.ids()) {
            memberMeters.computeIfAbsent(id, this::memberGauges);
        }
    }

    private List<Meter> memberGauges(String member) {
        Supplier<NodeStatus> status = Objects.requireNonNull(watched, "watch() first");
        List<Meter> meters = new ArrayList<>();
        if (!member.equals(self)) { // the leader's matchIndex is of its peers
            meters.add(Gauge.builder("raftkv.follower.match.index", status, s -> {
                Long match = s.get().matchIndex().get(member);
                return match == null ? Double.NaN : match;
            }).description("highest index known replicated on the member (leader only; learners too)")
                    .tag("peer", member).strongReference(true).register(registry));
            meters.add(Gauge.builder("raftkv.follower.lost.data", status, s -> s.get().lostData().contains(member) ? 1 : 0)
                    .description("1 on the leader for a follower found to have lost its data (sent heartbeats only"
                            + " until it is removed and added back, issue 20), else 0")
                    .tag("peer", member).strongReference(true).register(registry));
        }
        for (String role : List.of("voter", "learner")) {
            meters.add(Gauge.builder("raftkv.member.role", status, s -> {
                ClusterConfig c = s.get().configuration();
                return (role.equals("voter") ? c.isVoter(member) : c.isLearner(member)) ? 1 : 0;
            }).description("1 for a member's role in this node's latest configuration (§4.1, §4.2.1), 0 for the other")
                    .tags("member", member, "role", role).strongReference(true).register(registry));
        }
        return meters;
    }

    public FileSystem measure(FileSystem fs) {
        return new MeasuredFileSystem(fs, this);
    }

    /** The text of {@code GET /metrics}. */
    public String scrape() {
        return registry.scrape();
    }

    /** Content type of {@link #scrape()}: Prometheus text format 0.0.4. */
    public static String contentType() {
        return "text/plain; version=0.0.4; charset=utf-8";
    }

    public void httpRequest(String route, String method, int status, long nanos) {
        Timer.builder("raftkv.http.requests").description("HTTP requests served, by route, method and status")
                .tags("route", route, "method", method, "status", Integer.toString(status))
                .serviceLevelObjectives(LATENCY_BUCKETS).register(registry).record(Duration.ofNanos(nanos));
    }

    public void forwardedRequestReceived() {
        counter("raftkv.http.forwarded.received", "client requests a follower forwarded to this node").increment();
    }

    // ---------------------------------------------------------------- event loop (loop thread)

    @Override
    public void proposed() {
        proposals.increment();
    }

    @Override
    public void readIndexRound(int readsInRound) {
        readIndexRounds.increment();
        reads.increment(readsInRound);
    }

    @Override
    public void turnFinished(long nanos) {
        loopTurn.record(Duration.ofNanos(nanos));
    }

    @Override
    public void persisted(Ready ready) {
        for (Message message : ready.messages()) {
            Counter.builder("raftkv.messages.sent").description("Raft messages handed to the transport, by type")
                    .tag("type", messageType(message)).register(registry).increment();
            if (message instanceof Message.AppendEntriesReply reply && !reply.success()) {
                appendRejected.increment();
            }
            if (message instanceof Message.InstallSnapshot chunk) {
                Counter.builder("raftkv.snapshot.sent").baseUnit("bytes")
                        .description("snapshot bytes sent to a follower in InstallSnapshot chunks (leader)")
                        .tag("peer", chunk.to()).register(registry).increment(chunk.data().length);
            }
        }
    }

    @Override
    public void applied(LogEntry entry, Result result) {
        applied.increment();
        if (entry.command() instanceof Command.Configuration) {
            configurationChanges.increment();
        }
        if (result instanceof Result.QuotaExceeded) {
            counter("raftkv.quota.refused", "writes the state machine refused because of --max-state-bytes").increment();
        }
    }

    @Override
    public void snapshotTaken(Snapshot snapshot, long nanos) {
        snapshotTaken.record(Duration.ofNanos(nanos));
    }

    @Override
    public void snapshotWritten(Snapshot snapshot, long nanos) {
        snapshotWrite.record(Duration.ofNanos(nanos)); // on the writer thread: a Timer is thread-safe
    }

    @Override
    public void snapshotRestored(Snapshot snapshot, long nanos) {
        snapshotRestore.record(Duration.ofNanos(nanos)); // on the restorer thread
    }

    @Override
    public void published(NodeStatus previous, NodeStatus current) {
        boolean newTerm = current.term() > previous.term();
        // A candidate's term is one more than before (§5.2); a follower that merely learns of a newer
        // term stays a follower. In a one-node cluster the candidate wins within the same turn.
        if (newTerm && (current.role().equals("candidate") || current.role().equals("leader"))) {
            electionsStarted.increment();
        }
        if (current.role().equals("leader") && (newTerm || !previous.role().equals("leader"))) {
            electionsWon.increment();
        }
        if (current.leader() != null && !Objects.equals(current.leader(), lastKnownLeader)) {
            if (lastKnownLeader != null) {
                leaderChanges.increment();
            }
            lastKnownLeader = current.leader();
        }
        if (watched != null && !previous.configuration().equals(current.configuration())) {
            syncMembers(current.configuration());
        }
    }

    // ---------------------------------------------------------------- transport (sender threads)

    @Override
    public void sendFailed(String peer) {
        Counter.builder("raftkv.peer.send.failures").description("POSTs to a peer that failed (unreachable, timeout, refused)")
                .tag("peer", peer).register(registry).increment();
    }

    @Override
    public void dropped(String peer) {
        Counter.builder("raftkv.peer.messages.dropped").description("messages dropped because a peer's queue was full")
                .tag("peer", peer).register(registry).increment();
    }

    // ---------------------------------------------------------------- storage (loop thread)

    Timer fsync(String file) {
        return Timer.builder("raftkv.fsync").description("fsync latency: WAL, hard state, directory")
                .tag("file", file).serviceLevelObjectives(LATENCY_BUCKETS).register(registry);
    }

    Counter bytesWritten(String file) {
        return Counter.builder("raftkv.storage.written").baseUnit("bytes").description("bytes written to the data directory")
                .tag("file", file).register(registry);
    }

    // ---------------------------------------------------------------- helpers

    private Counter counter(String name, String help) {
        return Counter.builder(name).description(help).register(registry);
    }

    private Timer latency(String name, String help) {
        return Timer.builder(name).description(help).serviceLevelObjectives(LATENCY_BUCKETS).register(registry);
    }

    private Timer snapshotTimer(String name, String help) {
        return Timer.builder(name).description(help).serviceLevelObjectives(SNAPSHOT_BUCKETS).register(registry);
    }

    private void gauge(String name, String help, Supplier<NodeStatus> status, ToDoubleFunction<NodeStatus> value) {
        // Strong: a gauge holds its object weakly by default, and nothing else holds this supplier.
        Gauge.builder(name, status, s -> value.applyAsDouble(s.get())).description(help).strongReference(true)
                .register(registry);
    }

    /** append_entries, heartbeat (an AppendEntries without entries), request_vote, pre_vote_reply, ... */
    static String messageType(Message message) {
        if (message instanceof Message.AppendEntries append && append.entries().isEmpty()) {
            return "heartbeat";
        }
        return message.getClass().getSimpleName().replaceAll("([a-z])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT);
    }
}
