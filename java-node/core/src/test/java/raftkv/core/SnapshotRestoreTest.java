package raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static raftkv.core.Harness.THREE;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A snapshot the leader sent is restored by the {@link SnapshotRestorer}, which may take its time
 * (the server decodes on a thread of its own): InstallSnapshot's rules 6-8 (extended Raft paper
 * Figure 13) with rule 8's decoding off the driver's thread. Here a restorer holds each job until
 * the test hands the decoded state back, so every step in between is visible.
 */
class SnapshotRestoreTest {

    /** The incarnation of every node here: they boot once ({@link RaftNode#SINGLE_BOOT}). */
    private static final long BOOT = RaftNode.SINGLE_BOOT;

    private static final LogEntry A = new LogEntry(2, 3, new Command.Put("a", "1"), null);
    private static final LogEntry B = new LogEntry(2, 4, new Command.Put("b", "2"), null);

    private final List<String> trace = new ArrayList<>();
    private final List<Message> sent = new ArrayList<>();
    private final List<SnapshotRestorer.Job> held = new ArrayList<>();
    private final KvStore kv = new KvStore();

    private final StableStorage storage = new StableStorage() {
        @Override
        public void persist(HardState hardState, long truncateFrom, List<LogEntry> entries) {
            entries.forEach(e -> trace.add("persisted " + e.index()));
        }

        @Override
        public void saveSnapshot(Snapshot snapshot, long firstKeptIndex) {
            trace.add("saved snapshot " + snapshot.lastIncludedIndex());
        }

        @Override
        public void installSnapshot(Snapshot snapshot) {
            trace.add("installed snapshot " + snapshot.lastIncludedIndex() + " (kv at " + kv.lastApplied() + ")");
        }
    };

    private final SnapshotRestorer holding = job -> {
        held.add(job);
        trace.add("restoring " + job.snapshot().lastIncludedIndex());
        return new SnapshotRestorer.Started.Restoring();
    };

    /** n2 of three, in term 2 with an empty log, request ids from 100. */
    private Driver<String, String> follower() {
        RaftNode node = Harness.restarted("n2", THREE, new HardState(2, null), List.of());
        return new Driver<>(node, kv, storage, messages -> messages.forEach(m -> {
            sent.add(m);
            trace.add("sent " + m.getClass().getSimpleName());
        }), TracingAnswers.withForwards(trace), Driver.Observer.NONE, 100, SnapshotWriter.IN_MEMORY, holding);
    }

    /** The state machine at index {@code index}: x => y, plus whatever {@code more} puts. */
    private static byte[] stateAt(long index) {
        KvStore source = new KvStore();
        source.apply(new LogEntry(2, 1, new Command.Put("x", "y"), null));
        for (long i = 2; i <= index; i++) {
            source.apply(new LogEntry(2, i, new Command.Put("k" + i, "v" + i), null));
        }
        return source.snapshotBytes();
    }

    private static Message.InstallSnapshot snapshot(long index) {
        return new Message.InstallSnapshot(2, "n1", "n2", index, 2, THREE, 0, stateAt(index), true);
    }

    private static Message.AppendEntries append(long prevIndex, List<LogEntry> entries, long commit) {
        return new Message.AppendEntries(2, "n1", "n2", prevIndex, prevIndex == 0 ? 0 : 2, entries, commit, 7);
    }

    /** The test's restorer finishes the job it holds. */
    private void finishRestore(Driver<String, String> driver) throws Exception {
        SnapshotRestorer.Job job = held.removeFirst();
        driver.snapshotRestored(job.snapshot(), job.decode());
        driver.handleReady();
    }

    private Message lastSent() {
        return sent.getLast();
    }

    @Test
    void theSnapshotIsDurableAndAcknowledgedBeforeItIsRestored_Figure13Rules7And8() throws Exception {
        Driver<String, String> n2 = follower();
        n2.step(snapshot(2));
        n2.handleReady();
        // Figure 2: "updated on stable storage before responding to RPCs"; rule 8 may take its time.
        assertThat(trace).containsExactly("installed snapshot 2 (kv at 0)", "sent InstallSnapshotReply", "restoring 2");
        assertThat(lastSent()).isEqualTo(new Message.InstallSnapshotReply(2, "n2", "n1", 2, stateAt(2).length, 2));
        assertThat(kv.lastApplied()).isZero();
        assertThat(n2.snapshotBeingRestored().lastIncludedIndex()).isEqualTo(2);
        finishRestore(n2);
        assertThat(kv.lastApplied()).isEqualTo(2);
        assertThat(kv.get("x")).isEqualTo(new Result.Ok("y"));
        assertThat(n2.snapshotBeingRestored()).isNull();
    }

