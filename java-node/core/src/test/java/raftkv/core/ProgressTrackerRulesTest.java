package raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The leader's per-member bookkeeping (§5.3 commit, §6.2 CheckQuorum, §6.4 ReadIndex, §3.10 transfer
 * target) over voters only; learners (§4.2.1) and nodes that lost their data never count.
 */
class ProgressTrackerRulesTest {

    private static ClusterConfig config(List<String> voters, List<String> learners) {
        return new ClusterConfig(voters.stream().map(Member::ofId).toList(),
                learners.stream().map(Member::ofId).toList());
    }

    private static ProgressTracker tracker(List<String> voters, List<String> learners) {
        return new ProgressTracker("a", config(voters, learners), 10, 4);
    }

    @Test
    void theLeaderTracksEveryOtherMemberVotersAndLearners_4_2_1() {
        ProgressTracker t = tracker(List.of("a", "b", "c"), List.of("d"));
        assertThat(t.followers().keySet()).containsExactly("b", "c", "d");
        assertThat(t.followers().get("d").nextIndex).isEqualTo(10);
        assertThat(t.configuration()).isEqualTo(config(List.of("a", "b", "c"), List.of("d")));
    }

    @Test
    void syncKeepsProgressOfStayingMembersAndForgetsRemovedOnes_4_1() {
        ProgressTracker t = tracker(List.of("a", "b", "c"), List.of("d"));
        t.followers().get("b").matchIndex = 7;
        t.markLostData("c");
        t.sync(config(List.of("a", "b"), List.of("e")), 20, 4);
        assertThat(t.followers().keySet()).containsExactly("b", "e");
        assertThat(t.followers().get("b").matchIndex).isEqualTo(7);
        assertThat(t.followers().get("e").nextIndex).isEqualTo(20);
        assertThat(t.lostData()).isEmpty();
    }

    @Test
    void syncKeepsTheLostDataMarkOfAMemberStillInTheConfiguration() {
        ProgressTracker t = tracker(List.of("a", "b", "c"), List.of());
        t.markLostData("c");
        t.sync(config(List.of("a", "b", "c"), List.of("e")), 20, 4);
        assertThat(t.lostData()).containsExactly("c");
    }

    @Test
    void learnerNeverCountsTowardCommitQuorum_4_2_1() {
        ProgressTracker t = tracker(List.of("a", "b", "c"), List.of("d"));
        t.followers().get("d").matchIndex = 50;
        t.followers().get("b").matchIndex = 3;
        assertThat(t.committedIndex(40)).isEqualTo(3);
    }

    @Test
    void theLeaderCountsItselfOnlyUpToWhatItPersisted_5_3() {
        ProgressTracker t = tracker(List.of("a", "b", "c"), List.of());
        t.followers().get("b").matchIndex = 9;
        t.followers().get("c").matchIndex = 9;
        assertThat(t.committedIndex(4)).isEqualTo(9);
        t.followers().get("c").matchIndex = 2;
        assertThat(t.committedIndex(4)).isEqualTo(4);
    }

    @Test
    void aNodeThatLostItsDataCountsForNothingInTheCommitIndex() {
        ProgressTracker t = tracker(List.of("a", "b", "c"), List.of());
        t.followers().get("b").matchIndex = 9;
        t.followers().get("c").matchIndex = 9;
        t.markLostData("b");
        assertThat(t.committedIndex(1)).isEqualTo(1);
    }

    @Test
    void checkQuorumNeedsAMajorityOfVotersNotLearners_6_2() {
        ProgressTracker t = tracker(List.of("a", "b", "c"), List.of("d", "e"));
        t.followers().get("d").recentlyActive = true;
        t.followers().get("e").recentlyActive = true;
        assertThat(t.heardFromQuorum()).isFalse();
        t.followers().get("b").recentlyActive = true;
        assertThat(t.heardFromQuorum()).isTrue();
        assertThat(t.heardFromQuorum()).as("each check starts a new window").isFalse();
    }

    @Test
    void checkQuorumIgnoresANodeThatLostItsData_6_2() {
        ProgressTracker t = tracker(List.of("a", "b", "c"), List.of());
        t.markLostData("b");
        t.followers().get("b").recentlyActive = true;
        assertThat(t.heardFromQuorum()).isFalse();
    }

    @Test
    void readIndexIsConfirmedByAMajorityOfVotersFromThatRoundOn_6_4() {
        ProgressTracker t = tracker(List.of("a", "b", "c"), List.of("d"));
        t.followers().get("d").ackedRound = 5;
        assertThat(t.confirmedSince(5)).isFalse();
        t.followers().get("b").ackedRound = 4;
        assertThat(t.confirmedSince(5)).isFalse();
        t.followers().get("b").ackedRound = 5;
        assertThat(t.confirmedSince(5)).isTrue();
        t.markLostData("b");
        assertThat(t.confirmedSince(5)).isFalse();
    }

    @Test
    void lostDataIsReportedTheFirstTimeOnly() {
        ProgressTracker t = tracker(List.of("a", "b", "c"), List.of());
        assertThat(t.markLostData("b")).isTrue();
        assertThat(t.markLostData("b")).isFalse();
        assertThat(t.followers().get("b").lostData).isTrue();
        assertThat(t.lostData()).containsExactly("b");
    }

    @Test
    void theTransferTargetIsTheMostUpToDateVoterNeverALearnerOrLostNode_3_10() {
        ProgressTracker t = tracker(List.of("a", "b", "c", "e"), List.of("d"));
        t.followers().get("b").matchIndex = 5;
        t.followers().get("c").matchIndex = 8;
        t.followers().get("e").matchIndex = 8;
        t.followers().get("d").matchIndex = 100;
        assertThat(t.mostUpToDateVoter()).as("the first of equals, by id").isEqualTo("c");
        t.markLostData("c");
        assertThat(t.mostUpToDateVoter()).isEqualTo("e");
        t.markLostData("e");
        t.markLostData("b");
        assertThat(t.mostUpToDateVoter()).isNull();
    }

    @Test
    void matchIndexesListEveryFollower() {
        ProgressTracker t = tracker(List.of("a", "b"), List.of("d"));
        t.followers().get("d").matchIndex = 3;
        assertThat(t.matchIndexes()).containsEntry("b", 0L).containsEntry("d", 3L).hasSize(2);
    }
}
