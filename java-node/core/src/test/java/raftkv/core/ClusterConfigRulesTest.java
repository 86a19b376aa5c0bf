package raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The configuration value itself (dissertation §4.1, learners §4.2.1), rule by rule. */
class ClusterConfigRulesTest {

    private static final ClusterConfig ABC_D = new ClusterConfig(
            List.of(Member.ofId("a"), Member.ofId("b"), Member.ofId("c")), List.of(Member.ofId("d")));

    @Test
    void aMemberAppearsOnceAcrossVotersAndLearners_4_1() {
        assertThatThrownBy(() -> new ClusterConfig(List.of(Member.ofId("a")), List.of(Member.ofId("a"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("appears twice");
        assertThatThrownBy(() -> ClusterConfig.ofVoterIds(List.of("a", "b", "a")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aLearnerIsAMemberButNotAVoter_4_2_1() {
        assertThat(ABC_D.contains("d")).isTrue();
        assertThat(ABC_D.isLearner("d")).isTrue();
        assertThat(ABC_D.isVoter("d")).isFalse();
        assertThat(ABC_D.isLearner("a")).isFalse();
        assertThat(ABC_D.contains("e")).isFalse();
        assertThat(ABC_D.isLearner("e")).isFalse();
    }

    @Test
    void learnersNeverCountTowardAQuorum_4_2_1() {
        assertThat(ABC_D.hasQuorum(List.of("a", "d"))).isFalse();
        assertThat(ABC_D.hasQuorum(List.of("a", "a", "d", "e"))).isFalse();
        assertThat(ABC_D.hasQuorum(List.of("a", "b"))).isTrue();
    }

    @Test
    void aConfigurationWithoutVotersHasNoQuorum_4_1() {
        ClusterConfig onlyLearner = new ClusterConfig(List.of(), List.of(Member.ofId("d")));
        assertThat(onlyLearner.hasQuorum(List.of("d"))).isFalse();
        assertThat(ClusterConfig.EMPTY.hasQuorum(List.of())).isFalse();
        assertThat(ClusterConfig.EMPTY.quorumIndex(id -> 7)).isZero();
    }

    @Test
    void theCommitIndexIsWhatAMajorityOfVotersHold_5_3() {
        Map<String, Long> match = Map.of("a", 9L, "b", 5L, "c", 2L, "d", 100L);
        assertThat(ABC_D.quorumIndex(match::get)).isEqualTo(5);
    }

    @Test
    void onlyANonMemberCanBeAddedAsLearner_4_2_1() {
        assertThatThrownBy(() -> ABC_D.apply(new ConfigChange.AddLearner(Member.ofId("a"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("a member already");
        assertThatThrownBy(() -> ABC_D.apply(new ConfigChange.AddLearner(Member.ofId("d"))))
                .isInstanceOf(IllegalArgumentException.class);
        ClusterConfig added = ABC_D.apply(new ConfigChange.AddLearner(Member.ofId("e")));
        assertThat(added.learnerIds()).containsExactly("d", "e");
        assertThat(added.voterIds()).containsExactly("a", "b", "c");
    }

    @Test
    void onlyALearnerCanBePromotedAndItLeavesTheLearners_4_2_1() {
        ClusterConfig two = new ClusterConfig(List.of(Member.ofId("a")),
                List.of(Member.ofId("d"), Member.ofId("e")));
        ClusterConfig promoted = two.apply(new ConfigChange.Promote("e"));
        assertThat(promoted.voterIds()).containsExactly("a", "e");
        assertThat(promoted.learnerIds()).containsExactly("d");
        assertThatThrownBy(() -> two.apply(new ConfigChange.Promote("a")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a learner");
        assertThatThrownBy(() -> two.apply(new ConfigChange.Promote("z")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a learner");
    }

    @Test
    void removingTakesOutExactlyThatMember_4_1() {
        ClusterConfig noB = ABC_D.apply(new ConfigChange.Remove("b"));
        assertThat(noB.voterIds()).containsExactly("a", "c");
        assertThat(noB.learnerIds()).containsExactly("d");
        ClusterConfig noD = ABC_D.apply(new ConfigChange.Remove("d"));
        assertThat(noD.voterIds()).containsExactly("a", "b", "c");
        assertThat(noD.learnerIds()).isEmpty();
        assertThatThrownBy(() -> ABC_D.apply(new ConfigChange.Remove("z")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a member");
    }

    @Test
    void blankUrlsAreFilledFromTheKnownMemberAndGivenOnesKept_4_1() {
        ClusterConfig known = new ClusterConfig(
                List.of(new Member("a", "http://a:1", "http://a:2"), new Member("b", "http://b:1", "http://b:2")),
                List.of());
        ClusterConfig partial = new ClusterConfig(
                List.of(new Member("a", "", ""), new Member("b", "http://B:1", "http://B:2"), Member.ofId("c")),
                List.of());
        ClusterConfig filled = partial.withUrlsFrom(known);
        assertThat(filled.voters()).containsExactly(new Member("a", "http://a:1", "http://a:2"),
                new Member("b", "http://B:1", "http://B:2"), Member.ofId("c"));
    }

    @Test
    void toStringNamesVotersAndLearnersOnlyIfAny() {
        assertThat(ABC_D.toString()).isEqualTo("voters [a, b, c] learners [d]");
        assertThat(ClusterConfig.ofVoterIds(List.of("b", "a")).toString()).isEqualTo("voters [a, b]");
    }
}
