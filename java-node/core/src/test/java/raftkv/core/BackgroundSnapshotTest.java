package raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static raftkv.core.Harness.THREE;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The driver's {@link SnapshotWriter} hook: a snapshot is written elsewhere while the node goes on
 * (dissertation §5.2), and the log is compacted only once the writer says the snapshot is durable.
 */
class BackgroundSnapshotTest {

    private final List<String> trace = new ArrayList<>();
    private final List<SnapshotJob> jobs = new ArrayList<>(); // handed to the writer, not yet written

    private final StableStorage storage = new StableStorage() {
        @Override
        public void persist(HardState hardState, long truncateFrom, List<LogEntry> entries) {}

        @Override
        public void saveSnapshot(Snapshot snapshot, long firstKeptIndex) {
            trace.add("cut log before " + firstKeptIndex + " behind snapshot " + snapshot.lastIncludedIndex());
        }

        @Override
        public void installSnapshot(Snapshot snapshot) {
            trace.add("install snapshot " + snapshot.lastIncludedIndex());
        }
    };

    /** A writer that holds the job until the test says it is written, as a writer thread would. */
    private final SnapshotWriter holdingWriter = job -> {
        jobs.add(job);
        return new SnapshotWriter.Started.Writing();
    };

    /** The observer's snapshot hooks, which an onlooker with a clock uses to time a snapshot. */
    private final Driver.Observer observer = new Driver.Observer() {
        @Override
        public void snapshotStarted(long index) {
            trace.add("started snapshot " + index);
        }

        @Override
        public void snapshotSaved(Snapshot snapshot) {
            trace.add("saved snapshot " + snapshot.lastIncludedIndex());
        }
    };

    private Driver<String, String> driver(RaftNode node) {
        return new Driver<>(node, new KvStore(), storage, messages -> {}, TracingAnswers.withoutForwards(trace),
                observer, 1, holdingWriter, SnapshotRestorer.IN_PLACE);
    }

    /** A one-node leader that snapshots every 5 entries, keeping none behind. */
    private Driver<String, String> singleNodeLeader() throws Exception {
        RaftConfig config = RaftConfig.of("n1", List.of("n1")).withTiming(10, 20, 2).withSnapshots(5, 0);
        Driver<String, String> driver = driver(RaftNode.create(config, new SplittableRandom(1)));
        for (int i = 0; i < 20 && driver.node().role() != Role.LEADER; i++) {
            driver.tick();
            driver.handleReady();
        }
        assertThat(driver.node().role()).isEqualTo(Role.LEADER);
        return driver;
    }

    private static void put(Driver<String, String> driver, String id, String name) throws Exception {
        driver.propose(new Command.Put(id, name), null, "put " + id);
        driver.handleReady();
    }

    @Test
    void theLogIsCompactedOnlyOnceTheWriterSaysTheSnapshotIsDurable_5_2() throws Exception {
        Driver<String, String> driver = singleNodeLeader(); // entry 1: the leader's no-op
        KvStore reference = new KvStore();
        reference.apply(new LogEntry(1, 1, new Command.Noop(), null));
        for (int i = 2; i <= 5; i++) {
            put(driver, "k" + i, "v" + i);
            reference.apply(new LogEntry(1, i, new Command.Put("k" + i, "v" + i), null));
        }
        assertThat(jobs).singleElement().extracting(SnapshotJob::lastIncludedIndex).isEqualTo(5L);
        assertThat(driver.snapshotBeingWritten()).isEqualTo(5);
        for (int i = 6; i <= 11; i++) { // the node goes on meanwhile: entries commit and apply
            put(driver, "k" + i, "v" + i);
        }
        assertThat(jobs).hasSize(1); // one snapshot at a time, although another is due
        assertThat(driver.node().snapshotIndex()).isZero();
        assertThat(driver.node().firstLogIndex()).isEqualTo(1);
        assertThat(trace).noneMatch(line -> line.startsWith("cut log")).noneMatch(line -> line.startsWith("saved"));
        assertThat(trace).containsOnlyOnce("started snapshot 5"); // at the freeze
        assertThat(driver.kv().get("k11")).isEqualTo(new Result.Ok("v11"));
        assertThat(jobs.getFirst().state().toBytes()).isEqualTo(reference.snapshotBytes()); // the state at 5

        driver.snapshotWritten(jobs.removeFirst().inMemory());
        driver.handleReady();

        assertThat(trace).containsSubsequence("saved snapshot 5", "cut log before 6 behind snapshot 5",
                "started snapshot 11"); // durable when the writer says so; compacted after
        assertThat(driver.node().snapshotIndex()).isEqualTo(5);
        assertThat(driver.kv().copyOfMap()).hasSize(10).containsEntry("k11", "v11"); // thawed
        // 11 - 5 >= 5: the next snapshot started as soon as the writer was free, at the applied index.
        assertThat(jobs).singleElement().extracting(SnapshotJob::lastIncludedIndex).isEqualTo(11L);
    }

