package raftkv.server.history;

import java.util.Locale;

/**
 * One thing that happened to a node, as the node itself saw it, with the wall-clock time it saw it
 * at ({@code GET /events}).
 *
 * @param seq this process's number for the event: 1, 2, 3, ... (it restarts with the process)
 * @param timeMillis wall-clock time, milliseconds since the epoch
 * @param term the node's term when it saw the event
 * @param text what happened, in words, naming the node it happened to
 */
public record NodeEvent(long seq, long timeMillis, Kind kind, long term, String text) {

    /** What kind of thing happened; JSON spells it in lower case with dashes ({@link #label()}). */
    public enum Kind {
        /** The process started (its history begins here). */
        STARTED,
        /** The node's role changed: pre-vote, candidacy, stepping down (§5.1, §5.2, §9.6). */
        ROLE,
        /** This node won an election and leads the term (§5.2). */
        ELECTED,
        /** The node learned of a (new) leader for its term. */
        LEADER,
        /** A leadership transfer was started here (dissertation §3.10). */
        TRANSFER,
        /** This node took a snapshot and compacted its log (§5.1 of the dissertation's chapter 5). */
        SNAPSHOT_TAKEN,
        /** This node installed a snapshot the leader sent (InstallSnapshot). */
        SNAPSHOT_INSTALLED,
        /** Nothing was heard from a peer this node expects to hear from. */
        PEER_LOST,
        /** A peer marked lost was heard from again. */
        PEER_REGAINED,
        /**
         * This node's latest configuration changed (dissertation §4.1: in force once in its log,
         * committed or not): a member added (as a learner), promoted, or removed.
         */
        CONFIGURATION,
        /** Test-only fault injection cut or restored this node's Raft traffic (POST /admin/fault/*). */
        FAULT;

        public String label() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }
}