    @Test
    void heartbeatsAndAppendEntriesAreAnsweredWhileASnapshotIsBeingRestored_Figure2() throws Exception {
        Driver<String, String> n2 = follower();
        n2.step(snapshot(2));
        n2.handleReady();
        for (int round = 0; round < 5; round++) { // well past an election timeout of ticks
            Harness.tick(n2.node(), 3);
            n2.step(append(2, List.of(), 2)); // a heartbeat at the snapshot's boundary
            n2.handleReady();
            assertThat(lastSent()).isEqualTo(new Message.AppendEntriesReply(2, "n2", "n1", true, 2, 0, 0, 7));
        }
        n2.step(append(2, List.of(A, B), 2));
        n2.handleReady();
        assertThat(lastSent()).isEqualTo(new Message.AppendEntriesReply(2, "n2", "n1", true, 4, 0, 0, 7));
        assertThat(n2.node().role()).isEqualTo(Role.FOLLOWER);
        assertThat(n2.node().currentTerm()).isEqualTo(2);
        assertThat(trace).contains("persisted 3", "persisted 4");
    }

    @Test
    void entriesAreAppliedOnlyAfterTheInstalledSnapshotIsRestored_Figure2LastApplied() throws Exception {
        Driver<String, String> n2 = follower();
        n2.step(snapshot(2));
        n2.handleReady();
        n2.step(append(2, List.of(A, B), 4)); // committed while the snapshot is decoded
        n2.handleReady();
        assertThat(n2.node().commitIndex()).isEqualTo(4);
        assertThat(kv.lastApplied()).as("nothing reaches the state machine before the snapshot").isZero();
        assertThat(kv.get("a")).isEqualTo(new Result.NotFound());
        finishRestore(n2);
        // "If commitIndex > lastApplied: increment lastApplied, apply log[lastApplied]": in order, after it.
        assertThat(kv.lastApplied()).isEqualTo(4);
        assertThat(kv.copyOfMap()).containsEntry("x", "y").containsEntry("k2", "v2").containsEntry("a", "1")
                .containsEntry("b", "2");
    }

    @Test
    void readsWaitUntilTheRestoredSnapshotAndTheEntriesAfterItAreApplied_6_4() throws Exception {
        Driver<String, String> n2 = follower();
        n2.step(append(0, List.of(), 0)); // learns its leader
        n2.handleReady();
        n2.step(snapshot(2));
        n2.handleReady();
        assertThat(n2.read("r1")).isEqualTo(new ReadResult.Registered());
        n2.handleReady();
        Message.ReadIndexRequest request = (Message.ReadIndexRequest) lastSent();
        n2.step(new Message.ReadIndexReply(2, "n1", "n2", BOOT, request.requestId(), 3));
        n2.step(append(2, List.of(A), 3));
        n2.handleReady();
        assertThat(trace).noneMatch(line -> line.startsWith("serve"));
        finishRestore(n2);
        assertThat(trace).contains("serve r1 at applied 3");
    }

    @Test
    void aReadWhoseIndexTheOldStateHoldsStillWaitsForTheRestore_6_4() throws Exception {
        Driver<String, String> n2 = follower();
        n2.step(append(0, List.of(new LogEntry(2, 1, new Command.Noop(), null)), 1));
        n2.handleReady();
        n2.step(new Message.InstallSnapshot(2, "n1", "n2", 3, 2, THREE, 0, stateAt(3), true));
        n2.handleReady();
        n2.read("r1");
        n2.handleReady();
        Message.ReadIndexRequest request = (Message.ReadIndexRequest) lastSent();
        n2.step(new Message.ReadIndexReply(2, "n1", "n2", BOOT, request.requestId(), 1)); // applied 1 holds it
        n2.handleReady();
        assertThat(trace).noneMatch(line -> line.startsWith("serve"));
        finishRestore(n2);
        assertThat(trace).contains("serve r1 at applied 3");
    }

