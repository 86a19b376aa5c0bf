package raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The value types a driver builds or reads: configuration, log entries, sessions, bug flags, Ready. */
class ValuesTest {

    private static final List<String> THREE = List.of("n1", "n2", "n3");

    private static RaftConfig config(int min, int max, int heartbeat, int perAppend, int burst) {
        return new RaftConfig("n1", THREE, min, max, heartbeat, perAppend, burst, Set.of());
    }

    @Test
    void configNeedsThisNodeAmongDistinctMembers() {
        assertThatThrownBy(() -> RaftConfig.of("n9", THREE)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RaftConfig.of("n1", List.of("n1", "n2", "n2")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(RaftConfig.of("n1", THREE).bootstrap().quorum()).isEqualTo(2);
    }

    @Test
    void configNeedsHeartbeatWellBelowElectionTimeout_5_6() {
        assertThatCode(() -> config(2, 3, 1, 1, 1)).doesNotThrowAnyException();
        assertThatThrownBy(() -> config(2, 3, 0, 1, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> config(2, 3, 2, 1, 1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void configNeedsANonEmptyRandomizedElectionTimeoutRange_5_2() {
        assertThatThrownBy(() -> config(10, 10, 2, 1, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatCode(() -> config(10, 11, 2, 1, 1)).doesNotThrowAnyException();
    }

    @Test
    void configNeedsRoomForAtLeastOneEntryAndOneMessage() {
        assertThatThrownBy(() -> config(10, 20, 2, 0, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> config(10, 20, 2, 1, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void configNeedsAnInflightWindowOfAtLeastOneMessage() {
        assertThatThrownBy(() -> config(10, 20, 2, 1, 1).withMaxInflightMessages(0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(config(10, 20, 2, 1, 1).withMaxInflightMessages(1).maxInflightMessages()).isEqualTo(1);
        assertThat(RaftConfig.of("n1", THREE).maxInflightMessages())
                .isEqualTo(RaftConfig.DEFAULT_MAX_INFLIGHT_MESSAGES);
    }

    @Test
    void logEntriesStartAtIndexOneAndTermOne_Figure2() {
        assertThatThrownBy(() -> new LogEntry(0, 1, new Command.Noop(), null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new LogEntry(1, 0, new Command.Noop(), null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatCode(() -> new LogEntry(1, 1, new Command.Noop(), null)).doesNotThrowAnyException();
    }

    @Test
    void sessionSequenceNumbersStartAtOne_6_3() {
        assertThatThrownBy(() -> new Session("c1", 0)).isInstanceOf(IllegalArgumentException.class);
        assertThat(new Session("c1", 1).sequence()).isEqualTo(1);
    }

    @Test
    void bugSwitchesAreNamedByTheirCommandLineFlag() {
        for (Bug bug : Bug.values()) {
            assertThat(Bug.fromFlag(bug.flag())).isEqualTo(bug);
        }
        assertThat(Bug.STALE_READ.flag()).isEqualTo("stale-read");
        assertThat(Bug.allFlags()).isEqualTo(
                "stale-read, commit-previous-term, forget-vote, ack-before-commit, snapshot-drops-sessions, retry-refused-forward,"
                        + " concurrent-config-changes");
        assertThatThrownBy(() -> Bug.fromFlag("no-such-bug")).hasMessageContaining("stale-read");
    }

    private static final LogEntry E = new LogEntry(1, 1, new Command.Noop(), null);
    private static final Message M = new Message.RequestVoteReply(1, "n1", "n2", true);

    @Test
    void readyIsEmptyOnlyWithNothingToPersistSendApplyOrAnswer() {
        assertThat(new Ready(null, 0, List.of(), List.of(), List.of(), List.of(), List.of()).isEmpty()).isTrue();
        assertThat(new Ready(HardState.INITIAL, 0, List.of(), List.of(), List.of(), List.of(), List.of()).isEmpty())
                .isFalse();
        assertThat(new Ready(null, 1, List.of(), List.of(), List.of(), List.of(), List.of()).isEmpty()).isFalse();
        assertThat(new Ready(null, 0, List.of(E), List.of(), List.of(), List.of(), List.of()).isEmpty()).isFalse();
        assertThat(new Ready(null, 0, List.of(), List.of(M), List.of(), List.of(), List.of()).isEmpty()).isFalse();
        assertThat(new Ready(null, 0, List.of(), List.of(), List.of(E), List.of(), List.of()).isEmpty()).isFalse();
        assertThat(new Ready(null, 0, List.of(), List.of(), List.of(), List.of(new ReadState(1, 1)), List.of())
                .isEmpty()).isFalse();
        assertThat(new Ready(null, 0, List.of(), List.of(), List.of(), List.of(), List.of(1L)).isEmpty()).isFalse();
        assertThat(new Ready(null, 0, List.of(), List.of(), List.of(), List.of(), List.of(), null,
                List.of(new ForwardAnswer(7, new ForwardOutcome.Refused(null))), List.of()).isEmpty()).isFalse();
        assertThat(new Ready(null, 0, List.of(), List.of(), List.of(), List.of(), List.of(), null, List.of(),
                List.of(7L)).isEmpty()).as("a forward given up must still be answered").isFalse();
    }

    @Test
    void aMemberNeedsANonBlankId_4_1() {
        assertThatThrownBy(() -> Member.ofId(" ")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("blank");
        assertThat(Member.ofId("n4").id()).isEqualTo("n4");
    }

    @Test
    void aSnapshotJobsStateMustBeAtItsLastIncludedIndex_5_1() {
        KvStore kv = new KvStore();
        kv.apply(E);
        KvStore.Frozen frozen = kv.freeze();
        ClusterConfig config = ClusterConfig.ofVoterIds(THREE);
        assertThatThrownBy(() -> new SnapshotJob(2, 1, config, frozen)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at 1, not 2");
        assertThat(new SnapshotJob(1, 1, config, frozen).lastIncludedIndex()).isEqualTo(1);
    }

    @Test
    void snapshotDataInMemoryIsEqualOnlyWithTheSameBytes() {
        SnapshotData data = SnapshotData.of(new byte[] {1, 2, 3});
        SnapshotData same = SnapshotData.of(new byte[] {1, 2, 3});
        assertThat(data).isEqualTo(same).hasSameHashCodeAs(same);
        assertThat(data).isNotEqualTo(SnapshotData.of(new byte[] {1, 2, 4}));
        assertThat(data).isNotEqualTo(SnapshotData.of(new byte[] {1, 2}));
        assertThat(data).isNotEqualTo("1, 2, 3");
        assertThat(data.hashCode()).isNotEqualTo(SnapshotData.of(new byte[] {9}).hashCode());
        assertThat(data.toString()).isEqualTo("3 bytes in memory");
        assertThat(data.readAll()).containsExactly(1, 2, 3);
    }

    @Test
    void readyMustPersistTermVoteTruncationOrEntries_Figure2StableStorage() {
        assertThat(new Ready(null, 0, List.of(), List.of(M), List.of(E), List.of(), List.of()).mustPersist())
                .isFalse();
        assertThat(new Ready(HardState.INITIAL, 0, List.of(), List.of(), List.of(), List.of(), List.of())
                .mustPersist()).isTrue();
        assertThat(new Ready(null, 1, List.of(), List.of(), List.of(), List.of(), List.of()).mustPersist()).isTrue();
        assertThat(new Ready(null, 0, List.of(E), List.of(), List.of(), List.of(), List.of()).mustPersist()).isTrue();
    }

    @Test
    void installSnapshotMessagesAreEqualOnlyIfEveryFieldIs() {
        Message.InstallSnapshot m = new Message.InstallSnapshot(3, "n1", "n2", 10, 2, List.of("n1", "n2"), 64,
                new byte[] {1, 2}, false);
        Message.InstallSnapshot same = new Message.InstallSnapshot(3, "n1", "n2", 10, 2, List.of("n1", "n2"), 64,
                new byte[] {1, 2}, false);
        assertThat(m).isEqualTo(same).hasSameHashCodeAs(same);
        assertThat(m.toString()).contains("term=3", "lastIncludedIndex=10", "offset=64", "2 bytes", "done=false");

        List<Message.InstallSnapshot> others = List.of(
                new Message.InstallSnapshot(4, "n1", "n2", 10, 2, List.of("n1", "n2"), 64, new byte[] {1, 2}, false),
                new Message.InstallSnapshot(3, "n3", "n2", 10, 2, List.of("n1", "n2"), 64, new byte[] {1, 2}, false),
                new Message.InstallSnapshot(3, "n1", "n3", 10, 2, List.of("n1", "n2"), 64, new byte[] {1, 2}, false),
                new Message.InstallSnapshot(3, "n1", "n2", 11, 2, List.of("n1", "n2"), 64, new byte[] {1, 2}, false),
                new Message.InstallSnapshot(3, "n1", "n2", 10, 3, List.of("n1", "n2"), 64, new byte[] {1, 2}, false),
                new Message.InstallSnapshot(3, "n1", "n2", 10, 2, List.of("n1"), 64, new byte[] {1, 2}, false),
                new Message.InstallSnapshot(3, "n1", "n2", 10, 2, List.of("n1", "n2"), 65, new byte[] {1, 2}, false),
                new Message.InstallSnapshot(3, "n1", "n2", 10, 2, List.of("n1", "n2"), 64, new byte[] {1, 3}, false),
                new Message.InstallSnapshot(3, "n1", "n2", 10, 2, List.of("n1", "n2"), 64, new byte[] {1, 2}, true));
        for (Message.InstallSnapshot other : others) {
            assertThat(m).as("differs from %s", other).isNotEqualTo(other);
        }
        assertThat(m).isNotEqualTo(new Message.TimeoutNow(3, "n1", "n2"));
    }

    @Test
    void aStoreReportsTheLimitsItWasMadeWith() {
        SessionLimits limits = new SessionLimits(7, 70);
        StateQuota quota = new StateQuota(1234);
        KvStore kv = new KvStore(limits, quota);
        assertThat(kv.limits()).isEqualTo(limits);
        assertThat(kv.quota()).isEqualTo(quota);
        assertThat(new Snapshot(6, 2, THREE, new byte[3]).toString()).isEqualTo("Snapshot[index 6, term 2, 3 bytes]");
    }

    @Test
    void anySnapshotDataReadsWholeFromItsFirstByte() {
        byte[] bytes = {4, 5, 6};
        SnapshotData data = new SnapshotData() { // as a file-backed one would be, without an array of its own
            @Override
            public long size() {
                return bytes.length;
            }

            @Override
            public byte[] read(long offset, int length) {
                return java.util.Arrays.copyOfRange(bytes, (int) offset, (int) Math.min(bytes.length, offset + length));
            }

            @Override
            public java.io.InputStream open() {
                return new java.io.ByteArrayInputStream(bytes);
            }
        };
        assertThat(data.readAll()).containsExactly(4, 5, 6);
    }
}
