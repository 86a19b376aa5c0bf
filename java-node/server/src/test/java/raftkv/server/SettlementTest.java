package raftkv.server;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import raftkv.core.Command;
import raftkv.core.KvStore;
import raftkv.core.LogEntry;
import raftkv.core.Result;
import raftkv.core.Session;

/**
 * {@link Settlement#settle}: what a client hears when the entry at its proposal's index commits.
 * Our copy was appended in term 2 at index 4; the log before it: session "1" opened at index 1.
 */
class SettlementTest {

    private static final long OUR_TERM = 2;
    private static final Session OURS = new Session("1", 5);

    private final KvStore kv = new KvStore();
    private long index;

    SettlementTest() {
        apply(1, new Command.OpenSession(), null); // client "1"
    }

    private LogEntry entry(long term, Command command, Session session) {
        return new LogEntry(term, ++index, command, session);
    }

    private Result apply(long term, Command command, Session session) {
        return kv.apply(entry(term, command, session));
    }

    /** Commits {@code entry} at our index and settles our pending proposal with it. */
    private WriteOutcome settleWith(LogEntry committed, Session ours) {
        Result result = kv.apply(committed);
        return Settlement.settle(OUR_TERM, ours, committed, result, kv);
    }

    @Test
    void ourOwnCopyCommittedIsAppliedWithItsResult_5_3() {
        LogEntry ourCopy = entry(OUR_TERM, new Command.Put("k", "v"), OURS);
        assertThat(settleWith(ourCopy, OURS)).isEqualTo(new WriteOutcome.Applied(new Result.Ok("v")));
    }

    @Test
    void ourOwnCopyWithoutASessionCommittedIsApplied_5_3() {
        LogEntry ourCopy = entry(OUR_TERM, new Command.Put("k", "v"), null);
        assertThat(settleWith(ourCopy, null)).isEqualTo(new WriteOutcome.Applied(new Result.Ok("v")));
    }

    @Test
    void supersededWithoutASessionIsDefinitelySuperseded() {
        LogEntry theirs = entry(3, new Command.Put("k", "theirs"), null);
        assertThat(settleWith(theirs, null)).isEqualTo(new WriteOutcome.Superseded());
    }

    @Test
    void supersededAfterAnotherCopyOfTheSameOperationExecutedAnswersThatCopysResult_6_3() {
        apply(1, new Command.Put("k", "v"), OURS); // the client's first attempt, through the old leader
        LogEntry theirs = entry(3, new Command.Put("k", "theirs"), null);
        assertThat(settleWith(theirs, OURS)).isEqualTo(new WriteOutcome.Applied(new Result.Ok("v")));
    }

    @Test
    void supersededByAnotherCopyOfTheSameOperationAnswersItsResult_6_3() {
        LogEntry otherCopy = entry(3, new Command.Put("k", "v"), OURS); // a retry, via the new leader
        assertThat(settleWith(otherCopy, OURS)).isEqualTo(new WriteOutcome.Applied(new Result.Ok("v")));
    }

    @Test
    void supersededWithNoCopyExecutedYetIsUnknown_6_3() {
        LogEntry theirs = entry(3, new Command.Put("k", "theirs"), null);
        assertThat(settleWith(theirs, OURS)).isEqualTo(new WriteOutcome.OutcomeUnknown());
    }

    @Test
    void supersededAfterTheSessionMovedOnIsUnknown_6_3() {
        apply(1, new Command.Put("k", "later"), new Session("1", 6));
        LogEntry theirs = entry(3, new Command.Put("k", "theirs"), null);
        assertThat(settleWith(theirs, OURS)).isEqualTo(new WriteOutcome.OutcomeUnknown());
    }

    @Test
    void supersededAfterTheSessionExpiredIsUnknown_6_3() {
        Session unknown = new Session("77", 1);
        LogEntry theirs = entry(3, new Command.Put("k", "theirs"), null);
        assertThat(settleWith(theirs, unknown)).isEqualTo(new WriteOutcome.OutcomeUnknown());
    }
}
