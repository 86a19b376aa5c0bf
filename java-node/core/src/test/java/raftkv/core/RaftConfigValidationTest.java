package raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Bad configuration gets a clear error at construction; the boundaries themselves are accepted. */
class RaftConfigValidationTest {

    private static final RaftConfig BASE = RaftConfig.of("a", List.of("a", "b", "c"));

    @Test
    void aMemberListedTwiceIsRejected_4_1() {
        assertThatThrownBy(() -> RaftConfig.of("a", List.of("a", "b", "b")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("duplicate member");
    }

    @Test
    void theBootstrapConfigurationMustBeTheMembersAsVoters_4_1() {
        ClusterConfig other = ClusterConfig.ofVoterIds(List.of("a", "b", "z"));
        assertThatThrownBy(() -> new RaftConfig("a", List.of("a", "b", "c"), 10, 20, 2, 256, 8, java.util.Set.of(),
                1, 0, 1, 1, 1, other))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bootstrap configuration");
        ClusterConfig withLearner = new ClusterConfig(List.of(Member.ofId("a"), Member.ofId("b"), Member.ofId("c")),
                List.of(Member.ofId("d")));
        assertThatThrownBy(() -> new RaftConfig("a", List.of("a", "b", "c"), 10, 20, 2, 256, 8, java.util.Set.of(),
                1, 0, 1, 1, 1, withLearner))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bootstrap configuration");
        ClusterConfig same = ClusterConfig.ofVoterIds(List.of("c", "b", "a"));
        assertThat(new RaftConfig("a", List.of("a", "b", "c"), 10, 20, 2, 256, 8, java.util.Set.of(),
                1, 0, 1, 1, 1, same).bootstrap()).isEqualTo(same);
    }

    @Test
    void snapshotSettingsHaveTheirLowerBoundsInclusive() {
        assertThat(BASE.withSnapshots(1, 0).snapshotEntries()).isEqualTo(1);
        assertThat(BASE.withSnapshots(1, 0).snapshotTrailingEntries()).isZero();
        assertThat(BASE.withSnapshotChunkBytes(1).snapshotChunkBytes()).isEqualTo(1);
        assertThatThrownBy(() -> BASE.withSnapshots(0, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> BASE.withSnapshots(1, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> BASE.withSnapshotChunkBytes(0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void inflightWindowsNeedAtLeastOneSlot() {
        assertThat(BASE.withMaxInflightMessages(1).maxInflightMessages()).isEqualTo(1);
        assertThat(BASE.withSnapshotChunksInFlight(1).snapshotChunksInFlight()).isEqualTo(1);
        assertThatThrownBy(() -> BASE.withMaxInflightMessages(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> BASE.withSnapshotChunksInFlight(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
