package raftkv.storage;

import java.util.Collections;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Who a data directory belongs to ({@link IdentityFile}): the node, the directory's incarnation (a
 * random number drawn when the directory was first used, never again), and, once the cluster's
 * first start is over, the cluster and the incarnation of every member's directory.
 *
 * <p>A node that loses its directory loses its incarnation with it, and with it every vote it gave:
 * the incarnation is how its peers tell the new directory from the old one (issue 20).
 */
public sealed interface StoredIdentity {

    String node();

    /** This directory's incarnation: drawn at random when it was first used, never 0. */
    long incarnation();

    /** The directory is the node's, its incarnation fixed, but the cluster's first start is not over. */
    record Bootstrapping(String node, long incarnation) implements StoredIdentity {
        public Bootstrapping {
            Objects.requireNonNull(node, "node");
            if (incarnation == 0) {
                throw new IllegalArgumentException("incarnation 0 is reserved");
            }
        }
    }

    /**
     * The node belongs to cluster {@code clusterId}, whose members' data directories are
     * {@code incarnations} (this node's own included).
     */
    record Member(String node, long incarnation, String clusterId, SortedMap<String, Long> incarnations)
            implements StoredIdentity {
        public Member {
            Objects.requireNonNull(node, "node");
            Objects.requireNonNull(clusterId, "clusterId");
            incarnations = Collections.unmodifiableSortedMap(new TreeMap<>(incarnations));
            if (!Objects.equals(incarnations.get(node), incarnation)) {
                throw new IllegalArgumentException("the members' incarnations must hold this node's own: " + node
                        + "=" + incarnation + " vs " + incarnations);
            }
        }
    }

    /** An incarnation as it is shown and sent: 16 hex digits. */
    static String format(long incarnation) {
        return String.format("%016x", incarnation);
    }

    /** The inverse of {@link #format}; throws {@link IllegalArgumentException} on anything else. */
    static long parse(String text) {
        if (text == null || text.length() != 16) {
            throw new IllegalArgumentException("an incarnation is 16 hex digits, got " + text);
        }
        try {
            return Long.parseUnsignedLong(text, 16);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("an incarnation is 16 hex digits, got " + text, e);
        }
    }
}
