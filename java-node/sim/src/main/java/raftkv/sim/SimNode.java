package raftkv.sim;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import raftkv.core.ConfigChange;
import raftkv.core.ConfigChangeResult;
import raftkv.core.Driver;
import raftkv.core.HardState;
import raftkv.core.KvStore;
import raftkv.core.LogEntry;
import raftkv.core.Message;
import raftkv.core.RaftConfig;
import raftkv.core.RaftNode;
import raftkv.core.ReadResult;
import raftkv.core.RestoredState;
import raftkv.core.Ready;
import raftkv.core.Result;
import raftkv.core.Session;
import raftkv.core.SessionLimits;
import raftkv.core.StateQuota;
import raftkv.core.Snapshot;
import raftkv.core.SnapshotJob;
import raftkv.core.SnapshotRestorer;
import raftkv.core.SnapshotWriter;
import raftkv.sim.ClientMessage.Answer;
import raftkv.sim.ClientMessage.Call;
import raftkv.sim.ClientMessage.Request;

/**
 * One simulated server: a {@link RaftNode} and its {@link KvStore} driven by the same
 * {@link Driver} the real server's event loop uses (persist → send → apply/serve → advance), over
 * the server's own storage code on a simulated disk ({@link SimDisk}). Every input is followed by
 * the Ready loop.
 */
final class SimNode {

    /** Where a node's outputs go: the simulated network, the clients, and the invariant checker. */
    interface Wiring {
        void send(Message message);

        void reply(Request request, Answer answer);

        void persisted(SimNode node, Ready ready);

        void applied(SimNode node, LogEntry entry, Result result);

        void restored(SimNode node, Snapshot snapshot);

        void committed(SimNode node);

        /** The power went out in the middle of an fsync: the node is down from now on. */
        void poweredOff(SimNode node);

        /** The node handed a snapshot to its writer: run {@code written} after {@code delayMs} of virtual time. */
        void snapshotStarted(SimNode node, long delayMs, Runnable written);

        /** The node handed a received snapshot to its restorer: run {@code restored} after {@code delayMs}. */
        void restoreStarted(SimNode node, long delayMs, Runnable restored);
    }

    /** Virtual milliseconds a snapshot write may take at most: beyond an election timeout, sometimes. */
    static final long MAX_SNAPSHOT_WRITE_MS = 300;

    /** Virtual milliseconds decoding a received snapshot may take at most: beyond an election timeout, sometimes. */
    static final long MAX_SNAPSHOT_RESTORE_MS = 300;

    private final RaftConfig config;
    private final SessionLimits sessions;
    private final StateQuota quota;
    private final Wiring wiring;
    private final SimDisk disk;
    private final SplittableRandom snapshotDelays;
    private final SplittableRandom restoreDelays;
    private final SplittableRandom incarnations;
    private long restores; // snapshots from a leader restored after a delay
    private long stepsWhileRestoring; // Raft messages this node handled while one was being restored
    private Driver<Request, Request> driver; // volatile state: replaced at every restart
    private long boots; // restarts so far: a writer or restorer of an earlier boot finds the node replaced
    private boolean up = true;

    /**
     * @param snapshotDelays draws how long each snapshot write takes, in virtual time
     * @param restoreDelays draws how long decoding each snapshot from a leader takes, in virtual time
     * @param incarnations draws each boot's incarnation ({@link RaftNode#restart(RaftConfig, HardState,
     *     Optional, List, java.util.random.RandomGenerator, raftkv.core.SnapshotSink, long)})
     */
    SimNode(RaftConfig config, SessionLimits sessions, StateQuota quota, SplittableRandom random,
            SplittableRandom snapshotDelays, SplittableRandom restoreDelays, SplittableRandom incarnations,
            Wiring wiring) {
        this.config = config;
        this.sessions = sessions;
        this.quota = quota;
        this.wiring = wiring;
        this.snapshotDelays = snapshotDelays;
        this.restoreDelays = restoreDelays;
        this.incarnations = incarnations;
        this.disk = new SimDisk(config.id(), random.split());
        this.driver = newDriver(RaftNode.restart(config, HardState.INITIAL, Optional.empty(), List.of(), random,
                disk.snapshotSink(), incarnations.nextLong()), new KvStore(sessions, quota));
    }

