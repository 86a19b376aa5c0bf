package raftkv.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.random.RandomGenerator;

/**
 * Which pairs of nodes can talk, in the shapes Jepsen's partition nemeses use. Links are
 * symmetric; a node always reaches itself. Clients are never partitioned (as in Jepsen, where they
 * run on the control node).
 *
 * @param description e.g. {@code "n1 n2 | n3 n4 n5"}
 * @param links the connected pairs, each written {@code "a|b"} with a < b
 */
record Partition(String name, String description, Set<String> links) {

    static final Partition NONE = new Partition("none", "fully connected", null);

    Partition {
        links = links == null ? null : Set.copyOf(links);
    }

    boolean connected(String a, String b) {
        return links == null || a.equals(b) || links.contains(link(a, b));
    }

    private static String link(String a, String b) {
        return a.compareTo(b) < 0 ? a + "|" + b : b + "|" + a;
    }

    /** Two sides that cannot reach each other; each side is fully connected inside. */
    static Partition split(String name, List<String> sideA, List<String> sideB) {
        Set<String> links = new TreeSet<>();
        connectAll(sideA, links);
        connectAll(sideB, links);
        return new Partition(name, String.join(" ", sideA) + " | " + String.join(" ", sideB), links);
    }

    /** Jepsen's random halves: a random minority cut off from the majority. */
    static Partition randomHalves(List<String> nodes, RandomGenerator random) {
        List<String> shuffled = shuffled(nodes, random);
        int half = nodes.size() / 2;
        return split("halves", sorted(shuffled.subList(0, half)), sorted(shuffled.subList(half, nodes.size())));
    }

    /** The leader alone on one side: it must step down (CheckQuorum) and the rest elect anew. */
    static Partition isolate(String node, List<String> nodes) {
        List<String> rest = nodes.stream().filter(n -> !n.equals(node)).toList();
        return split("isolated " + node, List.of(node), rest);
    }

    /**
     * Jepsen's majorities ring: nodes on a shuffled ring, each linked to its neighbours only, so
     * every node sees a majority (itself and two neighbours, of five) but no two see the same one.
     */
    static Partition majoritiesRing(List<String> nodes, RandomGenerator random) {
        List<String> ring = shuffled(nodes, random);
        Set<String> links = new TreeSet<>();
        int reach = nodes.size() / 2; // neighbours on each side needed for a majority with oneself
        StringBuilder description = new StringBuilder("ring");
        for (int i = 0; i < ring.size(); i++) {
            description.append(' ').append(ring.get(i));
            for (int d = 1; d <= reach / 2 + reach % 2; d++) {
                links.add(link(ring.get(i), ring.get((i + d) % ring.size())));
            }
        }
        return new Partition("majorities-ring", description.toString(), links);
    }

    /**
     * Jepsen's bridge: two halves that cannot reach each other, and one node that reaches both (so
     * both sides may believe they have a majority through it).
     */
    static Partition bridge(List<String> nodes, RandomGenerator random) {
        List<String> shuffled = shuffled(nodes, random);
        String bridge = shuffled.getFirst();
        int half = (nodes.size() - 1) / 2;
        List<String> a = sorted(shuffled.subList(1, 1 + half));
        List<String> b = sorted(shuffled.subList(1 + half, nodes.size()));
        Set<String> links = new TreeSet<>();
        connectAll(a, links);
        connectAll(b, links);
        for (String n : nodes) {
            if (!n.equals(bridge)) {
                links.add(link(bridge, n));
            }
        }
        return new Partition("bridge", String.join(" ", a) + " <" + bridge + "> " + String.join(" ", b), links);
    }

    private static void connectAll(List<String> side, Set<String> links) {
        for (String a : side) {
            for (String b : side) {
                if (a.compareTo(b) < 0) {
                    links.add(link(a, b));
                }
            }
        }
    }

    private static List<String> shuffled(List<String> nodes, RandomGenerator random) {
        List<String> copy = new ArrayList<>(nodes);
        for (int i = copy.size() - 1; i > 0; i--) { // Fisher–Yates with the run's generator
            int j = random.nextInt(i + 1);
            copy.set(i, copy.set(j, copy.get(i)));
        }
        return copy;
    }

    private static List<String> sorted(List<String> nodes) {
        return nodes.stream().sorted().toList();
    }

    @Override
    public String toString() {
        return description;
    }
}
