package raftkv.server.identity;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import raftkv.server.identity.BootstrapDecision.RaftState;
import raftkv.server.identity.BootstrapDecision.Verdict;
import raftkv.storage.StoredIdentity;

/** Issue 20: a node that lost its data is a new node; a brand-new cluster still starts by itself. */
class BootstrapDecisionTest {

    private static final Set<String> MEMBERS = Set.of("n1", "n2", "n3");
    private static final StoredIdentity.Bootstrapping N1 = new StoredIdentity.Bootstrapping("n1", 11);

    private static PeerIdentity bootstrapping(String node, long incarnation, long term) {
        return new PeerIdentity(node, StoredIdentity.format(incarnation), null, null, term, 0);
    }

    private static PeerIdentity member(String node, Map<String, Long> table, long term, long lastIndex) {
        SortedMap<String, Long> incarnations = new TreeMap<>(table);
        SortedMap<String, String> members = new TreeMap<>();
        incarnations.forEach((id, inc) -> members.put(id, StoredIdentity.format(inc)));
        return new PeerIdentity(node, members.get(node), BootstrapDecision.clusterId(incarnations), members, term,
                lastIndex);
    }

    private static Verdict decide(StoredIdentity.Bootstrapping self, RaftState state, Map<String, PeerIdentity> answers) {
        return BootstrapDecision.decide(self, state, MEMBERS, answers, "HINT --join");
    }

    @Test
    void aNewClusterWaitsUntilEveryMemberDescribedItsDirectory() {
        assertThat(decide(N1, RaftState.EMPTY, Map.of("n2", bootstrapping("n2", 22, 0))))
                .isEqualTo(new Verdict.Wait(new java.util.TreeSet<>(Set.of("n3"))));
    }

    @Test
    void aNewClusterIsTheSetOfItsDirectoriesAndEveryMemberNamesItAlike() {
        Verdict fromN1 = decide(N1, RaftState.EMPTY, Map.of("n2", bootstrapping("n2", 22, 0),
                "n3", bootstrapping("n3", 33, 0)));
        Verdict fromN3 = BootstrapDecision.decide(new StoredIdentity.Bootstrapping("n3", 33), RaftState.EMPTY, MEMBERS,
                Map.of("n1", bootstrapping("n1", 11, 0), "n2", bootstrapping("n2", 22, 0)), "HINT");
        assertThat(fromN1).isInstanceOf(Verdict.Join.class);
        StoredIdentity.Member n1 = ((Verdict.Join) fromN1).identity();
        StoredIdentity.Member n3 = ((Verdict.Join) fromN3).identity();
        assertThat(n1.incarnations()).isEqualTo(Map.of("n1", 11L, "n2", 22L, "n3", 33L));
        assertThat(n1.clusterId()).isEqualTo(n3.clusterId()).hasSize(16);
        assertThat(n1.incarnations()).isEqualTo(n3.incarnations());
    }

    @Test
    void aLateMemberOfTheFirstStartJoinsTheTableItsPeersAlreadyHold() {
        Map<String, Long> table = Map.of("n1", 11L, "n2", 22L, "n3", 33L);
        Verdict verdict = decide(N1, RaftState.EMPTY, Map.of("n2", member("n2", table, 3, 40)));
        assertThat(verdict).isInstanceOf(Verdict.Join.class);
        assertThat(((Verdict.Join) verdict).identity().incarnations()).isEqualTo(table);
    }

    @Test
    void aNodeWhoseDirectoryTheClusterKnowsByAnotherIncarnationLostItsDataAndIsRefused_5_2() {
        // n1 voted with incarnation 10 before its directory was wiped; it is 11 now.
        Map<String, Long> table = Map.of("n1", 10L, "n2", 22L, "n3", 33L);
        Verdict verdict = decide(N1, RaftState.EMPTY, Map.of("n2", member("n2", table, 7, 100)));
        assertThat(verdict).isInstanceOf(Verdict.Refuse.class);
        assertThat(((Verdict.Refuse) verdict).reason()).contains("lost its data").contains("--join");
    }

    @Test
    void oneAnswerFromAnEstablishedMemberIsEnoughToRefuseEvenWithOthersDown() {
        Map<String, Long> table = Map.of("n1", 10L, "n2", 22L, "n3", 33L);
        assertThat(decide(N1, RaftState.EMPTY, Map.of("n3", member("n3", table, 7, 100))))
                .isInstanceOf(Verdict.Refuse.class);
    }

    @Test
    void aNodeThatIsNotInTheClustersTableIsRefused() {
        Map<String, Long> table = Map.of("n2", 22L, "n3", 33L);
        Verdict verdict = decide(N1, RaftState.EMPTY, Map.of("n2", member("n2", table, 7, 100)));
        assertThat(((Verdict.Refuse) verdict).reason()).contains("not one of them");
    }

    @Test
    void anEmptyDirectoryBesidePeersWithRaftStateButNoIdentityIsRefused() {
        // Peers written by an older raftkv (no identity yet) that have voted: an empty n1 may have voted too.
        Verdict verdict = decide(N1, RaftState.EMPTY, Map.of("n2", bootstrapping("n2", 22, 5),
                "n3", bootstrapping("n3", 33, 0)));
        assertThat(((Verdict.Refuse) verdict).reason()).contains("may have lost its data");
        // The same peers with n1's own Raft state (all upgraded together): a new cluster of the three.
        assertThat(decide(N1, RaftState.PRESENT, Map.of("n2", bootstrapping("n2", 22, 5),
                "n3", bootstrapping("n3", 33, 0)))).isInstanceOf(Verdict.Join.class);
    }

    @Test
    void aTableWhoseClusterIdIsNotItsDigestIsRefused() {
        PeerIdentity honest = member("n2", Map.of("n1", 11L, "n2", 22L, "n3", 33L), 1, 1);
        PeerIdentity forged = new PeerIdentity("n2", honest.incarnation(), "0000000000000000", honest.members(), 1, 1);
        assertThat(decide(N1, RaftState.EMPTY, Map.of("n2", forged))).isInstanceOf(Verdict.Refuse.class);
    }

    @Test
    void aClusterWithOtherMembersThanPeersIsRefused() {
        Map<String, Long> table = Map.of("n1", 11L, "n2", 22L, "n3", 33L, "n4", 44L);
        Verdict verdict = decide(N1, RaftState.EMPTY, Map.of("n2", member("n2", table, 1, 1)));
        assertThat(((Verdict.Refuse) verdict).reason()).contains("--peers");
    }
}