    @Test
    void aSnapshotInstalledFromTheLeaderMeanwhileIsNotCompactedOver_Figure5_3() throws Exception {
        RaftConfig config = Harness.config("n2", THREE).withSnapshots(3, 0);
        Driver<String, String> driver = driver(RaftNode.create(config, new SplittableRandom(42)));
        driver.step(new Message.AppendEntries(1, "n1", "n2", 0, 0, Harness.entries(1, 1, 1), 3, 1));
        driver.handleReady();
        assertThat(jobs).singleElement().extracting(SnapshotJob::lastIncludedIndex).isEqualTo(3L);

        KvStore leaderState = new KvStore();
        for (long i = 1; i <= 8; i++) {
            leaderState.apply(Harness.entry(1, i));
        }
        driver.step(new Message.InstallSnapshot(1, "n1", "n2", 8, 1, THREE, 0, leaderState.snapshotBytes(), true));
        driver.handleReady();
        assertThat(trace).contains("install snapshot 8");

        driver.snapshotWritten(jobs.removeFirst().inMemory()); // the older snapshot, done at last
        driver.handleReady();

        assertThat(driver.node().snapshotIndex()).isEqualTo(8);
        assertThat(trace).noneMatch(line -> line.startsWith("cut log"));
        assertThat(driver.kv().copyOfMap()).isEqualTo(leaderState.copyOfMap());
        assertThat(driver.snapshotBeingWritten()).isZero();
    }

    @Test
    void aWriterCanOnlyReportTheJobItHolds() throws Exception {
        Driver<String, String> driver = singleNodeLeader();
        for (int i = 2; i <= 5; i++) {
            put(driver, "k" + i, "v" + i);
        }
        SnapshotJob job = jobs.getFirst();
        Snapshot other = new Snapshot(4, 1, List.of("n1"), new byte[0]);
        assertThatThrownBy(() -> driver.snapshotWritten(other)).isInstanceOf(IllegalStateException.class);
        driver.snapshotWritten(job.inMemory());
        assertThatThrownBy(() -> driver.snapshotWritten(job.inMemory())).isInstanceOf(IllegalStateException.class);
    }

    /** A one-node leader that snapshots every 5 entries through a writer that writes at once. */
    private Driver<String, String> singleNodeLeaderWritingAtOnce(Bug... bugs) throws Exception {
        RaftConfig config = RaftConfig.of("n1", List.of("n1")).withTiming(10, 20, 2).withSnapshots(5, 0)
                .withBugs(java.util.Set.of(bugs));
        Driver<String, String> driver = new Driver<>(RaftNode.create(config, new SplittableRandom(1)), new KvStore(),
                storage, messages -> {}, TracingAnswers.withoutForwards(trace), observer, 1, SnapshotWriter.IN_MEMORY,
                SnapshotRestorer.IN_PLACE);
        for (int i = 0; i < 20 && driver.node().role() != Role.LEADER; i++) {
            driver.tick();
            driver.handleReady();
        }
        assertThat(driver.node().role()).isEqualTo(Role.LEADER);
        return driver;
    }

    /** Entries 2 to 5: a session opened, then three puts; returns the snapshot's decoded state machine. */
    private static KvStore snapshotAfterASession(Driver<String, String> driver) throws Exception {
        driver.propose(new Command.OpenSession(), null, "open");
        driver.handleReady();
        for (int i = 3; i <= 5; i++) {
            put(driver, "k" + i, "v" + i);
        }
        assertThat(driver.node().snapshotIndex()).as("taken and compacted within the Ready loop").isEqualTo(5);
        assertThat(driver.snapshotBeingWritten()).isZero();
        KvStore restored = new KvStore();
        restored.restore(driver.node().snapshot());
        return restored;
    }

    @Test
    void aSnapshotWrittenAtOnceCompactsTheLogAndKeepsTheSessionTable_5_1_6_3() throws Exception {
        Driver<String, String> driver = singleNodeLeaderWritingAtOnce();
        KvStore restored = snapshotAfterASession(driver);
        assertThat(trace).containsSubsequence("started snapshot 5", "saved snapshot 5", "cut log before 6 behind snapshot 5");
        assertThat(restored.get("k5")).isEqualTo(new Result.Ok("v5"));
        assertThat(restored.sessionCount()).as("§6.3: the session table is part of the state machine").isEqualTo(1);
    }

    @Test
    void bugSnapshotDropsSessionsLosesTheSessionTableInTheSnapshot() throws Exception {
        Driver<String, String> driver = singleNodeLeaderWritingAtOnce(Bug.SNAPSHOT_DROPS_SESSIONS);
        KvStore restored = snapshotAfterASession(driver);
        assertThat(restored.get("k5")).isEqualTo(new Result.Ok("v5"));
        assertThat(driver.kv().sessionCount()).isEqualTo(1);
        assertThat(restored.sessionCount()).isZero();
    }
}
