package raftkv.server.identity;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import raftkv.storage.StoredIdentity;

/** Every peer message presents its cluster and data-directory incarnation (issue 20). */
class IdentityGateTest {

    private static final List<String> MEMBERS = List.of("n1", "n2", "n3");

    private static String hex(String id) {
        return StoredIdentity.format(TestIdentities.incarnation(id));
    }

    @Test
    void beforeTheFirstStartIsOverNoPeerMessageIsTaken() {
        IdentityGate gate = new IdentityGate(new StoredIdentity.Bootstrapping("n1", 5));
        gate.waiting("not heard from [n3]");
        String cluster = TestIdentities.member("n1", MEMBERS).clusterId();
        assertThat(gate.check("n2", cluster, hex("n2"))).isInstanceOf(IdentityGate.Check.NotReady.class);
        assertThat(gate.credentials()).isEmpty();
        assertThat(gate.refused()).isEqualTo(1);
        assertThat(gate.describe(new raftkv.server.NodeStatus("n1", "follower", 0, null, 0, 0, 0, 0,
                java.util.Map.of(), 0, 0, 0, 0, 0)).belongsToCluster()).isFalse();
    }

    @Test
    void aMemberPresentingTheKnownIncarnationIsAccepted() {
        IdentityGate gate = new IdentityGate(TestIdentities.member("n1", MEMBERS));
        String cluster = TestIdentities.member("n1", MEMBERS).clusterId();
        assertThat(gate.check("n2", cluster, hex("n2"))).isInstanceOf(IdentityGate.Check.Accepted.class);
        assertThat(gate.refused()).isZero();
    }

    @Test
    void aWipedMembersNewIncarnationIsRefusedSoItsVotesNeverCount_5_2() {
        IdentityGate gate = new IdentityGate(TestIdentities.member("n1", MEMBERS));
        String cluster = TestIdentities.member("n1", MEMBERS).clusterId();
        IdentityGate.Check check = gate.check("n2", cluster, StoredIdentity.format(12345));
        assertThat(check).isInstanceOf(IdentityGate.Check.Refused.class);
        assertThat(((IdentityGate.Check.Refused) check).reason()).contains("lost its data");
        assertThat(gate.refused()).isEqualTo(1);
    }

    @Test
    void anotherClusterAMissingHeaderOrAStrangerIsRefused() {
        IdentityGate gate = new IdentityGate(TestIdentities.member("n1", MEMBERS));
        String cluster = TestIdentities.member("n1", MEMBERS).clusterId();
        assertThat(gate.check("n2", "another", hex("n2"))).isInstanceOf(IdentityGate.Check.Refused.class);
        assertThat(gate.check("n2", null, hex("n2"))).isInstanceOf(IdentityGate.Check.Refused.class);
        assertThat(gate.check("n2", cluster, null)).isInstanceOf(IdentityGate.Check.Refused.class);
        assertThat(gate.check("n2", cluster, "xyz")).isInstanceOf(IdentityGate.Check.Refused.class);
        assertThat(gate.check("n9", cluster, hex("n9"))).isInstanceOf(IdentityGate.Check.Refused.class);
        assertThat(gate.refused()).isEqualTo(5);
    }

    @Test
    void aMemberAddedLaterIsTrustedOnFirstUseSavedAndThenHeldToIt_4_2_1() throws Exception {
        List<raftkv.storage.StoredIdentity> saved = new java.util.ArrayList<>();
        IdentityGate gate = new IdentityGate(TestIdentities.member("n1", MEMBERS), saved::add);
        String cluster = TestIdentities.member("n1", MEMBERS).clusterId();
        assertThat(gate.check("n4", cluster, hex("n4"))).as("not in the configuration")
                .isInstanceOf(IdentityGate.Check.Refused.class);

        gate.configurationChanged(config(List.of("n1", "n2", "n3"), List.of("n4")));
        assertThat(gate.check("n4", cluster, hex("n4"))).isInstanceOf(IdentityGate.Check.Accepted.class);
        assertThat(saved).as("saved before its message was taken").hasSize(1);
        assertThat(gate.member().orElseThrow().incarnations()).containsKey("n4");
        assertThat(gate.check("n4", cluster, StoredIdentity.format(99))).as("another directory under n4's id")
                .isInstanceOf(IdentityGate.Check.Refused.class);
    }

    @Test
    void aRemovedMemberIsForgottenSoItsIdCanComeBackWithANewDirectory() throws Exception {
        List<raftkv.storage.StoredIdentity> saved = new java.util.ArrayList<>();
        IdentityGate gate = new IdentityGate(TestIdentities.member("n1", MEMBERS), saved::add);
        String cluster = TestIdentities.member("n1", MEMBERS).clusterId();
        gate.configurationChanged(config(List.of("n1", "n2"), List.of()));
        assertThat(gate.member().orElseThrow().incarnations()).doesNotContainKey("n3");
        assertThat(saved).hasSize(1);
        assertThat(gate.check("n3", cluster, hex("n3"))).isInstanceOf(IdentityGate.Check.Refused.class);

        gate.configurationChanged(config(List.of("n1", "n2"), List.of("n3"))); // back as a learner, new directory
        assertThat(gate.check("n3", cluster, StoredIdentity.format(77))).isInstanceOf(IdentityGate.Check.Accepted.class);
    }

    @Test
    void aJoiningNodeWithoutAConfigurationForgetsNobody() throws Exception {
        IdentityGate gate = new IdentityGate(TestIdentities.member("n1", MEMBERS), m -> {
            throw new AssertionError("nothing to save");
        });
        gate.configurationChanged(raftkv.core.ClusterConfig.EMPTY);
        assertThat(gate.member().orElseThrow().incarnations()).containsOnlyKeys(MEMBERS);
    }

    @Test
    void aMemberPinnedByItsConfigurationEntryIsKnownWithoutEverHavingBeenHeardFrom() throws Exception {
        IdentityGate gate = new IdentityGate(TestIdentities.member("n1", MEMBERS), m -> {
            throw new AssertionError("a pinned member needs no table entry");
        });
        String cluster = TestIdentities.member("n1", MEMBERS).clusterId();
        raftkv.core.Member n4 = new raftkv.core.Member("n4", "http://h:1", PinnedIncarnation.pin("http://h:2", 44));
        gate.configurationChanged(new raftkv.core.ClusterConfig(
                List.of(raftkv.core.Member.ofId("n1"), raftkv.core.Member.ofId("n2"), raftkv.core.Member.ofId("n3"), n4),
                List.of()));
        assertThat(gate.check("n4", cluster, StoredIdentity.format(44))).isInstanceOf(IdentityGate.Check.Accepted.class);
        // A stale node whose log pins n4's earlier directory refuses a new one under n4's id (§5.2).
        assertThat(gate.check("n4", cluster, StoredIdentity.format(45))).isInstanceOf(IdentityGate.Check.Refused.class);
        assertThat(PinnedIncarnation.of(n4)).contains(44L);
        assertThat(PinnedIncarnation.of(raftkv.core.Member.ofId("n1"))).isEmpty();
    }

    private static raftkv.core.ClusterConfig config(List<String> voters, List<String> learners) {
        return new raftkv.core.ClusterConfig(voters.stream().map(raftkv.core.Member::ofId).toList(),
                learners.stream().map(raftkv.core.Member::ofId).toList());
    }
}
