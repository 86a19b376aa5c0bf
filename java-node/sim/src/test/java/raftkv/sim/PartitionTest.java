package raftkv.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/** The partition shapes connect exactly the nodes Jepsen's nemeses would. */
class PartitionTest {

    private static final List<String> FIVE = List.of("n1", "n2", "n3", "n4", "n5");

    private static long reachable(Partition p, String node) {
        return FIVE.stream().filter(other -> p.connected(node, other)).count(); // itself included
    }

    @Test
    void isolatingANodeCutsItFromEveryoneElse() {
        Partition p = Partition.isolate("n3", FIVE);
        assertThat(reachable(p, "n3")).isEqualTo(1);
        assertThat(p.connected("n1", "n5")).isTrue();
        assertThat(p.connected("n3", "n1")).isFalse();
    }

    @RepeatedTest(20)
    void randomHalvesLeaveExactlyOneMajoritySide() {
        Partition p = Partition.randomHalves(FIVE, new SplittableRandom(System.nanoTime()));
        long inMajority = FIVE.stream().filter(n -> reachable(p, n) >= 3).count();
        assertThat(inMajority).isEqualTo(3);
        assertThat(FIVE.stream().filter(n -> reachable(p, n) == 2).count()).isEqualTo(2);
    }

    @RepeatedTest(20)
    void inAMajoritiesRingEveryNodeSeesAMajorityButNoTwoTheSameOne() {
        Partition p = Partition.majoritiesRing(FIVE, new SplittableRandom(System.nanoTime()));
        for (String node : FIVE) {
            assertThat(reachable(p, node)).as(node + " in " + p).isEqualTo(3);
        }
        long distinctViews = FIVE.stream()
                .map(n -> FIVE.stream().filter(o -> p.connected(n, o)).toList())
                .distinct()
                .count();
        assertThat(distinctViews).isEqualTo(5);
    }

    @RepeatedTest(20)
    void aBridgeReachesBothHalvesWhichCannotReachEachOther() {
        Partition p = Partition.bridge(FIVE, new SplittableRandom(System.nanoTime()));
        List<String> bridges = FIVE.stream().filter(n -> reachable(p, n) == 5).toList();
        assertThat(bridges).as(p.toString()).hasSize(1);
        assertThat(FIVE.stream().filter(n -> reachable(p, n) == 3).count()).isEqualTo(4);
    }

    @Test
    void linksAreSymmetric() {
        Partition p = Partition.bridge(FIVE, new SplittableRandom(7));
        for (String a : FIVE) {
            for (String b : FIVE) {
                assertThat(p.connected(a, b)).isEqualTo(p.connected(b, a));
            }
        }
    }
}