    private Driver<Request, Request> newDriver(RaftNode raft, KvStore kv) {
        Driver.Answers<Request, Request> answers = new Driver.Answers<>() {
            @Override
            public void applied(Request request, Result result) {
                wiring.reply(request, new Answer.Done(result));
            }

            @Override
            public void superseded(Request request, Session session, LogEntry committed, KvStore kv) {
                // This copy never takes effect; the client knows whether other copies are in flight.
                wiring.reply(request, new Answer.Overwritten());
            }

            @Override
            public void compactedAway(Request request, Session session, KvStore kv) {
                // Whether this copy took effect is unknown here: no answer, so the client's attempt
                // times out and it treats the operation as indefinite, as it must.
            }

            @Override
            public void forwardRefused(Request request, String leaderHint) {
                wiring.reply(request, new Answer.NotLeader(leaderHint)); // definitely not appended
            }

            @Override
            public void forwardUnanswered(Request request, Session session, KvStore kv) {
                // It may have been appended: like compactedAway, no answer, and the client's attempt
                // stays unresolved (an :info if nothing else settles the operation).
            }

            @Override
            public void serveRead(Request request, KvStore kv) {
                if (request.call() instanceof Call.Read read) {
                    wiring.reply(request, new Answer.Done(kv.get(read.key())));
                }
            }

            @Override
            public void readDropped(Request request) {
                wiring.reply(request, new Answer.ReadDropped());
            }
        };
        Driver.Observer observer = new Driver.Observer() {
            @Override
            public void persisted(Ready ready) {
                wiring.persisted(SimNode.this, ready);
            }

            @Override
            public void applied(LogEntry entry, Result result) {
                wiring.applied(SimNode.this, entry, result);
            }

            @Override
            public void restored(Snapshot snapshot) {
                wiring.restored(SimNode.this, snapshot);
            }

            @Override
            public void advanced() {
                wiring.committed(SimNode.this);
            }
        };
        return new Driver<>(raft, kv, disk, messages -> messages.forEach(wiring::send),
                answers, observer, 1, this::startSnapshot,
                this::startRestore);
    }

    /**
     * The server writes a snapshot on a thread of its own while the node goes on; here the write is
     * done, whole, after a seeded virtual delay, so writes, crashes, elections and InstallSnapshot
     * fall in between by seed.
     */
    private SnapshotWriter.Started startSnapshot(SnapshotJob job) {
        long startedIn = boots;
        wiring.snapshotStarted(this, snapshotDelays.nextLong(MAX_SNAPSHOT_WRITE_MS + 1), () -> {
            if (up && boots == startedIn) {
                snapshotWritten(job);
            } // else the process died with its writer: the restart recovers from the older snapshot and the WAL
        });
        return new SnapshotWriter.Started.Writing();
    }

    /**
     * The server decodes a snapshot from the leader on a thread of its own while the node goes on
     * answering AppendEntries and heartbeats; here the decode is done, whole, after a seeded virtual
     * delay, so entries committed, reads, elections and crashes fall in between by seed. The data is
     * opened now, as the server's restorer opens it on the loop.
     */
    private SnapshotRestorer.Started startRestore(SnapshotRestorer.Job job) {
        long startedIn = boots;
        InputStream data = job.snapshot().data().open();
        wiring.restoreStarted(this, restoreDelays.nextLong(MAX_SNAPSHOT_RESTORE_MS + 1), () -> {
            if (up && boots == startedIn) {
                restores++;
                RestoredState state = RestoredState.decode(job.snapshot(), data, job.limits());
                driver.snapshotRestored(job.snapshot(), state);
                handleReady();
            } // else the process died with its restorer: the restart restores the snapshot from disk
        });
        return new SnapshotRestorer.Started.Restoring();
    }

