package raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static raftkv.core.Harness.FIVE;
import static raftkv.core.Harness.ack;
import static raftkv.core.Harness.drain;
import static raftkv.core.Harness.entries;
import static raftkv.core.Harness.entry;
import static raftkv.core.Harness.node;
import static raftkv.core.Harness.restarted;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** What a driver may rely on: the Ready/advance handshake, what each Ready carries, and status. */
class DriverContractTest {

    private static Message.AppendEntries append(long term, long prevIndex, long prevTerm, List<LogEntry> entries,
            long leaderCommit) {
        return new Message.AppendEntries(term, "n1", "n2", prevIndex, prevTerm, entries, leaderCommit, 1);
    }

    @Test
    void everyInputIsRefusedUntilTheLastReadyIsAdvanced() {
        RaftNode n2 = restarted("n2", FIVE, new HardState(1, null), List.of());
        assertThatThrownBy(n2::advance).as("advance without a Ready").isInstanceOf(IllegalStateException.class);
        n2.ready();
        assertThatThrownBy(n2::ready).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> n2.step(new Message.RequestVote(2, "n1", "n2", 0, 0)))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> n2.propose(new Command.Noop(), null)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> n2.read(1)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(n2::tick).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> n2.transferLeadership(null)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> n2.compact(1, new byte[0])).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("advance()");
        assertThatThrownBy(() -> n2.compact(new Snapshot(1, 1, List.of("n2"), new byte[0])))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("advance()");
        assertThatThrownBy(() -> n2.proposeOrForward(new Command.Noop(), null, 1))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> n2.readOrForward(1)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> n2.proposeConfigChange(new ConfigChange.Remove("n3")))
                .isInstanceOf(IllegalStateException.class);
        n2.advance();
        assertThat(n2.currentTerm()).isEqualTo(1);
    }

    @Test
    void aFollowerThatKnowsItsLeaderForwardsNothingUntilTheLastReadyIsAdvanced() {
        RaftNode n2 = restarted("n2", FIVE, new HardState(1, null), List.of());
        n2.step(append(1, 0, 0, List.of(), 0));
        n2.ready();
        assertThat(n2.leaderId()).isEqualTo("n1");
        assertThatThrownBy(() -> n2.proposeOrForward(new Command.Noop(), null, 1))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> n2.readOrForward(1)).isInstanceOf(IllegalStateException.class);
        n2.advance();
        assertThat(n2.ready().messages()).as("nothing was forwarded").isEmpty();
    }

    @Test
    void truncatingOnlyUnpersistedEntriesNeedsNoStorageTruncation_Figure2StableStorage() {
        RaftNode n2 = restarted("n2", FIVE, new HardState(1, null), entries(1, 1));
        n2.step(append(1, 2, 1, List.of(entry(1, 3)), 0)); // 3 is not yet handed out for persisting
        n2.step(append(2, 2, 1, List.of(entry(2, 3)), 0)); // a new leader replaces it
        Ready ready = drain(n2);
        assertThat(ready.truncateFrom()).isZero();
        assertThat(ready.entriesToAppend()).containsExactly(entry(2, 3));
    }

    @Test
    void refusesToTruncateACommittedEntry_5_4_LeaderCompleteness() {
        RaftNode n2 = restarted("n2", FIVE, new HardState(1, null), entries(1, 1));
        n2.step(append(1, 2, 1, List.of(), 2));
        drain(n2);
        assertThatThrownBy(() -> n2.step(append(2, 1, 1, List.of(entry(2, 2)), 2)))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void underABugSwitchACommittedEntryIsOverwrittenAndCommitIndexFallsBack() {
        RaftNode n2 = restarted("n2", FIVE, new HardState(1, null), entries(1, 1, 1), Bug.STALE_READ);
        n2.step(append(1, 3, 1, List.of(), 3));
        drain(n2);
        n2.step(append(2, 1, 1, List.of(entry(2, 2)), 0));
        Ready ready = drain(n2);
        assertThat(n2.commitIndex()).isEqualTo(1);
        assertThat(ready.truncateFrom()).isEqualTo(2);
        assertThat(n2.log()).extracting(LogEntry::term).containsExactly(1L, 2L);
    }

    @Test
    void appendEntriesWithANegativeOrInconsistentPrevLogIndexIsDropped_5_3() {
        RaftNode n2 = restarted("n2", FIVE, new HardState(1, null), List.of());
        n2.step(append(1, -1, -1, List.of(), 0));
        n2.step(append(1, -1, 0, List.of(), 0));
        n2.step(append(1, 0, 1, List.of(), 0)); // index 0 has term 0 and nothing else
        assertThat(drain(n2).messages()).isEmpty();
    }

    @Test
    void servedAndDroppedReadsAreHandedOutOnce_6_4() {
        RaftNode n1 = node("n1", List.of("n1", "n2", "n3"));
        Harness.elect(n1);
        n1.step(ack(n1, "n2", 1, 1));
        drain(n1);
        n1.read(1);
        long round = Harness.sent(drain(n1), Message.AppendEntries.class).getFirst().round();
        n1.step(ack(n1, "n2", 1, round));
        assertThat(drain(n1).readStates()).containsExactly(new ReadState(1, 1));
        n1.read(2);
        drain(n1);
        n1.step(new Message.AppendEntries(n1.currentTerm() + 1, "n2", "n1", 1, 1, List.of(), 1, 1));
        Ready lost = drain(n1);
        assertThat(lost.readStates()).isEmpty();
        assertThat(lost.droppedReads()).containsExactly(2L);
        n1.tick();
        Ready next = drain(n1);
        assertThat(next.readStates()).isEmpty();
        assertThat(next.droppedReads()).isEmpty();
    }

    @Test
    void singleNodeLeaderServesReadsOnceItsNoopIsDurable_6_4() {
        RaftNode n1 = RaftNode.create(Harness.config("n1", List.of("n1")).withTiming(10, 11, 2),
                new SplittableRandom(1));
        Harness.tick(n1, 10);
        assertThat(n1.role()).isEqualTo(Role.LEADER);
        n1.read(7); // the no-op is not durable yet, so not committed: the read waits
        assertThat(drain(n1).readStates()).isEmpty();
        assertThat(drain(n1).readStates()).as("released when advance() committed the no-op")
                .containsExactly(new ReadState(7, 1));
        n1.read(8);
        assertThat(drain(n1).readStates()).containsExactly(new ReadState(8, 1));
    }

    @Test
    void statusShowsRoleTermLogAndTheLeadersMatchIndexes() {
        RaftNode n1 = node("n1", FIVE);
        assertThat(n1.status()).isEqualTo(new Status("n1", Role.FOLLOWER, 0, null, 0, 0, 0, Map.of(), 0, 1,
                ClusterConfig.ofVoterIds(FIVE), new java.util.TreeSet<>()));
        Harness.elect(n1);
        n1.step(ack(n1, "n2", 1, 100));
        assertThat(n1.status()).isEqualTo(new Status("n1", Role.LEADER, 1, "n1", 0, 1, 1,
                Map.of("n2", 1L, "n3", 0L, "n4", 0L, "n5", 0L), 0, 1, ClusterConfig.ofVoterIds(FIVE),
                new java.util.TreeSet<>()));
    }
}
