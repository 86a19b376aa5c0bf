package raftkv.server;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import raftkv.core.Command;
import raftkv.core.KvStore;
import raftkv.core.LogEntry;
import raftkv.core.Result;
import raftkv.core.Session;

/**
 * {@link Settlement#superseded}: what a client hears when another entry commits at its proposal's
 * index (its own copy committing is {@code DriverTest}'s case); {@link Settlement#unknownUnlessRecorded}:
 * what it hears when its copy's fate is unknown here. The log: session "1" opened at index 1.
 */
class SettlementTest {

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

    /** Commits {@code committed} at our index, where our copy (appended in an older term) was. */
    private WriteOutcome settleWith(LogEntry committed, Session ours) {
        kv.apply(committed);
        return Settlement.superseded(ours, kv);
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

    @Test
    void anUnknownFateWithoutASessionStaysUnknownAsTheCallerNamesIt() {
        assertThat(Settlement.unknownUnlessRecorded(null, kv, new WriteOutcome.ForwardUnanswered()))
                .isEqualTo(new WriteOutcome.ForwardUnanswered());
        assertThat(Settlement.unknownUnlessRecorded(null, kv, new WriteOutcome.OutcomeUnknown()))
                .isEqualTo(new WriteOutcome.OutcomeUnknown());
    }

    @Test
    void anUnknownFateIsAnsweredFromTheSessionTableWhenACopyExecuted_6_3() {
        assertThat(Settlement.unknownUnlessRecorded(OURS, kv, new WriteOutcome.ForwardUnanswered()))
                .isEqualTo(new WriteOutcome.ForwardUnanswered());
        apply(1, new Command.Put("k", "v"), OURS);
        assertThat(Settlement.unknownUnlessRecorded(OURS, kv, new WriteOutcome.ForwardUnanswered()))
                .isEqualTo(new WriteOutcome.Applied(new Result.Ok("v")));
    }
}