    /** Snapshots from a leader restored after a delay, and the Raft messages handled meanwhile. */
    long restores() {
        return restores;
    }

    long stepsWhileRestoring() {
        return stepsWhileRestoring;
    }

    private void snapshotWritten(SnapshotJob job) {
        try {
            Snapshot written = disk.writeSnapshot(job);
            driver.snapshotWritten(written);
            driver.handleReady();
        } catch (PowerCutFileSystem.PowerCut cut) {
            crash(); // mid-write or mid-cut: the older snapshot and the WAL are what a restart finds
            wiring.poweredOff(this);
        } catch (IOException e) {
            throw new UncheckedIOException("simulated storage failed on " + id(), e);
        }
    }

    String id() {
        return config.id();
    }

    boolean isUp() {
        return up;
    }

    RaftNode raft() {
        return driver.node();
    }

    KvStore kv() {
        return driver.kv();
    }

    SimDisk disk() {
        return disk;
    }

    // ---------------------------------------------------------------- faults

    /**
     * The machine loses power: the process and its waiting clients are gone, and the disk keeps
     * only what was fsynced (plus, torn at random pages, some of what was not).
     */
    void crash() {
        up = false;
        disk.powerLoss();
    }

    /** The power will go out at this node's next fsync, in the middle of persisting a Ready. */
    void cutPowerAtNextSync() {
        disk.cutPowerAtNextSync();
    }

    /**
     * The process starts again from what its disk recovers: the state machine from the newest
     * snapshot (or empty), then rebuilt as the node re-learns the commit index and re-applies the log
     * after the snapshot.
     */
    void restart(SplittableRandom random) {
        disk.boot();
        KvStore kv = new KvStore(sessions, quota);
        disk.recoveredSnapshot().ifPresent(kv::restore);
        // Every boot draws its incarnation, as the server does (here from the run's seed); its request
        // ids start again from 1, so only the incarnation keeps a late reply to the last boot's forward
        // (or the leader's record of its ids) from being taken for this one's.
        RaftNode raft = RaftNode.restart(config, disk.recoveredHardState(), disk.recoveredSnapshot(),
                disk.recoveredEntries(), random, disk.snapshotSink(), incarnations.nextLong());
        boots++;
        driver = newDriver(raft, kv);
        up = true;
    }

    /** The leader's side of a membership change (what an operator's request does in the server). */
    ConfigChangeResult proposeConfigChange(ConfigChange change) {
        ConfigChangeResult result = driver.node().proposeConfigChange(change);
        handleReady();
        return result;
    }

    // ---------------------------------------------------------------- inputs

    void tick() {
        driver.tick();
        handleReady();
    }

    void step(Message message) {
        if (driver.snapshotBeingRestored() != null) {
            stepsWhileRestoring++;
        }
        driver.step(message);
        handleReady();
    }

    void request(Request request) {
        switch (request.call()) {
            case Call.Read read -> {
                if (driver.read(request) instanceof ReadResult.NotLeader notLeader) {
                    wiring.reply(request, new Answer.NotLeader(notLeader.leaderHint()));
                }
            }
            case Call.Propose propose -> {
                driver.propose(propose.command(), propose.session(), request)
                        .ifNotTaken(hint -> wiring.reply(request, new Answer.NotLeader(hint)));
            }
        }
        handleReady();
    }

    private void handleReady() {
        try {
            driver.handleReady();
        } catch (PowerCutFileSystem.PowerCut cut) {
            crash(); // mid-Ready: some of it may be on disk, torn; none of it was sent
            wiring.poweredOff(this);
        } catch (IOException e) {
            throw new UncheckedIOException("simulated storage failed on " + id(), e);
        }
    }
}
