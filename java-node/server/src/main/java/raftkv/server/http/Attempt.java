package raftkv.server.http;

/** What one attempt on this node gave: an answer for the client, or "ask again". */
sealed interface Attempt {
    record Answer(int status, Object body) implements Attempt {}

    /** Nothing was appended here; {@code leaderHint} (may be null) may take it. */
    record NotLeader(String leaderHint) implements Attempt {}

    /**
     * The outcome is unknown, but the write carries a session this node lent it: another copy
     * applies at most once, so the node proposes it again.
     */
    record TryAgain() implements Attempt {}
}
