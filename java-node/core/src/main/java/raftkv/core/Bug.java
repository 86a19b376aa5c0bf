package raftkv.core;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * Deliberate violations of Raft, off by default. They exist so that the tests can prove the
 * checkers catch real bugs: each one must make the simulation (and Jepsen) report a violation.
 * Never enable one in production.
 */
public enum Bug {
    /** Serve reads from local state on any node, without ReadIndex (breaks §6.4). */
    STALE_READ("stale-read"),
    /** Commit entries of an earlier term by counting replicas (breaks §5.4.2, Figure 8). */
    COMMIT_PREVIOUS_TERM("commit-previous-term"),
    /** Lose votedFor on restart, so a node can vote twice in one term (breaks §5.2, Election Safety). */
    FORGET_VOTE("forget-vote"),
    /** The leader treats an entry as committed once it is in its own log (breaks §5.3's majority rule). */
    ACK_BEFORE_COMMIT("ack-before-commit"),
    /**
     * Snapshots hold the map but not the client-session table (breaks dissertation §6.3 with §5.1:
     * the sessions are part of the state machine, so a node restored from such a snapshot executes
     * commands its peers refuse, and answers retries differently).
     */
    SNAPSHOT_DROPS_SESSIONS("snapshot-drops-sessions"),
    /**
     * A node answers {@code Refused} to a copy of a forwarded proposal it may have appended: a
     * duplicate while it leads, or any copy after it stopped leading the forward's term (breaks
     * exactly-once: the follower reports a definite failure, its client retries, and the entry may
     * still commit, so a command without a session applies twice).
     */
    RETRY_REFUSED_FORWARD("retry-refused-forward"),
    /**
     * The leader appends a configuration change while another is uncommitted, and before its own
     * term's no-op commits (breaks dissertation §4.1 and its errata: two configurations two servers
     * apart can have disjoint majorities, so two leaders commit different entries).
     */
    CONCURRENT_CONFIG_CHANGES("concurrent-config-changes");

    private final String flag;

    Bug(String flag) {
        this.flag = flag;
    }

    /** The name used on command lines, e.g. {@code stale-read}. */
    public String flag() {
        return flag;
    }

    public static Bug fromFlag(String flag) {
        for (Bug bug : values()) {
            if (bug.flag.equals(flag)) {
                return bug;
            }
        }
        throw new IllegalArgumentException("unknown bug '" + flag + "'; known bugs: " + allFlags());
    }

    public static String allFlags() {
        return Arrays.stream(values()).map(Bug::flag).collect(Collectors.joining(", "));
    }
}
