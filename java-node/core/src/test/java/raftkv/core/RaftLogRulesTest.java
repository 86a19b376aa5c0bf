package raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static raftkv.core.Harness.entry;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The log's bookkeeping of compaction (§5.1, Figure 5.3), configurations (§4.1) and up-to-dateness (§5.4.1). */
class RaftLogRulesTest {

    private static final ClusterConfig BASE = ClusterConfig.ofVoterIds(List.of("n1", "n2", "n3"));
    private static final ClusterConfig WITH_N4 = BASE.apply(new ConfigChange.AddLearner(Member.ofId("n4")));

    /** Entries 1..6 of term 1; entry 2 is a configuration adding learner n4. */
    private static RaftLog logWithConfigurationAt2() {
        List<LogEntry> entries = new ArrayList<>();
        for (long i = 1; i <= 6; i++) {
            entries.add(i == 2 ? new LogEntry(1, 2, new Command.Configuration(WITH_N4), null) : entry(1, i));
        }
        return new RaftLog(0, 0, BASE, entries);
    }

    @Test
    void compactionKeepsExactlyTheEntriesFromFirstKeptOn_5_1() {
        RaftLog log = logWithConfigurationAt2();
        log.compactBefore(3);
        assertThat(log.firstIndex()).isEqualTo(3);
        assertThat(log.prevIndex()).isEqualTo(2);
        assertThat(log.lastIndex()).isEqualTo(6);
        assertThat(log.get(3).index()).isEqualTo(3);
    }

    @Test
    void aCompactedConfigurationEntryBecomesTheBaseAndLeavesTheLog_4_1() {
        RaftLog log = logWithConfigurationAt2();
        log.compactBefore(5);
        assertThat(log.latestConfiguration()).isEqualTo(WITH_N4);
        assertThat(log.latestConfigurationIndex()).as("no configuration entry is left: the boundary").isEqualTo(4);
    }

    @Test
    void aCompactedIndexHasNoConfigurationToAskFor_5_1() {
        RaftLog log = logWithConfigurationAt2();
        log.compactBefore(5);
        assertThat(log.configurationAt(4)).isEqualTo(WITH_N4);
        assertThatThrownBy(() -> log.configurationAt(3)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("compacted");
    }

    @Test
    void installingASnapshotLoadsItsConfigurationAndForgetsTheLogs_Figure5_3() {
        RaftLog log = logWithConfigurationAt2();
        log.resetAfter(new Snapshot(10, 2, BASE, new byte[0]));
        assertThat(log.latestConfiguration()).isEqualTo(BASE);
        assertThat(log.latestConfigurationIndex()).isEqualTo(10);
        assertThat(log.lastIndex()).isEqualTo(10);
    }

    @Test
    void aLogEndingWithTheSameEntryIsAtLeastAsUpToDate_5_4_1() {
        RaftLog log = logWithConfigurationAt2();
        assertThat(log.isUpToDate(6, 1)).isTrue();
        assertThat(log.isUpToDate(5, 1)).isFalse();
        assertThat(log.isUpToDate(1, 2)).isTrue();
    }

    @Test
    void theBaseConfigurationIsTheOneInForceAtTheNewBoundary_4_1() {
        RaftLog log = logWithConfigurationAt2();
        log.compactBefore(2); // entry 1 compacted: the configuration entry at 2 is still in the log
        assertThat(log.configurationAt(1)).isEqualTo(BASE);
        assertThat(log.configurationAt(2)).isEqualTo(WITH_N4);
        log.truncateFrom(2); // §4.1: removing the entry reverts to the configuration before it
        assertThat(log.latestConfiguration()).isEqualTo(BASE);
    }
}
