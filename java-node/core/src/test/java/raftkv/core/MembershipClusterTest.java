package raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Membership changes among live nodes ({@link MiniCluster}): a learner joins and is promoted; a removed node keeps quiet. */
class MembershipClusterTest {

    static final List<String> FOUR = List.of("n1", "n2", "n3", "n4");

    @Test
    void aRemovedNodeThatNeverLearnedOfItsRemovalDoesNotDisruptTheCluster_4_2_3_9_6() {
        MiniCluster cluster = new MiniCluster(FOUR);
        RaftNode leader = cluster.awaitLeader();
        String victim = FOUR.stream().filter(id -> !id.equals(leader.id())).findFirst().orElseThrow();
        cluster.cutOff.add(victim); // it will never receive the entry that removes it
        assertThat(leader.proposeConfigChange(new ConfigChange.Remove(victim)))
                .isInstanceOf(ConfigChangeResult.Accepted.class);
        cluster.tick(20);
        assertThat(leader.configuration().voterIds()).doesNotContain(victim);
        assertThat(leader.commitIndex()).isEqualTo(leader.status().lastLogIndex());
        long term = leader.currentTerm();

        // Back on the network, it still believes it is a voter; its election timer fires again and
        // again. PreVote (§9.6): the others heard from their leader within the minimum election timeout
        // and say no, so it never even raises its term; the leader stops sending it anything.
        cluster.cutOff.clear();
        RaftNode removed = cluster.nodes.get(victim);
        cluster.tick(30 * leader.config().electionTimeoutMaxTicks());
        assertThat(removed.configuration().voterIds()).contains(victim);
        assertThat(removed.role()).isNotEqualTo(Role.LEADER);
        assertThat(cluster.leader()).isSameAs(leader);
        assertThat(leader.currentTerm()).isEqualTo(term);
        for (RaftNode node : cluster.nodes.values()) {
            if (!node.id().equals(victim)) {
                assertThat(node.currentTerm()).as(node.id()).isEqualTo(term);
            }
        }
        assertThat(removed.currentTerm()).isEqualTo(term);
    }

    @Test
    void aNewNodeJoinsAsALearnerCatchesUpIsPromotedAndThenCounts_4_2_1() {
        MiniCluster cluster = new MiniCluster(FOUR.subList(0, 3));
        RaftNode leader = cluster.awaitLeader();
        for (int i = 0; i < 20; i++) {
            leader.propose(new Command.Put("k" + i, "v" + i), null);
        }
        cluster.tick(3);
        RaftNode n4 = cluster.join("n4");
        ConfigChangeResult result = leader.proposeConfigChange(new ConfigChange.AddLearner(Member.ofId("n4")));
        assertThat(result).isInstanceOf(ConfigChangeResult.Accepted.class);
        cluster.tick(10);
        assertThat(n4.configuration().learnerIds()).containsExactly("n4");
        assertThat(n4.commitIndex()).isEqualTo(leader.commitIndex());
        assertThat(leader.proposeConfigChange(new ConfigChange.Promote("n4")))
                .isInstanceOf(ConfigChangeResult.Accepted.class);
        cluster.tick(10);
        assertThat(n4.configuration().voterIds()).containsExactly("n1", "n2", "n3", "n4");
        // Four voters need three: with one of the old voters cut off, n4's acknowledgement commits ...
        List<String> others = FOUR.stream().filter(id -> !id.equals(leader.id()) && !id.equals("n4")).toList();
        cluster.cutOff.add(others.get(0));
        leader.propose(new Command.Put("x", "y"), null);
        cluster.tick(2);
        assertThat(leader.commitIndex()).isEqualTo(leader.status().lastLogIndex());
        // ... and without it, the leader and one other voter are two of four: nothing commits.
        cluster.cutOff.add("n4");
        leader.propose(new Command.Put("x", "z"), null);
        cluster.tick(2);
        assertThat(leader.commitIndex()).isLessThan(leader.status().lastLogIndex());
    }
}
