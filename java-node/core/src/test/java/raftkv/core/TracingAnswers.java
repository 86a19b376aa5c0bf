package raftkv.core;

import java.util.List;

/**
 * The driver's {@link Driver.Answers} for tests: each outcome becomes one line of a trace, so a test
 * can assert what was answered and in which order. Proposals and reads are named by strings.
 */
final class TracingAnswers implements Driver.Answers<String, String> {

    private final List<String> trace;
    private final boolean forwardsExpected;

    private TracingAnswers(List<String> trace, boolean forwardsExpected) {
        this.trace = trace;
        this.forwardsExpected = forwardsExpected;
    }

    /** For a node that only proposes as leader: any answer about a forward fails the test. */
    static TracingAnswers withoutForwards(List<String> trace) {
        return new TracingAnswers(trace, false);
    }

    /** For a follower that forwards its proposals to the leader: those answers are traced too. */
    static TracingAnswers withForwards(List<String> trace) {
        return new TracingAnswers(trace, true);
    }

    @Override
    public void applied(String proposal, Result result) {
        trace.add("applied " + proposal + " " + result);
    }

    @Override
    public void superseded(String proposal, Session session, LogEntry committed, KvStore kv) {
        trace.add("superseded " + proposal + " by term " + committed.term());
    }

    @Override
    public void compactedAway(String proposal, Session session, KvStore kv) {
        trace.add("compacted away " + proposal);
    }

    @Override
    public void forwardRefused(String proposal, String leaderHint) {
        requireForwards();
        trace.add("refused " + proposal + ", ask " + leaderHint);
    }

    @Override
    public void forwardUnanswered(String proposal, Session session, KvStore kv) {
        requireForwards();
        trace.add("unanswered " + proposal);
    }

    @Override
    public void serveRead(String read, KvStore kv) {
        trace.add("serve " + read + " at applied " + kv.lastApplied());
    }

    @Override
    public void readDropped(String read) {
        trace.add("dropped " + read);
    }

    private void requireForwards() {
        if (!forwardsExpected) {
            throw new AssertionError("nothing is forwarded here");
        }
    }
}