    @Test
    void aForwardAppendedAtAnIndexTheSnapshotCoversIsAnsweredWhenItIsInstalled() throws Exception {
        Driver<String, String> n2 = follower();
        n2.step(append(0, List.of(), 0));
        n2.handleReady();
        n2.propose(new Command.Put("w", "1"), null, "w1");
        n2.handleReady();
        long id = ((Message.ForwardedProposal) lastSent()).proposalId();
        n2.step(snapshot(2)); // the leader's snapshot covers the entry it appended
        n2.step(new Message.ForwardedProposalReply(2, "n1", "n2", BOOT, id, new ForwardOutcome.Appended(2, 2)));
        n2.handleReady();
        assertThat(trace).noneMatch(line -> line.startsWith("compacted"));
        finishRestore(n2);
        assertThat(trace).contains("compacted away w1");
        assertThat(n2.proposalsWaiting()).isZero();
    }

    @Test
    void aSnapshotReceivedWhileAnotherIsRestoredIsRestoredAfterItAndTheEntriesBetween() throws Exception {
        Driver<String, String> n2 = follower();
        n2.step(snapshot(2));
        n2.handleReady();
        n2.step(append(2, List.of(A), 3));
        n2.handleReady();
        n2.step(snapshot(6)); // the leader compacted past 4 before we caught up
        n2.handleReady();
        LogEntry c = new LogEntry(2, 7, new Command.Put("c", "3"), null);
        n2.step(append(6, List.of(c), 7)); // committed after the second snapshot: it waits for it
        n2.handleReady();
        assertThat(held).hasSize(1);
        finishRestore(n2);
        assertThat(kv.lastApplied()).as("the first snapshot, then the entry after it").isEqualTo(3);
        assertThat(n2.snapshotBeingRestored().lastIncludedIndex()).isEqualTo(6);
        assertThat(kv.get("c")).as("not before the snapshot at 6 is restored").isEqualTo(new Result.NotFound());
        finishRestore(n2);
        assertThat(kv.lastApplied()).isEqualTo(7);
        assertThat(kv.get("k6")).isEqualTo(new Result.Ok("v6"));
        assertThat(kv.get("c")).isEqualTo(new Result.Ok("3"));
        assertThat(trace).containsSubsequence("restoring 2", "restoring 6");
    }

    @Test
    void onlyTheSnapshotBeingRestoredMayBeReportedRestored() throws Exception {
        Driver<String, String> n2 = follower();
        n2.step(snapshot(2));
        n2.handleReady();
        SnapshotRestorer.Job job = held.getFirst();
        Snapshot other = new Snapshot(2, 2, THREE, stateAt(2));
        assertThatThrownBy(() -> n2.snapshotRestored(other, job.decode())).isInstanceOf(IllegalStateException.class);
        RestoredState atThree = new SnapshotRestorer.Job(new Snapshot(3, 2, THREE, stateAt(3)), kv.limits()).decode();
        assertThatThrownBy(() -> n2.snapshotRestored(job.snapshot(), atThree)).as("the state of another index")
                .isInstanceOf(IllegalStateException.class);
        finishRestore(n2);
        assertThatThrownBy(() -> n2.snapshotRestored(job.snapshot(), job.decode()))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void observersSeeTheStateMachineResetWhenTheSnapshotIsRestoredNotBefore() throws Exception {
        List<Long> restored = new ArrayList<>();
        Driver.Observer observer = new Driver.Observer() {
            @Override
            public void restored(Snapshot snapshot) {
                restored.add(snapshot.lastIncludedIndex());
            }
        };
        Driver<String, String> n2 = new Driver<>(Harness.restarted("n2", THREE, new HardState(2, null), List.of()),
                kv, storage, sent::addAll, TracingAnswers.withForwards(trace), observer, 100, SnapshotWriter.IN_MEMORY,
                holding);
        n2.step(snapshot(2));
        n2.handleReady();
        assertThat(restored).isEmpty();
        finishRestore(n2);
        assertThat(restored).containsExactly(2L);
    }
}
