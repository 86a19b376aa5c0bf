package raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static raftkv.core.Harness.THREE;
import static raftkv.core.Harness.drain;
import static raftkv.core.Harness.node;
import static raftkv.core.Harness.restarted;

import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A configuration is a log entry (dissertation §4.1): each node uses the latest one in its log,
 * committed or not, falls back to the one before when that entry is truncated, and finds it again
 * after a restart, in the log or in a snapshot (Figure 5.1, Figure 5.3).
 */
class ConfigurationLogTest {

    static final ClusterConfig BOOT = ClusterConfig.ofVoterIds(THREE);
    static final ClusterConfig WITH_N4 = BOOT.apply(new ConfigChange.AddLearner(Member.ofId("n4")));
    static final ClusterConfig N4_VOTES = WITH_N4.apply(new ConfigChange.Promote("n4"));

    static LogEntry config(long term, long index, ClusterConfig c) {
        return new LogEntry(term, index, new Command.Configuration(c), null);
    }

    @Test
    void nodeUsesLatestConfigurationEvenUncommitted_4_1() {
        RaftNode n2 = node("n2", THREE);
        assertThat(n2.configuration()).isEqualTo(BOOT);
        n2.step(new Message.AppendEntries(1, "n1", "n2", 0, 0,
                List.of(new LogEntry(1, 1, new Command.Noop(), null), config(1, 2, WITH_N4), config(1, 3, N4_VOTES)),
                0, 1));
        drain(n2);
        assertThat(n2.commitIndex()).isZero();
        assertThat(n2.configuration()).isEqualTo(N4_VOTES);
        assertThat(n2.configurationAt(2)).isEqualTo(WITH_N4);
        assertThat(n2.configurationAt(1)).isEqualTo(BOOT);
        assertThat(n2.status().configuration()).isEqualTo(N4_VOTES);
    }

    @Test
    void aTruncatedConfigurationEntryGivesBackThePreviousConfiguration_4_1() {
        RaftNode n2 = restarted("n2", THREE, new HardState(1, null),
                List.of(new LogEntry(1, 1, new Command.Noop(), null), config(1, 2, WITH_N4)));
        assertThat(n2.configuration()).isEqualTo(WITH_N4);
        // A leader of term 2 never had entry 2: "delete the existing entry and all that follow it".
        n2.step(new Message.AppendEntries(2, "n3", "n2", 1, 1, List.of(new LogEntry(2, 2, new Command.Noop(), null)),
                0, 1));
        drain(n2);
        assertThat(n2.configuration()).isEqualTo(BOOT);
    }

    @Test
    void theConfigurationSurvivesARestartFromTheLog_4_1() {
        List<LogEntry> wal = List.of(new LogEntry(1, 1, new Command.Noop(), null), config(1, 2, WITH_N4));
        RaftNode n2 = restarted("n2", THREE, new HardState(1, null), wal);
        assertThat(n2.configuration()).isEqualTo(WITH_N4);
    }

    @Test
    void aSnapshotCarriesTheConfigurationInForceAtItsIndexNotALaterOne_4_1() {
        RaftNode n1 = restarted("n1", THREE, new HardState(1, null),
                List.of(config(1, 1, WITH_N4), new LogEntry(1, 2, new Command.Noop(), null), config(1, 3, N4_VOTES)));
        Harness.elect(n1);
        n1.step(Harness.ack(n1, "n2", 4, 1));
        n1.step(Harness.ack(n1, "n3", 4, 1));
        n1.step(Harness.ack(n1, "n4", 4, 1));
        drain(n1);
        assertThat(n1.commitIndex()).isEqualTo(4);
        n1.compact(2, new byte[] {1});
        assertThat(drain(n1).snapshot()).isInstanceOfSatisfying(SnapshotChange.Taken.class,
                taken -> assertThat(taken.snapshot().configuration()).isEqualTo(WITH_N4));
        assertThat(n1.configuration()).isEqualTo(N4_VOTES);
    }

    @Test
    void theConfigurationSurvivesARestartFromASnapshotAndItsCompactedLog_4_1() {
        Snapshot snapshot = new Snapshot(5, 1, WITH_N4, new byte[] {1});
        RaftNode n2 = RaftNode.restart(Harness.config("n2", THREE), new HardState(1, null), Optional.of(snapshot),
                List.of(), new SplittableRandom(1), SnapshotSink.inMemory());
        assertThat(n2.configuration()).isEqualTo(WITH_N4);
        // Entries after the snapshot come on top of it.
        RaftNode again = RaftNode.restart(Harness.config("n2", THREE), new HardState(1, null), Optional.of(snapshot),
                List.of(config(1, 6, N4_VOTES)), new SplittableRandom(1), SnapshotSink.inMemory());
        assertThat(again.configuration()).isEqualTo(N4_VOTES);
        assertThat(again.configurationAt(5)).isEqualTo(WITH_N4);
    }

    @Test
    void aSnapshotOfAnOlderFormatKnowsItsMembersByIdAndTakesTheirUrlsFromTheBootstrap() {
        ClusterConfig urls = new ClusterConfig(List.of(new Member("n1", "c1", "p1"), new Member("n2", "c2", "p2"),
                new Member("n3", "c3", "p3")), List.of());
        Snapshot old = new Snapshot(5, 1, THREE, new byte[] {1}); // format 2: ids only
        RaftNode n2 = RaftNode.restart(Harness.config("n2", THREE).withBootstrap(urls), new HardState(1, null),
                Optional.of(old), List.of(), new SplittableRandom(1), SnapshotSink.inMemory());
        assertThat(n2.configuration()).isEqualTo(urls);
    }

    @Test
    void anInstalledSnapshotBringsItsConfiguration_Figure5_3() {
        RaftNode n4 = RaftNode.create(Harness.config("n4", List.of()).joining(), new SplittableRandom(7));
        n4.step(new Message.InstallSnapshot(2, "n1", "n4", 5, 2, WITH_N4, 0, new byte[] {1, 2}, true));
        Ready ready = drain(n4);
        assertThat(ready.snapshot()).isInstanceOf(SnapshotChange.Installed.class);
        assertThat(n4.configuration()).isEqualTo(WITH_N4);
        assertThat(n4.configurationAt(5)).isEqualTo(WITH_N4);
    }

    @Test
    void aBootstrapConfigurationMustBeTheMembersAsVoters() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Harness.config("n1", THREE).withBootstrap(WITH_N4)
                        .withBootstrap(WITH_N4))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(Harness.config("n1", THREE).bootstrap()).isEqualTo(BOOT);
    }
}
